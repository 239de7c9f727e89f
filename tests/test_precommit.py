"""The pre-commit hooks, run by the real `pre-commit` in a throwaway git repository.

pre-commit installs a hook's environment by `pip install`ing the hook repository, so these
tests need PyPI (for the build backend and memlint's dependencies) and take a while. Without
the network they fail, loudly: the hooks are part of what memlint ships.

The hook repository is a snapshot of this working tree (tracked and untracked, not ignored
files), committed in a temporary folder. pre-commit installs a repository at a commit, and
`try-repo` on this checkout would commit only the tracked files: a rule module not yet added
to git would be missing from the hook's install while `memlint/rules/__init__.py` imports it.
The snapshot is what `pytest` tests everywhere else: the files on disk.

`pre-commit try-repo` always installs into a fresh temporary store (it ignores
PRE_COMMIT_HOME), so it runs once, with every hook on every file; the per-hook, per-file
checks use `pre-commit run` with a config naming the same snapshot, installed once into a
PRE_COMMIT_HOME shared by this module.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

BAD = "from functools import lru_cache\n\n\n@lru_cache(maxsize=None)\ndef f(x):\n    return x\n"
BAD_FINDING = (
    "bad.py:4:2: MEM201 `functools.lru_cache(maxsize=None)` on `f` keeps every distinct "
    "argument and result for the life of the process"
)
CLEAN = "from functools import lru_cache\n\n\n@lru_cache(maxsize=128)\ndef f(x):\n    return x\n"
# A stale suppression: MEM900 (opt-in, turned on by the repo's pyproject.toml) has a safe fix.
STALE = (
    "from functools import lru_cache\n\n\n"
    "@lru_cache(maxsize=128)  # noqa: MEM201\n"
    "def parse(text):\n    return text\n"
)
STALE_FIXED = STALE.replace("  # noqa: MEM201", "")
PYPROJECT = '[tool.memlint]\nextend-select = ["MEM900"]\n'


def clean_env(**extra: str) -> dict[str, str]:
    # GIT_DIR, GIT_INDEX_FILE ... are set when this runs inside a git hook; they would point
    # the throwaway repositories' commands at the outer one.
    env = {key: value for key, value in os.environ.items() if not key.startswith("GIT_")}
    env.pop("PRE_COMMIT", None)
    return {**env, **extra}


def git(*args: str, cwd: Path) -> str:
    result = subprocess.run(
        [
            "git",
            "-c",
            "user.name=memlint tests",
            "-c",
            "user.email=tests@memlint.invalid",
            "-c",
            "commit.gpgsign=false",
            *args,
        ],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=clean_env(),
        check=False,
    )
    assert result.returncode == 0, f"git {' '.join(args)}:\n{result.stdout}{result.stderr}"
    return result.stdout


def init_repo(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    git("init", "-q", cwd=folder)
    # Local identity, so nothing depends on (or writes to) the user's global git config.
    git("config", "user.name", "memlint tests", cwd=folder)
    git("config", "user.email", "tests@memlint.invalid", cwd=folder)


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """(path, commit) of a git repository holding this working tree's files."""
    listed = git("ls-files", "-z", "--cached", "--others", "--exclude-standard", cwd=ROOT)
    snapshot = tmp_path_factory.mktemp("hook-repo") / "memlint"
    init_repo(snapshot)
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if not source.is_file():  # deleted in the working tree but still in the index
            continue
        target = snapshot / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target, follow_symlinks=False)
    git("add", "-A", cwd=snapshot)
    git("commit", "-q", "--no-verify", "-m", "snapshot", cwd=snapshot)
    return snapshot, git("rev-parse", "HEAD", cwd=snapshot).strip()


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


@pytest.fixture
def user_repo(tmp_path: Path, hook_repo: tuple[Path, str]) -> Path:
    """A throwaway project with one bad, one clean and one stale-noqa file, all staged."""
    repo = tmp_path / "project"
    init_repo(repo)
    path, rev = hook_repo
    (repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n-   repo: {path.as_posix()}\n    rev: {rev}\n"
        "    hooks:\n    -   id: memlint\n    -   id: memlint-fix\n"
    )
    (repo / "pyproject.toml").write_text(PYPROJECT)
    (repo / "bad.py").write_text(BAD)
    (repo / "clean.py").write_text(CLEAN)
    (repo / "stale.py").write_text(STALE)
    git("add", "-A", cwd=repo)
    return repo


def pre_commit(*args: str, cwd: Path, home: Path) -> subprocess.CompletedProcess[str]:
    env = clean_env(PRE_COMMIT_HOME=str(home), PRE_COMMIT_COLOR="never")
    result = subprocess.run(
        [sys.executable, "-m", "pre_commit", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
        check=False,
    )
    output = result.stdout + result.stderr
    if "An unexpected error has occurred" in output or result.returncode not in (0, 1):
        # Most likely pip could not reach PyPI. Not a skip: the hooks must be tested.
        log = home / "pre-commit.log"
        details = log.read_text() if log.exists() else ""
        pytest.fail(f"pre-commit {' '.join(args)} could not run:\n{output}\n{details}")
    return result


def test_hooks_manifest() -> None:
    from pre_commit.clientlib import load_manifest

    hooks = {hook["id"]: hook for hook in load_manifest(str(ROOT / ".pre-commit-hooks.yaml"))}
    assert sorted(hooks) == ["memlint", "memlint-fix"]
    assert hooks["memlint"]["entry"] == "memlint check"
    assert hooks["memlint-fix"]["entry"] == "memlint check --fix"
    for hook in hooks.values():
        assert hook["language"] == "python"
        assert hook["types_or"] == ["python", "pyi"]
        assert hook["require_serial"] is True


@pytest.mark.slow
def test_check_hook_fails_on_the_bad_file(user_repo: Path, pre_commit_home: Path) -> None:
    result = pre_commit("run", "memlint", "--files", "bad.py", cwd=user_repo, home=pre_commit_home)
    assert result.returncode == 1, result.stdout
    assert "memlint....." in result.stdout and "Failed" in result.stdout
    assert BAD_FINDING in result.stdout.splitlines()
    assert (user_repo / "bad.py").read_text() == BAD


@pytest.mark.slow
def test_check_hook_passes_on_the_clean_file(user_repo: Path, pre_commit_home: Path) -> None:
    result = pre_commit(
        "run", "memlint", "--files", "clean.py", cwd=user_repo, home=pre_commit_home
    )
    assert result.returncode == 0, result.stdout
    assert "Passed" in result.stdout


@pytest.mark.slow
def test_fix_hook_rewrites_the_file(user_repo: Path, pre_commit_home: Path) -> None:
    first = pre_commit(
        "run", "memlint-fix", "--files", "stale.py", cwd=user_repo, home=pre_commit_home
    )
    assert first.returncode == 1, first.stdout
    assert "files were modified by this hook" in first.stdout
    assert (user_repo / "stale.py").read_text() == STALE_FIXED
    # Fixed: the next commit attempt goes through.
    again = pre_commit(
        "run", "memlint-fix", "--files", "stale.py", cwd=user_repo, home=pre_commit_home
    )
    assert again.returncode == 0, again.stdout


@pytest.mark.slow
def test_all_files(user_repo: Path, pre_commit_home: Path) -> None:
    result = pre_commit("run", "--all-files", cwd=user_repo, home=pre_commit_home)
    assert result.returncode == 1, result.stdout
    lines = result.stdout.splitlines()
    assert BAD_FINDING in lines
    assert "stale.py:4:34: MEM900 Unused `noqa` directive for `MEM201`" in lines
    assert not any(line.startswith("clean.py:") for line in lines)
    assert (user_repo / "stale.py").read_text() == STALE_FIXED
    assert (user_repo / "bad.py").read_text() == BAD  # MEM201's fix is unsafe: not applied


@pytest.mark.slow
def test_try_repo_runs_both_hooks(
    user_repo: Path, hook_repo: tuple[Path, str], pre_commit_home: Path
) -> None:
    path, _ = hook_repo
    result = pre_commit("try-repo", str(path), "--all-files", cwd=user_repo, home=pre_commit_home)
    assert result.returncode == 1, result.stdout
    lines = result.stdout.splitlines()
    assert any(line.startswith("memlint....") and line.endswith("Failed") for line in lines)
    assert any(line.startswith("memlint (fix)....") and line.endswith("Failed") for line in lines)
    assert BAD_FINDING in lines
    assert not any(line.startswith("clean.py:") for line in lines)
    assert (user_repo / "stale.py").read_text() == STALE_FIXED
