"""The persistent result cache: a file whose content and settings did not change is not linted.

One JSON entry per file, in `<cache dir>/<fingerprint>/<hash of the absolute path>.json`.
The fingerprint covers memlint's version, its own code (so a development checkout never
reads results of older code) and every setting. An entry holds the file's size, mtime and
content hash next to its diagnostics: same size and mtime is a hit without reading the
file; otherwise the content hash decides (a `git checkout` that touches the mtime only).
Entries are written atomically; an entry that does not load (corrupt, half-written, from
another format) is a miss and is rewritten. Nothing here imports libcst.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from memlint import __version__
from memlint.diagnostics import Applicability, Confidence, Diagnostic, Edit, Fix, Severity
from memlint.settings import Settings, for_the_cache

DEFAULT_DIR = ".memlint_cache"
# Fingerprint folders kept side by side (CI and pre-commit may use different settings).
_KEPT = 4
_FORMAT = 1


def fingerprint(settings: Settings) -> str:
    """A key for everything that decides a file's diagnostics, other than the file itself.

    Options applied only when reporting (`min-confidence`) are left out: the cache holds
    every finding, so runs at any threshold share it.
    """
    digest = hashlib.sha256()
    digest.update(f"format {_FORMAT}\nmemlint {__version__}\n".encode())
    digest.update(repr(for_the_cache(settings)).encode())
    package = Path(__file__).parent
    for source in sorted(package.rglob("*.py")):
        status = source.stat()
        stamp = f"{source.relative_to(package)} {status.st_size} {status.st_mtime_ns}\n"
        digest.update(stamp.encode())
    return digest.hexdigest()[:24]


class Cache:
    """The cache for one settings fingerprint. Every method is safe in worker processes."""

    def __init__(self, root: str, key: str) -> None:
        self.root = root
        self.folder = os.path.join(root, key)

    def prepare(self) -> None:
        """Create the folders (with a `.gitignore`), and drop the oldest fingerprints."""
        try:
            os.makedirs(self.folder, exist_ok=True)
            ignore = os.path.join(self.root, ".gitignore")
            if not os.path.exists(ignore):
                write_atomically(ignore, b"# Created by memlint: the whole folder is a cache.\n*\n")
            os.utime(self.folder)
            siblings = [
                entry for entry in os.scandir(self.root) if entry.is_dir(follow_symlinks=False)
            ]
            siblings.sort(key=lambda entry: entry.stat().st_mtime_ns, reverse=True)
            for stale in siblings[_KEPT:]:
                shutil.rmtree(stale.path, ignore_errors=True)
        except OSError:
            pass  # a read-only checkout: run without a cache rather than fail

    def _entry_path(self, path: str) -> str:
        name = hashlib.sha256(os.path.abspath(path).encode("utf-8", "surrogatepass")).hexdigest()
        return os.path.join(self.folder, name[:32] + ".json")

    def load(self, path: str) -> dict[str, Any] | None:
        try:
            with open(self._entry_path(path), "rb") as handle:
                # An entry memlint wrote: one file's diagnostics, a few kilobytes.
                entry = json.loads(handle.read())  # noqa: MEM102
        except (OSError, ValueError):
            return None
        if not isinstance(entry, dict) or entry.get("format") != _FORMAT:
            return None
        return entry

    def store(
        self, path: str, status: os.stat_result, digest: str, diagnostics: tuple[Diagnostic, ...]
    ) -> None:
        entry = {
            "format": _FORMAT,
            "size": status.st_size,
            "mtime_ns": status.st_mtime_ns,
            "sha256": digest,
            "diagnostics": [dataclasses.asdict(d) for d in diagnostics],
        }
        with contextlib.suppress(OSError):
            write_atomically(self._entry_path(path), json.dumps(entry).encode())


def same_stat(entry: Mapping[str, Any], status: os.stat_result) -> bool:
    return entry.get("size") == status.st_size and entry.get("mtime_ns") == status.st_mtime_ns


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def diagnostics_of(entry: Mapping[str, Any], display: str) -> tuple[Diagnostic, ...] | None:
    """The entry's diagnostics, reported under `display`; None when the entry is malformed."""
    try:
        return tuple(_diagnostic(raw, display) for raw in entry["diagnostics"])
    except (KeyError, TypeError, ValueError):
        return None


def _diagnostic(raw: Mapping[str, Any], display: str) -> Diagnostic:
    fix = raw["fix"]
    return Diagnostic(
        path=display,
        line=int(raw["line"]),
        column=int(raw["column"]),
        end_line=int(raw["end_line"]),
        end_column=int(raw["end_column"]),
        code=str(raw["code"]),
        name=str(raw["name"]),
        message=str(raw["message"]),
        severity=Severity(raw["severity"]),
        confidence=Confidence(raw["confidence"]),
        fix=None
        if fix is None
        else Fix(
            Applicability(fix["applicability"]),
            str(fix["message"]),
            tuple(Edit(**edit) for edit in fix["edits"]),
        ),
        suggestion=raw["suggestion"],
    )


def write_atomically(path: str, data: bytes) -> None:
    """Write `path` atomically: a reader sees the old entry or the new one, never half."""
    handle, temporary = tempfile.mkstemp(prefix=".tmp-", dir=os.path.dirname(path))
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
