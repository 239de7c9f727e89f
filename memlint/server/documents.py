"""Open documents as the editor holds them, and positions between memlint's and LSP's."""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass

from memlint.fixes import LineIndex

UTF8, UTF16, UTF32 = "utf-8", "utf-16", "utf-32"
_BOM = "\ufeff"


@dataclass(frozen=True)
class Position:
    """An LSP position: 0-based line, character offset in the client's code units."""

    line: int
    character: int


@dataclass(frozen=True)
class Change:
    """One `contentChanges` entry: replace `range` (None: the whole text) with `text`."""

    text: str
    range: tuple[Position, Position] | None = None


def units(text: str, encoding: str) -> int:
    """How many code units `text` takes in the client's position encoding."""
    if encoding == UTF32 or text.isascii():
        return len(text)
    # surrogatepass: a lone surrogate (possible in JSON) still counts as one UTF-16 unit.
    if encoding == UTF8:
        return len(text.encode("utf-8", "surrogatepass"))
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _chars(text: str, count: int, encoding: str) -> int:
    """How many characters of `text` its first `count` code units cover (clamped)."""
    if encoding == UTF32 or text.isascii():
        return min(count, len(text))
    seen = 0
    for index, char in enumerate(text):
        if seen >= count:
            return index
        seen += units(char, encoding)
    return len(text)


class TextIndex:
    """Offsets into one text, from and to LSP positions and memlint's 1-based positions.

    LSP and memlint agree on what ends a line (`\\r\\n`, `\\r`, `\\n`, never the form feeds
    and Unicode separators that `str.splitlines` also breaks on), so both go through
    memlint's LineIndex. They differ on columns (code units against characters) and on a
    leading BOM, which the editor's text keeps and memlint's positions leave out.
    """

    def __init__(self, text: str, encoding: str = UTF16) -> None:
        self.text = text
        self.encoding = encoding
        self.lines = LineIndex(text)
        self.bom = 1 if text.startswith(_BOM) else 0
        self._memlint = LineIndex(text[1:]) if self.bom else self.lines

    def _line_end(self, line: int) -> int:
        """The offset where 0-based `line`'s content ends (before its line break)."""
        starts = self.lines.starts
        if line + 1 >= len(starts):
            return len(self.text)
        end = starts[line + 1]
        while end > starts[line] and self.text[end - 1] in "\r\n":
            end -= 1
        return end

    def offset(self, position: Position) -> int:
        """The offset of an LSP position; past the end of a line or the text, clamped there."""
        starts = self.lines.starts
        if position.line >= len(starts):
            return len(self.text)
        start = starts[max(position.line, 0)]
        content = self.text[start : self._line_end(max(position.line, 0))]
        return start + _chars(content, max(position.character, 0), self.encoding)

    def position(self, offset: int) -> Position:
        offset = min(max(offset, 0), len(self.text))
        line = bisect.bisect_right(self.lines.starts, offset) - 1
        start = self.lines.starts[line]
        return Position(line, units(self.text[start:offset], self.encoding))

    def memlint_offset(self, line: int, column: int) -> int:
        """The offset of memlint's 1-based line and character column (end exclusive)."""
        starts = self._memlint.starts
        if line > len(starts):
            return len(self.text)
        return min(starts[line - 1] + column - 1 + self.bom, len(self.text))

    def range(
        self, line: int, column: int, end_line: int, end_column: int
    ) -> tuple[Position, Position]:
        """The LSP range of a memlint span."""
        return (
            self.position(self.memlint_offset(line, column)),
            self.position(self.memlint_offset(end_line, end_column)),
        )


@dataclass(frozen=True)
class Document:
    """One open document: its text as the editor has it, unsaved changes included."""

    uri: str
    version: int
    text: str
    path: str | None = None  # the file on disk; None for a buffer that has none (untitled:)

    @property
    def lint_text(self) -> str:
        """The text memlint analyses: without a leading BOM, as the engine reads files."""
        return self.text[1:] if self.text.startswith(_BOM) else self.text

    @property
    def display_path(self) -> str:
        return self.path if self.path is not None else self.uri

    def changed(self, version: int, changes: Sequence[Change], encoding: str) -> Document:
        """The document after `changes`, applied in order as LSP specifies."""
        text = self.text
        for change in changes:
            if change.range is None:
                text = change.text
                continue
            index = TextIndex(text, encoding)
            start, end = (index.offset(p) for p in change.range)
            start, end = min(start, end), max(start, end)
            text = text[:start] + change.text + text[end:]
        return Document(self.uri, version, text, self.path)
