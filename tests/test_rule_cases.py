"""Every Valid / Invalid case declared on a rule runs here (select with `-k MEM201`)."""

from __future__ import annotations

import libcst as cst
import pytest

from memlint.rule import Invalid, Valid
from memlint.rules import ALL_RULES
from tests.helpers import fix, lint

CASES = [
    pytest.param(rule, case, id=f"{rule.code}-{type(case).__name__}-{index}")
    for rule in ALL_RULES
    for index, case in enumerate(rule.cases)
]


@pytest.mark.parametrize(("rule", "case"), CASES)
def test_case(rule: type, case: Valid | Invalid) -> None:
    # Synthetic rules (MEM000, MEM900) report on what the other rules do.
    codes = ("ALL",) if rule.synthetic else (rule.code,)
    found = [d for d in lint(case.code, codes, **case.settings) if d.code == rule.code]
    if isinstance(case, Valid):
        assert found == [], f"{rule.code} flagged valid code:\n{case.code}\n{found}"
        return
    assert len(found) == 1, f"{rule.code} expected one diagnostic, got {found}\n{case.code}"
    diagnostic = found[0]
    if case.line is not None:
        assert diagnostic.line == case.line
    if case.column is not None:
        assert diagnostic.column == case.column
    if case.confidence is not None:
        assert diagnostic.confidence == case.confidence, diagnostic.message
    if case.because is not None:
        assert diagnostic.message.endswith(f"; {case.because}"), diagnostic.message
    assert diagnostic.message and not diagnostic.message.endswith(".")
    assert diagnostic.suggestion, "every diagnostic carries a fix title or a suggestion"
    if case.fixed is None:
        assert diagnostic.fix is None, f"unexpected fix {diagnostic.fix}"
        return
    assert diagnostic.fix is not None, "expected a fix"
    assert diagnostic.fix.applicability == case.applicability
    outcome = fix(case.code, codes, options=case.settings)
    assert outcome.errors == []
    assert outcome.text == case.fixed
    cst.parse_module(outcome.text)
    again = fix(outcome.text, codes, options=case.settings)
    assert again.text == outcome.text, "the fix is not idempotent"
    assert again.fixed == []
    if case.applicability.value == "unsafe":
        safe_only = fix(case.code, codes, unsafe=False, options=case.settings)
        assert safe_only.text == case.code, "an unsafe fix was applied without --unsafe-fixes"
