"""Reading a file's text for reports, as Python decodes source, without the engine."""

from __future__ import annotations

from pathlib import Path

import pytest

from memlint.sourcetext import decode_source, read_source, source_lines


@pytest.mark.parametrize(
    ("data", "text"),
    [
        (b"x = 1\n", "x = 1\n"),
        (b"\xef\xbb\xbfx = '\xc3\xa9'\n", "x = 'é'\n"),  # the BOM is not part of the text
        (b"# -*- coding: latin-1 -*-\nx = '\xe9'\n", "# -*- coding: latin-1 -*-\nx = 'é'\n"),
        (b"x = '\xff'\n", None),  # not UTF-8 and no cookie
        (b"# coding: nope\n", None),  # an unknown codec
        (b"# coding: rot13\nx = 1\n", None),  # a codec that is not a text encoding
        (b"# coding: punycode\nx = 1\n", None),  # a codec that fails without a position
        (b"x = 1\x00\n", None),  # binary
    ],
)
def test_decode_source(data: bytes, text: str | None) -> None:
    assert decode_source(data) == text


def test_read_source(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_bytes(b"a = 1\r\nb = 2\r")
    assert read_source(str(tmp_path / "a.py")) == "a = 1\r\nb = 2\r"
    assert read_source(str(tmp_path / "missing.py")) is None


def test_source_lines_break_where_python_does() -> None:
    assert source_lines("a\r\nb\rc\nd\x0ce\u2028f") == ["a", "b", "c", "d\x0ce\u2028f"]
