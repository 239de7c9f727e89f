"""Output formats: one module per `--format`, each a Reporter with the same two methods."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Callable, Protocol, TextIO

from memlint.diagnostics import Diagnostic


class Reporter(Protocol):
    def add(self, diagnostics: Sequence[Diagnostic], source: str | None = None) -> None:
        """One file's diagnostics, sorted; `source` is its text when --show-source wants it."""

    def finish(self) -> None:
        """Everything has been added."""


ReporterFactory = Callable[..., Reporter]


def reporter(name: str, stream: TextIO, *, show_source: bool = False) -> Reporter:
    from memlint.output import json_format, text

    factories: dict[str, ReporterFactory] = {
        "text": text.TextReporter,
        "json": json_format.JsonReporter,
    }
    return factories[name](stream, show_source=show_source)


FORMATS = ("text", "json")
