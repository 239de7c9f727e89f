"""The real executables: `python -m memlint` and the `memlint` script, exit codes and stdin."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import memlint

LRU = "from functools import lru_cache\n\n@lru_cache(maxsize=None)\ndef f(x):\n    return x\n"
LRU_FIXED = LRU.replace("maxsize=None", "maxsize=1024")
MESSAGE = (
    "`functools.lru_cache(maxsize=None)` on `f` keeps every distinct argument and result "
    "for the life of the process"
)
FOUND_ONE = "Found 1 diagnostic in 1 file (1 with --fix --unsafe-fixes).\n"


def _script() -> Path:
    folder = Path(sys.executable).parent
    for name in ("memlint", "memlint.exe"):
        if (folder / name).exists():
            return folder / name
    return folder / "memlint"


PYTHON_M = [sys.executable, "-m", "memlint"]
SCRIPT = _script()
ENTRY_POINTS = [
    pytest.param(PYTHON_M, id="python-m"),
    pytest.param(
        [str(SCRIPT)],
        id="script",
        marks=pytest.mark.skipif(not SCRIPT.exists(), reason="no memlint script beside python"),
    ),
]


def run(
    command: list[str], *args: str, cwd: Path, input: bytes | None = None
) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    return subprocess.run(
        [*command, *args],
        cwd=cwd,
        input=input if input is not None else b"",
        capture_output=True,
        env=env,
        timeout=120,
        check=False,
    )


def text(data: bytes) -> str:
    return data.decode("utf-8").replace("\r\n", "\n")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A folder shielded from config files above it (an empty `.memlint.toml`)."""
    (tmp_path / ".memlint.toml").write_text("")
    return tmp_path


def write(path: Path, data: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


# -- --help and --version ---------------------------------------------------------------------


def test_python_m_memlint_help(project: Path) -> None:
    result = run(PYTHON_M, "--help", cwd=project)
    assert result.returncode == 0
    out = text(result.stdout)
    assert out.startswith("Usage: python -m memlint [OPTIONS] COMMAND [ARGS]...\n")
    for command in ("check", "explain", "rules"):
        assert f"\n  {command} " in out
    assert result.stderr == b""


@pytest.mark.parametrize("command", ENTRY_POINTS)
def test_version(project: Path, command: list[str]) -> None:
    result = run(command, "--version", cwd=project)
    assert result.returncode == 0
    assert text(result.stdout) == f"memlint, version {memlint.__version__}\n"


def test_no_command_prints_usage(project: Path) -> None:
    result = run(PYTHON_M, cwd=project)
    assert result.returncode in (0, 2)  # click: 0 before 8.2, 2 from 8.2 on
    assert "Usage:" in text(result.stdout) + text(result.stderr)


# -- exit codes ------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", ENTRY_POINTS)
def test_exit_0_when_clean(project: Path, command: list[str]) -> None:
    write(project / "pkg" / "a.py", "x = 1\n")
    result = run(command, "check", cwd=project)
    assert (result.returncode, result.stdout) == (0, b"")
    assert text(result.stderr) == "All checks passed (1 file).\n"


@pytest.mark.parametrize("command", ENTRY_POINTS)
def test_exit_1_with_findings(project: Path, command: list[str]) -> None:
    write(project / "pkg" / "a.py", LRU)
    result = run(command, "check", cwd=project)
    assert result.returncode == 1
    assert text(result.stdout) == f"{os.path.join('pkg', 'a.py')}:3:2: MEM201 {MESSAGE}\n"
    assert text(result.stderr) == FOUND_ONE


def test_exit_1_with_only_mem000(project: Path) -> None:
    write(project / "a.py", b"from functools import lru_cache\nx = 1\x00\n")
    result = run(PYTHON_M, "check", cwd=project)
    assert result.returncode == 1
    assert text(result.stdout) == (
        "a.py:2:6: MEM000 cannot analyse: the file contains NUL bytes (binary?)\n"
    )


@pytest.mark.parametrize("command", ENTRY_POINTS)
def test_exit_2_for_a_missing_path_and_the_rest_is_reported(
    project: Path, command: list[str]
) -> None:
    write(project / "a.py", LRU)
    result = run(command, "check", "missing.py", "a.py", cwd=project)
    assert result.returncode == 2
    assert text(result.stdout) == f"a.py:3:2: MEM201 {MESSAGE}\n"
    assert text(result.stderr) == (
        "memlint: error: missing.py: No such file or directory\n"
        + FOUND_ONE
        + "1 error (see above).\n"
    )


def test_exit_2_for_bad_config(project: Path) -> None:
    write(project / "pyproject.toml", "[tool.memlint]\nnot-an-option = 1\n")
    write(project / "a.py", LRU)
    result = run(PYTHON_M, "check", cwd=project)
    assert result.returncode == 2
    assert result.stdout == b""
    err = text(result.stderr)
    assert err.startswith("memlint: error: ")
    assert "pyproject.toml: [tool.memlint]: unknown key `not-an-option`" in err


@pytest.mark.parametrize("selector", ["MEM999", "FOO"])
def test_exit_2_for_an_unknown_selector(project: Path, selector: str) -> None:
    write(project / "a.py", LRU)
    result = run(PYTHON_M, "check", "--select", selector, cwd=project)
    assert (result.returncode, result.stdout) == (2, b"")
    assert text(result.stderr).startswith(f"memlint: error: --select: `{selector}` ")


def test_exit_zero(project: Path) -> None:
    write(project / "a.py", LRU)
    result = run(PYTHON_M, "check", "--exit-zero", cwd=project)
    assert result.returncode == 0
    assert text(result.stdout) == f"a.py:3:2: MEM201 {MESSAGE}\n"


def test_explain_unknown_exits_2(project: Path) -> None:
    result = run(PYTHON_M, "explain", "MEM999", cwd=project)
    assert (result.returncode, result.stdout) == (2, b"")


def test_json_through_a_pipe_is_valid(project: Path) -> None:
    write(project / "b.py", LRU)
    write(project / "a.py", LRU)
    result = run(PYTHON_M, "check", "--format", "json", cwd=project)
    assert result.returncode == 1
    data = json.loads(result.stdout)
    assert [(d["path"], d["code"]) for d in data] == [("a.py", "MEM201"), ("b.py", "MEM201")]


def test_fix_in_place(project: Path) -> None:
    target = write(project / "a.py", LRU.replace("\n", "\r\n"))
    result = run(PYTHON_M, "check", "--fix", "--unsafe-fixes", cwd=project)
    assert result.returncode == 0
    assert text(result.stderr) == "Fixed 1 diagnostic.\nAll checks passed (1 file).\n"
    assert target.read_bytes() == LRU_FIXED.replace("\n", "\r\n").encode()


# -- standard input ------------------------------------------------------------------------------


@pytest.mark.parametrize("command", ENTRY_POINTS)
def test_stdin_filename(project: Path, command: list[str]) -> None:
    result = run(command, "check", "--stdin-filename", "pkg/x.py", cwd=project, input=LRU.encode())
    assert result.returncode == 1
    assert text(result.stdout) == f"pkg/x.py:3:2: MEM201 {MESSAGE}\n"
    assert text(result.stderr) == FOUND_ONE


def test_dash_reads_stdin(project: Path) -> None:
    result = run(PYTHON_M, "check", "-", cwd=project, input=LRU.encode())
    assert result.returncode == 1
    assert text(result.stdout) == f"-:3:2: MEM201 {MESSAGE}\n"
    clean = run(PYTHON_M, "check", "-", cwd=project, input=b"x = 1\n")
    assert (clean.returncode, clean.stdout) == (0, b"")


@pytest.mark.parametrize("command", ENTRY_POINTS)
def test_stdin_fix_writes_exactly_the_fixed_source(project: Path, command: list[str]) -> None:
    result = run(
        command,
        "check",
        "--fix",
        "--unsafe-fixes",
        "--stdin-filename",
        "x.py",
        cwd=project,
        input=LRU.encode(),
    )
    assert result.returncode == 0
    assert result.stdout == LRU_FIXED.encode()
    assert text(result.stderr) == "Fixed 1 diagnostic.\nAll checks passed (1 file).\n"
    assert sorted(os.listdir(project)) == [".memlint.toml"]


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(LRU.replace("\n", "\r\n").encode(), id="crlf"),
        pytest.param(b"\xef\xbb\xbf" + LRU.encode(), id="bom"),
        pytest.param(("# coding: latin-1\n" + LRU + "s = 'é'\n").encode("latin-1"), id="latin-1"),
    ],
)
def test_stdin_fix_keeps_bytes_layout(project: Path, data: bytes) -> None:
    result = run(
        PYTHON_M,
        "check",
        "--fix",
        "--unsafe-fixes",
        "--stdin-filename",
        "x.py",
        cwd=project,
        input=data,
    )
    assert result.returncode == 0
    assert result.stdout == data.replace(b"maxsize=None", b"maxsize=1024")


def test_stdin_fix_with_nothing_applied_echoes_the_input(project: Path) -> None:
    data = LRU.replace("\n", "\r\n").encode()
    result = run(
        PYTHON_M,
        "check",
        "--fix",
        "--stdin-filename",
        "x.py",
        cwd=project,
        input=data,
    )
    assert result.returncode == 1
    assert result.stdout == data
    assert text(result.stderr) == (
        f"x.py:3:2: MEM201 {MESSAGE}\n"
        "1 diagnostic remains in 1 file (1 with --fix --unsafe-fixes).\n"
    )


def test_stdin_filename_with_a_path_exits_2(project: Path) -> None:
    write(project / "a.py", LRU)
    result = run(
        PYTHON_M,
        "check",
        "--stdin-filename",
        "x.py",
        "a.py",
        cwd=project,
        input=LRU.encode(),
    )
    assert (result.returncode, result.stdout) == (2, b"")
    assert text(result.stderr) == (
        "memlint: error: --stdin-filename reads standard input; pass no other paths (or just `-`)\n"
    )


# -- a warm run ---------------------------------------------------------------------------------

_IMPORTS_LIBCST = """
import sys
from memlint.cli import main
try:
    main(["check", "--isolated", "-q", "--jobs", "1", "."])
finally:
    sys.stderr.write("libcst imported: %s\\n" % ("libcst" in sys.modules))
"""


def test_a_run_answered_from_the_cache_never_imports_libcst(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text(LRU)
    (tmp_path / "b.py").write_text("x = 1\n")
    cold = run([sys.executable, "-c", _IMPORTS_LIBCST], cwd=tmp_path)
    assert "libcst imported: True" in text(cold.stderr)
    warm = run([sys.executable, "-c", _IMPORTS_LIBCST], cwd=tmp_path)
    assert "libcst imported: False" in text(warm.stderr)
    assert warm.returncode == cold.returncode == 1
    assert warm.stdout == cold.stdout
    assert text(warm.stdout).startswith("a.py:3:2: MEM201 ")
    # A changed file is analysed again (and only then is libcst imported).
    (tmp_path / "b.py").write_text(LRU)
    changed = run([sys.executable, "-c", _IMPORTS_LIBCST], cwd=tmp_path)
    assert "libcst imported: True" in text(changed.stderr)
    assert text(changed.stdout).count("MEM201") == 2
