"""memlint.engine: decoding, the trigger pre-filter, MEM000, rule isolation, plain results."""

from __future__ import annotations

import ast
import codecs
import dataclasses
import enum
import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any, ClassVar

import libcst as cst
import pytest
from libcst.metadata import (
    MetadataWrapper,
    PositionProvider,
    QualifiedNameProvider,
    ScopeProvider,
)

from memlint import engine, registry
from memlint.diagnostics import Applicability, Confidence, Diagnostic, Edit, Fix, Severity
from memlint.engine import Decoded, DecodeError, FileResult, decode, lint_source
from memlint.rule import Rule
from memlint.rules.mem201_unbounded_lru_cache import UnboundedLruCache
from memlint.rules.mem202_unbounded_queue import UnboundedQueue
from memlint.rules.mem501_swallowed_memoryerror import SwallowedMemoryError
from memlint.semantic.constants import ModuleConstantsProvider
from memlint.settings import Selection, Settings
from tests.helpers import settings_for

ROOT = Path(__file__).resolve().parent.parent
BOM = codecs.BOM_UTF8
QUEUE = "import queue\nq = queue.Queue()\n"
LRU = "from functools import lru_cache\n@lru_cache(maxsize=None)\ndef f(x): ...\n"


def _codes(result: FileResult) -> list[tuple[str, int, int]]:
    return [(d.code, d.line, d.column) for d in result.diagnostics]


# -- decode ---------------------------------------------------------------------------------


def test_decode_utf8() -> None:
    data = "x = 'é€'\n".encode()
    decoded = decode(data)
    assert decoded == Decoded("x = 'é€'\n", "utf-8", False)
    assert decoded.encode(decoded.text) == data


def test_decode_utf8_bom() -> None:
    data = BOM + "x = 'é'\r\ny = 2\n".encode()
    decoded = decode(data)
    assert decoded.bom is True
    assert decoded.encoding == "utf-8"
    assert decoded.text == "x = 'é'\r\ny = 2\n"
    assert not decoded.text.startswith("\ufeff")
    assert decoded.encode(decoded.text) == data
    # A fixed text gets its BOM back.
    assert decoded.encode("z = 3\n") == BOM + b"z = 3\n"


def test_decode_bom_only() -> None:
    decoded = decode(BOM)
    assert decoded == Decoded("", "utf-8", True)
    assert decoded.encode("") == BOM


def test_decode_empty() -> None:
    assert decode(b"") == Decoded("", "utf-8", False)


@pytest.mark.parametrize(
    "cookie", ["# -*- coding: latin-1 -*-", "# vim: set fileencoding=iso-8859-1 :"]
)
def test_decode_pep263_latin1_cookie(cookie: str) -> None:
    text = f"{cookie}\nname = 'café'\n"
    data = text.encode("latin-1")
    assert b"caf\xe9" in data
    decoded = decode(data)
    assert decoded.text == text
    assert "é" in decoded.text
    assert decoded.bom is False
    assert codecs.lookup(decoded.encoding).name == "iso8859-1"
    assert decoded.encode(decoded.text) == data


def test_decode_cookie_on_the_second_line() -> None:
    data = "#!/usr/bin/env python\n# coding: latin-1\nx = 'ü'\n".encode("latin-1")
    decoded = decode(data)
    assert decoded.text == "#!/usr/bin/env python\n# coding: latin-1\nx = 'ü'\n"
    assert decoded.encode(decoded.text) == data


def test_decode_cookie_after_code_is_ignored() -> None:
    # PEP 263: only lines 1 and 2 count, so this is UTF-8.
    data = "x = 1\ny = 2\n# coding: latin-1\nz = 'é'\n".encode()
    assert decode(data).encoding == "utf-8"
    assert decode(data).text.endswith("z = 'é'\n")


def test_decode_unknown_cookie_encoding() -> None:
    with pytest.raises(DecodeError) as info:
        decode(b"# -*- coding: no-such-codec -*-\nx = 1\n")
    assert str(info.value) == "cannot decode: unknown encoding: no-such-codec"
    assert (info.value.line, info.value.column) == (1, 1)


@pytest.mark.parametrize(
    ("cookie", "message"),
    [
        ("rot13", "cannot decode: `rot13` is not a text encoding"),
        ("hex", "cannot decode: `hex` is not a text encoding"),
        ("zlib_codec", "cannot decode: `zlib_codec` is not a text encoding"),
        (
            "punycode",
            "cannot decode as punycode: decoding with 'punycode' codec failed "
            "(UnicodeError: Invalid extended code point '\\n')",
        ),
        (
            "undefined",
            "cannot decode as undefined: decoding with 'undefined' codec failed "
            "(UnicodeError: undefined encoding)",
        ),
    ],
)
def test_decode_cookie_naming_a_codec_that_cannot_decode_source(cookie: str, message: str) -> None:
    # tokenize only checks that the codec exists; these crashed the run before issue 7.
    with pytest.raises(DecodeError) as info:
        decode(f"# -*- coding: {cookie} -*-\nx = 1\n".encode())
    assert str(info.value) == message
    assert (info.value.line, info.value.column) == (1, 1)


def test_decode_bom_with_a_different_cookie() -> None:
    with pytest.raises(DecodeError) as info:
        decode(BOM + b"# coding: latin-1\nx = 1\n")
    assert str(info.value) == "cannot decode: encoding problem: utf-8"


@pytest.mark.parametrize(
    ("data", "line", "column", "byte"),
    [
        # The bad byte after code on line 1, in a comment on line 2, after a CRLF, after
        # lone CRs, and after multi-byte characters (columns count characters, not bytes).
        (b"x = '\xff'\n", 1, 6, 5),
        (b"#!/usr/bin/env python\n# caf\xe9\n", 2, 6, 27),
        (b"import os\ny = 2\nz = '\xff'\n", 3, 6, 21),
        (b"a = 1\r\nb = '\xfe'\r\n", 2, 6, 12),
        (b"a = 1\rb = 2\rc = '\xff'\r", 3, 6, 17),
        ("a = 1\ns = 'éé".encode() + b"\xff'\n", 2, 8, 15),
        ("a = 1\n\tß = '".encode() + b"\xc3\x28'\n", 2, 7, 13),
    ],
)
def test_decode_invalid_utf8_position(data: bytes, line: int, column: int, byte: int) -> None:
    with pytest.raises(DecodeError) as info:
        decode(data)
    assert (info.value.line, info.value.column) == (line, column)
    assert str(info.value).startswith("cannot decode: ")
    assert str(info.value).endswith(f" for utf-8 at byte {byte}")


def test_decode_invalid_utf8_after_a_bom_counts_bytes_from_the_start_of_the_file() -> None:
    with pytest.raises(DecodeError) as info:
        decode(BOM + b"x = 1\ny = '\xff'\n")
    assert str(info.value) == "cannot decode: invalid start byte for utf-8 at byte 14"
    assert (info.value.line, info.value.column) == (2, 6)


def test_decode_invalid_byte_in_a_declared_encoding() -> None:
    # 0x81 is undefined in cp1252.
    with pytest.raises(DecodeError) as info:
        decode(b"# coding: cp1252\nx = '\xe9\x81'\n")
    assert (info.value.line, info.value.column) == (2, 7)
    assert "for cp1252 at byte 23" in str(info.value)


@pytest.mark.parametrize(
    ("data", "line", "column"),
    [
        (b"\x00", 1, 1),
        (b"x = 1\ny = 2\x00\n", 2, 6),
        (b"x = 1\r\n\x00\r\n", 2, 1),
        (b"x = 1\ry = 2\r'\xc3\xa9'\x00", 3, 4),
    ],
)
def test_decode_nul_bytes(data: bytes, line: int, column: int) -> None:
    with pytest.raises(DecodeError) as info:
        decode(data)
    assert str(info.value) == "cannot analyse: the file contains NUL bytes (binary?)"
    assert (info.value.line, info.value.column) == (line, column)


def test_decode_keeps_crlf_and_lone_cr() -> None:
    data = b"a = 1\r\nb = 2\rc = 3\nd = 4\r\n"
    decoded = decode(data)
    assert decoded.text == "a = 1\r\nb = 2\rc = 3\nd = 4\r\n"
    assert decoded.encode(decoded.text) == data


def test_decode_error_is_a_value_error() -> None:
    error = DecodeError("message")
    assert isinstance(error, ValueError)
    assert (error.line, error.column) == (1, 1)


# -- lint_source: input -----------------------------------------------------------------------


def test_lint_source_bytes_and_str_agree() -> None:
    settings = settings_for()
    from_str = lint_source(QUEUE, "a.py", settings)
    from_bytes = lint_source(QUEUE.encode(), "a.py", settings)
    assert from_str == from_bytes
    assert _codes(from_str) == [("MEM202", 2, 5)]
    assert from_str.parsed is True


def test_lint_source_bytes_with_a_bom_and_a_latin1_cookie() -> None:
    settings = settings_for()
    assert _codes(lint_source(BOM + QUEUE.encode(), "a.py", settings)) == [("MEM202", 2, 5)]
    latin = "# coding: latin-1\nimport queue\nname = 'é'; q = queue.Queue()\n"
    result = lint_source(latin.encode("latin-1"), "a.py", settings)
    assert _codes(result) == [("MEM202", 3, 17)]


def test_lint_source_str_with_a_bom_character() -> None:
    result = lint_source("\ufeff" + QUEUE, "a.py", settings_for())
    assert _codes(result) == [("MEM202", 2, 5)]


def test_lint_source_undecodable_bytes_are_one_mem000() -> None:
    result = lint_source(b"import queue\nx = '\xff'\n", "bad.py", settings_for())
    assert result == FileResult(
        "bad.py",
        (
            Diagnostic(
                path="bad.py",
                line=2,
                column=6,
                end_line=2,
                end_column=6,
                code="MEM000",
                name="parse-error",
                message="cannot decode: invalid start byte for utf-8 at byte 18",
                severity=Severity.ERROR,
                confidence=Confidence.HIGH,
                suggestion=(
                    "Make the file valid Python in UTF-8 or its declared encoding, or exclude it"
                ),
            ),
        ),
    )


def test_lint_source_nul_bytes_are_mem000_even_without_a_trigger_word() -> None:
    result = lint_source(b"x = 1\x00\n", "bin.py", settings_for())
    assert _codes(result) == [("MEM000", 1, 6)]
    assert result.parsed is False


# -- lint_source: syntax errors ---------------------------------------------------------------


def test_syntax_error_is_one_mem000_in_cpythons_words() -> None:
    source = "from functools import cache\nf = cache(\n"
    with pytest.raises(SyntaxError) as python:
        ast.parse(source)
    result = lint_source(source, "broken.py", settings_for())
    assert result.parsed is False
    assert result.errors == ()
    [diagnostic] = result.diagnostics
    assert diagnostic.code == "MEM000"
    assert diagnostic.name == "parse-error"
    assert diagnostic.severity is Severity.ERROR
    assert diagnostic.message == "SyntaxError: '(' was never closed"
    assert diagnostic.message == f"SyntaxError: {python.value.msg}"
    assert (diagnostic.line, diagnostic.column) == (2, 10)
    assert (diagnostic.line, diagnostic.column) == (python.value.lineno, python.value.offset)
    assert (diagnostic.end_line, diagnostic.end_column) == (2, 10)
    assert diagnostic.fix is None
    assert diagnostic.suggestion


def test_syntax_error_column_counts_characters() -> None:
    source = "from functools import cache\nx = 'é'; \tf = cache(\n"
    [diagnostic] = lint_source(source, "a.py", settings_for()).diagnostics
    assert (diagnostic.code, diagnostic.line, diagnostic.column) == ("MEM000", 2, 20)


@pytest.mark.parametrize("newline", ["\r\n", "\r"])
def test_syntax_error_line_with_other_line_endings(newline: str) -> None:
    source = newline.join(["from functools import cache", "", "def f(:", "    pass", ""])
    [diagnostic] = lint_source(source, "a.py", settings_for()).diagnostics
    assert diagnostic.message == "SyntaxError: invalid syntax"
    assert (diagnostic.line, diagnostic.column) == (3, 7)


def test_syntax_error_without_a_trigger_word_is_not_parsed() -> None:
    # Documented decision (MEM000's docs): a file no enabled rule can fire on is never
    # parsed, so its syntax errors are left to the compiler (MEM601, on by default, has no
    # word: with it every file reaches CPython's parser).
    result = lint_source("x = (\n", "a.py", settings_for(("MEM201", "MEM202")))
    assert result == FileResult("a.py", (), (), parsed=False)


def test_syntax_error_with_a_trigger_word_only_in_a_comment_is_reported() -> None:
    result = lint_source("x = (  # Queue\n", "a.py", settings_for())
    assert _codes(result) == [("MEM000", 1, 5)]


def test_mem000_can_be_ignored_by_its_exact_code() -> None:
    settings = Settings(ignore=("MEM000",))
    assert lint_source("import queue\nx = (\n", "a.py", settings).diagnostics == ()


@pytest.mark.parametrize(
    "source",
    ["", "\ufeff", b"", BOM, "\n", "\r\n", "# just a comment\n", "   ", "\n\n\n"],
    ids=["empty", "bom-char", "empty-bytes", "bom-bytes", "lf", "crlf", "comment", "ws", "lfs"],
)
def test_empty_files(source: str | bytes) -> None:
    result = lint_source(source, "empty.py", settings_for())
    assert result == FileResult("empty.py", (), (), parsed=False)


@pytest.mark.parametrize("source", ["# Queue\n", "\ufeff# lru_cache", BOM + b"# deque"])
def test_a_trigger_word_only_in_a_comment_passes_the_text_filter_not_the_ast_filter(
    source: str | bytes,
) -> None:
    text = engine.decode(source).text if isinstance(source, bytes) else source.lstrip("\ufeff")
    word_rules = (UnboundedQueue, UnboundedLruCache)
    assert engine.candidate_rules(text, word_rules)  # the word is seen, comment or not
    assert engine.ast_candidate_rules(ast.parse(text), word_rules) == []  # no shape in the code
    result = lint_source(source, "a.py", settings_for())
    assert result == FileResult("a.py", (), (), parsed=False)


def test_code_only_libcst_rejects_is_mem000_in_libcsts_words(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    parse = cst.parse_module

    def reject(text: str) -> cst.Module:
        # libcst's own error for other code, raised for code CPython accepts.
        return parse("def f(:\n  pass\n")

    monkeypatch.setattr(cst, "parse_module", reject)
    [diagnostic] = lint_source(QUEUE, "a.py", settings_for()).diagnostics
    version = f"{sys.version_info[0]}.{sys.version_info[1]}"
    assert diagnostic.message == (
        f"cannot parse with libcst (CPython {version} accepts it): "
        "parser error: error at 2:2: expected one of ), *, **, NAME"
    )
    # libcst's columns are 0-based.
    assert (diagnostic.code, diagnostic.line, diagnostic.column) == ("MEM000", 2, 3)


def test_parse_failure_other_than_a_syntax_error_is_mem000(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def explode(text: str) -> cst.Module:
        raise RuntimeError("native parser said no")

    monkeypatch.setattr(cst, "parse_module", explode)
    result = lint_source(QUEUE, "a.py", settings_for())
    assert [d.message for d in result.diagnostics] == [
        "cannot parse: RuntimeError: native parser said no"
    ]
    assert result.parsed is False


def test_recursion_error_while_parsing_is_mem000(monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(text: str) -> cst.Module:
        raise RecursionError

    monkeypatch.setattr(cst, "parse_module", explode)
    result = lint_source(QUEUE, "a.py", settings_for())
    assert [(d.code, d.line, d.column, d.message) for d in result.diagnostics] == [
        ("MEM000", 1, 1, "cannot analyse: the code is nested too deeply for Python's parser")
    ]


def test_memory_error_while_parsing_propagates(monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(text: str) -> cst.Module:
        raise MemoryError

    monkeypatch.setattr(cst, "parse_module", explode)
    with pytest.raises(MemoryError):
        lint_source(QUEUE, "a.py", settings_for())


# -- deep nesting (run in a child: libcst's native parser can overflow the C stack) ------------

_CHILD = """
import json, sys
from memlint import engine
from memlint.settings import Selection, Settings
settings = Settings().replace(cli_selection=Selection(select=("ALL",)))
result = engine.lint_source(sys.stdin.read(), "deep.py", settings)
print(json.dumps({
    "parsed": result.parsed,
    "errors": list(result.errors),
    "diagnostics": [[d.code, d.line, d.column, d.message] for d in result.diagnostics],
}))
"""


def _lint_in_child(source: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _CHILD],
        input=source,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        check=False,
    )


def _assert_mem000_or_a_result(child: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert child.returncode == 0, f"the child died ({child.returncode}): {child.stderr[-2000:]}"
    assert child.stderr == ""
    result: dict[str, Any] = json.loads(child.stdout)
    assert result["errors"] == []
    assert all(code == "MEM000" for code, *_ in result["diagnostics"])
    return result


TOO_MANY_PARENS = "SyntaxError: too many nested parentheses"
# A place for MEM402 that it does not flag (the loop is bounded): the file is no longer
# skipped by the pre-filter, and module-level code (the deep line) is always parsed.
_CANDIDATE = 'out = ""\nfor part in "ab":\n    out += part\n'


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        # Invalid Python (CPython stops at 200 levels): CPython's verdict, libcst never runs.
        ("x = " + "(" * 1000 + "1" + ")" * 1000, [["MEM000", 4, 205, TOO_MANY_PARENS]]),
        ("x = " + "[" * 300 + "]" * 300, [["MEM000", 4, 205, TOO_MANY_PARENS]]),
        # Valid and deep: analysed on a deep stack instead of given up on.
        ("x = " + "-" * 1000 + "1", []),
        ("x = a" + ".b" * 1000, []),
        ("x = 1" + " + 1" * 1000, []),
        ("x = f" + "()" * 1000, []),
        ("x = (\n" + '    "ab"\n' * 3000 + ")", []),
    ],
    ids=["parens", "lists", "unary", "attributes", "binary", "calls", "concatenated-strings"],
)
def test_deeply_nested_expression_is_mem000_or_a_result(body: str, expected: list) -> None:
    result = _assert_mem000_or_a_result(_lint_in_child(_CANDIDATE + body + "\n"))
    assert result["diagnostics"] == expected
    assert result["parsed"] is (expected == [])


@pytest.mark.parametrize(
    "body",
    [
        "x = " + "(" * 5000 + "1" + ")" * 5000,
        "x = " + "-" * 10000 + "1",
        "x = a" + ".b" * 10000,
        "x = " + "lambda: " * 6000 + "1",
    ],
    ids=["parens", "unary", "attributes", "lambdas"],
)
def test_depths_that_crash_libcst_are_mem000_and_the_process_survives(body: str) -> None:
    """libcst's native parser segfaults on these; CPython's parser refuses them first."""
    result = _assert_mem000_or_a_result(_lint_in_child(_CANDIDATE + body + "\n"))
    assert [d[0] for d in result["diagnostics"]] == ["MEM000"]
    assert result["parsed"] is False


# -- lint_source: results ---------------------------------------------------------------------

MIXED = textwrap.dedent(
    """\
    from collections import deque
    from functools import lru_cache
    import queue

    buf = deque()
    jobs = queue.Queue()  # noqa: MEM201

    def put(x):
        buf.append(x)

    def get():
        return buf.popleft()

    @lru_cache(maxsize=None)
    def f(x): ...
    """
)


def test_diagnostics_are_sorted() -> None:
    # Emitted as: Queue (visit), lru_cache (visit), deque (leave_Module), noqa (after).
    result = lint_source(MIXED, "m.py", settings_for())
    assert _codes(result) == [
        ("MEM202", 5, 7),
        ("MEM202", 6, 8),
        ("MEM900", 6, 31),
        ("MEM201", 14, 2),
    ]
    keys = [d.sort_key for d in result.diagnostics]
    assert keys == sorted(keys)


def test_diagnostics_are_filtered_by_the_selection() -> None:
    result = lint_source(MIXED, "m.py", settings_for(("MEM201",)))
    assert _codes(result) == [("MEM201", 14, 2)]


_PLAIN = (str, int, enum.Enum, type(None))
_DATA = (FileResult, Diagnostic, Fix, Edit)


def _assert_plain(value: object, where: str) -> None:
    if isinstance(value, _PLAIN):
        return
    if isinstance(value, tuple):
        for number, item in enumerate(value):
            _assert_plain(item, f"{where}[{number}]")
        return
    assert type(value) in _DATA, f"{where} is a {type(value).__name__}: {value!r}"
    assert dataclasses.is_dataclass(value)
    names = [f.name for f in dataclasses.fields(value)]
    # Nothing stashed on the instance beside its fields.
    assert sorted(vars(value)) == sorted(names), where
    for name in names:
        _assert_plain(getattr(value, name), f"{where}.{name}")


def test_results_are_plain_data() -> None:
    source = MIXED + "from functools import cache\n@cache\ndef g(y): ...\n"
    result = lint_source(source, "m.py", settings_for())
    assert len(result.diagnostics) == 5
    assert any(d.fix is not None for d in result.diagnostics)
    _assert_plain(result, "result")
    for frozen in (result, *result.diagnostics):
        with pytest.raises(dataclasses.FrozenInstanceError):
            frozen.path = "other.py"  # type: ignore[misc]


def test_positions_are_one_based_and_count_characters() -> None:
    source = "import queue\nif 1:\n\tx = 'é'; q = queue.Queue()\n"
    [diagnostic] = lint_source(source, "a.py", settings_for()).diagnostics
    assert (diagnostic.line, diagnostic.column) == (3, 15)
    assert (diagnostic.end_line, diagnostic.end_column) == (3, 28)
    line = source.splitlines()[2]
    assert line[diagnostic.column - 1 : diagnostic.end_column - 1] == "queue.Queue()"
    assert diagnostic.fix is not None
    assert diagnostic.fix.edits == (Edit(3, 27, 3, 27, "maxsize=1000"),)


@pytest.mark.parametrize("newline", ["\r\n", "\r"])
def test_positions_with_other_line_endings(newline: str) -> None:
    source = newline.join(["import queue", "", "q = queue.Queue()", ""])
    [diagnostic] = lint_source(source.encode(), "a.py", settings_for()).diagnostics
    assert (diagnostic.line, diagnostic.column) == (3, 5)


def test_a_given_module_is_not_parsed_again(monkeypatch: pytest.MonkeyPatch) -> None:
    module = cst.parse_module(QUEUE)

    def fail(text: str) -> cst.Module:
        raise AssertionError("parsed again")

    monkeypatch.setattr(cst, "parse_module", fail)
    result = lint_source(QUEUE, "a.py", settings_for(), module=module)
    assert _codes(result) == [("MEM202", 2, 5)]
    assert result.parsed is True


# -- rules that crash -------------------------------------------------------------------------


def _raising(method: str, error: BaseException) -> Any:
    """A visitor method that raises; libcst only batches methods named visit_*/leave_*."""

    def method_that_raises(self: object, node: object) -> None:
        raise error

    method_that_raises.__name__ = method
    return method_that_raises


def test_an_exception_in_a_rule_is_an_error_naming_the_rules(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(UnboundedQueue, "visit_Call", _raising("visit_Call", RuntimeError("boom")))
    settings = settings_for(("MEM201", "MEM202"))
    result = lint_source(LRU + QUEUE, "crash.py", settings)
    assert result.errors == (
        "crash.py: internal error while running MEM201, MEM202: RuntimeError: boom",
    )
    assert result.diagnostics == ()
    assert result.parsed is True
    # The run goes on: the next file is analysed (only the rules it can trigger ran), and a
    # file the broken rule cannot fire on is not affected at all.
    assert lint_source(QUEUE, "next.py", settings).errors == (
        "next.py: internal error while running MEM202: RuntimeError: boom",
    )
    untouched = lint_source(LRU, "lru.py", settings)
    assert untouched.errors == ()
    assert _codes(untouched) == [("MEM201", 2, 2)]


def test_a_crash_in_leave_module_is_an_error_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        UnboundedQueue, "leave_Module", _raising("leave_Module", KeyError("missing"))
    )
    result = lint_source(QUEUE, "a.py", settings_for(("MEM202",)))
    assert result.errors == ("a.py: internal error while running MEM202: KeyError: 'missing'",)


def test_memory_error_in_a_rule_propagates(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        UnboundedLruCache, "visit_FunctionDef", _raising("visit_FunctionDef", MemoryError())
    )
    with pytest.raises(MemoryError):
        lint_source(LRU, "a.py", settings_for(("MEM201",)))


def test_recursion_error_in_a_rule_is_mem000(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        UnboundedLruCache, "visit_FunctionDef", _raising("visit_FunctionDef", RecursionError())
    )
    result = lint_source(LRU, "a.py", settings_for(("MEM201",)))
    assert [(d.code, d.message) for d in result.diagnostics] == [
        ("MEM000", "cannot analyse: the code is nested too deeply for Python's parser")
    ]
    assert result.errors == ()


def test_recursion_in_a_rule_is_retried_on_a_deep_stack(monkeypatch: pytest.MonkeyPatch) -> None:
    """The first RecursionError is retried with a higher limit; a tree that fits is analysed."""
    calls = []
    original = UnboundedLruCache.visit_FunctionDef

    def deep_once(self: UnboundedLruCache, node: cst.FunctionDef) -> None:
        calls.append(sys.getrecursionlimit())
        if len(calls) == 1:
            raise RecursionError
        original(self, node)

    deep_once.__name__ = "visit_FunctionDef"  # libcst finds visitor methods by __name__
    monkeypatch.setattr(UnboundedLruCache, "visit_FunctionDef", deep_once)
    before = sys.getrecursionlimit()
    result = lint_source(LRU, "a.py", settings_for(("MEM201",)))
    assert [d.code for d in result.diagnostics] == ["MEM201"]
    assert calls[0] == before and calls[1] > before
    assert sys.getrecursionlimit() == before


# -- what gets parsed and resolved --------------------------------------------------------------


class _Spy:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.parsed = 0
        self.requested: set[object] = set()
        parse = cst.parse_module
        resolve_many = MetadataWrapper.resolve_many

        def counting_parse(text: str) -> cst.Module:
            self.parsed += 1
            return parse(text)

        def recording_resolve_many(wrapper: MetadataWrapper, providers: Any) -> Any:
            self.requested.update(providers)
            return resolve_many(wrapper, providers)

        monkeypatch.setattr(cst, "parse_module", counting_parse)
        monkeypatch.setattr(MetadataWrapper, "resolve_many", recording_resolve_many)


def test_only_synthetic_rules_enabled_means_no_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    spy = _Spy(monkeypatch)
    source = "import queue\nq = queue.Queue()  # noqa: MEM202\nx = (\n"
    result = lint_source(source, "a.py", settings_for(("MEM900",)))
    assert spy.parsed == 0
    assert spy.requested == set()
    assert result.parsed is False
    assert all(d.code == "MEM900" for d in result.diagnostics)


def test_no_candidate_rule_means_no_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    spy = _Spy(monkeypatch)
    result = lint_source("x = 1\n", "a.py", settings_for())
    assert (spy.parsed, spy.requested, result.parsed) == (0, set(), False)


def test_names_the_tree_settles_need_no_scope_analysis(monkeypatch: pytest.MonkeyPatch) -> None:
    spy = _Spy(monkeypatch)
    result = lint_source(LRU, "a.py", settings_for(("MEM201",)))
    assert spy.parsed == 1
    assert _codes(result) == [("MEM201", 2, 2)]
    # `lru_cache` is bound once, by an import at module level: names.Heads answers.
    assert QualifiedNameProvider not in spy.requested
    assert ScopeProvider not in spy.requested
    assert ModuleConstantsProvider not in spy.requested


def test_providers_of_an_enabled_rule_are_resolved_when_asked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    spy = _Spy(monkeypatch)
    # Bound by an import and by an assignment: libcst's scope analysis decides.
    fallback = (
        "try:\n    from functools import lru_cache\nexcept ImportError:\n    lru_cache = None\n"
    )
    result = lint_source(fallback + LRU.split("\n", 1)[1], "a.py", settings_for(("MEM201",)))
    assert _codes(result) == [("MEM201", 5, 2)]
    # The rule's own providers, and what they depend on; positions are rendered a
    # top-level statement at a time (memlint/positions.py), never for the whole module.
    assert set(UnboundedLruCache.METADATA_DEPENDENCIES) - {PositionProvider} <= spy.requested
    assert PositionProvider not in spy.requested
    assert QualifiedNameProvider in spy.requested
    assert ScopeProvider in spy.requested
    assert ModuleConstantsProvider not in spy.requested


class _NeedsAssert(Rule):
    """A rule with no telling word whose evidence is an `ast` shape: an `assert`."""

    code = "MEM998"
    name = "needs-assert"
    summary = "A test rule with an ast-level pre-filter"
    asked: ClassVar[list[int]] = []

    @staticmethod
    def ast_candidate(tree: ast.Module) -> bool:
        _NeedsAssert.asked.append(len(tree.body))
        return any(isinstance(node, ast.Assert) for node in ast.walk(tree))

    def visit_Assert(self, node: cst.Assert) -> None:
        self.report(node, "an assert")


def test_ast_candidate_spares_the_libcst_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    spy = _Spy(monkeypatch)
    monkeypatch.setattr(registry, "rules_for", lambda codes: (_NeedsAssert,))
    monkeypatch.setattr(registry, "enabled_codes", lambda settings, path: {"MEM998"})
    _NeedsAssert.asked.clear()
    result = lint_source("x = 1\ny = 2\n", "a.py", settings_for())
    assert (spy.parsed, result.parsed, result.diagnostics) == (0, False, ())
    assert _NeedsAssert.asked == [2]  # asked once, with CPython's tree
    result = lint_source("assert x\n", "a.py", settings_for())
    assert spy.parsed == 1 and result.parsed
    assert [(d.code, d.line) for d in result.diagnostics] == [("MEM998", 1)]


def test_ast_candidate_is_not_asked_when_cpython_cannot_parse(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Syntax newer than this Python: CPython refuses, libcst may parse, the rule runs.
    monkeypatch.setattr(registry, "rules_for", lambda codes: (_NeedsAssert,))
    monkeypatch.setattr(registry, "enabled_codes", lambda settings, path: {"MEM998", "MEM000"})
    _NeedsAssert.asked.clear()
    lint_source("x = (\n", "a.py", settings_for())
    assert _NeedsAssert.asked == []


def test_rule_without_an_ast_filter_is_always_an_ast_candidate() -> None:
    assert not _PositionsOnly.has_ast_filter()
    assert _NeedsAssert.has_ast_filter()
    assert SwallowedMemoryError.has_ast_filter()  # through `ast_places`
    tree = ast.parse("x = 1\n")
    rules = (_PositionsOnly, _NeedsAssert, SwallowedMemoryError)
    assert engine.ast_candidate_rules(tree, rules) == [_PositionsOnly]


class _PositionsOnly(Rule):
    code = "MEM999"
    name = "positions-only"
    summary = "A test rule that needs positions only"
    triggers = ("needle",)
    seen: ClassVar[list[str]] = []

    def visit_Name(self, node: cst.Name) -> None:
        if node.value == "needle":
            self.seen.append(node.value)


def test_providers_no_enabled_rule_declares_are_not_resolved(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    spy = _Spy(monkeypatch)
    monkeypatch.setattr(registry, "rules_for", lambda codes: (_PositionsOnly,))
    _PositionsOnly.seen.clear()
    result = lint_source("needle = 1\n", "a.py", settings_for())
    assert result.parsed is True
    assert _PositionsOnly.seen == ["needle"]
    # Providers are resolved on first use: this rule never asks for one.
    assert spy.requested <= {PositionProvider}
    assert QualifiedNameProvider not in spy.requested
    assert ScopeProvider not in spy.requested


class _AsksForNamesOn(Rule):
    """Resolves qualified names only for a call to `ask`, as a guard clause would."""

    code = "MEM997"
    name = "asks-for-names"
    summary = "A test rule that needs names for one shape only"
    METADATA_DEPENDENCIES = (PositionProvider, QualifiedNameProvider)

    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Name) and node.func.value == "ask":
            self.get_metadata(QualifiedNameProvider, node.func, set())


class _AlsoAsks(_AsksForNamesOn):
    code = "MEM996"


def test_metadata_is_resolved_on_first_use_only(monkeypatch: pytest.MonkeyPatch) -> None:
    spy = _Spy(monkeypatch)
    monkeypatch.setattr(registry, "rules_for", lambda codes: (_AsksForNamesOn, _AlsoAsks))
    resolved: list[object] = []
    resolve = MetadataWrapper.resolve

    def recording_resolve(wrapper: MetadataWrapper, provider: Any) -> Any:
        if provider not in wrapper._metadata:
            resolved.append(provider)
        return resolve(wrapper, provider)

    monkeypatch.setattr(MetadataWrapper, "resolve", recording_resolve)
    lint_source("print(1)\n", "a.py", settings_for())
    assert spy.parsed == 1 and resolved == []  # no candidate: no scope analysis
    lint_source("ask(1)\nask(2)\n", "a.py", settings_for())
    assert resolved == [QualifiedNameProvider]  # once, shared by both rules


def test_candidate_rules() -> None:
    class Always(_PositionsOnly):
        triggers = ()

    rules = (registry.rules_by_code()["MEM000"], UnboundedQueue, UnboundedLruCache, Always)
    # Synthetic rules never run as visitors; a rule with no triggers always runs.
    assert engine.candidate_rules("x = 1\n", rules) == [Always]
    assert engine.candidate_rules("q = Queue()\n", rules) == [UnboundedQueue, Always]
    # Triggers are whole words.
    assert engine.candidate_rules("q = MyQueueish()\n", rules) == [Always]
    assert engine.candidate_rules("functools.lru_cache\n", rules) == [UnboundedLruCache, Always]


# -- per-file-ignores -----------------------------------------------------------------------------


def test_per_file_ignores(tmp_path: Path) -> None:
    settings = Settings(
        per_file_ignores=(("tests/*.py", ("MEM202",)), ("legacy/**", ("MEM2", "MEM000"))),
        root=str(tmp_path),
        cli_selection=Selection(select=("ALL",)),
    )
    source = QUEUE + LRU
    in_tests = str(tmp_path / "tests" / "test_a.py")
    in_src = str(tmp_path / "src" / "a.py")
    in_legacy = str(tmp_path / "legacy" / "deep" / "a.py")
    assert "MEM202" not in registry.enabled_codes(settings, in_tests)
    assert "MEM201" in registry.enabled_codes(settings, in_tests)
    assert {"MEM201", "MEM202"} <= registry.enabled_codes(settings, in_src)
    assert not {"MEM000", "MEM201", "MEM202"} & registry.enabled_codes(settings, in_legacy)
    assert [d.code for d in lint_source(source, in_tests, settings).diagnostics] == ["MEM201"]
    assert [d.code for d in lint_source(source, in_src, settings).diagnostics] == [
        "MEM202",
        "MEM201",
    ]
    assert lint_source(source, in_legacy, settings).diagnostics == ()
    # MEM000 is ignored there too.
    assert lint_source("import queue\nx = (\n", in_legacy, settings).diagnostics == ()


def test_per_file_ignores_with_a_relative_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    settings = Settings(per_file_ignores=(("gen_*.py", ("MEM202",)),))
    assert lint_source(QUEUE, "gen_a.py", settings).diagnostics == ()
    assert [d.code for d in lint_source(QUEUE, "a.py", settings).diagnostics] == ["MEM202"]
    # A pattern without a slash matches at any depth, as in .gitignore.
    assert lint_source(QUEUE, "pkg/gen_b.py", settings).diagnostics == ()


# -- parse_error -----------------------------------------------------------------------------------


def test_parse_error_diagnostic() -> None:
    diagnostic = engine.parse_error("p.py", "cannot parse", 3, 4)
    assert diagnostic == Diagnostic(
        path="p.py",
        line=3,
        column=4,
        end_line=3,
        end_column=4,
        code="MEM000",
        name="parse-error",
        message="cannot parse",
        severity=Severity.ERROR,
        confidence=Confidence.HIGH,
        fix=None,
        suggestion="Make the file valid Python in UTF-8 or its declared encoding, or exclude it",
    )


def test_fix_applicability_survives_into_the_result() -> None:
    [diagnostic] = lint_source(LRU, "a.py", settings_for(("MEM201",))).diagnostics
    assert diagnostic.fix is not None
    assert diagnostic.fix.applicability is Applicability.UNSAFE
    assert diagnostic.suggestion == diagnostic.fix.message == "Pass `maxsize=1024`"
