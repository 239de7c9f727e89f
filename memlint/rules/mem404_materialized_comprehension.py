"""MEM404: a list comprehension built only to be handed to a consumer that takes any iterable."""

from __future__ import annotations

import ast
import enum
from typing import TYPE_CHECKING

import libcst as cst
from libcst.metadata import PositionProvider

from memlint.diagnostics import Applicability
from memlint.regions import Reach
from memlint.rule import FixSpec, Invalid, Rule, Valid
from memlint.semantic import astindex, names

if TYPE_CHECKING:
    from memlint.settings import Settings


class _Takes(enum.Enum):
    """Which positional arguments of a consumer are the iterable it consumes."""

    ONLY = "only"  # any(xs); max(xs, key=f), but max(a, b) compares a and b
    FIRST = "first"  # sum(xs, start), dict(xs, **kw): the rest is not iterated
    ANY = "any"  # zip(xs, ys), itertools.chain(xs, ys)


class _Safety(enum.Enum):
    DRAINS = "drains"  # takes every item whatever they are: safe
    SHORT_CIRCUITS = "short-circuits"  # any/all: safe when evaluating an item does nothing
    LAZY = "lazy"  # hands items on one at a time: unsafe


# What the list costs, after "`sum([...])` builds the whole list".
_REDUCES = "before {what}, so memory grows with the input; a generator holds one item at a time"
_TESTS = (
    "before testing its items, so memory grows with the input and every item is computed "
    "even once the answer is known"
)
_COPIES = "only for `{callee}` to copy it, so the input is held in memory twice"
_LAZY = (
    "before `{callee}` takes its first item, so memory grows with the input; a generator "
    "holds one item at a time"
)

# qualified name -> (which argument, fix safety, what the list costs)
_CONSUMERS: dict[str, tuple[_Takes, _Safety, str]] = {
    "builtins.sum": (_Takes.FIRST, _Safety.DRAINS, _REDUCES.format(what="adding it up")),
    "builtins.min": (_Takes.ONLY, _Safety.DRAINS, _REDUCES.format(what="comparing its items")),
    "builtins.max": (_Takes.ONLY, _Safety.DRAINS, _REDUCES.format(what="comparing its items")),
    "builtins.any": (_Takes.ONLY, _Safety.SHORT_CIRCUITS, _TESTS),
    "builtins.all": (_Takes.ONLY, _Safety.SHORT_CIRCUITS, _TESTS),
    "builtins.sorted": (_Takes.ONLY, _Safety.DRAINS, _COPIES),
    "builtins.set": (_Takes.ONLY, _Safety.DRAINS, _COPIES),
    "builtins.frozenset": (_Takes.ONLY, _Safety.DRAINS, _COPIES),
    "builtins.tuple": (_Takes.ONLY, _Safety.DRAINS, _COPIES),
    "builtins.dict": (_Takes.FIRST, _Safety.DRAINS, _COPIES),
    "builtins.enumerate": (_Takes.ANY, _Safety.LAZY, _LAZY),
    "builtins.zip": (_Takes.ANY, _Safety.LAZY, _LAZY),
}
# itertools functions that walk their iterables lazily. `product`, `permutations`,
# `combinations*` and `cycle` keep a copy of their input anyway: a list costs nothing extra.
_ITERTOOLS = (
    "chain",
    "chain.from_iterable",
    "islice",
    "accumulate",
    "compress",
    "dropwhile",
    "takewhile",
    "filterfalse",
    "groupby",
    "starmap",
    "tee",
    "zip_longest",
    "pairwise",
    "batched",
)
_CONSUMERS.update({f"itertools.{n}": (_Takes.ANY, _Safety.LAZY, _LAZY) for n in _ITERTOOLS})

# The consumers by which positions of a comprehension they consume (for the pre-filter).
_TAKING: dict[_Takes, frozenset[str]] = {
    takes: frozenset(name for name, (how, _, _) in _CONSUMERS.items() if how is takes)
    for takes in _Takes
}

_NEXT = frozenset({"builtins.next"})
_TITLE = "Remove the brackets (pass a generator)"

_Whitespace = cst.BaseParenthesizableWhitespace


class _Effects(cst.CSTVisitor):
    """What evaluating a comprehension's items may do, beyond computing values."""

    def __init__(self) -> None:
        super().__init__()
        self.asynchronous = False  # `await` or `async for`: the comprehension is async
        self.effects = False  # a call, `yield`, `:=` or a store into an attribute/item
        self.calls: list[cst.Call] = []
        self.comments = False

    def visit_Await(self, node: cst.Await) -> None:
        self.asynchronous = True

    def visit_CompFor(self, node: cst.CompFor) -> None:
        if node.asynchronous is not None:
            self.asynchronous = True
        if not _plain_target(node.target):
            self.effects = True

    def visit_Call(self, node: cst.Call) -> None:
        self.effects = True
        self.calls.append(node)

    def visit_Yield(self, node: cst.Yield) -> None:
        self.effects = True

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self.effects = True

    def visit_Comment(self, node: cst.Comment) -> None:
        self.comments = True


def _plain_target(target: cst.BaseExpression) -> bool:
    if isinstance(target, cst.Name):
        return True
    if isinstance(target, (cst.Tuple, cst.List)):
        return all(_plain_target(element.value) for element in target.elements)
    return False  # `for self.x in ...`, `for d[k] in ...`: a store that may run code


def _inspect(comp: cst.ListComp) -> _Effects:
    """Everything inside the brackets but the outermost iterable.

    `y` in `[f(x) for x in y]` is evaluated at once by a generator too, so an `await` or a
    call there changes nothing; comments anywhere inside the brackets count.
    """
    found = _Effects()
    comp.elt.visit(found)
    outer = comp.for_in
    for part in (outer.target, *outer.ifs):
        part.visit(found)
    if outer.inner_for_in is not None:
        outer.inner_for_in.visit(found)
    found.asynchronous |= outer.asynchronous is not None
    if not _plain_target(outer.target):
        found.effects = True
    # Comments: a separate walk over the whole node, brackets and outer iterable included.
    comments = _Effects()
    comp.visit(comments)
    found.comments = comments.comments
    return found


def _merge(first: _Whitespace, second: _Whitespace) -> _Whitespace | None:
    """One whitespace for `first` and `second` (in text order) once the bracket between goes.

    Spaces give way to a line break. Two line breaks become one, keeping the later one's
    indentation; None when that would put two comments on one line or reorder comments.
    """
    if isinstance(second, cst.SimpleWhitespace):
        return first
    if isinstance(first, cst.SimpleWhitespace):
        return second
    assert isinstance(first, cst.ParenthesizedWhitespace)
    assert isinstance(second, cst.ParenthesizedWhitespace)
    if second.first_line.comment is not None and (
        first.first_line.comment is not None or first.empty_lines
    ):
        return None
    chosen = second.first_line if second.first_line.comment is not None else first.first_line
    return second.with_changes(
        first_line=chosen, empty_lines=[*first.empty_lines, *second.empty_lines]
    )


class MaterializedComprehension(Rule):
    """
    ## What it does
    Flags a list comprehension handed straight to a consumer that takes any iterable: the
    builtins `sum`, `min`, `max`, `any`, `all`, `sorted`, `set`, `frozenset`, `tuple`,
    `dict`, `enumerate` and `zip`, and the lazy `itertools` functions (`chain`,
    `chain.from_iterable`, `islice`, `accumulate`, `compress`, `dropwhile`, `takewhile`,
    `filterfalse`, `groupby`, `starmap`, `tee`, `zip_longest`, `pairwise`, `batched`). The
    comprehension must be the iterable argument: the only positional argument of `min`,
    `max`, `sorted`, `any`, `all`, `set`, `frozenset` and `tuple` (keywords such as `key=`
    are fine; `max([...], other)` compares the list with `other`), the first of `sum` and
    `dict`, any positional argument of `enumerate`, `zip` and `itertools`. Names are
    resolved, so a function of your own called `sum`, or a local `max = my_max`, is not the
    builtin.

    Not flagged: `"".join([...])` (`join` builds a list from a generator anyway), set and
    dict comprehensions, generator expressions, `list([...])` and `len([...])` (they need
    the list), `*[...]` unpacking (it builds a tuple anyway), `product`, `permutations`,
    `combinations` and `cycle` (they keep a copy of their input), and async comprehensions,
    including a comprehension whose items `await` (a generator of it would be an async
    generator, which these consumers cannot iterate).

    ## Why is this bad?
    The brackets build the whole list in memory before the consumer sees its first item,
    and the consumer then throws it away. `sum`, `min`, `max`, `any` and `all` need one item
    at a time; `sorted`, `set`, `tuple` and `dict` build their own container, so the input
    is held twice; `zip`, `enumerate` and `itertools` are lazy and are defeated by a list.
    Over a large file or query result, memory grows with the input for no benefit, and
    `any`/`all` lose their early exit.

    ## Example
    ```python
    total = sum([order.amount for order in orders])
    ```

    ## Use instead
    ```python
    total = sum(order.amount for order in orders)
    ```

    ## Fix safety
    The fix removes the brackets (`sum([x for x in y])` -> `sum(x for x in y)`), or turns
    them into parentheses when the comprehension is not the call's only argument
    (`sum((x for x in y), 0)`) or a comment sits between two line breaks it would have to
    merge.

    It is safe for consumers that drain their input (`sum`, `min`, `max`, `sorted`, `set`,
    `frozenset`, `tuple`, `dict`): they see the same items in the same order, and only the
    interleaving with their own work changes (visible only when that work raises part-way).
    It is safe for `any`/`all` when the items involve no call, `await`, `yield`, `:=` or
    store into an attribute or item, since evaluating fewer of them after the first
    decisive item changes nothing observable. It is unsafe for `any`/`all` otherwise, and
    for `zip`, `enumerate` and `itertools`, where laziness changes how many items are
    evaluated, and when. It is unsafe when the items call `next()` or `__next__()`: a
    `StopIteration` raised inside a generator becomes a `RuntimeError` (PEP 479), where a
    list comprehension lets it through to an `except StopIteration`. Any comment inside the
    brackets makes the fix unsafe; the fix keeps it.

    ## References
    - [Generator expressions](https://docs.python.org/3/reference/expressions.html#generator-expressions)
    - [PEP 289: Generator Expressions](https://peps.python.org/pep-0289/)
    - [ruff C419 unnecessary-comprehension-in-call](https://docs.astral.sh/ruff/rules/unnecessary-comprehension-in-call/)
    """

    code = "MEM404"
    name = "materialized-comprehension"
    summary = "A list comprehension built only to be handed to a consumer that takes any iterable"
    fixable = True
    # Two things every flagged file holds: a consumer's name (an alias is imported under
    # it: `from itertools import chain as c`), and the comprehension's `[` right after the
    # call's `(` or a `,`, with only whitespace, line continuations and comments between (an
    # extra `(` around it starts the match later). A comment runs to its line break, so the
    # match is unambiguous: no backtracking blowup on comments full of `#`.
    trigger_pattern = (
        r"\A(?=[\s\S]*?\b(?:sum|min|max|any|all|sorted|set|frozenset|tuple|dict|enumerate|zip"
        r"|itertools)\b)[\s\S]*?[(,](?:[ \t\f\r\n\\]|#[^\r\n]*[\r\n])*\["
    )
    trigger_literals = (
        "sum",
        "min",
        "max",
        "any",
        "all",
        "sorted",
        "set",
        "frozenset",
        "tuple",
        "dict",
        "enumerate",
        "zip",
        "itertools",
    )
    METADATA_DEPENDENCIES = (PositionProvider, *names.PROVIDERS)

    cases = (
        # A function of one's own called `sum` is not the builtin.
        Valid(
            """
            def sum(values):
                return values
            total = sum([x.size for x in files])
            """
        ),
        # `join` builds a list from a generator anyway.
        Valid(
            """
            line = ", ".join([str(x) for x in row])
            """
        ),
        # Set and dict comprehensions, and generators already.
        Valid(
            """
            unique = sorted({x.name for x in users})
            index = dict({k: v for k, v in pairs})
            total = sum(x for x in values)
            """
        ),
        # Async comprehensions (also an `await` in the items) cannot become plain generators.
        Valid(
            """
            async def totals(rows):
                a = sum([x async for x in rows])
                b = sum([await price(x) for x in rows])
                return a + b
            """
        ),
        # `len` and `list` need the list itself.
        Valid(
            """
            count = len([x for x in values if x])
            copy = list([x for x in values])
            """
        ),
        # A local `max` shadows the builtin.
        Valid(
            """
            max = my_max
            best = max([score(x) for x in xs])
            """
        ),
        # `max(a, b)` compares its arguments; `sum(xs, start)` does not iterate `start`;
        # `*[...]` unpacks into a tuple anyway.
        Valid(
            """
            biggest = max([x for x in a], [y for y in b])
            flat = sum(rows, [x for x in header])
            pairs = zip(*[row for row in grid])
            """
        ),
        # `product` keeps a copy of its input anyway; `dict.fromkeys` is not `dict`.
        Valid(
            """
            import itertools
            grid = itertools.product([x for x in xs], repeat=2)
            seen = dict.fromkeys([k.lower() for k in keys])
            """
        ),
        Invalid(
            """
            total = sum([order.amount for order in orders])
            """,
            line=1,
            column=13,
            fixed="""
            total = sum(order.amount for order in orders)
            """,
            applicability=Applicability.SAFE,
        ),
        # A call in the item: `any` would stop calling it at the first true result.
        Invalid(
            """
            if any([is_stale(entry) for entry in cache]):
                refresh()
            """,
            fixed="""
            if any(is_stale(entry) for entry in cache):
                refresh()
            """,
            applicability=Applicability.UNSAFE,
        ),
        # No call: short-circuiting changes nothing observable.
        Invalid(
            """
            ok = all([row.total >= 0 for row in rows if row.kind == "sale"])
            """,
            fixed="""
            ok = all(row.total >= 0 for row in rows if row.kind == "sale")
            """,
            applicability=Applicability.SAFE,
        ),
        Invalid(
            """
            ranked = sorted([(s.score, s.name) for s in scores], key=lambda p: p[0], reverse=True)
            """,
            column=17,
            fixed="""
            ranked = sorted(((s.score, s.name) for s in scores), key=lambda p: p[0], reverse=True)
            """,
            applicability=Applicability.SAFE,
        ),
        Invalid(
            """
            total = sum([line.cost for line in invoice], Decimal(0))
            """,
            fixed="""
            total = sum((line.cost for line in invoice), Decimal(0))
            """,
            applicability=Applicability.SAFE,
        ),
        Invalid(
            """
            for name, size in zip(names, [f.stat().st_size for f in files]):
                print(name, size)
            """,
            column=30,
            fixed="""
            for name, size in zip(names, (f.stat().st_size for f in files)):
                print(name, size)
            """,
            applicability=Applicability.UNSAFE,
        ),
        Invalid(
            """
            import itertools as it
            lines = it.chain.from_iterable([open(p) for p in paths])
            """,
            line=2,
            fixed="""
            import itertools as it
            lines = it.chain.from_iterable(open(p) for p in paths)
            """,
            applicability=Applicability.UNSAFE,
        ),
        # The comment stays; with it inside the brackets the fix is unsafe.
        Invalid(
            """
            total = sum([  # net of refunds
                line.amount - line.refunded
                for line in ledger
            ])
            """,
            fixed="""
            total = sum(  # net of refunds
                line.amount - line.refunded
                for line in ledger
            )
            """,
            applicability=Applicability.UNSAFE,
        ),
        Invalid(
            """
            peak = max(
                [
                    sample.rss
                    for sample in samples
                    if sample.pid == pid
                ]
            )
            """,
            line=2,
            fixed="""
            peak = max(
                sample.rss
                for sample in samples
                if sample.pid == pid
            )
            """,
            applicability=Applicability.SAFE,
        ),
        # A trailing comma: a bare generator would need parentheses.
        Invalid(
            """
            lookup = dict(
                [(user.id, user) for user in users],
            )
            """,
            fixed="""
            lookup = dict(
                ((user.id, user) for user in users),
            )
            """,
            applicability=Applicability.SAFE,
        ),
        # A `StopIteration` from `next` would become a `RuntimeError` inside a generator.
        Invalid(
            """
            try:
                first_three = tuple([next(rows) for _ in range(3)])
            except StopIteration:
                first_three = ()
            """,
            fixed="""
            try:
                first_three = tuple(next(rows) for _ in range(3))
            except StopIteration:
                first_three = ()
            """,
            applicability=Applicability.UNSAFE,
        ),
        # `builtins.sum` is the builtin too; the outer iterable's `await` runs at once anyway.
        Invalid(
            """
            import builtins
            async def total(db):
                return builtins.sum([r.n for r in await db.rows()])
            """,
            fixed="""
            import builtins
            async def total(db):
                return builtins.sum(r.n for r in await db.rows())
            """,
            applicability=Applicability.SAFE,
        ),
    )

    reach = Reach.FUNCTION

    @classmethod
    def ast_places(cls, tree: ast.Module, settings: Settings) -> list[ast.AST]:
        """The calls handed a list comprehension where a consumer they may name iterates
        one (conservative: the rule's shapes and positions, names not resolved)."""
        imports: names.Imports | None = None
        found: list[ast.AST] = []
        for call in astindex.nodes(tree, ast.Call):
            takers = _ast_takers(call)
            if not takers:
                continue
            if imports is None:
                imports = names.Imports.of(tree)
            if imports.may_refer(call.func, takers):
                found.append(call)
        return found

    def visit_Call(self, node: cst.Call) -> None:
        # Shape first: a list comprehension among the positional arguments.
        if not any(
            isinstance(arg.value, cst.ListComp) and arg.keyword is None and not arg.star
            for arg in node.args
        ):
            return
        # `resolved`, not `resolves_to`: `dict.fromkeys` is not `dict`.
        qualified = next(iter(names.resolved(self, node.func) & _CONSUMERS.keys()), None)
        if qualified is None:
            return
        takes, safety, cost = _CONSUMERS[qualified]
        callee = names.dotted(node.func) or qualified.rpartition(".")[2]
        for arg in _iterable_args(node, takes):
            comp = arg.value
            if not isinstance(comp, cst.ListComp):
                continue
            found = _inspect(comp)
            # `[await f(x) for x in y]` is an async comprehension in disguise.
            if found.asynchronous:
                continue
            unsafe = (
                found.comments
                or safety is _Safety.LAZY
                or (safety is _Safety.SHORT_CIRCUITS and found.effects)
                or any(self._advances_iterator(call) for call in found.calls)
            )
            shape = _shape(callee, node, comp)
            message = f"`{shape}` builds the whole list {cost.format(callee=callee)}"
            self.report(comp, message, fix=self._fix(node, arg, comp, unsafe))

    def _advances_iterator(self, call: cst.Call) -> bool:
        """`next(it)` or `it.__next__()`: a `StopIteration` it raises leaves a list
        comprehension as it is, but a generator turns it into `RuntimeError` (PEP 479)."""
        if names.resolves_to(self, call, _NEXT) is not None:
            return True
        return isinstance(call.func, cst.Attribute) and call.func.attr.value == "__next__"

    def _fix(self, call: cst.Call, arg: cst.Arg, comp: cst.ListComp, unsafe: bool) -> FixSpec:
        opening = comp.lbracket.whitespace_after
        closing = comp.rbracket.whitespace_before
        if (
            comp.lpar
            and isinstance(opening, cst.SimpleWhitespace)
            and isinstance(closing, cst.SimpleWhitespace)
        ):
            # `f(([...]))`: the existing parentheses hold the generator.
            generator = cst.GeneratorExp(comp.elt, comp.for_in, lpar=comp.lpar, rpar=comp.rpar)
            return self.replace(comp, generator, _TITLE, unsafe=unsafe)
        bare = _bare_call(call, arg, comp)
        if bare is not None:
            return self.replace(call, bare, _TITLE, unsafe=unsafe)
        # Not the only argument (or a trailing comma): a generator needs its parentheses.
        generator = cst.GeneratorExp(
            comp.elt,
            comp.for_in,
            lpar=[*comp.lpar, cst.LeftParen(whitespace_after=opening)],
            rpar=[cst.RightParen(whitespace_before=closing), *comp.rpar],
        )
        return self.replace(comp, generator, _TITLE, unsafe=unsafe)


def _ast_takers(call: ast.Call) -> frozenset[str]:
    """The consumers that would take a list comprehension among `call`'s positional
    arguments, by its position (`_iterable_args` on CPython's tree); empty for none.

    libcst counts a `**kwargs` among the positional arguments (it has no keyword), and it
    comes after them all. `resolved` names plain `a.b.c` callees only, and an attribute by
    a name that ends in it (`dict.fromkeys` is not `dict`).
    """
    args = call.args
    if not any(isinstance(arg, ast.ListComp) for arg in args):
        return frozenset()
    head: ast.expr = call.func
    while isinstance(head, ast.Attribute):
        head = head.value
    if not isinstance(head, ast.Name):
        return frozenset()
    found = _TAKING[_Takes.ANY]
    if isinstance(args[0], ast.ListComp):
        found |= _TAKING[_Takes.FIRST]
        double_star = sum(1 for keyword in call.keywords if keyword.arg is None)
        if len(args) + double_star == 1:
            found |= _TAKING[_Takes.ONLY]
    if isinstance(call.func, ast.Attribute):
        attr = call.func.attr
        found = frozenset(name for name in found if name.rsplit(".", 1)[-1] == attr)
    return found


def _iterable_args(call: cst.Call, takes: _Takes) -> list[cst.Arg]:
    positional = [arg for arg in call.args if arg.keyword is None]
    # After `*args` the position of what follows is unknown.
    starred = next((i for i, arg in enumerate(positional) if arg.star), len(positional))
    if takes is _Takes.ANY:
        return [arg for arg in positional if not arg.star]
    if takes is _Takes.ONLY and len(positional) != 1:
        return []
    return positional[:1] if starred > 0 else []


def _bare_call(call: cst.Call, arg: cst.Arg, comp: cst.ListComp) -> cst.Call | None:
    """`f([x for x in y])` as `f(x for x in y)`, the brackets' line breaks kept; or None.

    A bare generator must be the call's only argument, with no trailing comma. When the
    `[` and the `(` each end a line, the items move out one level to where the `[` was.
    """
    if len(call.args) != 1 or comp.lpar or not isinstance(arg.comma, cst.MaybeSentinel):
        return None
    comp = cst.ensure_type(comp.visit(_Dedent(_extra_indent(call, comp))), cst.ListComp)
    opening = _merge(call.whitespace_before_args, comp.lbracket.whitespace_after)
    closing = _merge(comp.rbracket.whitespace_before, arg.whitespace_after_arg)
    if opening is None or closing is None:
        return None
    generator = cst.GeneratorExp(comp.elt, comp.for_in, lpar=[], rpar=[])
    return call.with_changes(
        whitespace_before_args=opening,
        args=[arg.with_changes(value=generator, whitespace_after_arg=closing)],
    )


def _extra_indent(call: cst.Call, comp: cst.ListComp) -> int:
    """How much deeper the lines after `[` are indented than the line after `(`."""
    outer = call.whitespace_before_args
    inner = comp.lbracket.whitespace_after
    if not (
        isinstance(outer, cst.ParenthesizedWhitespace)
        and isinstance(inner, cst.ParenthesizedWhitespace)
        and outer.indent == inner.indent
    ):
        return 0
    deeper, shallower = inner.last_line.value, outer.last_line.value
    if not deeper.startswith(shallower) or deeper.strip(" \t"):
        return 0
    return len(deeper) - len(shallower)


class _Dedent(cst.CSTTransformer):
    """Take `width` leading blanks off every continuation line (and comment line) it visits."""

    def __init__(self, width: int) -> None:
        super().__init__()
        self.width = width

    def _cut(self, whitespace: cst.SimpleWhitespace) -> cst.SimpleWhitespace:
        value = whitespace.value
        if self.width == 0 or value[: self.width].strip(" \t") or len(value) < self.width:
            return whitespace
        return whitespace.with_changes(value=value[self.width :])

    def leave_ParenthesizedWhitespace(
        self, original_node: cst.ParenthesizedWhitespace, updated_node: cst.ParenthesizedWhitespace
    ) -> cst.ParenthesizedWhitespace:
        return updated_node.with_changes(last_line=self._cut(updated_node.last_line))

    def leave_EmptyLine(
        self, original_node: cst.EmptyLine, updated_node: cst.EmptyLine
    ) -> cst.EmptyLine:
        return updated_node.with_changes(whitespace=self._cut(updated_node.whitespace))


def _shape(callee: str, call: cst.Call, comp: cst.ListComp) -> str:
    """`sorted([...], key=...)`: the call as written, its arguments elided."""
    shown = []
    for arg in call.args:
        if arg.value is comp:
            shown.append("[...]")
        elif arg.keyword is not None:
            shown.append(f"{arg.keyword.value}=...")
        else:
            shown.append(f"{arg.star}...")
    return f"{callee}({', '.join(shown)})"
