"""The analysis process: a slow, stuck or crashed analysis never stalls or kills the server."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import sys
import threading
import traceback
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from memlint.diagnostics import Diagnostic, Edit
from memlint.settings import Settings

LINT, FIX_ALL = "lint", "fix-all"


@dataclass(frozen=True)
class Job:
    kind: str  # LINT, or FIX_ALL (the safe fixes, as `memlint check --fix` applies them)
    text: str
    path: str
    settings: Settings
    # FIX_ALL: the diagnostics of `text`, already known, so the first round needs no lint.
    diagnostics: tuple[Diagnostic, ...] = ()


@dataclass(frozen=True)
class Outcome:
    diagnostics: tuple[Diagnostic, ...] = ()
    edit: Edit | None = None  # FIX_ALL: one edit from `text` to the fixed text
    errors: tuple[str, ...] = ()


class WorkerError(Exception):
    """The analysis process died or took too long; the message says which, in one sentence."""


def run_job(job: Job) -> Outcome:
    """Do one job with the engine (in the analysis process; in-process in unit tests)."""
    from memlint import engine
    from memlint.fixes import LineIndex, fix_loop, text_edit

    if job.kind == LINT:
        result = engine.lint_source(job.text, job.path, job.settings)
        return Outcome(result.diagnostics, errors=result.errors)
    errors: list[str] = []

    def lint(text: str) -> tuple[Diagnostic, ...]:
        if text == job.text:
            return job.diagnostics
        result = engine.lint_source(text, job.path, job.settings)
        errors.extend(result.errors)
        return result.diagnostics

    outcome = fix_loop(
        job.text, lint, unsafe=False, path=job.path, min_confidence=job.settings.threshold
    )
    edit = text_edit(LineIndex(job.text), outcome.text)
    return Outcome(tuple(outcome.remaining), edit, tuple(dict.fromkeys(errors + outcome.errors)))


def _quiet_stdout() -> None:
    """Send this process's standard output to standard error.

    Standard output is the editor's LSP channel, inherited from the server: nothing here
    may ever write to it, not even a library's stray print.
    """
    # Without usable streams (pythonw) nothing can reach the channel through them either.
    with contextlib.suppress(AttributeError, OSError, ValueError):
        os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    sys.stdout = sys.stderr


def _serve(connection: Connection) -> None:
    """The analysis process's loop: a job in, its outcome out, until the server goes away."""
    _quiet_stdout()
    from memlint import engine, registry

    del engine  # imported before the first job, so that job does not wait for libcst
    registry.rules_by_code()
    while True:
        try:
            job = connection.recv()
        except (EOFError, OSError):
            return  # the server closed its end or died
        try:
            reply: Any = run_job(job)
        except MemoryError:
            raise  # this process dies; the server sees it and starts another
        except Exception:
            reply = Outcome(errors=(f"{job.path}: internal error: {traceback.format_exc()}",))
        connection.send(reply)


class Worker:
    """The handle on one analysis process: started on first use, and again after it died.

    `run` blocks, so the server calls it from a thread; one job runs at a time.
    """

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self._lock = threading.Lock()
        self._process: Any = None
        self._connection: Connection | None = None
        # spawn, not fork: the server has threads, and a forked copy of a threaded process
        # can deadlock on a lock some other thread held.
        self._context = multiprocessing.get_context("spawn")

    def start(self) -> None:
        with self._lock:
            self._ensure()

    def _ensure(self) -> Connection:
        if self._connection is not None and self._process is not None:
            if self._process.is_alive():
                return self._connection
            self._discard()
        ours, theirs = self._context.Pipe()
        process = self._context.Process(
            target=_serve, args=(theirs,), name="memlint-analysis", daemon=True
        )
        process.start()
        theirs.close()
        self._process, self._connection = process, ours
        return ours

    def run(self, job: Job) -> Outcome:
        with self._lock:
            connection = self._ensure()
            try:
                connection.send(job)
                if not connection.poll(self.timeout):
                    self._discard()
                    raise WorkerError(
                        f"analysing {job.path} took longer than {self.timeout:g} s, so it "
                        "was stopped"
                    )
                reply: Outcome = connection.recv()
            except (EOFError, OSError):
                code = self._discard()
                raise WorkerError(
                    f"the analysis process died while analysing {job.path} (exit code {code})"
                ) from None
            return reply

    def _discard(self) -> int | None:
        """End the process (if it still runs) and forget it; its exit code."""
        process, connection = self._process, self._connection
        self._process = self._connection = None
        if connection is not None:
            connection.close()
        if process is None:
            return None
        if process.is_alive():
            process.kill()
        process.join(timeout=5)
        code: int | None = process.exitcode
        return code

    def stop(self) -> None:
        """End the process now, even in the middle of a job (whose `run` then raises)."""
        # Without the lock: a job may hold it for up to `timeout` seconds.
        self._discard()
