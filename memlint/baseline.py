"""Baselines: record today's findings by fingerprint, then report only the findings added since.

The file is JSON, one entry per fingerprint with how many findings share it, sorted so that
regenerating it gives a small diff. Paths in it are relative to the folder that holds it,
so `memlint check` may run from anywhere. Nothing here imports libcst or the engine.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from memlint.cache import write_atomically
from memlint.diagnostics import Diagnostic
from memlint.fingerprint import FileFingerprints

FORMAT = 1


class BaselineError(ValueError):
    """A baseline file that cannot be read; the text names the file and what is wrong."""


@dataclass(frozen=True)
class Entry:
    fingerprint: str
    code: str
    path: str  # relative to the baseline's folder, with `/`
    scope: str  # the enclosing def or class, for a reader of the file ("" at module level)
    message: str  # the first finding's message, for a reader of the file
    count: int  # how many findings have this fingerprint


def _folder(path: str) -> str:
    return os.path.dirname(os.path.abspath(path))


def key_path(display_path: str, folder: str) -> str:
    """A reported path as a baseline in `folder` records it."""
    return os.path.relpath(os.path.abspath(display_path), folder).replace(os.sep, "/")


def _entry(raw: Any) -> Entry:
    if not isinstance(raw, dict):
        raise TypeError("an entry is not an object")
    fields = ("fingerprint", "code", "path", "scope", "message")
    if not all(isinstance(raw.get(name), str) for name in fields):
        raise TypeError(f"an entry lacks one of {', '.join(fields)}")
    count = raw.get("count", 1)
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise TypeError(f"an entry's count is not an integer >= 1: {count!r}")
    return Entry(
        fingerprint=raw["fingerprint"],
        code=raw["code"],
        path=raw["path"],
        scope=raw["scope"],
        message=raw["message"],
        count=count,
    )


def load(path: str) -> list[Entry]:
    """The entries of the baseline at `path`; BaselineError says why it cannot be used."""
    try:
        with open(path, encoding="utf-8") as handle:
            # A baseline holds one small entry per known finding.
            data = json.load(handle)  # noqa: MEM102
    except OSError as err:
        raise BaselineError(f"{path}: cannot read the baseline: {err.strerror or err}") from None
    except ValueError as err:
        raise BaselineError(f"{path}: not a memlint baseline (invalid JSON: {err})") from None
    if not isinstance(data, dict) or data.get("memlint-baseline") != FORMAT:
        raise BaselineError(
            f"{path}: not a memlint baseline of format {FORMAT}; write one with --write-baseline"
        )
    try:
        return [_entry(raw) for raw in data.get("findings", [])]
    except TypeError as err:
        raise BaselineError(f"{path}: malformed baseline: {err}") from None


def write(path: str, entries: Iterable[Entry]) -> None:
    """Write the baseline atomically: an interrupted run leaves the old file whole."""
    ordered = sorted(entries, key=lambda e: (e.path, e.code, e.scope, e.fingerprint))
    document = {
        "memlint-baseline": FORMAT,
        "findings": [
            {
                "fingerprint": e.fingerprint,
                "code": e.code,
                "path": e.path,
                "scope": e.scope,
                "message": e.message,
                "count": e.count,
            }
            for e in ordered
        ],
    }
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    write_atomically(path, text.encode("utf-8"))


class Baseline:
    """Known findings, matched one for one: a fingerprint recorded twice hides two findings."""

    def __init__(self, path: str, entries: Sequence[Entry]) -> None:
        self.path = path
        self.folder = _folder(path)
        self.entries = entries
        self.unmatched: Counter[str] = Counter()
        for entry in entries:
            self.unmatched[entry.fingerprint] += entry.count
        self.visited: set[str] = set()
        self.hidden = 0

    @classmethod
    def load(cls, path: str) -> Baseline:
        return cls(path, load(path))

    def split(
        self, display_path: str, diagnostics: Sequence[Diagnostic], prints: FileFingerprints
    ) -> tuple[list[Diagnostic], list[Diagnostic]]:
        """(new, known): the findings the baseline does not hold, and those it does."""
        path = key_path(display_path, self.folder)
        self.visited.add(path)
        new: list[Diagnostic] = []
        known: list[Diagnostic] = []
        for diagnostic in diagnostics:
            fingerprint = prints.of(diagnostic, path)
            if self.unmatched[fingerprint] > 0:
                self.unmatched[fingerprint] -= 1
                known.append(diagnostic)
            else:
                new.append(diagnostic)
        self.hidden += len(known)
        return new, known

    def _checked(self, entry: Entry) -> bool:
        """Whether this run can tell that the entry still matches: its file was analysed, or
        is gone. A run over part of the tree says nothing of the files it did not see."""
        if entry.path in self.visited:
            return True
        return not os.path.exists(os.path.join(self.folder, entry.path))

    def stale(self) -> int:
        """How many recorded findings this run looked for and did not find."""
        return sum(self.unmatched[e.fingerprint] for e in self.entries if self._checked(e))

    def unchecked(self) -> list[Entry]:
        """Entries of files this run did not analyse, kept whole when the baseline is rewritten."""
        return [e for e in self.entries if not self._checked(e)]


class Recorder:
    """Collects findings into baseline entries, for --write-baseline."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.folder = _folder(path)
        self.counts: Counter[str] = Counter()
        self.first: dict[str, Entry] = {}
        self.kept: list[Entry] = []

    def add(
        self, display_path: str, diagnostics: Sequence[Diagnostic], prints: FileFingerprints
    ) -> None:
        path = key_path(display_path, self.folder)
        for diagnostic in diagnostics:
            fingerprint = prints.of(diagnostic, path)
            self.counts[fingerprint] += 1
            if fingerprint not in self.first:
                scope = prints.scope_of(diagnostic)
                self.first[fingerprint] = Entry(
                    fingerprint, diagnostic.code, path, scope, diagnostic.message, 1
                )

    def keep(self, entries: Iterable[Entry]) -> None:
        """Carry entries over unchanged (those of files a partial run did not analyse)."""
        self.kept.extend(entries)

    def entries(self) -> list[Entry]:
        fresh = [
            Entry(e.fingerprint, e.code, e.path, e.scope, e.message, self.counts[e.fingerprint])
            for e in self.first.values()
        ]
        recorded = set(self.first)
        return fresh + [e for e in self.kept if e.fingerprint not in recorded]

    def findings(self) -> int:
        return sum(e.count for e in self.entries())

    def files(self) -> int:
        return len({e.path for e in self.entries()})

    def write(self) -> None:
        write(self.path, self.entries())
