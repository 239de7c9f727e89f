"""`--format github`: one GitHub Actions workflow command per diagnostic, an annotation on a PR."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TextIO

from memlint.diagnostics import Diagnostic, Severity
from memlint.output.locations import annotation_path, repository_root


def _escape_data(text: str) -> str:
    # The runner's own escaping (toolkit/core `escapeData`): `%` first, then line breaks.
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(d: Diagnostic, path: str) -> str:
    """`::warning file=...,line=...,col=...,endLine=...,endColumn=...,title=CODE::message`."""
    command = "error" if d.severity is Severity.ERROR else "warning"
    properties = (
        ("file", path),
        ("line", str(d.line)),
        ("col", str(d.column)),
        ("endLine", str(d.end_line)),
        ("endColumn", str(d.end_column)),
        ("title", d.code),
    )
    fields = ",".join(f"{key}={_escape_property(value)}" for key, value in properties)
    return f"::{command} {fields}::{_escape_data(d.message)}"


class GithubReporter:
    """Streams: each annotation is a line of the job's log and stands alone."""

    needs_source = False

    def __init__(self, stream: TextIO, *, show_source: bool = False) -> None:
        self.stream = stream
        self.root = repository_root()

    def add(self, diagnostics: Sequence[Diagnostic], source: str | None = None) -> None:
        for d in diagnostics:
            self.stream.write(annotation(d, annotation_path(d.path, self.root)) + "\n")
        self.stream.flush()

    def finish(self) -> None:
        self.stream.flush()
