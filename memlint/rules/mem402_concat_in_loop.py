"""MEM402: a str or bytes buffer grown by `+=` on every iteration of a loop."""

from __future__ import annotations

import ast
from collections.abc import Mapping
from typing import TYPE_CHECKING, Callable

import libcst as cst
from libcst.metadata import CodeRange, PositionProvider

from memlint.regions import Reach
from memlint.rule import Invalid, Rule, Valid
from memlint.semantic import astindex, bindings, context, names
from memlint.semantic.constants import ModuleConstantsProvider, Number, fold

if TYPE_CHECKING:
    from memlint.settings import Settings

# A `for` over `range()` of at most this many constant steps is bounded by the code.
_SMALL_RANGE = 1000
_EMPTY_CALLS = {"builtins.str": "str", "builtins.bytes": "bytes"}
_MESSAGES = {
    # CPython can often extend a str in place; bytes never.
    "str": "`{shape}` in a loop can copy the whole string on every iteration, so time grows "
    "quadratically and peak memory reaches twice the final size",
    "bytes": "`{shape}` in a loop copies the whole bytes object on every iteration, so time "
    "grows quadratically and peak memory reaches twice the final size",
}
_SUGGESTIONS = {
    "str": 'Collect the parts in a list and `"".join(parts)` once, or write them to an '
    "`io.StringIO`",
    "bytes": 'Collect the parts in a list and `b"".join(parts)` once, or extend a '
    "`bytearray` / write to an `io.BytesIO`",
}


def _leftmost_operands(value: cst.BaseExpression) -> list[cst.BaseExpression]:
    """The operands of a `+` chain, left to right: `a + b + c` -> [a, b, c]."""
    operands: list[cst.BaseExpression] = []
    while isinstance(value, cst.BinaryOperation) and isinstance(value.operator, cst.Add):
        operands.append(value.right)
        value = value.left
    operands.append(value)
    return operands[::-1]


def _is_name(node: cst.BaseExpression, name: str) -> bool:
    return isinstance(node, cst.Name) and node.value == name


def _concat_value(target: str, value: cst.BaseExpression) -> bool:
    """Whether `target = value` appends to `target`: `buf + x`, `buf + x + y`."""
    operands = _leftmost_operands(value)
    return len(operands) > 1 and _is_name(operands[0], target)


def _doubles(target: str, operands: list[cst.BaseExpression]) -> bool:
    """`s + s`, `s + x + s`: the value holds the buffer twice (MEM401's business)."""
    return sum(_is_name(operand, target) for operand in operands) > 1


def literal_starts(tree: ast.Module) -> frozenset[str]:
    """Names bound somewhere in the module to a str/bytes literal or an argument-less call
    (`""`, `b""`, f-strings, `str()`): the only names whose `+=` the rule can flag."""
    found: set[str] = set()
    assigned: list[ast.Assign | ast.AnnAssign] = [
        *astindex.nodes(tree, ast.Assign),
        *astindex.nodes(tree, ast.AnnAssign),
    ]
    for node in assigned:
        targets: list[ast.expr]
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif node.value is not None:
            targets = [node.target]
        else:
            continue
        value = node.value
        literal = (isinstance(value, ast.Constant) and isinstance(value.value, (str, bytes))) or (
            isinstance(value, ast.JoinedStr)
            or (isinstance(value, ast.Call) and not value.args and not value.keywords)
        )
        if literal:
            found.update(target.id for target in targets if isinstance(target, ast.Name))
    return frozenset(found)


def _grows_a_start(tree: ast.Module, starts: frozenset[str]) -> list[ast.AST]:
    """Each `name += ...` or `name = name + ...` of a literal-started name that sits in a
    loop (any loop around it, whatever scope: the rule decides which loops count)."""
    grown: list[ast.AugAssign | ast.Assign] = [
        *astindex.nodes(tree, ast.AugAssign),
        *astindex.nodes(tree, ast.Assign),
    ]
    growing: set[int] = set()
    for node in grown:
        target: ast.expr
        if isinstance(node, ast.AugAssign):
            target, added = node.target, isinstance(node.op, ast.Add)
        elif len(node.targets) == 1:
            target = node.targets[0]
            added = isinstance(node.value, ast.BinOp) and isinstance(node.value.op, ast.Add)
        else:
            continue
        if added and isinstance(target, ast.Name) and target.id in starts:
            growing.add(id(node))
    if not growing:
        return []
    loops: list[ast.For | ast.AsyncFor | ast.While] = [
        *astindex.nodes(tree, ast.For),
        *astindex.nodes(tree, ast.AsyncFor),
        *astindex.nodes(tree, ast.While),
    ]
    found = {id(inner): inner for loop in loops for inner in ast.walk(loop) if id(inner) in growing}
    return list(found.values())


class ConcatInLoop(Rule):
    """
    ## What it does
    Flags `buf += x` (and `buf = buf + x`) inside a `for` or `while` loop, where `buf` is a
    name that starts as a `str` or `bytes` literal or an empty value (`""`, `b""`,
    `str()`, `bytes()`, an f-string) before the loop and is only ever extended after that.

    Not flagged: a buffer that is re-set anywhere inside the loop (`buf = ""` after a
    flush: each iteration's growth is bounded), a buffer that starts from something else
    (a parameter, a call's result), `bytearray` buffers (extending one is amortised
    constant time: it is the fix), lists (`parts += [x]`), numbers, `s += s` (doubling,
    MEM401), attributes (`self.buf += x`), concatenation outside a loop or in a function
    defined inside it, and loops bounded by the code: a `for` over a literal or over a
    `range()` of at most 1,000 constant steps.

    ## Why is this bad?
    `str` and `bytes` are immutable, so `buf += x` builds a new object and copies the
    whole buffer into it. Over a loop of n parts that is O(n²) time, and each copy briefly
    holds the old and the new buffer, so peak memory is twice the final size. CPython can
    sometimes extend a `str` in place, but only while nothing else refers to the buffer,
    and never for `bytes`; PEP 8 advises against relying on it, and other implementations
    (PyPy) do not have it.

    ## Example
    ```python
    def render(rows):
        html = ""
        for row in rows:
            html += f"<tr><td>{row}</td></tr>"
        return html
    ```

    ## Use instead
    ```python
    def render(rows):
        parts = []
        for row in rows:
            parts.append(f"<tr><td>{row}</td></tr>")
        return "".join(parts)
    ```

    ## References
    - [PEP 8: programming recommendations](https://peps.python.org/pep-0008/#programming-recommendations)
    - [str.join](https://docs.python.org/3/library/stdtypes.html#str.join)
    - [io.StringIO](https://docs.python.org/3/library/io.html#io.StringIO)
    """

    code = "MEM402"
    name = "concat-in-loop"
    summary = "A str or bytes buffer extended with `+=` on every iteration of a loop"
    # No telling word: an augmented `+=`, or `name = name +` (through parentheses, line
    # continuations and comments).
    # A comment is `#` up to its newline, so the scan can split a run of `#`s only one way.
    trigger_pattern = r"\+=|\b(\w+)[\s\\]*=(?:[\s(\\]|#[^\n]*\n)*\1(?:[\s)\\]|#[^\n]*\n)*\+"
    trigger_literals = ("+",)
    METADATA_DEPENDENCIES = (
        PositionProvider,
        ModuleConstantsProvider,
        *names.PROVIDERS,
        *context.PROVIDERS,
        *bindings.PROVIDERS,
    )

    cases = (
        # A list, a number, a bytearray: not an immutable buffer.
        Valid(
            """
            def collect(items):
                parts = []
                total = 0
                buf = bytearray()
                for item in items:
                    parts += [str(item)]
                    total += item
                    buf += bytes(item)
                return "".join(parts), total, buf
            """
        ),
        # Re-set inside the loop: bounded per iteration (a tokenizer, a flushing writer).
        Valid(
            """
            def tokens(text, out):
                word = ""
                chunk = b""
                for ch in text:
                    if ch.isspace():
                        yield word
                        word = ""
                    else:
                        word += ch
                    chunk += ch.encode()
                    if len(chunk) > 4096:
                        out.write(chunk)
                        chunk = b""
            """
        ),
        Valid(
            """
            def lines(rows):
                for row in rows:
                    line = ""
                    line += row.name
                    line += ";"
                    yield line
            """
        ),
        # Started from something other than a literal: a parameter, a call result.
        Valid(
            """
            def extend(prefix, items):
                text = load_header()
                for item in items:
                    prefix += item
                    text += item
                return prefix, text
            """
        ),
        # `s += s` doubles the string: MEM401's business, not this rule's.
        Valid(
            """
            def grow(n):
                s = "ab"
                for _ in range(n):
                    s += s
                    s = s + s
                return s
            """
        ),
        # Outside a loop, in a function defined inside the loop, or over a loop bounded by
        # the code.
        Valid(
            """
            def header(name, values):
                text = ""
                text += name
                text += ": "
                pad = ""
                for _ in range(4):
                    pad += " "
                for sep in (",", ";"):
                    text += sep
                for i in range(len(values)):
                    def show(v):
                        out = ""
                        out += str(v)
                        return out
                return text + pad
            """
        ),
        # A global is shared state, bound in another scope: not followed.
        Valid(
            """
            log = ""
            def record(events):
                global log
                for e in events:
                    log += e
            """
        ),
        Invalid(
            """
            def render(rows):
                html = ""
                for row in rows:
                    html += f"<tr><td>{row}</td></tr>"
                return html
            """,
            line=4,
            column=9,
        ),
        Invalid(
            """
            def encode(fields):
                packet = b"\\x02"
                while fields:
                    name, value = fields.pop()
                    packet = packet + name + b"=" + value
                return packet
            """,
            line=5,
            column=9,
        ),
        # `str()` is an empty value; a concatenation before the loop keeps the buffer.
        Invalid(
            """
            def report(lines):
                out = str()
                out += "Report\\n"
                for line in lines:
                    out += line + "\\n"
                return out
            """,
            line=5,
        ),
        # An annotated start, grown in nested loops.
        Invalid(
            """
            def dump(tables):
                text: str = "tables:\\n"
                for table in tables:
                    for row in table:
                        text += ",".join(row)
                return text
            """,
            line=5,
        ),
        # Module level, a large constant range.
        Invalid(
            """
            data = bytes()
            for i in range(100_000):
                data += i.to_bytes(4, "big")
            """,
            line=3,
        ),
    )

    # Names with a literal start in this file, computed on first need.
    _starts: frozenset[str] | None = None

    reach = Reach.FUNCTION

    @classmethod
    def ast_places(cls, tree: ast.Module, settings: Settings) -> list[ast.AST]:
        starts = literal_starts(tree)
        return _grows_a_start(tree, starts) if starts else []

    def _may_start_literal(self, name: str) -> bool:
        """Cheap: False when no binding of `name` anywhere is a literal (no scope needed)."""
        tree = self.context.tree
        if tree is None:
            return True
        if self._starts is None:
            self._starts = literal_starts(tree)
        return name in self._starts

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        if not isinstance(node.operator, cst.AddAssign) or not isinstance(node.target, cst.Name):
            return
        target = node.target.value
        if not self._may_start_literal(target):
            return
        if _doubles(target, [node.target, node.value]):
            return
        self._check(node, node.target, f"{target} += ...")

    def visit_Assign(self, node: cst.Assign) -> None:
        if len(node.targets) != 1 or not isinstance(node.targets[0].target, cst.Name):
            return
        name = node.targets[0].target
        if not _concat_value(name.value, node.value) or not self._may_start_literal(name.value):
            return
        if _doubles(name.value, _leftmost_operands(node.value)):
            return
        self._check(node, name, f"{name.value} = {name.value} + ...")

    # -- analysis ----------------------------------------------------------------------------

    def _check(self, statement: cst.CSTNode, name: cst.Name, shape: str) -> None:
        loops = [
            loop
            for loop in context.context_of(self, statement).loops
            if loop.kind != "comprehension"
        ]
        if not loops or all(self._bounded(loop.node) for loop in loops):
            return
        found = bindings.name_bindings(self, name)
        if found is None:
            return
        kind = self._start_kind(name.value, found.bindings, loops)
        if kind is None:
            return
        self.report(
            statement,
            _MESSAGES[kind].format(shape=shape),
            suggestion=_SUGGESTIONS[kind],
        )

    def _start_kind(
        self,
        name: str,
        found: tuple[bindings.Binding, ...],
        loops: list[context.Loop],
    ) -> str | None:
        """The kind, `str` or `bytes`, when every start of `name` before the loops is a literal.

        Extensions (`+=`, `name = name + ...`) may be anywhere; any other binding inside
        the loops re-sets the buffer, and one after them does not matter.
        """
        loop_nodes = {id(loop.node) for loop in loops}
        outer = self._position(loops[0].node)
        kinds: set[str] = set()
        for binding in found:
            if self._extends(name, binding):
                continue
            where = context.context_of(self, binding.node)
            if any(id(loop.node) in loop_nodes for loop in where.loops):
                return None  # re-set inside the loop
            position = self._position(binding.node)
            if (position.start.line, position.start.column) > (outer.end.line, outer.end.column):
                continue  # after the loop
            kind = self._literal_kind(binding) if binding.kind in ("assign", "annassign") else None
            if kind is None:
                return None
            kinds.add(kind)
        return kinds.pop() if len(kinds) == 1 else None

    @staticmethod
    def _extends(name: str, binding: bindings.Binding) -> bool:
        if binding.kind == "augassign":
            return isinstance(binding.operator, cst.AddAssign)
        return (
            binding.kind == "assign"
            and binding.value is not None
            and _concat_value(name, binding.value)
        )

    def _literal_kind(self, binding: bindings.Binding) -> str | None:
        value = binding.value
        if isinstance(value, (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString)):
            return _string_kind(value)
        if isinstance(value, cst.Call) and not value.args:
            qualified = names.resolves_to(self, value, _EMPTY_CALLS)
            return _EMPTY_CALLS[qualified] if qualified is not None else None
        return None

    def _bounded(self, loop: context.LoopNode) -> bool:
        """A `for` over a literal, or over a `range()` of few constant steps."""
        if not isinstance(loop, cst.For):
            return False
        iterable = loop.iter
        if isinstance(iterable, (cst.List, cst.Tuple, cst.Set)):
            return not any(isinstance(e, cst.StarredElement) for e in iterable.elements)
        if isinstance(iterable, (cst.SimpleString, cst.ConcatenatedString)):
            return True
        if not isinstance(iterable, cst.Call) or not names.resolves_to(
            self, iterable, {"builtins.range"}
        ):
            return False
        steps = _range_length(iterable, self._constants().get)
        return steps is not None and steps <= _SMALL_RANGE

    def _constants(self) -> Mapping[str, Number]:
        return self.get_metadata(ModuleConstantsProvider, self.context.module, {})

    def _position(self, node: cst.CSTNode) -> CodeRange:
        return self.get_metadata(PositionProvider, node)


def _string_kind(node: cst.BaseExpression) -> str | None:
    if isinstance(node, cst.FormattedString):
        return "bytes" if "b" in node.prefix.lower() else "str"
    if isinstance(node, cst.SimpleString):
        return "bytes" if "b" in node.prefix.lower() else "str"
    if isinstance(node, cst.ConcatenatedString):
        left, right = _string_kind(node.left), _string_kind(node.right)
        return left if left == right else None
    return None


def _range_length(call: cst.Call, lookup: Callable[[str], Number | None]) -> int | None:
    """How many steps `range(...)` takes when its arguments fold to integers."""
    if any(arg.star or arg.keyword is not None for arg in call.args):
        return None
    values = [fold(arg.value, lookup) for arg in call.args]
    if not values or len(values) > 3 or not all(isinstance(v, int) for v in values):
        return None
    ints = [int(v) for v in values if v is not None]
    start, stop, step = (0, ints[0], 1) if len(ints) == 1 else (ints[0], ints[1], 1)
    if len(ints) == 3:
        step = ints[2]
    if step == 0:
        return None
    return len(range(start, stop, step)) if abs(stop - start) < 2**62 else None
