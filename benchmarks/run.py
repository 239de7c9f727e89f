"""Whole-corpus benchmark: memlint against its peers, measured in the same run.

Run from the project's virtualenv:

    python benchmarks/run.py [FOLDER ...] [--repeat 3] [--fixit-sample 150]
                             [--peers-venv DIR] [--skip NAME ...]

FOLDER defaults to this interpreter's standard library. Every tool gets the same files: the
ones memlint's own discovery finds there (its junk folders, such as the `site-packages`
inside the standard library, left out; flake8, ruff and the libcst row are handed that list).
Each row is a fresh process; the table gives the median wall time over `--repeat` runs, the
peak RSS of the largest process of the run (for memlint, of its parent and of its largest
worker), and the ratio to memlint's cold run:

- `memlint cold`: `memlint check --select ALL --no-cache` (all cores);
- `memlint warm`: the same with a cache filled by an untimed run first;
- `memlint --jobs 1`: cold, in one process;
- `libcst.parse_module`: parsing every file with libcst, one process, nothing else;
- `flake8 --select B`: flake8-bugbear, `-j` all cores, memlint's own plugin hidden;
- `ruff --select B019,C419,FURB129`: ruff's nearest rules, no cache;
- `fixit lint`: fixit's default rules, too slow for a whole corpus: timed on a fixed sample
  of `--fixit-sample` files (every n-th file, sorted), with memlint cold timed on the same
  sample, and its ratio taken there.

Peers that are not installed here are installed into a throwaway virtualenv
(`--peers-venv`, default a temporary folder) from the package index; a peer that cannot
be installed is reported as skipped, never a failure. Timing is for people: nothing here
asserts a number.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
import venv
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

# Measures one command: wall time and the largest resident set of its process tree.
_MEASURE = r"""
import json, resource, subprocess, sys, time
start = time.perf_counter()
done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
wall = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
print(json.dumps({"wall": wall, "peak": peak, "code": done.returncode,
                  "stderr": done.stderr.decode(errors="replace")[-2000:]}))
"""

# memlint in this process, reporting the peak resident set of this process (the parent) and
# of its largest child (a worker) when it exits.
_MEMLINT = r"""
import atexit, json, os, resource, sys
def report():
    peaks = {"parent": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
             "worker": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024}
    with open(os.environ["MEMLINT_BENCH_PEAKS"], "w") as out:
        json.dump(peaks, out)
atexit.register(report)
from memlint.cli import main
main(sys.argv[1:], prog_name="memlint")
"""

_PARSE_ALL = r"""
import sys, libcst
for path in sys.argv[1:]:
    with open(path, "rb") as handle:
        data = handle.read()
    try:
        libcst.parse_module(data)
    except Exception:
        pass
"""

# flake8 runs every installed plugin before filtering by --select: hide memlint's own
# (a private flake8 function; where it is missing, memlint is simply not installed there).
_FLAKE8_WITHOUT_MEM = r"""
import sys
from flake8.main.cli import main
from flake8.plugins import finder
if hasattr(finder, "_find_importlib_plugins"):
    found = finder._find_importlib_plugins
    finder._find_importlib_plugins = lambda: (p for p in found() if p.package != "memlint")
sys.exit(main(sys.argv[1:]))
"""

PEERS = {"flake8": "flake8-bugbear", "fixit": "fixit", "ruff": "ruff"}


@dataclass
class Row:
    name: str
    command: list[str]
    files: int
    group: str = "corpus"  # ratios are taken within a group: the corpus, or fixit's sample
    walls: list[float] = field(default_factory=list)
    peaks: list[int] = field(default_factory=list)
    # memlint rows: the parent process's own peak (then `peaks` is its largest worker's).
    parents: list[int] = field(default_factory=list)
    note: str = ""

    @property
    def wall(self) -> float:
        return statistics.median(self.walls)

    @property
    def peak(self) -> int:
        return max(self.peaks)


def measure(command: Sequence[str], cwd: Path) -> dict[str, object]:
    """Wall time, exit code and peak RSS of one run; for memlint, its parent's and worker's."""
    peaks_file = cwd / "peaks.json"
    peaks_file.unlink(missing_ok=True)
    output = subprocess.run(
        [sys.executable, "-c", _MEASURE, *command],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "MEMLINT_BENCH_PEAKS": str(peaks_file)},
    ).stdout
    result: dict[str, object] = json.loads(output)
    if peaks_file.exists():
        peaks = json.loads(peaks_file.read_text())
        result["parent"], result["peak"] = peaks["parent"], peaks["worker"] or peaks["parent"]
    return result


def python_files(folders: Sequence[Path]) -> list[Path]:
    """The files memlint analyses in `folders`: its own discovery, junk folders left out."""
    from memlint.discovery import SourceFile, iter_sources

    found = iter_sources([str(folder) for folder in folders], root=os.getcwd())
    return [Path(source.path) for source in found if isinstance(source, SourceFile)]


def peer_environment(folder: Path | None, skip: set[str]) -> dict[str, Path | None]:
    """Where each peer's executable is: this environment's, or a throwaway venv's."""
    here = Path(sys.executable).parent
    found: dict[str, Path | None] = {}
    missing = []
    for tool, package in PEERS.items():
        if tool in skip:
            found[tool] = None
            continue
        executable = here / tool
        has_bugbear = tool != "flake8" or _has_module(sys.executable, "bugbear")
        if executable.exists() and has_bugbear:
            found[tool] = executable
        else:
            missing.append((tool, package))
    if missing:
        target = folder or Path(tempfile.mkdtemp(prefix="memlint-peers-"))
        python = target / "bin" / "python"
        if not python.exists():
            venv.create(target, with_pip=True)
        packages = [package for _, package in missing] + (
            ["flake8"] if any(t == "flake8" for t, _ in missing) else []
        )
        install = subprocess.run(
            [str(python), "-m", "pip", "install", "-q", *packages], capture_output=True, text=True
        )
        for tool, _ in missing:
            executable = target / "bin" / tool
            ok = install.returncode == 0 and executable.exists()
            found[tool] = executable if ok else None
            if not ok:
                print(f"note: could not install {tool}: {install.stderr[-300:]}", file=sys.stderr)
    return found


def _has_module(python: str, module: str) -> bool:
    probe = subprocess.run([python, "-c", f"import {module}"], capture_output=True)
    return probe.returncode == 0


def sample(files: Sequence[Path], size: int) -> list[Path]:
    if size >= len(files):
        return list(files)
    step = len(files) / size
    return [files[int(index * step)] for index in range(size)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="*", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--fixit-sample", type=int, default=150)
    parser.add_argument("--peers-venv", type=Path, default=None)
    parser.add_argument("--skip", action="append", default=[], help="a row to leave out")
    args = parser.parse_args(argv)
    folders = args.folders or [Path(sysconfig.get_paths()["stdlib"])]
    files = python_files(folders)
    megabytes = sum(path.stat().st_size for path in files) / 1e6
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"corpus: {', '.join(map(str, folders))}: {len(files)} files, {megabytes:.1f} MB")
    print(f"machine: {cores} cores; median of {args.repeat} runs per row\n")

    skip = set(args.skip)
    peers = peer_environment(args.peers_venv, skip)
    work = Path(tempfile.mkdtemp(prefix="memlint-bench-"))
    listing = work / "files.txt"
    listing.write_text("\n".join(map(str, files)))
    paths = [str(path) for path in files]
    cache = work / "cache"
    memlint = [sys.executable, "-c", _MEMLINT, "check", "--isolated", "--select", "ALL", "-q"]
    memlint += ["--exit-zero"]
    rows = [
        Row("memlint cold", [*memlint, "--no-cache", *map(str, folders)], len(files)),
        Row("memlint warm", [*memlint, "--cache-dir", str(cache), *map(str, folders)], len(files)),
        Row(
            "memlint --jobs 1",
            [*memlint, "--no-cache", "--jobs", "1", *map(str, folders)],
            len(files),
        ),
        Row("libcst.parse_module", [sys.executable, "-c", _PARSE_ALL, *paths], len(files)),
    ]
    if peers.get("flake8"):
        flake8_python = str(Path(str(peers["flake8"])).parent / "python")
        rows.append(
            Row(
                "flake8 --select B",
                [
                    flake8_python,
                    "-c",
                    _FLAKE8_WITHOUT_MEM,
                    "--isolated",
                    "--select",
                    "B",
                    "--exit-zero",
                    "-j",
                    str(cores),
                    *paths,
                ],
                len(files),
            )
        )
    if peers.get("ruff"):
        rows.append(
            Row(
                "ruff --select B019,C419,FURB129",
                [
                    str(peers["ruff"]),
                    "check",
                    "--isolated",
                    "--no-cache",
                    "--preview",
                    "--select",
                    "B019,C419,FURB129",
                    "--exit-zero",
                    *paths,
                ],
                len(files),
            )
        )
    # Copied out of the corpus: fixit 2.2 silently checks nothing under some trees (an
    # interpreter's lib folder among them).
    chosen = []
    (work / "sample").mkdir()
    for index, path in enumerate(sample(files, args.fixit_sample)):
        copy = work / "sample" / f"{index:04}_{path.name}"
        shutil.copyfile(path, copy)
        chosen.append(copy)
    if peers.get("fixit"):
        rows += sample_rows(peers["fixit"], memlint, chosen)
    rows = [row for row in rows if row.name not in skip]

    warm = next((row for row in rows if row.name == "memlint warm"), None)
    if warm is not None:
        measure(warm.command, work)  # fill the cache, untimed
    for _ in range(args.repeat):
        for row in rows:
            started = time.perf_counter()
            result = measure(row.command, work)
            row.walls.append(float(str(result["wall"])))
            row.peaks.append(int(str(result["peak"])))
            if "parent" in result:
                row.parents.append(int(str(result["parent"])))
            if result["code"] not in (0, 1, None):  # linters exit 1 on findings
                row.note = f"exit {result['code']}: {str(result['stderr']).strip()[-120:]}"
            print(f"  {row.name}: {time.perf_counter() - started:.1f} s", file=sys.stderr)

    print(table(rows))
    shutil.rmtree(work, ignore_errors=True)
    return 0


def sample_rows(fixit: Path, memlint: Sequence[str], chosen: Sequence[Path]) -> list[Row]:
    """fixit and memlint cold on the same sample, in a group of their own for the ratio."""
    files = [str(path) for path in chosen]
    return [
        Row("fixit lint (sample)", [str(fixit), "lint", *files], len(files), group="sample"),
        Row(
            "memlint cold (sample)",
            [*memlint, "--no-cache", *files],
            len(files),
            group="sample",
        ),
    ]


def table(rows: Sequence[Row]) -> str:
    base = {row.group: row.wall for row in rows if row.name.startswith("memlint cold")}
    lines = [
        f"{'tool':<34} {'files':>6} {'median wall':>12} {'peak RSS':>17} {'x memlint cold':>15}",
    ]
    for row in rows:
        reference = base.get(row.group)
        ratio = f"{row.wall / reference:.2f}" if reference else "-"
        peak = f"{row.peak / 2**20:.0f} MB"
        if row.parents:
            peak = f"{max(row.parents) / 2**20:.0f} / {peak}"
        lines.append(
            f"{row.name:<34} {row.files:>6} {row.wall:>10.2f} s {peak:>17} "
            f"{ratio:>15}" + (f"  ({row.note})" if row.note else "")
        )
    lines.append(
        "\nx memlint cold: the row's time divided by memlint's cold time over the same files "
        "(above 1: memlint is faster). Peak RSS of memlint: its parent process / its largest "
        "worker."
    )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
