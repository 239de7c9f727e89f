"""The flake8 plugin through the real `flake8`: parity with `memlint check`, options, errors.

Parity is checked on every rule fixture and the demo except two, where flake8 differs by
design rather than by accident:

- `MEM000.py` is a file that does not parse. flake8 parses every file itself before any
  plugin runs and reports `E999`; the plugin never sees the file, so never says `MEM000`.
- `MEM900.py` is about unused `# noqa` codes. flake8 applies `# noqa` itself and never tells
  a plugin which comments suppressed something, so the plugin cannot report `MEM900`.

On every other file flake8 must report exactly what `memlint check --select ALL` reports:
same lines, columns, codes and messages. Both tools see every rule (`--select MEM` selects
explicitly in flake8, which overrides the plugin's default-ignore of opt-in rules, as `ALL`
does in memlint), and both apply `# noqa` comments the same way on these files (flake8 with
its own parser, memlint with its own).
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from memlint import registry
from memlint.flake8_plugin import MemlintChecker, flake8_options, settings_for

ROOT = Path(__file__).resolve().parents[1]
FLAKE8_DIFFERS_BY_DESIGN = {"MEM000", "MEM900"}
PARITY_FILES = [
    path.relative_to(ROOT).as_posix()
    for path in (
        *sorted((ROOT / "fixtures" / "rules").glob("*.py")),
        *sorted((ROOT / "fixtures" / "demo").glob("*.py")),
    )
    if path.stem not in FLAKE8_DIFFERS_BY_DESIGN
]
# flake8's default format: `%(path)s:%(row)d:%(col)d: %(code)s %(text)s`, col 1-based.
FLAKE8_LINE = re.compile(r"^(?P<path>.+?):(?P<line>\d+):(?P<col>\d+): (?P<code>\S+) (?P<text>.*)$")

LRU = "from functools import lru_cache\n\n\n@lru_cache(maxsize=None)\ndef f(x):\n    return x\n"
LRU_MESSAGE = (
    "`functools.lru_cache(maxsize=None)` on `f` keeps every distinct argument and result "
    "for the life of the process"
)
LRU_FINDING = f"4:2: MEM201 {LRU_MESSAGE}"
QUEUE = "from queue import Queue\n\njobs = Queue()\n"

Finding = tuple[int, int, str, str]  # line, 1-based column, code, message


def run(*args: str, cwd: Path, stdin: bytes = b"") -> subprocess.CompletedProcess[str]:
    completed = subprocess.run(
        [sys.executable, *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
        timeout=300,
        check=False,
    )
    return subprocess.CompletedProcess(
        completed.args,
        completed.returncode,
        completed.stdout.decode("utf-8"),
        completed.stderr.decode("utf-8"),
    )


def flake8(*args: str, cwd: Path, stdin: bytes = b"") -> subprocess.CompletedProcess[str]:
    return run("-m", "flake8", *args, cwd=cwd, stdin=stdin)


def memlint(*args: str, cwd: Path, stdin: bytes = b"") -> subprocess.CompletedProcess[str]:
    return run("-m", "memlint", *args, cwd=cwd, stdin=stdin)


def flake8_findings(result: subprocess.CompletedProcess[str]) -> dict[str, set[Finding]]:
    found: dict[str, set[Finding]] = defaultdict(set)
    for line in result.stdout.splitlines():
        match = FLAKE8_LINE.match(line)
        assert match is not None, f"not flake8's default format: {line!r}"
        found[os.path.normpath(match["path"])].add(
            (int(match["line"]), int(match["col"]), match["code"], match["text"])
        )
    return found


def memlint_findings(result: subprocess.CompletedProcess[str]) -> dict[str, set[Finding]]:
    found: dict[str, set[Finding]] = defaultdict(set)
    for d in json.loads(result.stdout):
        if d["code"] in FLAKE8_DIFFERS_BY_DESIGN:
            continue
        found[os.path.normpath(d["path"])].add((d["line"], d["column"], d["code"], d["message"]))
    return found


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A folder shielded from memlint config files above it (an empty `.memlint.toml`)."""
    (tmp_path / ".memlint.toml").write_text("")
    return tmp_path


# -- parity with `memlint check` ---------------------------------------------------------------


@pytest.fixture(scope="module")
def both_tools() -> tuple[dict[str, set[Finding]], dict[str, set[Finding]]]:
    """One run of each tool over every parity file (flake8 with its default parallelism)."""
    by_flake8 = flake8("--isolated", "--select", "MEM", *PARITY_FILES, cwd=ROOT)
    assert by_flake8.returncode in (0, 1), by_flake8.stdout + by_flake8.stderr
    assert by_flake8.stderr == ""
    by_memlint = memlint(
        "check", "--select", "ALL", "--format", "json", "--no-cache", *PARITY_FILES, cwd=ROOT
    )
    assert by_memlint.returncode in (0, 1), by_memlint.stderr
    return flake8_findings(by_flake8), memlint_findings(by_memlint)


def test_parity_files_have_findings(
    both_tools: tuple[dict[str, set[Finding]], dict[str, set[Finding]]],
) -> None:
    # Guards the comparison below from passing because both sides are empty.
    _, by_memlint = both_tools
    assert "fixtures/demo/ingest.py" in PARITY_FILES
    assert sum(len(found) for found in by_memlint.values()) >= len(PARITY_FILES)


@pytest.mark.parametrize("path", PARITY_FILES)
def test_flake8_reports_what_memlint_check_reports(
    both_tools: tuple[dict[str, set[Finding]], dict[str, set[Finding]]], path: str
) -> None:
    by_flake8, by_memlint = both_tools
    key = os.path.normpath(path)
    assert sorted(by_flake8.get(key, set())) == sorted(by_memlint.get(key, set()))


# -- it works out of the box -------------------------------------------------------------------


def test_select_mem_with_no_configuration(tmp_path: Path) -> None:
    (tmp_path / "bad.py").write_text(LRU)
    result = flake8("--select", "MEM", "bad.py", cwd=tmp_path)
    assert (result.returncode, result.stdout, result.stderr) == (1, f"bad.py:{LRU_FINDING}\n", "")


def test_mem_is_selected_by_default(tmp_path: Path) -> None:
    # Without --select, flake8 runs every installed plugin: MEM is among them.
    (tmp_path / "bad.py").write_text(LRU)
    result = flake8("bad.py", cwd=tmp_path)
    assert f"bad.py:{LRU_FINDING}" in result.stdout.splitlines()
    assert result.returncode == 1


def test_plugin_is_registered_under_mem(tmp_path: Path) -> None:
    result = flake8("--version", cwd=tmp_path)
    assert "memlint: " in result.stdout


def test_standard_input_with_a_display_name(project: Path) -> None:
    # What editors do (VS Code's Flake8 extension): the unsaved buffer on stdin.
    args = ["--select", "MEM", "--stdin-display-name", "pkg/bad.py", "-"]
    result = flake8(*args, cwd=project, stdin=LRU.encode())
    assert (result.returncode, result.stdout) == (1, f"pkg/bad.py:{LRU_FINDING}\n")


# -- columns and encodings ---------------------------------------------------------------------

ENCODED = {
    "bom": b"\xef\xbb\xbfimport queue; jobs = queue.Queue()\n",
    "latin-1 cookie": (
        "# -*- coding: latin-1 -*-\nimport queue\nnom = 'été'; jobs = queue.Queue()\n"
    ).encode("latin-1"),
    "utf-8 wide characters": "import queue\nnom = '日本語'; jobs = queue.Queue()\n".encode(),
    "crlf": b"import queue\r\n\r\nx = (1,\r\n     queue.Queue())\r\n",
    "tabs": b"import queue\nif True:\n\tjobs = queue.Queue()\n",
}


@pytest.mark.parametrize("data", ENCODED.values(), ids=ENCODED.keys())
def test_columns_agree_whatever_the_encoding(project: Path, data: bytes) -> None:
    (project / "enc.py").write_bytes(data)
    by_flake8 = flake8("--isolated", "--select", "MEM", "enc.py", cwd=project)
    by_memlint = memlint("check", "--format", "json", "enc.py", cwd=project)
    expected = memlint_findings(by_memlint)["enc.py"]
    assert expected, by_memlint.stderr
    assert flake8_findings(by_flake8)["enc.py"] == expected


# -- what flake8 decides, not the plugin -------------------------------------------------------


def test_memlint_selection_in_config_does_not_filter_the_plugin(tmp_path: Path) -> None:
    # memlint's own selection is for `memlint check`; under flake8, flake8's options decide.
    (tmp_path / "pyproject.toml").write_text(
        '[tool.memlint]\nselect = ["MEM202"]\nper-file-ignores = { "*.py" = ["MEM201"] }\n'
    )
    (tmp_path / "bad.py").write_text(LRU)
    result = flake8("--select", "MEM", "bad.py", cwd=tmp_path)
    assert result.stdout == f"bad.py:{LRU_FINDING}\n"


def test_flake8_selection_and_per_file_ignores_apply(tmp_path: Path) -> None:
    (tmp_path / "bad.py").write_text(LRU + QUEUE)
    found = flake8("--select", "MEM202", "bad.py", cwd=tmp_path).stdout
    assert [line.split()[1] for line in found.splitlines()] == ["MEM202"]
    ignored = flake8("--select", "MEM", "--per-file-ignores", "bad.py:MEM2", "bad.py", cwd=tmp_path)
    assert (ignored.returncode, ignored.stdout) == (0, "")


def test_noqa_is_applied_by_flake8_not_by_the_plugin(tmp_path: Path) -> None:
    source = LRU.replace("(maxsize=None)", "(maxsize=None)  # noqa: MEM201")
    (tmp_path / "bad.py").write_text(source)
    hidden = flake8("--select", "MEM", "bad.py", cwd=tmp_path)
    assert (hidden.returncode, hidden.stdout) == (0, "")
    # If the plugin also applied memlint's noqa, flake8's --disable-noqa could not show it.
    shown = flake8("--select", "MEM", "--disable-noqa", "bad.py", cwd=tmp_path)
    assert (shown.returncode, shown.stdout) == (1, f"bad.py:{LRU_FINDING}\n")


def test_memlint_disable_file_is_honoured(tmp_path: Path) -> None:
    # memlint's own directive: flake8 does not know it, so the plugin applies it.
    (tmp_path / "bad.py").write_text("# memlint: disable-file=MEM201\n" + LRU + QUEUE)
    result = flake8("--select", "MEM", "--disable-noqa", "bad.py", cwd=tmp_path)
    assert [line.split()[1] for line in result.stdout.splitlines()] == ["MEM202"]


def test_syntax_error_is_flake8s_e999_not_mem000(tmp_path: Path) -> None:
    # `lru_cache` is in the text, so memlint would parse the file and report MEM000.
    (tmp_path / "broken.py").write_text("from functools import lru_cache\nf = lru_cache(\n")
    result = flake8("--select", "E999,MEM", "broken.py", cwd=tmp_path)
    codes = [line.split()[1] for line in result.stdout.splitlines()]
    assert codes == ["E999"]


def test_a_file_only_libcst_rejects_yields_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    # flake8's own parse passed, so there is no E999; memlint's MEM000 is not a flake8 code.
    from memlint import engine

    monkeypatch.setattr(
        engine,
        "_parse",
        lambda text, path, verdict, reduced=None: engine.parse_error(
            path, "cannot parse with libcst"
        ),
    )
    monkeypatch.setattr(MemlintChecker, "overrides", {})
    checker = MemlintChecker(ast.parse(LRU), "bad.py", LRU.splitlines(keepends=True))
    assert list(checker.run()) == []


def test_unused_noqa_is_never_reported(tmp_path: Path) -> None:
    (tmp_path / "stale.py").write_text("x = 1  # noqa: MEM201\n")
    result = flake8("--select", "MEM", "stale.py", cwd=tmp_path)
    assert (result.returncode, result.stdout) == (0, "")


# -- opt-in rules --------------------------------------------------------------------------------


class RecordingOptionManager:
    def __init__(self) -> None:
        self.flags: list[str] = []
        self.default_ignore: list[str] = []

    def add_option(self, *args: str, **kwargs: Any) -> None:
        assert kwargs["parse_from_config"] is True
        self.flags.extend(args)

    def extend_default_ignore(self, codes: list[str]) -> None:
        self.default_ignore.extend(codes)


def test_opt_in_rules_are_default_ignored_except_the_unreported_mem900() -> None:
    manager = RecordingOptionManager()
    MemlintChecker.add_options(manager)
    opt_in = {code for code, rule in registry.rules_by_code().items() if not rule.default_enabled}
    assert registry.UNUSED_NOQA_CODE in opt_in
    assert sorted(manager.default_ignore) == sorted(opt_in - {registry.UNUSED_NOQA_CODE})
    assert manager.flags == [f"--memlint-{spec.key}" for _, spec in flake8_options()]


@pytest.mark.parametrize(
    ("args", "shown"),
    [
        ([], ["MEM201"]),
        (["--select", "MEM"], ["MEM201", "MEM202"]),
        (["--select", "MEM2"], ["MEM201", "MEM202"]),
        (["--extend-select", "MEM202"], ["MEM201", "MEM202"]),
    ],
    ids=["default", "select-MEM", "select-prefix", "extend-select"],
)
def test_an_opt_in_rule_is_shown_only_when_flake8_selects_it(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    shown: list[str],
) -> None:
    # No opt-in rule other than MEM900 may exist yet, so MEM202 stands in for one: the real
    # flake8, in this process, with MEM202 taken out of memlint's defaults.
    from flake8.main import cli

    defaults = registry.default_codes()
    monkeypatch.setattr(registry, "default_codes", lambda: defaults - {"MEM202"})
    monkeypatch.setattr(MemlintChecker, "overrides", {})
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.py").write_text(LRU + QUEUE)
    cli.main(["--isolated", "--jobs=1", *args, "bad.py"])
    codes = [line.split()[1] for line in capsys.readouterr().out.splitlines()]
    # Without --select, other plugins report too (pycodestyle's E402 here).
    assert [code for code in codes if code.startswith("MEM")] == shown


# -- options -------------------------------------------------------------------------------------


def test_help_lists_every_flake8_option(tmp_path: Path) -> None:
    result = flake8("--help", cwd=tmp_path)
    assert result.returncode == 0
    flags = [f"--memlint-{spec.key}" for _, spec in flake8_options()]
    assert "--memlint-cache-maxsize" in flags
    for flag in flags:
        assert flag in result.stdout


FLAG_CACHE = (
    "from functools import lru_cache\n\n\n@lru_cache(maxsize=None)\ndef g(flag: bool):\n    ...\n"
)


def test_min_confidence_decides_what_flake8_is_shown(tmp_path: Path) -> None:
    # A cache of one `bool` keeps two entries: a low-confidence finding, held back by default.
    (tmp_path / "flags.py").write_text(FLAG_CACHE)
    assert flake8("--select", "MEM", "flags.py", cwd=tmp_path).stdout == ""
    shown = flake8("--select", "MEM", "--memlint-min-confidence", "low", "flags.py", cwd=tmp_path)
    assert shown.stdout.startswith("flags.py:4:2: MEM201 ")
    (tmp_path / "pyproject.toml").write_text('[tool.memlint]\nmin-confidence = "low"\n')
    assert flake8("--select", "MEM", "flags.py", cwd=tmp_path).stdout == shown.stdout
    bad = flake8("--select", "MEM", "--memlint-min-confidence", "sure", "flags.py", cwd=tmp_path)
    assert bad.returncode == 2 and "expected one of low, medium, high" in bad.stderr


def test_cache_maxsize_option_is_accepted(tmp_path: Path) -> None:
    (tmp_path / "bad.py").write_text(LRU)
    result = flake8("--select", "MEM", "--memlint-cache-maxsize", "64", "bad.py", cwd=tmp_path)
    assert (result.returncode, result.stdout, result.stderr) == (1, f"bad.py:{LRU_FINDING}\n", "")


@pytest.mark.parametrize("where", ["command line", "flake8 config"])
def test_bad_flake8_option_value_is_a_usage_error(tmp_path: Path, where: str) -> None:
    (tmp_path / "bad.py").write_text(LRU)
    args = ["--select", "MEM", "bad.py"]
    if where == "command line":
        args = ["--memlint-cache-maxsize=0", *args]
    else:
        (tmp_path / "setup.cfg").write_text("[flake8]\nmemlint-cache-maxsize = 0\n")
    result = flake8(*args, cwd=tmp_path)
    assert result.returncode == 2
    assert (
        "flake8: error: argument --memlint-cache-maxsize: expected an integer >= 1, got 0"
        in result.stderr
    )


def test_bad_memlint_config_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.memlint]\ncache-maxsize = "bad"\n')
    (tmp_path / "bad.py").write_text(LRU)
    result = flake8("--select", "MEM", "bad.py", cwd=tmp_path)
    assert result.returncode == 1
    config = tmp_path / "pyproject.toml"
    assert (
        f'bad.py: "memlint[MEM]" failed during execution due to bad configuration: {config}: '
        "[tool.memlint]: `cache-maxsize`: expected an integer >= 1, got 'bad'"
    ) in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_options_reach_the_rules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """flake8's options (command line, then its config file) win over [tool.memlint], which
    wins over the defaults; the value reaches the rule (MEM201's fix writes the bound)."""
    from flake8.options.parse_args import parse_args

    monkeypatch.setattr(MemlintChecker, "overrides", {})
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text(
        '[tool.memlint]\ncache-maxsize = 64\nqueue-maxsize = 7\ntarget-version = "py310"\n'
    )
    (tmp_path / "setup.cfg").write_text("[flake8]\nmemlint-queue-maxsize = 9\n")
    parse_args(["--memlint-cache-maxsize", "32", "bad.py"])
    assert MemlintChecker.overrides == {"cache_maxsize": 32, "queue_maxsize": 9}

    settings = settings_for(str(tmp_path / "bad.py"), MemlintChecker.overrides)
    assert (settings.cache_maxsize, settings.queue_maxsize, settings.target_version) == (
        32,
        9,
        "py310",
    )
    source = LRU + QUEUE
    checker = MemlintChecker(ast.parse(source), "bad.py", source.splitlines(keepends=True))
    fixes = {d.code: [edit.content for edit in d.fix.edits] for d in checker.diagnostics if d.fix}
    assert fixes == {"MEM201": ["32"], "MEM202": ["maxsize=9"]}
    # flake8's tuple: 0-based column, "CODE message", the plugin's type.
    assert list(checker.run()) == [
        (4, 1, f"MEM201 {LRU_MESSAGE}", MemlintChecker),
        (9, 7, f"MEM202 {checker.diagnostics[1].message}", MemlintChecker),
    ]


# -- docs/editors.md -------------------------------------------------------------------------------


def test_problem_matcher_in_the_docs_reads_memlint_text_output(project: Path) -> None:
    docs = (ROOT / "docs" / "editors.md").read_text()
    block = re.search(r"```json\n(\{\n  \"problemMatcher\".*?)```", docs, re.DOTALL)
    assert block is not None
    (pattern,) = json.loads(block[1])["problemMatcher"][0]["pattern"]
    # The VS Code task uses the same expression.
    assert json.dumps(pattern["regexp"]) in docs.replace(block[1], "")
    (project / "pkg").mkdir()
    (project / "pkg" / "bad.py").write_text(LRU)
    output = memlint("check", "--quiet", "pkg/bad.py", cwd=project).stdout.splitlines()
    match = re.match(pattern["regexp"], output[0])
    assert match is not None
    fields = {key: match[pattern[key]] for key in ("file", "line", "column", "code", "message")}
    assert fields == {
        "file": "pkg/bad.py",
        "line": "4",
        "column": "2",
        "code": "MEM201",
        "message": LRU_MESSAGE,
    }
