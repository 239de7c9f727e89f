"""`--format text`: `path:line:column: CODE message`, one line per diagnostic, streamed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TextIO

from memlint.diagnostics import Diagnostic
from memlint.sourcetext import source_lines


def format_diagnostic(d: Diagnostic) -> str:
    return f"{d.path}:{d.line}:{d.column}: {d.code} {d.message}"


def source_frame(d: Diagnostic, source: str) -> list[str]:
    """The flagged line with carets under the flagged span (to the line's end if it goes on)."""
    lines = source_lines(source)
    if not 1 <= d.line <= len(lines):
        return []
    line = lines[d.line - 1].expandtabs(1)
    end = d.end_column if d.end_line == d.line else len(line) + 1
    width = max(end - d.column, 1)
    return [f"    {line}", f"    {' ' * (d.column - 1)}{'^' * width}"]


class TextReporter:
    needs_source = False

    def __init__(self, stream: TextIO, *, show_source: bool = False) -> None:
        self.stream = stream
        self.show_source = show_source

    def add(self, diagnostics: Sequence[Diagnostic], source: str | None = None) -> None:
        for d in diagnostics:
            self.stream.write(format_diagnostic(d) + "\n")
            if not self.show_source:
                continue
            # A file that could not be decoded has no source to show, but still has advice.
            for line in source_frame(d, source) if source is not None else ():
                self.stream.write(line + "\n")
            if d.suggestion:
                self.stream.write(f"    help: {d.suggestion}\n")
        self.stream.flush()

    def finish(self) -> None:
        self.stream.flush()
