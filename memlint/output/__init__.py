"""Output formats: one module per `--format`, each a Reporter with the same two methods."""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import Callable, Protocol, TextIO

from memlint.diagnostics import Diagnostic


class Reporter(Protocol):
    # True when `add` needs each file's text for its diagnostics even without --show-source
    # (fingerprints, code frames); the caller then reads it for files that have diagnostics.
    needs_source: bool

    def add(self, diagnostics: Sequence[Diagnostic], source: str | None = None) -> None:
        """One file's diagnostics, sorted; `source` is its text when the reporter wants it."""

    def finish(self) -> None:
        """Everything has been added."""


ReporterFactory = Callable[..., Reporter]

# Each format's module is imported only when chosen; none of them may import libcst.
_FACTORIES = {
    "text": ("text", "TextReporter"),
    "json": ("json_format", "JsonReporter"),
    "sarif": ("sarif", "SarifReporter"),
    "github": ("github", "GithubReporter"),
    "grouped": ("grouped", "GroupedReporter"),
    "html": ("html", "HtmlReporter"),
}


def reporter(name: str, stream: TextIO, *, show_source: bool = False) -> Reporter:
    module, attribute = _FACTORIES[name]
    factory: ReporterFactory = getattr(
        importlib.import_module(f"memlint.output.{module}"), attribute
    )
    return factory(stream, show_source=show_source)


FORMATS = tuple(_FACTORIES)
