"""--write-baseline / --baseline: record today's findings, then report only the new ones."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.test_cli import check, project, write

__all__ = ["project"]  # the fixture, used by name

OLD = textwrap.dedent(
    """\
    import functools
    import queue


    @functools.lru_cache(maxsize=None)
    def lookup(key):
        return key


    class Pipeline:
        def __init__(self):
            self.outbox = queue.Queue()
    """
)
NEW_FUNCTION = textwrap.dedent(
    """\


    @functools.lru_cache(maxsize=None)
    def another(key):
        return key
    """
)
LOOKUP = (
    "`functools.lru_cache(maxsize=None)` on `lookup` keeps every distinct argument and result "
    "for the life of the process"
)
ANOTHER = LOOKUP.replace("`lookup`", "`another`")
QUEUE = "`queue.Queue()` has no `maxsize`, so producers can outrun consumers until memory runs out"


CLEAN_WITH_TWO_KNOWN = "All checks passed (1 file).\n2 findings in the baseline not reported.\n"


def moved_by_twenty(source: str) -> str:
    """The same code 20 lines further down, behind an unrelated edit."""
    header = '"""A module docstring that grew."""\n' + "".join(
        f"SETTING_{number} = {number}\n" for number in range(19)
    )
    return header + source


def test_round_trip_reports_only_the_new_finding_after_the_old_code_moved(project: Path) -> None:
    write("pkg/app.py", OLD)
    written = check("--write-baseline", "memlint-baseline.json")
    assert (written.exit_code, written.stdout) == (0, "")
    assert written.stderr == "Wrote a baseline of 2 findings in 1 file to memlint-baseline.json.\n"

    write("pkg/app.py", moved_by_twenty(OLD) + NEW_FUNCTION)
    # Without the baseline all three are reported, the old ones 20 lines further down.
    lines = check("--no-cache").stdout.splitlines()
    assert [line.split(": ")[0] for line in lines] == [
        "pkg/app.py:25:2",
        "pkg/app.py:32:23",
        "pkg/app.py:35:2",
    ]
    result = check("--baseline", "memlint-baseline.json")
    assert result.exit_code == 1
    assert result.stdout == f"pkg/app.py:35:2: MEM201 {ANOTHER}\n"
    assert result.stderr == (
        "Found 1 diagnostic in 1 file (1 with --fix --unsafe-fixes).\n"
        "2 findings in the baseline not reported.\n"
    )


def test_the_baseline_file_holds_fingerprints_not_line_numbers(project: Path) -> None:
    write("pkg/app.py", OLD)
    check("--write-baseline", "memlint-baseline.json")
    document = json.loads((project / "memlint-baseline.json").read_text("utf-8"))
    assert document["memlint-baseline"] == 1
    entries = document["findings"]
    assert [(e["path"], e["code"], e["scope"], e["message"], e["count"]) for e in entries] == [
        ("pkg/app.py", "MEM201", "lookup", LOOKUP, 1),
        ("pkg/app.py", "MEM202", "Pipeline.__init__", QUEUE, 1),
    ]
    assert all(len(e["fingerprint"]) == 20 for e in entries)
    keys = {"fingerprint", "code", "path", "scope", "message", "count"}
    assert all(set(e) == keys for e in entries)


def test_a_clean_run_against_the_baseline_exits_0(project: Path) -> None:
    write("a.py", OLD)
    check("--write-baseline", "b.json")
    result = check("--baseline", "b.json")
    assert (result.exit_code, result.stdout) == (0, "")
    assert result.stderr == CLEAN_WITH_TWO_KNOWN


def test_entries_that_no_longer_match_are_counted_and_can_be_dropped(project: Path) -> None:
    write("a.py", OLD)
    write("b.py", OLD)
    check("--write-baseline", "b.json")
    # One finding fixed, one file deleted, and a new finding that must not enter the baseline.
    write("a.py", OLD.replace("maxsize=None", "maxsize=64") + NEW_FUNCTION)
    os.unlink("b.py")
    result = check("--baseline", "b.json")
    assert result.exit_code == 1
    assert result.stdout == f"a.py:15:2: MEM201 {ANOTHER}\n"
    assert result.stderr.splitlines()[1:] == [
        "1 finding in the baseline not reported.",
        "3 baseline findings no longer found; `--baseline b.json --write-baseline b.json`"
        " drops them.",
    ]
    shrink = check("--baseline", "b.json", "--write-baseline", "b.json")
    assert shrink.exit_code == 1  # the new finding is still reported, and not recorded
    assert shrink.stderr.splitlines()[-1] == "Wrote a baseline of 1 finding in 1 file to b.json."
    entries = json.loads(Path("b.json").read_text("utf-8"))["findings"]
    assert [(e["path"], e["code"]) for e in entries] == [("a.py", "MEM202")]
    assert check("--baseline", "b.json").stderr.splitlines()[1:] == [
        "1 finding in the baseline not reported."
    ]


def test_a_partial_run_leaves_the_entries_of_files_it_did_not_see(project: Path) -> None:
    write("a.py", OLD)
    write("b.py", OLD)
    check("--write-baseline", "b.json")
    result = check("--baseline", "b.json", "a.py")
    assert result.exit_code == 0
    assert result.stderr == CLEAN_WITH_TWO_KNOWN
    check("--baseline", "b.json", "--write-baseline", "b.json", "a.py")
    entries = json.loads(Path("b.json").read_text("utf-8"))["findings"]
    assert sorted(e["path"] for e in entries) == ["a.py", "a.py", "b.py", "b.py"]


def test_identical_findings_are_matched_one_for_one(project: Path) -> None:
    twice = "import functools\nf = functools.cache(len)\nf = functools.cache(len)\n"
    write("a.py", twice)
    check("--write-baseline", "b.json")
    (entry,) = json.loads(Path("b.json").read_text("utf-8"))["findings"]
    assert entry["count"] == 2
    write("a.py", twice + "f = functools.cache(len)\n")
    result = check("--baseline", "b.json")
    assert result.exit_code == 1
    assert [line.split(": ")[0] for line in result.stdout.splitlines()] == ["a.py:4:5"]


def test_paths_are_relative_to_the_baseline_so_any_folder_can_run_it(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write("src/pkg/app.py", OLD)
    write("ci/placeholder.txt", "")
    check("--write-baseline", "ci/baseline.json", "src")
    entries = json.loads(Path("ci/baseline.json").read_text("utf-8"))["findings"]
    assert {e["path"] for e in entries} == {"../src/pkg/app.py"}
    monkeypatch.chdir(project / "src")
    result = check("--baseline", "../ci/baseline.json", ".")
    assert (result.exit_code, result.stdout) == (0, "")


def test_json_and_statistics_see_only_the_new_findings(project: Path) -> None:
    write("a.py", OLD)
    check("--write-baseline", "b.json")
    write("a.py", OLD + NEW_FUNCTION)
    as_json = json.loads(check("--baseline", "b.json", "--format", "json").stdout)
    assert [(d["line"], d["code"]) for d in as_json] == [(15, "MEM201")]
    stats = check("--baseline", "b.json", "--statistics")
    assert stats.stdout == "     1  MEM201  unbounded-lru-cache  [1 fixable]\n"


def test_stdin_is_checked_against_the_baseline(project: Path) -> None:
    write("a.py", OLD)
    check("--write-baseline", "b.json")
    moved = moved_by_twenty(OLD)
    result = check("--baseline", "b.json", "--stdin-filename", "a.py", input=moved)
    assert (result.exit_code, result.stdout) == (0, "")


def test_fix_applies_everywhere_and_only_new_findings_are_reported(project: Path) -> None:
    write("a.py", OLD)
    check("--write-baseline", "b.json")
    write("a.py", OLD + NEW_FUNCTION)
    result = check("--baseline", "b.json", "--fix", "--unsafe-fixes")
    assert result.exit_code == 0
    assert "maxsize=None" not in Path("a.py").read_text("utf-8")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "memlint: error: b.json: cannot read the baseline: No such file or directory\n"),
        ("{", "memlint: error: b.json: not a memlint baseline (invalid JSON: "),
        (
            "[]",
            "memlint: error: b.json: not a memlint baseline of format 1; write one with "
            "--write-baseline\n",
        ),
        (
            '{"memlint-baseline": 1, "findings": [{"code": "MEM201"}]}',
            "memlint: error: b.json: malformed baseline: an entry lacks one of fingerprint, "
            "code, path, scope, message\n",
        ),
    ],
)
def test_a_baseline_that_cannot_be_used_is_a_usage_error(
    project: Path, content: str | None, message: str
) -> None:
    write("a.py", OLD)
    if content is not None:
        write("b.json", content)
    result = check("--baseline", "b.json")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr.startswith(message)


@pytest.mark.parametrize("flag", [["--diff"], ["--stdin-filename", "a.py"]])
def test_write_baseline_needs_the_files_as_they_are(project: Path, flag: list[str]) -> None:
    write("a.py", OLD)
    result = check("--write-baseline", "b.json", *flag, input="")
    assert result.exit_code == 2
    assert result.stderr == (
        "memlint: error: --write-baseline records the files as they are; "
        "not with --diff or standard input\n"
    )
    assert not Path("b.json").exists()


def test_a_baseline_that_cannot_be_written_is_an_error(project: Path) -> None:
    write("a.py", OLD)
    result = check("--write-baseline", "missing/b.json")
    assert result.exit_code == 2
    assert result.stderr.startswith("memlint: error: missing/b.json: cannot write the baseline: ")
    assert result.stderr.endswith("\n1 error (see above).\n")
    assert "Wrote" not in result.stderr


def test_one_stale_entry_is_it(project: Path) -> None:
    write("a.py", OLD)
    check("--write-baseline", "b.json")
    write("a.py", OLD.replace("maxsize=None", "maxsize=64"))
    result = check("--baseline", "b.json")
    assert result.stderr.splitlines()[-1] == (
        "1 baseline finding no longer found; `--baseline b.json --write-baseline b.json` drops it."
    )


_WARM = """
import sys
from memlint.cli import main
try:
    main(sys.argv[1:])
finally:
    sys.stderr.write("libcst imported: %s\\n" % ("libcst" in sys.modules))
"""


@pytest.mark.parametrize("output", ["sarif", "html", "github", "grouped"])
def test_a_warm_run_with_a_baseline_never_imports_libcst(tmp_path: Path, output: str) -> None:
    (tmp_path / "a.py").write_text(OLD + NEW_FUNCTION)
    (tmp_path / "b.json").write_text('{"memlint-baseline": 1, "findings": []}')
    args = ["check", "--isolated", "--jobs", "1", "--baseline", "b.json", "--format", output]
    command = [sys.executable, "-c", _WARM, *args, "--show-source", "."]
    cold = subprocess.run(command, cwd=tmp_path, capture_output=True, check=False, timeout=120)
    assert b"libcst imported: True" in cold.stderr
    warm = subprocess.run(command, cwd=tmp_path, capture_output=True, check=False, timeout=120)
    assert b"libcst imported: False" in warm.stderr
    assert warm.returncode == cold.returncode == 1
    assert warm.stdout == cold.stdout
