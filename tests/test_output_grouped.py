"""`--format grouped`: a file's path once, its findings under it, code frames, colour on a TTY."""

from __future__ import annotations

import io
from pathlib import Path

import click
import pytest

from memlint.diagnostics import Diagnostic
from memlint.output.grouped import GroupedReporter, wants_color
from tests.test_cli import LRU, MESSAGE, check, project, write

__all__ = ["project"]  # the fixture, used by name

QUEUE = "import queue\n\nq = queue.Queue()\n"
QUEUE_MESSAGE = (
    "`queue.Queue()` has no `maxsize`, so producers can outrun consumers until memory runs out"
)


def test_findings_are_grouped_under_their_file(project: Path) -> None:
    write("a.py", LRU + "\n\n" + LRU.replace("def f", "def g").split("\n", 2)[2])
    write("b.py", QUEUE)
    write("c.py", "x = 1\n")
    result = check("--format", "grouped")
    assert result.exit_code == 1
    message_g = MESSAGE.replace("`f`", "`g`")
    assert result.stdout == (
        "a.py:\n"
        f"  3:2  MEM201 {MESSAGE}\n"
        f"  8:2  MEM201 {message_g}\n"
        "\n"
        "b.py:\n"
        f"  3:5  MEM202 {QUEUE_MESSAGE}\n"
        "\n"
    )
    assert result.stderr == "Found 3 diagnostics in 2 files (3 with --fix --unsafe-fixes).\n"


def test_show_source_puts_carets_under_the_span(project: Path) -> None:
    write("b.py", QUEUE)
    result = check("--format", "grouped", "--show-source")
    assert result.stdout == (
        "b.py:\n"
        f"  3:5  MEM202 {QUEUE_MESSAGE}\n"
        "    q = queue.Queue()\n"
        "        ^^^^^^^^^^^^^\n"
        "    help: Pass `maxsize=1000`\n"
        "\n"
    )


def test_safe_fixes_are_marked(project: Path) -> None:
    write("a.py", "total = sum([x for x in range(10**6)])\n")
    result = check("--format", "grouped", "--select", "MEM404")
    assert result.stdout.splitlines()[1].startswith("  1:13  MEM404 [*] ")


def test_locations_are_aligned(project: Path) -> None:
    write("a.py", "import queue\n" + "\n" * 8 + "q = queue.Queue()\nr = queue.Queue()\n")
    lines = check("--format", "grouped").stdout.splitlines()
    assert [line[:14] for line in lines[1:3]] == ["  10:5  MEM202", "  11:5  MEM202"]


def test_a_clean_run_prints_nothing(project: Path) -> None:
    write("a.py", "x = 1\n")
    result = check("--format", "grouped")
    assert (result.exit_code, result.stdout) == (0, "")


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


DIAGNOSTIC = Diagnostic("a.py", 1, 5, 1, 18, "MEM202", "unbounded-queue", "m", suggestion="Do")


def test_colour_only_on_a_terminal_and_not_with_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert wants_color(Terminal())
    assert not wants_color(io.StringIO())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not wants_color(Terminal())
    # An empty NO_COLOR does not count (no-color.org).
    monkeypatch.setenv("NO_COLOR", "")
    assert wants_color(Terminal())


def test_coloured_output_has_the_same_text(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    plain, coloured = io.StringIO(), Terminal()
    source = "q = queue.Queue()\n"
    GroupedReporter(plain, show_source=True).add([DIAGNOSTIC], source)
    GroupedReporter(coloured, show_source=True).add([DIAGNOSTIC], source)
    assert "\x1b[" not in plain.getvalue()
    assert "\x1b[" in coloured.getvalue()
    assert click.unstyle(coloured.getvalue()) == plain.getvalue()
