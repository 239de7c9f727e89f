"""Real code for the sweeps and the fuzzing: this Python's standard library and site-packages."""

from __future__ import annotations

import ast
import json
import os
import re
import site
import subprocess
import sys
import sysconfig
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import libcst as cst

SUFFIXES = (".py", ".pyi")
STDLIB = Path(sysconfig.get_paths()["stdlib"])
# Paths per memlint run: far below any ARG_MAX, and a failing batch names fewer files.
_BATCH = 800
# Two workers: CI machines have two cores, and this one is shared with timing work.
JOBS = "2"


# The text of a pattern some rule can fix: where the fix round trips look.
_FIXABLE = re.compile(
    rb"\b(?:sum|min|max|any|all|sorted|set|frozenset|tuple|dict|enumerate|zip)\(\s*\["
    rb"|Queue\(|deque\(|maxsize=None|\bcache\b|MemoryError|readlines\(|noqa|hashlib\."
)


def may_fix(data: bytes) -> bool:
    """Whether a file holds the text of something memlint can fix (a cheap first look)."""
    return _FIXABLE.search(data) is not None


def full_size() -> bool:
    """Whether the sweeps run over every file (`--corpus=full`) or CI's fixed sample."""
    return os.environ.get("MEMLINT_CORPUS", "ci") == "full"


def python_files(root: Path, *, skip: str | None = None) -> list[Path]:
    """Every `.py` and `.pyi` regular file under `root`, sorted; folders named `skip` left out.

    Every file, unlike memlint's discovery (which skips `venv`, `build`, ... folders): a
    sweep names each one on the command line, where nothing is excluded.
    """
    found: list[Path] = []
    for folder, subfolders, names in os.walk(root):
        subfolders[:] = sorted(name for name in subfolders if name != skip)
        for name in names:
            path = os.path.join(folder, name)
            if name.endswith(SUFFIXES) and os.path.isfile(path):
                found.append(Path(path))
    return sorted(found)


def stdlib_files() -> list[Path]:
    """The standard library, its tests and test data included, its site-packages left out."""
    return python_files(STDLIB, skip="site-packages")


def site_packages_folders(*, every_interpreter: bool) -> list[Path]:
    """This environment's site-packages; with `every_interpreter`, the base Python's too."""
    folders = [Path(folder) for folder in site.getsitepackages()]
    if every_interpreter:
        base = {"base": sys.base_prefix, "platbase": sys.base_exec_prefix}
        paths = sysconfig.get_paths(vars=base)
        folders += [Path(paths["purelib"]), Path(paths["platlib"])]
    unique: dict[str, Path] = {}
    for folder in folders:
        if folder.is_dir():
            unique.setdefault(os.path.realpath(folder), folder)
    return list(unique.values())


def distinct(paths: Sequence[Path]) -> list[Path]:
    """`paths` with each real file once (memlint analyses a file reached twice once)."""
    seen: dict[str, Path] = {}
    for path in paths:
        seen.setdefault(os.path.realpath(path), path)
    return list(seen.values())


def cpython_rejects(data: bytes) -> str | None:
    """CPython's complaint about a file's bytes (its own decoding, then `ast.parse`)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escapes and the like are warnings
            ast.parse(data)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as err:
        # MemoryError: how CPython's parser reports some deep nesting; a test's verdict only.
        return f"{type(err).__name__}: {err}"
    return None


def libcst_parses(data: bytes) -> bool:
    try:
        cst.parse_module(data)
    except Exception:
        return False
    return True


@dataclass(frozen=True)
class Run:
    """What `memlint check --format json --quiet` said over some files."""

    returncodes: tuple[int, ...]
    diagnostics: tuple[dict[str, Any], ...]
    stderr: str

    @property
    def by_path(self) -> dict[str, list[dict[str, Any]]]:
        found: dict[str, list[dict[str, Any]]] = {}
        for diagnostic in self.diagnostics:
            found.setdefault(diagnostic["path"], []).append(diagnostic)
        return found


def memlint(files: Sequence[Path], *args: str, cwd: Path, timeout: float | None = 1800) -> Run:
    """Run `memlint check --select ALL` over `files` (named one by one, in batches).

    `--isolated` and `--no-cache` so no configuration or cache of the machine plays a part
    and nothing is written next to the files; `--quiet` so standard error holds only
    problems: an empty one means every file was analysed or reported as MEM000.
    """
    command = [
        *(sys.executable, "-m", "memlint", "check", "--isolated", "--no-cache", "--quiet"),
        *("--select", "ALL", "--format", "json", "--jobs", JOBS, *args),
    ]
    codes: list[int] = []
    diagnostics: list[dict[str, Any]] = []
    errors: list[str] = []
    for start in range(0, len(files), _BATCH):
        batch = [str(path) for path in files[start : start + _BATCH]]
        done = subprocess.run(
            [*command, *batch], cwd=cwd, capture_output=True, timeout=timeout, check=False
        )
        codes.append(done.returncode)
        errors.append(done.stderr.decode("utf-8", "replace"))
        diagnostics += json.loads(done.stdout) if done.stdout.strip() else []
    return Run(tuple(codes), tuple(diagnostics), "".join(errors))
