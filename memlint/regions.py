"""Which parts of a file libcst must parse: the code around the rules' candidates, the rest stubbed.

libcst's parse and metadata cost ten times CPython's parse, and most of a file that holds a
candidate holds none: a test module with one `read().splitlines()` in one of its 300
methods. So each rule names, on CPython's tree, the nodes where it may report and how much
code around one it needs to decide it (its `Reach`):

- `FUNCTION`: the def around the node (a top-level def, or a method of a top-level class),
  with every statement of the module and of that class that is not a def or a class;
- `CLASS`: the whole top-level statement around the node;
- `MODULE`: the whole file.

Every def and class that no rule needs keeps its decorators and header (they run in the
enclosing scope: defaults, annotations, bases) and has its body replaced by `pass` and
blank lines, so every kept line keeps its number and its text: positions and fix edits
from the reduced module are those of the file, and names in kept code resolve as they did.
A def that declares `global` (it binds module names) keeps its body. What a rule needs from
other bodies (MEM601: attributes assigned anywhere) it reads from CPython's tree of the
whole file. A rule's diagnostics are
kept only within its own regions, where its context is whole.
"""

from __future__ import annotations

import ast
import bisect
import enum
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from memlint.semantic import astindex


class Reach(enum.Enum):
    """How much code around a candidate a rule needs to decide it (see the module)."""

    FUNCTION = "function"
    CLASS = "class"
    MODULE = "module"


_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef)
_UNITS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
# Lines as CPython and libcst count them: ended by \n or \r\n (a lone \r ends a line for
# them too; files with one are not reduced). Not str.splitlines, which breaks at \f, \x1c...
_LINE = re.compile(r"[^\n]*(?:\n|\Z)")
_LONE_CR = re.compile(r"\r(?!\n)")


@dataclass(frozen=True, order=True)
class Span:
    first: int  # 1-based, inclusive, decorators included
    last: int

    def __contains__(self, line: object) -> bool:
        return isinstance(line, int) and self.first <= line <= self.last


def span(node: ast.stmt) -> Span:
    first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", ()))])
    return Span(first, node.end_lineno or node.lineno)


class Layout:
    """The top-level statements of a module and the bodies of its top-level classes, by line."""

    def __init__(self, tree: ast.Module) -> None:
        self.tree = tree
        self.top = list(tree.body)
        self._top_starts = [span(node).first for node in self.top]
        self._bodies: dict[int, tuple[list[ast.stmt], list[int]]] = {}

    def _find(
        self, statements: Sequence[ast.stmt], starts: list[int], line: int
    ) -> ast.stmt | None:
        at = bisect.bisect_right(starts, line) - 1
        if at < 0:
            return None
        found = statements[at]
        return found if line in span(found) else None

    def _body(self, node: ast.ClassDef) -> tuple[list[ast.stmt], list[int]]:
        body = self._bodies.get(id(node))
        if body is None:
            body = (list(node.body), [span(child).first for child in node.body])
            self._bodies[id(node)] = body
        return body

    def unit(self, line: int, reach: Reach) -> ast.stmt | None:
        """The statement that must be kept whole around `line`; None when outside any."""
        top = self._find(self.top, self._top_starts, line)
        if top is None or reach is Reach.CLASS or not isinstance(top, ast.ClassDef):
            return top
        if line < span(top.body[0]).first and _header_only(top):
            return top  # in the class's decorators or header: the whole class
        inner = self._find(*self._body(top), line)
        return inner if inner is not None else top


def _header_only(node: ast.ClassDef) -> bool:
    return span(node.body[0]).first > node.lineno


@dataclass(frozen=True)
class Plan:
    """The reduced source (None: parse the whole file) and where each rule may report."""

    text: str | None
    spans: dict[str, tuple[Span, ...] | None]  # by rule code; None: anywhere

    def allows(self, code: str, line: int) -> bool:
        found = self.spans.get(code)
        return found is None or any(line in s for s in found)


def plan(
    text: str, tree: ast.Module, places: Mapping[str, tuple[Reach, bool | Iterable[ast.AST]]]
) -> Plan:
    """Where each rule (by code) may report, and the text libcst needs for all of them.

    `places[code]` is the rule's reach and its answer on the tree: True (anywhere), or the
    nodes around which it may report (never empty: a rule with none is not asked).
    """
    layout = Layout(tree)
    whole = False
    kept: dict[int, ast.stmt] = {}
    spans: dict[str, tuple[Span, ...] | None] = {}
    for code, (reach, found) in places.items():
        if found is True or reach is Reach.MODULE:
            spans[code] = None
            whole = True
            continue
        units: dict[int, ast.stmt] = {}
        for node in found if not isinstance(found, bool) else ():
            line = getattr(node, "lineno", None)
            unit = layout.unit(line, reach) if isinstance(line, int) else None
            if unit is None:
                # A node the layout cannot place (no line, or between statements): anywhere.
                units = {}
                whole = True
                break
            units[id(unit)] = unit
        if not units:
            spans[code] = None
            whole = True
            continue
        kept.update(units)
        spans[code] = tuple(sorted(span(unit) for unit in units.values()))
    if whole or _LONE_CR.search(text):
        return Plan(None, {code: None for code in spans})
    return Plan(_reduce(text, layout, kept), spans)


def _reduce(text: str, layout: Layout, kept: dict[int, ast.stmt]) -> str | None:
    """The text with every def and class outside `kept` stubbed; None when nothing is."""
    lines = _LINE.findall(text)
    if lines and lines[-1] == "":
        lines.pop()
    # A def that declares `global` binds module names: it is never stubbed.
    binds_globals = [node.lineno for node in astindex.nodes(layout.tree, ast.Global)]
    stubbed = 0
    for top in layout.top:
        if id(top) in kept or not isinstance(top, _UNITS):
            continue
        if isinstance(top, ast.ClassDef) and any(id(child) in kept for child in top.body):
            if not _header_only(top):
                continue  # `class C: x = 1`: its body shares the header's line
            for child in top.body:
                if id(child) not in kept and isinstance(child, _UNITS):
                    stubbed += _stub(lines, child, binds_globals)
        else:
            stubbed += _stub(lines, top, binds_globals)
    return "".join(lines) if stubbed else None


def _stub(lines: list[str], node: ast.stmt, binds_globals: Sequence[int]) -> int:
    """Replace the body of a def or class with `pass`; 0 when it must stay.

    Its decorators and header stay as they are: they run in the enclosing scope (defaults,
    annotations, bases), and some rules read a sibling's (a property's setter).
    """
    assert isinstance(node, _UNITS)
    where = span(node)
    first = span(node.body[0]).first  # a decorated method's decorators are its first lines
    if first <= node.lineno or any(line in where for line in binds_globals):
        return 0  # a one-line def (`def f(): return 1`), or one that binds module names
    line = lines[first - 1]
    indent = line[: len(line) - len(line.lstrip(" \t\f"))]
    lines[first - 1] = f"{indent}pass{_ending(line)}"
    for number in range(first, where.last):
        lines[number] = _ending(lines[number])
    return 1


def _ending(line: str) -> str:
    if line.endswith("\r\n"):
        return "\r\n"
    return "\n" if line.endswith("\n") else ""
