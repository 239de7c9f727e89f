"""MEM401: a string, bytes, list or tuple that doubles (or multiplies) itself inside a loop."""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Union

import libcst as cst
from libcst.metadata import GlobalScope, PositionProvider, ScopeProvider

from memlint.diagnostics import Confidence
from memlint.regions import Reach
from memlint.rule import Invalid, Rule, Valid
from memlint.semantic import astindex, bindings, context, names, types
from memlint.semantic.constants import ModuleConstantsProvider, Number, fold

if TYPE_CHECKING:
    from memlint.settings import Settings

_Statement = Union[cst.AugAssign, cst.Assign, cst.AnnAssign]
_NOUNS: Mapping[str, str] = {
    "str": "string",
    "bytes": "bytes object",
    "bytearray": "bytearray",
    "list": "list",
    "tuple": "tuple",
}
_WORDS = {2: "doubles", 3: "triples"}
# Loops that run a fixed number of times in all, and grow the value at most 2**16 times
# over, are bounded by the code (`for _ in range(10): s += s`).
_SMALL_GROWTH_BITS = 16
_RANGE = frozenset({"builtins.range"})
# Longer statements are shown as `s = ...` in the message.
_SHOWN_MAX = 40

# -- the trigger pattern ---------------------------------------------------------------------
# A flagged statement starts with its target and holds it again as an operand of `+` or `*`,
# or is a `*=`. Signatures, where `s` is the target (a backreference):
#   s *= ...
#   s += s ...            s += ... + s          s += ... * s
#   s = s * ...           s = s + s ...         s = s + ... + s     (also `s: T = ...`)
#   s = ... * s           s = ... + s * ...     s = ... + s + ... s
# Between the pieces, spaces, `(`/`)`, backslashes and comments are skipped (_OPEN, _CLOSE),
# and a span of the statement is skipped (_SPAN): the rest of its first line, and when that
# line ends with a bracket, a comma, an operator or a backslash (the expression goes on),
# up to _MORE characters of the lines after it.
#
# Linear by construction (tests/test_meta.py checks it): no quantifier sits inside another
# except `#[^\n]*\n`, which can end in one place only. An earlier pattern nested them and hung
# on a line of `#`s.
_MORE = 300
_OPEN = r"(?:[\s(\\]|#[^\n]*\n){0,80}"
_CLOSE = r"(?:[\s)\\]|#[^\n]*\n){0,80}"
_SPAN = (
    r"[^\n]{0,200}?"
    rf"(?:[(\[{{,+\-*/%&|^~<>=:.@\\][ \t]*(?:#[^\n]*)?\n[\s\S]{{0,{_MORE}}}?)?"
)
_TIMES = r"(?<![(\[{,=*])(?<![(\[{,=*] )\*(?!\*)"  # a product, not `*args` or `**`
_START = r"(?:^|[;:=])[ \t]*"
_TRIGGER = (
    rf"{_START}(?P<s>\w+)[ \t]*(?:"
    r"\*="
    rf"|\+=(?:{_OPEN}|{_SPAN}[+*]{_OPEN})(?P=s)\b"
    r"|(?::[^=\n]*)?=(?!=)(?:"
    rf"{_OPEN}(?P=s){_CLOSE}(?:{_TIMES}|\+(?:{_SPAN}[+*])?{_OPEN}(?P=s)\b)"
    rf"|{_SPAN}(?:{_TIMES}{_OPEN}(?P=s)\b"
    rf"|[+(]{_OPEN}(?P=s){_CLOSE}(?:{_TIMES}|\+(?:{_SPAN}[+*])?{_OPEN}(?P=s)\b))))"
)


@dataclass(frozen=True)
class _Growth:
    """How many copies of its old value a statement puts in the target's new value."""

    copies: int
    # False when a multiplier is not a constant (counted as 2: it can be anything).
    exact: bool


_NONE = _Growth(0, True)


def _names_in(node: cst.CSTNode) -> Iterator[cst.Name]:
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.Name):
            yield current
        stack.extend(current.children)


def _mentions(node: cst.CSTNode, name: str) -> bool:
    return any(found.value == name for found in _names_in(node))


def _is_reset(small: cst.BaseSmallStatement, name: str) -> bool:
    """`name = <value not involving name>`: the old value is dropped."""
    if isinstance(small, cst.Assign):
        targets = [t.target for t in small.targets]
        value: cst.BaseExpression | None = small.value
    elif isinstance(small, cst.AnnAssign):
        targets, value = [small.target], small.value
    else:
        return False
    bound = any(isinstance(t, cst.Name) and t.value == name for t in targets)
    return bound and value is not None and not _mentions(value, name)


def _path(root: cst.CSTNode, target: cst.CSTNode) -> list[cst.CSTNode]:
    """The nodes from `root` down to `target` (both included); empty when not found."""
    parents: dict[int, cst.CSTNode | None] = {id(root): None}
    stack = [root]
    while stack:
        node = stack.pop()
        if node is target:
            path = [node]
            parent = parents[id(node)]
            while parent is not None:
                path.append(parent)
                parent = parents[id(parent)]
            return path[::-1]
        if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            continue
        for child in node.children:
            parents[id(child)] = node
            stack.append(child)
    return []


def _reset_before(loop: cst.For | cst.While, statement: cst.CSTNode, name: str) -> bool:
    """Whether every pass through the loop body rebinds `name` afresh before `statement`.

    That is: a plain assignment not involving `name` earlier in a block that holds the
    statement (the loop body itself, or an `if`/`with`/`try` block inside it), or a `for`
    loop that binds `name` as its target.
    """
    if isinstance(loop, cst.For) and _mentions(loop.target, name):
        return True
    path = _path(loop.body, statement)
    for block, child in zip(path, path[1:]):
        if not isinstance(
            block, (cst.IndentedBlock, cst.SimpleStatementLine, cst.SimpleStatementSuite)
        ):
            continue
        for earlier in block.body:
            if earlier is child:
                break
            smalls = earlier.body if isinstance(earlier, cst.SimpleStatementLine) else [earlier]
            if any(isinstance(s, cst.BaseSmallStatement) and _is_reset(s, name) for s in smalls):
                return True
    return False


def _is_len_of(node: cst.CSTNode, name: str) -> bool:
    """`len(name)`."""
    return (
        isinstance(node, cst.Call)
        and isinstance(node.func, cst.Name)
        and node.func.value == "len"
        and len(node.args) == 1
        and isinstance(node.args[0].value, cst.Name)
        and node.args[0].value.value == name
    )


def _tests_size(test: cst.BaseExpression, name: str) -> bool:
    stack: list[cst.CSTNode] = [test]
    while stack:
        current = stack.pop()
        if _is_len_of(current, name):
            return True
        stack.extend(current.children)
    return False


def _leaves(body: cst.BaseSuite) -> bool:
    """Whether a block ends the loop: a `break`, `return` or `raise` among its statements."""
    lines = body.body
    smalls = [
        small
        for line in lines
        for small in (line.body if isinstance(line, cst.SimpleStatementLine) else [line])
    ]
    return any(isinstance(small, (cst.Break, cst.Return, cst.Raise)) for small in smalls)


def _size_checked(loop: cst.For | cst.While, name: str) -> bool:
    """Whether the loop stops on the value's size: `while len(s) < n`, or an `if` on
    `len(s)` in the loop body that leaves the loop. The value then ends below a bound."""
    if isinstance(loop, cst.While) and _tests_size(loop.test, name):
        return True
    return any(
        isinstance(statement, cst.If)
        and _tests_size(statement.test, name)
        and _leaves(statement.body)
        for statement in loop.body.body
    )


# -- the pre-filter on CPython's tree ---------------------------------------------------------

_Doubling = Union[ast.AugAssign, ast.Assign, ast.AnnAssign]
# A block of these holds statements of the same function and loops; not so a def or class.
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def _ast_mentions(node: ast.AST, name: str) -> bool:
    # Fewer mentions than libcst's `_mentions` (which counts attribute and keyword names).
    return any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(node))


def _ast_copies(expr: ast.expr, name: str) -> float:
    """At least the copies `_growth` counts for the same expression: a number folds only
    when it is a literal, any other multiplier may be any count."""
    if isinstance(expr, ast.Name):
        return 1 if expr.id == name else 0
    if not isinstance(expr, ast.BinOp):
        return 0
    if isinstance(expr.op, ast.Add):
        return _ast_copies(expr.left, name) + _ast_copies(expr.right, name)
    if not isinstance(expr.op, ast.Mult):
        return 0
    left = _ast_copies(expr.left, name)
    if left and not _ast_mentions(expr.right, name):
        return _ast_times(left, expr.right)
    right = _ast_copies(expr.right, name)
    if right and not _ast_mentions(expr.left, name):
        return _ast_times(right, expr.left)
    return 0


def _ast_times(copies: float, factor: ast.expr) -> float:
    number: object = None
    if isinstance(factor, ast.Constant):
        number = factor.value
    elif (
        isinstance(factor, ast.UnaryOp)
        and isinstance(factor.op, (ast.USub, ast.UAdd))
        and isinstance(factor.operand, ast.Constant)
    ):
        operand = factor.operand.value
        if isinstance(operand, (int, float)) and not isinstance(operand, bool):
            number = -operand if isinstance(factor.op, ast.USub) else operand
    if isinstance(number, bool) or not isinstance(number, (int, float)):
        return math.inf  # folded through names, or no number: counted as a doubling at least
    if isinstance(number, float):
        return 0  # a sequence times a float is a TypeError
    return copies * max(number, 0)


def _doubled(node: _Doubling) -> list[str]:
    """The targets the statement can put two copies or more of in their new value."""
    if isinstance(node, ast.AugAssign):
        if not isinstance(node.target, ast.Name):
            return []
        name = node.target.id
        if isinstance(node.op, ast.Add):
            grows = 1 + _ast_copies(node.value, name) >= 2
        elif isinstance(node.op, ast.Mult):
            grows = not _ast_mentions(node.value, name) and _ast_times(1, node.value) >= 2
        else:
            grows = False
        return [name] if grows else []
    if isinstance(node, ast.Assign):
        targets = node.targets
    elif node.value is not None:
        targets = [node.target]
    else:
        return []
    value = node.value
    assert value is not None
    return [t.id for t in targets if isinstance(t, ast.Name) and _ast_copies(value, t.id) >= 2]


# What `types.kind_of` never finds a str, bytes, list or tuple in.
_NEVER_SEQUENCES = (
    ast.Dict,
    ast.Set,
    ast.DictComp,
    ast.SetComp,
    ast.GeneratorExp,
    ast.Compare,
    ast.Lambda,
    ast.UnaryOp,
)


class _Sequences:
    """Whether a name may be a str, bytes, list or tuple to `types.kind_of`, read on CPython's
    tree for the whole module (scopes not told apart).

    `kind_of` settles a name's kind from its bindings that do not need it: a parameter (by
    its annotation; `*args` is a tuple), an annotated, plain or `:=` assignment (by its
    annotation, else its value). An augmented assignment, a loop target or an import never
    settles one. So a sequence needs one binding of these that may be one.
    """

    def __init__(self, tree: ast.Module) -> None:
        self.tree = tree
        self._imports: names.Imports | None = None

    def may_be(self, name: str) -> bool:
        tree = self.tree
        for arguments in astindex.nodes(tree, ast.arguments):
            if arguments.vararg is not None and arguments.vararg.arg == name:
                return True
        for arg in astindex.nodes(tree, ast.arg):
            if arg.arg == name and self._annotated(arg.annotation):
                return True
        for assign in astindex.nodes(tree, ast.Assign):
            bound = any(isinstance(t, ast.Name) and t.id == name for t in assign.targets)
            if bound and self._valued(assign.value, name):
                return True
        for annotated in astindex.nodes(tree, ast.AnnAssign):
            target = annotated.target
            if not isinstance(target, ast.Name) or target.id != name:
                continue
            if self._annotated(annotated.annotation) or (
                annotated.value is not None and self._valued(annotated.value, name)
            ):
                return True
        return any(
            isinstance(walrus.target, ast.Name)
            and walrus.target.id == name
            and self._valued(walrus.value, name)
            for walrus in astindex.nodes(tree, ast.NamedExpr)
        )

    def _valued(self, value: ast.expr, name: str) -> bool:
        """Whether `kind_of` may find a sequence in a value bound to `name`, before it knows
        `name`'s own kind (pending, or unknown once its budget is spent: never a sequence).

        `types._binary` gives a sequence for `a + b` and `a % b` only when `a` is one, for
        `a * b` when either is, and never for other operators; `types._unary` never does.
        """
        stack = [value]
        while stack:
            node = stack.pop()
            if isinstance(node, ast.BinOp):
                if isinstance(node.op, (ast.Add, ast.Mod)):
                    stack.append(node.left)
                elif isinstance(node.op, ast.Mult):
                    stack += [node.left, node.right]
                continue
            if isinstance(node, ast.Constant):
                if isinstance(node.value, (str, bytes)):
                    return True
                continue
            if isinstance(node, _NEVER_SEQUENCES):
                continue
            if isinstance(node, ast.Name) and node.id == name:
                continue
            # A call of a plain name is a sequence only from a builtin that builds one.
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                if self._refers(node.func, types.SEQUENCE_CALLS):
                    return True
                continue
            return True
        return False

    def _refers(self, node: ast.expr, candidates: frozenset[str]) -> bool:
        if self._imports is None:
            self._imports = names.Imports.of(self.tree)
        return self._imports.may_refer(node, candidates)

    def _annotated(self, annotation: ast.expr | None) -> bool:
        """Whether an annotation may name a sequence (`_annotation_kind`)."""
        if isinstance(annotation, ast.Subscript):
            annotation = annotation.value
        # `resolved` names plain `a.b.c` chains only.
        head = annotation
        while isinstance(head, ast.Attribute):
            head = head.value
        if annotation is None or not isinstance(head, ast.Name):
            return False
        return self._refers(annotation, types.SEQUENCE_ANNOTATIONS)


def _in_a_loop(tree: ast.Module, wanted: set[int]) -> list[ast.AST]:
    """The statements (by id) that run in the body of a `for` or `while` of their own
    function: not in the loop's `else:`, nor in a def or class inside the loop."""
    loops: list[ast.For | ast.AsyncFor | ast.While] = [
        *astindex.nodes(tree, ast.For),
        *astindex.nodes(tree, ast.AsyncFor),
        *astindex.nodes(tree, ast.While),
    ]
    found: dict[int, ast.AST] = {}
    for loop in loops:
        stack: list[ast.AST] = list(loop.body)
        while stack:
            node = stack.pop()
            if id(node) in wanted:
                found[id(node)] = node
            if isinstance(node, _SCOPES):
                continue
            # Statements sit in statements, handlers and match cases only.
            stack += [
                child
                for child in ast.iter_child_nodes(node)
                if isinstance(child, (ast.stmt, ast.excepthandler, ast.match_case))
            ]
    return list(found.values())


class StringDoubling(Rule):
    """
    ## What it does
    Flags a `str`, `bytes`, `bytearray`, `list` or `tuple` that doubles or multiplies
    itself inside a `for` or `while` loop: `s += s`, `s = s + s` (also `s = s + s + x`,
    `s = (s + s)`, `s += x + s`), `s *= k`, `s = s * k` and `s = k * s`, where `k` is 2 or
    more, or not a constant (a name, a call). Module constants are folded (`FACTOR = 3`
    makes `s * FACTOR` a tripling), and so are local names bound only to constants.

    The kind of the value must be evident: a literal, a constructor (`bytearray(b"x")`), an
    annotation (`s: str`), or a call that returns a string or bytes (`"".join(parts)`,
    `b.decode()`), through every binding of the name in its function. Only plain names in
    assignment statements are followed: attributes (`self.buf *= 2`), subscripts and `:=`
    are not.

    Not flagged:

    - a doubling outside any loop: it runs once and is bounded (a `def` nested in a loop
      has its own body, outside that loop);
    - a factor of 0 or 1 (`s *= 1`), and numbers (`n *= 2`, `x = x + x` for an int or a
      float);
    - a name whose kind is unknown (an unannotated parameter, a loop variable);
    - `s += t` with another value: that is concatenation in a loop (MEM402);
    - a name rebound afresh every iteration before it doubles (`for w in words: s =
      str(w); s = s * 2`): a plain assignment not involving the name earlier in the loop
      body (or in a block inside it that holds the doubling), or the `for` target itself;
    - a fixed number of rounds that grows the value at most 2**16 times over: every loop
      around the statement (in its function) is a `for` over a `range()` of constants
      (`for _ in range(10): s += s`), which includes a loop that runs at most once;
    - a loop that stops on the value's size: `while len(s) < n: s += s`, or an `if` on
      `len(s)` in the loop body that leaves the loop (`break`, `return`, `raise`). Doubling
      up to a size is the fast way to build a long value, and ends below twice that size.

    ## Why is this bad?
    Doubling is exponential: after `n` iterations the value holds `2**n` copies of its
    seed. Thirty iterations turn one byte into a gigabyte, forty into a terabyte, and every
    step also copies the whole value (lists and bytearrays grow in place, but need the same
    memory). What was meant as padding or test data to a given size ends in an
    out-of-memory kill once the loop runs a little longer than planned.

    ## Example
    ```python
    def make_payload(seed: str, rounds: int) -> str:
        payload = seed
        for _ in range(rounds):
            payload += payload
        return payload
    ```

    ## Use instead
    Compute the final size once and build the value in one step:
    ```python
    def make_payload(seed: str, size: int) -> str:
        return (seed * (size // len(seed) + 1))[:size]
    ```

    ## References
    - [Common sequence operations](https://docs.python.org/3/library/stdtypes.html#common-sequence-operations)
    - [io.StringIO](https://docs.python.org/3/library/io.html#io.StringIO)
    """

    code = "MEM401"
    name = "string-doubling"
    summary = "A string, bytes, list or tuple that doubles or multiplies itself in a loop"
    # Doubling in a loop grows exponentially whatever the input: high by itself.
    confidence = Confidence.HIGH
    trigger_pattern = _TRIGGER
    # Every shape multiplies or adds: `*=`, `+=`, `= ... *`, `= ... +`.
    trigger_literals = ("*", "+")
    METADATA_DEPENDENCIES = (
        PositionProvider,
        ModuleConstantsProvider,
        *types.PROVIDERS,
        *context.PROVIDERS,
        *bindings.PROVIDERS,
    )

    cases = (
        # A float doubled in a loop is a number.
        Valid(
            """
            def grow(steps):
                x = 1.5
                for _ in range(steps):
                    x *= 2
                    x = x + x
                return x
            """
        ),
        Valid(
            """
            def budget(n):
                total = 1
                while total < n:
                    total *= 2
                return total
            """
        ),
        # Once, outside a loop: bounded.
        Valid(
            """
            def pad(seed: str) -> str:
                seed += seed
                return seed * 4
            """
        ),
        # A factor of 1 (also through a module constant) copies nothing.
        Valid(
            """
            ONE = 1
            def repeat(items: list, n):
                for _ in range(n):
                    items *= 1
                    items = items * ONE
                return items
            """
        ),
        # The kind of an unannotated parameter is unknown.
        Valid(
            """
            def repeat(s, n):
                for _ in range(n):
                    s += s
                return s
            """
        ),
        # Another value appended: MEM402's business.
        Valid(
            """
            def join(parts):
                s = ""
                t = "-"
                for part in parts:
                    s += t
                    s = s + part
                return s
            """
        ),
        # Rebound afresh every iteration before the doubling.
        Valid(
            """
            def shout(words):
                out = []
                for word in words:
                    s = str(word)
                    if s:
                        s = s * 2
                    out.append(s)
                return out
            """
        ),
        # A def nested in a loop: its body runs outside that loop.
        Valid(
            """
            def handlers(names):
                found = []
                for name in names:
                    def handler(prefix: str) -> str:
                        prefix += prefix
                        return prefix
                    found.append(handler)
                return found
            """
        ),
        # Doubling up to a size ends below twice that size.
        Valid(
            """
            def pad(seed: bytes, size: int) -> bytes:
                out = seed
                while len(out) < size:
                    out += out
                grow = bytearray(seed)
                while True:
                    grow *= 2
                    if len(grow) >= size:
                        break
                return out[:size] + grow
            """
        ),
        # A fixed number of rounds grows the value by a fixed, small factor; a loop that runs
        # once does not repeat.
        Valid(
            """
            def sample(seed: bytes) -> bytes:
                data = seed
                for _ in range(10):
                    data += data
                for _ in range(1):
                    data *= 1000
                return data
            """
        ),
        # A loop variable is rebound every iteration.
        Valid(
            """
            def pairs(lines: list[str]):
                line: str
                for line in lines:
                    line = line * 2
                    yield line
            """
        ),
        Invalid(
            """
            def make_payload(rounds):
                payload = "x"
                for _ in range(rounds):
                    payload += payload
                return payload
            """,
            line=4,
            column=9,
        ),
        Invalid(
            """
            def make_payload(rounds):
                payload = "x"
                for _ in range(rounds):
                    payload = payload + payload
                return payload
            """,
            line=4,
            column=9,
        ),
        Invalid(
            """
            def blob(n):
                data = b"\\x00"
                for _ in range(n):
                    data *= 2
                return data
            """,
            line=4,
        ),
        # A factor that is not a constant.
        Invalid(
            """
            def widen(rows: int, k: int):
                grid = [0]
                for _ in range(rows):
                    grid *= k
                return grid
            """,
            line=4,
        ),
        Invalid(
            """
            def flood(sink):
                buf = bytearray(b"x")
                while True:
                    buf = buf + buf
                    sink.write(buf)
            """,
            line=4,
        ),
        Invalid(
            """
            def amplify(s: str, times: int) -> str:
                for _ in range(times):
                    s = s + s + "!"
                return s
            """,
            line=3,
        ),
        # A str-returning call.
        Invalid(
            """
            def stretch(parts, n):
                text = "".join(parts)
                for _ in range(n):
                    text = (text + text)
                return text
            """,
            line=4,
        ),
        Invalid(
            """
            def widen(row: tuple, n):
                for _ in range(n):
                    row = 3 * row
                return row
            """,
            line=3,
        ),
        # A module constant is folded.
        Invalid(
            """
            FACTOR = 3
            def grow(n):
                s = "ab"
                for _ in range(n):
                    s = s * FACTOR
                return s
            """,
            line=5,
        ),
        # Multi-line, with comments.
        Invalid(
            """
            def grow(n):
                chunk = b"ab"
                for _ in range(n):
                    chunk = (  # twice as long
                        chunk
                        # and again
                        + chunk
                    )
                return chunk
            """,
            line=4,
        ),
        # A fixed inner loop inside an unbounded one repeats without bound.
        Invalid(
            """
            def sample(seed: bytes, items) -> bytes:
                data = seed
                for item in items:
                    for _ in range(3):
                        data += data
                return data
            """,
            line=5,
        ),
        # A fixed number of rounds that multiplies the value more than 2**16 times over.
        Invalid(
            """
            ROUNDS = 40
            def blow_up() -> str:
                s = "x"
                for _ in range(ROUNDS):
                    s += s
                return s
            """,
            line=5,
        ),
        # A reset after the doubling does not bound it.
        Invalid(
            """
            def grow(n):
                s = "ab"
                for _ in range(n):
                    s += x + s
                s = ""
                return s
            """,
            line=4,
        ),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._constants: Mapping[str, Number] | None = None

    reach = Reach.FUNCTION

    @classmethod
    def ast_places(cls, tree: ast.Module, settings: Settings) -> list[ast.AST]:
        """The statements that may put their target in their new value twice or more, in a
        loop, with a target that may be a sequence (`visit_*`, `_check` and `kind_of`
        conservatively; bounds not looked at)."""
        statements: list[_Doubling] = [
            *astindex.nodes(tree, ast.AugAssign),
            *astindex.nodes(tree, ast.Assign),
            *astindex.nodes(tree, ast.AnnAssign),
        ]
        sequences = _Sequences(tree)
        wanted = {id(node) for node in statements if any(map(sequences.may_be, _doubled(node)))}
        return _in_a_loop(tree, wanted) if wanted else []

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        target = node.target
        if not isinstance(target, cst.Name):
            return
        name = target.value
        if isinstance(node.operator, cst.AddAssign):
            extra = self._growth(node.value, name)
            growth = _Growth(1 + extra.copies, extra.exact)
        elif isinstance(node.operator, cst.MultiplyAssign) and not _mentions(node.value, name):
            growth = self._times(_Growth(1, True), node.value)
        else:
            return
        self._check(node, target, growth)

    def visit_Assign(self, node: cst.Assign) -> None:
        for assign_target in node.targets:
            target = assign_target.target
            if isinstance(target, cst.Name):
                self._check(node, target, self._growth(node.value, target.value))

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if isinstance(node.target, cst.Name) and node.value is not None:
            self._check(node, node.target, self._growth(node.value, node.target.value))

    # -- analysis ------------------------------------------------------------------------

    def _check(self, node: _Statement, target: cst.Name, growth: _Growth) -> None:
        if growth.copies < 2:
            return
        loops = context.context_of(self, node).loops
        # Outside a loop (in this function) it happens once.
        if not loops or not isinstance(loops[-1].node, (cst.For, cst.While)):
            return
        loop = loops[-1]
        assert isinstance(loop.node, (cst.For, cst.While))
        repeats = self._fixed_repeats(loops)
        # A fixed, small number of rounds grows the value by a fixed factor.
        if (
            repeats is not None
            and growth.exact
            and repeats * math.log2(growth.copies) <= _SMALL_GROWTH_BITS
        ):
            return
        kind = types.kind_of(self, target)
        if kind not in types.SEQUENCE_KINDS:
            return
        if _reset_before(loop.node, node, target.value):
            return
        # Doubling until a size is reached is the fast way to build a long value, and ends.
        if _size_checked(loop.node, target.value):
            return
        self._report(node, target.value, kind, growth)

    def _fixed_repeats(self, loops: Sequence[context.Loop]) -> int | None:
        """How many times the body of the innermost loop runs in all, when every loop around
        it is a `for` over a `range()` of constants; None otherwise."""
        total = 1
        for loop in loops:
            node = loop.node
            if not isinstance(node, cst.For) or not isinstance(node.iter, cst.Call):
                return None
            call = node.iter
            if names.resolves_to(self, call, _RANGE) is None:
                return None
            if not 1 <= len(call.args) <= 3 or any(a.keyword or a.star for a in call.args):
                return None
            bounds = [self._fold(arg.value) for arg in call.args]
            if not all(isinstance(bound, int) for bound in bounds):
                return None
            try:
                total *= len(range(*bounds))  # type: ignore[arg-type]
            except (OverflowError, ValueError):
                return None
            if total > 2**_SMALL_GROWTH_BITS:
                return None
        return total

    def _growth(self, expr: cst.BaseExpression, name: str) -> _Growth:
        """Copies of `name` in `expr` as a sum of `name`, `name * k` and `k * name` terms."""
        if isinstance(expr, cst.Name):
            return _Growth(1, True) if expr.value == name else _NONE
        if not isinstance(expr, cst.BinaryOperation):
            return _NONE
        if isinstance(expr.operator, cst.Add):
            left = self._growth(expr.left, name)
            right = self._growth(expr.right, name)
            return _Growth(left.copies + right.copies, left.exact and right.exact)
        if not isinstance(expr.operator, cst.Multiply):
            return _NONE
        left = self._growth(expr.left, name)
        if left.copies and not _mentions(expr.right, name):
            return self._times(left, expr.right)
        right = self._growth(expr.right, name)
        if right.copies and not _mentions(expr.left, name):
            return self._times(right, expr.left)
        return _NONE

    def _times(self, growth: _Growth, factor: cst.BaseExpression) -> _Growth:
        value = self._fold(factor)
        if value is None:
            # Not a constant: it can be anything, so count it as a doubling at least.
            return _Growth(growth.copies * 2, False)
        if not isinstance(value, int):
            return _NONE  # a sequence times a float is a TypeError
        return _Growth(growth.copies * max(value, 0), growth.exact)

    # -- constants -------------------------------------------------------------------------

    def _fold(self, expr: cst.BaseExpression) -> Number | None:
        """The number `expr` always is: literals, module constants, and local names bound
        only to constants (the largest of them)."""
        values: dict[str, Number | None] = {}
        for found in _names_in(expr):
            if found.value not in values:
                values[found.value] = self._name_value(found)
        return fold(expr, values.get)

    def _name_value(self, name: cst.Name) -> Number | None:
        local = bindings.name_bindings(self, name)
        if local is not None:
            folded = [
                fold(b.value, self._module_constants().get)
                if b.kind in ("assign", "annassign") and b.value is not None
                else None
                for b in local.bindings
            ]
            if not folded or any(value is None for value in folded):
                return None
            return max(value for value in folded if value is not None)
        if not self._is_global(name):
            return None
        return self._module_constants().get(name.value)

    def _is_global(self, name: cst.Name) -> bool:
        scope = self.get_metadata(ScopeProvider, name, None)
        if scope is None:
            return False
        referents = [
            referent
            for access in scope.accesses[name]
            if access.node is name
            for referent in access.referents
        ]
        return bool(referents) and all(isinstance(r.scope, GlobalScope) for r in referents)

    def _module_constants(self) -> Mapping[str, Number]:
        if self._constants is None:
            self._constants = self.get_metadata(ModuleConstantsProvider, self.context.module, {})
        return self._constants

    # -- reporting -------------------------------------------------------------------------

    def _report(self, node: _Statement, name: str, kind: str, growth: _Growth) -> None:
        noun = _NOUNS[kind]
        if growth.exact:
            copies = growth.copies
            word = _WORDS.get(copies)
            does = f"{word} the {noun}" if word else f"multiplies the {noun} by {copies}"
            rate = f" ({copies}**n)"
        else:
            factor = self._factor_shown(node, name)
            does = (
                f"multiplies the {noun} by `{factor}`"
                if factor
                else f"multiplies the {noun} at least twofold"
            )
            if factor is None:
                rate = " (2**n or faster)"
            else:
                rate = f" ({factor}**n)" if factor.isidentifier() else ""
        message = (
            f"`{self._shown(node, name)}` inside a loop {does} on every iteration, so its "
            f"size grows exponentially{rate}"
        )
        suggestion = (
            "Compute the final size once and build the value in one step "
            "(`(seed * (size // len(seed) + 1))[:size]`), or stream the output"
        )
        self.report(node, message, suggestion=suggestion)

    def _shown(self, node: _Statement, name: str) -> str:
        code = self.context.module.code_for_node(node).strip().rstrip(";").strip()
        if "\n" in code or "#" in code or len(code) > _SHOWN_MAX:
            sign = "="
            if isinstance(node, cst.AugAssign):
                sign = "*=" if isinstance(node.operator, cst.MultiplyAssign) else "+="
            return f"{name} {sign} ..."
        return code

    def _factor_shown(self, node: _Statement, name: str) -> str | None:
        """The code of the one non-constant multiplier of `s *= k`, `s = s * k`, `s = k * s`."""
        factor: cst.BaseExpression | None = None
        if isinstance(node, cst.AugAssign):
            if isinstance(node.operator, cst.MultiplyAssign):
                factor = node.value
        elif node.value is not None:
            value = node.value
            if isinstance(value, cst.BinaryOperation) and isinstance(value.operator, cst.Multiply):
                if isinstance(value.left, cst.Name) and value.left.value == name:
                    factor = value.right
                elif isinstance(value.right, cst.Name) and value.right.value == name:
                    factor = value.left
        if factor is None:
            return None
        code = self.context.module.code_for_node(factor).strip()
        if "\n" in code or "#" in code or len(code) > _SHOWN_MAX // 2:
            return None
        return re.sub(r"\s+", " ", code)
