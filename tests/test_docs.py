"""The generated docs are current, and every rule's docstring is complete and true."""

from __future__ import annotations

from pathlib import Path

import pytest

from memlint import docs
from memlint.config import load_config
from memlint.rule import Rule
from memlint.rules import ALL_RULES
from memlint.settings import options
from tests.helpers import lint

ROOT = Path(__file__).resolve().parent.parent
REQUIRED = ("What it does", "Why is this bad?", "Example", "Use instead", "References")
RULES = [pytest.param(rule, id=rule.code) for rule in ALL_RULES]
KEYS = {name: spec.key for name, spec in options()}


def _codes_found(rule: type[Rule], code: str) -> list[int]:
    # Synthetic rules (MEM000, MEM900) report on what the other rules do.
    selected = ("ALL",) if rule.synthetic else (rule.code,)
    return [d.line for d in lint(code, selected) if d.code == rule.code]


def test_generated_docs_are_current() -> None:
    outdated = [path.relative_to(ROOT).as_posix() for path in docs.stale(ROOT)]
    assert outdated == [], f"stale docs {outdated}: run `python scripts/gen_docs.py`"


@pytest.mark.parametrize("rule", RULES)
def test_sections_in_order(rule: type[Rule]) -> None:
    titles = list(docs.parse_sections(rule))
    unknown = [t for t in titles if t not in docs.SECTIONS]
    assert unknown == [], f"{rule.code}: unknown sections {unknown}; use {docs.SECTIONS}"
    assert titles == sorted(titles, key=docs.SECTIONS.index), f"{rule.code}: sections out of order"
    expected = [*REQUIRED]
    if rule.fixable:
        expected.append("Fix safety")
    if rule.options:
        expected.append("Options")
    assert sorted(titles) == sorted(expected), f"{rule.code}: sections {titles}"
    for title in titles:
        assert docs.parse_sections(rule)[title], f"{rule.code}: `{title}` is empty"


@pytest.mark.parametrize("rule", [pytest.param(r, id=r.code) for r in ALL_RULES if r.options])
def test_options_documented(rule: type[Rule]) -> None:
    section = docs.parse_sections(rule).get("Options", "")
    for name in rule.options:
        assert name in KEYS, f"{rule.code}: `{name}` is not a Settings option"
        assert f"`{KEYS[name]}`" in section, f"{rule.code}: Options does not mention {KEYS[name]}"


@pytest.mark.parametrize("rule", RULES)
def test_example_triggers_and_use_instead_does_not(rule: type[Rule]) -> None:
    sections = docs.parse_sections(rule)
    examples = docs.code_blocks(sections["Example"])
    fixed = docs.code_blocks(sections["Use instead"])
    assert examples, f"{rule.code}: Example has no ```python block"
    assert fixed, f"{rule.code}: Use instead has no ```python block"
    for block in examples:
        assert _codes_found(rule, block), f"{rule.code} does not flag its Example:\n{block}"
    for block in fixed:
        found = _codes_found(rule, block)
        assert found == [], f"{rule.code} flags its Use instead (lines {found}):\n{block}"


@pytest.mark.parametrize("rule", RULES)
def test_summary_is_one_line(rule: type[Rule]) -> None:
    assert rule.summary.strip() == rule.summary and rule.summary
    assert "\n" not in rule.summary
    assert not rule.summary.endswith("."), f"{rule.code}: summary ends with a period"


def test_explain() -> None:
    page = docs.explain("MEM201")
    assert page is not None and page.startswith("# MEM201 unbounded-lru-cache\n")
    assert docs.explain("unbounded-lru-cache") == page
    assert docs.explain("mem201") == page
    assert docs.explain("MEM999") is None


def test_rule_page_shape() -> None:
    rule = next(r for r in ALL_RULES if r.code == "MEM201")
    page = docs.render_rule(rule)
    assert "[`cache-maxsize`](../configuration.md#cache-maxsize) (default `1024`)" in page
    assert "`# noqa: MEM201`" in page
    headings = [line[3:] for line in page.splitlines() if line.startswith("## ")]
    assert headings == [*docs.parse_sections(rule), "Suppress"]


def test_configuration_mentions_every_option() -> None:
    page = docs.render_configuration()
    for _, spec in options():
        assert f"### {spec.key}\n" in page, spec.key
        if spec.flake8:
            assert f"`--memlint-{spec.key}`" in page


def test_configuration_example_is_valid(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(docs.EXAMPLE_TOML, encoding="utf-8")
    settings = load_config(tmp_path / "pyproject.toml")
    assert settings.cache_maxsize == 256


def test_index_lists_every_rule() -> None:
    page = docs.render_index()
    for rule in ALL_RULES:
        assert f"| [{rule.code}](rules/{rule.code}.md) | {rule.name} |" in page


def test_code_blocks() -> None:
    text = "intro\n```python\nx = 1\n```\n```toml\na = 1\n```\n```python\ny = 2\n```\n"
    assert docs.code_blocks(text) == ["x = 1\n", "y = 2\n"]


def test_parse_sections_ignores_headings_in_code() -> None:
    class Fake(Rule):
        """
        ## What it does
        Text.
        ```python
        ## not a heading
        ```

        ## References
        - a link
        """

        code = "MEM998"

    sections = docs.parse_sections(Fake)
    assert list(sections) == ["What it does", "References"]
    assert "## not a heading" in sections["What it does"]
