"""MEM601: a function that calls itself on every path before it can return."""

from __future__ import annotations

import ast
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, Union

import libcst as cst
from libcst.metadata import Assignment, PositionProvider, Scope, ScopeProvider

from memlint.regions import Reach
from memlint.rule import Invalid, Rule, Valid
from memlint.semantic import astindex, context, names
from memlint.semantic.context import truthiness

if TYPE_CHECKING:
    from memlint.engine import FileContext
    from memlint.settings import Settings

# Where the paths through a statement go when the self-call has not run on them yet, as bits;
# CALLED marks the paths on which it has (they are done: the recursion is certain there).
_NEXT, _EXIT, _BREAK, _CONTINUE, _CALLED = 1, 2, 4, 8, 16
_LEAVES = _NEXT | _EXIT

# Decorators that keep the name bound to something that runs this very body.
_TRANSPARENT = frozenset(
    {
        "builtins.staticmethod",
        "builtins.classmethod",
        "functools.cache",
        "functools.lru_cache",
        "abc.abstractmethod",
        "typing.final",
        "typing.override",
        "typing_extensions.final",
        "typing_extensions.override",
    }
)
_GETTERS = frozenset({"builtins.property", "functools.cached_property"})
_STATIC = frozenset({"builtins.staticmethod"})
_EXIT_CALLS = context.NEVER_RETURNS
_EXIT_WORDS = frozenset(q.rsplit(".", 1)[-1] for q in _EXIT_CALLS)
# Builtins that take at least one item from the iterable they are given.
_CONSUMERS = frozenset(
    f"builtins.{name}"
    for name in (
        "list",
        "tuple",
        "set",
        "frozenset",
        "dict",
        "sorted",
        "sum",
        "min",
        "max",
        "any",
        "all",
        "next",
    )
)
_SUPPRESS = frozenset({"contextlib.suppress"})

# What a self-reference is, by the kind of def:
#   function: a call of its own name; method: `self.m(...)`, `cls.m(...)`, `C.m(...)`;
#   getter: a read of `self.name`; setter: an assignment to `self.name`.
Kind = Literal["function", "method", "getter", "setter"]
# How a call of the def runs its body: a plain function at once; a coroutine function only
# when awaited; a generator function only when iterated; an async generator when iterated
# with `async for`.
Mode = Literal["plain", "coroutine", "generator", "async-generator"]
_Comprehension = Union[cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp]
_Statement = Union[cst.BaseStatement, cst.BaseSmallStatement]
# Stack entries of the expression walk: expand as a read, expand as an assignment target,
# or the node's own event (after its children, which are evaluated first).
_LOAD, _STORE, _AFTER_LOAD, _AFTER_STORE = 0, 1, 2, 3


@dataclass
class _Def:
    """A def being visited, and what its body was seen to contain."""

    node: cst.FunctionDef | cst.Lambda
    refers: bool = False  # a call of its own name, or an attribute named like it
    yields: bool = False


@dataclass
class _Target:
    """What counts as a self-reference in one def's body."""

    kind: Kind
    mode: Mode
    name: str
    # Name nodes (by id) that refer to this def (function) or that may receive it (method:
    # the first parameter and the class name; getter/setter: the first parameter).
    refs: frozenset[int]
    consumed: set[int] = field(default_factory=set)


class _Paths:
    """Path analysis of one def's body: does every path run a self-reference before leaving?"""

    def __init__(self, rule: UnboundedRecursion, target: _Target) -> None:
        self.rule = rule
        self.target = target
        # Conditional expressions whose branches both recurse.
        self.sure: set[int] = set()

    # -- statements ----------------------------------------------------------------------

    def block(self, statements: Sequence[_Statement]) -> int:
        out = 0
        for statement in statements:
            flow = self.statement(statement)
            out |= flow & ~_NEXT
            if not flow & _NEXT:
                return out
        return out | _NEXT

    def suite(self, suite: cst.BaseSuite) -> int:
        return self.block(suite.body)

    def statement(self, node: _Statement) -> int:
        if isinstance(node, (cst.SimpleStatementLine, cst.SimpleStatementSuite)):
            return self.block(node.body)
        if isinstance(node, cst.Expr):
            return self.scan([(node.value, _LOAD)])
        if isinstance(node, cst.Assign):
            return self.scan([(node.value, _LOAD), *((t.target, _STORE) for t in node.targets)])
        if isinstance(node, cst.AugAssign):
            return self.scan([(node.target, _LOAD), (node.value, _LOAD), (node.target, _STORE)])
        if isinstance(node, cst.AnnAssign):
            value = [] if node.value is None else [(node.value, _LOAD)]
            return self.scan([*value, (node.target, _STORE)])
        if isinstance(node, (cst.Return, cst.Raise, cst.Assert)):
            return _leave(self.scan(_leaving_parts(node)), node)
        if isinstance(node, cst.Break):
            return _BREAK
        if isinstance(node, cst.Continue):
            return _CONTINUE
        if isinstance(node, cst.If):
            return self.if_(node)
        if isinstance(node, (cst.For, cst.While)):
            return self.loop(node)
        if isinstance(node, (cst.Try, cst.TryStar)):
            return self.try_(node)
        if isinstance(node, cst.With):
            return self.with_(node)
        if isinstance(node, cst.Match):
            return self.match(node)
        # Imports, `pass`, `global`, `del`, nested defs and classes (their bodies do not run
        # here).
        return _NEXT

    def then(self, first: int, rest: int) -> int:
        """`first`'s outcomes, with the paths that fall through it continuing into `rest`."""
        return first & ~_NEXT | rest if first & _NEXT else first

    def if_(self, node: cst.If) -> int:
        test = self.scan([(node.test, _LOAD)])
        if not test & _NEXT:
            return test
        branches = self.suite(node.body)
        if isinstance(node.orelse, cst.If):
            branches |= self.if_(node.orelse)
        elif isinstance(node.orelse, cst.Else):
            branches |= self.suite(node.orelse.body)
        else:
            branches |= _NEXT
        return self.then(test, branches)

    def loop(self, node: cst.For | cst.While) -> int:
        if isinstance(node, cst.For):
            self.consume_iterable(node.iter, node.asynchronous is not None)
            head = self.scan([(node.iter, _LOAD)])
            endless = False
        else:
            head = self.scan([(node.test, _LOAD)])
            # The body of `while True:` runs at least once, and only a `break` ends the loop.
            endless = truthiness(node.test) is True
        if not head & _NEXT:
            return head
        body = self.suite(node.body)
        out = body & (_EXIT | _CALLED)
        if body & _BREAK:
            out |= _NEXT
        if not endless:
            # The body may run zero times.
            out |= _NEXT if node.orelse is None else self.suite(node.orelse.body)
        return self.then(head, out)

    def try_(self, node: cst.Try | cst.TryStar) -> int:
        out = self.suite(node.body)
        if node.orelse is not None and out & _NEXT:
            out = self.then(out, self.suite(node.orelse.body))
        # Anything in the body may raise before the self-call runs, so every handler is a
        # path that has not recursed yet.
        for handler in node.handlers:
            out |= self.suite(handler.body)
        if node.finalbody is None:
            return out
        final = self.suite(node.finalbody.body)
        if not final & _NEXT:
            return final
        return out | final & ~_NEXT

    def with_(self, node: cst.With) -> int:
        head = self.scan([(item.item, _LOAD) for item in node.items])
        if not head & _NEXT:
            return head
        body = self.suite(node.body)
        # `with suppress(...)`: an exception anywhere in the body continues after it.
        if any(self.rule.resolves(item.item, _SUPPRESS) for item in node.items):
            body |= _NEXT
        return self.then(head, body)

    def match(self, node: cst.Match) -> int:
        head = self.scan([(node.subject, _LOAD)])
        if not head & _NEXT:
            return head
        cases = 0
        for case in node.cases:
            cases |= self.suite(case.body)
        if not any(_irrefutable(case) for case in node.cases):
            cases |= _NEXT
        return self.then(head, cases)

    # -- expressions ---------------------------------------------------------------------

    def scan(self, items: Sequence[tuple[cst.CSTNode, int]]) -> int:
        """The outcomes of evaluating `items` in order (each a read or an assignment target).

        Walks in evaluation order, children before the node's own event; parts that may not
        run (one branch of `x if c else y`, the right of `and`/`or`, a comprehension's
        elements, a lambda) never make a self-reference certain, but an exit call there
        still may leave. A `yield` may leave: the consumer can stop taking items.
        """
        may_leave = False
        # (node, phase, certain)
        stack: list[tuple[cst.CSTNode, int, bool]] = [(n, p, True) for n, p in reversed(items)]
        while stack:
            node, phase, certain = stack.pop()
            if phase in (_AFTER_LOAD, _AFTER_STORE):
                event = self.event(node, phase == _AFTER_STORE)
                if event == "self" and certain:
                    return _CALLED | (_EXIT if may_leave else 0)
                if event == "exit" and certain:
                    return _EXIT
                may_leave = may_leave or event in ("exit", "yield")
                continue
            stack.append((node, _AFTER_STORE if phase == _STORE else _AFTER_LOAD, certain))
            children = self.store_parts(node) if phase == _STORE else self.load_parts(node)
            stack.extend((child, ph, certain and sure) for child, ph, sure in reversed(children))
        return _NEXT | (_EXIT if may_leave else 0)

    def surely_calls(self, node: cst.BaseExpression) -> bool:
        return self.scan([(node, _LOAD)]) == _CALLED

    def load_parts(self, node: cst.CSTNode) -> list[tuple[cst.CSTNode, int, bool]]:
        """The parts of an expression in evaluation order, each with whether it surely runs."""
        if isinstance(node, (cst.Lambda, cst.FunctionDef, cst.ClassDef)):
            return []
        if isinstance(node, cst.IfExp):
            # Both branches recursing is as sure as an `if` whose branches both do.
            if self.surely_calls(node.body) and self.surely_calls(node.orelse):
                self.sure.add(id(node))
            return [
                (node.test, _LOAD, True),
                (node.body, _LOAD, False),
                (node.orelse, _LOAD, False),
            ]
        if isinstance(node, cst.BooleanOperation):
            return [(node.left, _LOAD, True), (node.right, _LOAD, False)]
        if isinstance(node, cst.Comparison):
            # `a < b < c` evaluates `c` only when `a < b`.
            rest = [(c.comparator, _LOAD, i == 0) for i, c in enumerate(node.comparisons)]
            return [(node.left, _LOAD, True), *rest]
        if isinstance(node, (cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)):
            return self.comprehension_parts(node)
        if isinstance(node, cst.NamedExpr):
            return [(node.value, _LOAD, True), (node.target, _STORE, True)]
        if isinstance(node, cst.Yield) and isinstance(node.value, cst.From):
            self.consume(node.value.item, "generator")
        elif isinstance(node, cst.Await):
            self.consume(node.expression, "coroutine")
        elif isinstance(node, cst.Call) and self.target.mode == "generator" and node.args:
            self.consume_argument(node)
        return [(child, _LOAD, True) for child in node.children]

    def store_parts(self, node: cst.CSTNode) -> list[tuple[cst.CSTNode, int, bool]]:
        if isinstance(node, (cst.Tuple, cst.List)):
            return [(element.value, _STORE, True) for element in node.elements]
        if isinstance(node, cst.StarredElement):
            return [(node.value, _STORE, True)]
        if isinstance(node, cst.Attribute):
            return [(node.value, _LOAD, True)]
        if isinstance(node, cst.Subscript):
            return [(node.value, _LOAD, True), *((s, _LOAD, True) for s in node.slice)]
        return []

    def comprehension_parts(self, node: _Comprehension) -> list[tuple[cst.CSTNode, int, bool]]:
        # Only the first iterable is evaluated at once; the rest runs once per element.
        first = node.for_in
        self.consume_iterable(first.iter, first.asynchronous is not None)
        parts: list[tuple[cst.CSTNode, int, bool]] = [(first.iter, _LOAD, True)]
        if isinstance(node, cst.DictComp):
            parts += [(node.key, _LOAD, False), (node.value, _LOAD, False)]
        else:
            parts.append((node.elt, _LOAD, False))
        parts += [(test.test, _LOAD, False) for test in first.ifs]
        if first.inner_for_in is not None:
            parts.append((first.inner_for_in, _LOAD, False))
        return parts

    # -- what consumes a generator or awaits a coroutine ---------------------------------

    def consume(self, node: cst.CSTNode, mode: Mode) -> None:
        if self.target.mode == mode and isinstance(node, cst.Call):
            self.target.consumed.add(id(node))

    def consume_iterable(self, node: cst.BaseExpression, asynchronous: bool) -> None:
        self.consume(node, "async-generator" if asynchronous else "generator")

    def consume_argument(self, node: cst.Call) -> None:
        first = node.args[0]
        if first.keyword is not None or first.star or not isinstance(first.value, cst.Call):
            return
        if self.rule.resolves(node, _CONSUMERS):
            self.target.consumed.add(id(first.value))

    # -- events --------------------------------------------------------------------------

    def event(self, node: cst.CSTNode, store: bool) -> str | None:
        if id(node) in self.sure:
            return "self"
        target = self.target
        if isinstance(node, cst.Attribute):
            if target.kind == ("setter" if store else "getter") and self.on_receiver(node):
                return "self"
            return None
        if isinstance(node, cst.Yield):
            return "yield"
        if not isinstance(node, cst.Call):
            return None
        if self.is_self_call(node):
            return "self"
        if self.is_exit_call(node):
            return "exit"
        return None

    def on_receiver(self, node: cst.Attribute) -> bool:
        value = node.value
        return (
            node.attr.value == self.target.name
            and isinstance(value, cst.Name)
            and id(value) in self.target.refs
        )

    def is_self_call(self, node: cst.Call) -> bool:
        target = self.target
        if target.kind == "function":
            found = isinstance(node.func, cst.Name) and id(node.func) in target.refs
        elif target.kind == "method":
            found = isinstance(node.func, cst.Attribute) and self.on_receiver(node.func)
        else:
            return False
        return found and (target.mode == "plain" or id(node) in target.consumed)

    def is_exit_call(self, node: cst.Call) -> bool:
        func = node.func
        word = (
            func.value
            if isinstance(func, cst.Name)
            else func.attr.value
            if isinstance(func, cst.Attribute)
            else ""
        )
        return word in _EXIT_WORDS and self.rule.resolves(node, _EXIT_CALLS)


def _leaving_parts(node: cst.Return | cst.Raise | cst.Assert) -> list[tuple[cst.CSTNode, int]]:
    if isinstance(node, cst.Return):
        return [] if node.value is None else [(node.value, _LOAD)]
    if isinstance(node, cst.Raise):
        parts: list[tuple[cst.CSTNode, int]] = [] if node.exc is None else [(node.exc, _LOAD)]
        return parts + ([] if node.cause is None else [(node.cause.item, _LOAD)])
    return [(node.test, _LOAD)]


def _leave(flow: int, node: cst.Return | cst.Raise | cst.Assert) -> int:
    """A `return` or `raise` that is reached leaves; an `assert` may leave or go on."""
    if not flow & _NEXT:
        return flow
    if isinstance(node, cst.Assert):
        return flow | _EXIT
    return flow & ~_NEXT | _EXIT


def _irrefutable(case: cst.MatchCase) -> bool:
    # `case _:` and `case name:` match anything; a guard makes them refutable again.
    pattern = case.pattern
    return case.guard is None and isinstance(pattern, cst.MatchAs) and pattern.pattern is None


def _first_param(node: cst.FunctionDef) -> cst.Param | None:
    params = node.params
    found = [*params.posonly_params, *params.params]
    return found[0] if found else None


def _setter_of(decorator: cst.Decorator) -> str | None:
    """`x` for `@x.setter`, `@x.getter`, `@x.deleter` (by shape: the property's own name)."""
    shape = names.dotted(decorator.decorator)
    head, _, tail = shape.rpartition(".")
    if tail in ("setter", "getter", "deleter") and head and "." not in head:
        return f"{head}.{tail}"
    return None


class UnboundedRecursion(Rule):
    """
    ## What it does
    Flags a function that calls itself on every path before it can leave: no reachable
    base case. The analysis walks the body in order; the function is flagged when a
    self-call is certain to run before anything that can leave it (`return`, `raise`,
    `assert`, `yield`, a call of `sys.exit`/`os._exit`/`os.abort`/`exit`/`quit`/`pytest.fail`,
    or falling off the end).

    A self-call is a call of the function's own name that resolves to this very def (not a
    parameter or local of the same name, not a name the scope binds twice, such as a later
    redefinition or `f = wrap(f)`). In a method `m` it is `self.m(...)` (the first
    parameter of an instance method), `cls.m(...)` in a classmethod, or `C.m(...)` with `C`
    the enclosing class; a bare `m()` inside a method is not the method (method names are
    not in scope in their own body), and neither is `super().m()` or `other.m()`. A property
    getter `name` that reads `self.name` on every path, and its setter when it assigns
    `self.name` on every path, recurse the same way and are flagged too.

    A self-call counts only where it surely runs: not inside a nested `def`, `lambda` or
    comprehension element, a `for` body (it may run zero times), a `while` body (except
    `while True:`, whose body runs at least once), one branch of an `if` (unless every
    branch calls), the right side of `and`/`or`, one branch of `x if c else y`, a `match`
    case (unless every case calls and one is `case _:`), or an `except` handler. A handler
    counts as a path that has not recursed yet, since the `try` body may raise before the
    call: `try: return f(x) except E: return None` is not flagged; nor is a call inside
    `with contextlib.suppress(...)`. Outside those, an exception that ordinary code may
    raise (a `KeyError`, a `StopIteration`) is not taken for a base case.

    A generator function's body runs only when the generator is iterated: its self-call
    counts in `yield from f()`, `for x in f()`, a comprehension over `f()`, or `list(f())`
    and similar consumers, but not in a bare `f()`; and a `yield` before it leaves (the
    consumer decides how deep the recursion goes). A coroutine's self-call counts only in
    `await f()`; `asyncio.create_task(f())` or an un-awaited `f()` does not recurse.

    Not flagged: a def with a decorator other than `staticmethod`, `classmethod`,
    `property`, `functools.cached_property`, `functools.cache`/`lru_cache`,
    `abc.abstractmethod`, `typing.final`/`override` (the decorator may replace the name
    with something that dispatches elsewhere: `@functools.singledispatch`, `@overload`,
    `@register`), a method whose name is also assigned as an attribute somewhere in the
    module (an instance attribute shadows the method), and `type(self).m()`. Recursion
    through another function (`a` calls `b` calls `a`), through a builtin (`__repr__`
    returning `repr(self)`, `__getattr__` calling `getattr(self, name)`) or through
    `setattr`/`getattr` with the property's name is not looked for.

    ## Why is this bad?
    Every call pushes a frame that holds its arguments and locals until it returns. With
    no base case nothing ever returns: the stack grows until `RecursionError`, after the
    frames have pinned whatever objects they reference; in threads with a raised
    recursion limit, or in C extensions, it can crash the process instead.

    ## Example
    ```python
    def countdown(n):
        print(n)
        return countdown(n - 1)
    ```

    ## Use instead
    ```python
    def countdown(n):
        if n < 0:
            return None
        print(n)
        return countdown(n - 1)
    ```

    Or, for deep structures, an explicit stack:

    ```python
    def walk(root):
        stack = [root]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(node.children)
    ```

    ## References
    - [Recursion limit](https://docs.python.org/3/library/sys.html#sys.setrecursionlimit)
    - [RecursionError](https://docs.python.org/3/library/exceptions.html#RecursionError)
    """

    code = "MEM601"
    name = "unbounded-recursion"
    summary = "A function that calls itself on every path before it can return"
    # No word is telling: any name can call itself. `ast_candidate` is the cheap evidence.
    triggers = ()
    METADATA_DEPENDENCIES = (PositionProvider, ScopeProvider, *names.PROVIDERS)

    cases = (
        Invalid(
            """
            def countdown(n):
                print(n)
                return countdown(n - 1)
            """,
            line=1,
            column=1,
        ),
        # Every branch recurses: the `if` is not a base case.
        Invalid(
            """
            def collatz(n):
                if n % 2:
                    return collatz(3 * n + 1)
                else:
                    return collatz(n // 2)
            """,
        ),
        # Reported at `async`, not at the decorator; `await` runs the coroutine's body.
        Invalid(
            """
            from functools import cache as memo
            class Tree:
                @memo
                async def depth(self):
                    return 1 + await self.depth()
            """,
            line=4,
            column=5,
        ),
        Invalid(
            """
            class Node:
                @classmethod
                def root(cls, registry):
                    return Node.root(registry.parent)
            """,
            line=3,
        ),
        # The getter reads its own property instead of the attribute behind it.
        Invalid(
            """
            class User:
                @property
                def name(self):
                    return self.name.title()
            """,
            line=3,
        ),
        Invalid(
            """
            class User:
                @property
                def email(self):
                    return self._email
                @email.setter
                def email(self, value):
                    self.email = value.lower()
            """,
            line=6,
        ),
        # Iterating the generator runs its body, which iterates again before any `yield`.
        Invalid(
            """
            def walk(node):
                yield from walk(node.left)
                yield node
            """,
        ),
        # `while True:` runs its body; the `continue` path loops, it does not leave.
        Invalid(
            """
            def serve(sock):
                while True:
                    conn = sock.accept()
                    if conn is None:
                        continue
                    return serve(sock)
            """,
        ),
        # There is a base case.
        Valid(
            """
            def factorial(n):
                if n <= 1:
                    return 1
                return n * factorial(n - 1)
            """
        ),
        # A `for` body may run zero times: the leaves end the recursion.
        Valid(
            """
            def visit(node):
                for child in node.children:
                    visit(child)
            """
        ),
        # Method names are not in scope in their own body: this calls the module's `read`.
        Valid(
            """
            from os import read
            class Pipe:
                def read(self, n):
                    return read(self.fd, n)
            """
        ),
        Valid(
            """
            class Child(Base):
                def save(self, *args):
                    self.touch()
                    return super().save(*args)
            """
        ),
        # A generator that yields first: the consumer decides how deep it goes.
        Valid(
            """
            def naturals(n=0):
                yield n
                yield from naturals(n + 1)
            """
        ),
        # The generic function dispatches on the new argument's type to another implementation.
        Valid(
            """
            import functools
            @functools.singledispatch
            def to_json(obj):
                return to_json(vars(obj))
            @to_json.register
            def _(obj: dict):
                return obj
            """
        ),
        # Scheduling a task, or creating a coroutine without awaiting it, does not recurse.
        Valid(
            """
            import asyncio
            async def tick(interval):
                await asyncio.sleep(interval)
                asyncio.get_running_loop().create_task(tick(interval))
            """
        ),
        # Anything in the `try` body can raise before the call; the handler is a base case.
        Valid(
            """
            def parse(text):
                try:
                    return parse(normalize(text))
                except ValueError:
                    return None
            """
        ),
        # The parameter shadows the function; the later `def` rebinds the name.
        Valid(
            """
            def apply(apply, x):
                return apply(x)
            def load():
                return load()
            def load():
                return {}
            """
        ),
        Valid(
            """
            import sys
            def prompt():
                answer = input("again? ")
                if answer == "q":
                    sys.exit(0)
                prompt()
            """
        ),
        # The instance attribute set in `__init__` shadows the method.
        Valid(
            """
            class Hooks:
                def __init__(self, callback=None):
                    if callback is not None:
                        self.on_event = callback
                def on_event(self, event):
                    return self.on_event(event)
            """
        ),
        # An `assert` leaves on bad input; a `match` without `case _:` may match nothing.
        Valid(
            """
            def descend(n):
                assert n > 0
                return descend(n - 1)
            def fold(expr):
                match expr:
                    case ("add", left, right):
                        return fold(left) + fold(right)
            """
        ),
    )

    def __init__(self, context: FileContext) -> None:
        super().__init__(context)
        self._defs: list[_Def | None] = []  # None for a class body
        # Attribute names assigned anywhere (`x.m = ...`): such an `m` may be shadowed.
        self._assigned_attributes: set[str] = set()
        self._methods: list[tuple[cst.FunctionDef, _Target]] = []

    # -- the cheap pre-filter -------------------------------------------------------------

    reach = Reach.FUNCTION

    @classmethod
    def ast_places(cls, tree: ast.Module, settings: Settings) -> list[ast.AST]:
        """The defs that refer to themselves where that surely runs (conservative).

        A self-reference is a call of the def's own name, or `<r>.<name>` with `r` the
        def's first parameter or a class of the module (`self.f()`, `cls.f()`, `C.f()`, a
        property's `self.f`). It counts unless it sits where the rule never counts one: a
        `for` body, a `while` body other than `while True`, a lambda, a comprehension (but
        its first iterable), a nested def, the right side of `and`/`or`, or one branch of
        an `if`/`x if c else y` whose other branch refers to nothing. Earlier returns are
        not looked at (the rule decides those).
        """
        classes = frozenset(n.name for n in astindex.nodes(tree, ast.ClassDef))
        found: list[ast.AST] = []
        for node in _mentioning_defs(tree):
            first = (node.args.posonlyargs + node.args.args)[:1]
            own = _Own(node.name, classes | {arg.arg for arg in first}, node)
            stack: list[tuple[ast.AST, bool]] = [(statement, True) for statement in node.body]
            while stack:
                inner, sure = stack.pop()
                if isinstance(inner, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    # Its body is its own; what it runs here is its decorators and defaults.
                    stack += [(child, sure) for child in (*inner.decorator_list, inner.args)]
                    continue
                if sure and _refers(inner, own):
                    found.append(node)
                    break
                stack += [(child, sure and ok) for child, ok in _sure_children(inner, own)]
        return found

    # -- the traversal --------------------------------------------------------------------

    def resolves(self, node: cst.CSTNode, candidates: frozenset[str]) -> bool:
        return names.resolves_to(self, node, candidates) is not None

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._defs.append(None)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._defs.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._defs.append(_Def(node))

    def visit_Lambda(self, node: cst.Lambda) -> None:
        self._defs.append(_Def(node))

    def leave_Lambda(self, original_node: cst.Lambda) -> None:
        self._defs.pop()

    def _innermost(self) -> _Def | None:
        return self._defs[-1] if self._defs else None

    def visit_Yield(self, node: cst.Yield) -> None:
        innermost = self._innermost()
        if innermost is not None:
            innermost.yields = True

    def visit_Call(self, node: cst.Call) -> None:
        innermost = self._innermost()
        func = node.func
        if (
            innermost is not None
            and isinstance(innermost.node, cst.FunctionDef)
            and isinstance(func, cst.Name)
            and func.value == innermost.node.name.value
        ):
            innermost.refers = True

    def visit_Attribute(self, node: cst.Attribute) -> None:
        innermost = self._innermost()
        if (
            innermost is not None
            and isinstance(innermost.node, cst.FunctionDef)
            and node.attr.value == innermost.node.name.value
        ):
            innermost.refers = True

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        self._note_attributes(node.target)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._note_attributes(node.target)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._note_attributes(node.target)

    def _note_attributes(self, target: cst.BaseExpression) -> None:
        if isinstance(target, cst.Attribute):
            self._assigned_attributes.add(target.attr.value)
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self._note_attributes(element.value)
        elif isinstance(target, cst.StarredElement):
            self._note_attributes(target.value)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        seen = self._defs.pop()
        # The cheapest guard: nothing in the body calls the name or touches `x.<name>`.
        if seen is None or not seen.refers:
            return
        in_class = bool(self._defs) and self._defs[-1] is None
        target = self._target(original_node, in_class, seen.yields)
        if target is None:
            return
        if _Paths(self, target).suite(original_node.body) & (_LEAVES | _CALLED) != _CALLED:
            return
        if target.kind == "method":
            # Reported at the end: an attribute assignment later in the module may shadow it.
            self._methods.append((original_node, target))
            return
        self._flag(original_node, target)

    def leave_Module(self, original_node: cst.Module) -> None:
        # The libcst module may hold only the regions around candidates (memlint/regions.py):
        # attributes are assigned anywhere in the file.
        tree = self.context.tree
        assigned = self._assigned_attributes | (_tree_assigned_attributes(tree) if tree else set())
        for node, target in self._methods:
            if target.name not in assigned:
                self._flag(node, target)

    def _flag(self, node: cst.FunctionDef, target: _Target) -> None:
        name = target.name
        if target.kind == "getter":
            message = (
                f"Property `{name}` reads `self.{name}` on every path, which runs the getter "
                "again, so the stack grows until `RecursionError`"
            )
            suggestion = f"Keep the value in another attribute (`self._{name}`)"
        elif target.kind == "setter":
            message = (
                f"Setter of `{name}` assigns `self.{name}` on every path, which runs the "
                "setter again, so the stack grows until `RecursionError`"
            )
            suggestion = f"Keep the value in another attribute (`self._{name}`)"
        else:
            message = (
                f"`{name}` calls itself on every path before it can return, so the stack "
                "grows until `RecursionError`"
            )
            suggestion = (
                "Add a base case that returns without recursing, or rewrite with an explicit stack"
            )
        self.report(node, message, suggestion=suggestion)

    # -- what is a self-reference --------------------------------------------------------

    def _target(self, node: cst.FunctionDef, in_class: bool, yields: bool) -> _Target | None:
        name = node.name.value
        if node.asynchronous is not None:
            mode: Mode = "async-generator" if yields else "coroutine"
        else:
            mode = "generator" if yields else "plain"
        kind = self._kind(node, in_class)
        if kind is None:
            return None
        scope = self.get_metadata(ScopeProvider, node, None)
        if scope is None:
            return None
        if kind == "function":
            refs = self._def_refs(scope, name, node)
            return None if refs is None else _Target(kind, mode, name, refs)
        if kind in ("getter", "setter") and not self._property_chain(scope, name, kind):
            return None
        if kind == "method" and self._def_refs(scope, name, node) is None:
            return None
        receivers = self._receiver_refs(node, kind)
        if not receivers:
            return None
        return _Target(kind, mode, name, receivers)

    def _kind(self, node: cst.FunctionDef, in_class: bool) -> Kind | None:
        """What a self-reference looks like here; None when a decorator may replace the def."""
        kind: Kind = "method" if in_class else "function"
        for decorator in node.decorators:
            if self.resolves(decorator, _TRANSPARENT):
                continue
            if in_class and self.resolves(decorator, _GETTERS):
                kind = "getter"
            elif in_class and _setter_of(decorator) == f"{node.name.value}.setter":
                kind = "setter"
            else:
                return None
        return kind

    def _def_refs(self, scope: Scope, name: str, node: cst.CSTNode) -> frozenset[int] | None:
        """The names referring to `node`, when it is the scope's only binding of `name`."""
        assignments = scope.assignments[name]
        if len(assignments) != 1:
            return None
        only = next(iter(assignments))
        if not isinstance(only, Assignment) or only.node is not node:
            return None
        return frozenset(id(access.node) for access in only.references)

    def _receiver_refs(self, node: cst.FunctionDef, kind: Kind) -> frozenset[int]:
        """The names in a method's body that are its class or its first parameter."""
        refs: set[int] = set()
        first = _first_param(node)
        static = any(self.resolves(d, _STATIC) for d in node.decorators)
        if first is not None and not static:
            inner = self.get_metadata(ScopeProvider, first.name, None)
            found = None if inner is None else self._def_refs(inner, first.name.value, first)
            refs |= found or set()
        if kind == "method":
            refs |= self._class_refs(node)
        return frozenset(refs)

    def _class_refs(self, node: cst.FunctionDef) -> set[int]:
        class_def = self._enclosing_class(node)
        if class_def is None:
            return set()
        scope = self.get_metadata(ScopeProvider, class_def, None)
        if scope is None:
            return set()
        return set(self._def_refs(scope, class_def.name.value, class_def) or ())

    def _enclosing_class(self, node: cst.FunctionDef) -> cst.ClassDef | None:
        scope = self.get_metadata(ScopeProvider, node, None)
        owner = getattr(scope, "node", None)
        return owner if isinstance(owner, cst.ClassDef) else None

    def _property_chain(self, scope: Scope, name: str, kind: Kind) -> bool:
        """The class binds `name` only to the property's getter, setter and deleter defs."""
        getters = setters = 0
        for assignment in scope.assignments[name]:
            found = getattr(assignment, "node", None)
            if not isinstance(found, cst.FunctionDef):
                return False
            shapes = {_setter_of(d) for d in found.decorators}
            if f"{name}.getter" in shapes:
                return False
            if f"{name}.setter" in shapes:
                setters += 1
            elif f"{name}.deleter" not in shapes:
                getters += 1
        return getters == 1 and (kind == "getter" or setters == 1)


# -- the ast pre-filter ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Own:
    """A def seen by the pre-filter: its name, and the names a self-reference goes through."""

    name: str
    receivers: frozenset[str]
    node: ast.AST = field(compare=False)


def _mentioning_defs(tree: ast.Module) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    """The defs whose body mentions their own name (a name read, or an attribute): the
    only ones that can refer to themselves, found with one look at the shared index."""
    lines: dict[str, list[int]] = {}
    for name in astindex.nodes(tree, ast.Name):
        lines.setdefault(name.id, []).append(name.lineno)
    for attribute in astindex.nodes(tree, ast.Attribute):
        lines.setdefault(attribute.attr, []).append(attribute.end_lineno or attribute.lineno)
    defs: list[ast.FunctionDef | ast.AsyncFunctionDef] = [
        *astindex.nodes(tree, ast.FunctionDef),
        *astindex.nodes(tree, ast.AsyncFunctionDef),
    ]
    return [
        node
        for node in defs
        if any(
            node.lineno <= line <= (node.end_lineno or node.lineno)
            for line in lines.get(node.name, ())
        )
    ]


def _tree_assigned_attributes(tree: ast.Module) -> set[str]:
    """`_note_attributes` on CPython's tree: the attribute names assignments target."""
    found: set[str] = set()
    targets: list[ast.expr] = [t for node in astindex.nodes(tree, ast.Assign) for t in node.targets]
    targets += [node.target for node in astindex.nodes(tree, ast.AugAssign)]
    targets += [node.target for node in astindex.nodes(tree, ast.AnnAssign)]
    while targets:
        target = targets.pop()
        if isinstance(target, ast.Attribute):
            found.add(target.attr)
        elif isinstance(target, (ast.Tuple, ast.List)):
            targets += target.elts
        elif isinstance(target, ast.Starred):
            targets.append(target.value)
    return found


def _refers(node: ast.AST, own: _Own) -> bool:
    if isinstance(node, ast.Attribute):
        value = node.value
        return node.attr == own.name and isinstance(value, ast.Name) and value.id in own.receivers
    func = node.func if isinstance(node, ast.Call) else None
    return isinstance(func, ast.Name) and func.id == own.name


def _mentions(nodes: Sequence[ast.AST], own: _Own) -> bool:
    return any(_refers(inner, own) for node in nodes for inner in ast.walk(node))


def _sure_children(node: ast.AST, own: _Own) -> Sequence[tuple[ast.AST, bool]]:
    """`node`'s children, each with whether it runs whenever `node` does (as far as the
    rule counts it); True wherever unsure, so the pre-filter never hides a finding."""
    if isinstance(node, (ast.For, ast.AsyncFor)):
        return [(node.target, True), (node.iter, True)] + [
            (child, False) for child in (*node.body, *node.orelse)
        ]
    if isinstance(node, ast.While):
        endless = isinstance(node.test, ast.Constant) and bool(node.test.value)
        return (
            [(node.test, True)]
            + [(child, endless) for child in node.body]
            + [(child, False) for child in node.orelse]
        )
    if isinstance(node, (ast.If, ast.IfExp)):
        body = node.body if isinstance(node.body, list) else [node.body]
        orelse = node.orelse if isinstance(node.orelse, list) else [node.orelse]
        both = _mentions(body, own) and _mentions(orelse, own)
        return [(node.test, True)] + [(child, both) for child in (*body, *orelse)]
    if isinstance(node, ast.BoolOp):
        return [(node.values[0], True)] + [(value, False) for value in node.values[1:]]
    if isinstance(node, ast.Lambda):
        return [(node.args, True), (node.body, False)]
    if isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
        first = node.generators[0].iter
        return [(first, True)] + [
            (child, False) for child in ast.iter_child_nodes(node) if child is not first
        ]
    return [(child, True) for child in ast.iter_child_nodes(node)]
