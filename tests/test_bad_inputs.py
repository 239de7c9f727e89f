"""The bad-input matrix (issue 7): what memlint does with each input that is not plain Python.

Every case gets a MEM000 or a clear exit-2 message, and the rest of the run goes on; only a
bad configuration or selection stops a run, before any file is read (docs/decisions.md,
"Bad input"). A case tested elsewhere is listed in `ELSEWHERE`, and a test below checks that
those tests still exist; the others are here, one named test each.
"""

from __future__ import annotations

import codecs
import ctypes
import importlib
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from memlint import cli, engine
from memlint.discovery import SourceFile
from memlint.settings import Settings
from tests.helpers import settings_for
from tests.test_cli import LRU, LRU_FIXED, check, line, write

SUM = "def total(xs):\n    return sum([x for x in xs])\n"
SUM_FIXED = SUM.replace("sum([x for x in xs])", "sum(x for x in xs)")
MEM404 = (
    "`sum([...])` builds the whole list before adding it up, so memory grows with the input; "
    "a generator holds one item at a time"
)

# Cases whose test lives with the code it tests: "module::test".
ELSEWHERE: dict[str, list[str]] = {
    "empty file": ["test_engine::test_empty_files", "test_engine::test_decode_empty"],
    "only a BOM": ["test_engine::test_empty_files", "test_engine::test_decode_bom_only"],
    "PEP 263 cookie with a non-UTF-8 encoding": [
        "test_engine::test_decode_pep263_latin1_cookie",
        "test_engine::test_decode_cookie_naming_a_codec_that_cannot_decode_source",
        "test_cli::test_bad_coding_cookie_is_mem000",
        "test_cli::test_fix_keeps_a_pep263_latin1_encoding",
    ],
    "undecodable bytes": [
        "test_engine::test_decode_invalid_utf8_position",
        "test_cli::test_undecodable_bytes_are_mem000",
        "test_cli::test_undecodable_bytes_are_mem000_even_without_a_trigger_word",
    ],
    "NUL bytes": ["test_engine::test_decode_nul_bytes", "test_cli::test_nul_bytes_are_mem000"],
    "CRLF line endings": ["test_cli::test_fix_keeps_line_endings"],
    "an expression nested 1,000 deep": [
        "test_engine::test_deeply_nested_expression_is_mem000_or_a_result",
        "test_engine::test_depths_that_crash_libcst_are_mem000_and_the_process_survives",
    ],
    "a path that does not exist": [
        "test_discovery::test_missing_path_is_an_error_and_later_arguments_still_run",
        "test_cli_subprocess::test_exit_2_for_a_missing_path_and_the_rest_is_reported",
    ],
    "a symlink loop": ["test_discovery::test_symlink_loop_argument_is_an_error"],
    "a directory named x.py": ["test_discovery::test_directory_named_like_a_python_file_is_walked"],
    "a config file with bad TOML": [
        "test_config::test_bad_toml_exits_2_naming_the_file",
        "test_config::test_bad_toml_in_an_unrelated_pyproject_on_the_way_up_exits_2",
        "test_config::test_config_that_is_not_utf8_exits_2",
    ],
    "a config file with an unknown key": [
        "test_config::test_unknown_key_in_pyproject_exits_2_naming_file_and_key",
        "test_cli_subprocess::test_exit_2_for_bad_config",
    ],
    "a config file with a wrong type": [
        "test_config::test_bad_value_exits_2_naming_file_key_and_what_is_accepted"
    ],
    "--select with an unknown code": [
        "test_cli::test_unknown_selector_exits_2",
        "test_cli_subprocess::test_exit_2_for_an_unknown_selector",
    ],
}


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The current folder, shielded from config files above it (an empty `.memlint.toml`)."""
    monkeypatch.chdir(tmp_path)
    write(tmp_path / ".memlint.toml", "")
    return tmp_path


def test_every_case_tested_elsewhere_still_has_its_test() -> None:
    for case, tests in ELSEWHERE.items():
        for test in tests:
            module, name = test.split("::")
            assert hasattr(importlib.import_module(f"tests.{module}"), name), (case, test)


# -- empty files, encodings, binary files ------------------------------------------------------


def test_empty_and_bom_only_files_are_clean_and_the_run_goes_on(project: Path) -> None:
    write("a_empty.py", b"")
    write("b_bom.py", codecs.BOM_UTF8)
    write("c.py", LRU)
    result = check()
    assert (result.exit_code, result.stdout) == (1, line("c.py"))


@pytest.mark.parametrize("codec", ["rot13", "hex", "punycode"])
def test_a_cookie_naming_a_codec_that_cannot_decode_source_is_mem000(
    project: Path, codec: str
) -> None:
    # Before issue 7 this was a traceback that ended the whole run.
    write("a.py", f"# -*- coding: {codec} -*-\n{LRU}".encode())
    write("b.py", LRU)
    result = check()
    assert result.exit_code == 1
    assert result.stdout.startswith("a.py:1:1: MEM000 cannot decode")
    assert result.stdout.endswith(line("b.py"))


@pytest.mark.parametrize(
    ("codec", "extra"),
    [("unicode_escape", ""), ("utf-7", "name = '+AOk-'\n")],
    ids=["unicode_escape", "utf-7"],
)
def test_fix_refuses_an_encoding_that_would_change_untouched_bytes(
    project: Path, codec: str, extra: str
) -> None:
    # Encoding the decoded text again would turn every line break into `\n` (unicode_escape)
    # or drop the `-` that ends a shifted run (utf-7): the fix would corrupt the file.
    data = f"# -*- coding: {codec} -*-\n{LRU}{extra}".encode()
    write("a.py", data)
    write("b.py", LRU)
    result = check("--fix", "--unsafe-fixes")
    assert result.exit_code == 2
    assert Path("a.py").read_bytes() == data
    assert Path("b.py").read_text() == LRU_FIXED
    assert result.stdout == line("a.py", row=4)
    assert result.stderr.startswith(
        f"memlint: a.py: cannot fix: the file's encoding ({codec}) does not re-encode it "
        "unchanged, so it is left as it is\n"
    )


@pytest.mark.parametrize(
    ("data", "said"),
    [
        (
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)),
            "1:1: MEM000 cannot decode: invalid start byte for utf-8 at byte 0",
        ),
        (
            b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03" + bytes(range(256)),
            "1:2: MEM000 cannot decode: invalid start byte for utf-8 at byte 1",
        ),
        (
            b"\x7fELF\x02\x01\x01\x00" + bytes(range(128)),  # ASCII but for its NULs
            "1:8: MEM000 cannot analyse: the file contains NUL bytes (binary?)",
        ),
    ],
    ids=["png", "gzip", "elf"],
)
def test_a_binary_file_named_py_is_mem000_and_the_run_goes_on(
    project: Path, data: bytes, said: str
) -> None:
    write("a.py", data * 4)
    write("b.py", LRU)
    result = check()
    assert result.exit_code == 1
    assert result.stdout == f"a.py:{said}\n" + line("b.py")


# -- line endings and tabs --------------------------------------------------------------------


def test_fix_keeps_mixed_line_endings_line_by_line(project: Path) -> None:
    before = b"x = 1\r\ny = sum([a for a in range(3)])\r\nz = 2\rw = 3\n" + SUM.encode()
    write("a.py", before)
    assert check("--fix").exit_code == 0
    assert Path("a.py").read_bytes() == (
        b"x = 1\r\ny = sum(a for a in range(3))\r\nz = 2\rw = 3\n" + SUM_FIXED.encode()
    )


def test_a_file_indented_with_tabs_is_analysed_and_fixed_keeping_its_tabs(project: Path) -> None:
    tabbed = SUM.replace("    ", "\t")
    write("a.py", tabbed)
    assert check().stdout == f"a.py:2:13: MEM404 {MEM404}\n"
    assert check("--fix").exit_code == 0
    assert Path("a.py").read_text() == SUM_FIXED.replace("    ", "\t")


def test_tabs_and_spaces_mixed_are_mem000_in_the_words_of_the_parser_that_refuses(
    project: Path,
) -> None:
    # Inconsistent for CPython (TabError), and consistent for CPython but not for libcst's
    # tokenizer (a tab after spaces): a MEM000 either way, and the run goes on.
    write("a.py", "def f(xs):\n\tif xs:\n\t\treturn 1\n        return sum([x for x in xs])\n")
    write("b.py", "def f(xs):\n\tif xs:\n        \treturn sum([x for x in xs])\n\treturn 0\n")
    write("c.py", LRU)
    result = check()
    assert result.exit_code == 1
    version = f"{sys.version_info[0]}.{sys.version_info[1]}"
    assert result.stdout == (
        "a.py:4:1: MEM000 SyntaxError: inconsistent use of tabs and spaces in indentation\n"
        f"b.py:1:1: MEM000 cannot parse with libcst (CPython {version} accepts it): "
        "tokenizer error: no matching outer block for dedent\n" + line("c.py")
    )


# -- size and depth ---------------------------------------------------------------------------


def _generated(size: int) -> str:
    """Generated code of more than `size` characters: many small handlers, then a finding."""
    handlers: list[str] = []
    total = 0
    while total <= size:
        number = len(handlers)
        handlers.append(
            f"def handler_{number}(request, value={number}):\n"
            f"    result = request.get('key_{number}', value)\n"
            f"    return result if result is not None else {number}\n\n\n"
        )
        total += len(handlers[-1])
    return "".join(handlers) + LRU


def test_a_20_mb_generated_file_is_mem000_without_being_parsed(project: Path) -> None:
    # Parsing it would take CPython 2.8 GB and libcst many minutes (see engine.MAX_CHARACTERS).
    write("a_generated.py", _generated(20_000_000))
    write("b.py", LRU)
    size = Path("a_generated.py").stat().st_size
    assert size > 20_000_000
    result = check("--no-cache")
    assert result.exit_code == 1
    assert result.stdout == (
        f"a_generated.py:1:1: MEM000 cannot analyse: the file holds {size:,} characters, more "
        "than the 5,000,000 memlint analyses (generated code belongs in `exclude`)\n" + line("b.py")
    )


def test_the_size_limit_counts_characters_and_is_inclusive(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(engine, "MAX_CHARACTERS", len(LRU))
    assert [d.code for d in engine.lint_source(LRU, "a.py", settings_for()).diagnostics] == [
        "MEM201"
    ]
    assert [d.code for d in engine.lint_source("é" + LRU, "a.py", settings_for()).diagnostics] == [
        "MEM000"
    ]
    ignored = Settings(ignore=("MEM000",))
    assert engine.lint_source("#" + LRU, "a.py", ignored).diagnostics == ()


def test_deeply_nested_files_do_not_stop_the_run(project: Path) -> None:
    """In one process (`--jobs 1`): libcst's recursion must not kill the run."""
    write("a_parens.py", "x = " + "(" * 1000 + "1" + ")" * 1000 + "\n")
    write("b_unary.py", "def f(a):\n    return " + "-" * 1000 + "sum([x for x in a])\n")
    write("c_calls.py", "x = f" + "()" * 1000 + "\n")
    write("d.py", LRU)
    done = subprocess.run(
        [sys.executable, "-m", "memlint", "check", "--jobs", "1", "--no-cache", "."],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert done.stdout == (
        "a_parens.py:1:205: MEM000 SyntaxError: too many nested parentheses\n"
        f"b_unary.py:2:1016: MEM404 {MEM404}\n" + line("d.py")
    )


# -- files that go away or cannot be read -------------------------------------------------------


def test_a_file_that_disappears_between_discovery_and_reading_is_mem000(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write("a.py", LRU)
    write("b_gone.py", LRU)
    write("c.py", LRU)
    discover = cli.iter_sources

    def vanishing(*args: object, **kwargs: object) -> Iterator[object]:
        for source in discover(*args, **kwargs):  # type: ignore[arg-type]
            if isinstance(source, SourceFile) and source.display == "b_gone.py":
                os.remove(source.path)
            yield source

    monkeypatch.setattr(cli, "iter_sources", vanishing)
    result = check()
    assert result.exit_code == 1
    assert result.stdout == (
        line("a.py")
        + "b_gone.py:1:1: MEM000 cannot read: No such file or directory\n"
        + line("c.py")
    )


def _without_root_file_access() -> None:
    """Run in the child before exec: root reads any file unless it gives up these powers."""
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
        if libc.prctl(24, capability, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permission bits")
def test_an_unreadable_file_is_mem000_and_the_run_goes_on(project: Path) -> None:
    write("a.py", LRU)
    locked = write("b_locked.py", LRU)
    write("c.py", LRU)
    locked.chmod(0)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "memlint", "check", "--no-cache", "."],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            # As root (CI containers), the child drops the powers that ignore file modes.
            preexec_fn=_without_root_file_access if os.geteuid() == 0 else None,
        )
    finally:
        locked.chmod(stat.S_IRUSR | stat.S_IWUSR)
    assert done.returncode == 1, done.stderr
    assert done.stdout == (
        line("a.py") + "b_locked.py:1:1: MEM000 cannot read: Permission denied\n" + line("c.py")
    )


def test_symlink_loops_are_an_error_when_named_and_skipped_in_a_walk(project: Path) -> None:
    os.symlink("loop_b", "loop_a")
    os.symlink("loop_a", "loop_b")
    write("pkg/a.py", LRU)
    os.symlink("self.py", "pkg/self.py")  # a file that is a link to itself
    result = check("loop_a", "pkg")
    assert result.exit_code == 2
    assert result.stdout == line(os.path.join("pkg", "a.py"))
    assert result.stderr.startswith(
        "memlint: error: loop_a: Too many levels of symbolic links (symlink loop)\n"
    )


def test_a_directory_named_x_py_is_walked(project: Path) -> None:
    write("x.py/inner.py", LRU)
    write("x.py/notes.txt", "not python")
    result = check("x.py")
    assert (result.exit_code, result.stdout) == (1, line(os.path.join("x.py", "inner.py")))


# -- fixes on files that do not parse -----------------------------------------------------------


def test_a_syntax_error_is_not_fixed_and_is_no_internal_error(project: Path) -> None:
    # MEM900 offers its fix from comments alone; found by fuzzing (issue 7).
    source = "x = (\ny = 1  # noqa: MEM201\n"
    write("a.py", source)
    result = check("--extend-select", "MEM900", "--fix")
    assert result.exit_code == 1
    assert Path("a.py").read_text() == source
    assert result.stdout == (
        "a.py:1:5: MEM000 SyntaxError: '(' was never closed\n"
        "a.py:2:16: MEM900 Unused `noqa` directive for `MEM201`\n"
    )
    assert "internal error" not in result.stderr
