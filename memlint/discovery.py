"""Turn the paths named on the command line into the Python source files to analyse."""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from operator import attrgetter

from pathspec import GitIgnoreSpec

DEFAULT_EXCLUDE: tuple[str, ...] = (
    ".git",
    ".hg",
    ".svn",
    ".venv",
    "venv",
    "__pycache__",
    "build",
    "dist",
    ".tox",
    ".nox",
    "node_modules",
    "site-packages",
    ".eggs",
    "*.egg-info",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    ".memlint_cache",
)

SOURCE_SUFFIXES: tuple[str, ...] = (".py", ".pyi")

# Fixed wording for the common failures, so messages read the same on every platform
# (Windows' strerror for ENOENT is "The system cannot find the file specified").
_ERRNO_MESSAGES: dict[int, str] = {
    errno.ENOENT: "No such file or directory",
    errno.ELOOP: "Too many levels of symbolic links (symlink loop)",
    errno.EACCES: "Permission denied",
    errno.EPERM: "Permission denied",
}


@dataclass(frozen=True)
class SourceFile:
    """A file to analyse.

    `display` is the path as the user would type it from the current directory; `path` is
    what to open (the argument joined with the walk, not normalised, so `..` after a
    symlink still resolves the way the kernel sees it).
    """

    display: str
    path: str
    explicit: bool


@dataclass(frozen=True)
class PathError:
    """A path that could not be read; the caller reports it and the run goes on."""

    display: str
    message: str


# One ignore file in force for a directory: its parsed patterns and the directory's path
# relative to the ignore file's own folder ("" or "a/b/", always with "/" separators).
_Rule = tuple[GitIgnoreSpec, str]


@dataclass(frozen=True)
class _Dir:
    """A directory waiting on the walk stack."""

    path: str  # the argument as typed joined with the walk, for scandir and SourceFile.path
    real: str  # its realpath, so files can be deduplicated without a realpath call each
    rel: str  # "" or "a/b/": its path inside the walked argument
    display: str  # what a PathError for this directory shows
    rules: tuple[_Rule, ...]  # inherited ignore files, lowest precedence first


def iter_sources(
    paths: Sequence[str],
    *,
    root: str,
    exclude: Sequence[str] = DEFAULT_EXCLUDE,
    extend_exclude: Sequence[str] = (),
    respect_gitignore: bool = True,
) -> Iterator[SourceFile | PathError]:
    """Yield the files named by `paths`, walking directories, in a deterministic order.

    Arguments are handled in the order given. Inside a directory, entries are sorted by
    name and a directory's files come before its subdirectories. Each real file is yielded
    at most once. `exclude` and `extend_exclude` are gitignore-style patterns relative to
    `root`. The caller handles `-` (stdin) and must not pass it here.
    """
    walker = _Walker(
        root=root,
        exclude=GitIgnoreSpec.from_lines([*exclude, *extend_exclude]),
        respect_gitignore=respect_gitignore,
    )
    for arg in paths:
        yield from walker.argument(arg)


class _Walker:
    """State shared by all arguments of one run: files already yielded and parsed ignore files."""

    def __init__(self, *, root: str, exclude: GitIgnoreSpec, respect_gitignore: bool) -> None:
        self._root = os.path.abspath(root)
        self._exclude = exclude
        self._respect_gitignore = respect_gitignore
        self._seen: set[str] = set()
        self._specs: dict[str, GitIgnoreSpec | None] = {}

    def argument(self, arg: str) -> Iterator[SourceFile | PathError]:
        try:
            # stat (not lstat): a symlink argument means its target, and a loop fails here.
            mode = os.stat(arg).st_mode
        except OSError as exc:
            yield PathError(arg, _describe(exc, arg))
            return
        if stat.S_ISDIR(mode):
            yield from self._walk(arg)
            return
        # Whatever its name, a file named on the command line is what the user asked for.
        if self._first_visit(os.path.realpath(arg)):
            yield SourceFile(display=os.path.normpath(arg), path=arg, explicit=True)

    def _first_visit(self, real: str) -> bool:
        if real in self._seen:
            return False
        self._seen.add(real)
        return True

    def _walk(self, arg: str) -> Iterator[SourceFile | PathError]:
        top_abs = os.path.abspath(arg)
        exclude_prefix = self._exclude_prefix(top_abs)
        ancestors = self._ancestor_rules(top_abs) if self._respect_gitignore else ()
        # An explicit stack rather than recursion: deep trees must not hit the recursion limit.
        stack = [_Dir(arg, os.path.realpath(arg), "", arg, ancestors)]
        while stack:
            yield from self._visit(stack.pop(), exclude_prefix, stack)

    def _visit(
        self, current: _Dir, exclude_prefix: str, stack: list[_Dir]
    ) -> Iterator[SourceFile | PathError]:
        """Yield the source files of one directory and push its subdirectories onto `stack`."""
        try:
            with os.scandir(current.path) as it:
                entries = sorted(it, key=attrgetter("name"))
        except OSError as exc:
            yield PathError(current.display, _describe(exc, current.path))
            return
        rules = self._rules_for(current, {entry.name for entry in entries})
        subdirs: list[_Dir] = []
        for entry in entries:
            is_dir = _is_real_dir(entry)
            if not is_dir and not _is_source_file(entry):
                continue
            if self._skipped(exclude_prefix + current.rel, rules, entry.name, is_dir):
                continue
            if is_dir:
                subdirs.append(_child(current, entry, rules))
                continue
            if self._first_visit(_file_realpath(current, entry)):
                yield SourceFile(os.path.normpath(entry.path), entry.path, explicit=False)
        # Reversed so the stack pops them in name order, after this directory's files.
        stack.extend(reversed(subdirs))

    def _skipped(self, rel_dir: str, rules: tuple[_Rule, ...], name: str, is_dir: bool) -> bool:
        suffix = "/" if is_dir else ""
        if self._exclude.match_file(rel_dir + name + suffix):
            return True
        if not self._respect_gitignore:
            return False
        # Git never looks inside .git, even if the exclude list was replaced.
        if is_dir and name == ".git":
            return True
        return _is_ignored(rules, name + suffix)

    def _exclude_prefix(self, top_abs: str) -> str:
        """Return the walked argument's path relative to root, as the prefix for exclude keys."""
        try:
            rel = os.path.relpath(top_abs, self._root)
        except ValueError:
            # Another drive on Windows: outside root, so match relative to the argument.
            return ""
        if rel == os.curdir or rel == os.pardir or rel.startswith(os.pardir + os.sep):
            return ""
        prefix = rel.replace(os.sep, "/") + "/"
        # The user named an excluded directory: matched relative to root, every path inside
        # it would match too, so match relative to the argument and keep name patterns working.
        if self._exclude.match_file(prefix):
            return ""
        return prefix

    def _ancestor_rules(self, top_abs: str) -> tuple[_Rule, ...]:
        """Collect the ignore files above the walked argument, up to its repository root."""
        repo = _find_repo_root(top_abs)
        if repo is None:
            return ()
        folders: list[str] = []
        folder = top_abs
        while folder != repo:
            folder = os.path.dirname(folder)
            folders.append(folder)
        # info/exclude has the lowest precedence, then .gitignore files from the root down;
        # the argument's own .gitignore is read by the walk.
        sources = [(os.path.join(repo, ".git", "info", "exclude"), repo)]
        sources += [(os.path.join(folder, ".gitignore"), folder) for folder in reversed(folders)]
        rules: list[_Rule] = []
        for source, base in sources:
            spec = self._load(source)
            if spec is not None:
                rules.append((spec, _rebase(spec, _rel_dir(top_abs, base))))
        return tuple(rules)

    def _rules_for(self, current: _Dir, names: set[str]) -> tuple[_Rule, ...]:
        """Return the ignore rules for the entries of `current`, adding its own .gitignore."""
        if not self._respect_gitignore:
            return ()
        rules = current.rules
        if ".git" in names:
            # A nested repository (e.g. a submodule) has its own ignore rules; git does not
            # apply the outer repository's .gitignore files inside it.
            info = self._load(os.path.join(current.real, ".git", "info", "exclude"))
            rules = () if info is None else ((info, ""),)
        if ".gitignore" not in names:
            return rules
        spec = self._load(os.path.join(current.real, ".gitignore"))
        if spec is None:
            return rules
        return (*rules, (spec, ""))

    def _load(self, path: str) -> GitIgnoreSpec | None:
        """Parse an ignore file once per run; a missing or unreadable one counts as empty."""
        if path in self._specs:
            return self._specs[path]
        spec: GitIgnoreSpec | None
        try:
            with open(path, encoding="utf-8", errors="replace") as handle:
                spec = GitIgnoreSpec.from_lines(line.rstrip("\r\n") for line in handle)
        except OSError:
            # Not being able to read an ignore file should not stop the analysis.
            spec = None
        if spec is not None and not spec.patterns:
            spec = None
        self._specs[path] = spec
        return spec


def _describe(exc: OSError, path: str) -> str:
    if exc.errno == errno.ENOENT and os.path.islink(path):
        return "No such file or directory (broken symbolic link)"
    if exc.errno in _ERRNO_MESSAGES:
        return _ERRNO_MESSAGES[exc.errno]
    return exc.strerror or str(exc)


def _is_real_dir(entry: os.DirEntry[str]) -> bool:
    # Symlinked directories are not followed: that keeps the walk finite and duplicate-free.
    try:
        return entry.is_dir(follow_symlinks=False)
    except OSError:
        return False


def _is_source_file(entry: os.DirEntry[str]) -> bool:
    if not entry.name.endswith(SOURCE_SUFFIXES):
        return False
    # Follows symlinks, so a link to a file counts and a broken link is dropped silently.
    try:
        return entry.is_file()
    except OSError:
        return False


def _file_realpath(parent: _Dir, entry: os.DirEntry[str]) -> str:
    # Only symlinks need the costly realpath; the walk never enters a symlinked directory,
    # so anything else really lives at parent.real/name.
    if entry.is_symlink():
        return os.path.realpath(entry.path)
    return os.path.join(parent.real, entry.name)


def _child(parent: _Dir, entry: os.DirEntry[str], rules: tuple[_Rule, ...]) -> _Dir:
    return _Dir(
        path=entry.path,
        real=os.path.join(parent.real, entry.name),
        rel=parent.rel + entry.name + "/",
        display=os.path.normpath(entry.path),
        rules=tuple((spec, prefix + entry.name + "/") for spec, prefix in rules),
    )


def _is_ignored(rules: tuple[_Rule, ...], key: str) -> bool:
    # Deeper ignore files win over shallower ones, and the last matching line of a file wins.
    for spec, prefix in reversed(rules):
        include = spec.check_file(prefix + key).include
        if include is not None:
            return include
    return False


def _find_repo_root(path: str) -> str | None:
    current = path
    while not os.path.lexists(os.path.join(current, ".git")):
        parent = os.path.dirname(current)
        if parent == current:
            return None
        current = parent
    return current


def _rel_dir(path: str, base: str) -> str:
    if path == base:
        return ""
    return os.path.relpath(path, base).replace(os.sep, "/") + "/"


def _rebase(spec: GitIgnoreSpec, prefix: str) -> str:
    # The user named an ignored directory: matched from the ignore file's folder, every path
    # inside it would be ignored too, so match relative to the argument instead.
    if prefix and spec.check_file(prefix).include:
        return ""
    return prefix
