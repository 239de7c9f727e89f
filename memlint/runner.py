"""Many files: read, lint or fix each one, write fixes atomically, and stream the outcomes."""

from __future__ import annotations

import difflib
import itertools
import os
import signal
import stat
import tempfile
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from memlint import cache as memlint_cache
from memlint.cache import Cache
from memlint.diagnostics import Confidence, Diagnostic
from memlint.discovery import PathError, SourceFile
from memlint.settings import Settings

if TYPE_CHECKING:
    from memlint.engine import Decoded

# The engine (and libcst with it, 0.4 s to import) is loaded on the first file that is
# really analysed: a run answered from the cache never pays for it.


@dataclass(frozen=True)
class RunOptions:
    fix: bool = False
    unsafe_fixes: bool = False
    diff: bool = False
    keep_source: bool = False  # for --show-source
    # Fixes are applied for the findings that are reported: those at or above this.
    min_confidence: Confidence = Confidence.LOW

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
    from memlint import engine
    from memlint.fixes import fix_loop

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

    outcome = fix_loop(
        decoded.text,
        lint,
        unsafe=options.unsafe_fixes,
        path=path,
        min_confidence=options.min_confidence,
    )
    fixed_source: bytes | None = None
    diff = ""
    text, remaining = outcome.text, tuple(outcome.remaining)
    if outcome.text != decoded.text:
        encoded = _encode_fixed(decoded, data, outcome.text)
        if isinstance(encoded, str):
            errors.append(f"{path}: {encoded}")
            # Nothing is written: report what the file as it is holds.
            text, remaining = decoded.text, lint(decoded.text)
        else:
            fixed_source = encoded
            diff = unified_diff(path, decoded.text, outcome.text)
    return FileOutcome(
        path,
        remaining,
        tuple(dict.fromkeys([*errors, *outcome.errors])),
        fixed=len(outcome.fixed) if fixed_source is not None else 0,
        diff=diff,
        fixed_source=fixed_source,
        source=text if options.keep_source else None,
    )


def _encode_fixed(decoded: Decoded, data: bytes, text: str) -> bytes | str:
    """The fixed text in the file's encoding, or why it cannot be written."""
    from memlint import engine

    try:
        fixed = decoded.encode(text)
    except UnicodeEncodeError as err:
        return f"internal error: fixed code is not {decoded.encoding}: {err}"
    try:
        faithful = decoded.encode(decoded.text) == data and engine.decode(fixed).text == text
    except engine.DecodeError:
        faithful = False
    if not faithful:
        # Some codecs a PEP 263 cookie may name do not give back the bytes they decoded
        # (`unicode_escape` turns every line break into `\\n`): writing through one would
        # change code that no fix touched.
        return (
            f"cannot fix: the file's encoding ({decoded.encoding}) does not re-encode it "
            "unchanged, so it is left as it is"
        )
    return fixed


def _source_for_display(data: bytes) -> str | None:
    from memlint import engine

    try:
        return engine.decode(data).text
    except engine.DecodeError:
        return None


def run(
    sources: Iterable[SourceFile | PathError],
    settings: Settings,
    options: RunOptions,
    *,
    jobs: int = 1,
    cache: Cache | None = None,
) -> Iterator[FileOutcome | PathError]:
    """Process files and yield each outcome, in the order of `sources`, as soon as it is ready.

    With `jobs > 1`, worker processes (started once, with the settings) take the files; at
    most a small window of them is in flight, so memory does not grow with the number of
    files, and outcomes are yielded in input order whatever the scheduling. A run with a
    single file never starts a pool.
    """
    if cache is not None and options.fixing:
        cache = None  # fixing rewrites files: always from a fresh analysis
    if cache is not None:
        cache.prepare()
    sources = iter(sources)
    head = list(itertools.islice(sources, 2))
    work = itertools.chain(head, sources)
    if jobs <= 1 or sum(isinstance(s, SourceFile) for s in head) < 2:
        for source in work:
            if isinstance(source, PathError):
                yield source
            else:
                yield _one(source, settings, options, cache)
        return
    yield from _pooled(work, settings, options, cache, jobs)


def _pooled(
    sources: Iterator[SourceFile | PathError],
    settings: Settings,
    options: RunOptions,
    cache: Cache | None,
    jobs: int,
) -> Iterator[FileOutcome | PathError]:
    window: deque[Future[FileOutcome | PathError]] = deque()
    limit = jobs * _WINDOW_PER_JOB
    with ProcessPoolExecutor(
        max_workers=jobs, initializer=_start_worker, initargs=(settings, options, cache)
    ) as pool:
        try:
            for source in sources:
                window.append(
                    _done(source)
                    if isinstance(source, PathError)
                    else pool.submit(_worker_one, source)
                )
                # The window: the oldest outcome is waited for before more than `limit` wait.
                while len(window) >= limit or (window and window[0].done()):
                    yield window.popleft().result()
            while window:
                yield window.popleft().result()
        finally:
            # Stopped early (Ctrl-C, a closed pipe): drop the work not yet started.
            for pending in window:
                pending.cancel()


# Files in flight per worker: enough to keep every worker busy while the head of the
# window is a slow file (the output waits for it in order; with 4 per worker the other
# workers ran dry behind it: stdlib at --jobs 2, 74.9 s against 64.2 s with 16), few
# enough that outcomes waiting for their turn stay small (findings, and with --fix a
# file's fixed text).
_WINDOW_PER_JOB = 16


def _done(error: PathError) -> Future[FileOutcome | PathError]:
    """A path error takes its place in the window as an outcome that is already there."""
    future: Future[FileOutcome | PathError] = Future()
    future.set_result(error)
    return future


_worker_state: tuple[Settings, RunOptions, Cache | None] | None = None


def _start_worker(settings: Settings, options: RunOptions, cache: Cache | None) -> None:
    global _worker_state
    # Ctrl-C goes to the whole process group: the parent stops the run, workers just exit.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _worker_state = (settings, options, cache)


def _worker_one(source: SourceFile) -> FileOutcome:
    assert _worker_state is not None, "worker used before its initializer ran"
    settings, options, cache = _worker_state
    return _one(source, settings, options, cache)


def _one(
    source: SourceFile, settings: Settings, options: RunOptions, cache: Cache | None
) -> FileOutcome:
    """Read, lint or fix, and write back one file; never raises for a bad file."""
    entry = None
    if cache is not None:
        try:
            status = os.stat(source.path)
        except OSError:
            cache = None  # reading it will say why
        else:
            entry = cache.load(source.path)
            if entry is not None and memlint_cache.same_stat(entry, status):
                hit = _from_cache(entry, source, options)
                if hit is not None:
                    return hit
    try:
        with open(source.path, "rb") as handle:
            data = handle.read()
    except OSError as err:
        from memlint import engine

        message = f"cannot read: {err.strerror or err}"
        return FileOutcome(source.display, (engine.parse_error(source.display, message),))
    if cache is not None:
        digest = memlint_cache.content_hash(data)
        if entry is not None and entry.get("sha256") == digest:
            hit = _from_cache(entry, source, options, data)
            if hit is not None:
                cache.store(source.path, status, digest, hit.diagnostics)  # refresh the mtime
                return hit
    outcome = process(data, source.display, settings, options)
    if cache is not None and not outcome.errors:
        cache.store(source.path, status, digest, outcome.diagnostics)
    if options.fix and outcome.fixed_source is not None:
        try:
            write_atomic(source.path, outcome.fixed_source)
        except OSError as err:
            failed = f"{source.display}: cannot write the fixes: {err.strerror or err}"
            outcome = FileOutcome(outcome.path, outcome.diagnostics, (*outcome.errors, failed))
    return outcome


def _from_cache(
    entry: Mapping[str, Any], source: SourceFile, options: RunOptions, data: bytes | None = None
) -> FileOutcome | None:
    diagnostics = memlint_cache.diagnostics_of(entry, source.display)
    if diagnostics is None:
        return None
    shown = None
    if options.keep_source:
        if data is None:
            try:
                with open(source.path, "rb") as handle:
                    data = handle.read()
            except OSError:
                return None
        shown = _source_for_display(data)
    return FileOutcome(source.display, diagnostics, source=shown)
