"""Many files: read, lint or fix each one, write fixes atomically, and stream the outcomes."""

from __future__ import annotations

import difflib
import os
import stat
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from memlint import engine
from memlint.diagnostics import Diagnostic
from memlint.discovery import PathError, SourceFile
from memlint.fixes import fix_loop
from memlint.settings import Settings


@dataclass(frozen=True)
class RunOptions:
    fix: bool = False
    unsafe_fixes: bool = False
    diff: bool = False
    keep_source: bool = False  # for --show-source

    @property
    def fixing(self) -> bool:
        return self.fix or self.diff


@dataclass(frozen=True)
class FileOutcome:
    path: str
    diagnostics: tuple[Diagnostic, ...] = ()  # what remains (after fixing, when fixing)
    errors: tuple[str, ...] = ()
    fixed: int = 0
    diff: str = ""
    fixed_source: bytes | None = None  # the whole fixed file, when it changed
    source: str | None = None


def write_atomic(path: str, data: bytes) -> None:
    """Replace `path` with `data` so that a crash or Ctrl-C leaves the old or the new file.

    The temporary file sits in the same folder (so the rename cannot cross file systems)
    and takes the original's permission bits.
    """
    mode = stat.S_IMODE(os.stat(path).st_mode)
    folder = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(prefix=".memlint-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        # Whatever stopped us (an error, Ctrl-C), the original is untouched.
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def unified_diff(path: str, before: str, after: str) -> str:
    lines = difflib.unified_diff(
        before.splitlines(keepends=True),
        after.splitlines(keepends=True),
        # git's a/ b/ prefixes, so `git apply` takes it, for relative paths.
        fromfile=path if os.path.isabs(path) else f"a/{path}",
        tofile=path if os.path.isabs(path) else f"b/{path}",
    )
    return "".join(line if line.endswith(("\n", "\r")) else line + "\n" for line in lines)


def process(data: bytes, path: str, settings: Settings, options: RunOptions) -> FileOutcome:
    """Lint, or fix, one file's bytes. Writes nothing: the caller decides where fixes go."""
    if not options.fixing:
        result = engine.lint_source(data, path, settings)
        source = _source_for_display(data) if options.keep_source else None
        return FileOutcome(path, result.diagnostics, result.errors, source=source)
    try:
        decoded = engine.decode(data)
    except engine.DecodeError:
        # The engine reports it (as MEM000, unless that is ignored), exactly as `check` does.
        return FileOutcome(path, engine.lint_source(data, path, settings).diagnostics)
    errors: list[str] = []

    def lint(text: str) -> tuple[Diagnostic, ...]:
        result = engine.lint_source(text, path, settings)
        errors.extend(result.errors)
        return result.diagnostics

    outcome = fix_loop(decoded.text, lint, unsafe=options.unsafe_fixes, path=path)
    fixed_source: bytes | None = None
    diff = ""
    if outcome.text != decoded.text:
        try:
            fixed_source = decoded.encode(outcome.text)
        except UnicodeEncodeError as err:
            errors.append(f"{path}: internal error: fixed code is not {decoded.encoding}: {err}")
        else:
            diff = unified_diff(path, decoded.text, outcome.text)
    return FileOutcome(
        path,
        tuple(outcome.remaining),
        tuple(dict.fromkeys([*errors, *outcome.errors])),
        fixed=len(outcome.fixed) if fixed_source is not None else 0,
        diff=diff,
        fixed_source=fixed_source,
        source=outcome.text if options.keep_source else None,
    )


def _source_for_display(data: bytes) -> str | None:
    try:
        return engine.decode(data).text
    except engine.DecodeError:
        return None


def run(
    sources: Iterable[SourceFile | PathError], settings: Settings, options: RunOptions
) -> Iterator[FileOutcome | PathError]:
    """Process files one at a time, in order, yielding each outcome as soon as it is ready."""
    for source in sources:
        if isinstance(source, PathError):
            yield source
            continue
        try:
            with open(source.path, "rb") as handle:
                data = handle.read()
        except OSError as err:
            message = f"cannot read: {err.strerror or err}"
            yield FileOutcome(source.display, (engine.parse_error(source.display, message),))
            continue
        outcome = process(data, source.display, settings, options)
        if options.fix and outcome.fixed_source is not None:
            try:
                write_atomic(source.path, outcome.fixed_source)
            except OSError as err:
                failed = f"{source.display}: cannot write the fixes: {err.strerror or err}"
                outcome = FileOutcome(outcome.path, outcome.diagnostics, (*outcome.errors, failed))
        yield outcome
