"""memlint.registry: rule lookup, selector expansion and layered selection."""

from __future__ import annotations

import pytest

from memlint import registry
from memlint.diagnostics import Applicability
from memlint.registry import SelectorError, expand, fix_kinds, resolve, rule_for
from memlint.rule import Invalid, Rule, Valid
from memlint.rules import ALL_RULES
from memlint.rules.mem000_parse_error import ParseError
from memlint.rules.mem201_unbounded_lru_cache import UnboundedLruCache
from memlint.rules.mem202_unbounded_queue import UnboundedQueue
from memlint.rules.mem900_unused_noqa import UnusedNoqa
from memlint.settings import Selection, Settings

EVERY = frozenset(rule.code for rule in ALL_RULES)
DEFAULT = frozenset(rule.code for rule in ALL_RULES if rule.default_enabled)


def _family(prefix: str) -> frozenset[str]:
    return frozenset(code for code in EVERY if code.startswith(prefix))


# -- lookup ---------------------------------------------------------------------------------


def test_rules_by_code() -> None:
    by_code = registry.rules_by_code()
    assert list(by_code) == [rule.code for rule in ALL_RULES]
    assert by_code["MEM000"] is ParseError
    assert by_code["MEM201"] is UnboundedLruCache
    assert by_code["MEM900"] is UnusedNoqa
    assert registry.PARSE_ERROR_CODE == "MEM000"
    assert registry.UNUSED_NOQA_CODE == "MEM900"


@pytest.mark.parametrize(
    ("wanted", "rule"),
    [
        ("MEM201", UnboundedLruCache),
        ("mem201", UnboundedLruCache),
        (" MEM201 ", UnboundedLruCache),
        ("unbounded-lru-cache", UnboundedLruCache),
        ("Unbounded-LRU-Cache", UnboundedLruCache),
        ("unbounded-queue", UnboundedQueue),
        ("MEM000", ParseError),
        ("parse-error", ParseError),
        ("unused-noqa", UnusedNoqa),
    ],
)
def test_rule_for(wanted: str, rule: type[Rule]) -> None:
    assert rule_for(wanted) is rule


@pytest.mark.parametrize(
    "wanted", ["", "MEM", "MEM2", "MEM20", "MEM2010", "unbounded_lru_cache", "E501", "nope"]
)
def test_rule_for_unknown(wanted: str) -> None:
    assert rule_for(wanted) is None


def test_rules_for_keeps_registry_order_and_drops_unknown_codes() -> None:
    assert registry.rules_for(["MEM900", "MEM201", "MEM000", "E501"]) == (
        ParseError,
        UnboundedLruCache,
        UnusedNoqa,
    )
    assert registry.rules_for([]) == ()


# -- expand -----------------------------------------------------------------------------------


def test_expand_all() -> None:
    assert expand("ALL") == EVERY
    assert expand("all") == EVERY
    # Naming opt-in rules is opting in.
    assert "MEM900" in expand("ALL")


def test_expand_mem_prefix() -> None:
    assert expand("MEM") == EVERY


def test_expand_family_prefix() -> None:
    assert expand("MEM2") == _family("MEM2")
    assert {"MEM201", "MEM202"} <= expand("MEM2")
    assert not {"MEM000", "MEM900"} & expand("MEM2")
    assert expand("MEM20") == _family("MEM20")
    assert expand("MEM9") == {"MEM900"}
    assert expand("MEM0") == {"MEM000"}


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("MEM201", {"MEM201"}),
        ("mem201", {"MEM201"}),
        (" MEM202\t", {"MEM202"}),
        ("MEM900", {"MEM900"}),
        ("mem2", None),
    ],
)
def test_expand_exact_codes_and_case(selector: str, expected: set[str] | None) -> None:
    assert expand(selector) == (expected if expected is not None else _family("MEM2"))


@pytest.mark.parametrize(
    "selector",
    ["", "E501", "MEM8", "MEM299", "MEM2010", "MEM-201", "MEM 201", "ALLX", "B", "MEM201,MEM202"],
)
def test_expand_unknown(selector: str) -> None:
    with pytest.raises(SelectorError):
        expand(selector)


def test_selector_error_messages() -> None:
    with pytest.raises(SelectorError, match=r"^`MEM8` matches no memlint rule$"):
        expand("mem8")
    with pytest.raises(SelectorError, match=r"^`E501` is not a code, a prefix such as `MEM2`"):
        expand("E501")
    assert issubclass(SelectorError, ValueError)


def test_validate() -> None:
    registry.validate(["ALL", "MEM2", "mem201"])
    with pytest.raises(SelectorError):
        registry.validate(["MEM201", "MEM8"])


# -- resolve --------------------------------------------------------------------------------------


def test_default_excludes_opt_in_rules() -> None:
    assert registry.default_codes() == DEFAULT
    assert "MEM900" not in DEFAULT
    assert {"MEM000", "MEM201", "MEM202"} <= DEFAULT
    assert resolve([]) == DEFAULT
    assert resolve([Selection()]) == DEFAULT
    assert resolve([Selection(), Selection()]) == DEFAULT


def test_select_replaces_the_default() -> None:
    assert resolve([Selection(select=("MEM201",))]) == {"MEM000", "MEM201"}
    assert resolve([Selection(select=("MEM9",))]) == {"MEM000", "MEM900"}
    assert resolve([Selection(select=("ALL",))]) == EVERY


def test_empty_select_keeps_only_mem000() -> None:
    assert resolve([Selection(select=())]) == {"MEM000"}


def test_a_later_layers_select_replaces_an_earlier_one() -> None:
    layers = [Selection(select=("MEM201",)), Selection(select=("MEM202",))]
    assert resolve(layers) == {"MEM000", "MEM202"}


def test_extend_select_adds() -> None:
    assert resolve([Selection(extend_select=("MEM900",))]) == DEFAULT | {"MEM900"}
    assert resolve([Selection(select=("MEM201",), extend_select=("MEM202",))]) == {
        "MEM000",
        "MEM201",
        "MEM202",
    }
    # Across layers: the command line extends what the config file selected.
    layers = [Selection(select=("MEM201",)), Selection(extend_select=("MEM900",))]
    assert resolve(layers) == {"MEM000", "MEM201", "MEM900"}


def test_ignore_removes() -> None:
    assert resolve([Selection(ignore=("MEM201",))]) == DEFAULT - {"MEM201"}
    assert resolve([Selection(ignore=("MEM2",))]) == DEFAULT - _family("MEM2")
    # An ignore in a later layer removes what an earlier layer selected.
    assert resolve([Selection(select=("ALL",)), Selection(ignore=("MEM9",))]) == EVERY - {"MEM900"}


def test_ignore_wins_at_equal_specificity() -> None:
    assert resolve([Selection(select=("MEM201",), ignore=("MEM201",))]) == {"MEM000"}
    assert resolve([Selection(select=("MEM2",), ignore=("MEM2",))]) == {"MEM000"}
    assert resolve([Selection(extend_select=("MEM900",), ignore=("MEM900",))]) == DEFAULT
    assert resolve([Selection(select=("ALL",), ignore=("ALL",))]) == {"MEM000"}


def test_more_specific_wins() -> None:
    # Both orders do what they say.
    assert resolve([Selection(select=("MEM2",), ignore=("MEM201",))]) == {"MEM000"} | (
        _family("MEM2") - {"MEM201"}
    )
    assert resolve([Selection(select=("MEM201",), ignore=("MEM2",))]) == {"MEM000", "MEM201"}
    assert resolve([Selection(select=("ALL",), ignore=("MEM",))]) == {"MEM000"}
    assert resolve([Selection(select=("MEM",), ignore=("ALL",))]) == EVERY
    assert resolve([Selection(ignore=("MEM2",), extend_select=("MEM202",))]) == (
        DEFAULT - _family("MEM2")
    ) | {"MEM202"}


def test_later_layers_apply_on_top() -> None:
    # The config ignores a family; the command line brings one code back.
    layers = [Selection(ignore=("MEM2",)), Selection(extend_select=("MEM201",))]
    assert resolve(layers) == (DEFAULT - _family("MEM2")) | {"MEM201"}
    # Within a layer specificity decides; across layers, order does.
    layers = [Selection(select=("MEM201",)), Selection(ignore=("MEM2",))]
    assert resolve(layers) == {"MEM000"}


def test_selectors_are_case_insensitive() -> None:
    assert resolve([Selection(select=("mem201",), ignore=("mem2",))]) == {"MEM000", "MEM201"}


@pytest.mark.parametrize(
    "layers",
    [
        [Selection(ignore=("ALL",))],
        [Selection(ignore=("MEM",))],
        [Selection(ignore=("MEM0",))],
        [Selection(select=("MEM201",))],
        [Selection(select=("MEM2",), ignore=("MEM0",))],
        [Selection(ignore=("MEM000",)), Selection(select=("MEM000",))],
    ],
)
def test_mem000_stays_on_unless_ignored_by_its_exact_code(layers: list[Selection]) -> None:
    assert "MEM000" in resolve(layers)


@pytest.mark.parametrize(
    "layers",
    [
        [Selection(ignore=("MEM000",))],
        [Selection(ignore=("mem000",))],
        [Selection(select=("ALL",), ignore=("MEM000",))],
        [Selection(ignore=("MEM000",)), Selection(select=("MEM2",))],
        [Selection(select=("MEM000",)), Selection(ignore=("MEM000",))],
    ],
)
def test_mem000_off_when_ignored_by_its_exact_code(layers: list[Selection]) -> None:
    assert "MEM000" not in resolve(layers)


def test_resolve_rejects_unknown_selectors() -> None:
    with pytest.raises(SelectorError):
        resolve([Selection(select=("MEM8",))])
    with pytest.raises(SelectorError):
        resolve([Selection(ignore=("E501",))])


def test_enabled_codes_uses_config_then_command_line() -> None:
    settings = Settings(select=("MEM2",), cli_selection=Selection(ignore=("MEM202",)))
    assert registry.enabled_codes(settings, "a.py") == {"MEM000"} | (_family("MEM2") - {"MEM202"})
    assert registry.enabled_codes(Settings(), "a.py") == DEFAULT


# -- fix_kinds -------------------------------------------------------------------------------


def test_fix_kinds_of_real_rules() -> None:
    assert fix_kinds(ParseError) == "none"
    assert fix_kinds(UnboundedLruCache) == "unsafe"
    assert fix_kinds(UnboundedQueue) == "unsafe"
    assert fix_kinds(UnusedNoqa) == "safe"


def test_fix_kinds_reads_the_cases() -> None:
    class Both(Rule):
        code = "MEM998"
        name = "both"
        summary = "A test rule"
        cases = (
            Valid("x = 1\n"),
            Invalid("a\n", fixed="b\n", applicability=Applicability.UNSAFE),
            Invalid("c\n"),
            Invalid("d\n", fixed="e\n", applicability=Applicability.SAFE),
            Invalid("f\n", fixed="g\n", applicability=Applicability.SAFE),
        )

    class Neither(Rule):
        code = "MEM997"
        name = "neither"
        summary = "A test rule"
        cases = (Valid("x = 1\n"), Invalid("y\n"))

    assert fix_kinds(Both) == "safe, unsafe"
    assert fix_kinds(Neither) == "none"


def test_every_rule_has_fix_kinds() -> None:
    for rule in ALL_RULES:
        assert fix_kinds(rule) in {"none", "safe", "unsafe", "safe, unsafe"}
