"""Tests for memlint.discovery: which files `memlint check PATH ...` analyses and their names."""

from __future__ import annotations

import inspect
import os
import stat
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from memlint.discovery import DEFAULT_EXCLUDE, PathError, SourceFile, iter_sources


def make(base: Path, *names: str) -> None:
    """Create empty files (and their folders); a name ending in "/" creates a folder."""
    for name in names:
        target = base / name
        if name.endswith("/"):
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("")


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def found(
    paths: Sequence[str],
    root: str | Path = ".",
    *,
    exclude: Sequence[str] = DEFAULT_EXCLUDE,
    extend_exclude: Sequence[str] = (),
    respect_gitignore: bool = True,
) -> list[str]:
    """Run discovery and render each result: a display path, or "! display: message"."""
    results = iter_sources(
        paths,
        root=str(root),
        exclude=exclude,
        extend_exclude=extend_exclude,
        respect_gitignore=respect_gitignore,
    )
    return [_render(item) for item in results]


def _render(item: SourceFile | PathError) -> str:
    if isinstance(item, PathError):
        return f"! {item.display}: {item.message}"
    return item.display


def symlink(target: str, link: Path, *, target_is_directory: bool = False) -> None:
    """Create a symlink, or skip the test where the platform or user cannot."""
    try:
        os.symlink(target, link, target_is_directory=target_is_directory)
    except (OSError, NotImplementedError) as exc:
        pytest.skip(f"symlinks unavailable here: {exc}")


def skip_if_inside_git_repo(path: Path) -> None:
    # These tests rely on tmp_path not lying inside some repository of the machine running them.
    for folder in [path, *path.parents]:
        if (folder / ".git").exists():
            pytest.skip(f"tmp_path is inside a git repository at {folder}")


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_nested_tree_yields_only_py_and_pyi(tree: Path) -> None:
    make(
        tree,
        "a.py",
        "b.pyi",
        "notes.txt",
        "setup.cfg",
        "pkg/__init__.py",
        "pkg/mod.py",
        "pkg/data.json",
        "pkg/sub/deep.pyi",
        "pkg/sub/script",
    )
    results = list(iter_sources(["."], root="."))
    assert [_render(item) for item in results] == [
        "a.py",
        "b.pyi",
        "pkg/__init__.py",
        "pkg/mod.py",
        "pkg/sub/deep.pyi",
    ]
    assert [item for item in results if isinstance(item, SourceFile) and item.explicit] == []


def test_result_is_a_lazy_generator(tree: Path) -> None:
    make(tree, "a.py")
    assert inspect.isgenerator(iter_sources(["."], root="."))


def test_junk_directories_are_skipped(tree: Path) -> None:
    make(
        tree,
        "main.py",
        "src/app.py",
        ".venv/lib/python3.11/site-packages/dep.py",
        "venv/bin/tool.py",
        "__pycache__/main.py",
        "src/__pycache__/app.py",
        "build/lib/gen.py",
        "src/build/nested.py",
        "dist/pkg.py",
        "node_modules/thing/x.py",
        "lib/site-packages/vendored.py",
        "memlint.egg-info/meta.py",
        ".eggs/egg.py",
        ".tox/py39/t.py",
        ".nox/n.py",
        ".mypy_cache/m.py",
        ".pytest_cache/p.py",
        ".ruff_cache/r.py",
        ".memlint_cache/c.py",
        ".git/hooks/hook.py",
        ".hg/h.py",
        ".svn/s.py",
    )
    assert found(["."]) == ["main.py", "src/app.py"]


def test_explicit_file_inside_junk_dir_is_yielded_whatever_its_extension(tree: Path) -> None:
    make(tree, "build/gen.py", "build/notes.txt", ".venv/lib/x.py")
    results = list(iter_sources(["build/gen.py", "build/notes.txt", ".venv/lib/x.py"], root="."))
    assert results == [
        SourceFile(display="build/gen.py", path="build/gen.py", explicit=True),
        SourceFile(display="build/notes.txt", path="build/notes.txt", explicit=True),
        SourceFile(display=".venv/lib/x.py", path=".venv/lib/x.py", explicit=True),
    ]


def test_explicit_excluded_directory_is_walked_but_junk_inside_it_is_not(tree: Path) -> None:
    make(
        tree,
        "build/a.py",
        "build/sub/b.py",
        "build/__pycache__/c.py",
        ".venv/bin/tool.py",
        ".venv/lib/python3.11/site-packages/dep.py",
    )
    assert found(["build"]) == ["build/a.py", "build/sub/b.py"]
    assert found([".venv"]) == [".venv/bin/tool.py"]
    assert found(["build/sub"]) == ["build/sub/b.py"]


def test_custom_exclude_replaces_the_defaults(tree: Path) -> None:
    make(tree, "app.py", "api_pb2.py", "build/a.py", "__pycache__/c.py")
    assert found(["."], exclude=["*_pb2.py"]) == ["app.py", "__pycache__/c.py", "build/a.py"]


def test_extend_exclude_adds_to_the_defaults(tree: Path) -> None:
    make(tree, "app.py", "api_pb2.py", "build/a.py", "__pycache__/c.py")
    assert found(["."], extend_exclude=["*_pb2.py"]) == ["app.py"]


def test_directory_only_pattern_does_not_match_files(tree: Path) -> None:
    make(tree, "out.py", "out/x.py", "keep.py")
    assert found(["."], exclude=["out/"]) == ["keep.py", "out.py"]


def test_pattern_with_a_slash_is_relative_to_root(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make(tree, "src/app.py", "src/gen/x.py", "src/sub/gen/z.py", "other/src/gen/y.py")
    extra = ["src/gen/"]
    assert found(["."], extend_exclude=extra) == [
        "other/src/gen/y.py",
        "src/app.py",
        "src/sub/gen/z.py",
    ]
    assert found(["src"], extend_exclude=extra) == ["src/app.py", "src/sub/gen/z.py"]
    # From inside src the pattern still means <root>/src/gen, not ./src/gen.
    monkeypatch.chdir(tree / "src")
    assert found(["."], root=tree, extend_exclude=extra) == ["app.py", "sub/gen/z.py"]


def test_paths_outside_root_match_relative_to_the_argument(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make(tree, "proj/main.py", "other/a.py", "other/gen/x.py", "other/deep/gen/y.py")
    monkeypatch.chdir(tree / "proj")
    assert found(["../other"], root=".", extend_exclude=["/gen/"]) == [
        "../other/a.py",
        "../other/deep/gen/y.py",
    ]


def test_gitignore_of_repository_root_applies_above_the_walked_dir(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make(
        tree,
        "repo/.git/",
        "repo/top_only.py",
        "repo/pkg/real.py",
        "repo/pkg/generated_api.py",
        "repo/pkg/top_only.py",
        "repo/pkg/logs/log.py",
    )
    write(tree / "repo/.gitignore", "# comment\ngenerated_*.py\n/top_only.py\nlogs/\n")
    assert found(["repo"]) == ["repo/pkg/real.py", "repo/pkg/top_only.py"]
    monkeypatch.chdir(tree / "repo")
    assert found(["pkg"]) == ["pkg/real.py", "pkg/top_only.py"]
    monkeypatch.chdir(tree / "repo/pkg")
    assert found(["."], root=tree / "repo") == ["real.py", "top_only.py"]


def test_ancestor_gitignore_is_ignored_without_a_repository(tree: Path) -> None:
    skip_if_inside_git_repo(tree)
    make(tree, "outer/proj/a.py", "outer/proj/local.py")
    write(tree / "outer/.gitignore", "*.py\n")
    write(tree / "outer/proj/.gitignore", "local.py\n")
    assert found(["outer/proj"]) == ["outer/proj/a.py"]


def test_nested_gitignore_applies_only_below_its_folder(tree: Path) -> None:
    make(
        tree,
        ".git/",
        "a.pyi",
        "local_y.py",
        "pkg/b.pyi",
        "pkg/keep.pyi",
        "pkg/local_x.py",
        "pkg/m.py",
        "pkg/sub/local_z.py",
    )
    write(tree / ".gitignore", "*.pyi\n")
    write(tree / "pkg/.gitignore", "local_*.py\n!keep.pyi\n")
    assert found(["."]) == ["local_y.py", "pkg/keep.pyi", "pkg/m.py"]


def test_gitignore_negation_reincludes_a_file(tree: Path) -> None:
    make(tree, ".git/", "a.py", "keep.py", "sub/b.py", "sub/keep.py", "sub/c.pyi")
    write(tree / ".gitignore", "*.py\n!keep.py\n")
    assert found(["."]) == ["keep.py", "sub/c.pyi", "sub/keep.py"]


def test_respect_gitignore_false_ignores_gitignore_files(tree: Path) -> None:
    make(tree, ".git/info/", "a.py", "keep.py", "sub/b.py", "secret.py")
    write(tree / ".gitignore", "*.py\n!keep.py\n")
    write(tree / ".git/info/exclude", "secret.py\n")
    assert found(["."], respect_gitignore=False) == ["a.py", "keep.py", "secret.py", "sub/b.py"]


def test_git_info_exclude_is_honoured_below_gitignore(tree: Path) -> None:
    make(tree, "repo/main.py", "repo/pkg/a_local.py", "repo/pkg/secret.py", "repo/pkg/b.py")
    write(tree / "repo/.git/info/exclude", "*_local.py\nsecret.py\n")
    # .gitignore files take precedence over info/exclude, as in git.
    write(tree / "repo/.gitignore", "!secret.py\n")
    assert found(["repo"]) == ["repo/main.py", "repo/pkg/b.py", "repo/pkg/secret.py"]
    assert found(["repo/pkg"]) == ["repo/pkg/b.py", "repo/pkg/secret.py"]


def test_explicit_gitignored_directory_is_walked(tree: Path) -> None:
    make(tree, ".git/", "app.py", "out/a.py", "out/tmp/b.py", "out/skip.py")
    write(tree / ".gitignore", "out/\nskip.py\n")
    assert found(["."], exclude=()) == ["app.py"]
    assert found(["out"], exclude=()) == ["out/a.py", "out/tmp/b.py"]


def test_git_directory_is_never_walked_when_respecting_gitignore(tree: Path) -> None:
    make(tree, ".git/hooks/hook.py", "app.py")
    assert found(["."], exclude=()) == ["app.py"]
    assert found(["."], exclude=(), respect_gitignore=False) == ["app.py", ".git/hooks/hook.py"]


def test_nested_repository_does_not_inherit_outer_gitignore(tree: Path) -> None:
    make(tree, ".git/", "y.pyi", "vendor/lib/.git/", "vendor/lib/x.pyi", "vendor/z.pyi")
    write(tree / ".gitignore", "*.pyi\n")
    assert found(["."]) == ["vendor/lib/x.pyi"]


def test_same_file_through_two_arguments_is_yielded_once(tree: Path) -> None:
    make(tree, "a.py", "pkg/m.py", "pkg/n.py")
    results = list(
        iter_sources([".", "a.py", "pkg", "./pkg/m.py", str(tree / "pkg/n.py")], root=".")
    )
    assert results == [
        SourceFile(display="a.py", path="./a.py", explicit=False),
        SourceFile(display="pkg/m.py", path="./pkg/m.py", explicit=False),
        SourceFile(display="pkg/n.py", path="./pkg/n.py", explicit=False),
    ]


def test_explicit_file_then_its_directory_keeps_the_explicit_one(tree: Path) -> None:
    make(tree, "pkg/m.py", "pkg/n.py")
    results = list(iter_sources(["pkg/n.py", "pkg"], root="."))
    assert results == [
        SourceFile(display="pkg/n.py", path="pkg/n.py", explicit=True),
        SourceFile(display="pkg/m.py", path="pkg/m.py", explicit=False),
    ]


def test_missing_path_is_an_error_and_later_arguments_still_run(tree: Path) -> None:
    make(tree, "a.py", "pkg/b.py")
    assert found(["a.py", "missing.py", "nope/", "pkg"]) == [
        "a.py",
        "! missing.py: No such file or directory",
        "! nope/: No such file or directory",
        "pkg/b.py",
    ]


def test_symlink_loop_argument_is_an_error(tree: Path) -> None:
    make(tree, "a.py")
    symlink("loop_b", tree / "loop_a")
    symlink("loop_a", tree / "loop_b")
    assert found(["loop_a", "a.py"]) == [
        "! loop_a: Too many levels of symbolic links (symlink loop)",
        "a.py",
    ]


def test_directory_symlinks_in_a_walk_are_not_followed(tree: Path) -> None:
    make(tree, "pkg/m.py", "z.py")
    symlink("..", tree / "pkg/parent", target_is_directory=True)
    symlink("pkg", tree / "linked", target_is_directory=True)
    assert found(["."]) == ["z.py", "pkg/m.py"]
    # Named on the command line, a directory symlink is walked like the directory it names.
    assert found(["linked"]) == ["linked/m.py"]


def test_file_symlinks_in_a_walk_are_followed(tree: Path) -> None:
    make(tree, "build/impl.py", "data/source.txt")
    symlink("build/impl.py", tree / "impl.py")
    symlink("data/source.txt", tree / "other.py")
    symlink("impl.py", tree / "again.pyi")
    # again.pyi and impl.py are the same real file, so only the first one in order is kept.
    assert found(["."]) == ["again.pyi", "other.py"]


def test_broken_symlinks_in_a_walk_are_skipped(tree: Path) -> None:
    make(tree, "a.py")
    symlink("nowhere.py", tree / "broken.py")
    assert found(["."]) == ["a.py"]
    assert found(["broken.py"]) == [
        "! broken.py: No such file or directory (broken symbolic link)",
    ]


def _lock(folder: Path) -> None:
    folder.chmod(0)
    if os.access(folder, os.R_OK):
        folder.chmod(stat.S_IRWXU)
        pytest.skip("chmod 000 does not stop this user reading the folder (root ignores modes)")


@pytest.fixture
def locked(tree: Path) -> Iterator[Path]:
    make(tree, "a.py", "pkg/m.py", "pkg/locked/x.py", "z/z.py")
    folder = tree / "pkg/locked"
    _lock(folder)
    yield folder
    # Give the permissions back so pytest can remove tmp_path.
    folder.chmod(stat.S_IRWXU)


def test_unreadable_subdirectory_is_an_error_and_the_walk_goes_on(locked: Path) -> None:
    assert found(["."]) == ["a.py", "pkg/m.py", "! pkg/locked: Permission denied", "z/z.py"]


def test_unreadable_directory_argument_is_an_error(locked: Path) -> None:
    assert found(["./pkg/locked/", "a.py"]) == ["! ./pkg/locked/: Permission denied", "a.py"]


def test_directory_named_like_a_python_file_is_walked(tree: Path) -> None:
    make(tree, "x.py/inner.py", "x.py/notes.txt", "y.py")
    assert found(["x.py"]) == ["x.py/inner.py"]
    assert found(["."]) == ["y.py", "x.py/inner.py"]


def test_display_paths_are_normalised_as_typed(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make(tree, "a.py", "src/b.py")
    assert found(["."]) == ["a.py", "src/b.py"]
    assert found(["./src"]) == ["src/b.py"]
    assert found(["src/"]) == ["src/b.py"]
    assert found(["./src/./b.py"]) == ["src/b.py"]
    assert found([str(tree / "src")]) == [str(tree / "src/b.py")]
    monkeypatch.chdir(tree / "src")
    # Relative to the argument as typed, not shortened against the current directory.
    assert found(["../"], root=tree) == ["../a.py", "../src/b.py"]
    assert found([".."], root=tree) == ["../a.py", "../src/b.py"]
    assert found(["../src/b.py"], root=tree) == ["../src/b.py"]


def test_path_is_openable_from_the_current_directory(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tree / "src/b.py", "x = 1\n")
    monkeypatch.chdir(tree / "src")
    sources = [
        item for item in iter_sources([".."], root=str(tree)) if isinstance(item, SourceFile)
    ]
    assert [(item.display, Path(item.path).read_text()) for item in sources] == [
        ("../src/b.py", "x = 1\n")
    ]


def test_order_is_deterministic_files_before_subdirectories(tree: Path) -> None:
    make(tree, "z.py", "c/y.py", "b.py", "a/b/x.py", "a/a.py", "A.py", "a/z.py")
    expected = ["A.py", "b.py", "z.py", "a/a.py", "a/z.py", "a/b/x.py", "c/y.py"]
    assert found(["."]) == expected
    assert found(["."]) == expected


def test_arguments_are_handled_in_the_order_given(tree: Path) -> None:
    make(tree, "a.py", "b/b.py", "c.txt")
    assert found(["c.txt", "b", "a.py"]) == ["c.txt", "b/b.py", "a.py"]
