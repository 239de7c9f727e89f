"""libcst's `PositionProvider` answers, computed one top-level statement at a time.

libcst computes positions by rendering the whole module with a state that records every
node's start and end: about twice the cost of the parse, paid in full by the first
question. A rule asks for the positions of a few nodes, nearly always inside the
top-level statement being visited. Each top-level statement renders alone exactly as it
does in the module (from column 0, at the line where the statements before it end), so
its nodes' positions are those of a rendering of that statement alone started at its
first line: `Positions` renders the statement a question falls in, and only that one.

Which statement holds a node is known without a parent map: the statement being visited
first (`StatementTracker` keeps it), then the others in order. A node outside every
statement (the module, its header and footer lines) gets libcst's whole-module answer.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider
from libcst.metadata.position_provider import NEWLINE_RE, PositionProvidingCodegenState


class _Recorder:
    """Stands for the provider a codegen state records positions into."""

    def __init__(self, computed: dict[cst.CSTNode, CodeRange]) -> None:
        self._computed = computed


class Positions(Mapping[cst.CSTNode, CodeRange]):
    """`PositionProvider`'s mapping for one module, filled a top-level statement at a time."""

    def __init__(self, wrapper: MetadataWrapper) -> None:
        self._wrapper = wrapper
        self._module = wrapper.module
        self._computed: dict[cst.CSTNode, CodeRange] = {}
        self._owner: dict[cst.CSTNode, int] = {}
        self._rendered: list[bool] = [False] * len(self._module.body)
        self._first_lines: list[int] | None = None
        self._pieces: Pieces | None = None
        self._whole: Mapping[cst.CSTNode, CodeRange] | None = None
        self._places = {id(statement): at for at, statement in enumerate(self._module.body)}
        # The top-level statement being visited (StatementTracker), asked first.
        self.current: int | None = None

    def wraps(self, wrapper: MetadataWrapper) -> bool:
        return wrapper is self._wrapper

    def visiting(self, statement: cst.CSTNode) -> None:
        at = self._places.get(id(statement))
        if at is not None and self._module.body[at] is statement:
            self.current = at

    def statement_of(self, node: cst.CSTNode) -> int | None:
        """The index in `module.body` of the top-level statement holding `node`."""
        if node not in self._owner:
            self._find(node)
        return self._owner.get(node)

    def pieces(self) -> Pieces:
        """The module's header and each top-level statement, rendered alone (once)."""
        if self._pieces is None:
            self._pieces = render_pieces(self._module)
        return self._pieces

    def _find(self, node: cst.CSTNode) -> bool:
        first = [] if self.current is None else [self.current]
        for at in [*first, *range(len(self._rendered))]:
            if not self._rendered[at]:
                self._render(at)
                if node in self._computed:
                    return True
        return node in self._computed

    def _render(self, at: int) -> None:
        module = self._module
        if self._first_lines is None:
            header, statements = self.pieces()
            line = 1 + _newlines(header)
            firsts = []
            for piece in statements:
                firsts.append(line)
                line += _newlines(piece)
            self._first_lines = firsts
        statement = module.body[at]
        fresh: dict[cst.CSTNode, CodeRange] = {}
        state = PositionProvidingCodegenState(
            default_indent=module.default_indent,
            default_newline=module.default_newline,
            provider=_Recorder(fresh),  # type: ignore[arg-type]
            line=self._first_lines[at],
        )
        statement._codegen(state)
        self._rendered[at] = True
        for node in fresh:
            self._owner[node] = at
        self._computed.update(fresh)

    def __getitem__(self, node: cst.CSTNode) -> CodeRange:
        found = self._computed.get(node)
        if found is not None:
            return found
        if self._find(node):
            return self._computed[node]
        if self._whole is None:
            self._whole = self._wrapper.resolve(PositionProvider)
        return self._whole[node]

    def __contains__(self, node: object) -> bool:
        try:
            self[node]  # type: ignore[index]
        except KeyError:
            return False
        return True

    def __iter__(self) -> Iterator[cst.CSTNode]:
        if self._whole is None:
            self._whole = self._wrapper.resolve(PositionProvider)
        return iter(self._whole)

    def __len__(self) -> int:
        return sum(1 for _ in self)


# The header's code, and each top-level statement's code rendered alone.
Pieces = tuple[str, list[str]]


def render_pieces(module: cst.Module) -> Pieces:
    header = "".join(module.code_for_node(empty) for empty in module.header)
    return header, [module.code_for_node(statement) for statement in module.body]


def _newlines(code: str) -> int:
    return len(NEWLINE_RE.findall(code))


_TOP_LEVEL = (
    "SimpleStatementLine",
    "FunctionDef",
    "ClassDef",
    "If",
    "For",
    "While",
    "Try",
    "TryStar",
    "With",
    "Match",
)


class StatementTracker(cst.BatchableCSTVisitor):
    """Tells `Positions` which top-level statement the rules of a batch are visiting."""

    def __init__(self, positions: Positions) -> None:
        super().__init__()
        self._positions = positions

    def get_visitors(self) -> dict[str, object]:  # type: ignore[override]
        see = self._positions.visiting
        return {f"visit_{kind}": see for kind in _TOP_LEVEL}
