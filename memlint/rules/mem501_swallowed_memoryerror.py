"""MEM501: an `except` clause that catches `MemoryError` and lets the program carry on."""

from __future__ import annotations

import ast
from collections.abc import Sequence
from typing import TYPE_CHECKING, Callable, Union

import libcst as cst
import libcst.matchers as m
from libcst.metadata import Assignment, GlobalScope, PositionProvider, ScopeProvider

from memlint.diagnostics import Applicability, Confidence
from memlint.regions import Reach
from memlint.rule import FixSpec, Invalid, Rule, Valid
from memlint.semantic import astindex, context, names, provenance

if TYPE_CHECKING:
    from memlint.settings import Settings

_MEMORY_ERROR = frozenset({"builtins.MemoryError"})
_EXITS = context.NEVER_RETURNS
# unittest.TestCase methods that always raise (fail, or skip the test).
_TESTCASE_EXITS = m.Call(
    func=m.Attribute(value=m.Name("self"), attr=m.Name("fail") | m.Name("skipTest"))
)
# `E = F = MemoryError` chains are followed this far (and no further, so cycles end).
_ALIAS_DEPTH = 4
# Parsers and compilers that raise MemoryError (not RecursionError) for code nested too
# deeply: a handler around them catches "too deep", not "out of memory".
_PARSERS = frozenset(
    {
        "builtins.compile",
        "builtins.eval",
        "builtins.exec",
        "ast.parse",
        "ast.literal_eval",
    }
)

_Try = Union[cst.Try, cst.TryStar]
_Escape = Union[cst.Return, cst.Break, cst.Continue]
_IsExit = Callable[[cst.Call], bool]
_EXPLAIN = {
    cst.Return: "falls back with `return`",
    cst.Continue: "moves on with `continue`",
    cst.Break: "leaves the loop with `break`",
}

# -- path analysis ---------------------------------------------------------------------------
# A statement "terminates" when every path through it ends in a raise or an exit call, and
# none leaves it first through `return`, `break` or `continue`.


class _Escapes(cst.CSTVisitor):
    """The `return`s, and the `break`s/`continue`s that leave the visited statements."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[_Escape] = []
        self._loops = 0

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False

    def visit_Return(self, node: cst.Return) -> None:
        self.found.append(node)

    def visit_Break(self, node: cst.Break) -> None:
        if not self._loops:
            self.found.append(node)

    def visit_Continue(self, node: cst.Continue) -> None:
        if not self._loops:
            self.found.append(node)

    def visit_For(self, node: cst.For) -> bool:
        self._loop(node)
        return False

    def visit_While(self, node: cst.While) -> bool:
        self._loop(node)
        return False

    def _loop(self, node: cst.For | cst.While) -> None:
        # `break`/`continue` in the body belong to this loop; in its `else` to the outer one.
        self._loops += 1
        node.body.visit(self)
        self._loops -= 1
        if node.orelse is not None:
            node.orelse.visit(self)


def _escapes(node: cst.CSTNode) -> list[_Escape]:
    collector = _Escapes()
    node.visit(collector)
    return collector.found


def _lines(suite: cst.BaseSuite) -> Sequence[cst.BaseStatement | cst.BaseSmallStatement]:
    return suite.body


def _suite_terminates(suite: cst.BaseSuite, is_exit: _IsExit) -> bool:
    return _list_terminates(_lines(suite), is_exit)


def _list_terminates(
    statements: Sequence[cst.BaseStatement | cst.BaseSmallStatement], is_exit: _IsExit
) -> bool:
    """Some statement terminates, and no statement before it can leave the list."""
    for statement in statements:
        if _terminates(statement, is_exit):
            return True
        if _escapes(statement):
            return False
    return False


def _terminates(statement: cst.BaseStatement | cst.BaseSmallStatement, is_exit: _IsExit) -> bool:
    if isinstance(statement, cst.Raise):
        return True
    if isinstance(statement, cst.Expr):
        return isinstance(statement.value, cst.Call) and is_exit(statement.value)
    if isinstance(statement, cst.SimpleStatementLine):
        return _list_terminates(statement.body, is_exit)
    if isinstance(statement, cst.If):
        return _if_terminates(statement, is_exit)
    if isinstance(statement, (cst.Try, cst.TryStar)):
        return _try_terminates(statement, is_exit)
    if isinstance(statement, cst.With):
        return _suite_terminates(statement.body, is_exit)
    if isinstance(statement, cst.Match):
        return _match_terminates(statement, is_exit)
    if isinstance(statement, cst.While):
        return _endless(statement)
    # Other loops may run zero times; definitions run nothing.
    return False


def _if_terminates(node: cst.If, is_exit: _IsExit) -> bool:
    if not _suite_terminates(node.body, is_exit):
        return False
    if isinstance(node.orelse, cst.If):
        return _if_terminates(node.orelse, is_exit)
    if isinstance(node.orelse, cst.Else):
        return _suite_terminates(node.orelse.body, is_exit)
    return False  # no `else`: the condition can be false


def _try_terminates(node: cst.Try | cst.TryStar, is_exit: _IsExit) -> bool:
    if node.finalbody is not None and _suite_terminates(node.finalbody.body, is_exit):
        return True
    body = [*_lines(node.body), *(_lines(node.orelse.body) if node.orelse else ())]
    if not _list_terminates(body, is_exit):
        return False
    # Whatever the body raises may be caught, so every handler must end the path too.
    return all(_suite_terminates(handler.body, is_exit) for handler in node.handlers)


def _match_terminates(node: cst.Match, is_exit: _IsExit) -> bool:
    if not all(_suite_terminates(case.body, is_exit) for case in node.cases):
        return False
    return any(_irrefutable(case) for case in node.cases)


def _irrefutable(case: cst.MatchCase) -> bool:
    # `case _:` and `case name:` match anything; a guard makes them refutable again.
    return case.guard is None and m.matches(case.pattern, m.MatchAs(pattern=None))


def _endless(node: cst.While) -> bool:
    """`while True:` (or `while 1:`) that no `break` or `return` leaves."""
    test = node.test
    forever = m.matches(test, m.Name("True")) or (
        isinstance(test, cst.Integer) and test.evaluated_value != 0
    )
    if not forever:
        return False
    return not any(isinstance(e, (cst.Return, cst.Break)) for e in _escapes(node.body))


# -- the fix ---------------------------------------------------------------------------------


def _is_placeholder(statement: cst.BaseSmallStatement) -> bool:
    return isinstance(statement, cst.Pass) or m.matches(statement, m.Expr(m.Ellipsis()))


def _last_small(suite: cst.BaseSuite) -> cst.BaseSmallStatement | None:
    if isinstance(suite, cst.SimpleStatementSuite):
        return suite.body[-1]
    last = suite.body[-1] if isinstance(suite, cst.IndentedBlock) and suite.body else None
    return last.body[-1] if isinstance(last, cst.SimpleStatementLine) else None


class SwallowedMemoryError(Rule):
    """
    ## What it does
    Flags an `except` clause that catches `MemoryError` (alone, in a tuple, through an
    import alias such as `from builtins import MemoryError as OOM`, or through a
    module-level name such as `E = MemoryError`; `except*` too) and lets some path through
    the handler carry on: falling off its end, or leaving it with `return`, `continue` or
    `break` (catch-and-continue, catch-and-fallback, catch-and-retry).

    Not flagged: a handler where every path ends in `raise` (bare, `raise X`, `raise X
    from e`), `raise SystemExit(...)`, or a call that does not return: `sys.exit`,
    `os._exit`, `os.abort`, `exit`, `quit`, `pytest.fail`/`skip`/`xfail`/`exit`, and in a
    module that imports `unittest`, `self.fail(...)` and `self.skipTest(...)`. An `if`
    counts only when it has an `else` and every branch ends so; a `try` when its `finally`
    does, or its body and every handler do; a `match` when every case does and one is
    `case _:`; a loop only when it is a `while True:` that no `break` or `return` leaves.
    Code inside a nested `def` or `class` does not run in the handler and does not count.

    Nor are the handlers of a `try` whose `else` clause ends in a raise or an exit
    (`else: self.fail("no MemoryError")`): there the `MemoryError` is the outcome the code
    expects, an `assertRaises(MemoryError)` written out, not one it hides. Nor is a `try`
    whose body is only `raise MemoryError(...)`: it makes an instance to inspect, and no
    allocation failed.

    A class of your own that happens to be called `MemoryError` is not the builtin, and
    `except Exception`, `except BaseException` and bare `except:` are left to other linters.

    A handler around `compile()`, `eval()`, `exec()`, `ast.parse()` or `ast.literal_eval()`
    is reported with low confidence: CPython's parser raises `MemoryError` for code nested
    too deeply, so there the error means "too deep", not "out of memory". Findings in test
    code are low too; the others medium.

    ## Why is this bad?
    `MemoryError` means an allocation failed. After it, the process is in a state where
    any further allocation (building the fallback value, formatting a log message,
    retrying the same work) can fail too, often somewhere far from the cause, and
    half-built objects may be left behind. Carrying on turns one clear failure into a
    process that limps along, retries into the same wall, or dies later with a confusing
    error, and it hides the unbounded growth that caused it from the supervisor that
    could have restarted the process.

    ## Example
    ```python
    def thumbnail(image):
        try:
            return image.resize((128, 128))
        except MemoryError:
            return None
    ```

    ## Use instead
    ```python
    def thumbnail(image):
        if image.width * image.height > 50_000_000:
            raise ValueError("image too large to thumbnail")
        return image.resize((128, 128))
    ```

    Or, when cleanup is needed first, end the handler with `raise`:

    ```python
    def thumbnail(image, cache):
        try:
            return image.resize((128, 128))
        except MemoryError:
            cache.clear()
            raise
    ```

    ## Fix safety
    The fix ends the handler with a bare `raise` (a trailing `pass` or `...` becomes the
    `raise`). It is unsafe: the `MemoryError` now propagates, so callers that relied on
    the fallback see an exception. It is offered only when every path that carries on
    falls off the end of the handler; a handler that leaves with `return`, `continue` or
    `break` gets a suggestion, since a `raise` after those would never run.

    ## References
    - [MemoryError](https://docs.python.org/3/library/exceptions.html#MemoryError)
    - [The try statement](https://docs.python.org/3/reference/compound_stmts.html#the-try-statement)
    """

    code = "MEM501"
    name = "swallowed-memoryerror"
    summary = "An `except MemoryError` handler that carries on instead of re-raising"
    fixable = True
    # An alias is still spelled `MemoryError` where it is imported or assigned.
    triggers = ("MemoryError",)
    METADATA_DEPENDENCIES = (PositionProvider, ScopeProvider, *names.PROVIDERS)
    reach = Reach.FUNCTION

    @classmethod
    def ast_places(cls, tree: ast.Module, settings: Settings) -> list[ast.AST]:
        """The handlers whose exception may name `MemoryError`: they mention `MemoryError`,
        or a name bound (by an import or an assignment, anywhere) to something that does."""
        spellings = _memory_error_spellings(tree)
        return [
            handler
            for handler in astindex.nodes(tree, ast.ExceptHandler)
            if handler.type is not None and _mentions(handler.type, spellings)
        ]

    cases = (
        # Every path re-raises.
        Valid(
            """
            def load(path):
                try:
                    return read(path)
                except MemoryError as err:
                    if strict:
                        raise
                    else:
                        raise RuntimeError("input too large") from err
            """
        ),
        Valid(
            """
            import sys
            def main():
                try:
                    run()
                except MemoryError:
                    print("out of memory", file=sys.stderr)
                    sys.exit(1)
            """
        ),
        # `os._exit` through an alias, `raise SystemExit`, builtin `exit()`.
        Valid(
            """
            from os import _exit as hard_exit
            try:
                run()
            except MemoryError:
                hard_exit(3)
            try:
                run()
            except MemoryError:
                raise SystemExit("out of memory")
            try:
                run()
            except (MemoryError, OverflowError):
                exit(2)
            """
        ),
        # A class of the user's own called MemoryError is not the builtin.
        Valid(
            """
            class MemoryError(Exception):
                pass
            try:
                store.put(item)
            except MemoryError:
                store.evict()
            """
        ),
        # Broad handlers are other linters' business.
        Valid(
            """
            try:
                run()
            except Exception:
                pass
            try:
                run()
            except BaseException:
                pass
            try:
                run()
            except:
                pass
            """
        ),
        # The inner `finally` raises whatever the cleanup does.
        Valid(
            """
            try:
                run()
            except MemoryError as err:
                try:
                    cache.clear()
                finally:
                    raise err
            """
        ),
        Valid(
            """
            import pytest
            def test_big():
                try:
                    build(10**9)
                except MemoryError:
                    pytest.fail("build() ran out of memory")
            """
        ),
        # Every case raises and `case _:` covers the rest; the inner `break` leaves only the
        # `for`, so the outer `while True` never ends.
        Valid(
            """
            try:
                run()
            except MemoryError as err:
                match mode:
                    case "strict":
                        raise
                    case _:
                        raise RuntimeError(mode) from err
            try:
                run()
            except MemoryError:
                while True:
                    for worker in workers:
                        if worker.alive:
                            break
                    wait_for_watchdog()
            """
        ),
        # try/except inside the handler where the body and every handler raise.
        Valid(
            """
            try:
                run()
            except MemoryError:
                try:
                    report()
                    raise
                except OSError:
                    raise
            """
        ),
        # An `else` that fails means the MemoryError is expected (assertRaises written out);
        # `self.skipTest` raises unittest.SkipTest.
        Valid(
            """
            import unittest
            class ArrayTest(unittest.TestCase):
                def test_alloc_overflow(self):
                    try:
                        bytearray(2**62)
                    except MemoryError:
                        pass
                    else:
                        self.fail("bytearray of 2**62 bytes created")
                def test_upper(self):
                    try:
                        s = "x" * 2**32
                    except MemoryError:
                        self.skipTest("not enough memory")
                    self.assertEqual(s.upper(), "X" * 2**32)
            """
        ),
        # The body raises the error itself to get an instance; nothing ran out of memory.
        Valid(
            """
            try:
                raise MemoryError("synthetic")
            except MemoryError as exc:
                instance = exc
            """
        ),
        Invalid(
            """
            try:
                run()
            except MemoryError:
                pass
            """,
            line=3,
            column=1,
            fixed="""
            try:
                run()
            except MemoryError:
                raise
            """,
            applicability=Applicability.UNSAFE,
        ),
        Invalid(
            """
            try: run()
            except MemoryError: pass
            """,
            line=2,
            fixed="""
            try: run()
            except MemoryError: raise
            """,
            applicability=Applicability.UNSAFE,
        ),
        Invalid(
            """
            try: value = compute()
            except MemoryError: value = None
            """,
            fixed="""
            try: value = compute()
            except MemoryError: value = None; raise
            """,
            applicability=Applicability.UNSAFE,
        ),
        # In a tuple, through `builtins`.
        Invalid(
            """
            import builtins
            def parse(blob):
                try:
                    return decode(blob)
                except (ValueError, builtins.MemoryError) as err:
                    log.warning("cannot decode: %s", err)
            """,
            line=5,
            column=5,
            fixed="""
            import builtins
            def parse(blob):
                try:
                    return decode(blob)
                except (ValueError, builtins.MemoryError) as err:
                    log.warning("cannot decode: %s", err)
                    raise
            """,
            applicability=Applicability.UNSAFE,
        ),
        Invalid(
            """
            from builtins import MemoryError as OOM
            try:
                run()
            except OOM:
                ...
            """,
            line=4,
            fixed="""
            from builtins import MemoryError as OOM
            try:
                run()
            except OOM:
                raise
            """,
            applicability=Applicability.UNSAFE,
        ),
        # A module-level name for the builtin, used inside a function.
        Invalid(
            """
            RESOURCE_ERRORS = (MemoryError, RecursionError)
            def render(page):
                try:
                    return page.render()
                except RESOURCE_ERRORS:
                    return "<p>unavailable</p>"
            """,
            line=5,
        ),
        # Re-raised on one path only; the other falls off the end.
        Invalid(
            """
            try:
                run()
            except MemoryError:
                if strict:
                    raise
                else:
                    log.warning("out of memory, continuing")
            """,
            fixed="""
            try:
                run()
            except MemoryError:
                if strict:
                    raise
                else:
                    log.warning("out of memory, continuing")
                raise
            """,
            applicability=Applicability.UNSAFE,
        ),
        # A retry: `continue` leaves the handler before the `raise`, so no fix is offered.
        Invalid(
            """
            import gc
            for attempt in range(3):
                try:
                    result = build()
                    break
                except MemoryError:
                    gc.collect()
                    if attempt < 2:
                        continue
                    raise
            """,
            line=6,
        ),
        Invalid(
            """
            def preview(doc):
                try:
                    return doc.render()
                except MemoryError:
                    return None
            """,
            line=4,
        ),
        # The comment at the end of the body stays.
        Invalid(
            """
            try:
                run()
            except MemoryError:
                cache.clear()  # free what we can
                # and keep serving
            print("done")
            """,
            fixed="""
            try:
                run()
            except MemoryError:
                cache.clear()  # free what we can
                raise
                # and keep serving
            print("done")
            """,
            applicability=Applicability.UNSAFE,
        ),
        # An `else` that carries on too: the MemoryError is tolerated, not expected.
        Invalid(
            """
            try:
                t = tuple(range(n))
            except MemoryError:
                pass  # acceptable on 32-bit
            else:
                check(t)
            """,
            line=3,
            fixed="""
            try:
                t = tuple(range(n))
            except MemoryError:
                raise  # acceptable on 32-bit
            else:
                check(t)
            """,
            applicability=Applicability.UNSAFE,
        ),
        # Without unittest, `self.fail` is just a method.
        Invalid(
            """
            class Job:
                def run(self):
                    try:
                        self.work()
                    except MemoryError as err:
                        self.fail(err)
            """,
            line=5,
            fixed="""
            class Job:
                def run(self):
                    try:
                        self.work()
                    except MemoryError as err:
                        self.fail(err)
                        raise
            """,
            applicability=Applicability.UNSAFE,
        ),
        # A `raise` in a nested function does not run in the handler.
        Invalid(
            """
            try:
                run()
            except MemoryError:
                def fail():
                    raise
                callbacks.append(fail)
            """,
            fixed="""
            try:
                run()
            except MemoryError:
                def fail():
                    raise
                callbacks.append(fail)
                raise
            """,
            applicability=Applicability.UNSAFE,
        ),
        Invalid(
            """
            try:
                run()
            except* MemoryError:
                pass
            """,
            line=3,
            fixed="""
            try:
                run()
            except* MemoryError:
                raise
            """,
            applicability=Applicability.UNSAFE,
        ),
        # A loop may run zero times.
        Invalid(
            """
            try:
                run()
            except MemoryError:
                for hook in on_oom:
                    hook()
                    raise
            """,
            fixed="""
            try:
                run()
            except MemoryError:
                for hook in on_oom:
                    hook()
                    raise
                raise
            """,
            applicability=Applicability.UNSAFE,
        ),
        # Around `compile()` or `ast.parse()`, `MemoryError` means code nested too deeply,
        # not memory running out: low.
        Invalid(
            """
            import ast
            def tree(source):
                try:
                    return ast.parse(source)
                except MemoryError:
                    return None
            """,
            confidence=Confidence.LOW,
            because="guards `ast.parse()`, whose `MemoryError` means deeply nested code",
        ),
        # ... a `parse` of your own is not the parser.
        Invalid(
            """
            def parse(source):
                return source.split()
            def tree(source):
                try:
                    return parse(source)
                except MemoryError:
                    return None
            """,
            confidence=Confidence.MEDIUM,
        ),
        Invalid(
            """
            def code_of(source):
                try:
                    return compile(source, "<input>", "exec")
                except (SyntaxError, MemoryError):
                    return None
            """,
            confidence=Confidence.LOW,
            because="guards `compile()`, whose `MemoryError` means deeply nested code",
        ),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        # Module-level `NAME = value` targets (by id) -> value; built on first need.
        self._assigned: dict[int, cst.BaseExpression] | None = None
        # Whether the module imports unittest, so `self.fail()` is TestCase.fail; on need.
        self._unittest: bool | None = None

    def visit_Try(self, node: cst.Try) -> None:
        self._check(node)

    def visit_TryStar(self, node: cst.TryStar) -> None:
        self._check(node)

    def _check(self, node: _Try) -> None:
        # An `else` that fails the run means the MemoryError is the expected outcome: an
        # `assertRaises(MemoryError)` written out, not an error being swallowed.
        if node.orelse is not None and _suite_terminates(node.orelse.body, self._is_exit):
            return
        # `try: raise MemoryError` makes an instance to inspect; no allocation failed.
        if self._raises_memoryerror_only(node.body):
            return
        for handler in node.handlers:
            if handler.type is not None and self._catches(handler.type, _ALIAS_DEPTH):
                self._check_handler(handler, node)

    def _check_handler(
        self, handler: cst.ExceptHandler | cst.ExceptStarHandler, node: _Try
    ) -> None:
        if _suite_terminates(handler.body, self._is_exit):
            return
        escapes = _escapes(handler.body)
        how = _EXPLAIN[type(escapes[0])] if escapes else "carries on"
        keyword = "except*" if isinstance(handler, cst.ExceptStarHandler) else "except"
        message = (
            f"`{keyword}` handler for `MemoryError` {how} instead of re-raising, so the "
            "process keeps running in a state where any allocation can fail"
        )
        guarded = self._guarded_parser(node)
        if escapes:
            suggestion = "End every path through the handler with `raise` so the error propagates"
            self.report(handler, message, suggestion=suggestion, provenance=guarded)
            return
        self.report(handler, message, fix=self._fix(handler.body), provenance=guarded)

    def _guarded_parser(self, node: _Try) -> provenance.Provenance | None:
        """Bounded when the `try` body calls `compile()`, `ast.parse()` and the like, whose
        `MemoryError` says the code is nested too deeply, not that memory ran out."""
        for call in m.findall(node.body, m.Call()):
            assert isinstance(call, cst.Call)
            parser = names.resolves_to(self, call, _PARSERS)
            if parser is not None:
                shown = parser.removeprefix("builtins.")
                return provenance.bounded(
                    f"guards `{shown}()`, whose `MemoryError` means deeply nested code"
                )
        return None

    # -- names -----------------------------------------------------------------------------

    def _catches(self, expression: cst.BaseExpression, depth: int) -> bool:
        """Whether the `except` expression names the builtin `MemoryError`."""
        if isinstance(expression, cst.Tuple):
            return any(self._catches(element.value, depth) for element in expression.elements)
        if names.resolves_to(self, expression, _MEMORY_ERROR):
            return True
        if not isinstance(expression, cst.Name) or depth == 0:
            return False
        values = self._module_values(expression)
        return bool(values) and all(self._catches(value, depth - 1) for value in values)

    def _raises_memoryerror_only(self, body: cst.BaseSuite) -> bool:
        statements = _lines(body)
        if len(statements) != 1:
            return False
        only = statements[0]
        if isinstance(only, cst.SimpleStatementLine) and len(only.body) == 1:
            only = only.body[0]
        if not isinstance(only, cst.Raise) or only.exc is None:
            return False
        raised = only.exc.func if isinstance(only.exc, cst.Call) else only.exc
        return names.resolves_to(self, raised, _MEMORY_ERROR) is not None

    def _module_values(self, name: cst.Name) -> list[cst.BaseExpression]:
        """What a module-level `name = value` assigned; empty if anything else binds it."""
        scope = self.get_metadata(ScopeProvider, name, None)
        if scope is None:
            return []
        values = []
        for access in scope.accesses[name]:
            for referent in access.referents:
                if not isinstance(referent, Assignment):
                    return []  # a builtin, an import, a parameter
                value = self._assignments().get(id(referent.node))
                if value is None or not isinstance(referent.scope, GlobalScope):
                    return []
                values.append(value)
        return values

    def _assignments(self) -> dict[int, cst.BaseExpression]:
        if self._assigned is None:
            collector = _ModuleAssignments()
            self.context.module.visit(collector)
            self._assigned = collector.values
        return self._assigned

    def _is_exit(self, call: cst.Call) -> bool:
        if names.resolves_to(self, call, _EXITS) is not None:
            return True
        return m.matches(call, _TESTCASE_EXITS) and self._imports_unittest()

    def _imports_unittest(self) -> bool:
        if self._unittest is None:
            self._unittest = (
                names.import_alias(self.context.module, "unittest.TestCase") is not None
            )
        return self._unittest

    # -- fix -------------------------------------------------------------------------------

    def _fix(self, body: cst.BaseSuite) -> FixSpec:
        title = "Re-raise the `MemoryError`"
        last = _last_small(body)
        if last is not None and _is_placeholder(last):
            return self.replace(last, cst.Raise(semicolon=last.semicolon), title, unsafe=True)
        if isinstance(body, cst.SimpleStatementSuite):
            new: cst.BaseSuite = body.with_changes(body=[*body.body, cst.Raise()])
        else:
            assert isinstance(body, cst.IndentedBlock)
            new = body.with_changes(body=[*body.body, cst.SimpleStatementLine([cst.Raise()])])
        return self.replace(body, new, title, unsafe=True)


def _mentions(node: ast.AST, spellings: frozenset[str]) -> bool:
    return any(
        (isinstance(inner, ast.Name) and inner.id in spellings)
        or (isinstance(inner, ast.Attribute) and inner.attr in spellings)
        for inner in ast.walk(node)
    )


def _memory_error_spellings(tree: ast.Module) -> frozenset[str]:
    """`MemoryError`, and every name that an import alias or an assignment (repeatedly) binds
    to something that mentions one of these names: a superset of what `_catches` follows."""
    found = {"MemoryError"}
    imports: list[ast.Import | ast.ImportFrom] = [
        *astindex.nodes(tree, ast.Import),
        *astindex.nodes(tree, ast.ImportFrom),
    ]
    for node in imports:
        for alias in node.names:
            if alias.asname and alias.name.rsplit(".", 1)[-1] in found:
                found.add(alias.asname)
    bound: list[tuple[list[ast.expr], ast.expr | None]] = [
        (node.targets, node.value) for node in astindex.nodes(tree, ast.Assign)
    ]
    bound += [([node.target], node.value) for node in astindex.nodes(tree, ast.AnnAssign)]
    names_of = [
        ({t.id for t in targets if isinstance(t, ast.Name)}, value)
        for targets, value in bound
        if value is not None
    ]
    while True:
        spellings = frozenset(found)
        for targets, value in names_of:
            if not targets <= found and _mentions(value, spellings):
                found |= targets
        if found == spellings:
            return spellings


class _ModuleAssignments(cst.CSTVisitor):
    """`NAME = value` and `NAME: T = value` outside functions and classes: target id -> value."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[int, cst.BaseExpression] = {}

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            if isinstance(target.target, cst.Name):
                self.values[id(target.target)] = node.value

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None and isinstance(node.target, cst.Name):
            self.values[id(node.target)] = node.value
