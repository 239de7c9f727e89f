"""Shared test helpers: lint a snippet with chosen rules and settings, and run the fix loop."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from memlint import engine
from memlint.diagnostics import Diagnostic
from memlint.fixes import FixOutcome, fix_loop
from memlint.settings import Selection, Settings


def settings_for(codes: Sequence[str] = ("ALL",), **options: Any) -> Settings:
    return Settings(**options).replace(cli_selection=Selection(select=tuple(codes)))


def lint(
    code: str, codes: Sequence[str] = ("ALL",), path: str = "snippet.py", **options: Any
) -> list[Diagnostic]:
    return list(engine.lint_source(code, path, settings_for(codes, **options)).diagnostics)


def fix(
    code: str,
    codes: Sequence[str] = ("ALL",),
    *,
    unsafe: bool = True,
    options: Mapping[str, Any] | None = None,
) -> FixOutcome:
    settings = settings_for(codes, **(options or {}))
    return fix_loop(
        code,
        lambda text: engine.lint_source(text, "snippet.py", settings).diagnostics,
        unsafe=unsafe,
    )
