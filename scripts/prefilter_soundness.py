"""Check that the pre-filter hides no finding: every rule it skips on a file finds nothing there.

    python scripts/prefilter_soundness.py [PATH ...] [--select CODES] [--jobs N]

PATH defaults to this interpreter's standard library (its site-packages left out). For each
file, the rules the pre-filter skips (no trigger word in the text, or no candidate in
CPython's tree) are run on it anyway with the pre-filter off; any finding they make is one
the pre-filter would hide, printed with its place, and the exit code is 1. The rules it
keeps are run twice, libcst parsing only the regions around their candidates and then the
whole file (memlint/regions.py): any diagnostic that differs is printed too, and the exit
code is 1. This is the reference run of issue 6 ("every finding with the pre-filter off is
still found with it on"); `tests/test_prefilter_soundness.py` runs it on a sample in CI.
"""

from __future__ import annotations

import argparse
import ast
import multiprocessing
import sys
import sysconfig
import time
import warnings
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from memlint import engine, registry
from memlint.diagnostics import Diagnostic
from memlint.settings import Settings


@dataclass
class FileCheck:
    path: str
    skipped: tuple[str, ...] = ()  # codes the pre-filter skipped on this file
    hidden: tuple[str, ...] = ()  # "path:line:col: CODE message" for each hidden finding
    # Diagnostics that differ between libcst parsing the regions and the whole file,
    # "reduced-only ..." or "whole-only ...".
    differ: tuple[str, ...] = ()


@dataclass
class Report:
    files: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    hidden: list[str] = field(default_factory=list)
    differ: list[str] = field(default_factory=list)


def _settings(codes: Iterable[str]) -> Settings:
    return Settings(select=tuple(codes))  # opt-in rules are enabled by naming them


def check_file(path: str, codes: Sequence[str]) -> FileCheck:
    """The codes the pre-filter skips on `path`, and what they find there when run anyway."""
    try:
        text = engine.decode(Path(path).read_bytes()).text
    except (OSError, engine.DecodeError):
        return FileCheck(path)
    rules = [rule for rule in registry.rules_for(codes) if not rule.synthetic]
    kept = engine.candidate_rules(text, rules)
    if kept:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                tree = ast.parse(text)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            tree = None  # the engine does not ask the ast filter either
        if tree is not None:
            kept = engine.ast_candidate_rules(tree, kept)
    skipped = tuple(rule.code for rule in rules if rule not in kept)
    differ = _regions_differ(text, path, tuple(rule.code for rule in kept))
    if not skipped:
        return FileCheck(path, differ=differ)
    result = engine.lint_source(text, path, _settings(skipped), prefilter=False)
    hidden = tuple(_shown(d) for d in result.diagnostics if d.code in skipped)
    return FileCheck(path, skipped, hidden, differ)


def _shown(d: Diagnostic) -> str:
    return f"{d.path}:{d.line}:{d.column}: {d.code} {d.message}"


def _shown_whole(d: Diagnostic) -> str:
    """Everything a diagnostic holds that may differ: a confidence, a suggestion or a fix
    that differs alone would otherwise print as two identical lines."""
    fix = "no fix" if d.fix is None else f"fix {d.fix!r}"
    return f"{_shown(d)} ({d.confidence.value}; {d.suggestion!r}; {fix})"


def _regions_differ(text: str, path: str, codes: tuple[str, ...]) -> tuple[str, ...]:
    """What the kept rules report differently when libcst parses only their regions: every
    field is compared (confidence, message, suggestion, fix), not just the place."""
    if not codes:
        return ()
    settings = _settings(codes)
    reduced = set(engine.lint_source(text, path, settings).diagnostics)
    whole = set(engine.lint_source(text, path, settings, reduce=False).diagnostics)
    return tuple(
        sorted(
            [f"reduced-only {_shown_whole(d)}" for d in reduced - whole]
            + [f"whole-only {_shown_whole(d)}" for d in whole - reduced]
        )
    )


def _check_one(job: tuple[str, tuple[str, ...]]) -> FileCheck:
    return check_file(*job)


def python_files(paths: Iterable[Path]) -> Iterator[Path]:
    for root in paths:
        if root.is_file():
            yield root
            continue
        for found in sorted(root.rglob("*.py")):
            if "site-packages" not in found.relative_to(root).parts and found.is_file():
                yield found


def run(paths: Sequence[Path], codes: Sequence[str], jobs: int = 1) -> Report:
    report = Report()
    work = ((str(path), tuple(codes)) for path in python_files(paths))
    if jobs == 1:
        checks: Iterable[FileCheck] = map(_check_one, work)
        return _collect(report, checks)
    with multiprocessing.Pool(jobs) as pool:
        return _collect(report, pool.imap(_check_one, work, chunksize=4))


def _collect(report: Report, checks: Iterable[FileCheck]) -> Report:
    for done in checks:
        report.files += 1
        report.skipped.update(done.skipped)
        report.hidden += done.hidden
        report.differ += done.differ
    return report


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path)
    parser.add_argument("--select", default="ALL", help="comma-separated codes (default ALL)")
    parser.add_argument("--jobs", "-j", type=int, default=multiprocessing.cpu_count())
    args = parser.parse_args(argv)
    paths = args.paths or [Path(sysconfig.get_paths()["stdlib"])]
    codes = sorted({code for part in args.select.split(",") for code in registry.expand(part)})
    start = time.perf_counter()
    report = run(paths, codes, args.jobs)
    print(f"{report.files} files, {time.perf_counter() - start:.0f} s")
    for code in codes:
        print(f"  {code}: skipped on {report.skipped[code]} files")
    for line in report.hidden:
        print(f"HIDDEN {line}")
    for line in report.differ:
        print(f"REGIONS {line}")
    print(f"{len(report.hidden)} findings hidden by the pre-filter")
    print(f"{len(report.differ)} findings differ when libcst parses regions only")
    return 1 if report.hidden or report.differ else 0


if __name__ == "__main__":
    sys.exit(main())
