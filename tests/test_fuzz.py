"""Fuzzing (issue 7): generated programs and mangled real files never crash memlint.

Programs from hypothesmith go through `lint_source` (no exception, no internal error, a
MEM000 only where a parser rejects the code, the same findings whether libcst parses the
regions or the whole file) and through the fix loop with fixable code spliced in (no
error, the result parses, a second pass changes nothing). Real files cut, flipped and
salted with bad bytes go through the command line. CI runs a few dozen examples of each;
`pytest --fuzz-examples=N tests/test_fuzz.py` (or `MEMLINT_FUZZ_EXAMPLES=N`) runs N.
"""

from __future__ import annotations

import ast
import os
import random
import re
import shutil
import warnings
from pathlib import Path

import hypothesmith
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from memlint import engine
from memlint.diagnostics import Diagnostic
from memlint.fixes import fix_loop, parses
from tests.corpus import cpython_rejects, libcst_parses, may_fix, memlint, stdlib_files
from tests.helpers import settings_for

pytestmark = [
    pytest.mark.slow,
    # Generated code calls literals (`1()`): CPython's compiler warns, hypothesmith compiles.
    pytest.mark.filterwarnings("ignore::SyntaxWarning"),
]

EXAMPLES = int(os.environ.get("MEMLINT_FUZZ_EXAMPLES", "40"))
ALL = settings_for(("ALL",))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,  # a fixed run: CI does not replay the failures of some earlier run
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
# Generated code: CPython's grammar (hypothesmith's lark grammar) and libcst's nodes.
PROGRAMS = st.one_of(hypothesmith.from_grammar(), hypothesmith.from_node())

# Code every fixing rule rewrites, spliced between generated statements.
FIXABLE = [
    "total = sum([x * 2 for x in range(10)])\n",
    "ok = any([x > 1 for x in items])\n",
    "import functools\n@functools.lru_cache(maxsize=None)\ndef cached(x):\n    return x\n",
    "from functools import cache\n@cache\ndef memo(x):\n    return x\n",
    "import queue\njobs = queue.Queue()\n",
    "try:\n    buf = bytearray(10)\nexcept MemoryError:\n    buf = None\n",
    "def lines(path):\n    with open(path) as f:\n        for line in f.readlines():\n"
    "            print(line)\n",
    "x = 1  # noqa: MEM201\n",
]


def _lint(source: str, *, reduce: bool = True) -> engine.FileResult:
    return engine.lint_source(source, "fuzz.py", ALL, reduce=reduce)


def _check_lint(source: str) -> engine.FileResult:
    result = _lint(source)
    assert result.errors == ()
    # Every rule on every file, whatever the pre-filter says: rules meet the odd code too.
    everything = engine.lint_source(source, "fuzz.py", ALL, prefilter=False)
    assert everything.errors == ()
    mem000 = [d for d in result.diagnostics if d.code == "MEM000"]
    if mem000:
        # Only where CPython's parser or libcst's rejects the code.
        assert cpython_rejects(source.encode()) is not None or not libcst_parses(source.encode())
        return result
    # Regions (memlint/regions.py) never change what is found.
    assert result.diagnostics == _lint(source, reduce=False).diagnostics
    return result


@FUZZ
@given(source=PROGRAMS)
def test_generated_programs_lint_without_error(source: str) -> None:
    _check_lint(source)


# Lines as Python ends them (`str.splitlines` also ends them at form feeds and more).
_LINES = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


def _first_line(node: ast.stmt) -> int:
    decorators = getattr(node, "decorator_list", [])
    return min([node.lineno, *(decorator.lineno for decorator in decorators)])


@st.composite
def _with_fixable_code(draw: st.DrawFn) -> str:
    """A generated program with fixable snippets put between its top-level statements."""
    program = draw(PROGRAMS)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(program)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        assume(False)
        raise
    lines = _LINES.findall(program)
    if lines and not lines[-1].endswith(("\n", "\r")):
        lines[-1] += "\n"
    # A statement's first line (its first decorator's) is a place to insert before: it is
    # not inside a bracket or a string. Inserting from the end keeps earlier lines in place.
    starts = sorted({_first_line(node) - 1 for node in tree.body} | {len(lines)})
    places = draw(st.lists(st.sampled_from(starts), min_size=1, max_size=3))
    for place in sorted(places, reverse=True):
        snippet = draw(st.sampled_from(FIXABLE))
        lines.insert(place, snippet)
    spliced = "".join(lines)
    # Only after a backslash continuation is a statement's line not a place to insert.
    assume(cpython_rejects(spliced.encode()) is None)
    return spliced


def test_the_fix_loop_on_generated_programs_gives_code_that_parses() -> None:
    fixed: list[int] = []

    def lint(text: str) -> tuple[Diagnostic, ...]:
        result = _lint(text)
        assert result.errors == ()
        return result.diagnostics

    @FUZZ
    @given(source=_with_fixable_code())
    def one(source: str) -> None:
        _check_lint(source)
        outcome = fix_loop(source, lint, unsafe=True, path="fuzz.py")
        assert outcome.errors == []
        assert parses(outcome.text)
        assert cpython_rejects(outcome.text.encode()) is None
        again = fix_loop(outcome.text, lint, unsafe=True, path="fuzz.py")
        assert again.text == outcome.text
        fixed.append(len(outcome.fixed))

    one()
    print(f"\nfix loop: {len(fixed)} programs, {sum(map(bool, fixed))} with fixes applied")
    # The snippets are fixed in most programs (generated code may shadow `sum` or `queue`).
    assert sum(1 for count in fixed if count) >= len(fixed) // 2


# -- byte-level mutations of real files, through the command line ------------------------------

BAD_BYTES = [
    b"\x00",  # NUL
    b"\xff",  # never valid UTF-8
    b"\x80",  # a lone continuation byte
    b"\xc3\x28",  # a two-byte lead with a bad follower
    b"\xc0\xaf",  # an overlong encoding
    b"\xed\xa0\x80",  # a UTF-16 surrogate
    b"\xef\xbb\xbf",  # a BOM in the middle
    b"\r",  # a lone CR
    b"\t",
    b"\x0c",  # form feed
    b"\\",  # a continuation where none belongs
    b"# -*- coding: latin-1 -*-\n",
    b"# -*- coding: rot13 -*-\n",
]


def _mutate(data: bytes, rng: random.Random) -> bytes:
    """One random change: cut, overwrite, insert bad bytes, drop or double a slice; or mix
    line endings, or add fixable code, which keep the file valid for --fix to work on."""
    at = rng.randrange(len(data) + 1)
    kind = rng.randrange(8)
    if kind == 0:
        return data[:at]
    if kind == 1:
        noise = bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
        return data[:at] + noise + data[at + len(noise) :]
    if kind == 2:
        return data[:at] + rng.choice(BAD_BYTES) + data[at:]
    if kind == 3:
        return data[:at] + data[at + rng.randint(1, 200) :]
    if kind == 4:
        end = min(len(data), at + rng.randint(1, 200))
        return data[:end] + data[at:end] + data[end:]
    if kind == 5:
        return rng.choice(BAD_BYTES[:7]) + data  # at the very start, before any cookie
    if kind == 6:
        endings = [b"\n", b"\r\n", b"\r"]
        lines = data.split(b"\n")
        return b"".join(line + rng.choice(endings) for line in lines[:-1]) + lines[-1]
    ending = b"" if data.endswith((b"\n", b"\r")) or not data else b"\n"
    return data + ending + rng.choice(FIXABLE).encode()


def _seeds(count: int) -> list[Path]:
    """Small real files to damage: a fixed sample of the standard library under 20 kB, half
    of them holding code memlint can fix."""
    small = [path for path in stdlib_files() if 0 < path.stat().st_size < 20_000]
    fixable = [path for path in small if may_fix(path.read_bytes())]
    rng = random.Random(7)
    half = min(count // 2, len(fixable))
    return rng.sample(fixable, half) + rng.sample(small, min(count - half, len(small)))


def test_mangled_real_files_never_crash_the_command_line(tmp_path: Path) -> None:
    rng = random.Random(2024)
    seeds = _seeds(max(EXAMPLES // 4, 10))
    folder = tmp_path / "mangled"
    folder.mkdir()
    made: dict[Path, bytes] = {}
    for number in range(EXAMPLES * 5):
        seed = seeds[number % len(seeds)]
        data = seed.read_bytes()
        for _ in range(1 + (rng.random() < 0.3)):
            data = _mutate(data, rng)
        target = folder / f"m{number:05d}_{seed.stem}.py"
        target.write_bytes(data)
        made[target] = data
    files = sorted(made)
    run = memlint(files, cwd=tmp_path)
    assert set(run.returncodes) <= {0, 1}, run.stderr[-3000:]
    assert run.stderr == "", run.stderr[-3000:]
    for path, found in run.by_path.items():
        if any(d["code"] == "MEM000" for d in found):
            data = made[Path(path)]
            assert cpython_rejects(data) is not None or not libcst_parses(data), path
    # And fixing them: every file is its old self or fixed code that parses.
    fixing = tmp_path / "fixing"
    shutil.copytree(folder, fixing)
    copies = sorted(fixing.iterdir())
    fixed_run = memlint(copies, "--fix", "--unsafe-fixes", cwd=tmp_path)
    assert set(fixed_run.returncodes) <= {0, 1}, fixed_run.stderr[-3000:]
    assert fixed_run.stderr == "", fixed_run.stderr[-3000:]
    changed = 0
    for copy in copies:
        before, after = made[folder / copy.name], copy.read_bytes()
        if after == before:
            continue
        changed += 1
        if cpython_rejects(before) is None:
            assert cpython_rejects(after) is None, copy.name
        else:
            assert libcst_parses(after), copy.name
    mem000 = sum(d["code"] == "MEM000" for d in run.diagnostics)
    print(f"\nmangled files: {len(files)}, {mem000} MEM000, {changed} changed by --fix")
