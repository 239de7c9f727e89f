"""memlint.fixes: positions and offsets, minimal edits, overlap handling and the fix loop."""

from __future__ import annotations

import random
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from memlint import fixes
from memlint.diagnostics import Applicability, Diagnostic, Edit, Fix
from memlint.fixes import (
    MAX_ROUNDS,
    LineIndex,
    apply_edits,
    fix_loop,
    non_overlapping,
    text_edit,
)

# -- LineIndex ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "starts"),
    [
        ("", [0]),
        ("abc", [0]),
        ("ab\ncd\n", [0, 3, 6]),
        ("ab\r\ncd\r\n", [0, 4, 8]),
        ("ab\rcd\r", [0, 3, 6]),
        ("a\r\n\r\nb\rc\nd", [0, 3, 5, 7, 9]),
        ("é\nü", [0, 2]),
    ],
)
def test_line_index_line_starts(text: str, starts: list[int]) -> None:
    assert LineIndex(text).starts == starts


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_line_index_positions(newline: str) -> None:
    text = newline.join(["first", "", "\tthé end"]) + newline
    index = LineIndex(text)
    width = len(newline)
    assert index.position(0) == (1, 1)
    assert index.position(4) == (1, 5)
    # The offset of the newline itself is the column after the line's last character.
    assert index.position(5) == (1, 6)
    assert index.position(5 + width) == (2, 1)
    third = 5 + 2 * width
    assert index.position(third) == (3, 1)
    # Columns count characters: the tab and the é are one column each.
    assert index.position(third + text[third:].index("e", 3)) == (3, 6)
    assert index.position(len(text)) == (4, 1)
    assert index.offset(1, 1) == 0
    assert index.offset(2, 1) == 5 + width
    assert index.offset(3, 6) == third + 5
    assert index.offset(4, 1) == len(text)


@pytest.mark.parametrize(
    "text", ["", "x", "a\nb\n", "a\r\nb\r\n", "a\rb\r", "mixed\r\n\rend\n\r\n", "tab\tö\n\n"]
)
def test_line_index_round_trips_every_offset(text: str) -> None:
    index = LineIndex(text)
    for offset in range(len(text) + 1):
        line, column = index.position(offset)
        assert line >= 1
        assert column >= 1
        assert index.offset(line, column) == offset


def test_line_index_crlf_is_one_line_break_and_lone_cr_is_another() -> None:
    index = LineIndex("a\r\nb\rc")
    assert index.position(index.text.index("b")) == (2, 1)
    assert index.position(index.text.index("c")) == (3, 1)


# -- text_edit --------------------------------------------------------------------------------


def _edit(old: str, new: str) -> Edit | None:
    return text_edit(LineIndex(old), new)


def test_text_edit_identical_is_none() -> None:
    assert _edit("x = 1\n", "x = 1\n") is None
    assert _edit("", "") is None


def test_text_edit_insertion() -> None:
    assert _edit("f()\n", "f(maxsize=1)\n") == Edit(1, 3, 1, 3, "maxsize=1")


def test_text_edit_insertion_in_a_run_of_equal_characters_is_still_one_character() -> None:
    assert _edit("aaa", "aaaa") == Edit(1, 4, 1, 4, "a")


def test_text_edit_deletion() -> None:
    assert _edit("x = [1, 2]\n", "x = [1]\n") == Edit(1, 7, 1, 10, "")


def test_text_edit_replacement_on_a_later_line() -> None:
    old = "import functools\n@functools.cache\ndef f(x): ...\n"
    new = "import functools\n@functools.lru_cache(maxsize=1)\ndef f(x): ...\n"
    # "cache" and "lru_cache(maxsize=1)" share no first or last character.
    assert _edit(old, new) == Edit(2, 12, 2, 17, "lru_cache(maxsize=1)")


def test_text_edit_replacement_across_lines() -> None:
    old = "a = 1\nb = 2\nc = 3\n"
    new = "a = 1\nB = 9\nc = 3\n"
    assert _edit(old, new) == Edit(2, 1, 2, 6, "B = 9")


def test_text_edit_whole_text() -> None:
    assert _edit("abc", "xyz") == Edit(1, 1, 1, 4, "xyz")
    assert _edit("", "new\n") == Edit(1, 1, 1, 1, "new\n")
    assert _edit("old\n", "") == Edit(1, 1, 2, 1, "")


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_text_edit_keeps_line_endings_outside_the_change(newline: str) -> None:
    old = newline.join(["q = Queue()", "x = 1", ""])
    new = newline.join(["q = Queue(maxsize=5)", "x = 1", ""])
    edit = _edit(old, new)
    assert edit == Edit(1, 11, 1, 11, "maxsize=5")
    assert apply_edits(old, [edit]) == new


# -- apply_edits ------------------------------------------------------------------------------


def test_apply_edits_nothing() -> None:
    assert apply_edits("x = 1\n", []) == "x = 1\n"


@pytest.mark.parametrize("seed", range(6))
def test_apply_edits_several_edits_in_any_order(seed: int) -> None:
    text = "a = f(1)\r\nb = g(2)\rc = h(3)\n"
    edits = [
        Edit(1, 1, 1, 2, "alpha"),  # replacement
        Edit(1, 7, 1, 7, "0, "),  # insertion
        Edit(2, 5, 2, 6, ""),  # deletion
        Edit(3, 5, 3, 9, "3"),  # replacement to the end of the line
        Edit(4, 1, 4, 1, "# end\n"),  # insertion at the very end
    ]
    random.Random(seed).shuffle(edits)
    assert apply_edits(text, edits) == "alpha = f(0, 1)\r\nb = (2)\rc = 3\n# end\n"


def test_apply_edits_adjacent_edits() -> None:
    assert apply_edits("abcd", [Edit(1, 3, 1, 5, "Z"), Edit(1, 1, 1, 3, "Y")]) == "YZ"


def test_apply_edits_uses_a_given_index() -> None:
    text = "x\ny\n"
    assert apply_edits(text, [Edit(2, 1, 2, 2, "z")], LineIndex(text)) == "x\nz\n"


def _reference_apply(text: str, spans: Sequence[tuple[int, int, str]]) -> str:
    # From the end backwards, so earlier offsets stay valid.
    for start, end, content in sorted(spans, reverse=True):
        text = text[:start] + content + text[end:]
    return text


# Line breaks of every kind, a tab, a non-ASCII character and one outside the BMP.
_PIECES = ["a", "b", " ", "\t", "(", "é", "\U0001d518", "\n", "\r", "\r\n"]


def _texts(max_size: int) -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(_PIECES), max_size=max_size).map("".join)


@st.composite
def _text_and_spans(draw: st.DrawFn) -> tuple[str, list[tuple[int, int, str]]]:
    text = draw(_texts(40))
    cuts = sorted(draw(st.lists(st.integers(0, len(text)), max_size=12)))
    spans = []
    previous_start = -1
    for start, end in zip(cuts[::2], cuts[1::2]):
        # Strictly increasing starts: two edits at one point have no defined order.
        if start == previous_start:
            continue
        spans.append((start, end, draw(_texts(5))))
        previous_start = start
    return text, spans


@settings(max_examples=300, deadline=None)
@given(_text_and_spans(), st.randoms(use_true_random=False))
def test_apply_edits_matches_a_reference_on_offsets(
    case: tuple[str, list[tuple[int, int, str]]], rng: random.Random
) -> None:
    text, spans = case
    index = LineIndex(text)
    edits = [
        Edit(*index.position(start), *index.position(end), content) for start, end, content in spans
    ]
    rng.shuffle(edits)
    assert apply_edits(text, edits) == _reference_apply(text, spans)


@settings(max_examples=300, deadline=None)
@given(_texts(30), _texts(30))
def test_text_edit_then_apply_gives_the_new_text(old: str, new: str) -> None:
    edit = text_edit(LineIndex(old), new)
    if old == new:
        assert edit is None
        return
    assert edit is not None
    assert apply_edits(old, [edit]) == new
    # Minimal: the edit neither starts with nor ends with a character it leaves unchanged.
    index = LineIndex(old)
    start = index.offset(edit.line, edit.column)
    end = index.offset(edit.end_line, edit.end_column)
    removed = old[start:end]
    if removed and edit.content:
        assert removed[0] != edit.content[0]
        assert removed[-1] != edit.content[-1]


# -- non_overlapping ----------------------------------------------------------------------------


def _fix(*spans: tuple[int, int, int, int], content: str = "", name: str = "fix") -> Fix:
    return Fix(Applicability.SAFE, name, tuple(Edit(*span, content) for span in spans))


def test_non_overlapping_keeps_disjoint_fixes_in_order() -> None:
    index = LineIndex("abcdef\nghijkl\n")
    second = _fix((2, 1, 2, 3), name="second")
    first = _fix((1, 1, 1, 3), name="first")
    adjacent = _fix((1, 3, 1, 5), name="adjacent")
    assert non_overlapping(index, [second, first, adjacent]) == [second, first, adjacent]


def test_non_overlapping_drops_a_fix_sharing_a_character() -> None:
    index = LineIndex("abcdef\n")
    kept = _fix((1, 1, 1, 4), name="kept")
    overlapping = _fix((1, 3, 1, 6), name="overlapping")
    inside = _fix((1, 2, 1, 3), name="inside")
    after = _fix((1, 6, 1, 7), name="after")
    assert non_overlapping(index, [kept, overlapping, inside, after]) == [kept, after]


def test_non_overlapping_drops_a_second_insertion_at_the_same_point() -> None:
    index = LineIndex("abc\n")
    one = _fix((1, 2, 1, 2), content="x", name="one")
    two = _fix((1, 2, 1, 2), content="y", name="two")
    assert non_overlapping(index, [one, two]) == [one]
    assert non_overlapping(index, [two, one]) == [two]


def test_non_overlapping_insertion_at_the_start_of_a_replacement_conflicts() -> None:
    index = LineIndex("abc\n")
    insertion = _fix((1, 2, 1, 2), content="x")
    replacement = _fix((1, 2, 1, 4), content="y")
    assert non_overlapping(index, [replacement, insertion]) == [replacement]
    # ...but an insertion where a replacement ends touches none of its characters.
    at_end = _fix((1, 4, 1, 4), content="z")
    assert non_overlapping(index, [replacement, at_end]) == [replacement, at_end]


def test_non_overlapping_drops_a_whole_fix_when_one_of_its_edits_overlaps() -> None:
    index = LineIndex("abcdef\nghi\n")
    first = _fix((1, 1, 1, 2))
    two_edits = _fix((2, 1, 2, 2), (1, 1, 1, 3))
    later = _fix((2, 1, 2, 2))
    # The dropped fix's edits do not block later fixes.
    assert non_overlapping(index, [first, two_edits, later]) == [first, later]


def test_non_overlapping_empty() -> None:
    assert non_overlapping(LineIndex(""), []) == []


# -- fix_loop -----------------------------------------------------------------------------------


def _diagnostic(
    code: str,
    line: int,
    column: int,
    edits: Sequence[Edit],
    *,
    applicability: Applicability = Applicability.SAFE,
    message: str = "found",
) -> Diagnostic:
    last = edits[-1] if edits else None
    return Diagnostic(
        path="snippet.py",
        line=line,
        column=column,
        end_line=last.end_line if last else line,
        end_column=last.end_column if last else column,
        code=code,
        name="test-rule",
        message=message,
        fix=Fix(applicability, f"Fix {code}", tuple(edits)),
    )


def _replace_first(text: str, code: str, old: str, new: str, **kwargs: object) -> Diagnostic:
    """A diagnostic whose fix replaces the first `old` in `text` with `new`."""
    index = LineIndex(text)
    start = text.index(old)
    line, column = index.position(start)
    end_line, end_column = index.position(start + len(old))
    edit = Edit(line, column, end_line, end_column, new)
    return _diagnostic(code, line, column, [edit], **kwargs)  # type: ignore[arg-type]


class RecordingLint:
    """A fake lint: `rules(text)` returns diagnostics; every text linted is recorded."""

    def __init__(self, rules: object) -> None:
        self.rules = rules
        self.seen: list[str] = []

    def __call__(self, text: str) -> list[Diagnostic]:
        self.seen.append(text)
        return self.rules(text)  # type: ignore[operator, no-any-return]


def test_fix_loop_nothing_to_fix() -> None:
    lint = RecordingLint(lambda text: [])
    outcome = fix_loop("x = 1\n", lint, unsafe=True)
    assert outcome.text == "x = 1\n"
    assert outcome.fixed == []
    assert list(outcome.remaining) == []
    assert outcome.errors == []
    assert lint.seen == ["x = 1\n"]


def test_fix_loop_converges() -> None:
    def rules(text: str) -> list[Diagnostic]:
        found = []
        lines = text.splitlines(keepends=True)
        for number, line in enumerate(lines, start=1):
            if "bad" in line:
                column = line.index("bad") + 1
                found.append(
                    _diagnostic(
                        "MEM991", number, column, [Edit(number, column, number, column + 3, "good")]
                    )
                )
        return found

    lint = RecordingLint(rules)
    outcome = fix_loop("a = bad\nb = bad\nc = 1\n", lint, unsafe=False)
    assert outcome.text == "a = good\nb = good\nc = 1\n"
    assert [(d.code, d.line) for d in outcome.fixed] == [("MEM991", 1), ("MEM991", 2)]
    assert list(outcome.remaining) == []
    assert outcome.errors == []
    # Both fixes went in one round, then one lint proved nothing was left.
    assert lint.seen == ["a = bad\nb = bad\nc = 1\n", "a = good\nb = good\nc = 1\n"]


def test_fix_loop_chained_fixes_take_several_rounds() -> None:
    # Each round's fix makes the next one appear: 1 -> 2 -> 3.
    def rules(text: str) -> list[Diagnostic]:
        for old, new in (("x = 1", "x = 2"), ("x = 2", "x = 3")):
            if old in text:
                return [_replace_first(text, "MEM991", old, new)]
        return []

    lint = RecordingLint(rules)
    outcome = fix_loop("x = 1\n", lint, unsafe=False)
    assert outcome.text == "x = 3\n"
    assert len(outcome.fixed) == 2
    assert lint.seen == ["x = 1\n", "x = 2\n", "x = 3\n"]


def test_fix_loop_stops_after_max_rounds() -> None:
    # A rule that always has one more fix (an insertion that parses): the loop must end.
    lint = RecordingLint(lambda text: [_diagnostic("MEM991", 1, 1, [Edit(1, 1, 1, 1, "# x\n")])])
    outcome = fix_loop("y = 1\n", lint, unsafe=True)
    assert MAX_ROUNDS == 10
    assert outcome.text == "# x\n" * MAX_ROUNDS + "y = 1\n"
    assert len(outcome.fixed) == MAX_ROUNDS
    assert len(lint.seen) == MAX_ROUNDS + 1
    # What is left is what the last lint reported.
    assert [d.code for d in outcome.remaining] == ["MEM991"]
    assert outcome.errors == []


def test_fix_loop_a_fix_that_does_not_parse_is_discarded_and_reported() -> None:
    lint = RecordingLint(
        lambda text: [_replace_first(text, "MEM991", "1", "(")] if "1" in text else []
    )
    outcome = fix_loop("y = 1\n", lint, unsafe=True, path="pkg/mod.py")
    assert outcome.text == "y = 1\n"
    assert outcome.fixed == []
    assert outcome.errors == [
        "pkg/mod.py:1:5: internal error: the fix for MEM991 produced code that does not parse; "
        "it was not applied"
    ]
    assert [d.code for d in outcome.remaining] == ["MEM991"]
    # The broken fix is not tried again, and the text was never re-linted.
    assert lint.seen == ["y = 1\n"]


def test_fix_loop_leaves_a_text_that_does_not_parse_alone_without_an_error() -> None:
    # MEM900 offers its fix from the comments alone, in a file whose syntax error is its
    # MEM000: no result could parse, and that is not the fix's fault (found by fuzzing).
    source = "x = (\ny = 1  # noqa: MEM201\n"
    lint = RecordingLint(lambda text: [_replace_first(text, "MEM900", "  # noqa: MEM201", "")])
    outcome = fix_loop(source, lint, unsafe=True, path="pkg/mod.py")
    assert (outcome.text, outcome.fixed, outcome.errors) == (source, [], [])
    assert [d.code for d in outcome.remaining] == ["MEM900"]
    assert lint.seen == [source]


def test_fix_loop_a_broken_fix_does_not_stop_a_good_one() -> None:
    def rules(text: str) -> list[Diagnostic]:
        found = []
        if "a = 1" in text:
            found.append(_replace_first(text, "MEM991", "a = 1", "a = ("))
        if "b = 1" in text:
            found.append(_replace_first(text, "MEM992", "b = 1", "b = 2"))
        return found

    outcome = fix_loop("a = 1\nb = 1\n", RecordingLint(rules), unsafe=True)
    assert outcome.text == "a = 1\nb = 2\n"
    assert [d.code for d in outcome.fixed] == ["MEM992"]
    assert len(outcome.errors) == 1
    assert "MEM991" in outcome.errors[0]
    assert "MEM992" not in outcome.errors[0]
    assert [d.code for d in outcome.remaining] == ["MEM991"]


def test_fix_loop_fixes_that_only_break_together_go_one_per_round() -> None:
    original = "if a:\n    b\nc = 1\nx = 1\ny = 1\n"

    def rules(text: str) -> list[Diagnostic]:
        found = []
        if "else" not in text:
            # Alone: `if a: b / else: c = 1` parses.
            found.append(_replace_first(text, "MEM991", "c = 1", "else:\n    c = 1"))
            # Alone: a statement between the `if` and `c = 1` parses; with MEM991 it
            # separates the `else` from its `if`.
            found.append(_replace_first(text, "MEM992", "    b\n", "    b\nd = 2\n"))
        if "x = 1" in text:
            found.append(_replace_first(text, "MEM993", "x = 1", "x = 2"))
        if "y = 1" in text:
            found.append(_replace_first(text, "MEM994", "y = 1", "y = 2"))
        return found

    lint = RecordingLint(rules)
    outcome = fix_loop(original, lint, unsafe=True)
    assert outcome.errors == []
    assert outcome.text == "if a:\n    b\nelse:\n    c = 1\nx = 2\ny = 2\n"
    assert [d.code for d in outcome.fixed] == ["MEM991", "MEM993", "MEM994"]
    # The failed round re-lints nothing; from then on, one fix per round.
    assert lint.seen == [
        original,
        "if a:\n    b\nelse:\n    c = 1\nx = 1\ny = 1\n",
        "if a:\n    b\nelse:\n    c = 1\nx = 2\ny = 1\n",
        "if a:\n    b\nelse:\n    c = 1\nx = 2\ny = 2\n",
    ]
    assert list(outcome.remaining) == []


def _unsafe_rules(text: str) -> list[Diagnostic]:
    found = []
    if "q = Queue()" in text:
        found.append(
            _replace_first(
                text, "MEM202", "Queue()", "Queue(maxsize=10)", applicability=Applicability.UNSAFE
            )
        )
    if "s = 1" in text:
        found.append(_replace_first(text, "MEM991", "s = 1", "s = 2"))
    return found


def test_fix_loop_unsafe_fixes_wait_for_unsafe_true() -> None:
    text = "q = Queue()\ns = 1\n"
    safe_only = fix_loop(text, _unsafe_rules, unsafe=False)
    assert safe_only.text == "q = Queue()\ns = 2\n"
    assert [d.code for d in safe_only.fixed] == ["MEM991"]
    assert [d.code for d in safe_only.remaining] == ["MEM202"]
    both = fix_loop(text, _unsafe_rules, unsafe=True)
    assert both.text == "q = Queue(maxsize=10)\ns = 2\n"
    assert sorted(d.code for d in both.fixed) == ["MEM202", "MEM991"]
    assert list(both.remaining) == []


def test_fix_loop_ignores_diagnostics_without_a_fix() -> None:
    plain = Diagnostic("snippet.py", 1, 1, 1, 2, "MEM991", "test-rule", "found")
    outcome = fix_loop("x = 1\n", lambda text: [plain], unsafe=True)
    assert outcome.text == "x = 1\n"
    assert outcome.fixed == []
    assert list(outcome.remaining) == [plain]


def test_allowed() -> None:
    safe = Fix(Applicability.SAFE, "m", ())
    unsafe = Fix(Applicability.UNSAFE, "m", ())
    assert fixes.allowed(safe, unsafe=False)
    assert fixes.allowed(safe, unsafe=True)
    assert not fixes.allowed(unsafe, unsafe=False)
    assert fixes.allowed(unsafe, unsafe=True)
    assert not fixes.allowed(None, unsafe=True)


def test_parses() -> None:
    assert fixes.parses("x = 1\n")
    assert fixes.parses("")
    assert not fixes.parses("x = (\n")
