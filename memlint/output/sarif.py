"""`--format sarif`: one SARIF 2.1.0 log, for GitHub code scanning and other dashboards."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, TextIO

from memlint import DOCS_URL, __version__, rule_url
from memlint.catalog import RULES, RuleInfo
from memlint.diagnostics import Confidence, Diagnostic, Edit, Fix
from memlint.fingerprint import FileFingerprints
from memlint.output.locations import artifact_uri, repository_root

SARIF_VERSION = "2.1.0"
SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
# GitHub computes and reserves `primaryLocationLineHash`; a tool's own key sits beside it.
FINGERPRINT_KEY = "memlint/v1"
# SARIF's `rank` (0.0 to 100.0, higher is more important) for each confidence.
RANKS = {Confidence.HIGH: 90.0, Confidence.MEDIUM: 50.0, Confidence.LOW: 10.0}


def _plain(markdown: str) -> str:
    """Markdown's code spans as plain text, for viewers that show `text` only."""
    return markdown.replace("`", "")


def _message(text: str) -> dict[str, str]:
    return {"text": _plain(text), "markdown": text}


def rule_descriptor(info: RuleInfo) -> dict[str, Any]:
    url = rule_url(info.code)
    return {
        "id": info.code,
        "name": info.name,
        "shortDescription": _message(info.summary),
        "fullDescription": _message(info.why),
        "helpUri": url,
        # A pointer, not the page: the full text is already the fullDescription.
        "help": {
            "text": f"Examples, what to use instead and fix safety: {url}",
            "markdown": f"[{info.code} {info.name}]({url}): examples, what to use instead"
            " and fix safety.",
        },
        "defaultConfiguration": {"level": info.severity, "enabled": info.default_enabled},
        "properties": {"tags": ["memory"], "fix": info.fix},
    }


def _region(line: int, column: int, end_line: int, end_column: int) -> dict[str, int]:
    # SARIF's endColumn is the column after the region, as memlint's end_column is.
    return {
        "startLine": line,
        "startColumn": column,
        "endLine": end_line,
        "endColumn": end_column,
    }


def _replacement(edit: Edit) -> dict[str, Any]:
    return {
        "deletedRegion": _region(edit.line, edit.column, edit.end_line, edit.end_column),
        "insertedContent": {"text": edit.content},
    }


def _fix(fix: Fix, uri: str) -> dict[str, Any]:
    return {
        "description": {"text": _plain(fix.message), "markdown": fix.message},
        "artifactChanges": [
            {
                "artifactLocation": {"uri": uri},
                "replacements": [_replacement(edit) for edit in fix.edits],
            }
        ],
        # SARIF has no word for it: applied by `--fix` (safe) or only with --unsafe-fixes.
        "properties": {"applicability": fix.applicability.value},
    }


class SarifReporter:
    """Holds results until the end: a SARIF log is one JSON document."""

    needs_source = True  # fingerprints read the flagged line and its enclosing def

    def __init__(self, stream: TextIO, *, show_source: bool = False) -> None:
        self.stream = stream
        self.root = repository_root()
        self.index = {info.code: number for number, info in enumerate(RULES)}
        self.results: list[tuple[tuple[str, int, int, str], dict[str, Any]]] = []

    def add(self, diagnostics: Sequence[Diagnostic], source: str | None = None) -> None:
        if not diagnostics:
            return
        uri = artifact_uri(diagnostics[0].path, self.root)
        prints = FileFingerprints(source).numbered(diagnostics, uri)
        for diagnostic, fingerprint in zip(diagnostics, prints):
            key = (uri, diagnostic.line, diagnostic.column, diagnostic.code)
            self.results.append((key, self._result(diagnostic, uri, fingerprint)))

    def _result(self, d: Diagnostic, uri: str, fingerprint: str) -> dict[str, Any]:
        result: dict[str, Any] = {
            "ruleId": d.code,
            "ruleIndex": self.index[d.code],
            "level": d.severity.value,
            "rank": RANKS[d.confidence],
            "message": _message(d.message),
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": uri},
                        "region": _region(d.line, d.column, d.end_line, d.end_column),
                    }
                }
            ],
            "partialFingerprints": {FINGERPRINT_KEY: fingerprint},
            "properties": {"name": d.name, "confidence": d.confidence.value},
        }
        if d.suggestion:
            result["properties"]["suggestion"] = d.suggestion
        if d.fix is not None:
            result["fixes"] = [_fix(d.fix, uri)]
        return result

    def log(self) -> dict[str, Any]:
        self.results.sort(key=lambda item: item[0])
        return {
            "$schema": SCHEMA_URI,
            "version": SARIF_VERSION,
            "runs": [
                {
                    "tool": {
                        "driver": {
                            "name": "memlint",
                            "version": __version__,
                            "semanticVersion": __version__,
                            "informationUri": DOCS_URL,
                            "rules": [rule_descriptor(info) for info in RULES],
                        }
                    },
                    # memlint's columns count characters, not UTF-16 code units.
                    "columnKind": "unicodeCodePoints",
                    "results": [result for _, result in self.results],
                }
            ],
        }

    def finish(self) -> None:
        json.dump(self.log(), self.stream, indent=2, ensure_ascii=False)
        self.stream.write("\n")
        self.stream.flush()
