"""Loop, except-handler and function context of every node, as one shared metadata provider."""

from __future__ import annotations

import ast
import dataclasses
import types
import typing
from collections.abc import Callable, Iterable, MutableMapping
from dataclasses import dataclass, field
from typing import Literal, Union

import libcst as cst
from libcst import MetadataDependent
from libcst.metadata import BaseMetadataProvider, QualifiedNameProvider

from memlint.semantic import names
from memlint.semantic.constants import fold

LoopNode = Union[cst.For, cst.While, cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp]
Handler = Union[cst.ExceptHandler, cst.ExceptStarHandler]


@dataclass(frozen=True, eq=False)
class Loop:
    """One loop: a `for`, a `while`, or a whole comprehension (all its `for` clauses)."""

    node: LoopNode
    kind: Literal["for", "while", "comprehension"]
    is_async: bool
    # Answers of is_endless() and exits(), computed on first use: they live as long as the
    # provider's metadata, so nothing outlives the tree.
    _endless: bool | None = field(default=None, init=False, repr=False)
    _exits: bool | None = field(default=None, init=False, repr=False)


@dataclass(frozen=True, eq=False)
class Context:
    """Where a node sits: its function, its class, the loops and the handler around it.

    One object is shared by every node with the same context.
    """

    # The innermost enclosing def or lambda; None at module or class level.
    function: cst.FunctionDef | cst.Lambda | None
    # The class whose body directly holds `function` (a method), or the class being
    # defined when at class level.
    class_: cst.ClassDef | None
    # The loops around the node inside `function`, outermost first.
    loops: tuple[Loop, ...]
    # The innermost `except` (or `except*`) clause whose body holds the node, in `function`.
    handler: Handler | None

    @property
    def loop(self) -> Loop | None:
        """The innermost loop, or None."""
        return self.loops[-1] if self.loops else None


_MODULE_LEVEL = Context(None, None, (), None)

_Push = Callable[[Union[cst.CSTNode, Context]], None]
_Computed = MutableMapping[cst.CSTNode, object]


class ContextProvider(BaseMetadataProvider[Context]):
    """Sets a Context on every node of the module in one walk over the tree.

    The walk reads the nodes' fields directly instead of going through a libcst visitor,
    which rebuilds every node it visits. It keeps an explicit stack, so deep trees cannot
    hit the recursion limit. The stack holds nodes and, between them, the Context that
    applies to the nodes above it: a special node pushes "restore" below the children that
    get a new context and "enter" above them, so ordinary nodes carry no context at all.
    """

    def _gen_impl(self, module: cst.Module) -> None:
        computed: _Computed = self._computed
        stack: list[cst.CSTNode | Context] = [module]
        push = stack.append
        pop = stack.pop
        plans = _PLANS
        absent = cst.MaybeSentinel.DEFAULT
        ctx = _MODULE_LEVEL
        while stack:
            item = pop()
            if item.__class__ is Context:
                ctx = item
                continue
            node: cst.CSTNode = item  # type: ignore[assignment]
            computed[node] = ctx
            kind = node.__class__
            plan = plans.get(kind)
            if plan is None:
                plan = _learn_plan(kind)
            if not isinstance(plan, tuple):
                plan(node, ctx, push, computed)
                continue
            for name in plan:
                value = getattr(node, name)
                # Learnt fields hold a node, a sequence of nodes, None or MaybeSentinel.
                if value.__class__ is list or value.__class__ is tuple:
                    for child in value:
                        push(child)
                elif value is not None and value is not absent:
                    push(value)


PROVIDERS = (ContextProvider, QualifiedNameProvider)


def context_of(visitor: MetadataDependent, node: cst.CSTNode) -> Context:
    """The context `node` sits in (the visitor must depend on ContextProvider)."""
    return visitor.get_metadata(ContextProvider, node)


def loop_of(visitor: MetadataDependent, node: LoopNode) -> Loop:
    """The Loop describing a `for`, `while` or comprehension node."""
    if isinstance(node, cst.For):
        inside: cst.CSTNode = node.target
    elif isinstance(node, cst.While):
        inside = node.test
    elif isinstance(node, cst.DictComp):
        inside = node.key
    else:
        inside = node.elt
    found = context_of(visitor, inside).loop
    if found is None or found.node is not node:
        raise ValueError("the node is not a loop of the tree the visitor is visiting")
    return found


# -- is_endless ------------------------------------------------------------------------------

_ENDLESS_ITERATORS = frozenset({"itertools.count", "itertools.cycle", "itertools.repeat"})


def is_endless(visitor: MetadataDependent, loop: Loop) -> bool:
    """Whether the loop's own header never ends it.

    `while` over a truthy constant (`True`, `1`, `"a"`); `for` over `itertools.count()`,
    `itertools.cycle(...)` (of anything but an empty literal) or `itertools.repeat(x)` (no
    `times`); a comprehension with such a `for` clause. Not `iter(callable, sentinel)`:
    its header ends the loop when the sentinel comes, like the `break` of the `while True`
    it replaces (`iter(f.readline, "")` stops at end of file). The visitor must depend on
    PROVIDERS.
    """
    if loop._endless is None:
        object.__setattr__(loop, "_endless", _is_endless(visitor, loop.node))
    return bool(loop._endless)


def _is_endless(visitor: MetadataDependent, node: LoopNode) -> bool:
    if isinstance(node, cst.While):
        return truthiness(node.test) is True
    if isinstance(node, cst.For):
        return _endless_iterable(visitor, node.iter)
    clause: cst.CompFor | None = node.for_in
    while clause is not None:
        if _endless_iterable(visitor, clause.iter):
            return True
        clause = clause.inner_for_in
    return False


def _endless_iterable(visitor: MetadataDependent, node: cst.BaseExpression) -> bool:
    # Shape first: only a call can be one of these, and only with plain arguments.
    if not isinstance(node, cst.Call) or any(arg.star for arg in node.args):
        return False
    qualified = names.resolves_to(visitor, node, _ENDLESS_ITERATORS)
    args = node.args
    if qualified == "itertools.count":
        return True
    if qualified == "itertools.cycle":
        return not (len(args) == 1 and _empty_literal(args[0].value))
    if qualified == "itertools.repeat":
        # `repeat(x, n)` and `repeat(x, times=n)` stop after n.
        return len(args) == 1 and (args[0].keyword is None or args[0].keyword.value == "object")
    return False


def _empty_literal(node: cst.BaseExpression) -> bool:
    if isinstance(node, (cst.List, cst.Tuple, cst.Set, cst.Dict)):
        return not node.elements
    return isinstance(node, cst.BaseString) and truthiness(node) is False


def truthiness(node: cst.BaseExpression) -> bool | None:
    """The truth value of a constant literal expression; None when it is not one."""
    if isinstance(node, cst.Name):
        return {"True": True, "False": False, "None": False}.get(node.value)
    if isinstance(node, cst.Ellipsis):
        return True
    if isinstance(node, cst.Imaginary):
        try:
            return bool(ast.literal_eval(node.value))
        except (SyntaxError, ValueError):
            return None
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Not):
        inner = truthiness(node.expression)
        return None if inner is None else not inner
    if isinstance(node, cst.BaseString):
        return _string_truthiness(node)
    number = fold(node)
    return None if number is None else bool(number)


def _string_truthiness(node: cst.BaseExpression) -> bool | None:
    if isinstance(node, cst.SimpleString):
        try:
            return len(node.evaluated_value) > 0
        except (SyntaxError, ValueError):
            return None
    if isinstance(node, cst.ConcatenatedString):
        left, right = _string_truthiness(node.left), _string_truthiness(node.right)
        if left or right:
            return True
        return False if left is False and right is False else None
    if isinstance(node, cst.FormattedString):
        if any(isinstance(p, cst.FormattedStringText) and p.value for p in node.parts):
            return True
        return False if not node.parts else None
    return None


# -- exits -------------------------------------------------------------------------------------

# Calls after which the process is gone.
PROCESS_EXITS = frozenset({"sys.exit", "os._exit", "os.abort", "builtins.exit", "builtins.quit"})
# Calls that never return: the process ends, or the test stops with an exception.
NEVER_RETURNS = PROCESS_EXITS | {"pytest.exit", "pytest.fail", "pytest.skip", "pytest.xfail"}
_TERMINAL = (cst.Return, cst.Raise, cst.Break, cst.Continue)
_SCOPES = (cst.FunctionDef, cst.ClassDef, cst.Lambda)
_NESTED_LOOP_INSIDE = frozenset({"target", "test", "body"})


def exits(visitor: MetadataDependent, loop: Loop) -> bool:
    """Whether something in the loop can leave it.

    A `break` of this loop (not of a nested one), a `return`, a `raise`, or a call of
    `sys.exit`, `os._exit`, `os.abort`, `exit` or `quit`, anywhere inside the loop but not
    in nested defs, lambdas or classes, nor in the loop's `else:`. Code after an
    unconditional `return`/`raise`/`break`/`continue` in the same block is dead and does not
    count. The visitor must depend on PROVIDERS.
    """
    if loop._exits is None:
        object.__setattr__(loop, "_exits", _find_exit(visitor, loop.node))
    return bool(loop._exits)


def _loop_parts(node: LoopNode) -> list[cst.CSTNode]:
    """The parts of a loop that run on every iteration."""
    if isinstance(node, cst.For):
        return [node.target, node.body]
    if isinstance(node, cst.While):
        return [node.test, node.body]
    first = node.for_in
    parts: list[cst.CSTNode] = [first.target, *first.ifs]
    if first.inner_for_in is not None:
        parts.append(first.inner_for_in)
    if isinstance(node, cst.DictComp):
        return [node.key, node.value, *parts]
    return [node.elt, *parts]


def _find_exit(visitor: MetadataDependent, loop: LoopNode) -> bool:
    # (node, whether a `break` there belongs to `loop`)
    stack: list[tuple[cst.CSTNode, bool]] = [(part, True) for part in _loop_parts(loop)]
    while stack:
        node, own = stack.pop()
        if isinstance(node, cst.Break):
            if own:
                return True
            continue
        if isinstance(node, (cst.Return, cst.Raise)):
            return True
        if isinstance(node, cst.Call) and _is_exit_call(visitor, node):
            return True
        if isinstance(node, _SCOPES):
            # Decorators, defaults, bases run here; the body does not.
            stack.extend((child, own) for child in children(node, skip="body"))
        elif isinstance(node, (cst.For, cst.While)):
            # A `break` in a nested loop's body ends that loop; one in its `else:` is ours.
            for name in _field_names(type(node)):
                nested = name in _NESTED_LOOP_INSIDE
                stack.extend((child, own and not nested) for child in _values(node, name))
        elif isinstance(
            node, (cst.IndentedBlock, cst.SimpleStatementSuite, cst.SimpleStatementLine)
        ):
            stack.extend((child, own) for child in _live(node.body))
        else:
            stack.extend((child, own) for child in children(node))
    return False


def _is_exit_call(visitor: MetadataDependent, node: cst.Call) -> bool:
    # Not by the called name alone: `from sys import exit as leave` is an exit.
    if not isinstance(node.func, (cst.Name, cst.Attribute)):
        return False
    return names.resolves_to(visitor, node, PROCESS_EXITS) is not None


def _live(
    statements: Iterable[cst.BaseStatement | cst.BaseSmallStatement],
) -> list[cst.CSTNode]:
    """The statements of a block up to the first one that always leaves it."""
    live: list[cst.CSTNode] = []
    for statement in statements:
        live.append(statement)
        if isinstance(statement, _TERMINAL):
            break
        if isinstance(statement, cst.SimpleStatementLine) and any(
            isinstance(small, _TERMINAL) for small in statement.body
        ):
            break
    return live


def children(node: cst.CSTNode, skip: str = "") -> list[cst.CSTNode]:
    """The child nodes of `node`, field by field, leaving out the field `skip`.

    Reads fields directly: `node.children` rebuilds the node.
    """
    found: list[cst.CSTNode] = []
    for name in _field_names(type(node)):
        if name != skip:
            found.extend(_values(node, name))
    return found


def _values(node: cst.CSTNode, name: str) -> list[cst.CSTNode]:
    value = getattr(node, name)
    if isinstance(value, cst.CSTNode):
        return [value]
    if isinstance(value, (list, tuple)):
        return [child for child in value if isinstance(child, cst.CSTNode)]
    return []


# -- the walk's tables ---------------------------------------------------------------------------

# For each node class, the fields that can hold child nodes (learnt on first sight).
# One entry per libcst node class: bounded by libcst.
_FIELDS: dict[type[cst.CSTNode], tuple[str, ...]] = {}  # noqa: MEM203


def _field_names(kind: type[cst.CSTNode]) -> tuple[str, ...]:
    found = _FIELDS.get(kind)
    return found if found is not None else _learn_fields(kind)


def _learn_fields(kind: type[cst.CSTNode]) -> tuple[str, ...]:
    try:
        hints = typing.get_type_hints(kind)
    except Exception:  # an unresolvable forward reference: read every field at run time
        hints = {}
    found = tuple(
        f.name for f in dataclasses.fields(kind) if not _never_node(hints.get(f.name, object))
    )
    _FIELDS[kind] = found
    return found


_UNION_TYPE = getattr(types, "UnionType", Union)


def _never_node(annotation: object) -> bool:
    """Whether a field annotated so can never hold a node (a str, a bool, a Literal)."""
    if annotation in (str, bool, int, type(None), cst.MaybeSentinel):
        return True
    origin = typing.get_origin(annotation)
    if origin is Literal:
        return True
    if origin is Union or origin is _UNION_TYPE:
        return all(_never_node(arg) for arg in typing.get_args(annotation))
    return False


def _push_except(node: cst.CSTNode, exclude: frozenset[str], push: _Push) -> None:
    """Push the children of `node` held in fields not in `exclude`."""
    for name in _field_names(type(node)):
        if name not in exclude:
            _push_value(getattr(node, name), push)


def _push_only(node: cst.CSTNode, include: Iterable[str], push: _Push) -> None:
    """Push the children of `node` held in the fields `include`."""
    for name in include:
        _push_value(getattr(node, name, None), push)


def _push_value(value: object, push: _Push) -> None:
    if isinstance(value, cst.CSTNode):
        push(value)
    elif isinstance(value, (list, tuple)):
        for child in value:
            push(child)


def _enter(
    node: cst.CSTNode, outer: Context, inner: Context, inside: frozenset[str], push: _Push
) -> None:
    """Push `node`'s children: those in the fields `inside` get `inner`, the others `outer`."""
    _push_except(node, inside, push)
    push(outer)
    _push_only(node, inside, push)
    push(inner)


_FOR_INSIDE = frozenset({"target", "body"})
_WHILE_INSIDE = frozenset({"test", "body"})
_BODY = frozenset({"body"})
_DEF_SPLIT = frozenset({"body", "params"})
_PARAM_OUTSIDE = frozenset({"annotation", "default"})
_COMP_INSIDE = frozenset({"elt", "key", "value"})
_COMP_SPLIT = _COMP_INSIDE | {"for_in"}
_COMP_FOR_INSIDE = frozenset({"target", "ifs", "inner_for_in"})


def _with_loop(ctx: Context, loop: Loop) -> Context:
    return Context(ctx.function, ctx.class_, (*ctx.loops, loop), ctx.handler)


def _split_for(node: cst.CSTNode, ctx: Context, push: _Push, computed: _Computed) -> None:
    assert isinstance(node, cst.For)
    inner = _with_loop(ctx, Loop(node, "for", node.asynchronous is not None))
    _enter(node, ctx, inner, _FOR_INSIDE, push)


def _split_while(node: cst.CSTNode, ctx: Context, push: _Push, computed: _Computed) -> None:
    assert isinstance(node, cst.While)
    _enter(node, ctx, _with_loop(ctx, Loop(node, "while", False)), _WHILE_INSIDE, push)


def _split_comprehension(node: cst.CSTNode, ctx: Context, push: _Push, computed: _Computed) -> None:
    assert isinstance(node, (cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp))
    first = node.for_in
    is_async = False
    clause: cst.CompFor | None = first
    while clause is not None:
        is_async = is_async or clause.asynchronous is not None
        clause = clause.inner_for_in
    inner = _with_loop(ctx, Loop(node, "comprehension", is_async))
    # The first clause's iterable is evaluated once, outside; the rest runs per element.
    _push_except(node, _COMP_SPLIT, push)
    _push_except(first, _COMP_FOR_INSIDE, push)
    push(ctx)
    _push_only(node, _COMP_INSIDE, push)
    _push_only(first, _COMP_FOR_INSIDE, push)
    computed[first] = ctx
    push(inner)


def _split_function(node: cst.CSTNode, ctx: Context, push: _Push, computed: _Computed) -> None:
    assert isinstance(node, (cst.FunctionDef, cst.Lambda))
    inner = Context(node, ctx.class_ if ctx.function is None else None, (), None)
    params = node.params
    every: list[cst.CSTNode] = []
    for name in _field_names(cst.Parameters):
        every.extend(_values(params, name))
    # Decorators, the name, the return annotation, and the parameters' annotations and
    # defaults are evaluated (or bound) where the def is.
    _push_except(node, _DEF_SPLIT, push)
    for param in every:
        if isinstance(param, cst.Param):
            _push_only(param, _PARAM_OUTSIDE, push)
    push(ctx)
    # The parameters themselves are bound inside.
    push(node.body)
    computed[params] = inner
    for param in every:
        if isinstance(param, cst.Param):
            computed[param] = inner
            _push_except(param, _PARAM_OUTSIDE, push)
        else:
            push(param)  # a bare `*` or `/`
    push(inner)


def _split_class(node: cst.CSTNode, ctx: Context, push: _Push, computed: _Computed) -> None:
    assert isinstance(node, cst.ClassDef)
    _enter(node, ctx, Context(None, node, (), None), _BODY, push)


def _split_handler(node: cst.CSTNode, ctx: Context, push: _Push, computed: _Computed) -> None:
    assert isinstance(node, (cst.ExceptHandler, cst.ExceptStarHandler))
    _enter(node, ctx, Context(ctx.function, ctx.class_, ctx.loops, node), _BODY, push)


_Split = Callable[[cst.CSTNode, Context, _Push, _Computed], None]
_SPECIAL: dict[type[cst.CSTNode], _Split] = {
    cst.For: _split_for,
    cst.While: _split_while,
    cst.ListComp: _split_comprehension,
    cst.SetComp: _split_comprehension,
    cst.DictComp: _split_comprehension,
    cst.GeneratorExp: _split_comprehension,
    cst.FunctionDef: _split_function,
    cst.Lambda: _split_function,
    cst.ClassDef: _split_class,
    cst.ExceptHandler: _split_handler,
    cst.ExceptStarHandler: _split_handler,
}

# What the walk does with each node class: a split for the nodes that change the context,
# else the fields to push.
_PLANS: dict[type[cst.CSTNode], tuple[str, ...] | _Split] = dict(_SPECIAL)


def _learn_plan(kind: type[cst.CSTNode]) -> tuple[str, ...] | _Split:
    plan = _SPECIAL.get(kind) or _field_names(kind)
    _PLANS[kind] = plan
    return plan
