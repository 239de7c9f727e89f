"""`--format grouped`: each file's path once, then its diagnostics, for a person at a terminal."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TextIO

import click

from memlint.diagnostics import Applicability, Diagnostic
from memlint.output.text import source_frame


def wants_color(stream: TextIO) -> bool:
    """Colour on a terminal only, and never when NO_COLOR is set to anything (no-color.org)."""
    if os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class GroupedReporter:
    """Streams: a file's group is printed as soon as its diagnostics arrive."""

    needs_source = False  # only --show-source shows code, and then the caller reads it

    def __init__(
        self, stream: TextIO, *, show_source: bool = False, color: bool | None = None
    ) -> None:
        self.stream = stream
        self.show_source = show_source
        self.color = wants_color(stream) if color is None else color

    def _style(
        self,
        text: str,
        fg: str | None = None,
        bold: bool | None = None,
        dim: bool | None = None,
        underline: bool | None = None,
    ) -> str:
        if not self.color:
            return text
        return click.style(text, fg=fg, bold=bold, dim=dim, underline=underline)

    def add(self, diagnostics: Sequence[Diagnostic], source: str | None = None) -> None:
        if not diagnostics:
            return
        out = [self._style(f"{diagnostics[0].path}:", bold=True, underline=True)]
        places = [f"{d.line}:{d.column}" for d in diagnostics]
        width = max(len(place) for place in places)
        for d, place in zip(diagnostics, places):
            out.append(self._headline(d, place.ljust(width)))
            if self.show_source:
                out += self._frame(d, source)
        self.stream.write("\n".join(out) + "\n\n")
        self.stream.flush()

    def _headline(self, d: Diagnostic, place: str) -> str:
        # `[*]` as in ruff: `--fix` alone would fix it.
        safe = d.fix is not None and d.fix.applicability is Applicability.SAFE
        mark = self._style("[*] ", fg="cyan") if safe else ""
        code = self._style(d.code, fg="red", bold=True)
        return f"  {self._style(place, dim=True)}  {code} {mark}{d.message}"

    def _frame(self, d: Diagnostic, source: str | None) -> list[str]:
        # A file that could not be decoded has no source to show, but still has advice.
        frame = source_frame(d, source) if source is not None else []
        if len(frame) == 2:
            frame[1] = self._style(frame[1], fg="red", bold=True)
        if d.suggestion:
            frame.append(f"    {self._style('help:', fg='cyan', bold=True)} {d.suggestion}")
        return frame

    def finish(self) -> None:
        self.stream.flush()
