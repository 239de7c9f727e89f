"""Paths as CI services want them: relative to the repository root, with `/` separators."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import quote


def repository_root(start: str = ".") -> str:
    """The nearest folder at or above `start` that holds `.git`, else `start` (absolute).

    GitHub resolves SARIF and annotation paths against the checkout, so a run from a
    subfolder must still say `backend/app.py`, not `app.py`. Symlinks are not resolved, so
    the root and the paths measured against it are spelled alike.
    """
    here = Path(os.path.abspath(start))
    for folder in (here, *here.parents):
        # `.git` is a file in a worktree or a submodule.
        if (folder / ".git").exists():
            return str(folder)
    return str(here)


def repository_path(path: str, root: str | None = None) -> str | None:
    """`path` relative to the repository root with `/`, or None when it lies outside it."""
    root = root if root is not None else repository_root()
    try:
        relative = os.path.relpath(os.path.abspath(path), root)
    except ValueError:  # another drive, on Windows
        return None
    if relative == os.pardir or relative.startswith(os.pardir + os.sep):
        return None
    return relative.replace(os.sep, "/")


def artifact_uri(path: str, root: str | None = None) -> str:
    """A URI for SARIF: relative to the repository root, else an absolute `file:` URI."""
    relative = repository_path(path, root)
    if relative is not None:
        return quote(relative)
    return Path(os.path.abspath(path)).as_uri()


def annotation_path(path: str, root: str | None = None) -> str:
    """A path for a GitHub annotation: relative to the repository root where it can be."""
    relative = repository_path(path, root)
    return relative if relative is not None else path
