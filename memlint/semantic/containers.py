"""Module- and class-level containers and how the module uses them, analysed once per file."""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Literal, Union

import libcst as cst
from libcst import MetadataDependent
from libcst.metadata import (
    Assignment,
    BaseMetadataProvider,
    ClassScope,
    QualifiedNameProvider,
    Scope,
    ScopeProvider,
)

from memlint.semantic import astindex, names
from memlint.semantic.constants import fold
from memlint.semantic.context import ContextProvider, children, context_of

ContainerKind = Literal["dict", "list", "set", "defaultdict", "Counter", "OrderedDict"]
# `add` grows it, `shrink` can make it smaller, `rebind` points the name (or attribute) at
# another object, `escape` hands it to code that is not seen (which may shrink it), `check`
# compares its size (`len(x) < LIMIT`).
UseKind = Literal["add", "shrink", "rebind", "escape", "check"]
Function = Union[cst.FunctionDef, cst.Lambda]

_CONSTRUCTORS: dict[str, ContainerKind] = {
    "builtins.dict": "dict",
    "builtins.list": "list",
    "builtins.set": "set",
    "collections.defaultdict": "defaultdict",
    "collections.Counter": "Counter",
    "collections.OrderedDict": "OrderedDict",
}
_KEYED: frozenset[str] = frozenset({"dict", "defaultdict", "Counter", "OrderedDict"})
# Reading a missing key inserts it (`d[k] += 1`, `d[k].append(v)`).
_AUTOVIVIFYING: frozenset[str] = frozenset({"defaultdict", "Counter"})

_ADDS = frozenset({"append", "extend", "insert", "add", "update", "setdefault", "__setitem__"})
_SHRINKS = frozenset(
    {
        "pop",
        "popitem",
        "clear",
        "remove",
        "discard",
        "popleft",
        "__delitem__",
        "difference_update",
        "intersection_update",
        "symmetric_difference_update",
    }
)
# Methods of dict, list, set, Counter and OrderedDict that leave the size alone.
_READS = frozenset(
    {
        "get",
        "keys",
        "values",
        "items",
        "copy",
        "count",
        "index",
        "sort",
        "reverse",
        "most_common",
        "elements",
        "total",
        "subtract",
        "move_to_end",
        "fromkeys",
        "union",
        "intersection",
        "difference",
        "symmetric_difference",
        "isdisjoint",
        "issubset",
        "issuperset",
        "__contains__",
        "__getitem__",
        "__len__",
        "__iter__",
        "__repr__",
        "__class__",
        "default_factory",
    }
)
# Calls that read their argument and keep nothing of it.
_READERS = frozenset(
    {
        *(
            f"builtins.{name}"
            for name in (
                *("len", "any", "all", "sum", "min", "max", "sorted", "reversed", "iter", "next"),
                *("list", "tuple", "set", "frozenset", "dict", "enumerate", "zip", "map", "filter"),
                *("repr", "str", "bytes", "bool", "print", "isinstance", "id", "hash", "type"),
                *("format", "callable"),
            )
        ),
        "copy.copy",
        "copy.deepcopy",
        "json.dumps",
        "json.dump",
        "pprint.pprint",
        "pprint.pformat",
        "random.choice",
        "random.sample",
        "itertools.chain",
    }
)
# Methods that format their arguments (loggers, str.format) rather than keep them.
_FORMATTING_METHODS = frozenset(
    {"debug", "info", "warning", "warn", "error", "exception", "critical", "log", "format"}
)
_CONSTANT_NAME = re.compile(r"^_*[A-Z][A-Z0-9_]*$")
_DUNDER = re.compile(r"^__\w+__$")


@dataclass(frozen=True, eq=False)
class Use:
    """One place that can change a container's size, or lets it out of sight."""

    node: cst.CSTNode
    kind: UseKind
    how: str  # for messages: "`.append()`", "`[key] = ...`", "returned"
    # The def or lambda whose code holds the use; None at module or class level.
    function: Function | None
    # Whether it can run after the module is imported: in a function that something other
    # than module-level code (or a decorator applied at import time) calls.
    runtime: bool
    # An add that stores the function's own arguments as given, the shape of a registration
    # API: `X[name] = obj`, `X.setdefault(name, []).append(obj)` (key and value parameters).
    setter: bool = False


@dataclass(frozen=True, eq=False)
class Container:
    """A dict, list or set bound once at module level or in a class body, and its uses."""

    name: str  # the bound name: `_cache`
    label: str  # `_cache`, or `Registry._handlers` for a class attribute
    kind: ContainerKind
    statement: cst.Assign | cst.AnnAssign
    value: cst.BaseExpression
    owner: cst.ClassDef | None
    uses: tuple[Use, ...]

    def of_kind(self, *kinds: UseKind) -> tuple[Use, ...]:
        return tuple(use for use in self.uses if use.kind in kinds)


@dataclass(frozen=True)
class ModuleContainers:
    containers: tuple[Container, ...]


class ContainerProvider(BaseMetadataProvider[ModuleContainers]):
    """Every module- and class-level container and its uses, stored on the Module node.

    Computed once per file whatever number of rules ask; the tree walk it needs only runs
    when the module binds a container at all.
    """

    METADATA_DEPENDENCIES = (ScopeProvider, QualifiedNameProvider, ContextProvider)

    def _gen_impl(self, module: cst.Module) -> None:
        self.set_metadata(module, ModuleContainers(tuple(_Analysis(self, module).run())))


PROVIDERS = (ContainerProvider, ScopeProvider, QualifiedNameProvider, ContextProvider)


def containers(visitor: MetadataDependent, module: cst.Module) -> tuple[Container, ...]:
    """The module's containers (the visitor must depend on ContainerProvider)."""
    return visitor.get_metadata(ContainerProvider, module).containers


def container_kind(visitor: MetadataDependent, value: cst.BaseExpression) -> ContainerKind | None:
    """The kind of container a literal, comprehension or constructor call builds."""
    if isinstance(value, (cst.Dict, cst.DictComp)):
        return "dict"
    if isinstance(value, (cst.List, cst.ListComp)):
        return "list"
    if isinstance(value, (cst.Set, cst.SetComp)):
        return "set"
    if isinstance(value, cst.Call):
        qualified = names.resolves_to(visitor, value, _CONSTRUCTORS)
        return _CONSTRUCTORS[qualified] if qualified is not None else None
    return None


def is_constant_key(node: cst.BaseExpression) -> bool:
    """A key that names one fixed entry: a literal, `True`/`None`, an ALL_CAPS name."""
    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
        return True
    if isinstance(node, cst.Name):
        return node.value in ("True", "False", "None") or bool(_CONSTANT_NAME.match(node.value))
    if isinstance(node, cst.Attribute):
        return bool(_CONSTANT_NAME.match(node.attr.value))
    if isinstance(node, cst.Tuple):
        return all(is_constant_key(element.value) for element in node.elements)
    return fold(node) is not None


@dataclass(frozen=True)
class _Candidate:
    name: str
    target: cst.Name
    statement: cst.Assign | cst.AnnAssign
    value: cst.BaseExpression
    kind: ContainerKind
    owner: cst.ClassDef | None


class _Analysis:
    """One pass over one module: candidates first, then (only if any) the uses."""

    def __init__(self, provider: MetadataDependent, module: cst.Module) -> None:
        self.provider = provider
        self.module = module
        self.parents: dict[int, cst.CSTNode] = {}
        self.attributes: dict[str, list[cst.Attribute]] = {}
        self.functions: list[cst.FunctionDef] = []
        # The first parameter of each method (`self`, `cls`) -> the method's class.
        self.method_params: dict[int, cst.ClassDef] = {}
        self._import_time: set[int] | None = None

    def run(self) -> Iterator[Container]:
        candidates = list(self._candidates(self.module.body, None))
        if not candidates:
            return
        self._walk()
        for candidate in candidates:
            yield Container(
                candidate.name,
                candidate.name
                if candidate.owner is None
                else f"{candidate.owner.name.value}.{candidate.name}",
                candidate.kind,
                candidate.statement,
                candidate.value,
                candidate.owner,
                tuple(self._uses(candidate)),
            )

    # -- candidates -----------------------------------------------------------------------

    def _candidates(
        self, body: Sequence[cst.BaseStatement], owner: cst.ClassDef | None
    ) -> Iterator[_Candidate]:
        for statement in body:
            if isinstance(statement, cst.SimpleStatementLine):
                for small in statement.body:
                    found = self._candidate(small, owner)
                    if found is not None:
                        yield found
            elif isinstance(statement, cst.ClassDef):
                yield from self._candidates(_statements(statement.body), statement)
            elif not isinstance(statement, cst.FunctionDef):
                # if / try / with / for / while / match at this level bind here too.
                for block in _blocks(statement):
                    yield from self._candidates(block, owner)

    def _candidate(
        self, small: cst.BaseSmallStatement, owner: cst.ClassDef | None
    ) -> _Candidate | None:
        if isinstance(small, cst.Assign):
            # `a = b = {}` is one container under two names: not followed.
            if len(small.targets) != 1:
                return None
            target, value = small.targets[0].target, small.value
        elif isinstance(small, cst.AnnAssign) and small.value is not None:
            # In a class body an annotated name is a field (dataclass, attrs, pydantic,
            # NamedTuple): each instance gets its own. Only `ClassVar` is the class's.
            if owner is not None and not _is_class_var(small.annotation.annotation):
                return None
            target, value = small.target, small.value
        else:
            return None
        if not isinstance(target, cst.Name) or _DUNDER.match(target.value):
            return None
        kind = container_kind(self.provider, value)
        if kind is None:
            return None
        return _Candidate(target.value, target, small, value, kind, owner)

    # -- the walk -------------------------------------------------------------------------

    def _walk(self) -> None:
        parents = self.parents
        stack: list[cst.CSTNode] = [self.module]
        while stack:
            node = stack.pop()
            if isinstance(node, cst.Attribute):
                self.attributes.setdefault(node.attr.value, []).append(node)
            elif isinstance(node, cst.FunctionDef):
                self.functions.append(node)
                self._note_method(node)
            for child in children(node):
                parents[id(child)] = node
                stack.append(child)

    def _note_method(self, function: cst.FunctionDef) -> None:
        where = context_of(self.provider, function)
        if where.function is not None or where.class_ is None:
            return
        if any(names.dotted(d.decorator) == "staticmethod" for d in function.decorators):
            return
        positional = [*function.params.posonly_params, *function.params.params]
        if positional:
            self.method_params[id(positional[0])] = where.class_

    # -- uses -----------------------------------------------------------------------------

    def _uses(self, candidate: _Candidate) -> Iterator[Use]:
        scope = self.provider.get_metadata(ScopeProvider, candidate.target, None)
        if scope is None:
            yield Use(candidate.statement, "escape", "not analysable", None, True)
            return
        yield from self._name_uses(candidate, scope)
        if candidate.owner is not None:
            yield from self._attribute_uses(candidate)

    def _name_uses(self, candidate: _Candidate, scope: Scope) -> Iterator[Use]:
        """Uses through the bare name: anywhere for a module global, the body for a class."""
        seen: set[int] = set()
        for assignment in scope.assignments[candidate.name]:
            node = assignment.node if isinstance(assignment, Assignment) else None
            if node is candidate.target:
                pass
            elif isinstance(node, cst.Name):
                parent = self.parents.get(id(node))
                if isinstance(parent, cst.AugAssign) and parent.target is node:
                    yield self._use(parent, *_augmented(parent.operator))
                else:
                    yield self._use(node, "rebind", "rebound")
            else:
                yield self._use(node or candidate.statement, "rebind", "rebound")
            for access in assignment.references:
                if id(access.node) in seen or not isinstance(access.node, cst.Name):
                    continue
                seen.add(id(access.node))
                if access.is_annotation or access.is_type_hint:
                    continue
                parent = self.parents.get(id(access.node))
                if isinstance(parent, cst.AugAssign) and parent.target is access.node:
                    continue  # counted as a binding above
                found = self._classify(access.node, candidate.kind)
                if found is not None:
                    yield self._use(access.node, *found)

    def _attribute_uses(self, candidate: _Candidate) -> Iterator[Use]:
        """`self.x`, `cls.x`, `Class.x` anywhere; `other.x` only when it may shrink it."""
        for attribute in self.attributes.get(candidate.name, ()):
            receiver = attribute.value
            known = (
                isinstance(receiver, cst.Name) and self._owner_class(receiver) is candidate.owner
            )
            store = _store_context(self.parents, attribute)
            if store is not None:
                # `self.x = ...` shadows the class attribute, `cls.x = ...` replaces it; on
                # another receiver it may be either.
                yield self._use(attribute, "rebind", f"`{_code(attribute)}` rebound")
                continue
            found = self._classify(attribute, candidate.kind)
            if found is None:
                continue
            if known:
                yield self._use(attribute, *found)
            elif found[0] in ("shrink", "rebind"):
                # Another receiver (a subclass's `self`, an instance) may be this class.
                yield self._use(attribute, "escape", f"`{_code(attribute)}` {found[1]}")

    def _use(self, node: cst.CSTNode, kind: UseKind, how: str) -> Use:
        function = context_of(self.provider, node).function
        runtime = function is not None and id(function) not in self.import_time()
        setter = kind == "add" and isinstance(function, cst.FunctionDef)
        if setter:
            assert isinstance(function, cst.FunctionDef)
            setter = self._setter(node, self._visible_parameters(function))
        return Use(node, kind, how, function, runtime, setter)

    def _visible_parameters(self, function: cst.FunctionDef) -> frozenset[str]:
        """Its parameters and those of the functions it is nested in (a decorator factory)."""
        found: set[str] = set()
        current: Function | None = function
        while isinstance(current, cst.FunctionDef):
            found |= _parameters(current)
            current = context_of(self.provider, current).function
        return frozenset(found)

    def _setter(self, expr: cst.CSTNode, parameters: frozenset[str]) -> bool:
        """`X[key] = value` or `X.setdefault(key, v)` with key and value from parameters."""
        parent = self.parents.get(id(expr))
        if isinstance(parent, cst.Subscript):
            key = _key(parent)
            target = self.parents.get(id(parent))
            assign = self.parents.get(id(target))
            if not isinstance(target, cst.AssignTarget) or not isinstance(assign, cst.Assign):
                return False
            return (
                key is not None
                and _from_parameters(key, parameters)
                and _made_of_parameters(assign.value, parameters)
            )
        if not isinstance(parent, cst.Attribute) or parent.attr.value != "setdefault":
            return False
        call = self.parents.get(id(parent))
        if not isinstance(call, cst.Call) or len(call.args) != 2:
            return False
        key, value = call.args[0].value, call.args[1].value
        if not _from_parameters(key, parameters):
            return False
        # `X.setdefault(name, obj)`, or a slot for the name: `X.setdefault(name, [])`.
        if _made_of_parameters(value, parameters) or _empty_display(value):
            return True
        # `X.setdefault(name, []).append(obj)`
        method = self.parents.get(id(call))
        outer = self.parents.get(id(method))
        return (
            isinstance(method, cst.Attribute)
            and method.attr.value in ("append", "add")
            and isinstance(outer, cst.Call)
            and len(outer.args) == 1
            and _made_of_parameters(outer.args[0].value, parameters)
        )

    # -- classifying one use --------------------------------------------------------------

    def _classify(self, expr: cst.BaseExpression, kind: str) -> tuple[UseKind, str] | None:
        """What the code around `expr` (an expression that is the container) does to it."""
        parent = self.parents.get(id(expr))
        if isinstance(parent, cst.Attribute) and parent.value is expr:
            return self._method(parent, kind)
        if isinstance(parent, cst.Subscript) and parent.value is expr:
            return self._item(parent, kind)
        if isinstance(parent, cst.AugAssign) and parent.target is expr:
            return _augmented(parent.operator)
        store = _store_context(self.parents, expr)
        if store == "del":
            return ("shrink", "`del`")
        if store == "assign":
            return ("rebind", "rebound")
        return self._read_or_escape(expr, parent)

    def _method(self, attribute: cst.Attribute, kind: str) -> tuple[UseKind, str] | None:
        method = attribute.attr.value
        call = self.parents.get(id(attribute))
        called = isinstance(call, cst.Call) and call.func is attribute
        if method in _SHRINKS:
            return ("shrink", f"`.{method}()`")
        if method in _READS:
            return None
        if method not in _ADDS:
            return ("escape", f"`.{method}`")
        if called and isinstance(call, cst.Call) and self._adds_constant_keys(method, call):
            return None
        return ("add", f"`.{method}()`" if called else f"`.{method}` (a bound method)")

    def _item(self, subscript: cst.Subscript, kind: str) -> tuple[UseKind, str] | None:
        key = _key(subscript)
        store = _store_context(self.parents, subscript)
        if store == "del":
            return ("shrink", "`del ...[key]`")
        if store == "assign":
            if key is None:
                return ("shrink", "a slice assignment")
            if kind == "element" or (kind in _KEYED and not self._bounded_key(key)):
                return ("add", "`[key] = ...`")
            return None
        parent = self.parents.get(id(subscript))
        if isinstance(parent, cst.AugAssign) and parent.target is subscript:
            if kind == "element" or (
                kind in _AUTOVIVIFYING and key is not None and not self._bounded_key(key)
            ):
                return ("add", "`[key] += ...`")
            return None
        # What happens to the element: `d[k].remove(v)` empties it (whoever does that
        # manages the entries); `d[k].append(v)` on a defaultdict creates the entry.
        inner = self._classify(subscript, "element")
        if inner is None or inner[0] not in ("add", "shrink"):
            return None
        if inner[0] == "shrink":
            return ("shrink", f"`[key]{inner[1].strip('`')}`")
        if kind == "defaultdict" and key is not None and not self._bounded_key(key):
            return ("add", f"`[key]{inner[1].strip('`')}`")
        return None

    def _read_or_escape(
        self, expr: cst.BaseExpression, parent: cst.CSTNode | None
    ) -> tuple[UseKind, str] | None:
        if parent is None or isinstance(
            parent,
            (
                cst.Comparison,
                cst.ComparisonTarget,
                cst.UnaryOperation,
                cst.BinaryOperation,
                cst.FormattedStringExpression,
                cst.Expr,
                cst.Index,
                cst.Assert,
                cst.StarredElement,
                cst.StarredDictElement,
            ),
        ):
            return None
        if isinstance(parent, (cst.If, cst.While, cst.IfExp)) and parent.test is expr:
            return None
        if isinstance(parent, (cst.For, cst.CompFor)) and parent.iter is expr:
            return None
        if isinstance(parent, cst.BooleanOperation):
            return None if self._tested(parent) else ("escape", "used as a value")
        if isinstance(parent, cst.Arg):
            return self._argument(parent)
        return ("escape", _escape_description(parent))

    def _tested(self, node: cst.CSTNode) -> bool:
        """Whether a boolean operation's value is only tested (`if x and y:`)."""
        parent = self.parents.get(id(node))
        while isinstance(parent, (cst.BooleanOperation, cst.UnaryOperation)):
            node, parent = parent, self.parents.get(id(parent))
        if isinstance(parent, (cst.If, cst.While, cst.IfExp, cst.Assert)):
            return parent.test is node
        return isinstance(parent, cst.CompIf)

    def _argument(self, arg: cst.Arg) -> tuple[UseKind, str] | None:
        if arg.star:
            return None  # `f(*x)` passes a copy of its items
        call = self.parents.get(id(arg))
        if not isinstance(call, cst.Call):
            return ("escape", "passed on")
        qualified = names.qualified_names(self.provider, call)
        if "builtins.len" in qualified and isinstance(
            self.parents.get(id(call)), (cst.Comparison, cst.ComparisonTarget)
        ):
            return ("check", "`len()` compared")
        if qualified & _READERS:
            return None
        func = call.func
        if isinstance(func, cst.Attribute) and (
            func.attr.value in _FORMATTING_METHODS
            or (
                func.attr.value == "join"
                and isinstance(func.value, (cst.SimpleString, cst.ConcatenatedString))
            )
        ):
            return None
        shown = names.dotted(func)
        return ("escape", f"passed to `{shown}`" if shown else "passed to a call")

    def _adds_constant_keys(self, method: str, call: cst.Call) -> bool:
        """`d.setdefault("k", v)`, `d.update(a=1)`, `d.update({"k": v})`: fixed entries."""
        args = list(call.args)
        if method == "setdefault":
            return bool(args) and args[0].keyword is None and self._bounded_key(args[0].value)
        if method != "update" or not args or any(arg.star for arg in args):
            return False
        for arg in args:
            if arg.keyword is not None:
                continue
            value = arg.value
            if not isinstance(value, cst.Dict):
                return False
            for element in value.elements:
                if not isinstance(element, cst.DictElement) or not self._bounded_key(element.key):
                    return False
        return True

    def _bounded_key(self, key: cst.BaseExpression, depth: int = 0) -> bool:
        """A key with few possible values: a constant, a flag, an item of a literal list.

        A name counts when every binding of it is: a parameter with a `True`/`False`
        default, a parameter of a private function that every caller passes a constant,
        the target of a `for` over a literal (or a module-level name bound to one), or a
        local bound to such a key.
        """
        if is_constant_key(key):
            return True
        if isinstance(key, cst.Tuple):
            return all(self._bounded_key(e.value, depth) for e in key.elements)
        if not isinstance(key, cst.Name) or depth > 3:
            return False
        scope = self.provider.get_metadata(ScopeProvider, key, None)
        if scope is None:
            return False
        referents = [r for a in scope.accesses[key] if a.node is key for r in a.referents]
        return bool(referents) and all(
            isinstance(r, Assignment) and self._bounded_binding(r.node, depth) for r in referents
        )

    def _bounded_binding(self, node: cst.CSTNode, depth: int) -> bool:
        if isinstance(node, cst.Param):
            return self._bounded_parameter(node, depth)
        parent = self.parents.get(id(node))
        if isinstance(parent, (cst.For, cst.CompFor)) and parent.target is node:
            return self._literal_items(parent.iter)
        assign = self.parents.get(id(parent))
        if isinstance(parent, cst.AssignTarget) and isinstance(assign, cst.Assign):
            return len(assign.targets) == 1 and self._bounded_key(assign.value, depth + 1)
        return False

    def _bounded_parameter(self, param: cst.Param, depth: int) -> bool:
        default = param.default
        if isinstance(default, cst.Name) and default.value in ("True", "False"):
            return True
        function = self.parents.get(id(self.parents.get(id(param))))
        if not isinstance(function, cst.FunctionDef) or not function.name.value.startswith("_"):
            return False
        positional = [*function.params.posonly_params, *function.params.params]
        if param not in positional:
            return False
        index = positional.index(param)
        if isinstance(context_of(self.provider, function).class_, cst.ClassDef):
            return False  # a method: `self` shifts the arguments
        references = list(self._references(function))
        if not references:
            return False
        for reference in references:
            call = self.parents.get(id(reference))
            if isinstance(call, cst.Del):
                continue
            if not isinstance(call, cst.Call) or call.func is not reference:
                return False
            argument = _argument(call, param.name.value, index)
            if argument is None or not self._bounded_key(argument.value, depth + 1):
                return False
        return True

    def _literal_items(self, iterable: cst.BaseExpression) -> bool:
        if isinstance(iterable, cst.Name):
            scope = self.provider.get_metadata(ScopeProvider, iterable, None)
            if scope is None:
                return False
            referents = [
                r for a in scope.accesses[iterable] if a.node is iterable for r in a.referents
            ]
            if len(referents) != 1 or not isinstance(referents[0], Assignment):
                return False
            target = referents[0].node
            assign = self.parents.get(id(self.parents.get(id(target))))
            if not isinstance(assign, cst.Assign) or len(assign.targets) != 1:
                return False
            iterable = assign.value
        if not isinstance(iterable, (cst.List, cst.Tuple, cst.Set)):
            return False
        return all(is_constant_key(e.value) for e in iterable.elements)

    # -- receivers ------------------------------------------------------------------------

    def _owner_class(self, name: cst.Name) -> cst.ClassDef | None:
        """The class a name reaches the attributes of: the class itself, `self` or `cls`."""
        scope = self.provider.get_metadata(ScopeProvider, name, None)
        if scope is None:
            return None
        owners: set[cst.ClassDef] = set()
        for access in scope.accesses[name]:
            if access.node is not name:
                continue
            for referent in access.referents:
                node = referent.node if isinstance(referent, Assignment) else None
                if isinstance(node, cst.ClassDef):
                    owners.add(node)
                elif isinstance(node, cst.Param) and id(node) in self.method_params:
                    owners.add(self.method_params[id(node)])
                else:
                    return None
        return owners.pop() if len(owners) == 1 else None

    # -- which functions run at import time -----------------------------------------------

    def import_time(self) -> set[int]:
        """The functions only ever run while the module is imported.

        A function runs at import time when it is referenced, and every reference calls it
        or applies it as a decorator (or returns it, from a decorator factory) in module or
        class-level code, or in another such function. A function that nothing in the
        module references is someone else's to call: at run time.
        """
        if self._import_time is not None:
            return self._import_time
        callers: dict[int, list[Function | None]] = {}
        for function in self.functions:
            found = self._callers(function)
            if found is not None:  # [] when it is only ever deleted
                callers[id(function)] = found
        import_time = set(callers)
        changed = True
        while changed:
            changed = False
            for key in list(import_time):
                if any(c is not None and id(c) not in import_time for c in callers[key]):
                    import_time.discard(key)
                    changed = True
        self._import_time = import_time
        return import_time

    def _callers(self, function: cst.FunctionDef) -> list[Function | None] | None:
        """The functions whose code calls `function` (None: module level); None if unsure."""
        references = list(self._references(function))
        if not references:
            return None
        callers: list[Function | None] = []
        for reference in references:
            parent = self.parents.get(id(reference))
            if _store_context(self.parents, reference) == "del":
                continue  # `del helper` once the module is set up
            called = isinstance(parent, cst.Call) and parent.func is reference
            if not called and not isinstance(parent, (cst.Decorator, cst.Return)):
                return None
            caller = context_of(self.provider, reference).function
            if caller is None and self._under_main_guard(reference):
                return None
            callers.append(caller)
        return callers

    def _references(self, function: cst.FunctionDef) -> Iterator[cst.CSTNode]:
        scope = self.provider.get_metadata(ScopeProvider, function, None)
        if scope is None:
            return
        name = function.name.value
        for assignment in scope.assignments[name]:
            if isinstance(assignment, Assignment) and assignment.node is function:
                for access in assignment.references:
                    yield access.node
        if isinstance(scope, ClassScope):
            # A method is reached as an attribute of anything: every `.name` counts.
            yield from self.attributes.get(name, ())

    def _under_main_guard(self, node: cst.CSTNode) -> bool:
        """Inside `if __name__ == "__main__":`, where a script's run time begins."""
        parent = self.parents.get(id(node))
        while parent is not None:
            if isinstance(parent, cst.If) and _is_main_test(parent.test):
                return True
            parent = self.parents.get(id(parent))
        return False


# -- the pre-filter on CPython's tree ---------------------------------------------------------

_Kinds = dict[str, frozenset[ContainerKind]]
_Span = tuple[tuple[int, int], tuple[int, int]]


def may_grow(tree: ast.Module) -> bool:
    """Whether some function may add to a module- or class-level container (conservative).

    The shapes the analysis starts from, without scopes: a binding where `_candidates`
    looks (module level, class bodies and the blocks of compound statements there; not in
    a def) of a name to a display or to a call that may be a constructor, and inside a def
    or lambda an add (as `_classify` reads one) on that name (module level) or on an
    attribute of that name (class level): an adding method, called or not; an item store
    or `[key] += ...` with a key that is not a literal or an ALL_CAPS name, on a kind that
    grows so; `+=`/`|=`. Which functions run at import time, keys bounded by their
    bindings, registries, size checks and what shrinks the container are the rule's.
    """
    imports = names.Imports.of(tree)
    module_level, class_level = _bound_containers(tree, imports)
    if not module_level and not class_level:
        return False
    augmented = {id(node.target) for node in astindex.nodes(tree, ast.AugAssign)}
    spans: list[_Span] | None = None
    for node in _adds(tree):
        if not _may_add(node, module_level, class_level, augmented):
            continue
        if spans is None:
            spans = _function_bodies(tree)
        where = (node.lineno, node.col_offset)
        if any(start <= where <= end for start, end in spans):
            return True
    return False


def growth_places(tree: ast.Module) -> list[ast.AST]:
    """Where MEM203 needs libcst (memlint/regions.py): when `may_grow`, each binding that
    may make a container, every def that mentions one (a name for module level, an
    attribute for class level: its adds, shrinks and escapes), and every def that mentions
    one of those defs by name or as an attribute (the callers that decide whether they run
    after import: `_references` counts any `.name` for a method), repeatedly.
    """
    if not may_grow(tree):
        return []
    imports = names.Imports.of(tree)
    module_level, class_level, statements = _bound(tree, imports)
    name_lines: dict[str, list[int]] = {}
    for name in astindex.nodes(tree, ast.Name):
        name_lines.setdefault(name.id, []).append(name.lineno)
    attribute_lines: dict[str, list[int]] = {}
    for attribute in astindex.nodes(tree, ast.Attribute):
        attribute_lines.setdefault(attribute.attr, []).append(attribute.end_lineno or 0)
    defs: list[ast.FunctionDef | ast.AsyncFunctionDef] = [
        *astindex.nodes(tree, ast.FunctionDef),
        *astindex.nodes(tree, ast.AsyncFunctionDef),
    ]
    lines = [line for name in module_level for line in name_lines.get(name, ())]
    lines += [line for name in class_level for line in attribute_lines.get(name, ())]
    kept: dict[int, ast.AST] = {}
    while lines:
        around = [
            node
            for node in defs
            if id(node) not in kept
            and any(node.lineno <= line <= (node.end_lineno or node.lineno) for line in lines)
        ]
        kept.update((id(node), node) for node in around)
        lines = [
            line
            for node in around
            for line in (*name_lines.get(node.name, ()), *attribute_lines.get(node.name, ()))
        ]
    return [*statements, *kept.values()]


def _bound_containers(tree: ast.Module, imports: names.Imports) -> tuple[_Kinds, _Kinds]:
    """The names `_candidates` may take for containers, with their kinds: (module, class)."""
    module_level, class_level, _ = _bound(tree, imports)
    return module_level, class_level


def _bound(tree: ast.Module, imports: names.Imports) -> tuple[_Kinds, _Kinds, list[ast.stmt]]:
    """`_bound_containers`, and the statements that bind them."""
    found: tuple[dict[str, set[ContainerKind]], dict[str, set[ContainerKind]]] = ({}, {})
    statements: list[ast.stmt] = []
    stack: list[tuple[list[ast.stmt], bool]] = [(tree.body, False)]
    while stack:
        body, in_class = stack.pop()
        for statement in body:
            if isinstance(statement, ast.ClassDef):
                stack.append((statement.body, True))
            elif isinstance(statement, (ast.Assign, ast.AnnAssign)):
                binding = _container_binding(statement, in_class, imports)
                if binding is not None:
                    found[in_class].setdefault(binding[0], set()).update(binding[1])
                    statements.append(statement)
            elif not isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
                stack.extend((block, in_class) for block in _ast_blocks(statement))
    module_level, class_level = found
    return (
        {name: frozenset(kinds) for name, kinds in module_level.items()},
        {name: frozenset(kinds) for name, kinds in class_level.items()},
        statements,
    )


def _ast_blocks(statement: ast.stmt) -> Iterator[list[ast.stmt]]:
    """The statement lists directly inside a compound statement (if, for, try, with, match)."""
    for field in ("body", "orelse", "finalbody"):
        block = getattr(statement, field, None)
        if isinstance(block, list):
            yield block
    for clause in (*getattr(statement, "handlers", ()), *getattr(statement, "cases", ())):
        yield clause.body


def _container_binding(
    statement: ast.Assign | ast.AnnAssign, in_class: bool, imports: names.Imports
) -> tuple[str, frozenset[ContainerKind]] | None:
    """`_candidate` on CPython's tree: the name and the kinds it may be bound to."""
    if isinstance(statement, ast.Assign):
        if len(statement.targets) != 1:
            return None
        target, value = statement.targets[0], statement.value
    else:
        if statement.value is None:
            return None
        if in_class and not _ast_is_class_var(statement.annotation):
            return None
        target, value = statement.target, statement.value
    if not isinstance(target, ast.Name) or _DUNDER.match(target.id):
        return None
    kinds = _ast_container_kinds(value, imports)
    return (target.id, kinds) if kinds else None


def _ast_container_kinds(value: ast.expr, imports: names.Imports) -> frozenset[ContainerKind]:
    """The kinds `container_kind` may find `value` to build."""
    if isinstance(value, (ast.Dict, ast.DictComp)):
        return frozenset({"dict"})
    if isinstance(value, (ast.List, ast.ListComp)):
        return frozenset({"list"})
    if isinstance(value, (ast.Set, ast.SetComp)):
        return frozenset({"set"})
    # Most calls bound at module level are no constructor: one look settles them.
    if not isinstance(value, ast.Call) or not imports.may_refer(value, _CONSTRUCTORS):
        return frozenset()
    return frozenset(
        kind for qualified, kind in _CONSTRUCTORS.items() if imports.may_refer(value, (qualified,))
    )


def _ast_is_class_var(annotation: ast.expr) -> bool:
    node = annotation.value if isinstance(annotation, ast.Subscript) else annotation
    if isinstance(node, ast.Attribute):
        return node.attr == "ClassVar"
    return isinstance(node, ast.Name) and node.id == "ClassVar"


def _adds(tree: ast.Module) -> Iterator[ast.Attribute | ast.Subscript | ast.AugAssign]:
    """Nodes shaped like an add: `.append` (etc.), an item store, `+=`/`|=`."""
    for attribute in astindex.nodes(tree, ast.Attribute):
        if attribute.attr in _ADDS:
            yield attribute
    for subscript in astindex.nodes(tree, ast.Subscript):
        # A slice store shrinks (`x[:] = []`); `x[k] += 1` is a store too.
        if isinstance(subscript.ctx, ast.Store) and not isinstance(subscript.slice, ast.Slice):
            yield subscript
    for augmented in astindex.nodes(tree, ast.AugAssign):
        if isinstance(augmented.op, (ast.Add, ast.BitOr)):
            yield augmented


def _may_add(
    node: ast.Attribute | ast.Subscript | ast.AugAssign,
    module_level: _Kinds,
    class_level: _Kinds,
    augmented: set[int],
) -> bool:
    """Whether `_classify` may call `node` an add to a container bound under its receiver."""

    def kinds(receiver: ast.expr) -> frozenset[ContainerKind]:
        if isinstance(receiver, ast.Name):
            return module_level.get(receiver.id, frozenset())
        if isinstance(receiver, ast.Attribute):
            return class_level.get(receiver.attr, frozenset())
        return frozenset()

    if isinstance(node, ast.AugAssign):
        return bool(kinds(node.target))  # `x += ...`, `x |= ...`
    receiver = node.value
    if isinstance(node, ast.Attribute):
        if kinds(receiver):
            return True  # `x.append(v)`
        # `x[key].append(v)` makes the entry of a defaultdict.
        return _element_of_defaultdict(receiver, kinds)
    if _ast_constant_key(node.slice):
        # A fixed entry, unless it is `x[key][CONST] = v` on a defaultdict.
        return _element_of_defaultdict(receiver, kinds)
    grows = _AUTOVIVIFYING if id(node) in augmented else _KEYED
    return bool(kinds(receiver) & grows) or _element_of_defaultdict(receiver, kinds)


def _element_of_defaultdict(
    node: ast.expr, kinds: Callable[[ast.expr], frozenset[ContainerKind]]
) -> bool:
    """`x[key]` with `x` maybe a defaultdict and a key that is not a constant."""
    return (
        isinstance(node, ast.Subscript)
        and "defaultdict" in kinds(node.value)
        and not isinstance(node.slice, ast.Slice)
        and not _ast_constant_key(node.slice)
    )


def _ast_constant_key(node: ast.expr) -> bool:
    """Only keys that `is_constant_key` surely calls constant (`x[-1]` is left out)."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, (str, bytes, bool, int, float)) or node.value is None
    if isinstance(node, ast.Name):
        return bool(_CONSTANT_NAME.match(node.id))
    if isinstance(node, ast.Attribute):
        return bool(_CONSTANT_NAME.match(node.attr))
    if isinstance(node, ast.Tuple):
        return all(_ast_constant_key(element) for element in node.elts)
    return False


def _function_bodies(tree: ast.Module) -> list[_Span]:
    """Where each def's and lambda's body starts and ends: the code that runs when called."""
    functions: list[ast.FunctionDef | ast.AsyncFunctionDef] = [
        *astindex.nodes(tree, ast.FunctionDef),
        *astindex.nodes(tree, ast.AsyncFunctionDef),
    ]
    spans = [_span(function.body[0], function.body[-1]) for function in functions]
    for lam in astindex.nodes(tree, ast.Lambda):
        spans.append(_span(lam.body, lam.body))
    return spans


def _span(first: ast.stmt | ast.expr, last: ast.stmt | ast.expr) -> _Span:
    end_line = last.end_lineno if last.end_lineno is not None else last.lineno
    end_column = last.end_col_offset if last.end_col_offset is not None else last.col_offset
    return (first.lineno, first.col_offset), (end_line, end_column)


# -- helpers ----------------------------------------------------------------------------------


_CLAUSES = (cst.If, cst.Else, cst.ExceptHandler, cst.ExceptStarHandler, cst.Finally, cst.MatchCase)


def _statements(body: cst.BaseSuite) -> Sequence[cst.BaseStatement]:
    if isinstance(body, cst.IndentedBlock):
        return body.body
    assert isinstance(body, cst.SimpleStatementSuite)
    return [cst.SimpleStatementLine(body.body)]


def _blocks(statement: cst.BaseStatement) -> Iterator[Sequence[cst.BaseStatement]]:
    """The statement lists directly inside a compound statement (not a def or class)."""
    stack: list[cst.CSTNode] = [statement]
    while stack:
        node = stack.pop()
        for child in children(node):
            if isinstance(child, cst.BaseSuite):
                yield _statements(child)
            elif isinstance(child, _CLAUSES):
                stack.append(child)


def _is_class_var(annotation: cst.BaseExpression) -> bool:
    node = annotation.value if isinstance(annotation, cst.Subscript) else annotation
    return names.dotted(node).rsplit(".", 1)[-1] == "ClassVar"


def _key(subscript: cst.Subscript) -> cst.BaseExpression | None:
    """The key of `x[key]` (a tuple for `x[a, b]`); None for a slice."""
    elements = []
    for element in subscript.slice:
        if not isinstance(element.slice, cst.Index):
            return None
        elements.append(element.slice.value)
    if len(elements) == 1:
        return elements[0]
    return cst.Tuple([cst.Element(value) for value in elements])


def _parameters(function: cst.FunctionDef) -> frozenset[str]:
    params = function.params
    every = [*params.posonly_params, *params.params, *params.kwonly_params]
    for star in (params.star_arg, params.star_kwarg):
        if isinstance(star, cst.Param):
            every.append(star)
    return frozenset(p.name.value for p in every)


def _from_parameters(key: cst.BaseExpression, parameters: frozenset[str]) -> bool:
    """A parameter, something read off one (`cls.__name__`, `name.lower()`), or a tuple."""
    if isinstance(key, cst.Tuple):
        return bool(key.elements) and all(
            _from_parameters(e.value, parameters) for e in key.elements
        )
    if isinstance(key, cst.Call):
        # `name.lower()`, `type(loader)`: derived from parameters only.
        if key.args:
            return isinstance(key.func, cst.Name) and all(
                _from_parameters(arg.value, parameters) for arg in key.args
            )
        key = key.func
    while isinstance(key, cst.Attribute):
        key = key.value
    return isinstance(key, cst.Name) and key.value in parameters


def _made_of_parameters(value: cst.BaseExpression, parameters: frozenset[str]) -> bool:
    """A parameter, or a tuple or list of parameters and constants with one at least."""
    if isinstance(value, cst.Name):
        return value.value in parameters
    if isinstance(value, (cst.Tuple, cst.List)):
        items = [e.value for e in value.elements]
        return any(_made_of_parameters(i, parameters) for i in items) and all(
            _made_of_parameters(i, parameters) or is_constant_key(i) for i in items
        )
    return False


def _empty_display(value: cst.BaseExpression) -> bool:
    if isinstance(value, (cst.List, cst.Dict, cst.Set, cst.Tuple)):
        return not value.elements
    return isinstance(value, cst.Call) and not value.args and names.dotted(value) in _EMPTY_CALLS


_EMPTY_CALLS = frozenset({"list", "dict", "set"})


def _argument(call: cst.Call, keyword: str, position: int) -> cst.Arg | None:
    """The argument bound to parameter `keyword`, passed by name or at `position`."""
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == keyword:
            return arg
    if any(arg.star for arg in call.args):
        return None
    positional = [a for a in call.args if a.keyword is None]
    return positional[position] if len(positional) > position else None


def _augmented(operator: cst.BaseAugOp) -> tuple[UseKind, str]:
    if isinstance(operator, cst.AddAssign):
        return ("add", "`+=`")
    if isinstance(operator, cst.BitOrAssign):
        return ("add", "`|=`")
    return ("shrink", "an augmented assignment")


_Store = Literal["assign", "del"]


def _store_context(parents: dict[int, cst.CSTNode], node: cst.CSTNode) -> _Store | None:
    """Whether `node` is (part of) an assignment or `del` target."""
    parent = parents.get(id(node))
    while isinstance(parent, (cst.Element, cst.StarredElement, cst.Tuple, cst.List)):
        node, parent = parent, parents.get(id(parent))
    if isinstance(parent, cst.Del) and parent.target is node:
        return "del"
    targets: Iterable[tuple[type[cst.CSTNode], str]] = (
        (cst.AssignTarget, "target"),
        (cst.AnnAssign, "target"),
        (cst.For, "target"),
        (cst.CompFor, "target"),
        (cst.AsName, "name"),
        (cst.NamedExpr, "target"),
    )
    for kind, field in targets:
        if isinstance(parent, kind) and getattr(parent, field) is node:
            return "assign"
    return None


def _is_main_test(test: cst.BaseExpression) -> bool:
    if not isinstance(test, cst.Comparison) or len(test.comparisons) != 1:
        return False
    sides = (test.left, test.comparisons[0].comparator)
    has_name = any(isinstance(s, cst.Name) and s.value == "__name__" for s in sides)
    has_main = any(
        isinstance(s, cst.SimpleString) and s.evaluated_value == "__main__" for s in sides
    )
    return has_name and has_main


def _escape_description(parent: cst.CSTNode) -> str:
    if isinstance(parent, cst.Return):
        return "returned"
    if isinstance(parent, cst.Yield):
        return "yielded"
    if isinstance(parent, (cst.Assign, cst.AnnAssign, cst.NamedExpr)):
        return "bound to another name"
    if isinstance(parent, (cst.Element, cst.DictElement, cst.StarredElement)):
        return "stored in another container"
    if isinstance(parent, cst.Param):
        return "a parameter's default"
    return "used as a value"


_EMPTY = cst.Module([])


def _code(node: cst.CSTNode) -> str:
    return _EMPTY.code_for_node(node)
