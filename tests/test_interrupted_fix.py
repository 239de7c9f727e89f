"""Atomic writes under interruption (issue 7): `memlint check --fix` killed with SIGKILL at
random points leaves every file as it was or fully fixed, never a mix, never truncated.

The fixed version of each file comes from an uninterrupted run over a copy, which also
shows when the writes begin (the folder changes when the first temporary file is made) and
when the run ends. Each interrupted run kills the whole process group (the parent and its
workers, as a CI timeout does): one in four at a random moment before the first write,
the others at a random moment of the writing, counted from when that run's own first write
appears, so a slow machine moves the kills with the work. The seed is fixed. A kill between
creating a fix's temporary file and renaming it over the original can leave that
`.memlint-*.tmp` file behind (docs/decisions.md): discovery never picks it up, and the next
run, made after every run that left one and after the last, fixes what was left.
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL and process groups"),
]

FILES = 200
RUNS = 16
# A long docstring makes each write some 40 kB, so a kill can land inside one.
_FILLER = "\n".join(f"    line {n} of a long module docstring" for n in range(1000))
_TEMPLATE = '''"""Module {n}.

{filler}
"""


def total_{n}(xs):
    return sum([x * {n} for x in xs])


def biggest_{n}(xs):
    return max([x + {n} for x in xs])
'''


def _memlint_fix(folder: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            *(sys.executable, "-m", "memlint", "check", "--fix", "--isolated", "--no-cache"),
            *("--jobs", "2", str(folder)),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group: the workers die with it
    )


def _files(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def _wait_for_first_write(folder: Path, process: subprocess.Popen[bytes]) -> None:
    """Return once a write has begun in `folder` (its entries change) or `process` ended."""
    before = os.stat(folder).st_mtime_ns
    while process.poll() is None and os.stat(folder).st_mtime_ns == before:
        time.sleep(0.001)


def _kill(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):  # it had finished, and its workers too
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=60)


def _finish(folder: Path) -> None:
    process = _memlint_fix(folder)
    _, err = process.communicate(timeout=600)
    assert process.returncode == 0, err.decode()


def test_every_file_is_its_original_or_its_fixed_version_after_sigkill(tmp_path: Path) -> None:
    originals = tmp_path / "originals"
    originals.mkdir()
    for number in range(FILES):
        source = _TEMPLATE.format(n=number, filler=_FILLER)
        (originals / f"m{number:04d}.py").write_text(source)
    before = _files(originals)
    reference = tmp_path / "reference"
    shutil.copytree(originals, reference)
    started = time.monotonic()
    done = _memlint_fix(reference)
    _wait_for_first_write(reference, done)
    first_write = time.monotonic() - started
    _, err = done.communicate(timeout=600)
    writing = time.monotonic() - started - first_write
    assert done.returncode == 0, err.decode()
    fixed = _files(reference)
    assert all(fixed[name] != before[name] for name in before)  # every file has fixes

    rng = random.Random(7)
    partly_fixed = 0
    for run in range(RUNS):
        folder = tmp_path / f"run{run}"
        shutil.copytree(originals, folder)
        process = _memlint_fix(folder)
        if rng.random() < 0.25:
            time.sleep(rng.uniform(0, first_write))
        else:
            _wait_for_first_write(folder, process)
            time.sleep(rng.uniform(0, writing))
        _kill(process)
        found = _files(folder)
        leftovers = [name for name in found if name.startswith(".memlint-")]
        for name in leftovers:
            assert name.endswith(".tmp")
            del found[name]
        assert sorted(found) == sorted(before)
        for name, data in found.items():
            assert data in (before[name], fixed[name]), f"run {run}: {name} is neither"
        done_now = sum(found[name] == fixed[name] for name in found)
        partly_fixed += 0 < done_now < FILES
        print(f"\nrun {run}: {done_now} of {FILES} fixed, {len(leftovers)} temporary left")
        if leftovers or run == RUNS - 1:
            # The next run ignores what the kill left and finishes the job.
            _finish(folder)
            after = _files(folder)
            assert {name: data for name, data in after.items() if name in before} == fixed
    # Kills landed in the middle of the writing, not all before or after it (ten of the
    # sixteen aim at the writing; a loaded machine may see a few of those land after it).
    assert partly_fixed >= RUNS // 4
