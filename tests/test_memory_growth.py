"""memlint's own memory (issue 7): the parent's peak does not grow with the number of files.

memlint is run over 500 and then 5,000 generated files, each with findings, in one process
(`--jobs 1`: the parent analyses every file) and with workers (`--jobs 2`: the parent hands
out files and prints), and the peak resident memory of the parent process is compared.
Nothing here measures time. A run that kept each file's outcome needs some 25 MB more for
the 4,500 more files; the slack allowed is half of that.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

# The parent's own peak, printed when it exits (ru_maxrss is in kilobytes on Linux).
_MEASURED = """
import atexit, resource, sys
atexit.register(
    lambda: sys.stderr.write(
        "peak-kb %d\\n" % resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    )
)
from memlint.cli import main
main(["check", *sys.argv[1:]], prog_name="memlint")
"""
# Small files with findings, so 5,000 of them take seconds: three in five hold ten unused
# `noqa` comments (MEM900: ten findings with fixes, no libcst parse), one in five three
# findings of MEM404 (libcst and the rules run), one in five is binary (MEM000, no parser).
_NOQA = "".join(f"x{n} = {{n}}  # noqa: MEM201\n" for n in range(10))
_SOURCE = "a = sum([x * {n} for x in y]); b = max([x for x in y]); c = sorted([{n} for x in y])\n"
_BINARY = "x = {n}\x00\n"
# Measured on this machine: the parent's peak is 35-50 MB and grows by 3 MB at most from
# 500 files to 5,000 (the paths discovery has seen, kept so a file is analysed once), while
# a parent that kept each file's outcome grew by 24 MB (--jobs 1) and 28 MB (--jobs 2).
SLACK_KB = 12_000


def _make(folder: Path, count: int) -> Path:
    folder.mkdir()
    for number in range(count):
        template = [_NOQA, _NOQA, _NOQA, _SOURCE, _BINARY][number % 5]
        (folder / f"m{number:05d}.py").write_text(template.format(n=number))
    return folder


def _peak_kb(folder: Path, jobs: int) -> int:
    done = subprocess.run(
        [
            *(sys.executable, "-c", _MEASURED),
            *("--isolated", "--no-cache", "--quiet", "--extend-select", "MEM900"),
            *("--jobs", str(jobs), str(folder)),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        timeout=1200,
        check=False,
    )
    assert done.returncode == 1, done.stderr[-2000:]  # every file has findings
    found = re.fullmatch(r"peak-kb (\d+)\n", done.stderr)
    assert found, done.stderr[-2000:]
    return int(found[1])


@pytest.fixture(scope="module")
def trees(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("growth")
    return _make(root / "few", 500), _make(root / "many", 5000)


@pytest.mark.parametrize("jobs", [1, 2], ids=["in-process", "workers"])
def test_the_parents_peak_memory_does_not_grow_with_the_number_of_files(
    trees: tuple[Path, Path], jobs: int
) -> None:
    few, many = trees
    small, large = _peak_kb(few, jobs), _peak_kb(many, jobs)
    print(f"\n--jobs {jobs}: parent peak {small} kB for 500 files, {large} kB for 5,000")
    assert large <= small + SLACK_KB
