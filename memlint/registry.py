"""Rule lookup by code and name, and selection of codes by prefix, `ALL` and opt-in defaults.

Selection works on memlint/catalog.py; the rule classes (and libcst with them) are imported
only when a rule is about to run or be documented.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pathspec

from memlint.catalog import RULES, RuleInfo
from memlint.settings import Selection, Settings

if TYPE_CHECKING:
    from memlint.rule import Rule

PARSE_ERROR_CODE = "MEM000"
UNUSED_NOQA_CODE = "MEM900"
_SELECTOR = re.compile(r"^(ALL|MEM[0-9]{0,3})$")


class SelectorError(ValueError):
    """A code or prefix that matches no rule."""


@functools.lru_cache(maxsize=1)
def catalog() -> Mapping[str, RuleInfo]:
    """Every rule's code, name, summary, default and fix kinds, by code (no rule imported)."""
    return {info.code: info for info in RULES}


@functools.lru_cache(maxsize=1)
def rules_by_code() -> Mapping[str, type[Rule]]:
    from memlint.rules import ALL_RULES

    return {rule.code: rule for rule in ALL_RULES}


def rule_for(code_or_name: str) -> type[Rule] | None:
    wanted = code_or_name.strip()
    for rule in rules_by_code().values():
        if wanted.upper() == rule.code or wanted.lower() == rule.name:
            return rule
    return None


def expand(selector: str) -> frozenset[str]:
    """Every code a selector names. Opt-in rules are matched too: naming them is opting in."""
    selector = selector.strip().upper()
    if not _SELECTOR.match(selector):
        raise SelectorError(f"`{selector}` is not a code, a prefix such as `MEM2`, or `ALL`")
    if selector == "ALL":
        return frozenset(catalog())
    matched = frozenset(code for code in catalog() if code.startswith(selector))
    if not matched:
        raise SelectorError(f"`{selector}` matches no memlint rule")
    return matched


def validate(selectors: Iterable[str]) -> None:
    for selector in selectors:
        expand(selector)


def _specificity(selector: str) -> int:
    return -1 if selector.upper() == "ALL" else len(selector)


def default_codes() -> frozenset[str]:
    return frozenset(info.code for info in RULES if info.default_enabled)


def resolve(layers: Sequence[Selection]) -> frozenset[str]:
    """Enabled codes after applying each layer in turn (config file, then command line).

    Within a layer a `select` starts from nothing; then selectors apply from the least to the
    most specific, an `ignore` winning over a select of the same specificity (as in ruff), so
    `select = ["MEM2"], ignore = ["MEM201"]` and `select = ["MEM201"], ignore = ["MEM2"]`
    both do what they say. MEM000 stays on unless ignored by its exact code.
    """
    enabled = set(default_codes())
    explicitly_ignored: set[str] = set()
    for layer in layers:
        if layer.select is not None:
            enabled = set()
        steps = [(s, True) for s in (*(layer.select or ()), *layer.extend_select)]
        steps += [(s, False) for s in layer.ignore]
        steps.sort(key=lambda step: (_specificity(step[0]), not step[1]))
        for selector, on in steps:
            codes = expand(selector)
            if on:
                enabled |= codes
                explicitly_ignored.discard(selector.upper())
            else:
                enabled -= codes
                explicitly_ignored.add(selector.upper())
    if PARSE_ERROR_CODE not in explicitly_ignored:
        enabled.add(PARSE_ERROR_CODE)
    return frozenset(enabled)


@functools.lru_cache(maxsize=64)
def _selected(layers: tuple[Selection, ...]) -> frozenset[str]:
    return resolve(layers)


@functools.lru_cache(maxsize=64)
def _per_file_ignores(
    table: tuple[tuple[str, tuple[str, ...]], ...],
) -> tuple[tuple[pathspec.PathSpec[Any], frozenset[str]], ...]:
    compiled = []
    for pattern, selectors in table:
        codes = frozenset(code for s in selectors for code in expand(s))
        compiled.append((pathspec.GitIgnoreSpec.from_lines([pattern]), codes))
    return tuple(compiled)


def enabled_codes(settings: Settings, path: str) -> frozenset[str]:
    """The codes enabled for one file: the selection, less its per-file ignores."""
    codes = _selected(settings.selection_layers())
    if not settings.per_file_ignores:
        return codes
    relative = os.path.relpath(os.path.abspath(path), os.path.abspath(settings.root))
    relative = relative.replace(os.sep, "/")
    for spec, ignored in _per_file_ignores(settings.per_file_ignores):
        if spec.match_file(relative):
            codes = codes - ignored
    return codes


def rules_for(codes: Iterable[str]) -> tuple[type[Rule], ...]:
    wanted = set(codes)
    return tuple(rule for code, rule in rules_by_code().items() if code in wanted)


def fix_kinds(rule: type[Rule]) -> str:
    """The applicabilities of a rule's fixes, read from its tested cases: `safe`, `unsafe`,
    `safe, unsafe`, or `none`. Taken from the cases so the listing cannot drift from what
    the tests prove."""
    from memlint.rule import Invalid

    found = {
        case.applicability.value
        for case in rule.cases
        if isinstance(case, Invalid) and case.applicability is not None
    }
    return ", ".join(sorted(found)) or "none"
