"""Each file's Settings from its nearest config file, read again when a config file changes."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from memlint.config import CONFIG_FILES, ConfigError, find_config, load_config
from memlint.settings import Settings

# (path, mtime_ns, size) of every place a config file was looked for; None where none is.
# Optional, not `|`: an alias is evaluated at run time, where Python 3.9 has no `X | Y`.
Fingerprint = tuple[Optional[tuple[str, int, int]], ...]


@dataclass(frozen=True)
class _Entry:
    fingerprint: Fingerprint
    settings: Settings | None
    error: ConfigError | None


def _stat(path: Path) -> tuple[str, int, int] | None:
    try:
        status = path.stat()
    except OSError:
        return None
    return (str(path), status.st_mtime_ns, status.st_size)


class Configs:
    """Settings per folder, as `memlint check` finds them for a file in that folder.

    A cached answer is checked against the config files it depends on (a few `stat` calls):
    one edited, created or deleted is read again on the next analysis, whether or not the
    editor reports file changes.
    """

    # Folders of the open files: few, but a long session may see many; past this, start over.
    LIMIT = 256

    def __init__(self, fallback_root: str) -> None:
        self.fallback_root = fallback_root  # settings root where no config file is found
        self._entries: dict[str, _Entry] = {}

    def clear(self) -> None:
        self._entries.clear()

    def settings_for(self, path: str | None) -> Settings:
        """The Settings for a file (None: a buffer with no file); raises ConfigError."""
        folder = os.path.dirname(os.path.abspath(path)) if path else self.fallback_root
        entry = self._entries.get(folder)
        if entry is None or entry.fingerprint != self._fingerprint(folder, entry):
            entry = self._load(folder)
        if entry.error is not None:
            raise entry.error
        assert entry.settings is not None
        return entry.settings

    def _load(self, folder: str) -> _Entry:
        if len(self._entries) >= self.LIMIT:
            self._entries.clear()
        settings: Settings | None = None
        error: ConfigError | None = None
        found: Path | None = None
        try:
            found = find_config(Path(folder))
            settings = load_config(found) if found else Settings(root=self.fallback_root)
        except ConfigError as err:
            error = err
        entry = _Entry(self._candidates_fingerprint(folder, found), settings, error)
        self._entries[folder] = entry
        return entry

    def _fingerprint(self, folder: str, entry: _Entry) -> Fingerprint:
        found = None
        if entry.settings is not None and entry.settings.config_path is not None:
            found = Path(entry.settings.config_path)
        return self._candidates_fingerprint(folder, found)

    @staticmethod
    def _candidates_fingerprint(folder: str, found: Path | None) -> Fingerprint:
        """Stats of the places find_config looks, from `folder` up to where it found one."""
        stats: list[tuple[str, int, int] | None] = []
        start = Path(folder)
        for candidate_dir in (start, *start.parents):
            stats.extend(_stat(candidate_dir / name) for name in CONFIG_FILES)
            if found is not None and candidate_dir == found.parent:
                break
        return tuple(stats)
