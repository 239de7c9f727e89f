"""A file's text for reports and fingerprints, decoded as Python does, without the engine."""

from __future__ import annotations

import io
import re
import tokenize

# Python source breaks lines at \r\n, \r and \n only (str.splitlines also breaks at \x0c ...).
NEWLINE = re.compile(r"\r\n|\r|\n")


def decode_source(data: bytes) -> str | None:
    """The text of source bytes (BOM, else PEP 263 cookie, else UTF-8); None if undecodable.

    The engine's decoder says why a file cannot be decoded; a report only needs the text,
    and importing the engine would import libcst on a run answered from the cache.
    """
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        # `utf-8-sig` drops the BOM, so columns count from the first character of code.
        text = data.decode(encoding)
    except (SyntaxError, UnicodeError, LookupError):
        # UnicodeError, not only UnicodeDecodeError: some codecs fail without a position.
        return None
    # NUL bytes: a binary file that the engine refused (MEM000); it has no lines to show.
    return None if "\x00" in text else text


def read_source(path: str) -> str | None:
    """The text of the file at `path`, or None when it cannot be read or decoded."""
    try:
        with open(path, "rb") as handle:
            # A file memlint has just analysed: its text is what the report shows.
            data = handle.read()
    except OSError:
        return None
    return decode_source(data)


def source_lines(text: str) -> list[str]:
    """The lines of `text` without their line breaks, as Python numbers them (from index 0)."""
    return NEWLINE.split(text)
