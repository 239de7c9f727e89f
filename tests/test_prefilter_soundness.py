"""The pre-filter never hides a finding (issue 6).

Every case and fixture positive already passes through the pre-filter in the rule tests (a
hidden one fails them). Here the reference run of `scripts/prefilter_soundness.py` (each rule
the pre-filter skips on a file is run on it anyway and must find nothing) is checked on every
fixture and on a fixed sample of the standard library; the whole library is in the issue note.
"""

from __future__ import annotations

import ast
import importlib.util
import sys
import sysconfig
from pathlib import Path
from types import ModuleType

import pytest

from memlint import engine, registry
from memlint.diagnostics import Confidence
from memlint.rules.mem402_concat_in_loop import ConcatInLoop
from memlint.rules.mem601_unbounded_recursion import UnboundedRecursion
from memlint.semantic import provenance
from memlint.settings import Settings

ROOT = Path(__file__).parent.parent
FIXTURES = sorted((ROOT / "fixtures" / "rules").glob("MEM*.py"))
STDLIB = Path(sysconfig.get_paths()["stdlib"])


def _load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "prefilter_soundness", ROOT / "scripts" / "prefilter_soundness.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


soundness = _load_script()
ALL = sorted(registry.catalog())


def _stdlib_sample(every: int = 60) -> list[Path]:
    """Every n-th file of the sorted standard library (its tests included), a fixed sample."""
    return list(soundness.python_files([STDLIB]))[::every]


def test_a_wrong_ast_filter_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        UnboundedRecursion, "ast_places", classmethod(lambda cls, tree, settings: [])
    )
    check = soundness.check_file(str(ROOT / "fixtures" / "rules" / "MEM601.py"), ["MEM601"])
    assert check.skipped == ("MEM601",)
    assert check.hidden and all(" MEM601 " in line for line in check.hidden)


def test_a_wrong_text_trigger_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ConcatInLoop, "trigger_pattern", r"\A(?!)")  # matches nothing
    monkeypatch.setattr("memlint.engine._TRIGGER_CACHE", {})  # recompiled from the attribute
    check = soundness.check_file(str(ROOT / "fixtures" / "rules" / "MEM402.py"), ["MEM402"])
    assert check.skipped == ("MEM402",)
    assert check.hidden


def test_a_file_no_rule_skips_is_not_run_twice() -> None:
    check = soundness.check_file(str(ROOT / "fixtures" / "rules" / "MEM601.py"), ["MEM601"])
    assert check == soundness.FileCheck(check.path)


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda path: path.stem)
def test_fixtures_hide_nothing(fixture: Path) -> None:
    check = soundness.check_file(str(fixture), ALL)
    assert (check.hidden, check.differ) == ((), ())


def test_a_stdlib_sample_hides_nothing() -> None:
    sample = _stdlib_sample()
    assert len(sample) >= 25
    report = soundness.run(sample, ALL, jobs=1)
    assert report.files == len(sample)
    assert sum(report.skipped.values()) > len(sample)  # the filter did skip rules here
    assert report.hidden == []
    assert report.differ == []


# `main` holds no candidate, so libcst sees `pass` for its body in the regions run; the
# argument it passes decides the finding's provenance.
_CALLER_ELSEWHERE = """\
import sys


def main():
    count(sys.argv[1])


def count(name):
    with open(name) as f:
        return len(f.read().splitlines())
"""


def test_provenance_reads_the_whole_file_in_the_regions_run(tmp_path: Path) -> None:
    path = tmp_path / "tool.py"
    path.write_text(_CALLER_ELSEWHERE)
    check = soundness.check_file(str(path), ["MEM101"])
    assert check == soundness.FileCheck(str(path))
    (finding,) = engine.lint_source(_CALLER_ELSEWHERE, str(path), Settings()).diagnostics
    assert finding.confidence is Confidence.HIGH
    assert finding.message.endswith("(`sys.argv`)")


def test_a_confidence_that_differs_in_the_regions_run_is_caught(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A provenance that followed values through the code libcst parsed, not the whole
    # file's tree, would lose `main`'s call in the regions run.
    def reduced_flow(context: engine.FileContext) -> provenance._Flow:
        code = context.module.code
        return provenance._Flow(ast.parse(code), code)

    monkeypatch.setattr(provenance, "_flow", reduced_flow)
    path = tmp_path / "tool.py"
    path.write_text(_CALLER_ELSEWHERE)
    check = soundness.check_file(str(path), ["MEM101"])
    assert len(check.differ) == 2
    reduced, whole = sorted(check.differ)
    assert reduced.startswith("reduced-only ") and "(medium;" in reduced
    assert whole.startswith("whole-only ") and "(high;" in whole
