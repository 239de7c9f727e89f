"""fixtures/rules/<CODE>.py: `# error: CODE` annotations, snapshots, and fix round-trips."""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

import libcst as cst
import pytest

from memlint import engine
from memlint.registry import rules_by_code
from memlint.runner import RunOptions, process, unified_diff
from tests.helpers import settings_for

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = sorted((ROOT / "fixtures" / "rules").glob("MEM*.py"))
ANNOTATION = re.compile(r"#\s*error:\s*((?:MEM\d{3}[,\s]*)+)")


def _codes_for(path: Path) -> tuple[str, ...]:
    code = path.stem
    # Synthetic rules report on what other rules do, so run everything for them.
    return ("ALL",) if rules_by_code()[code].synthetic else (code,)


def _display(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _expected(text: str) -> set[tuple[int, str]]:
    found = set()
    for number, line in enumerate(text.splitlines(), start=1):
        match = ANNOTATION.search(line)
        if match:
            found.update((number, code) for code in re.findall(r"MEM\d{3}", match[1]))
    return found


def _render_snapshot(path: Path) -> str:
    data = path.read_bytes()
    codes = _codes_for(path)
    settings = settings_for(codes)
    display = _display(path)
    result = engine.lint_source(data, display, settings)
    lines = [
        f"# {display} with --select {','.join(codes)}.",
        "# Regenerate: pytest tests/test_fixtures.py --update-snapshots (then read the diff).",
        "",
    ]
    for d in result.diagnostics:
        where = f"{d.line}:{d.column}-{d.end_line}:{d.end_column}"
        lines.append(f"{where} {d.code} ({d.confidence.value}) {d.message}")
        if d.fix is not None:
            lines.append(f"    fix ({d.fix.applicability.value}): {d.fix.message}")
        elif d.suggestion:
            lines.append(f"    suggestion: {d.suggestion}")
    outcome = process(data, display, settings, RunOptions(fix=True, unsafe_fixes=True))
    lines += ["", "# --fix --unsafe-fixes:"]
    lines.append(outcome.diff.rstrip("\n") if outcome.diff else "(no change)")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_annotations_match(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    result = engine.lint_source(text, _display(path), settings_for(_codes_for(path)))
    reported = {(d.line, d.code) for d in result.diagnostics if d.code == path.stem}
    expected = {(line, code) for line, code in _expected(text) if code == path.stem}
    assert expected, f"{path.name} has no `# error: {path.stem}` annotation"
    assert sorted(reported - expected) == [], "reported but not annotated"
    assert sorted(expected - reported) == [], "annotated but not reported"
    assert result.errors == ()


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_snapshot(path: Path, request: pytest.FixtureRequest) -> None:
    snapshot = path.with_suffix(".snap")
    rendered = _render_snapshot(path)
    if request.config.getoption("--update-snapshots"):
        snapshot.write_text(rendered, encoding="utf-8")
    assert snapshot.exists(), "no snapshot: run pytest tests/test_fixtures.py --update-snapshots"
    assert rendered == snapshot.read_text(encoding="utf-8")


def _comments(text: str) -> list[str]:
    tokens = tokenize.generate_tokens(io.StringIO(text).readline)
    return [t.string for t in tokens if t.type == tokenize.COMMENT]


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_fix_round_trip(path: Path) -> None:
    """Fixes parse, converge in one run, and leave every comment and untouched line alone."""
    data = path.read_bytes()
    if path.stem == "MEM000":
        pytest.skip("MEM000 fixtures do not parse by design")
    settings = settings_for(_codes_for(path))
    options = RunOptions(fix=True, unsafe_fixes=True)
    first = process(data, _display(path), settings, options)
    if first.fixed_source is None:
        assert first.fixed == 0
        return
    fixed = first.fixed_source.decode("utf-8")
    cst.parse_module(fixed)
    second = process(first.fixed_source, _display(path), settings, options)
    assert second.fixed_source is None, "a second --fix run changed the file again"
    original = data.decode("utf-8")
    if path.stem != "MEM900":  # MEM900's fixes are comment edits by design
        assert _comments(fixed) == _comments(original)
    changed = {
        number
        for number, line in enumerate(unified_diff("x", original, fixed).splitlines())
        if line.startswith("-") and not line.startswith("---")
    }
    assert len(changed) <= first.fixed * 3, "fixes touched more lines than they fixed"
