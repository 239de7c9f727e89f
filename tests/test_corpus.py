"""Sweeps over real code (issue 7): memlint never crashes on it, and its fixes never corrupt it.

CI runs a fixed sample: every 8th file of the sorted standard library (tests and lib2to3's
test data included) plus every file CPython rejects, and every 25th file of this
environment's site-packages; the fix round trip takes every other file under 60 kB that
holds the text of a fixable pattern. `pytest --corpus=full tests/test_corpus.py -s` (or
`MEMLINT_CORPUS=full`) sweeps every file of the standard library and of every
site-packages folder, the base interpreter's included, and prints the figures; it takes
from minutes to hours.
"""

from __future__ import annotations

import ast
import difflib
import os
import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.corpus import (
    STDLIB,
    Run,
    cpython_rejects,
    distinct,
    full_size,
    libcst_parses,
    may_fix,
    memlint,
    python_files,
    site_packages_folders,
    stdlib_files,
)

pytestmark = pytest.mark.slow

# Files CPython parses and libcst's parser does not: the only MEM000s CPython would not
# report. By path inside the folder swept, with the reason; a test fails when an entry no
# longer differs, so the list stays true.
LIBCST_REJECTS = {
    "test/test_grammar.py": (
        "a parenthesised annotated target, `(no_such_global): int`: PEP 526 allows it, "
        "libcst's grammar takes only a bare name, attribute or subscript before the colon"
    ),
}


def _stdlib_sample() -> list[Path]:
    files = stdlib_files()
    if full_size():
        return files
    sample = set(files[::8])
    # Every file CPython rejects, and every known difference: the sweep's MEM000s.
    sample.update(path for path in files if cpython_rejects(path.read_bytes()) is not None)
    sample.update(STDLIB / name for name in LIBCST_REJECTS if (STDLIB / name).is_file())
    return sorted(sample)


def _site_packages_sample() -> list[Path]:
    folders = site_packages_folders(every_interpreter=full_size())
    files = distinct([path for folder in folders for path in python_files(folder)])
    return files if full_size() else files[::25]


def _relative(path: Path) -> str:
    for root in (STDLIB, *site_packages_folders(every_interpreter=True)):
        if path.is_relative_to(root):
            return path.relative_to(root).as_posix()
    return path.as_posix()


def _check_sweep(files: list[Path], run: Run) -> Counter[str]:
    """The sweep's checks; returns the MEM000 counts by why they were reported.

    Every file is looked at before anything fails, so a full sweep lists all its problems.
    """
    assert set(run.returncodes) <= {0, 1}, run.stderr[-3000:]
    assert run.stderr == "", run.stderr[-3000:]
    why: Counter[str] = Counter()
    problems: list[str] = []
    reported = run.by_path
    for path in files:
        mem000 = [d for d in reported.get(str(path), ()) if d["code"] == "MEM000"]
        complaint = cpython_rejects(path.read_bytes())
        name = _relative(path)
        if len(mem000) > 1:
            problems.append(f"{path}: more than one MEM000: {mem000}")
        elif mem000 and complaint is not None:
            why["CPython rejects it too"] += 1
        elif mem000 and name not in LIBCST_REJECTS:
            problems.append(f"{path}: MEM000 but CPython parses it: {mem000[0]['message']}")
        elif mem000 and not mem000[0]["message"].startswith("cannot parse with libcst (CPython "):
            problems.append(f"{path}: MEM000 does not say CPython accepts it: {mem000}")
        elif mem000:
            why[f"libcst rejects it: {name}"] += 1
        elif name in LIBCST_REJECTS:
            problems.append(f"{name} no longer differs: drop it from LIBCST_REJECTS")
        elif complaint is not None and not libcst_parses(path.read_bytes()):
            problems.append(f"{path}: no MEM000, but CPython says {complaint}")
        elif complaint is not None:
            # Analysed: CPython rejects it, libcst (newer syntax) parses it (docs/decisions.md).
            why[f"analysed: CPython rejects it ({complaint[:60]}), libcst parses it"] += 1
    assert problems == [], "\n".join(problems)
    return why


def _report(corpus: str, files: list[Path], run: Run, why: Counter[str]) -> None:
    codes = Counter(d["code"] for d in run.diagnostics)
    print(f"\n{corpus}: {len(files)} files swept, {len(run.diagnostics)} diagnostics: {codes}")
    for reason, count in sorted(why.items()):
        print(f"  MEM000 or not: {count} x {reason}")


def test_the_standard_library_is_analysed_or_mem000_where_cpython_agrees(tmp_path: Path) -> None:
    files = _stdlib_sample()
    run = memlint(files, cwd=tmp_path)
    why = _check_sweep(files, run)
    _report("standard library", files, run, why)
    # The sample holds files CPython rejects: the sweep checks MEM000, not just silence.
    assert why["CPython rejects it too"] >= 1


def test_site_packages_are_analysed_or_mem000_where_cpython_agrees(tmp_path: Path) -> None:
    files = _site_packages_sample()
    assert files, "no site-packages folder with Python files"
    run = memlint(files, cwd=tmp_path)
    why = _check_sweep(files, run)
    _report("site-packages", files, run, why)


# -- the fix round trip ------------------------------------------------------------------------


def _fix_sample() -> list[Path]:
    files = stdlib_files()
    if full_size():
        return files
    # Small files: a fixable pattern costs the same to fix in a small file as in a large one.
    small = [path for path in files if path.stat().st_size < 60_000]
    return [path for path in small if may_fix(path.read_bytes())][::2]


def _touched_lines(before: bytes, after: bytes) -> set[int]:
    """The 1-based lines of `before` that a change replaced or deleted, or inserted beside.

    `bytes.splitlines` ends lines where Python does (\\n, \\r\\n, \\r), whatever the encoding.
    """
    touched: set[int] = set()
    matcher = difflib.SequenceMatcher(
        None, before.splitlines(keepends=True), after.splitlines(keepends=True), autojunk=False
    )
    for tag, first, last, _, _ in matcher.get_opcodes():
        if tag == "equal":
            continue
        # An insertion (first == last) touches the lines on both sides of where it goes.
        touched.update(range(first, last + 2) if first == last else range(first + 1, last + 1))
    return touched


def _functions(tree: ast.Module) -> Iterator[tuple[str, ast.AST, range]]:
    """Every def in the tree: its qualified name (numbered when repeated), node and lines."""
    seen: Counter[str] = Counter()
    stack: list[tuple[str, ast.AST]] = [("", tree)]
    while stack:
        prefix, node = stack.pop()
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = f"{prefix}{child.name}"
                if not isinstance(child, ast.ClassDef):
                    seen[name] += 1
                    first = min([child.lineno, *(d.lineno for d in child.decorator_list)])
                    lines = range(first, (child.end_lineno or child.lineno) + 1)
                    yield f"{name}#{seen[name]}", child, lines
                stack.append((f"{name}.", child))
            else:
                stack.append((prefix, child))


def _changed_functions(before: bytes, after: bytes) -> list[str]:
    """Defs outside every change whose `ast.dump` is not the same after the fixes."""
    touched = _touched_lines(before, after)
    fixed = {name: ast.dump(node) for name, node, _ in _functions(ast.parse(after))}
    return [
        name
        for name, node, lines in _functions(ast.parse(before))
        if not touched.intersection(lines) and fixed.get(name) != ast.dump(node)
    ]


def _read_all(root: Path) -> dict[Path, bytes]:
    return {path: path.read_bytes() for path in python_files(root)}


def test_fixes_over_the_standard_library_parse_converge_and_touch_nothing_else(
    tmp_path: Path,
) -> None:
    copy = tmp_path / "lib"
    for path in _fix_sample():
        target = copy / path.relative_to(STDLIB)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    original = _read_all(copy)
    files = sorted(original)
    first = memlint(files, "--fix", "--unsafe-fixes", cwd=tmp_path)
    # No internal error: a fix whose result does not parse would be one (exit 2).
    assert set(first.returncodes) <= {0, 1}, first.stderr[-3000:]
    assert first.stderr == "", first.stderr[-3000:]
    fixed = _read_all(copy)
    changed = [path for path in files if fixed[path] != original[path]]
    for path in changed:
        name = path.relative_to(copy).as_posix()
        if cpython_rejects(original[path]) is not None:
            assert libcst_parses(fixed[path]), f"{name} no longer parses"
            continue
        assert cpython_rejects(fixed[path]) is None, f"{name} no longer parses"
        assert _changed_functions(original[path], fixed[path]) == [], name
    second = memlint(files, "--fix", "--unsafe-fixes", cwd=tmp_path)
    assert set(second.returncodes) <= {0, 1}, second.stderr[-3000:]
    assert _read_all(copy) == fixed, "a second --fix changed files again"
    print(f"\nfix round trip: {len(files)} files, {len(changed)} changed by the fixes")
    # The sample holds fixable code: the round trip checks fixes, not just silence.
    assert len(changed) >= (30 if full_size() else 5)
    # Nothing left behind by the atomic writes.
    assert not [name for name in os.listdir(copy) if name.startswith(".memlint-")]
