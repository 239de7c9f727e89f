"""memlint.runner and memlint.cache: the worker pool's window and order, and the result cache."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from memlint import cache as memlint_cache
from memlint import runner
from memlint.cache import Cache, fingerprint
from memlint.discovery import PathError, SourceFile
from memlint.runner import FileOutcome, RunOptions, run
from tests.helpers import settings_for

LRU = "from functools import lru_cache\n\n@lru_cache(maxsize=None)\ndef f(x):\n    return x\n"
QUEUE = "import queue\nq = queue.Queue()\n"


def _files(folder: Path, count: int) -> list[SourceFile]:
    folder.mkdir(parents=True, exist_ok=True)
    sources = []
    for number in range(count):
        path = folder / f"m{number:03}.py"
        # Every third file is clean; the others have one or two findings.
        path.write_text("x = 1\n" if number % 3 == 0 else LRU + QUEUE * (number % 2))
        sources.append(SourceFile(display=path.name, path=str(path), explicit=True))
    return sources


def _summary(outcomes: list[FileOutcome | PathError]) -> list[tuple[str, tuple[str, ...]]]:
    rows = []
    for outcome in outcomes:
        if isinstance(outcome, PathError):
            rows.append((outcome.display, ("error",)))
        else:
            rows.append((outcome.path, tuple(d.code for d in outcome.diagnostics)))
    return rows


def test_pool_gives_the_same_outcomes_in_the_same_order(tmp_path: Path) -> None:
    sources: list[SourceFile | PathError] = list(_files(tmp_path, 30))
    sources.insert(7, PathError("missing.py", "no such file or directory"))
    settings = settings_for()
    alone = list(run(sources, settings, RunOptions(), jobs=1))
    pooled = list(run(sources, settings, RunOptions(), jobs=2))
    assert _summary(pooled) == _summary(alone)
    assert [o.path for o in pooled if isinstance(o, FileOutcome)] == [
        s.display for s in sources if isinstance(s, SourceFile)
    ]
    assert sum(len(codes) for _, codes in _summary(alone) if codes != ("error",)) == 30


def test_pool_pulls_files_in_a_bounded_window(tmp_path: Path) -> None:
    files = _files(tmp_path, 60)
    pulled = 0
    pulled_when_yielded: list[int] = []

    def lazily() -> Iterator[SourceFile]:
        nonlocal pulled
        for source in files:
            pulled += 1
            yield source

    for _ in run(lazily(), settings_for(), RunOptions(), jobs=2):
        pulled_when_yielded.append(pulled)
    limit = 2 * runner._WINDOW_PER_JOB
    # Never more than the window (plus the file that filled it) read ahead of the output.
    assert all(
        pulled - done <= limit + 1 for done, pulled in enumerate(pulled_when_yielded, start=1)
    )
    assert len(pulled_when_yielded) == 60


def test_pool_fixes_files_in_place(tmp_path: Path) -> None:
    files = _files(tmp_path, 6)
    options = RunOptions(fix=True, unsafe_fixes=True)
    outcomes = list(run(files, settings_for(("MEM201",)), options, jobs=2))
    assert sum(o.fixed for o in outcomes if isinstance(o, FileOutcome)) == 4
    assert "maxsize=1024" in Path(files[1].path).read_text()
    assert Path(files[0].path).read_text() == "x = 1\n"


def test_a_single_file_runs_without_a_pool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_pool(*args: object, **kwargs: object) -> None:
        raise AssertionError("a pool was started for one file")

    monkeypatch.setattr(runner, "ProcessPoolExecutor", no_pool)
    (source,) = _files(tmp_path, 2)[1:]
    (outcome,) = run([source], settings_for(), RunOptions(), jobs=2)
    assert isinstance(outcome, FileOutcome) and outcome.diagnostics


# -- cache ----------------------------------------------------------------------------------------


class _Counting:
    """Counts the files that are really analysed (in this process: jobs=1)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.paths: list[str] = []
        process = runner.process

        def counting(data: bytes, path: str, *args: object) -> FileOutcome:
            self.paths.append(path)
            return process(data, path, *args)  # type: ignore[arg-type]

        monkeypatch.setattr(runner, "process", counting)


def _cached_run(sources: list[SourceFile], folder: Path, **settings: object) -> list[FileOutcome]:
    options = settings_for(**settings)
    cache = Cache(str(folder), fingerprint(options))
    outcomes = list(run(sources, options, RunOptions(), jobs=1, cache=cache))
    assert all(isinstance(o, FileOutcome) for o in outcomes)
    return outcomes  # type: ignore[return-value]


def test_cache_hit_gives_the_same_diagnostics(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = _files(tmp_path / "src", 4)
    counting = _Counting(monkeypatch)
    first = _cached_run(files, tmp_path / "cache")
    assert len(counting.paths) == 4
    second = _cached_run(files, tmp_path / "cache")
    assert len(counting.paths) == 4  # nothing analysed again
    assert [o.diagnostics for o in second] == [o.diagnostics for o in first]
    assert any(d.fix is not None for o in second for d in o.diagnostics)  # fixes survive
    assert (tmp_path / "cache" / ".gitignore").read_text().splitlines()[-1] == "*"


def test_cache_entry_follows_the_content(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (clean, dirty) = _files(tmp_path / "src", 2)
    counting = _Counting(monkeypatch)
    _cached_run([clean, dirty], tmp_path / "cache")
    # Touched but unchanged (a checkout): the content hash says hit.
    os.utime(clean.path, ns=(1, 1))
    _cached_run([clean], tmp_path / "cache")
    assert counting.paths == [clean.display, dirty.display]
    # Changed, even with the same size and mtime restored: a miss.
    status = os.stat(dirty.path)
    Path(dirty.path).write_text(LRU.replace("None", "1234"))
    os.utime(dirty.path, ns=(status.st_atime_ns, status.st_mtime_ns))
    (outcome,) = _cached_run([dirty], tmp_path / "cache")
    assert counting.paths[-1] == dirty.display
    assert outcome.diagnostics == ()


def test_settings_change_misses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = _files(tmp_path / "src", 2)
    counting = _Counting(monkeypatch)
    _cached_run(files, tmp_path / "cache")
    (_, outcome) = _cached_run(files, tmp_path / "cache", cache_maxsize=7)
    assert len(counting.paths) == 4
    assert fingerprint(settings_for()) != fingerprint(settings_for(cache_maxsize=7))
    assert outcome.diagnostics[0].fix is not None
    assert outcome.diagnostics[0].fix.edits[0].content == "7"  # maxsize=None -> maxsize=7


def test_version_change_misses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = _files(tmp_path / "src", 2)
    counting = _Counting(monkeypatch)
    _cached_run(files, tmp_path / "cache")
    before = fingerprint(settings_for())
    monkeypatch.setattr(memlint_cache, "__version__", "999.0")
    assert fingerprint(settings_for()) != before
    _cached_run(files, tmp_path / "cache")
    assert len(counting.paths) == 4  # both files analysed again under the new version
    _cached_run(files, tmp_path / "cache")
    assert len(counting.paths) == 4  # and cached under it


def test_memlint_code_change_misses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A development checkout: same version, edited rule code, so the old results are stale."""
    package = tmp_path / "memlint"
    (package / "rules").mkdir(parents=True)
    rule = package / "rules" / "mem201.py"
    rule.write_text("# a rule\n")
    monkeypatch.setattr(memlint_cache, "__file__", str(package / "cache.py"))
    before = fingerprint(settings_for())
    os.utime(rule, ns=(1, 1))
    assert fingerprint(settings_for()) != before
    assert fingerprint(settings_for()) == fingerprint(settings_for())


@pytest.mark.parametrize(
    "corruption",
    [
        b"",
        b"{not json",
        b"[1, 2]",
        b'{"format": 1, "size": 0}',
        json.dumps({"format": 99}).encode(),
    ],
    ids=["empty", "truncated", "not-an-object", "missing-fields", "other-format"],
)
def test_corrupt_entry_is_a_miss_and_is_rewritten(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, corruption: bytes
) -> None:
    (source,) = _files(tmp_path / "src", 2)[1:]
    (good,) = _cached_run([source], tmp_path / "cache")
    entries = list((tmp_path / "cache").glob("*/*.json"))
    assert len(entries) == 1
    entry = json.loads(entries[0].read_bytes())
    if corruption == b'{"format": 1, "size": 0}':
        # Right format and stat, broken diagnostics.
        status = os.stat(source.path)
        corruption = json.dumps(
            {
                "format": 1,
                "size": status.st_size,
                "mtime_ns": status.st_mtime_ns,
                "diagnostics": [{}],
            }
        ).encode()
    entries[0].write_bytes(corruption)
    counting = _Counting(monkeypatch)
    (again,) = _cached_run([source], tmp_path / "cache")
    assert counting.paths == [source.display]
    assert again.diagnostics == good.diagnostics
    assert json.loads(entries[0].read_bytes()) == entry


def test_fixing_never_reads_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (source,) = _files(tmp_path / "src", 2)[1:]
    _cached_run([source], tmp_path / "cache")
    counting = _Counting(monkeypatch)
    options = settings_for()
    cache = Cache(str(tmp_path / "cache"), fingerprint(options))
    (outcome,) = run([source], options, RunOptions(fix=True, unsafe_fixes=True), cache=cache)
    assert counting.paths == [source.display]
    assert isinstance(outcome, FileOutcome) and outcome.fixed >= 1


def test_unwritable_cache_folder_runs_without_a_cache(tmp_path: Path) -> None:
    blocker = tmp_path / "cache"
    blocker.write_text("a file where the cache folder should be")
    (source,) = _files(tmp_path / "src", 2)[1:]
    (outcome,) = _cached_run([source], blocker)
    assert outcome.diagnostics
    assert blocker.read_text().startswith("a file")


def test_old_fingerprints_are_pruned(tmp_path: Path) -> None:
    root = tmp_path / "cache"
    for number in range(6):
        Cache(str(root), f"key{number}").prepare()
        os.utime(root / f"key{number}", ns=(number * 10**9, number * 10**9))
    Cache(str(root), "newest").prepare()
    kept = sorted(p.name for p in root.iterdir() if p.is_dir())
    assert kept == ["key3", "key4", "key5", "newest"]


def test_cached_diagnostics_take_the_current_display_path(tmp_path: Path) -> None:
    (source,) = _files(tmp_path / "src", 2)[1:]
    _cached_run([source], tmp_path / "cache")
    elsewhere = SourceFile(display="src/" + source.display, path=source.path, explicit=True)
    (outcome,) = _cached_run([elsewhere], tmp_path / "cache")
    assert {d.path for d in outcome.diagnostics} == {"src/" + source.display}
    assert memlint_cache.DEFAULT_DIR == ".memlint_cache"
