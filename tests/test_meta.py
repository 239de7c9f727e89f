"""The rule catalogue holds together: modules, codes, names, options, cases and fixtures."""

from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path

import pytest

from memlint import settings as settings_module
from memlint.rule import Invalid, Rule, Valid
from memlint.rules import ALL_RULES

ROOT = Path(__file__).resolve().parent.parent
RULES_DIR = ROOT / "memlint" / "rules"
MODULE_FILE = re.compile(r"^mem(\d{3})_[a-z0-9_]+\.py$")
CODE = re.compile(r"^MEM\d{3}$")
KEBAB = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")
# From rules.md: 0xx is reserved for MEM000; 1xx-6xx are the rule families; 9xx is meta.
FAMILIES = {"1", "2", "3", "4", "5", "6", "9"}

MODULE_FILES = sorted(p.name for p in RULES_DIR.glob("*.py") if p.name != "__init__.py")
RULES = [pytest.param(rule, id=rule.code) for rule in ALL_RULES]
NON_SYNTHETIC = [pytest.param(rule, id=rule.code) for rule in ALL_RULES if not rule.synthetic]


def _rule_classes(module_name: str) -> list[type[Rule]]:
    module = importlib.import_module(module_name)
    return [
        value
        for value in vars(module).values()
        if inspect.isclass(value)
        and issubclass(value, Rule)
        and value is not Rule
        and value.__module__ == module_name
    ]


def test_there_are_rule_modules() -> None:
    assert MODULE_FILES
    assert len(ALL_RULES) >= 4


@pytest.mark.parametrize("filename", MODULE_FILES)
def test_every_module_in_rules_is_a_rule_module(filename: str) -> None:
    assert MODULE_FILE.match(filename), f"memlint/rules/{filename} is not memNNN_<name>.py"


@pytest.mark.parametrize("filename", MODULE_FILES)
def test_every_rule_module_defines_one_rule_in_all_rules(filename: str) -> None:
    classes = _rule_classes(f"memlint.rules.{filename[:-3]}")
    assert len(classes) == 1, f"{filename} defines {classes}"
    assert classes[0] in ALL_RULES, f"{classes[0].__name__} ({filename}) is not in ALL_RULES"


def test_all_rules_come_from_rule_modules() -> None:
    modules = {f"memlint.rules.{name[:-3]}" for name in MODULE_FILES}
    assert {rule.__module__ for rule in ALL_RULES} == modules
    assert len(ALL_RULES) == len(MODULE_FILES)


def test_all_rules_are_rules_and_unique() -> None:
    assert all(inspect.isclass(rule) and issubclass(rule, Rule) for rule in ALL_RULES)
    assert len(set(ALL_RULES)) == len(ALL_RULES)


def test_codes_are_unique_and_ordered() -> None:
    codes = [rule.code for rule in ALL_RULES]
    assert len(set(codes)) == len(codes)
    assert codes == sorted(codes)


def test_names_are_unique() -> None:
    names = [rule.name for rule in ALL_RULES]
    assert len(set(names)) == len(names)


@pytest.mark.parametrize("rule", RULES)
def test_code_and_family(rule: type[Rule]) -> None:
    assert CODE.match(rule.code), rule.code
    family = rule.code[3]
    if family == "0":
        assert rule.code == "MEM000", "0xx is reserved for MEM000"
    else:
        assert family in FAMILIES, f"{rule.code} is in no family of rules.md"


@pytest.mark.parametrize("rule", RULES)
def test_name_is_kebab_case(rule: type[Rule]) -> None:
    assert KEBAB.match(rule.name), rule.name


@pytest.mark.parametrize("rule", RULES)
def test_module_file_name_matches_code_and_name(rule: type[Rule]) -> None:
    expected = f"mem{rule.code[3:]}_{rule.name.replace('-', '_')}.py"
    assert Path(inspect.getfile(rule)).name == expected
    assert rule.__module__ == f"memlint.rules.{expected[:-3]}"


@pytest.mark.parametrize("rule", RULES)
def test_code_name_and_summary_are_the_rules_own(rule: type[Rule]) -> None:
    for attribute in ("code", "name", "summary"):
        assert attribute in vars(rule), f"{rule.__name__} inherits `{attribute}`"
    assert rule.summary
    assert not rule.summary.endswith(".")


@pytest.mark.parametrize("rule", RULES)
def test_options_are_rule_options_in_settings(rule: type[Rule]) -> None:
    declared = dict(settings_module.options())
    for option in rule.options:
        assert option in declared, f"{rule.code} reads `{option}`, which Settings lacks"
        assert declared[option].rule_option, f"`{option}` is not marked rule_option=True"
    assert len(set(rule.options)) == len(rule.options)


@pytest.mark.parametrize("rule", NON_SYNTHETIC)
def test_non_synthetic_rules_have_triggers(rule: type[Rule]) -> None:
    # Words, or a pattern for a rule with no telling word, or at least an `ast`-level check
    # for a rule whose evidence is a shape: never nothing (every file parsed by libcst).
    assert bool(rule.triggers) + (rule.trigger_pattern is not None) <= 1
    assert rule.triggers or rule.trigger_pattern is not None or rule.has_ast_filter()
    assert all(isinstance(word, str) and word.strip() == word and word for word in rule.triggers)
    if rule.trigger_pattern is not None:
        re.compile(rule.trigger_pattern, re.MULTILINE)


@pytest.mark.parametrize("rule", RULES)
def test_every_rule_has_valid_and_invalid_cases(rule: type[Rule]) -> None:
    assert all(isinstance(case, (Valid, Invalid)) for case in rule.cases)
    assert any(isinstance(case, Valid) for case in rule.cases), f"{rule.code}: no Valid case"
    assert any(isinstance(case, Invalid) for case in rule.cases), f"{rule.code}: no Invalid case"


@pytest.mark.parametrize("rule", NON_SYNTHETIC)
def test_non_synthetic_rules_have_enough_cases(rule: type[Rule]) -> None:
    valid = sum(isinstance(case, Valid) for case in rule.cases)
    assert len(rule.cases) >= 10, f"{rule.code} has {len(rule.cases)} cases; at least 10"
    assert valid >= 4, f"{rule.code} has {valid} Valid cases; at least 4"


@pytest.mark.parametrize("rule", RULES)
def test_fixable_iff_a_case_shows_a_fix(rule: type[Rule]) -> None:
    shows_fix = any(isinstance(case, Invalid) and case.fixed is not None for case in rule.cases)
    assert rule.fixable is shows_fix


@pytest.mark.parametrize("rule", RULES)
def test_rule_options_set_by_cases_are_declared(rule: type[Rule]) -> None:
    rule_options = set(settings_module.rule_option_names())
    for case in rule.cases:
        for key in case.settings:
            assert key in dict(settings_module.options()), f"{rule.code}: unknown `{key}`"
            if key in rule_options:
                assert key in rule.options, f"{rule.code} case sets `{key}`, not in its options"


@pytest.mark.parametrize("rule", RULES)
def test_every_rule_has_a_fixture(rule: type[Rule]) -> None:
    assert (ROOT / "fixtures" / "rules" / f"{rule.code}.py").is_file()


# -- trigger patterns cannot backtrack -----------------------------------------------------------

try:  # Python >= 3.11
    from re import _constants as _sre_constants
    from re import _parser as _sre_parser
except ImportError:  # pragma: no cover - Python < 3.11
    import sre_constants as _sre_constants  # type: ignore[no-redef]
    import sre_parse as _sre_parser  # type: ignore[no-redef]

_REPEATS = (_sre_constants.MAX_REPEAT, _sre_constants.MIN_REPEAT)


def _items(pattern: object) -> list[tuple[object, object]]:
    return list(getattr(pattern, "data", pattern))  # type: ignore[arg-type]


def _delimited(item: tuple[object, object], following: tuple[object, object] | None) -> bool:
    """`[^c]*` followed by `c`: the repeat can end in only one place."""
    _op, (_low, _high, body) = item  # type: ignore[misc]
    inner = _items(body)
    if following is None or len(inner) != 1:
        return False
    kind, members = inner[0]
    if kind is _sre_constants.NOT_LITERAL:
        excluded = {members}
    elif kind is _sre_constants.IN and any(m[0] is _sre_constants.NEGATE for m in members):  # type: ignore[attr-defined]
        excluded = {m[1] for m in members if m[0] is _sre_constants.LITERAL}  # type: ignore[attr-defined]
    else:
        return False
    # What follows must be one of the excluded characters: a literal or a set of them.
    if following[0] is _sre_constants.LITERAL:
        return following[1] in excluded
    if following[0] is _sre_constants.IN:
        ends = following[1]
        return all(m[0] is _sre_constants.LITERAL and m[1] in excluded for m in ends)  # type: ignore[attr-defined]
    return False


def _nested_repeats(pattern: object, inside_repeat: bool = False) -> list[str]:
    problems: list[str] = []
    items = _items(pattern)
    for index, (op, argument) in enumerate(items):
        following = items[index + 1] if index + 1 < len(items) else None
        if op in _REPEATS:
            _low, high, body = argument  # type: ignore[misc]
            if inside_repeat and high != 1 and not _delimited((op, argument), following):
                problems.append(f"a repeat inside a repeat: {op} {argument}")
            problems += _nested_repeats(body, inside_repeat or high != 1)
        elif op is _sre_constants.SUBPATTERN:
            problems += _nested_repeats(argument[-1], inside_repeat)  # type: ignore[index]
        elif op is _sre_constants.BRANCH:
            for branch in argument[1]:  # type: ignore[index]
                problems += _nested_repeats(branch, inside_repeat)
    return problems


@pytest.mark.parametrize(
    "rule", [r for r in ALL_RULES if r.trigger_pattern is not None], ids=lambda r: r.code
)
def test_trigger_patterns_have_no_nested_repeats(rule: type[Rule]) -> None:
    """A pre-filter that backtracks hangs the whole run on one unlucky file (it has: `x = ###`).

    Structural, not timed: no quantifier may sit inside another unless it is `[^c]*c`.
    """
    assert rule.trigger_pattern is not None
    parsed = _sre_parser.parse(rule.trigger_pattern, re.MULTILINE)
    assert _nested_repeats(parsed) == []


def test_the_nested_repeat_check_catches_the_bugs_it_exists_for() -> None:
    bad = [r"(?:[\s(\\]|#[^\n]*)*x", r"(a+)+b", r"(?:\w+\s*)*="]
    good = [r"(?:[\s(\\]|#[^\n]*\n)*x", r"\+=[^=]{0,200}?\b(\w)", r"[ab]*c"]
    assert all(_nested_repeats(_sre_parser.parse(p)) for p in bad)
    assert not any(_nested_repeats(_sre_parser.parse(p)) for p in good)


@pytest.mark.parametrize("rule", [r for r in ALL_RULES if r.trigger_literals], ids=lambda r: r.code)
def test_trigger_literals_are_in_every_text_the_pattern_matches(rule: type[Rule]) -> None:
    """The substring scan before a pattern must never reject a text the pattern matches.

    Texts come from the pattern itself (hypothesis builds matching strings, with random text
    around them) and from the rule's cases and fixture.
    """
    from hypothesis import HealthCheck, given
    from hypothesis import settings as hypothesis_settings
    from hypothesis import strategies as st

    assert rule.trigger_pattern is not None
    pattern = re.compile(rule.trigger_pattern, re.MULTILINE)

    def holds(text: str) -> bool:
        return not pattern.search(text) or any(lit in text for lit in rule.trigger_literals)

    @hypothesis_settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.from_regex(pattern))
    def generated(text: str) -> None:
        assert holds(text)

    generated()
    fixture = ROOT / "fixtures" / "rules" / f"{rule.code}.py"
    texts = [case.code for case in rule.cases] + [fixture.read_text(encoding="utf-8")]
    assert all(holds(text) for text in texts)
