"""The server's documents: LSP positions against memlint's, and changes applied as LSP says."""

from __future__ import annotations

import pytest

from memlint.server.documents import UTF8, UTF16, UTF32, Change, Document, Position, TextIndex

EMOJI = "\U0001f600"  # outside the BMP: two UTF-16 units, four UTF-8 bytes, one character


def test_columns_after_non_bmp_characters_count_code_units() -> None:
    text = f"x = '{EMOJI}{EMOJI}'; q = Queue()\n"
    column = text.index("Queue") + 1  # memlint: 1-based characters
    start = TextIndex(text, UTF16).range(1, column, 1, column + 7)[0]
    assert start == Position(0, column - 1 + 2)  # each emoji is one character, two units
    assert TextIndex(text, UTF8).range(1, column, 1, column)[0] == Position(0, column - 1 + 6)
    assert TextIndex(text, UTF32).range(1, column, 1, column)[0] == Position(0, column - 1)


@pytest.mark.parametrize("encoding", [UTF8, UTF16, UTF32])
def test_lsp_positions_round_trip_through_offsets(encoding: str) -> None:
    text = f"a{EMOJI}b\r\né\rc\n{EMOJI}\n"
    index = TextIndex(text, encoding)
    for offset in range(len(text) + 1):
        if text[offset - 1 : offset + 1] == "\r\n":
            continue  # between the two characters of one line break: not a position
        assert index.offset(index.position(offset)) == offset


def test_only_cr_lf_and_crlf_end_lines() -> None:
    # str.splitlines would also break at the form feed and the line separator.
    text = "a = 1\x0c\nb = '\u2028'\nc = 2\n"
    index = TextIndex(text)
    assert index.position(text.index("c")) == Position(2, 0)
    assert index.range(3, 1, 3, 2)[0] == Position(2, 0)


def test_positions_past_the_end_of_a_line_or_text_are_clamped() -> None:
    text = "ab\r\ncd"
    index = TextIndex(text)
    assert index.offset(Position(0, 99)) == 2  # before the line break, not inside it
    assert index.offset(Position(7, 0)) == len(text)
    assert index.offset(Position(1, 99)) == len(text)


def test_a_bom_shifts_the_first_line_only() -> None:
    text = "\ufeffq = Queue()\nr = Queue()\n"
    index = TextIndex(text)
    # memlint's columns leave the BOM out; the editor's text has it.
    assert index.range(1, 5, 1, 12) == (Position(0, 5), Position(0, 12))
    assert index.range(2, 5, 2, 12) == (Position(1, 4), Position(1, 11))
    assert Document("u", 1, text).lint_text == text[1:]


def test_incremental_changes_apply_in_order() -> None:
    document = Document("file:///a.py", 1, f"x = '{EMOJI}'\ny = 2\n")
    changed = document.changed(
        2,
        [
            # Replace the `2`, then insert after the emoji (UTF-16 character 7 is after it).
            Change("3", (Position(1, 4), Position(1, 5))),
            Change("!", (Position(0, 7), Position(0, 7))),
        ],
        UTF16,
    )
    assert changed.text == f"x = '{EMOJI}!'\ny = 3\n"
    assert changed.version == 2
    assert document.changed(3, [Change("new")], UTF16).text == "new"


def test_a_change_in_a_file_with_form_feeds_lands_on_the_editors_line() -> None:
    text = "\x0c\ndef f():\n    pass\n"
    changed = Document("u", 1, text).changed(
        2, [Change("return", (Position(2, 4), Position(2, 8)))], UTF16
    )
    assert changed.text == "\x0c\ndef f():\n    return\n"
