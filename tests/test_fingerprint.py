"""Fingerprints: what they keep across edits (moves, indentation, comments) and what they don't."""

from __future__ import annotations

import sys
import textwrap

import pytest

from memlint.diagnostics import Diagnostic
from memlint.fingerprint import FileFingerprints, normalise


def diag(line: int, code: str = "MEM201", column: int = 1) -> Diagnostic:
    return Diagnostic("a.py", line, column, line, column + 1, code, "name", "message")


SOURCE = textwrap.dedent(
    """\
    import functools

    @functools.cache
    def top(x):
        return x

    class Store:
        items = {}

        @functools.cache
        def method(self, key):
            def inner():
                return functools.lru_cache(maxsize=None)(len)
            return inner

    value = 1
    """
)


@pytest.mark.parametrize(
    ("line", "scope"),
    [
        (1, ""),
        (3, "top"),  # a decorator belongs to the function it decorates
        (4, "top"),  # so does the `def` line
        (5, "top"),
        (8, "Store"),
        (10, "Store.method"),
        (13, "Store.method.inner"),
        (14, "Store.method"),
        (16, ""),
    ],
)
def test_scope_is_the_innermost_def_or_class(line: int, scope: str) -> None:
    assert FileFingerprints(SOURCE).scope(line) == scope


def test_scope_of_unparsable_source_is_the_module() -> None:
    prints = FileFingerprints("def f(:\n    x = 1\n")
    assert prints.scope(2) == ""


def test_parse_errors_are_not_parsed_again() -> None:
    prints = FileFingerprints(SOURCE)
    assert prints.scope_of(diag(4, code="MEM000")) == ""
    assert prints._scopes is None


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("    x = f(a,   b)  # noqa: MEM201 why\n", "x = f(a, b)"),
        ("\tx = '#not a comment'  # a comment", "x = '#not a comment'"),
        ("def f(  # an open bracket", "def f("),
        ('    s = """text # inside a string', 's = """text # inside a string'),
        ("", ""),
    ],
)
def test_normalise(line: str, expected: str) -> None:
    assert normalise(line) == expected


def test_fingerprint_survives_moves_indentation_and_comments() -> None:
    before = FileFingerprints(SOURCE)
    moved = "\n" * 20 + SOURCE.replace("    @functools.cache\n", "    @functools.cache  # why\n")
    after = FileFingerprints(moved)
    assert before.of(diag(10), "a.py") == after.of(diag(30), "a.py")
    # The same decorator elsewhere in the file is another finding.
    assert before.of(diag(3), "a.py") != before.of(diag(10), "a.py")


def test_fingerprint_changes_with_code_path_line_text_and_function() -> None:
    prints = FileFingerprints(SOURCE)
    base = prints.of(diag(3), "a.py")
    assert prints.of(diag(3, code="MEM202"), "a.py") != base
    assert prints.of(diag(3), "b.py") != base
    renamed = FileFingerprints(SOURCE.replace("def top", "def renamed"))
    assert renamed.of(diag(3), "a.py") != base
    edited = FileFingerprints(SOURCE.replace("@functools.cache\ndef", "@functools.cache()\ndef"))
    assert edited.of(diag(3), "a.py") != base


def test_numbered_tells_identical_findings_apart_in_order() -> None:
    source = "import functools\nf = functools.cache(len)\nf = functools.cache(len)\n"
    numbered = FileFingerprints(source).numbered([diag(2), diag(3)], "a.py")
    first, second = (value.split(":") for value in numbered)
    assert first[0] == second[0]
    assert (first[1], second[1]) == ("0", "1")


def test_deep_nesting_is_walked_without_recursion() -> None:
    # As deep as CPython parses, with the recursion limit lower than the depth.
    source = "def f():\n    x = " + "[" * 150 + "]" * 150 + "\n"
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(120)
    try:
        prints = FileFingerprints(source)
        found = prints.scope(2)
    finally:
        sys.setrecursionlimit(limit)
    assert found == "f"
