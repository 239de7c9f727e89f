"""The `ast_candidate` pre-filters of MEM203 and MEM204 never skip a file the rule flags.

Each filter must say True wherever its rule (libcst, with scopes) reports: on every Invalid
case, on the fixture, and on the near misses below that the rule does flag. It should say
False on files that hold the words but not the shapes; each such file is also checked to
hold no finding, so the list documents what the filter may skip.
"""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

from memlint import engine
from memlint.rule import Invalid, Rule
from memlint.rules.mem203_unbounded_memo_dict import UnboundedMemoDict
from memlint.rules.mem204_grow_forever_loop import GrowForeverLoop
from memlint.settings import Settings

ROOT = Path(__file__).parent.parent
RULES: dict[str, type[Rule]] = {"MEM203": UnboundedMemoDict, "MEM204": GrowForeverLoop}
INVALID = [
    pytest.param(code, case.code, id=f"{code}-{index}")
    for code, rule in RULES.items()
    for index, case in enumerate(rule.cases)
    if isinstance(case, Invalid)
]


def _candidate(code: str, source: str) -> bool:
    return RULES[code].ast_candidate(ast.parse(textwrap.dedent(source)))


def _findings(code: str, source: str) -> list[int]:
    """The lines the rule flags with the pre-filter off."""
    result = engine.lint_source(
        textwrap.dedent(source), "case.py", Settings(select=(code,)), prefilter=False
    )
    return [d.line for d in result.diagnostics if d.code == code]


@pytest.mark.parametrize(("code", "source"), INVALID)
def test_every_invalid_case_is_a_candidate(code: str, source: str) -> None:
    assert _candidate(code, source)


@pytest.mark.parametrize("code", sorted(RULES))
def test_the_fixture_is_a_candidate(code: str) -> None:
    assert _candidate(code, (ROOT / "fixtures" / "rules" / f"{code}.py").read_text())


# -- MEM203 ------------------------------------------------------------------------------------

MEM203_SKIPPED = [
    pytest.param("", id="empty"),
    pytest.param(
        """
        _TABLE = {}
        for _key in range(3):
            _TABLE[_key] = _key
        _NAMES = []
        _NAMES.append("a")
        """,
        id="filled-at-module-level",
    ),
    pytest.param(
        """
        def unique(items):
            seen = set()
            for item in items:
                seen.add(item)
            return seen
        """,
        id="a-local",
    ),
    pytest.param(
        """
        def make():
            cache = {}
            def get(key):
                cache[key] = key
                return cache[key]
            return get
        """,
        id="bound-in-a-def",
    ),
    pytest.param(
        """
        MAX = 3
        _state = {}
        def start(config):
            _state["config"] = config
            _state[MAX] = True
            _state[None, b"x", 1.5] = False
        """,
        id="constant-keys",
    ),
    pytest.param(
        """
        _slots = []
        _totals = {}
        _groups = {}
        def put(i, value):
            _slots[i] = value
            _totals[i] += value
            _groups[i].append(value)
        """,
        id="item-stores-that-do-not-grow-the-kind",
    ),
    pytest.param(
        """
        from collections import defaultdict
        _by_user = defaultdict(list)
        def log(line):
            _by_user["all"].append(line)
        """,
        id="defaultdict-constant-key",
    ),
    pytest.param(
        """
        _buffer = []
        def reset():
            _buffer[:] = []
        """,
        id="slice-store",
    ),
    pytest.param(
        """
        from dataclasses import dataclass, field
        @dataclass
        class Batch:
            items: list = field(default_factory=list)
            tags: list = []
            def add(self, item):
                self.items.append(item)
                self.tags.append(item)
        """,
        id="annotated-class-fields",
    ),
    pytest.param(
        """
        __all__ = ["a"]
        def export(fn):
            __all__.append(fn.__name__)
            return fn
        """,
        id="dunder",
    ),
    pytest.param(
        """
        _one = _two = {}
        _a, _b = [], []
        def put(key):
            _one[key] = key
            _a.append(key)
        """,
        id="not-one-name",
    ),
    pytest.param(
        """
        from mylib import Cache
        _cache = Cache()
        _made = make_dict()
        def put(key):
            _cache[key] = key
            _made[key] = key
        """,
        id="not-a-constructor",
    ),
    pytest.param(
        """
        from collections import *
        _hits = Counter()
        def hit(path):
            _hits[path] += 1
        """,
        id="star-import-is-not-resolved",
    ),
    pytest.param(
        """
        class Registry:
            seen = set()
            def add(self, key):
                seen.add(key)
        """,
        id="class-attribute-by-bare-name-in-a-method",
    ),
    pytest.param(
        """
        _hooks = []
        @_hooks.append
        def on_start():
            pass
        def later(fn=_hooks.append):
            return fn
        """,
        id="decorator-and-default-run-at-import",
    ),
    pytest.param(
        """
        import json
        config = json.loads("{}")
        def get(key):
            config[key] = 1
        """,
        id="no-container-binding",
    ),
]


@pytest.mark.parametrize("source", MEM203_SKIPPED)
def test_mem203_skips_files_without_the_shape(source: str) -> None:
    assert _findings("MEM203", source) == []
    assert not _candidate("MEM203", source)


MEM203_KEPT = [
    pytest.param(
        """
        import collections as c
        _hits = c.Counter()
        def hit(path):
            _hits[path] += 1
        """,
        id="module-alias",
    ),
    pytest.param(
        """
        from os import *
        _cache = {}
        def get(key):
            _cache[key] = compute(key)
        """,
        id="display-despite-a-star-import",
    ),
    pytest.param(
        """
        try:
            import fast
        except ImportError:
            _cache = {}
        def get(key):
            _cache[key] = compute(key)
        """,
        id="bound-in-a-try",
    ),
    pytest.param(
        """
        if True:
            class Tracker:
                _seen = set()
                def see(self, key):
                    self._seen.add(key)
        """,
        id="class-in-an-if",
    ),
    pytest.param(
        """
        _log = []
        def write():
            push = _log.append
            push(1)
        """,
        id="bound-method",
    ),
    pytest.param(
        """
        from collections import defaultdict
        _table = defaultdict(dict)
        def _put(a, b, value):
            _table[a][b] = value
        def _tag(a):
            _table[a]["seen"] = True
        def put(a, b, value):
            _put(a, b, value)
            _tag(a)
        """,
        id="defaultdict-entries",
    ),
    pytest.param(
        """
        _seen = set()
        def mark(items):
            global _seen
            _seen |= set(items)
        """,
        id="or-assign",
    ),
    pytest.param(
        """
        _events = []
        def outer():
            def inner(event):
                _events.append(event)
            return inner
        """,
        id="nested-def",
    ),
    pytest.param(
        """
        class Pool:
            _all = {}
            @classmethod
            def track(cls, key, conn):
                cls._all[key, id(conn)] = conn.open()
        """,
        id="classmethod-tuple-key",
    ),
    pytest.param(
        """
        _calls = []
        async def record(call):
            _calls.append(call)
        """,
        id="async-def",
    ),
    pytest.param(
        """
        _calls = []
        def make():
            class Handler:
                def handle(self, call):
                    _calls.append(call)
            return Handler
        """,
        id="method-of-a-class-in-a-def",
    ),
]


@pytest.mark.parametrize("source", MEM203_KEPT)
def test_mem203_keeps_near_misses_the_rule_flags(source: str) -> None:
    assert _findings("MEM203", source)
    assert _candidate("MEM203", source)


# -- MEM204 ------------------------------------------------------------------------------------

MEM204_SKIPPED = [
    pytest.param(
        """
        def read_all(sock):
            chunks = []
            while True:
                data = sock.recv(4096)
                if not data:
                    break
                chunks.append(data)
            return chunks
        """,
        id="break",
    ),
    pytest.param(
        """
        def poll(feed):
            seen = []
            while True:
                item = feed.get()
                if item is None:
                    return seen
                seen.append(item)
        """,
        id="return",
    ),
    pytest.param(
        """
        def pump(feed):
            seen = []
            while True:
                seen.append(feed.get())
                if len(seen) > 10:
                    raise OverflowError
        """,
        id="raise",
    ),
    pytest.param(
        """
        def run(flag):
            seen = []
            while flag.running:
                seen.append(1)
            while not True:
                seen.append(2)
            while 0:
                seen.append(3)
            while "":
                seen.append(4)
            for i in range(10):
                seen.append(i)
        """,
        id="loops-that-end",
    ),
    pytest.param(
        """
        import itertools
        from itertools import *
        def collect(source):
            seen = []
            for i in count():
                seen.append(i)
            for item in iter(source.get, None):
                seen.append(item)
            for item in itertools.repeat(source, 3):
                seen.append(item)
            for item in itertools.repeat(source, times=3):
                seen.append(item)
        """,
        id="star-import-sentinel-and-times",
    ),
    pytest.param(
        """
        def count():
            return [1, 2, 3]
        def collect():
            seen = []
            for i in count():
                seen.append(i)
        """,
        id="own-count",
    ),
    pytest.param(
        """
        def worker(results, jobs):
            while True:
                results.append(jobs.get())
        """,
        id="parameter",
    ),
    pytest.param(
        """
        import clock
        def heartbeat():
            state = {}
            while True:
                state["last"] = clock.now()
                state[LAST] = clock.now()
                state[Level.INFO] = 1
        """,
        id="constant-keys",
    ),
    pytest.param(
        """
        def serve(server):
            handlers = []
            while True:
                def on_message(message):
                    handlers.append(message)
                server.wait(on_message)
        """,
        id="add-in-a-nested-def",
    ),
    pytest.param(
        """
        import itertools
        async def tick(source):
            seen = []
            async for item in itertools.count():
                seen.append(item)
        """,
        id="async-for",
    ),
    pytest.param(
        """
        def tail(stream):
            lines = stream.lines()
            while True:
                lines.append(stream.read())
        """,
        id="not-bound-to-a-container",
    ),
]


@pytest.mark.parametrize("source", MEM204_SKIPPED)
def test_mem204_skips_files_without_the_shape(source: str) -> None:
    assert _findings("MEM204", source) == []
    assert not _candidate("MEM204", source)


MEM204_KEPT = [
    pytest.param(
        """
        def watch(poll):
            seen = set()
            while True:
                seen.add(poll())
                continue
                break
        """,
        id="dead-break",
    ),
    pytest.param(
        """
        def watch(poll):
            seen = []
            while True:
                for item in poll():
                    if item is None:
                        break
                else:
                    seen.append(None)
                seen.append(poll())
        """,
        id="break-of-an-inner-loop",
    ),
    pytest.param(
        """
        def watch(poll):
            seen = []
            while True:
                def check():
                    return poll()
                class Marker:
                    if True:
                        raise TypeError
                seen.append(check())
        """,
        id="exits-in-nested-scopes",
    ),
    pytest.param(
        """
        def watch(poll):
            log = []
            while 1:
                log.append(poll())
            while -1:
                log.append(poll())
            while not False:
                log.append(poll())
            while "yes":
                log.append(poll())
            while ...:
                log.append(poll())
        """,
        id="truthy-constants",
    ),
    pytest.param(
        """
        from itertools import count as ticks
        history = {}
        def sample(read):
            for t in ticks():
                history[t] = read()
        """,
        id="aliased-count",
    ),
    pytest.param(
        """
        import itertools
        def spin(xs, read):
            seen = []
            for _ in itertools.cycle(xs):
                seen.append(read())
        def again(read):
            seen = []
            for _ in itertools.repeat(None):
                seen.append(read())
        """,
        id="cycle-and-repeat",
    ),
    pytest.param(
        """
        from heapq import heappush as push
        def schedule(source):
            heap = []
            while True:
                push(heap, source.get())
        """,
        id="aliased-heappush",
    ),
    pytest.param(
        """
        class Collector:
            samples = []
            def run(self, sensor):
                while True:
                    self.samples.append(sensor.read())
        """,
        id="class-level-attribute",
    ),
    pytest.param(
        """
        from dataclasses import dataclass, field
        @dataclass
        class Collector:
            samples: list = field(default_factory=list)
            def run(self, sensor):
                while True:
                    self.samples.append(sensor.read())
        """,
        id="dataclass-field",
    ),
    pytest.param(
        """
        def index(feed):
            by_user = {}
            while True:
                event = feed.get()
                by_user.setdefault(event.user, []).append(event)
        """,
        id="setdefault-chain",
    ),
    pytest.param(
        """
        def total(feed):
            counts = {}
            buffer = []
            while True:
                counts[feed.key()] += 1
                buffer += feed.read()
        """,
        id="augmented",
    ),
]


@pytest.mark.parametrize("source", MEM204_KEPT)
def test_mem204_keeps_near_misses_the_rule_flags(source: str) -> None:
    assert _findings("MEM204", source)
    assert _candidate("MEM204", source)


def test_mem204_leaves_exit_calls_to_the_rule() -> None:
    # Whether `leave()` is `sys.exit` needs scopes: the filter keeps the file.
    source = """
        from sys import exit as leave
        def watch(poll):
            seen = []
            while True:
                seen.append(poll())
                if len(seen) > 3:
                    leave()
        """
    assert _findings("MEM204", source) == []
    assert _candidate("MEM204", source)
