"""MEM201: a memoising cache with no bound on how many results it keeps."""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

import libcst as cst
import libcst.matchers as m
from libcst.metadata import PositionProvider

from memlint.diagnostics import Applicability, Confidence
from memlint.regions import Reach
from memlint.rule import FixSpec, Invalid, Replacement, Rule, Valid
from memlint.semantic import astindex, context, names, provenance

if TYPE_CHECKING:
    from memlint.settings import Settings

_LRU_FAMILY = frozenset(
    {
        "functools.lru_cache",
        "cachetools.func.lru_cache",
        "cachetools.func.lfu_cache",
        "cachetools.func.fifo_cache",
        "cachetools.func.mru_cache",
        "cachetools.func.rr_cache",
        "cachetools.func.ttl_cache",
    }
)
_UNBOUNDED_BY_NAME = frozenset({"functools.cache"})
_CACHETOOLS_CACHED = frozenset({"cachetools.cached"})
_ALL = _LRU_FAMILY | _UNBOUNDED_BY_NAME | _CACHETOOLS_CACHED


def _may_be_unbounded(call: ast.Call, meanings: frozenset[str]) -> bool:
    """The CPython-tree twin of `_unbounded_call` and the `functools.cache(fn)` check."""
    if meanings & (_UNBOUNDED_BY_NAME | _CACHETOOLS_CACHED):
        return True
    if not meanings & _LRU_FAMILY:
        return False
    keyword = next((k.value for k in call.keywords if k.arg == "maxsize"), None)
    maxsize = keyword if keyword is not None else (call.args[0] if call.args else None)
    return isinstance(maxsize, ast.Constant) and maxsize.value is None


def may_flag(tree: ast.Module) -> bool | list[ast.AST]:
    """The calls and decorated defs the rule can flag, read from CPython's tree through the
    imports (a cache is only ever reached through an import); True with a star import."""
    imports = names.Imports.of(tree)
    if imports.star:
        return True
    found: list[ast.AST] = []
    for call in astindex.nodes(tree, ast.Call):
        meanings = imports.meanings(call.func)
        if meanings & _ALL and _may_be_unbounded(call, meanings):
            found.append(call)
    defs: list[ast.FunctionDef | ast.AsyncFunctionDef] = [
        *astindex.nodes(tree, ast.FunctionDef),
        *astindex.nodes(tree, ast.AsyncFunctionDef),
    ]
    found += [
        function
        for function in defs
        if any(
            imports.meanings(decorator) & _UNBOUNDED_BY_NAME
            for decorator in function.decorator_list
            if not isinstance(decorator, ast.Call)
        )
    ]
    return found


def _is_none(node: cst.BaseExpression) -> bool:
    return m.matches(node, m.Name("None"))


def _maxsize_arg(call: cst.Call) -> cst.Arg | None:
    """The argument that sets `maxsize`: keyword `maxsize`, else the first positional."""
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == "maxsize":
            return arg
    positional = [a for a in call.args if a.keyword is None]
    return positional[0] if positional else None


def _has_star(call: cst.Call) -> bool:
    return any(arg.star for arg in call.args)


def _is_singleton(func: cst.FunctionDef, in_class: bool) -> bool:
    """A function whose cache can hold one entry (per class at most): no parameters at all.

    A classmethod that takes only `cls` keeps one entry per class, which the code bounds.
    """
    params = func.params
    if params.star_arg is not cst.MaybeSentinel.DEFAULT or params.star_kwarg is not None:
        return False
    if params.kwonly_params:
        return False
    positional = [*params.posonly_params, *params.params]
    decorators = {names.dotted(d.decorator) for d in func.decorators}
    if in_class and "classmethod" in decorators:
        return len(positional) == 1
    if in_class and "staticmethod" not in decorators:
        return False
    return not positional


class UnboundedLruCache(Rule):
    """
    ## What it does
    Flags a memoising cache with no bound on its size: `@functools.cache`,
    `@lru_cache(maxsize=None)`, `@lru_cache(None)`, the call form
    `lru_cache(maxsize=None)(fn)`, `cachetools.func` caches with `maxsize=None`, and
    `cachetools.cached(cache={})` (a plain dict never evicts). Names are resolved, so
    `from functools import lru_cache as memo` is recognised and a function of your own called
    `cache` is not.

    Not flagged: a bounded cache (`@lru_cache`, `maxsize=128`), `maxsize=0` (caching off), a
    bound given by a name or expression (`maxsize=CACHE_SIZE`: someone decided), a function
    that takes no parameters at all or a classmethod that takes only `cls` (one entry per
    class), a cache on a function nested inside another function that never lets it escape
    (the cache dies with the call), and calls with `*args`/`**kwargs` whose bound cannot be
    read.

    The confidence follows what the cache is keyed by: low when every parameter takes a few
    values (`bool`, `Literal[...]`, an enum class of the module, `None`, and `Optional` or
    unions of those: a few entries at most) and in test code; high when a parameter is a
    web request (named `request`, or annotated `HttpRequest`, `Request`, `UploadFile`),
    a new key on every call; medium otherwise, methods included (their cache is keyed by
    every instance too). The message ends with the reason.

    ## Why is this bad?
    An unbounded cache keeps every distinct argument tuple and its result for the life of
    the process. Keyed by request data, user IDs or file paths, it grows until the process
    is killed. On a method it also keeps every `self` it was called with alive, a leak that
    no profiler of the class itself will show.

    ## Example
    ```python
    from functools import lru_cache

    @lru_cache(maxsize=None)
    def user_profile(user_id):
        ...
    ```

    ## Use instead
    ```python
    from functools import lru_cache

    @lru_cache(maxsize=1024)
    def user_profile(user_id):
        ...
    ```

    ## Fix safety
    The fix passes `maxsize=<cache-maxsize>` (and turns `functools.cache` into
    `functools.lru_cache(maxsize=...)`, importing `lru_cache` next to `cache` when needed).
    It is unsafe: evicted results are computed again, which changes timing and, for a
    function with side effects or whose results are compared by identity, behaviour.
    `cachetools.cached(cache={})` gets a suggestion only.

    ## Options
    - `cache-maxsize`: the bound the fix writes (default 1024).

    ## References
    - [functools.lru_cache](https://docs.python.org/3/library/functools.html#functools.lru_cache)
    - [cachetools](https://cachetools.readthedocs.io/)
    """

    code = "MEM201"
    name = "unbounded-lru-cache"
    summary = "A memoising cache with no bound on its size"
    fixable = True
    options = ("cache_maxsize",)
    triggers = (
        "lru_cache",
        "cache",
        "cached",
        "ttl_cache",
        "lfu_cache",
        "fifo_cache",
        "mru_cache",
        "rr_cache",
    )
    METADATA_DEPENDENCIES = (PositionProvider, *names.PROVIDERS, *context.PROVIDERS)

    reach = Reach.FUNCTION

    @classmethod
    def ast_places(cls, tree: ast.Module, settings: Settings) -> bool | list[ast.AST]:
        return may_flag(tree)

    cases = (
        Valid(
            """
            from functools import lru_cache
            @lru_cache(maxsize=128)
            def f(x): ...
            """
        ),
        Valid(
            """
            from functools import lru_cache
            @lru_cache
            def f(x): ...
            @lru_cache()
            def g(x): ...
            """
        ),
        # maxsize=0 turns caching off; a name is someone's decision.
        Valid(
            """
            import functools
            @functools.lru_cache(maxsize=0)
            def f(x): ...
            @functools.lru_cache(maxsize=limit)
            def g(x): ...
            """
        ),
        # A user's own `cache` is not functools.cache.
        Valid(
            """
            def cache(fn):
                return fn
            @cache
            def f(x): ...
            """
        ),
        # No parameters: one entry at most.
        Valid(
            """
            from functools import cache
            @cache
            def settings(): ...
            class C:
                @staticmethod
                @cache
                def config(): ...
                @classmethod
                @cache
                def fields(cls): ...
            """
        ),
        # The bound cannot be read through star-args.
        Valid(
            """
            from functools import lru_cache
            @lru_cache(*CACHE_ARGS)
            def f(x): ...
            @lru_cache(**opts)
            def g(x): ...
            """
        ),
        # A memoised helper nested in a function dies with the call.
        Valid(
            """
            from functools import cache
            def solve(grid):
                @cache
                def best(i, j):
                    return best(i - 1, j) + grid[i][j]
                return best(len(grid) - 1, 0)
            """
        ),
        # The call form kept in a local that never leaves the function dies with it too.
        Valid(
            """
            import functools
            def claims(entries, probe):
                now = (
                    functools.cache(functools.partial(clock, probe))
                    if probe
                    else lambda: None
                )
                return [entry for entry in entries if now() is not None]
            """
        ),
        # ... but not once it is returned.
        Invalid(
            """
            import functools
            def make_lookup(load):
                lookup = functools.cache(load)
                return lookup
            """,
            line=3,
            column=14,
            fixed="""
            import functools
            def make_lookup(load):
                lookup = functools.lru_cache(maxsize=1024)(load)
                return lookup
            """,
            applicability=Applicability.UNSAFE,
        ),
        Valid(
            """
            import cachetools
            @cachetools.cached(cache=cachetools.LRUCache(maxsize=100))
            def f(x): ...
            @cachetools.cached(cache=None)
            def g(x): ...
            """
        ),
        Invalid(
            """
            from functools import lru_cache
            @lru_cache(maxsize=None)
            def f(x): ...
            """,
            line=2,
            column=2,
            fixed="""
            from functools import lru_cache
            @lru_cache(maxsize=1024)
            def f(x): ...
            """,
            applicability=Applicability.UNSAFE,
        ),
        Invalid(
            """
            from functools import lru_cache as memo
            @memo(None, typed=True)
            def f(x): ...
            """,
            line=2,
            fixed="""
            from functools import lru_cache as memo
            @memo(maxsize=50, typed=True)
            def f(x): ...
            """,
            applicability=Applicability.UNSAFE,
            settings={"cache_maxsize": 50},
        ),
        Invalid(
            """
            import functools as ft
            class Repo:
                @ft.cache
                def get(self, key): ...
            """,
            line=3,
            fixed="""
            import functools as ft
            class Repo:
                @ft.lru_cache(maxsize=1024)
                def get(self, key): ...
            """,
            applicability=Applicability.UNSAFE,
        ),
        Invalid(
            """
            from functools import cache
            @cache
            def f(x): ...
            """,
            fixed="""
            from functools import cache, lru_cache
            @lru_cache(maxsize=1024)
            def f(x): ...
            """,
            applicability=Applicability.UNSAFE,
        ),
        Invalid(
            """
            from functools import cache, lru_cache
            @cache
            def f(x): ...
            """,
            fixed="""
            from functools import cache, lru_cache
            @lru_cache(maxsize=1024)
            def f(x): ...
            """,
            applicability=Applicability.UNSAFE,
        ),
        Invalid(
            """
            import functools
            def _load(key): ...
            load = functools.lru_cache(maxsize=None)(_load)
            """,
            line=3,
            column=8,
            fixed="""
            import functools
            def _load(key): ...
            load = functools.lru_cache(maxsize=1024)(_load)
            """,
            applicability=Applicability.UNSAFE,
        ),
        Invalid(
            """
            import functools
            lookup = functools.cache(lambda key: key.upper())
            """,
            fixed="""
            import functools
            lookup = functools.lru_cache(maxsize=1024)(lambda key: key.upper())
            """,
            applicability=Applicability.UNSAFE,
        ),
        # A nested cached function that escapes lives on.
        Invalid(
            """
            from functools import lru_cache
            def make_loader(db):
                @lru_cache(maxsize=None)
                def load(key):
                    return db.get(key)
                return load
            """,
            line=3,
            fixed="""
            from functools import lru_cache
            def make_loader(db):
                @lru_cache(maxsize=1024)
                def load(key):
                    return db.get(key)
                return load
            """,
            applicability=Applicability.UNSAFE,
        ),
        Invalid(
            """
            from cachetools import cached
            @cached(cache={})
            def f(x): ...
            """,
            line=2,
        ),
        Invalid(
            """
            from cachetools.func import ttl_cache
            @ttl_cache(maxsize=None, ttl=60)
            def f(x): ...
            """,
            fixed="""
            from cachetools.func import ttl_cache
            @ttl_cache(maxsize=1024, ttl=60)
            def f(x): ...
            """,
            applicability=Applicability.UNSAFE,
        ),
        # -- provenance: what the cache is keyed by decides the confidence ---------------
        # Parameters that take a few values (`bool`, an enum of this module, `Literal`,
        # `Optional` of those) keep a few entries: low.
        Invalid(
            """
            import enum
            from functools import lru_cache
            from typing import Literal, Optional
            class Mode(enum.Enum):
                FAST = 1
                SAFE = 2
            @lru_cache(maxsize=None)
            def plan(mode: Mode, strict: bool, fmt: Literal["json", "text"], v: Optional[bool]):
                ...
            """,
            line=7,
            confidence=Confidence.LOW,
            because="its parameters are all `bool`, enum or `Literal`, so it keeps a few entries",
            fixed="""
            import enum
            from functools import lru_cache
            from typing import Literal, Optional
            class Mode(enum.Enum):
                FAST = 1
                SAFE = 2
            @lru_cache(maxsize=1024)
            def plan(mode: Mode, strict: bool, fmt: Literal["json", "text"], v: Optional[bool]):
                ...
            """,
            applicability=Applicability.UNSAFE,
        ),
        # ... an `int` does not, nor does a class that is not an enum, nor a method (its
        # cache is keyed by every instance too).
        Invalid(
            """
            from functools import cache
            @cache
            def row(strict: bool, number: int): ...
            """,
            confidence=Confidence.MEDIUM,
            fixed="""
            from functools import cache, lru_cache
            @lru_cache(maxsize=1024)
            def row(strict: bool, number: int): ...
            """,
            applicability=Applicability.UNSAFE,
        ),
        Invalid(
            """
            from functools import cache
            class Mode:
                FAST = 1
            @cache
            def plan(mode: Mode): ...
            """,
            confidence=Confidence.MEDIUM,
            fixed="""
            from functools import cache, lru_cache
            class Mode:
                FAST = 1
            @lru_cache(maxsize=1024)
            def plan(mode: Mode): ...
            """,
            applicability=Applicability.UNSAFE,
        ),
        Invalid(
            """
            import functools
            class Repo:
                @functools.cache
                def rows(self, strict: bool): ...
            """,
            confidence=Confidence.MEDIUM,
            fixed="""
            import functools
            class Repo:
                @functools.lru_cache(maxsize=1024)
                def rows(self, strict: bool): ...
            """,
            applicability=Applicability.UNSAFE,
        ),
        # The call form is followed to the function it wraps.
        Invalid(
            """
            import functools
            def _render(dark: "bool"): ...
            render = functools.lru_cache(maxsize=None)(_render)
            """,
            confidence=Confidence.LOW,
            fixed="""
            import functools
            def _render(dark: "bool"): ...
            render = functools.lru_cache(maxsize=1024)(_render)
            """,
            applicability=Applicability.UNSAFE,
        ),
        # Keyed by web requests, a new key on every call: high.
        Invalid(
            """
            from functools import lru_cache
            from django.http import HttpRequest
            @lru_cache(maxsize=None)
            def permissions(req: HttpRequest, scope: str): ...
            """,
            confidence=Confidence.HIGH,
            because="keyed by `req`, a new web request on every call",
            fixed="""
            from functools import lru_cache
            from django.http import HttpRequest
            @lru_cache(maxsize=1024)
            def permissions(req: HttpRequest, scope: str): ...
            """,
            applicability=Applicability.UNSAFE,
        ),
        # Look-alike: a parameter named `request_id` is an id, not a request: medium.
        Invalid(
            """
            from functools import lru_cache
            @lru_cache(maxsize=None)
            def permissions(request_id: str): ...
            """,
            confidence=Confidence.MEDIUM,
            fixed="""
            from functools import lru_cache
            @lru_cache(maxsize=1024)
            def permissions(request_id: str): ...
            """,
            applicability=Applicability.UNSAFE,
        ),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        # Decorator expressions checked with their function, so visit_Call skips them.
        self._decorators: set[int] = set()
        # Cache calls kept in a local that never leaves its function.
        self._locals: set[int] = set()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        # The def node carries the context it is defined in: a method has a class and no
        # function; a nested def has its enclosing function.
        where = context.context_of(self, node)
        parent = where.function if where.function is not None else where.class_
        for decorator in node.decorators:
            self._decorators.add(id(decorator.decorator))
            self._check_decorator(decorator, node, parent)

    def visit_Assign(self, node: cst.Assign) -> None:
        if len(node.targets) == 1:
            self._note_local_cache(node.targets[0].target, node.value, node)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self._note_local_cache(node.target, node.value, node)

    def _note_local_cache(
        self, target: cst.BaseExpression, value: cst.BaseExpression, statement: cst.CSTNode
    ) -> None:
        """`now = functools.cache(...)` in a function that never lets `now` out: the cache
        dies with the call, like a nested cached def's (skipped when its call is visited)."""
        if not isinstance(target, cst.Name):
            return
        calls = [c for c in _branches(value) if isinstance(c, cst.Call)]
        calls = [c for c in calls if names.resolves_to(self, c, _UNBOUNDED_BY_NAME) is not None]
        if not calls:
            return
        function = context.context_of(self, statement).function
        if isinstance(function, cst.FunctionDef) and not _escapes(target.value, function):
            self._locals.update(id(call) for call in calls)

    def visit_Call(self, node: cst.Call) -> None:
        if id(node) in self._decorators or id(node) in self._locals:
            return
        qualified = names.resolves_to(self, node, _ALL)
        if qualified is None:
            return
        # `functools.cache(fn)` and `lru_cache(None)(fn)`: a cache made without a def.
        if qualified in _UNBOUNDED_BY_NAME:
            if self._wraps_singleton_lambda(node):
                return
            self._report(node.func, node, qualified, None, None)
            return
        if self._unbounded_call(node, qualified):
            self._report(node, node, qualified, None, None)

    # -- analysis ------------------------------------------------------------------------

    def _check_decorator(
        self,
        decorator: cst.Decorator,
        func: cst.FunctionDef,
        parent: cst.FunctionDef | cst.Lambda | cst.ClassDef | None,
    ) -> None:
        expression = decorator.decorator
        qualified = names.resolves_to(self, expression, _ALL)
        if qualified is None:
            return
        if isinstance(expression, cst.Call):
            unbounded = self._unbounded_call(expression, qualified)
        else:
            unbounded = qualified in _UNBOUNDED_BY_NAME
        if not unbounded or _is_singleton(func, isinstance(parent, cst.ClassDef)):
            return
        if isinstance(parent, cst.FunctionDef) and not _escapes(func.name.value, parent):
            return
        target = expression.func if isinstance(expression, cst.Call) else expression
        call = expression if isinstance(expression, cst.Call) else None
        self._report(target, expression, qualified, func, call, isinstance(parent, cst.ClassDef))

    @staticmethod
    def _unbounded_call(call: cst.Call, qualified: str) -> bool:
        if _has_star(call):
            return False
        if qualified in _CACHETOOLS_CACHED:
            cache = next((a for a in call.args if a.keyword and a.keyword.value == "cache"), None)
            if cache is None:
                positional = [a for a in call.args if a.keyword is None]
                cache = positional[0] if positional else None
            return cache is not None and _is_plain_dict(cache.value)
        if qualified in _UNBOUNDED_BY_NAME:
            return False  # `functools.cache(fn)`: checked by the caller
        arg = _maxsize_arg(call)
        return arg is not None and _is_none(arg.value)

    @staticmethod
    def _wraps_singleton_lambda(call: cst.Call) -> bool:
        if len(call.args) != 1 or not isinstance(call.args[0].value, cst.Lambda):
            return False
        params = call.args[0].value.params
        return not (
            params.params
            or params.posonly_params
            or params.kwonly_params
            or params.star_kwarg
            or isinstance(params.star_arg, cst.Param)
        )

    # -- reporting -------------------------------------------------------------------------

    def _report(
        self,
        target: cst.BaseExpression,
        where: cst.BaseExpression,
        qualified: str,
        func: cst.FunctionDef | None,
        call: cst.Call | None,
        in_class: bool = False,
    ) -> None:
        described = _describe(qualified, call if call is not None else where)
        on = f" on `{func.name.value}`" if func is not None else ""
        method = func is not None and in_class and _takes_self(func)
        cost = "keeps every distinct argument and result"
        if method:
            cost += ", and every instance it was called on,"
        message = f"`{described}`{on} {cost} for the life of the process"
        fix = self._fix(target, where, qualified)
        suggestion = None
        if fix is None:
            suggestion = (
                "Pass a bounded cache such as `cachetools.LRUCache(maxsize="
                f"{self.settings.cache_maxsize})`"
                if qualified in _CACHETOOLS_CACHED
                else f"Give the cache a bound: `maxsize={self.settings.cache_maxsize}`"
            )
        # How many entries it keeps follows from what it is keyed by.
        keys = provenance.of_cache(self, func if func is not None else where)
        self.report(
            where,
            message,
            fix=fix,
            suggestion=suggestion,
            confidence=Confidence.HIGH,
            provenance=keys,
        )

    def _fix(
        self, target: cst.BaseExpression, where: cst.BaseExpression, qualified: str
    ) -> FixSpec | None:
        size = self.settings.cache_maxsize
        title = f"Pass `maxsize={size}`"
        if qualified in _CACHETOOLS_CACHED:
            return None
        if qualified in _LRU_FAMILY and isinstance(where, cst.Call):
            arg = _maxsize_arg(where)
            if arg is None:
                return None
            new_arg = arg.with_changes(
                keyword=cst.Name("maxsize"),
                equal=cst.AssignEqual(
                    whitespace_before=cst.SimpleWhitespace(""),
                    whitespace_after=cst.SimpleWhitespace(""),
                ),
                value=cst.Integer(str(size)),
            )
            return self.replace(arg, new_arg, title, unsafe=True)
        # functools.cache -> functools.lru_cache(maxsize=N), reached the way `cache` was.
        bounded = f"lru_cache(maxsize={size})"
        if isinstance(target, cst.Attribute):
            new = cst.parse_expression(f"{names.dotted(target.value)}.{bounded}")
            return self.replace(target, new, f"Use `{bounded}`", unsafe=True)
        return self._fix_bare_cache(target, bounded)

    def _fix_bare_cache(self, target: cst.BaseExpression, bounded: str) -> FixSpec | None:
        module = self.context.module
        alias = names.import_alias(module, "functools.lru_cache")
        title = f"Use `{bounded}`"
        if alias is not None:
            new = cst.parse_expression(bounded.replace("lru_cache", alias, 1))
            return self.replace(target, new, title, unsafe=True)
        # Import `lru_cache` beside the `cache` import, if nothing else uses that name.
        if re.search(r"\blru_cache\b", self.context.text):
            return None
        statement = _import_from_line(module, "functools", "cache")
        if statement is None:
            return None
        import_from = statement.body[0]
        assert isinstance(import_from, cst.ImportFrom)
        assert not isinstance(import_from.names, cst.ImportStar)
        extended = import_from.with_changes(
            names=[
                *[n.with_changes(comma=cst.MaybeSentinel.DEFAULT) for n in import_from.names][:-1],
                import_from.names[-1].with_changes(
                    comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
                ),
                cst.ImportAlias(name=cst.Name("lru_cache")),
            ]
        )
        extra: Sequence[tuple[cst.CSTNode, Replacement]] = ((import_from, extended),)
        return self.replace(target, cst.parse_expression(bounded), title, unsafe=True, also=extra)


def _is_plain_dict(node: cst.BaseExpression) -> bool:
    return m.matches(node, m.Dict(elements=[]) | m.Call(func=m.Name("dict"), args=[]))


def _describe(qualified: str, where: cst.BaseExpression) -> str:
    if qualified in _UNBOUNDED_BY_NAME:
        return qualified
    if qualified in _CACHETOOLS_CACHED:
        return f"{qualified}(cache={{}})"
    return f"{qualified}(maxsize=None)"


def _takes_self(method: cst.FunctionDef) -> bool:
    """Whether a method's calls pass an instance (not a static or class method)."""
    decorators = {names.dotted(d.decorator) for d in method.decorators}
    return not decorators & {"staticmethod", "classmethod"} and bool(method.params.params)


def _branches(value: cst.BaseExpression) -> list[cst.BaseExpression]:
    """The values an expression may take: both branches of `a if c else b`, else itself."""
    if isinstance(value, cst.IfExp):
        return [*_branches(value.body), *_branches(value.orelse)]
    return [value]


def _escapes(name: str, outer: cst.FunctionDef) -> bool:
    """Whether `outer` uses `name` other than by calling it (returns, stores or passes it)."""
    finder = _EscapeFinder(name)
    outer.body.visit(finder)
    return finder.escapes


class _EscapeFinder(cst.CSTVisitor):
    def __init__(self, name: str) -> None:
        self.name = name
        self.escapes = False
        self._called: set[int] = set()

    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Name):
            self._called.add(id(node.func))

    def visit_Name(self, node: cst.Name) -> None:
        if node.value == self.name and id(node) not in self._called:
            self.escapes = True

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        # The def's own name is a binding, not a use; so is an assignment's target.
        self._called.add(id(node.name))

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        self._called.add(id(node.target))

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._called.add(id(node.target))


def _import_from_line(module: cst.Module, source: str, name: str) -> cst.SimpleStatementLine | None:
    for statement in module.body:
        if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
            continue
        node = statement.body[0]
        if not isinstance(node, cst.ImportFrom) or isinstance(node.names, cst.ImportStar):
            continue
        if node.relative or names.dotted(node.module) != source:
            continue
        if any(names.dotted(alias.name) == name for alias in node.names):
            return statement
    return None
