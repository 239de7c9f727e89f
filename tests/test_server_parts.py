"""The language server's parts without a client: actions, configuration, scheduling, worker."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from memlint import cli
from memlint.config import ConfigError
from memlint.diagnostics import Applicability
from memlint.fixes import apply_edits
from memlint.server import actions
from memlint.server.configs import Configs
from memlint.server.scheduler import Scheduler
from memlint.server.worker import FIX_ALL, LINT, Job, Worker, WorkerError, run_job
from memlint.settings import Settings
from memlint.suppression import parse_suppressions
from tests.helpers import lint

LRU = "from functools import lru_cache\n\n\n@lru_cache(maxsize=None)\ndef f(x):\n    return x\n"


def _generated(lines: int) -> str:
    """A module that takes the engine a while: many functions, one finding."""
    body = "".join(
        f"def f{n}(items):\n    return sum(x for x in items if x > {n})\n\n"
        for n in range(lines // 3)
    )
    return "import queue\n\njobs = queue.Queue()\n\n" + body


# -- actions -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("only", "kind", "expected"),
    [
        (None, actions.FIX_ALL, True),
        ([], actions.QUICKFIX, True),
        (["source"], actions.FIX_ALL, True),
        (["source.fixAll"], actions.FIX_ALL, True),
        (["source.fixAll"], actions.QUICKFIX, False),
        (["source.organizeImports"], actions.FIX_ALL, False),
        (["source.fix"], actions.FIX_ALL, False),  # kinds nest at dots, not at any prefix
        (["quickfix"], actions.QUICKFIX, True),
    ],
)
def test_requested_kinds_follow_the_lsp_hierarchy(
    only: list[str] | None, kind: str, expected: bool
) -> None:
    assert actions.requested(kind, only) is expected


def _suppressed(text: str, line: int, code: str) -> str:
    edit = actions.noqa_edit(text, line, code)
    assert edit is not None
    new_text = apply_edits(text, [edit])
    noqa = parse_suppressions(new_text).noqa[line]
    assert noqa.codes is not None and code in noqa.codes
    return new_text


def test_noqa_goes_at_the_end_of_the_line_without_trailing_blanks() -> None:
    text = "import queue\nq = queue.Queue()   \r\nr = 1\n"
    assert _suppressed(text, 2, "MEM202") == (
        "import queue\nq = queue.Queue()  # noqa: MEM202\r\nr = 1\n"
    )


def test_noqa_joins_the_codes_already_on_the_line() -> None:
    text = "q = Queue()  # noqa: MEM201 keyed by enum\n"
    assert _suppressed(text, 1, "MEM202") == "q = Queue()  # noqa: MEM201, MEM202 keyed by enum\n"


def test_noqa_after_an_ordinary_comment() -> None:
    text = "q = Queue()  # the inbox\n"
    assert _suppressed(text, 1, "MEM202") == "q = Queue()  # the inbox  # noqa: MEM202\n"


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ('q = f("""\n  text\n""")\n', 1),  # the line ends inside a string
        ("q = Queue() + \\\n    x\n", 1),  # a comment cannot follow a backslash
        ("q = Queue()  # noqa\n", 1),  # blanket: nothing is shown there to suppress
        ("q = 1\n", 5),
    ],
)
def test_no_noqa_where_a_comment_cannot_go(text: str, line: int) -> None:
    assert actions.noqa_edit(text, line, "MEM202") is None


def test_hover_text_names_the_rule_its_summary_fix_and_docs() -> None:
    [diagnostic] = lint(LRU, ["MEM201"])
    text = actions.hover_markdown(diagnostic)
    assert text.startswith(
        "**MEM201** `unbounded-lru-cache`: A memoising cache with no bound on its size"
    )
    assert diagnostic.message in text
    assert "Fix (unsafe): Pass `maxsize=1024`" in text
    assert actions.doc_uri("MEM201") == (Path("docs/rules/MEM201.md").resolve().as_uri())
    assert f"]({actions.doc_uri('MEM201')})" in text
    assert actions.fix_title(diagnostic) == "MEM201: Pass `maxsize=1024` (unsafe fix)"


# -- configuration -----------------------------------------------------------------------


def _touch(path: Path, text: str) -> None:
    path.write_text(text)
    # Another size and mtime, whatever the file system's clock resolution.
    stamp = time.time() + 10 * len(text)
    os.utime(path, (stamp, stamp))


def test_configs_follow_edits_and_new_nearer_files(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    source = str(package / "a.py")
    configs = Configs(str(tmp_path))
    assert configs.settings_for(source) == Settings(root=str(tmp_path))
    _touch(tmp_path / "pyproject.toml", "[tool.memlint]\ncache-maxsize = 5\n")
    assert configs.settings_for(source).cache_maxsize == 5
    _touch(tmp_path / "pyproject.toml", "[tool.memlint]\ncache-maxsize = 6000\n")
    assert configs.settings_for(source).cache_maxsize == 6000
    _touch(package / "memlint.toml", "cache-maxsize = 7\n")
    assert configs.settings_for(source).cache_maxsize == 7
    (package / "memlint.toml").unlink()
    assert configs.settings_for(source).cache_maxsize == 6000
    _touch(tmp_path / "pyproject.toml", "[tool.memlint]\ncache-maxsize = 0\n")
    with pytest.raises(ConfigError, match="cache-maxsize"):
        configs.settings_for(source)
    # A buffer with no file takes the configuration of the workspace.
    _touch(tmp_path / "pyproject.toml", "[tool.memlint]\ncache-maxsize = 8\n")
    assert configs.settings_for(None).cache_maxsize == 8


# -- scheduling --------------------------------------------------------------------------


def test_the_latest_document_goes_first_and_a_burst_costs_one_analysis() -> None:
    analysed: list[str] = []

    async def analyse(uri: str) -> None:
        analysed.append(uri)
        await asyncio.sleep(0.01)

    async def scenario() -> None:
        scheduler = Scheduler(analyse)
        scheduler.schedule("a", 0)
        await asyncio.sleep(0)  # `a` is being analysed ...
        scheduler.schedule("b", 0)  # ... while `b`, then `c`, become due
        scheduler.schedule("c", 0)
        await asyncio.sleep(0.2)
        assert analysed == ["a", "c", "b"]
        for _ in range(5):
            scheduler.schedule("typed", 0.05)
        scheduler.schedule("closed", 0.01)
        scheduler.forget("closed")
        assert scheduler.pending("typed")
        await asyncio.sleep(0.5)
        assert not scheduler.pending("typed")
        assert analysed == ["a", "c", "b", "typed"]
        scheduler.close()

    asyncio.run(scenario())


def test_a_failing_analysis_does_not_stop_the_next() -> None:
    analysed: list[str] = []

    async def analyse(uri: str) -> None:
        analysed.append(uri)
        if uri == "bad":
            raise RuntimeError("a bug")

    async def scenario() -> None:
        scheduler = Scheduler(analyse)
        scheduler.schedule("bad", 0)
        await asyncio.sleep(0.05)
        scheduler.schedule("good", 0)
        await asyncio.sleep(0.05)
        scheduler.close()

    asyncio.run(scenario())
    assert analysed == ["bad", "good"]


# -- the worker --------------------------------------------------------------------------


def test_fix_all_applies_the_safe_fixes_only() -> None:
    text = LRU + "\n\ndef g(ys):\n    return sum([y for y in ys])\n"
    settings = Settings()
    linted = run_job(Job(LINT, text, "a.py", settings))
    assert {d.code for d in linted.diagnostics} == {"MEM201", "MEM404"}
    fixed = run_job(Job(FIX_ALL, text, "a.py", settings, linted.diagnostics))
    assert fixed.edit is not None
    assert apply_edits(text, [fixed.edit]) == text.replace(
        "sum([y for y in ys])", "sum(y for y in ys)"
    )
    # What remains is the unsafe one, as `memlint check --fix` would leave it.
    assert [(d.code, d.fix and d.fix.applicability) for d in fixed.diagnostics] == [
        ("MEM201", Applicability.UNSAFE)
    ]


def test_the_worker_process_recovers_from_a_kill_and_a_timeout() -> None:
    job = Job(LINT, "import queue\nq = queue.Queue()\n", "a.py", Settings())
    worker = Worker(timeout=60)
    try:
        assert [d.code for d in worker.run(job).diagnostics] == ["MEM202"]
        # Killed between jobs: the next job starts a new process.
        worker._process.kill()
        worker._process.join(10)
        assert [d.code for d in worker.run(job).diagnostics] == ["MEM202"]
        # Killed in the middle of a job: that job fails with a message, the next one runs.
        # Far longer than the test waits, however fast the engine gets: it is killed first.
        slow = Job(LINT, _generated(60_000), "slow.py", Settings())
        killer = threading.Timer(0.5, worker._process.kill)
        killer.start()
        with pytest.raises(WorkerError, match=r"died while analysing slow\.py"):
            worker.run(slow)
        killer.join()
        worker.timeout = 0.2
        with pytest.raises(WorkerError, match=r"took longer than 0\.2 s"):
            worker.run(slow)
        worker.timeout = 60
        assert [d.code for d in worker.run(job).diagnostics] == ["MEM202"]
    finally:
        worker.stop()


# -- the command ---------------------------------------------------------------------------


def test_server_without_pygls_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(__import__("sys").modules, "pygls", None)
    result = CliRunner().invoke(cli.main, ["server"])
    assert result.exit_code == 2
    assert (
        result.output
        == "memlint: error: `memlint server` needs pygls: pip install 'memlint[lsp]'\n"
    )
