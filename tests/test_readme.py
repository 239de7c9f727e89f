"""The README's set-up commands are the ones CI runs and point at things that exist."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _commands() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```sh\n(python3 -m venv[^\n]*)\n```", readme)


def test_readme_has_exactly_two_setup_commands() -> None:
    commands = _commands()
    assert len(commands) == 2
    assert commands[0].endswith("pip install . && memlint check fixtures/demo/")
    assert commands[1].endswith('pip install -e ".[dev]" && pytest')


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert _commands()[1] in ci.splitlines()


def test_demo_exists_and_has_findings() -> None:
    from memlint import engine
    from memlint.settings import Settings

    demo = sorted((ROOT / "fixtures" / "demo").glob("*.py"))
    assert demo
    codes = [
        d.code
        for path in demo
        for d in engine.lint_source(path.read_bytes(), str(path), Settings()).diagnostics
    ]
    assert codes == ["MEM201", "MEM202", "MEM202"]
