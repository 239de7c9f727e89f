"""Tests for noqa / disable-file parsing, filtering and MEM900 reporting."""

from __future__ import annotations

import re
import tokenize
from collections.abc import Iterable

import pytest

from memlint.diagnostics import Applicability, Confidence, Diagnostic, Edit, Fix, Severity
from memlint.suppression import (
    Noqa,
    Suppressions,
    apply_suppressions,
    parse_suppressions,
    unused_noqa,
)

KNOWN = frozenset({"MEM000", "MEM201", "MEM202", "MEM203", "MEM900"})


def diag(code: str, line: int, column: int = 1) -> Diagnostic:
    return Diagnostic(
        path="a.py",
        line=line,
        column=column,
        end_line=line,
        end_column=column + 1,
        code=code,
        name="some-rule",
        message=f"{code} fired",
    )


def apply_edits(text: str, edits: Iterable[Edit]) -> str:
    """Apply non-overlapping edits; identical edits (several fixes, one removal) count once."""
    starts = [0] + [m.end() for m in re.finditer(r"\r\n|\r|\n", text)]
    spans = sorted(
        (starts[e.line - 1] + e.column - 1, starts[e.end_line - 1] + e.end_column - 1, e.content)
        for e in set(edits)
    )
    parts = []
    cursor = 0
    for start, end, content in spans:
        assert start >= cursor, "overlapping edits"
        parts.append(text[cursor:start])
        parts.append(content)
        cursor = end
    parts.append(text[cursor:])
    return "".join(parts)


def unused(
    text: str,
    used: set[tuple[int, str]] | None = None,
    enabled: frozenset[str] = KNOWN,
) -> list[Diagnostic]:
    return unused_noqa(
        parse_suppressions(text),
        used or set(),
        path="a.py",
        known_codes=KNOWN,
        enabled_codes=enabled,
    )


def fixed(text: str, used: set[tuple[int, str]] | None = None) -> str:
    edits = [edit for d in unused(text, used) if d.fix is not None for edit in d.fix.edits]
    return apply_edits(text, edits)


# --- parsing -------------------------------------------------------------------------------


def test_blanket_noqa() -> None:
    sup = parse_suppressions("x = 1  # noqa\ny = 2\n")
    assert sup == Suppressions(
        noqa={1: Noqa(1, 8, 14, None, (), (6, 14, ""))},
        disable_all=False,
        disabled_codes=frozenset(),
    )
    kept, used = apply_suppressions([diag("MEM201", 1), diag("MEM202", 2)], sup)
    assert kept == [diag("MEM202", 2)]
    assert used == {(1, "*")}


def test_code_list_spans() -> None:
    sup = parse_suppressions("x = 1  # noqa: MEM201, MEM202\n")
    assert sup.noqa == {
        1: Noqa(
            line=1,
            column=8,
            end_column=30,
            codes=frozenset({"MEM201", "MEM202"}),
            code_spans=(("MEM201", 16, 22), ("MEM202", 24, 30)),
            removal=(6, 30, ""),
        )
    }


@pytest.mark.parametrize(
    "comment",
    [
        "# noqa: MEM201,MEM202",
        "# noqa:MEM201, MEM202",
        "#noqa:MEM201,MEM202",
        "# noqa : MEM201 MEM202",
        "# noqa:  MEM201 ,  MEM202",
        "# NOQA: MEM201,MEM202",
        "# NoQa: MEM201 MEM202",
        "# noqa: MEM201, MEM202, why: they are bounded",
        "# noqa: MEM201,MEM202,",
    ],
)
def test_code_list_forms(comment: str) -> None:
    sup = parse_suppressions(f"x = 1  {comment}\n")
    assert sup.noqa[1].codes == frozenset({"MEM201", "MEM202"})
    assert sup.noqa[1].column == 8


def test_trailing_free_text_is_not_a_code() -> None:
    sup = parse_suppressions("x = 1  # noqa: MEM201 cache is keyed by enum\n")
    assert sup.noqa[1] == Noqa(
        1, 8, 22, frozenset({"MEM201"}), (("MEM201", 16, 22),), (8, 23, "# ")
    )
    kept, used = apply_suppressions([diag("MEM201", 1), diag("MEM202", 1)], sup)
    assert kept == [diag("MEM202", 1)]
    assert used == {(1, "MEM201")}


@pytest.mark.parametrize(
    "comment",
    ["# noqa: because reasons", "# noqa:", "# noqa :", "# noqa: mem201", "# NOQA", "#noqa"],
)
def test_noqa_without_codes_is_blanket(comment: str) -> None:
    noqa = parse_suppressions(f"x = 1  {comment}\n").noqa[1]
    assert noqa.codes is None
    assert noqa.code_spans == ()


@pytest.mark.parametrize(
    "text",
    [
        "x = 1  # noqas\n",
        "x = 1  # see noqa: MEM201\n",
        "x = 1  # memlint: disable-files\n",
        "x = 1  # Memlint: disable-file\n",
        "x = 1  # memlint: disable-file=\n",
        "x = 1  # memlint: disable-file=mem201\n",
    ],
)
def test_not_directives(text: str) -> None:
    assert parse_suppressions(text) == Suppressions({}, False, frozenset())


def test_code_glued_to_letters_is_not_a_code() -> None:
    assert parse_suppressions("x = 1  # noqa: MEM201abc\n").noqa[1].codes is None


def test_noqa_after_other_comment() -> None:
    sup = parse_suppressions("x = 1  # type: ignore # noqa:MEM201\n")
    assert sup.noqa == {
        1: Noqa(1, 23, 36, frozenset({"MEM201"}), (("MEM201", 30, 36),), (22, 36, ""))
    }


def test_noqa_in_string_is_ignored() -> None:
    text = "s = \"x  # noqa: MEM201\"\nt = '# noqa'  # real comment\n"
    assert parse_suppressions(text).is_empty()


def test_noqa_in_triple_quoted_string_is_ignored() -> None:
    text = 's = """\nx = 1  # noqa: MEM201\n# memlint: disable-file\n"""\ny = 2  # noqa: MEM202\n'
    sup = parse_suppressions(text)
    assert sup.disable_all is False
    assert set(sup.noqa) == {5}
    assert sup.noqa[5].codes == frozenset({"MEM202"})


def test_cheap_exit_does_not_tokenize(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: object) -> None:
        raise AssertionError("tokenized")

    monkeypatch.setattr(tokenize, "generate_tokens", boom)
    sup = parse_suppressions("x = 1  # a comment\n")
    assert sup == Suppressions()
    assert sup.is_empty()


def test_tokenize_failure_falls_back_to_line_regex() -> None:
    text = (
        "x = 1  # noqa: MEM201\n"
        's = """unterminated\n'
        "y = 2  # noqa: MEM202\n"
        "z = 3  noqa: MEM203\n"
        "# memlint: disable-file=MEM203\n"
    )
    sup = parse_suppressions(text)
    assert {line: n.codes for line, n in sup.noqa.items()} == {
        1: frozenset({"MEM201"}),
        3: frozenset({"MEM202"}),
    }
    assert sup.noqa[3].code_spans == (("MEM202", 16, 22),)
    assert sup.disabled_codes == frozenset({"MEM203"})


def test_bad_dedent_falls_back_to_line_regex() -> None:
    sup = parse_suppressions("if x:\n    y = 1\n  z = 2  # noqa: MEM201\n")
    assert sup.noqa == {
        3: Noqa(3, 10, 24, frozenset({"MEM201"}), (("MEM201", 18, 24),), (8, 24, ""))
    }


def test_crlf_and_lone_cr_line_endings() -> None:
    expected = {2: Noqa(2, 8, 22, frozenset({"MEM201"}), (("MEM201", 16, 22),), (6, 22, ""))}
    assert parse_suppressions("a = 1\r\nx = 1  # noqa: MEM201\r\nb = 2\r\n").noqa == expected
    assert parse_suppressions("a = 1\rx = 1  # noqa: MEM201\rb = 2\r").noqa == expected


def test_only_real_line_breaks_count() -> None:
    # \u2028 and \x0c split str.splitlines() lines but not Python source lines.
    text = "s = '\u2028'\x0c\nx = 1  # noqa: MEM201\n"
    assert set(parse_suppressions(text).noqa) == {2}


def test_disable_file_all() -> None:
    sup = parse_suppressions("x = 1\n# memlint: disable-file\n")
    assert sup == Suppressions({}, True, frozenset())
    kept, used = apply_suppressions([diag("MEM201", 1), diag("MEM900", 1)], sup)
    assert kept == []
    assert used == set()


def test_disable_file_codes() -> None:
    sup = parse_suppressions("x = 1  # memlint: disable-file = MEM201 ,MEM202 generated\n")
    assert sup == Suppressions({}, False, frozenset({"MEM201", "MEM202"}))
    kept, used = apply_suppressions([diag("MEM201", 1), diag("MEM203", 1)], sup)
    assert kept == [diag("MEM203", 1)]
    assert used == set()


def test_several_disable_file_comments_combine() -> None:
    text = (
        "# memlint: disable-file=MEM201\n"
        "x = 1  # type: ignore  # memlint:disable-file=MEM202, MEM203\n"
        's = "# memlint: disable-file"\n'
    )
    assert parse_suppressions(text) == Suppressions(
        {}, False, frozenset({"MEM201", "MEM202", "MEM203"})
    )
    text += "# memlint: disable-file\n"
    assert parse_suppressions(text) == Suppressions(
        {}, True, frozenset({"MEM201", "MEM202", "MEM203"})
    )


# --- applying ------------------------------------------------------------------------------


def test_used_set_and_order() -> None:
    sup = parse_suppressions("a = 1  # noqa: MEM201, MEM202\nb = 2  # noqa\nc = 3\n")
    diagnostics = [
        diag("MEM203", 1),
        diag("MEM201", 1, 5),
        diag("MEM201", 1, 9),
        diag("MEM202", 3),
        diag("MEM203", 2),
        diag("MEM201", 3),
    ]
    kept, used = apply_suppressions(diagnostics, sup)
    assert kept == [diag("MEM203", 1), diag("MEM202", 3), diag("MEM201", 3)]
    assert used == {(1, "MEM201"), (2, "*")}


def test_codes_match_exactly_not_by_prefix() -> None:
    sup = parse_suppressions("x = 1  # noqa: MEM2, MEM20\n")
    kept, used = apply_suppressions([diag("MEM201", 1)], sup)
    assert kept == [diag("MEM201", 1)]
    assert used == set()


def test_parse_error_not_hidden_by_blanket_noqa_or_disable_all() -> None:
    parse_error = diag("MEM000", 1)
    for text in ["x = (  # noqa\n", "x = (  # noqa: MEM201\n", "# memlint: disable-file\nx = (\n"]:
        kept, used = apply_suppressions([parse_error], parse_suppressions(text))
        assert kept == [parse_error]
        assert used == set()
    kept, used = apply_suppressions([parse_error], parse_suppressions("x = (  # noqa: MEM000\n"))
    assert kept == []
    assert used == {(1, "MEM000")}
    sup = parse_suppressions("# memlint: disable-file=MEM000\nx = (\n")
    assert apply_suppressions([parse_error], sup) == ([], set())


def test_noqa_recorded_as_used_even_when_file_disables_the_code() -> None:
    sup = parse_suppressions("# memlint: disable-file\nx = 1  # noqa: MEM201\n")
    assert apply_suppressions([diag("MEM201", 2)], sup) == ([], {(2, "MEM201")})


def test_empty_suppressions_keep_everything() -> None:
    diagnostics = (diag("MEM201", 1),)
    assert apply_suppressions(diagnostics, Suppressions()) == ([diag("MEM201", 1)], set())


# --- unused noqa ---------------------------------------------------------------------------


def test_unused_known_code() -> None:
    assert unused("x = 1  # noqa: MEM201\n") == [
        Diagnostic(
            path="a.py",
            line=1,
            column=16,
            end_line=1,
            end_column=22,
            code="MEM900",
            name="unused-noqa",
            message="Unused `noqa` directive for `MEM201`",
            severity=Severity.WARNING,
            confidence=Confidence.HIGH,
            fix=Fix(
                applicability=Applicability.SAFE,
                message="Remove unused `noqa` code `MEM201`",
                edits=(Edit(1, 6, 1, 22, ""),),
            ),
        )
    ]


def test_used_code_is_not_reported() -> None:
    assert unused("x = 1  # noqa: MEM201\n", {(1, "MEM201")}) == []


def test_unknown_mem_code() -> None:
    [d] = unused("x = 1  # noqa: MEM201, MEM999\n", {(1, "MEM201")})
    assert (d.line, d.column, d.end_column) == (1, 24, 30)
    assert d.message == "Unknown code `MEM999` in `noqa` directive"
    assert d.fix == Fix(
        Applicability.SAFE, "Remove unknown `noqa` code `MEM999`", (Edit(1, 22, 1, 30, ""),)
    )


def test_foreign_not_enabled_and_blanket_are_not_reported() -> None:
    text = "a = 1  # noqa: E501, B019\nb = 2  # noqa: MEM203\nc = 3  # noqa\nd = 4  # noqa: x\n"
    assert unused(text, enabled=frozenset({"MEM201", "MEM900"})) == []


def test_codes_disabled_for_file_are_not_reported() -> None:
    text = "# memlint: disable-file=MEM201\nx = 1  # noqa: MEM201, MEM202\n"
    assert [d.message for d in unused(text)] == ["Unused `noqa` directive for `MEM202`"]


def test_mem900_silenced_by_its_own_code_or_file_directive() -> None:
    assert unused("x = 1  # noqa: MEM201, MEM900\n") == []
    assert unused("# memlint: disable-file=MEM900\nx = 1  # noqa: MEM201\n") == []
    assert unused("# memlint: disable-file\nx = 1  # noqa: MEM201\n") == []


def test_unused_sorted_by_line_then_column() -> None:
    text = "b = 1  # noqa: MEM203\na = 1  # noqa: MEM999, MEM201, E501\n"
    assert [(d.line, d.column, d.message) for d in unused(text)] == [
        (1, 16, "Unused `noqa` directive for `MEM203`"),
        (2, 16, "Unknown code `MEM999` in `noqa` directive"),
        (2, 24, "Unused `noqa` directive for `MEM201`"),
    ]


# --- fixes ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("before", "used", "after"),
    [
        ("x = 1  # noqa: MEM201\n", set(), "x = 1\n"),
        ("x = 1  # noqa: MEM201,\n", set(), "x = 1\n"),
        ("x = 1  # noqa: MEM201, MEM202\n", {(1, "MEM202")}, "x = 1  # noqa: MEM202\n"),
        ("x = 1  # noqa: MEM201, MEM202\n", {(1, "MEM201")}, "x = 1  # noqa: MEM201\n"),
        ("x = 1  # noqa:MEM201 MEM202 E501\n", {(1, "MEM202")}, "x = 1  # noqa:MEM202 E501\n"),
        ("x = 1  # noqa: MEM201, MEM202\n", set(), "x = 1\n"),
        ("x = 1  # noqa: MEM201 reason\n", set(), "x = 1  # reason\n"),
        ("x = 1  #NOQA:MEM201, why\n", set(), "x = 1  # why\n"),
        ("x = 1  # type: ignore  # noqa: MEM201\n", set(), "x = 1  # type: ignore\n"),
        ("x = 1  # type: ignore  # noqa: MEM201 why\n", set(), "x = 1  # type: ignore  # why\n"),
        ("x = 1  ## noqa: MEM201\n", set(), "x = 1\n"),
        ("if x:\n    # noqa: MEM201\n    y = 1\n", set(), "if x:\n\n    y = 1\n"),
        ("a = 1\r\nx = 1  # noqa: MEM201\r\n", set(), "a = 1\r\nx = 1\r\n"),
    ],
)
def test_fix_result(before: str, used: set[tuple[int, str]], after: str) -> None:
    assert fixed(before, used) == after


def test_fixes_for_several_codes_do_not_overlap() -> None:
    text = "x = 1  # noqa: MEM201, MEM202, MEM203, E501, MEM999\n"
    diagnostics = unused(text, {(1, "MEM202")})
    assert [d.fix.edits for d in diagnostics if d.fix is not None] == [
        (Edit(1, 16, 1, 24, ""),),
        (Edit(1, 30, 1, 38, ""),),
        (Edit(1, 44, 1, 52, ""),),
    ]
    assert fixed(text, {(1, "MEM202")}) == "x = 1  # noqa: MEM202, E501\n"
    # Each fix on its own also leaves a well-formed list.
    assert [apply_edits(text, d.fix.edits) for d in diagnostics if d.fix is not None] == [
        "x = 1  # noqa: MEM202, MEM203, E501, MEM999\n",
        "x = 1  # noqa: MEM201, MEM202, E501, MEM999\n",
        "x = 1  # noqa: MEM201, MEM202, MEM203, E501\n",
    ]


def test_all_codes_unused_each_fix_removes_whole_directive() -> None:
    diagnostics = unused("x = 1  # noqa: MEM201, MEM202\n")
    assert [d.fix.edits for d in diagnostics if d.fix is not None] == [
        (Edit(1, 6, 1, 30, ""),),
        (Edit(1, 6, 1, 30, ""),),
    ]


def test_hand_built_noqa_without_removal_deletes_directive_only() -> None:
    noqa = Noqa(1, 8, 22, frozenset({"MEM201"}), (("MEM201", 16, 22),))
    [d] = unused_noqa(
        Suppressions({1: noqa}), set(), path="a.py", known_codes=KNOWN, enabled_codes=KNOWN
    )
    assert d.fix is not None
    assert d.fix.edits == (Edit(1, 8, 1, 22, ""),)
