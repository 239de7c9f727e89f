"""`--format json`: one JSON array of every diagnostic, sorted by path, line, column, code."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, TextIO

from memlint.diagnostics import Diagnostic


def diagnostic_to_json(d: Diagnostic) -> dict[str, Any]:
    fix = None
    if d.fix is not None:
        fix = {
            "applicability": d.fix.applicability.value,
            "message": d.fix.message,
            "edits": [
                {
                    "line": e.line,
                    "column": e.column,
                    "end_line": e.end_line,
                    "end_column": e.end_column,
                    "content": e.content,
                }
                for e in d.fix.edits
            ],
        }
    return {
        "path": d.path,
        "line": d.line,
        "column": d.column,
        "end_line": d.end_line,
        "end_column": d.end_column,
        "code": d.code,
        "name": d.name,
        "message": d.message,
        "severity": d.severity.value,
        "confidence": d.confidence.value,
        "fix": fix,
        "suggestion": d.suggestion,
    }


class JsonReporter:
    """Diagnostics are plain data, so holding them until the end to sort them is cheap."""

    needs_source = False

    def __init__(self, stream: TextIO, *, show_source: bool = False) -> None:
        self.stream = stream
        self.collected: list[Diagnostic] = []

    def add(self, diagnostics: Sequence[Diagnostic], source: str | None = None) -> None:
        self.collected.extend(diagnostics)

    def finish(self) -> None:
        self.collected.sort(key=lambda d: d.sort_key)
        json.dump([diagnostic_to_json(d) for d in self.collected], self.stream, indent=2)
        self.stream.write("\n")
        self.stream.flush()
