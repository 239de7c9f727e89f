"""`memlint check / rules / explain` through click's CliRunner: exact output and exit codes."""

from __future__ import annotations

import ast
import io
import json
import os
import stat
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import memlint
from memlint.cli import main

LRU = "from functools import lru_cache\n\n@lru_cache(maxsize=None)\ndef f(x):\n    return x\n"
LRU_FIXED = LRU.replace("maxsize=None", "maxsize=1024")
MESSAGE = (
    "`functools.lru_cache(maxsize=None)` on `f` keeps every distinct argument and result "
    "for the life of the process"
)
FOUND_ONE = "Found 1 diagnostic in 1 file (1 with --fix --unsafe-fixes).\n"
CLEAN = "x = 1\n"
# A file with a syntax error must contain a trigger word, or it is never parsed.
BROKEN = "from functools import lru_cache\n\nx = (\n"
PAST = 1_000_000_000  # an mtime in 2001


def runner() -> CliRunner:
    """A runner that keeps stdout and stderr apart (click < 8.2 needs mix_stderr=False)."""
    try:
        return CliRunner(mix_stderr=False)  # type: ignore[call-arg]
    except TypeError:
        return CliRunner()


def check(*args: str, input: bytes | str | None = None) -> Result:
    return runner().invoke(main, ["check", *args], input=input, catch_exceptions=False)


def invoke(*args: str) -> Result:
    return runner().invoke(main, list(args), catch_exceptions=False)


def write(path: Path | str, text: str | bytes) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_bytes(text.encode("utf-8"))
    return path


def line(path: str, row: int = 3, column: int = 2, code: str = "MEM201", msg: str = MESSAGE) -> str:
    return f"{path}:{row}:{column}: {code} {msg}\n"


def syntax_error_line(path: str, source: str) -> str:
    """What MEM000 says for a syntax error: CPython's own message and position."""
    with pytest.raises(SyntaxError) as info:
        ast.parse(source)
    err = info.value
    return f"{path}:{err.lineno}:{err.offset}: MEM000 SyntaxError: {err.msg}\n"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty folder that is the current directory, with no config file above it that counts.

    A `.memlint.toml` at the top keeps any config in the machine's /tmp ancestry out.
    """
    monkeypatch.chdir(tmp_path)
    write(tmp_path / ".memlint.toml", "")
    return tmp_path


# -- exit codes and the summary ---------------------------------------------------------------


def test_clean_run_exits_0_and_says_all_checks_passed(project: Path) -> None:
    write("pkg/a.py", CLEAN)
    write("pkg/b.py", "from functools import lru_cache\n\n@lru_cache(maxsize=128)\ndef f(x): ...\n")
    result = check()
    assert result.exit_code == 0
    assert result.stdout == ""
    assert result.stderr == "All checks passed (2 files).\n"


def test_clean_run_of_one_file_says_file_singular(project: Path) -> None:
    write("a.py", CLEAN)
    result = check("a.py")
    assert (result.exit_code, result.stdout, result.stderr) == (
        0,
        "",
        "All checks passed (1 file).\n",
    )


def test_findings_exit_1_lines_on_stdout_summary_on_stderr(project: Path) -> None:
    write("pkg/a.py", LRU)
    result = check()
    assert result.exit_code == 1
    assert result.stdout == line("pkg/a.py")
    assert result.stderr == FOUND_ONE


def test_several_files_summary_counts_files(project: Path) -> None:
    write("a.py", LRU)
    write("b.py", LRU + "\n\n@lru_cache(None)\ndef g(y):\n    return y\n")
    write("c.py", CLEAN)
    result = check()
    message_g = (
        "`functools.lru_cache(maxsize=None)` on `g` keeps every distinct argument and result "
        "for the life of the process"
    )
    assert result.exit_code == 1
    assert result.stdout == line("a.py") + line("b.py") + line("b.py", 8, 2, msg=message_g)
    assert result.stderr == "Found 3 diagnostics in 2 files (3 with --fix --unsafe-fixes).\n"


def test_only_mem000_exits_1(project: Path) -> None:
    write("bad.py", BROKEN)
    result = check()
    assert result.exit_code == 1
    assert result.stdout == syntax_error_line("bad.py", BROKEN)
    assert result.stderr == "Found 1 diagnostic in 1 file.\n"


def test_missing_path_exits_2_names_it_and_other_paths_are_still_reported(project: Path) -> None:
    write("pkg/a.py", LRU)
    result = check("nope.py", "pkg", "missing/")
    assert result.exit_code == 2
    assert result.stdout == line("pkg/a.py")
    assert result.stderr == (
        "memlint: error: nope.py: No such file or directory\n"
        "memlint: error: missing/: No such file or directory\n"
        + FOUND_ONE
        + "2 errors (see above).\n"
    )


def test_missing_path_alone_exits_2(project: Path) -> None:
    result = check("nope.py")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        "memlint: error: nope.py: No such file or directory\n1 error (see above).\n"
    )


def test_exit_zero_with_findings(project: Path) -> None:
    write("a.py", LRU)
    result = check("--exit-zero")
    assert result.exit_code == 0
    assert result.stdout == line("a.py")
    assert result.stderr == FOUND_ONE


def test_exit_zero_does_not_hide_usage_errors(project: Path) -> None:
    write("a.py", LRU)
    assert check("--exit-zero", "a.py", "nope.py").exit_code == 2
    assert check("--exit-zero", "--select", "MEM999").exit_code == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--select", "MEM999"], "--select: `MEM999` matches no memlint rule"),
        (["--select", "FOO"], "--select: `FOO` is not a code, a prefix such as `MEM2`, or `ALL`"),
        (["--select", "MEM201,MEM999"], "--select: `MEM999` matches no memlint rule"),
        (["--ignore", "MEM7"], "--ignore: `MEM7` matches no memlint rule"),
        (
            ["--extend-select", "E501"],
            "--extend-select: `E501` is not a code, a prefix such as `MEM2`, or `ALL`",
        ),
    ],
)
def test_unknown_selector_exits_2(project: Path, args: list[str], message: str) -> None:
    write("a.py", LRU)
    result = check(*args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == f"memlint: error: {message}\n"


def test_fix_and_diff_together_exit_2(project: Path) -> None:
    write("a.py", LRU)
    result = check("--fix", "--diff")
    assert result.exit_code == 2
    assert result.stderr == "memlint: error: --fix and --diff cannot be used together\n"
    assert Path("a.py").read_text() == LRU


def test_unknown_format_is_a_usage_error(project: Path) -> None:
    write("a.py", LRU)
    result = check("--format", "xml")
    assert result.exit_code == 2
    assert result.stdout == ""


def test_quiet_prints_no_summary(project: Path) -> None:
    write("a.py", LRU)
    write("b.py", CLEAN)
    result = check("--quiet")
    assert (result.exit_code, result.stdout, result.stderr) == (1, line("a.py"), "")
    result = check("-q", "b.py")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")


def test_a_crashing_rule_is_an_internal_error_exit_2_and_the_run_goes_on(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from memlint.rules.mem201_unbounded_lru_cache import UnboundedLruCache

    # libcst finds visitor methods by their __name__, so the stand-in keeps the real name.
    def leave_ClassDef(self: object, original_node: object) -> None:
        raise RuntimeError("boom")

    write("a.py", LRU)
    write("b.py", b"from functools import lru_cache\nx = 1\x00\n")
    monkeypatch.setattr(UnboundedLruCache, "leave_ClassDef", leave_ClassDef)
    # A class with an unbounded cache: MEM201's pre-filters keep the file, so the rule runs.
    write("c.py", "from functools import lru_cache\n\nclass C:\n" + textwrap.indent(LRU, "    "))
    result = check()
    assert result.exit_code == 2
    assert result.stdout == line("a.py") + (
        "b.py:2:6: MEM000 cannot analyse: the file contains NUL bytes (binary?)\n"
    )
    assert result.stderr == (
        "memlint: c.py: internal error while running MEM201: RuntimeError: boom\n"
        "Found 2 diagnostics in 2 files (1 with --fix --unsafe-fixes).\n"
        "1 error (see above).\n"
    )


# -- text output: paths as typed, order, --show-source ------------------------------------------


@pytest.mark.parametrize(
    ("arg", "shown"),
    [
        (".", "pkg/a.py"),
        ("./pkg", "pkg/a.py"),
        ("pkg", "pkg/a.py"),
        ("pkg/", "pkg/a.py"),
        ("pkg/a.py", "pkg/a.py"),
        ("./pkg/a.py", "pkg/a.py"),
        ("pkg/../pkg/a.py", "pkg/a.py"),
    ],
)
def test_paths_are_shown_as_typed(project: Path, arg: str, shown: str) -> None:
    write("pkg/a.py", LRU)
    result = check(arg)
    assert result.stdout == line(shown.replace("/", os.sep))


def test_absolute_path_stays_absolute(project: Path) -> None:
    write("pkg/a.py", LRU)
    absolute = str(project.resolve() / "pkg")
    result = check(absolute)
    assert result.stdout == line(os.path.join(absolute, "a.py"))


def test_path_from_a_subfolder_keeps_dot_dot(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write("pkg/a.py", LRU)
    write("other/keep.py", CLEAN)
    monkeypatch.chdir(project / "other")
    result = check("../pkg")
    assert result.stdout == line(os.path.join("..", "pkg", "a.py"))


def test_text_lines_stream_in_discovery_order_and_sorted_within_a_file(project: Path) -> None:
    two = LRU + "\n\n@lru_cache(None)\ndef g(y):\n    return y\n"
    message_g = MESSAGE.replace("on `f`", "on `g`")
    write("b.py", two)
    write("a.py", LRU)
    write("sub/c.py", LRU)
    write("z.py", LRU)
    result = check()
    # A folder's files come before its subfolders, each sorted by name.
    assert result.stdout == (
        line("a.py")
        + line("b.py")
        + line("b.py", 8, 2, msg=message_g)
        + line("z.py")
        + line(os.path.join("sub", "c.py"))
    )
    # Arguments are handled in the order given.
    result = check("z.py", "a.py")
    assert result.stdout == line("z.py") + line("a.py")


def test_show_source_prints_the_line_carets_and_help(project: Path) -> None:
    write("a.py", LRU)
    result = check("--show-source")
    assert result.exit_code == 1
    assert result.stdout == (
        line("a.py")
        + "    @lru_cache(maxsize=None)\n"
        + "     ^^^^^^^^^^^^^^^^^^^^^^^\n"
        + "    help: Pass `maxsize=1024`\n"
    )
    assert result.stderr == FOUND_ONE


def test_show_source_for_a_suggestion_only_diagnostic(project: Path) -> None:
    source = "from cachetools import cached\n\n@cached(cache={})\ndef f(x):\n    return x\n"
    write("a.py", source)
    result = check("--show-source")
    assert result.stdout == (
        "a.py:3:2: MEM201 `cachetools.cached(cache={})` on `f` keeps every distinct argument "
        "and result for the life of the process\n"
        "    @cached(cache={})\n"
        "     ^^^^^^^^^^^^^^^^\n"
        "    help: Pass a bounded cache such as `cachetools.LRUCache(maxsize=1024)`\n"
    )
    assert result.stderr == "Found 1 diagnostic in 1 file.\n"


def test_show_source_with_an_undecodable_file_prints_the_diagnostic(project: Path) -> None:
    write("u.py", b'from functools import lru_cache\nx = "\xff"\n')
    result = check("--show-source")
    assert result.exit_code == 1
    assert result.stdout == (
        "u.py:2:6: MEM000 cannot decode: invalid start byte for utf-8 at byte 37\n"
        "    help: Make the file valid Python in UTF-8 or its declared encoding, or exclude it\n"
    )


# -- JSON output ----------------------------------------------------------------------------------

JSON_KEYS = [
    "path",
    "line",
    "column",
    "end_line",
    "end_column",
    "code",
    "name",
    "message",
    "severity",
    "confidence",
    "fix",
    "suggestion",
]


def lru_json(path: str, maxsize: int = 1024) -> dict[str, object]:
    return {
        "path": path,
        "line": 3,
        "column": 2,
        "end_line": 3,
        "end_column": 25,
        "code": "MEM201",
        "name": "unbounded-lru-cache",
        "message": MESSAGE,
        "severity": "warning",
        "confidence": "medium",
        "fix": {
            "applicability": "unsafe",
            "message": f"Pass `maxsize={maxsize}`",
            "edits": [
                {"line": 3, "column": 20, "end_line": 3, "end_column": 24, "content": str(maxsize)}
            ],
        },
        "suggestion": f"Pass `maxsize={maxsize}`",
    }


def test_json_is_one_array_with_exact_objects(project: Path) -> None:
    write("pkg/a.py", LRU)
    result = check("--format", "json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data == [lru_json(os.path.join("pkg", "a.py"))]
    assert list(data[0]) == JSON_KEYS
    assert result.stderr == FOUND_ONE


def test_json_edit_columns_are_one_based_and_end_exclusive(project: Path) -> None:
    write("a.py", LRU)
    [item] = json.loads(check("--format", "json").stdout)
    source_line = LRU.splitlines()[item["line"] - 1]
    flagged = source_line[item["column"] - 1 : item["end_column"] - 1]
    assert flagged == "lru_cache(maxsize=None)"
    [edit] = item["fix"]["edits"]
    assert source_line[edit["column"] - 1 : edit["end_column"] - 1] == "None"


def test_json_clean_run_is_an_empty_array(project: Path) -> None:
    write("a.py", CLEAN)
    result = check("--format", "json")
    assert (result.exit_code, result.stdout) == (0, "[]\n")
    assert result.stderr == "All checks passed (1 file).\n"


def test_json_quiet_is_still_the_array(project: Path) -> None:
    write("a.py", LRU)
    result = check("--format", "json", "--quiet")
    assert json.loads(result.stdout) == [lru_json("a.py")]
    assert result.stderr == ""


def test_json_mem000_has_null_fix_and_error_severity(project: Path) -> None:
    write("u.py", b'from functools import lru_cache\nx = "\xff\xfe"\n')
    [item] = json.loads(check("--format", "json").stdout)
    assert item == {
        "path": "u.py",
        "line": 2,
        "column": 6,
        "end_line": 2,
        "end_column": 6,
        "code": "MEM000",
        "name": "parse-error",
        "message": "cannot decode: invalid start byte for utf-8 at byte 37",
        "severity": "error",
        "confidence": "high",
        "fix": None,
        "suggestion": "Make the file valid Python in UTF-8 or its declared encoding, or exclude it",
    }


def test_json_suggestion_only_diagnostic_has_null_fix(project: Path) -> None:
    write("a.py", "from cachetools import cached\n\n@cached(cache={})\ndef f(x):\n    return x\n")
    [item] = json.loads(check("--format", "json").stdout)
    assert item["fix"] is None
    assert item["suggestion"] == "Pass a bounded cache such as `cachetools.LRUCache(maxsize=1024)`"
    assert (item["line"], item["column"], item["end_line"], item["end_column"]) == (3, 2, 3, 18)


def test_json_is_sorted_by_path_line_column_code_across_files(project: Path) -> None:
    many = (
        "from functools import lru_cache\n"
        "x = 1  # noqa: MEM201\n"
        "@lru_cache(maxsize=None)  # noqa: MEM201, MEM900\n"
        "def f(x):\n"
        "    return x\n"
        "@lru_cache(None)  # noqa: MEM000\n"
        "def g(x):\n"
        "    return x\n"
    )
    write("b.py", many)
    write("a.py", LRU)
    write("sub/z.py", LRU)
    write("c.py", BROKEN)
    # Arguments in reverse order: JSON output is sorted regardless.
    result = check("--format", "json", "--select", "ALL", "sub", "c.py", "b.py", "a.py")
    data = json.loads(result.stdout)
    keys = [(d["path"], d["line"], d["column"], d["code"]) for d in data]
    assert keys == sorted(keys)
    sub_z = os.path.join("sub", "z.py")
    assert keys == [
        ("a.py", 3, 2, "MEM201"),
        ("b.py", 2, 16, "MEM900"),
        ("b.py", 6, 2, "MEM201"),
        ("b.py", 6, 27, "MEM900"),
        ("c.py", 3, 5, "MEM000"),
        (sub_z, 3, 2, "MEM201"),
    ]
    assert all(list(d) == JSON_KEYS for d in data)
    assert result.exit_code == 1


# -- MEM000: files that cannot be analysed -------------------------------------------------------


def test_syntax_error_is_mem000_and_the_good_file_is_still_reported(project: Path) -> None:
    write("a_bad.py", BROKEN)
    write("b_good.py", LRU)
    result = check()
    assert result.exit_code == 1
    assert result.stdout == syntax_error_line("a_bad.py", BROKEN) + line("b_good.py")
    assert result.stderr == "Found 2 diagnostics in 2 files (1 with --fix --unsafe-fixes).\n"


def test_undecodable_bytes_are_mem000(project: Path) -> None:
    write("a_bad.py", b'from functools import lru_cache\nx = "\xff\xfe"\n')
    write("b_good.py", LRU)
    result = check()
    assert result.exit_code == 1
    assert result.stdout == (
        "a_bad.py:2:6: MEM000 cannot decode: invalid start byte for utf-8 at byte 37\n"
        + line("b_good.py")
    )


def test_undecodable_bytes_are_mem000_even_without_a_trigger_word(project: Path) -> None:
    write("a.py", b"x = '\xff'\n")
    result = check()
    assert result.exit_code == 1
    assert result.stdout == (
        "a.py:1:6: MEM000 cannot decode: invalid start byte for utf-8 at byte 5\n"
    )


def test_undecodable_byte_column_counts_characters(project: Path) -> None:
    write("a.py", 'from functools import lru_cache\nx = "é'.encode() + b'\xff"\n')
    result = check()
    assert result.stdout == (
        "a.py:2:7: MEM000 cannot decode: invalid start byte for utf-8 at byte 39\n"
    )


def test_nul_bytes_are_mem000(project: Path) -> None:
    write("a_bad.py", b"from functools import lru_cache\nx = 1\x00\n")
    write("b_good.py", LRU)
    result = check()
    assert result.exit_code == 1
    assert result.stdout == (
        "a_bad.py:2:6: MEM000 cannot analyse: the file contains NUL bytes (binary?)\n"
        + line("b_good.py")
    )


def test_bad_coding_cookie_is_mem000(project: Path) -> None:
    write("a.py", b"# -*- coding: no-such-codec -*-\nfrom functools import lru_cache\n")
    result = check()
    assert result.exit_code == 1
    assert result.stdout.startswith("a.py:1:1: MEM000 cannot decode: ")


def test_syntax_error_without_a_trigger_word_is_not_parsed(project: Path) -> None:
    # Documented decision: a file no enabled rule can fire on is never parsed.
    write("a.py", "x = (\n")
    result = check("--select", "MEM201,MEM202")
    assert (result.exit_code, result.stdout) == (0, "")


def test_syntax_error_is_reported_with_the_default_rules(project: Path) -> None:
    # MEM601 has no telling word: every file reaches CPython's parser, so none is skipped.
    write("a.py", "x = (\n")
    result = check()
    assert result.exit_code == 1
    assert result.stdout.startswith("a.py:1:5: MEM000 SyntaxError: ")


def test_blanket_noqa_does_not_hide_mem000_but_its_code_does(project: Path) -> None:
    source = "from functools import lru_cache\nx = (  # noqa\n"
    write("a.py", source)
    result = check()
    assert result.stdout == syntax_error_line("a.py", source)
    write("a.py", source.replace("# noqa", "# noqa: MEM000"))
    assert check().exit_code == 0


def test_mem000_is_reported_under_a_narrow_select_and_hidden_by_its_exact_code(
    project: Path,
) -> None:
    write("a.py", BROKEN)
    assert check("--select", "MEM201").stdout == syntax_error_line("a.py", BROKEN)
    result = check("--ignore", "MEM000")
    assert (result.exit_code, result.stdout) == (0, "")


# -- suppression ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "comment",
    [
        "# noqa",
        "# NOQA",
        "# noqa: MEM201",
        "# noqa:MEM201",
        "# noqa: MEM201 cache is keyed by an enum",
        "# noqa: E501, MEM201",
    ],
)
def test_noqa_on_the_reported_line_suppresses(project: Path, comment: str) -> None:
    write("a.py", LRU.replace("(maxsize=None)\n", f"(maxsize=None)  {comment}\n"))
    result = check()
    assert (result.exit_code, result.stdout) == (0, "")
    assert result.stderr == "All checks passed (1 file).\n"


@pytest.mark.parametrize("comment", ["# noqa: E501", "# noqa: MEM2", "# noqa: MEM202"])
def test_noqa_for_another_code_does_not_suppress(project: Path, comment: str) -> None:
    write("a.py", LRU.replace("(maxsize=None)\n", f"(maxsize=None)  {comment}\n"))
    result = check()
    assert (result.exit_code, result.stdout) == (1, line("a.py"))


def test_noqa_on_another_line_does_not_suppress(project: Path) -> None:
    write("a.py", LRU.replace("def f(x):", "def f(x):  # noqa: MEM201"))
    assert check().stdout == line("a.py")


@pytest.mark.parametrize(
    "directive",
    [
        "# memlint: disable-file",
        "# memlint: disable-file=MEM201",
        "# memlint: disable-file=MEM202,MEM201",
    ],
)
def test_disable_file_anywhere_suppresses(project: Path, directive: str) -> None:
    write("a.py", LRU + f"\n{directive}\n")
    result = check()
    assert (result.exit_code, result.stdout) == (0, "")


@pytest.mark.parametrize(
    "directive",
    [
        "# memlint: disable-file=MEM202",
        "# memlint: disable-file=MEM2",
        "# memlint: disable-file=",
        "# disable-file",
    ],
)
def test_disable_file_for_other_codes_does_not_suppress(project: Path, directive: str) -> None:
    write("a.py", f"{directive}\n" + LRU)
    result = check()
    assert result.stdout == line("a.py", 4)


def test_unused_noqa_is_reported_with_extend_select_mem900(project: Path) -> None:
    source = (
        "from functools import lru_cache\n"
        "\n"
        "@lru_cache(maxsize=128)  # noqa: MEM201\n"
        "def f(x):\n"
        "    return x\n"
    )
    write("a.py", source)
    assert check().exit_code == 0  # MEM900 is opt-in
    result = check("--extend-select", "MEM900")
    assert result.exit_code == 1
    assert result.stdout == "a.py:3:34: MEM900 Unused `noqa` directive for `MEM201`\n"
    assert result.stderr == "Found 1 diagnostic in 1 file (1 fixable with --fix).\n"


def test_fix_removes_an_unused_noqa(project: Path) -> None:
    source = (
        "from functools import lru_cache\n"
        "\n"
        "@lru_cache(maxsize=128)  # noqa: MEM201\n"
        "def f(x):\n"
        "    return x\n"
        "\n"
        "@lru_cache(maxsize=64)  # noqa: MEM201 keyed by enum\n"
        "def g(x):\n"
        "    return x\n"
        "\n"
        "@lru_cache(maxsize=None)  # noqa: MEM201\n"
        "def h(x):\n"
        "    return x\n"
    )
    write("a.py", source)
    result = check("--extend-select", "MEM900", "--fix")
    assert result.exit_code == 0
    assert result.stdout == ""
    assert result.stderr == "Fixed 2 diagnostics.\nAll checks passed (1 file).\n"
    assert Path("a.py").read_text() == (
        "from functools import lru_cache\n"
        "\n"
        "@lru_cache(maxsize=128)\n"
        "def f(x):\n"
        "    return x\n"
        "\n"
        "@lru_cache(maxsize=64)  # keyed by enum\n"
        "def g(x):\n"
        "    return x\n"
        "\n"
        "@lru_cache(maxsize=None)  # noqa: MEM201\n"
        "def h(x):\n"
        "    return x\n"
    )


def test_unknown_mem_code_in_noqa_is_reported_by_mem900(project: Path) -> None:
    write("a.py", "x = 1  # noqa: MEM999\n")
    result = check("--extend-select", "MEM900")
    assert result.stdout == "a.py:1:16: MEM900 Unknown code `MEM999` in `noqa` directive\n"


# -- selection ------------------------------------------------------------------------------------

UNUSED_NOQA = "x = 1  # noqa: MEM201\n"
UNUSED_LINE = "a.py:1:16: MEM900 Unused `noqa` directive for `MEM201`\n"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], line("a.py")),
        (["--select", "MEM2"], line("a.py")),
        (["--select", "MEM201"], line("a.py")),
        (["--select", "mem201"], line("a.py")),
        (
            ["--select", "MEM"],
            line("a.py") + "a.py:6:16: MEM900 Unused `noqa` directive for `MEM201`\n",
        ),
        (
            ["--select", "ALL"],
            line("a.py") + "a.py:6:16: MEM900 Unused `noqa` directive for `MEM201`\n",
        ),
        # MEM201 is off, so its noqa cannot be proved unused.
        (["--select", "MEM9"], ""),
        (["--ignore", "MEM201"], ""),
        (["--ignore", "MEM2"], ""),
        (["--select", "ALL", "--ignore", "MEM2"], ""),
        (["--select", "MEM2", "--ignore", "MEM201"], ""),
        (["--select", "MEM201", "--ignore", "MEM2"], line("a.py")),
        (
            ["--extend-select", "MEM900"],
            line("a.py") + "a.py:6:16: MEM900 Unused `noqa` directive for `MEM201`\n",
        ),
        (["--extend-select", "MEM900", "--ignore", "MEM201"], ""),
        (
            ["--select", "MEM900", "--extend-select", "MEM201"],
            line("a.py") + "a.py:6:16: MEM900 Unused `noqa` directive for `MEM201`\n",
        ),
    ],
)
def test_cli_selection(project: Path, args: list[str], expected: str) -> None:
    write("a.py", LRU + UNUSED_NOQA)
    result = check(*args)
    assert result.stdout == expected
    assert result.exit_code == (1 if expected else 0)


def test_ignored_code_in_noqa_is_not_reported_as_unused(project: Path) -> None:
    # MEM201 is off, so its noqa cannot be proved unused.
    write("a.py", UNUSED_NOQA)
    result = check("--extend-select", "MEM900", "--ignore", "MEM201")
    assert (result.exit_code, result.stdout) == (0, "")
    assert check("--select", "ALL").stdout == UNUSED_LINE


# -- fixes ----------------------------------------------------------------------------------------


def age(*paths: Path | str) -> None:
    for path in paths:
        os.utime(path, (PAST, PAST))


def mtime(path: Path | str) -> int:
    return os.stat(path).st_mtime_ns


def test_fix_alone_leaves_unsafe_fixes_alone(project: Path) -> None:
    write("a.py", LRU)
    age("a.py")
    result = check("--fix")
    assert result.exit_code == 1
    assert result.stdout == line("a.py")
    assert result.stderr == "1 diagnostic remains in 1 file (1 with --fix --unsafe-fixes).\n"
    assert Path("a.py").read_bytes() == LRU.encode()
    assert mtime("a.py") == PAST * 10**9


def test_fix_unsafe_rewrites_the_file_exactly(project: Path) -> None:
    write("a.py", LRU)
    result = check("--fix", "--unsafe-fixes")
    assert result.exit_code == 0
    assert result.stdout == ""
    assert result.stderr == "Fixed 1 diagnostic.\nAll checks passed (1 file).\n"
    assert Path("a.py").read_bytes() == LRU_FIXED.encode()


def test_fix_unsafe_is_idempotent(project: Path) -> None:
    write("a.py", LRU)
    assert check("--fix", "--unsafe-fixes").exit_code == 0
    age("a.py")
    result = check("--fix", "--unsafe-fixes")
    assert (result.exit_code, result.stdout) == (0, "")
    assert result.stderr == "All checks passed (1 file).\n"
    assert Path("a.py").read_bytes() == LRU_FIXED.encode()
    assert mtime("a.py") == PAST * 10**9


def test_fix_functools_cache_imports_lru_cache(project: Path) -> None:
    write(
        "a.py",
        "from functools import cache\n\n@cache\ndef f(x):\n    return x\n",
    )
    result = check("--fix", "--unsafe-fixes")
    assert result.exit_code == 0
    assert Path("a.py").read_text() == (
        "from functools import cache, lru_cache\n\n@lru_cache(maxsize=1024)\ndef f(x):\n"
        "    return x\n"
    )


def test_fix_leaves_what_it_cannot_fix_and_exits_1(project: Path) -> None:
    write("a.py", LRU)
    write("b.py", BROKEN)
    write("c.py", "from cachetools import cached\n\n@cached(cache={})\ndef f(x):\n    return x\n")
    result = check("--fix", "--unsafe-fixes")
    assert result.exit_code == 1
    assert result.stdout == (
        syntax_error_line("b.py", BROKEN)
        + "c.py:3:2: MEM201 `cachetools.cached(cache={})` on `f` keeps every distinct argument "
        "and result for the life of the process\n"
    )
    assert result.stderr == "Fixed 1 diagnostic.\n2 diagnostics remain in 2 files.\n"
    assert Path("a.py").read_text() == LRU_FIXED
    assert Path("b.py").read_text() == BROKEN


def test_diff_prints_a_unified_diff_and_changes_nothing(project: Path) -> None:
    write("pkg/a.py", LRU)
    age("pkg/a.py")
    result = check("--diff", "--unsafe-fixes")
    assert result.exit_code == 1
    path = "pkg/a.py".replace("/", os.sep)
    assert result.stdout == (
        f"--- a/{path}\n"
        f"+++ b/{path}\n"
        "@@ -1,5 +1,5 @@\n"
        " from functools import lru_cache\n"
        " \n"
        "-@lru_cache(maxsize=None)\n"
        "+@lru_cache(maxsize=1024)\n"
        " def f(x):\n"
        "     return x\n"
    )
    assert result.stderr == "Would fix 1 diagnostic.\n"
    assert Path("pkg/a.py").read_bytes() == LRU.encode()
    assert mtime("pkg/a.py") == PAST * 10**9


def test_diff_output_is_only_the_diff_whatever_the_format(project: Path) -> None:
    write("a.py", LRU)
    text = check("--diff", "--unsafe-fixes").stdout
    assert text.startswith("--- a/a.py\n")
    assert check("--diff", "--unsafe-fixes", "--format", "json").stdout == text


def test_unsafe_fixes_alone_only_changes_the_hint(project: Path) -> None:
    write("a.py", LRU)
    result = check("--unsafe-fixes")
    assert (result.exit_code, result.stdout) == (1, line("a.py"))
    assert result.stderr == "Found 1 diagnostic in 1 file (1 fixable with --fix).\n"
    assert Path("a.py").read_text() == LRU


def test_diff_without_unsafe_fixes_prints_nothing_and_exits_1(project: Path) -> None:
    write("a.py", LRU)
    result = check("--diff")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == "1 diagnostic would remain in 1 file (1 with --fix --unsafe-fixes).\n"


def test_diff_on_a_clean_tree_exits_0(project: Path) -> None:
    write("a.py", CLEAN)
    result = check("--diff", "--unsafe-fixes")
    assert (result.exit_code, result.stdout) == (0, "")


def test_diff_of_an_absolute_path_has_no_a_b_prefix(project: Path) -> None:
    target = write("a.py", LRU).resolve()
    result = check("--diff", "--unsafe-fixes", str(target))
    assert result.stdout.splitlines()[:2] == [f"--- {target}", f"+++ {target}"]


@pytest.mark.parametrize(
    ("before", "after"),
    [
        pytest.param(LRU.replace("\n", "\r\n"), LRU_FIXED.replace("\n", "\r\n"), id="crlf"),
        pytest.param(
            LRU.replace("\n", "\r"),
            LRU_FIXED.replace("\n", "\r"),
            id="cr",
        ),
    ],
)
def test_fix_keeps_line_endings(project: Path, before: str, after: str) -> None:
    write("a.py", before.encode())
    assert check("--fix", "--unsafe-fixes").exit_code == 0
    assert Path("a.py").read_bytes() == after.encode()


def test_fix_keeps_a_utf8_bom(project: Path) -> None:
    body = LRU + '\nname = "café"\n'
    write("a.py", b"\xef\xbb\xbf" + body.encode())
    assert check("--fix", "--unsafe-fixes").exit_code == 0
    expected = b"\xef\xbb\xbf" + body.replace("maxsize=None", "maxsize=1024").encode()
    assert Path("a.py").read_bytes() == expected


def test_fix_keeps_a_pep263_latin1_encoding(project: Path) -> None:
    body = "# -*- coding: latin-1 -*-\n" + LRU + '\nname = "café"\n'
    write("a.py", body.encode("latin-1"))
    result = check("--fix", "--unsafe-fixes")
    assert result.exit_code == 0
    expected = body.replace("maxsize=None", "maxsize=1024").encode("latin-1")
    assert Path("a.py").read_bytes() == expected


def test_fix_without_final_newline(project: Path) -> None:
    write("a.py", LRU.rstrip("\n"))
    assert check("--fix", "--unsafe-fixes").exit_code == 0
    assert Path("a.py").read_text() == LRU_FIXED.rstrip("\n")


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permission bits")
def test_fix_keeps_file_mode_and_leaves_no_temporary_files(project: Path) -> None:
    target = write("pkg/a.py", LRU)
    target.chmod(0o640)
    other = write("pkg/b.py", LRU)
    other.chmod(0o755)
    before = sorted(os.listdir("pkg"))
    assert check("--fix", "--unsafe-fixes").exit_code == 0
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o640
    assert stat.S_IMODE(os.stat(other).st_mode) == 0o755
    assert sorted(os.listdir("pkg")) == before
    assert not [name for name in os.listdir(project) if name.startswith(".memlint-")]
    assert target.read_text() == LRU_FIXED


def test_fix_does_not_rewrite_unchanged_files(project: Path) -> None:
    write("a.py", LRU)
    write("b.py", CLEAN)
    write("c.py", "from functools import lru_cache\n\n@lru_cache(maxsize=1)\ndef f(x): ...\n")
    write("d.py", BROKEN)
    age("a.py", "b.py", "c.py", "d.py")
    result = check("--fix", "--unsafe-fixes")
    assert result.exit_code == 1  # d.py's MEM000 remains
    assert mtime("a.py") != PAST * 10**9
    assert [mtime(name) for name in ("b.py", "c.py", "d.py")] == [PAST * 10**9] * 3


def test_fix_with_cache_maxsize_from_config(project: Path) -> None:
    write(".memlint.toml", "cache-maxsize = 50\n")
    write("a.py", LRU)
    assert check("--fix", "--unsafe-fixes").exit_code == 0
    assert Path("a.py").read_text() == LRU.replace("maxsize=None", "maxsize=50")


# -- standard input -------------------------------------------------------------------------------


def test_stdin_filename_reports_under_the_name(project: Path) -> None:
    result = check("--stdin-filename", "pkg/x.py", input=LRU.encode())
    assert result.exit_code == 1
    assert result.stdout == line("pkg/x.py")
    assert result.stderr == FOUND_ONE


def test_dash_reads_stdin(project: Path) -> None:
    result = check("-", input=LRU.encode())
    assert (result.exit_code, result.stdout) == (1, line("-"))
    result = check("-", input=CLEAN.encode())
    assert (result.exit_code, result.stdout) == (0, "")
    assert result.stderr == "All checks passed (1 file).\n"


def test_dash_with_stdin_filename(project: Path) -> None:
    result = check("--stdin-filename", "x.py", "-", input=LRU.encode())
    assert result.stdout == line("x.py")


def test_stdin_json(project: Path) -> None:
    result = check("--stdin-filename", "x.py", "--format", "json", input=LRU.encode())
    assert json.loads(result.stdout) == [lru_json("x.py")]


def test_stdin_does_not_read_files_of_the_folder(project: Path) -> None:
    write("a.py", LRU)
    result = check("--stdin-filename", "b.py", input=CLEAN.encode())
    assert (result.exit_code, result.stdout) == (0, "")


def test_stdin_fix_writes_only_the_fixed_source_to_stdout(project: Path) -> None:
    result = check("--fix", "--unsafe-fixes", "--stdin-filename", "x.py", input=LRU.encode())
    assert result.exit_code == 0
    assert result.stdout == LRU_FIXED
    assert result.stderr == "Fixed 1 diagnostic.\nAll checks passed (1 file).\n"
    assert os.listdir(project) == [".memlint.toml"]


def test_stdin_fix_with_nothing_to_fix_echoes_the_source(project: Path) -> None:
    # An editor replaces the buffer with stdout: it must never come back empty.
    result = check("--fix", "--stdin-filename", "x.py", input=LRU.encode())
    assert result.exit_code == 1
    assert result.stdout == LRU
    assert result.stderr == line("x.py") + (
        "1 diagnostic remains in 1 file (1 with --fix --unsafe-fixes).\n"
    )
    result = check("--fix", "--stdin-filename", "x.py", input=CLEAN.encode())
    assert (result.exit_code, result.stdout) == (0, CLEAN)


def test_stdin_fix_of_undecodable_input_echoes_it(project: Path) -> None:
    data = b'from functools import lru_cache\nx = "\xff"\n'
    result = check("--fix", "--unsafe-fixes", "--stdin-filename", "x.py", input=data)
    assert result.exit_code == 1
    assert result.stdout_bytes == data


def test_stdin_fix_with_statistics_keeps_stdout_for_the_source(project: Path) -> None:
    result = check("--fix", "--statistics", "--stdin-filename", "x.py", input=LRU.encode())
    assert result.stdout == LRU
    assert "     1  MEM201  unbounded-lru-cache  [1 fixable]\n" in result.stderr


def test_stdin_diff(project: Path) -> None:
    result = check("--diff", "--unsafe-fixes", "--stdin-filename", "x.py", input=LRU.encode())
    assert result.exit_code == 1
    assert result.stdout.splitlines()[:2] == ["--- a/x.py", "+++ b/x.py"]
    assert "+@lru_cache(maxsize=1024)\n" in result.stdout


@pytest.mark.parametrize("args", [["a.py"], ["a.py", "-"], ["."]])
def test_stdin_filename_with_a_path_exits_2(project: Path, args: list[str]) -> None:
    write("a.py", LRU)
    result = check("--stdin-filename", "x.py", *args, input=LRU.encode())
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        "memlint: error: --stdin-filename reads standard input; pass no other paths (or just `-`)\n"
    )


def test_dash_with_another_path_exits_2(project: Path) -> None:
    write("a.py", LRU)
    result = check("-", "a.py", input=LRU.encode())
    assert result.exit_code == 2


# -- --statistics ---------------------------------------------------------------------------------


def test_statistics_prints_counts_per_code(project: Path) -> None:
    write("a.py", LRU)
    write("b.py", LRU)
    write("c.py", BROKEN)
    write("d.py", "from cachetools import cached\n\n@cached(cache={})\ndef f(x):\n    return x\n")
    result = check("--statistics")
    assert result.exit_code == 1
    assert result.stdout == (
        "     3  MEM201  unbounded-lru-cache  [2 fixable]\n     1  MEM000  parse-error\n"
    )
    assert result.stderr == "Found 4 diagnostics in 4 files (2 with --fix --unsafe-fixes).\n"


def test_statistics_json(project: Path) -> None:
    write("a.py", LRU)
    write("c.py", BROKEN)
    result = check("--statistics", "--format", "json")
    assert json.loads(result.stdout) == [
        {"code": "MEM000", "name": "parse-error", "count": 1, "fixable": 0, "held_back": 0},
        {"code": "MEM201", "name": "unbounded-lru-cache", "count": 1, "fixable": 1, "held_back": 0},
    ]


# -- --min-confidence ---------------------------------------------------------------------------

# A cache of a function of one `bool`: two entries at most, a low-confidence finding.
FLAG_CACHE = (
    "from functools import lru_cache\n\n@lru_cache(maxsize=None)\ndef g(flag: bool):\n"
    "    return flag\n"
)
FLAG_MESSAGE = (
    "`functools.lru_cache(maxsize=None)` on `g` keeps every distinct argument and result for "
    "the life of the process; its parameters are all `bool`, enum or `Literal`, so it keeps a "
    "few entries"
)
HELD_ONE = "1 finding below medium confidence held back (`--min-confidence low` shows them).\n"


def test_low_confidence_findings_are_held_back_by_default(project: Path) -> None:
    write("a.py", LRU)
    write("b.py", FLAG_CACHE)
    result = check()
    assert (result.exit_code, result.stdout) == (1, line("a.py"))
    assert result.stderr == FOUND_ONE + HELD_ONE


def test_min_confidence_low_reports_everything(project: Path) -> None:
    write("a.py", LRU)
    write("b.py", FLAG_CACHE)
    result = check("--min-confidence", "low")
    assert result.stdout == line("a.py") + line("b.py", msg=FLAG_MESSAGE)
    assert "held back" not in result.stderr


def test_held_back_findings_alone_pass_the_run(project: Path) -> None:
    write("b.py", FLAG_CACHE)
    result = check()
    assert (result.exit_code, result.stdout) == (0, "")
    assert result.stderr == "All checks passed (1 file).\n" + HELD_ONE


def test_min_confidence_high_holds_back_medium_too(project: Path) -> None:
    write("a.py", LRU)
    write("b.py", FLAG_CACHE)
    result = check("--min-confidence", "high")
    assert (result.exit_code, result.stdout) == (0, "")
    assert result.stderr == (
        "All checks passed (2 files).\n2 findings below high confidence held back"
        " (`--min-confidence medium` or `low` shows them).\n"
    )


def test_min_confidence_from_the_config_file_and_the_flag_wins(project: Path) -> None:
    write(".memlint.toml", 'min-confidence = "low"\n')
    write("b.py", FLAG_CACHE)
    assert check().stdout == line("b.py", msg=FLAG_MESSAGE)
    assert check("--min-confidence", "medium").stdout == ""


def test_bad_min_confidence_is_a_usage_error(project: Path) -> None:
    assert check("--min-confidence", "certain").exit_code == 2
    write(".memlint.toml", 'min-confidence = "certain"\n')
    result = check()
    assert result.exit_code == 2
    assert "min-confidence" in result.stderr and "low, medium, high" in result.stderr


def test_statistics_say_how_many_were_held_back(project: Path) -> None:
    write("a.py", LRU)
    write("b.py", FLAG_CACHE)
    result = check("--statistics")
    assert result.stdout == (
        "     1  MEM201  unbounded-lru-cache  [1 fixable]  (1 below medium confidence held back)\n"
    )
    rows = json.loads(check("--statistics", "--format", "json").stdout)
    assert rows == [
        {"code": "MEM201", "name": "unbounded-lru-cache", "count": 1, "fixable": 1, "held_back": 1}
    ]


def test_one_cache_serves_every_threshold(project: Path) -> None:
    write("b.py", FLAG_CACHE)
    assert check().stdout == ""
    folders = {p.name for p in (project / ".memlint_cache").iterdir() if p.is_dir()}
    assert check("--min-confidence", "low").stdout == line("b.py", msg=FLAG_MESSAGE)
    assert {p.name for p in (project / ".memlint_cache").iterdir() if p.is_dir()} == folders


def test_fix_leaves_held_back_findings_alone(project: Path) -> None:
    write("b.py", FLAG_CACHE)
    check("--fix", "--unsafe-fixes")
    assert Path("b.py").read_text() == FLAG_CACHE
    check("--fix", "--unsafe-fixes", "--min-confidence", "low")
    assert Path("b.py").read_text() == FLAG_CACHE.replace("maxsize=None", "maxsize=1024")


def test_a_baseline_records_held_back_findings_too(project: Path) -> None:
    write("b.py", FLAG_CACHE)
    check("--write-baseline", "base.json")
    result = check("--baseline", "base.json", "--min-confidence", "low")
    assert (result.exit_code, result.stdout) == (0, "")
    assert "1 finding in the baseline not reported." in result.stderr


def test_test_code_is_low_confidence(project: Path) -> None:
    write("tests/test_a.py", LRU)
    write("test_b.py", LRU)
    write("conftest.py", LRU)
    result = check("--min-confidence", "low", "--format", "json")
    found = json.loads(result.stdout)
    assert [(d["path"], d["confidence"]) for d in found] == [
        ("conftest.py", "low"),
        ("test_b.py", "low"),
        ("tests/test_a.py", "low"),
    ]
    assert all(d["message"].endswith("; in test code, which runs on small inputs") for d in found)


def test_setup_py_is_low_confidence_and_look_alikes_are_not(project: Path) -> None:
    write("setup.py", LRU)
    # Shipped code whose names merely look like tests or a build script.
    write("pkg/testing/helpers.py", LRU)
    write("pkg/contest.py", LRU)
    write("pkg/setup_py.py", LRU)
    result = check("--min-confidence", "low", "--format", "json")
    found = json.loads(result.stdout)
    assert [(d["path"], d["confidence"]) for d in found] == [
        ("pkg/contest.py", "medium"),
        ("pkg/setup_py.py", "medium"),
        ("pkg/testing/helpers.py", "medium"),
        ("setup.py", "low"),
    ]
    assert found[-1]["message"].endswith("; in `setup.py`, which runs once at build time")


def test_statistics_on_a_clean_tree(project: Path) -> None:
    write("a.py", CLEAN)
    result = check("--statistics")
    assert (result.exit_code, result.stdout) == (0, "")


# -- rules, explain, --version, --help -----------------------------------------------------------


def test_rules_lists_every_rule_with_default_and_fix() -> None:
    result = invoke("rules")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["code", "name", "default", "fix", "summary"]
    rows = {row.split()[0]: row.split()[1:4] for row in lines[1:]}
    assert rows["MEM000"] == ["parse-error", "on", "none"]
    assert rows["MEM201"] == ["unbounded-lru-cache", "on", "unsafe"]
    assert rows["MEM900"] == ["unused-noqa", "opt-in", "safe"]
    codes = [row.split()[0] for row in lines[1:]]
    assert codes == sorted(codes)
    mem201 = next(row for row in lines if row.startswith("MEM201"))
    assert mem201.endswith("  A memoising cache with no bound on its size")


def test_explain_by_code_prints_the_documentation() -> None:
    result = invoke("explain", "MEM201")
    assert result.exit_code == 0
    assert result.stdout.startswith("# MEM201 unbounded-lru-cache\n")
    for section in ("## What it does\n", "## Why is this bad?\n", "## Example\n", "## Fix safety"):
        assert section in result.stdout
    assert "cache-maxsize" in result.stdout


@pytest.mark.parametrize("name", ["unbounded-lru-cache", "mem201", "Unbounded-LRU-Cache"])
def test_explain_by_name_or_lower_case(name: str) -> None:
    result = invoke("explain", name)
    assert result.exit_code == 0
    assert result.stdout == invoke("explain", "MEM201").stdout


@pytest.mark.parametrize("code", ["MEM999", "nope", "MEM2"])
def test_explain_unknown_code_exits_2(code: str) -> None:
    result = invoke("explain", code)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == f"memlint: error: unknown rule `{code}`; `memlint rules` lists them\n"


def test_version() -> None:
    result = invoke("--version")
    assert result.exit_code == 0
    assert result.stdout == f"memlint, version {memlint.__version__}\n"


@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help_lists_the_commands(flag: str) -> None:
    result = invoke(flag)
    assert result.exit_code == 0
    commands = result.stdout.split("Commands:\n", 1)[1].splitlines()
    assert [row.split()[0] for row in commands] == ["check", "explain", "rules", "server"]
    assert all(row.rstrip().endswith(".") for row in commands)


def test_check_help_lists_the_contract_flags() -> None:
    result = invoke("check", "--help")
    assert result.exit_code == 0
    for flag in (
        "--select",
        "--ignore",
        "--extend-select",
        "--format",
        "--fix",
        "--unsafe-fixes",
        "--diff",
        "--stdin-filename",
        "--config",
        "--isolated",
        "--no-cache",
        "--cache-dir",
        "--jobs",
        "--exit-zero",
        "--statistics",
        "--target-version",
        "--quiet",
        "--show-source",
        "--baseline",
        "--write-baseline",
    ):
        assert f" {flag}" in result.stdout
    formats = result.stdout.split("--format", 1)[1].split("]", 1)[0]
    assert formats.split("[", 1)[1].split("|") == [
        "text",
        "json",
        "sarif",
        "github",
        "grouped",
        "html",
    ]


# -- jobs and cache ---------------------------------------------------------------------------


def test_jobs_must_be_positive(project: Path) -> None:
    result = check("--jobs", "0", ".")
    assert result.exit_code == 2
    assert "--jobs" in result.stderr


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_jobs_same_output(project: Path, jobs: str) -> None:
    for number in range(5):
        write(project / f"m{number}.py", LRU if number % 2 else CLEAN)
    result = check("--no-cache", "--jobs", jobs, ".")
    assert result.exit_code == 1
    assert result.stdout == line("m1.py") + line("m3.py")


def test_cache_folder_default_and_no_cache(project: Path) -> None:
    write(project / "a.py", LRU)
    assert check("--no-cache", "a.py").exit_code == 1
    assert not (project / ".memlint_cache").exists()
    first = check("a.py")
    assert (project / ".memlint_cache" / ".gitignore").exists()
    second = check("a.py")
    assert first.stdout == second.stdout == line("a.py")
    assert second.exit_code == 1


def test_cache_dir_option(project: Path) -> None:
    write(project / "a.py", LRU)
    assert check("--cache-dir", "elsewhere", "a.py").stdout == line("a.py")
    assert list((project / "elsewhere").glob("*/*.json"))
    assert not (project / ".memlint_cache").exists()


# -- progress ---------------------------------------------------------------------------------


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_only_after_the_delay_and_cleared(monkeypatch: pytest.MonkeyPatch) -> None:
    from memlint import cli

    clock = [100.0]
    monkeypatch.setattr(cli.time, "monotonic", lambda: clock[0])
    terminal = _Terminal()
    monkeypatch.setattr(cli.sys, "stderr", terminal)
    progress = cli.Progress.for_terminal("text")
    progress.tick(1)
    assert terminal.getvalue() == ""  # a quick run never shows it
    clock[0] += 2.5
    progress.tick(40)
    clock[0] += 0.05
    progress.tick(41)  # too soon after the last one
    clock[0] += 0.5
    progress.tick(90)
    progress.clear()
    assert terminal.getvalue() == ("\rmemlint: 40 files checked\rmemlint: 90 files checked\r\x1b[K")


@pytest.mark.parametrize("output_format", ["json", "sarif", "github"])
def test_no_progress_for_machine_formats(
    monkeypatch: pytest.MonkeyPatch, output_format: str
) -> None:
    from memlint import cli

    monkeypatch.setattr(cli.sys, "stderr", _Terminal())
    assert cli.Progress.for_terminal(output_format).stream is None


def test_no_progress_when_stderr_is_not_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    from memlint import cli

    monkeypatch.setattr(cli.sys, "stderr", io.StringIO())
    assert cli.Progress.for_terminal("text").stream is None
