"""`--format github`: one workflow command per finding, escaped as the Actions runner reads them."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from memlint.diagnostics import Diagnostic, Severity
from memlint.output.github import annotation
from tests.test_cli import LRU, MESSAGE, check, project, write

__all__ = ["project"]  # the fixture, used by name

ROOT = Path(__file__).resolve().parent.parent
COMMAND = re.compile(
    r"^::(?P<level>warning|error) file=(?P<file>[^,]+),line=(?P<line>\d+),col=(?P<col>\d+),"
    r"endLine=(?P<end_line>\d+),endColumn=(?P<end_col>\d+),title=(?P<title>MEM\d{3})::"
    r"(?P<message>.+)$"
)


def memlint(*args: str, cache: Path) -> subprocess.CompletedProcess[bytes]:
    command = [sys.executable, "-m", "memlint", "check", "--isolated", "--cache-dir", str(cache)]
    return subprocess.run(
        [*command, "--select", "ALL", "-q", "fixtures/rules", "fixtures/demo", *args],
        cwd=ROOT,
        capture_output=True,
        timeout=600,
        check=False,
    )


@pytest.fixture(scope="module")
def fixture_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[dict[str, Any]], str]:
    """JSON and GitHub output of every rule fixture; the second run is answered by the cache."""
    cache = tmp_path_factory.mktemp("cache")
    as_json = memlint("--format", "json", cache=cache)
    as_github = memlint("--format", "github", cache=cache)
    assert as_json.returncode == as_github.returncode == 1
    return json.loads(as_json.stdout), as_github.stdout.decode("utf-8")


def test_one_annotation_per_finding_on_every_fixture(
    fixture_runs: tuple[list[dict[str, Any]], str],
) -> None:
    diagnostics, output = fixture_runs
    lines = output.splitlines()
    assert len(lines) == len(diagnostics) > 200
    # Text and GitHub stream in discovery order; JSON is sorted: compare as sets of places.
    parsed = []
    for line in lines:
        match = COMMAND.match(line)
        assert match, line
        parsed.append(match.groupdict())
    expected = [
        {
            "level": "error" if d["severity"] == "error" else "warning",
            "file": d["path"],
            "line": str(d["line"]),
            "col": str(d["column"]),
            "end_line": str(d["end_line"]),
            "end_col": str(d["end_column"]),
            "title": d["code"],
            "message": d["message"].replace("%", "%25"),
        }
        for d in diagnostics
    ]

    def place(row: dict[str, str]) -> tuple[str, int, int, str]:
        return (row["file"], int(row["line"]), int(row["col"]), row["title"])

    assert sorted(parsed, key=place) == sorted(expected, key=place)
    assert {row["level"] for row in parsed if row["title"] == "MEM000"} == {"error"}


def test_a_finding_is_one_warning_command(project: Path) -> None:
    write("pkg/a.py", LRU)
    result = check("--format", "github")
    assert result.exit_code == 1
    assert result.stdout == (
        f"::warning file=pkg/a.py,line=3,col=2,endLine=3,endColumn=25,title=MEM201::{MESSAGE}\n"
    )


def test_paths_are_relative_to_the_repository_root(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (project / ".git").mkdir()
    write("service/a.py", LRU)
    monkeypatch.chdir(project / "service")
    result = check("--format", "github", "a.py")
    assert result.stdout.startswith("::warning file=service/a.py,line=3,")


def test_properties_and_message_are_escaped() -> None:
    d = Diagnostic(
        "dir,1/a:b.py", 1, 1, 2, 3, "MEM201", "unbounded-lru-cache", "100% of\nit, really: yes"
    )
    assert annotation(d, d.path) == (
        "::warning file=dir%2C1/a%3Ab.py,line=1,col=1,endLine=2,endColumn=3,title=MEM201::"
        "100%25 of%0Ait, really: yes"
    )


def test_errors_are_error_commands() -> None:
    d = Diagnostic("a.py", 2, 5, 2, 5, "MEM000", "parse-error", "SyntaxError: bad", Severity.ERROR)
    assert annotation(d, "a.py").startswith("::error file=a.py,line=2,col=5,")
