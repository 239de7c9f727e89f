"""memlint.semantic.fanout: sizes of iterables, fan-out sources, semaphores, windows."""

from __future__ import annotations

import textwrap
from typing import Any, Callable

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper

from memlint.semantic import context
from memlint.semantic.fanout import (
    PROVIDERS,
    Count,
    Fanout,
    Source,
    code_of,
    is_batch_name,
    is_semaphore_name,
    multiply,
)

_Probe = Callable[[Fanout, cst.Call], Any]


class _Prober(cst.BatchableCSTVisitor):
    """Asks the analysis about every `probe(...)` call, as a rule would while visiting."""

    METADATA_DEPENDENCIES = PROVIDERS

    def __init__(self, module: cst.Module, ask: _Probe, threshold: int) -> None:
        super().__init__()
        self.analysis = Fanout(self, module, threshold)
        self.ask = ask
        self.answers: list[Any] = []

    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Name) and node.func.value == "probe":
            self.answers.append(self.ask(self.analysis, node))


def ask(code: str, question: _Probe, threshold: int = 64) -> list[Any]:
    module = cst.parse_module(textwrap.dedent(code))
    prober = _Prober(module, question, threshold)
    MetadataWrapper(module, unsafe_skip_copy=True).visit_batched([prober])
    return prober.answers


def _first(call: cst.Call) -> cst.BaseExpression:
    return call.args[0].value


def size(code: str) -> Count | None:
    (answer,) = ask(code, lambda fanout, call: fanout.size(_first(call)))
    return answer  # type: ignore[no-any-return]


# -- size ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("probe([a, b, c])", 3),
        ("probe((a,))", 1),
        ("probe({a, b})", 2),
        ("probe({1: a, 2: b})", 2),
        ("probe([])", 0),
        ("probe(range(64))", 64),
        ("probe(range(2, 12))", 10),
        ("probe(range(0, 100, 10))", 10),
        ("probe(range(0, 101, 10))", 11),
        ("probe(range(10, 0, -1))", 10),
        ("probe(range(i, i + 50))", 50),
        ("probe(range(-5))", 0),
        ("WORKERS = 8\nprobe(range(WORKERS))", 8),
        ("N = 4\nM = N * 4\nprobe(range(M + 1))", 17),
        ("probe(xs[:50])", 50),
        ("probe(xs[10:20])", 10),
        ("probe(xs[20:10])", 0),
        ("probe(xs[i:i + 50])", 50),
        ("probe(xs[i + 1:i + 50])", 49),
        ("probe(xs[self.at:self.at + 5])", 5),
        ("N = 25\nprobe(xs[i * N:(i + 1) * N])", 25),
        ("probe(xs[-10:])", 10),
        ("probe(xs[-20:-10])", 10),
        ("probe(xs[-5:3])", 5),
        ("probe(xs[0:100:2])", 50),
        ("probe(xs[:99:2])", 50),
        ("import itertools\nprobe(itertools.islice(xs, 10))", 10),
        ("from itertools import islice\nprobe(islice(xs, 5, 15))", 10),
        ("probe(list(range(3)))", 3),
        ("probe(sorted([c, b, a]))", 3),
        ("probe(enumerate(xs[:5]))", 5),
        ("probe(zip(xs, range(3)))", 3),
        ("probe(zip(range(9), range(3)))", 3),
        ("def f():\n    n = 10\n    probe(range(n))", 10),
        ("def f():\n    urls = ['a', 'b']\n    probe(urls)", 2),
        ("def f(xs):\n    part = xs[:20]\n    probe(part)", 20),
        ("import itertools\nfor group in itertools.batched(xs, 50):\n    probe(group)", 50),
        ("from more_itertools import chunked\nfor g in chunked(xs, n=30):\n    probe(g)", 30),
        ("for part in chunks(xs, 20):\n    probe(part)", 20),
        ("for part in my.util.batched(xs, 20):\n    probe(part)", 20),
        ("for i, g in enumerate(grouper(xs, 8)):\n    probe(g)", 8),
        ("groups = list(chunked(xs, 7))\nfor g in groups:\n    probe(g)", 7),
        # A comprehension over a bounded iterable: the product of its clauses.
        ("probe([x for x in range(3) for y in 'ab' if x])", None),
        ("probe([x for x in range(3) for y in range(4)])", 12),
    ],
)
def test_bounded_sizes(code: str, expected: int | None) -> None:
    if expected is None:
        assert size(code) is None
    else:
        assert size(code) == Count(expected)


@pytest.mark.parametrize(
    "code",
    [
        # Slices and batches whose length is someone's decision.
        "probe(xs[:limit])",
        "probe(xs[start:end])",
        "from itertools import islice\nprobe(islice(xs, n))",
        "for part in chunks(xs, n):\n    probe(part)",
        "for part in chunks(xs):\n    probe(part)",
        "for part in batched(xs, 10, 20):\n    probe(part)",
        # The name says it is a batch.
        "def f(batch):\n    probe(batch)",
        "def f(url_chunk):\n    probe(url_chunk)",
        "def f(chunk_of_ids):\n    probe(chunk_of_ids)",
    ],
)
def test_batches_of_unknown_size(code: str) -> None:
    assert size(code) == Count(None)


@pytest.mark.parametrize(
    "code",
    [
        "probe(xs)",
        "def f(urls):\n    probe(urls)",
        "def f(batches):\n    probe(batches)",
        "probe(range(n))",
        "probe(range(0, len(xs), 50))",
        "probe(xs[1:])",
        "probe(xs[i:])",
        "probe(xs[:-1])",
        "probe(xs[i:-1])",
        "probe(xs[::-1])",
        "probe(xs[::k])",
        "probe(xs[a, b])",
        "probe([*xs, 1])",
        "probe({**d})",
        "probe(f(x))",
        "probe(range(*args))",
        "probe(itertools.count())",
        "import itertools\nprobe(itertools.batched(xs, 50))",
        "probe(zip(xs, ys))",
        "for part in xs:\n    probe(part)",
        "for part in split(xs, 20):\n    probe(part)",
        "async def f():\n    async for part in chunks(xs, 20):\n        probe(part)",
        "def f():\n    n = 10\n    n = 20\n    probe(range(n))",
        "def f():\n    urls = load()\n    probe(urls)",
        "import list\nprobe(list(range(3)))",
        "probe([x for x in range(3) for y in xs])",
        "async def f():\n    probe([x async for x in range(3)])",
    ],
)
def test_unbounded_sizes(code: str) -> None:
    assert size(code) is None


def test_range_with_zero_or_unknown_step() -> None:
    assert size("probe(range(0, 10, 0))") is None
    assert size("probe(range(0, 10, k))") is None


def test_a_constant_redefined_at_module_level_is_not_folded() -> None:
    assert size("N = 8\nN = 9\nprobe(range(N))") is None


def test_bounded_is_inclusive() -> None:
    fanout = Fanout.__new__(Fanout)
    fanout.threshold = 64
    assert fanout.bounded(Count(64))
    assert not fanout.bounded(Count(65))
    assert fanout.bounded(Count(None))
    assert not fanout.bounded(None)


def test_multiply() -> None:
    assert multiply([Count(2), Count(3)]) == Count(6)
    assert multiply([Count(2), None]) is None
    assert multiply([]) == Count(1)
    # A batch of unknown size: trusted, unless the known part alone says more than one.
    assert multiply([Count(None), Count(1)]) == Count(None)
    assert multiply([Count(None), Count(100)]) == Count(100)


@pytest.mark.parametrize(
    ("identifier", "semaphore", "batch"),
    [
        ("sem", True, False),
        ("_sem", True, False),
        ("fetch_semaphore", True, False),
        ("rateLimiter", True, False),
        ("semester", False, False),
        ("batch", False, True),
        ("url_batch", False, True),
        ("chunk_of_ids", False, True),
        ("batches", False, False),
        ("chunks", False, False),
        ("urls", False, False),
    ],
)
def test_name_heuristics(identifier: str, semaphore: bool, batch: bool) -> None:
    assert is_semaphore_name(identifier) is semaphore
    assert is_batch_name(identifier) is batch


# -- sources ---------------------------------------------------------------------------------


def _sources(fanout: Fanout, call: cst.Call) -> list[tuple[str, str, str | None, bool]]:
    return [
        (
            source.kind,
            code_of(source.label) if source.label is not None else "while",
            code_of(source.element) if source.element is not None else None,
            fanout.unbounded(source),
        )
        for source in fanout.sources(_first(call), call)
    ]


def sources(code: str) -> list[tuple[str, str, str | None, bool]]:
    (answer,) = ask(code, _sources)
    return answer  # type: ignore[no-any-return]


def test_comprehensions_and_map_are_sources() -> None:
    assert sources("probe([f(u) for u in urls])") == [("comprehension", "urls", "f(u)", True)]
    assert sources("probe({f(u) for u in urls})") == [("comprehension", "urls", "f(u)", True)]
    assert sources("probe(f(u) for u in urls[:3])") == [
        ("comprehension", "urls[:3]", "f(u)", False)
    ]
    assert sources("probe({f(u): u for u in urls})") == [("comprehension", "urls", "f(u)", True)]
    assert sources("probe(map(f, urls))") == [("map", "urls", "f", True)]
    assert sources("probe(list(map(f, urls, range(3))))") == [("map", "urls", "f", False)]


def test_other_expressions_are_not_sources() -> None:
    assert sources("probe([a(), b()])") == []
    assert sources("probe(self.tasks)") == []
    assert sources("def f(coros):\n    probe(coros)") == []
    assert sources("def f():\n    coros = make()\n    probe(coros)") == []
    assert sources("import map\nprobe(map(f, urls))") == []


def test_a_name_bound_to_a_comprehension() -> None:
    code = """
    def f(urls):
        tasks = [g(u) for u in urls]
        probe(tasks)
    """
    assert sources(code) == [("comprehension", "urls", "g(u)", True)]


def test_a_name_filled_in_a_loop() -> None:
    code = """
    def f(urls, n):
        tasks = []
        for u in urls:
            tasks.append(g(u))
        for i in range(3):
            tasks += [h(i)]
        while n:
            tasks.extend(k(x) for x in xs)
        probe(tasks)
    """
    assert sources(code) == [
        ("fill", "urls", "g(u)", True),
        ("fill", "range(3)", "h(i)", False),
        ("fill", "while", "k(x)", True),
    ]


def test_dict_and_set_fills() -> None:
    code = """
    def f(urls):
        futures, pending = {}, set()
        for u in urls:
            futures[create_task(g(u))] = u
            pending.add(u)
        probe(futures)
        probe(pending)
    """
    assert ask(code, _sources) == [
        [("fill", "urls", "create_task(g(u))", True)],
        [("fill", "urls", "u", True)],
    ]


def test_fills_that_do_not_count() -> None:
    code = """
    def f(groups, other):
        for group in groups:
            tasks = []  # a new collection on each pass
            for u in group[:10]:
                tasks.append(g(u))
            probe(tasks)
        later = []
        probe(later)
        for u in groups:
            later.append(u)  # after the consumer
        mine = []
        for u in groups:
            other.append(u)  # another collection
        mine.append(1)  # not in a loop
        probe(mine)
    """
    assert ask(code, _sources) == [[("fill", "group[:10]", "g(u)", False)], [], []]


def test_a_fill_inside_the_consumers_loop_does_not_repeat_for_it() -> None:
    code = """
    async def f(urls):
        tasks = []
        for u in urls:
            tasks.append(g(u))
            if len(tasks) >= 50:
                await probe(tasks)
        probe(tasks)
    """
    # The second consumer sees a fill repeated by a loop that keeps a window.
    assert ask(code, _sources) == [[], [("fill", "urls", "g(u)", False)]]


def test_a_fill_in_a_nested_function_is_not_seen() -> None:
    code = """
    def f(urls):
        tasks = []
        def add(u):
            for x in u:
                tasks.append(x)
        probe(tasks)
    """
    assert sources(code) == []


# -- guarded ---------------------------------------------------------------------------------


def guarded(code: str) -> list[bool]:
    return ask(code, lambda fanout, call: fanout.guarded(_first(call)))


@pytest.mark.parametrize(
    "code",
    [
        # A semaphore bound in the enclosing function, a module-level one, a parameter.
        """
        import asyncio
        async def main(urls):
            sem = asyncio.Semaphore(10)
            async def one(u):
                async with sem:
                    return await get(u)
            probe(one(u))
            probe(asyncio.create_task(one(u)))
            probe(asyncio.ensure_future(one(u)))
            probe(one)
            probe(lambda u: one(u))
        """,
        """
        from asyncio import BoundedSemaphore
        LIMIT = BoundedSemaphore(4)
        async def one(u):
            await LIMIT.acquire()
            try:
                return await get(u)
            finally:
                LIMIT.release()
        probe(one(u))
        """,
        """
        import functools
        async def one(session, u, sem):
            async with sem:
                return await session.get(u)
        probe(functools.partial(one, session))
        """,
        """
        import asyncio
        async def one(u, gate: asyncio.Semaphore):
            async with gate:
                return await get(u)
        probe(one(u, gate))
        """,
        # A method of the same class, through `self`, with a semaphore attribute.
        """
        import asyncio
        class Crawler:
            def __init__(self):
                self.gate = asyncio.Semaphore(8)
            async def one(self, u):
                async with self.gate:
                    return await get(u)
            async def run(self, urls):
                probe(self.one(u))
        """,
        """
        import asyncio
        class Crawler:
            gate: asyncio.Semaphore
            async def one(self, u):
                async with self.gate:
                    return await get(u)
            async def run(self, urls):
                probe(self.one(u))
        """,
        """
        class Crawler:
            async def one(self, u):
                async with self.pool.limiter:
                    return await get(u)
            async def run(self, urls):
                probe(self.one(u))
        """,
        # A task made earlier and appended.
        """
        import asyncio
        async def one(u, sem):
            async with sem:
                return await get(u)
        async def main(u):
            task = asyncio.create_task(one(u, sem))
            probe(task)
        """,
    ],
)
def test_guarded(code: str) -> None:
    assert all(guarded(code))


@pytest.mark.parametrize(
    "code",
    [
        # A lock lets one at a time through, but that is not a semaphore's name or type.
        """
        import asyncio
        async def main(urls):
            lock = asyncio.Lock()
            async def one(u):
                async with lock:
                    return await get(u)
            probe(one(u))
        """,
        # A new semaphore per call bounds nothing.
        """
        import asyncio
        async def one(u):
            async with asyncio.Semaphore(4):
                return await get(u)
        probe(one(u))
        """,
        # The semaphore is held in a nested function, not in the one called.
        """
        async def one(u, sem):
            async def inner():
                async with sem:
                    pass
            return await get(u)
        probe(one(u, sem))
        """,
        # Not a function of this module.
        "from lib import one\nprobe(one(u))",
        "probe(client.one(u))",
        "probe(self.one(u))",
        "probe(u)",
    ],
)
def test_not_guarded(code: str) -> None:
    assert not any(guarded(code))


# -- loops -----------------------------------------------------------------------------------


def _innermost(fanout: Fanout, call: cst.Call) -> context.Loop:
    loop = context.context_of(fanout.visitor, call).loop
    assert loop is not None
    return loop


def throttled(code: str) -> list[bool]:
    return ask(code, lambda fanout, call: fanout.throttled(_innermost(fanout, call)))


def test_throttled_loops() -> None:
    code = """
    import asyncio
    async def main(urls, sem, pending, limit):
        for u in urls:
            if len(pending) >= limit:
                await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            probe(u)
        for u in urls:
            while len(pending) > limit:
                done, pending = await asyncio.wait(pending)
            probe(u)
        for u in urls:
            await sem.acquire()
            probe(u)
        while True:
            if queue.qsize() > 10:
                await queue.join()
            probe()
    """
    assert throttled(code) == [True, True, True, True]


def test_unthrottled_loops() -> None:
    code = """
    import asyncio
    async def main(urls, pending, limit):
        for u in urls:
            if len(pending) >= limit:
                print("full")  # no await: nothing waits for room
            probe(u)
        for u in urls:
            await asyncio.sleep(0)
            probe(u)
        for u in urls:
            async def later():
                await sem.acquire()
            probe(u)
        [probe(u) for u in urls]
    """
    assert throttled(code) == [False, False, False, False]


def test_loop_size_and_label() -> None:
    code = """
    async def main(urls, n):
        for u in urls[:5]:
            probe()
        while n:
            probe()
        async for u in stream:
            probe()
        [probe() for u in range(3) for v in range(2)]
    """

    def question(fanout: Fanout, call: cst.Call) -> tuple[Count | None, str | None]:
        loop = _innermost(fanout, call)
        label = fanout.loop_label(loop)
        return fanout.loop_size(loop), None if label is None else code_of(label)

    assert ask(code, question) == [
        (Count(5), "urls[:5]"),
        (None, None),
        (None, "stream"),
        (Count(6), "range(3)"),
    ]


def test_in_window() -> None:
    code = """
    import asyncio
    async def main(urls, pending, limit):
        for u in urls:
            if len(pending) >= limit:
                await probe(pending)
            probe(pending)
        while len(pending) > limit:
            probe(pending)
        probe(pending)
    """
    answers = ask(code, lambda fanout, call: fanout.in_window(call))
    assert answers == [True, False, True, False]


def test_waited_in_iteration() -> None:
    code = """
    async def main(urls, tg, ex):
        for u in urls:
            await probe(u)
        for u in urls:
            t = probe(u)
            await t
        for u in urls:
            t = probe(u)
            await asyncio.wait_for(t, 5)
        for u in urls:
            t = probe(u)
            tasks.append(t)
        [await probe(u) for u in urls]
        [probe(u) for u in urls]
        [probe(u).result() for u in urls]
        for u in urls:
            futures = [probe(u)]
            for fut in futures:
                fut.result()
        {probe(u): u for u in urls}
    """

    def waited(fanout: Fanout, call: cst.Call) -> bool:
        return not fanout.in_flight(call, (_innermost(fanout, call),))

    assert ask(code, waited) == [True, True, True, False, True, False, True, True, False]


def _in_flight(fanout: Fanout, call: cst.Call) -> list[str]:
    loops = fanout.in_flight(call, context.context_of(fanout.visitor, call).loops)
    return ["while" if label is None else code_of(label) for label in map(fanout.loop_label, loops)]


def test_in_flight_stops_at_the_loop_that_waits() -> None:
    code = """
    from concurrent.futures import as_completed
    async def main(batches, ex, n):
        for batch in batches:
            futures = [probe(x) for x in batch]
            for fut in as_completed(futures):
                print(fut.result())
        for batch in batches:
            tasks = []
            for x in batch:
                tasks.append(probe(x))
            for t in tasks:
                await t
        while n:
            for batch in batches:
                t = probe(batch)
                pending.add(t)
        for batch in batches:
            [probe(x) for x in batch]
    """
    assert ask(code, _in_flight) == [
        ["batch"],
        ["batch"],
        ["while", "batches"],
        ["batches", "batch"],
    ]


def test_holders() -> None:
    code = """
    def main(urls, ex):
        futures = {}
        for u in urls:
            t = probe(u)
            pending.add(t)
            futures[probe(u)] = u
            (w := probe(u))
        done = [probe(u) for u in urls]
        alone = 1
        probe(u)
    """
    assert ask(code, lambda fanout, call: sorted(fanout.holders(call))) == [
        ["pending", "t"],
        ["futures"],
        ["w"],
        ["done"],
        [],
    ]


def test_describe() -> None:
    fanout = Fanout.__new__(Fanout)
    assert fanout.describe(cst.parse_expression("urls")) == "`urls`"
    long = cst.parse_expression("session.query(User).filter(User.active == True)")
    assert fanout.describe(long) == "the input"
    assert fanout.describe(None) == "the input"


def test_code_of_collapses_whitespace() -> None:
    assert code_of(cst.parse_expression("xs[\n    i : i + 1\n]")) == "xs[ i : i + 1 ]"


def test_source_is_plain_data() -> None:
    source = Source(cst.Name("x"), Count(3), None, (), None)
    assert source.kind == "loop"


def test_a_bound_method_kept_in_a_local_fills() -> None:
    code = """
    def f(fields):
        pending = []
        push = pending.append
        for name in fields:
            push(load(name))
        probe(pending)
    """
    assert sources(code) == [("fill", "fields", "load(name)", True)]


def test_a_closure_gathers_what_its_enclosing_function_filled() -> None:
    code = """
    def f(fields):
        pending = []
        for name in fields:
            pending.append(load(name))
        async def run():
            return probe(pending)
        return run
    """
    assert sources(code) == [("fill", "fields", "load(name)", True)]


def test_a_literal_that_is_added_to_has_no_constant_size() -> None:
    assert (
        size(
            "def f(xs):\n    names = []\n    for x in xs:\n        names.append(x)\n"
            "    probe(names)"
        )
        is None
    )
    assert size("def f(xs):\n    names = ['a']\n    push = names.append\n    probe(names)") is None
    assert size("def f(xs):\n    names = {}\n    names[x] = 1\n    probe(names)") is None
    assert size("def f(xs):\n    names = ['a', 'b']\n    probe(names)") == Count(2)
    # A tuple cannot grow.
    assert size("def f(xs):\n    names = ('a', 'b')\n    names += xs\n    probe(names)") is None


def test_a_comprehension_that_makes_nothing_passes_its_iterable_through() -> None:
    # Tasks that already exist: no source of their own.
    assert sources("import asyncio\nprobe([t for t in asyncio.all_tasks() if not t.done()])") == []
    assert sources("probe(t.task for t in self.workers)") == []
    code = """
    def f(urls):
        pending = []
        for u in urls:
            pending.append(load(u))
        probe(results[k] for k in pending)
    """
    assert sources(code) == [("fill", "urls", "load(u)", True)]
    # A call in the element makes something per item.
    assert sources("probe([ensure_future(t) for t in tasks])") == [
        ("comprehension", "tasks", "ensure_future(t)", True)
    ]


def test_mapping_views_have_the_mappings_size() -> None:
    assert size("SERVICES = {'a': 1, 'b': 2}\nprobe(SERVICES.items())") == Count(2)
    assert size("probe(config.items())") is None


@pytest.mark.parametrize(
    "stop",
    [
        "num_workers",
        "self.concurrency",
        "config.max_parallel",
        "POOL_SIZE",
        "limit",
        "os.cpu_count()",
        "n_cpus",
    ],
)
def test_a_range_over_a_chosen_limit_is_someones_decision(stop: str) -> None:
    assert size(f"probe(range({stop}))") == Count(None)


@pytest.mark.parametrize("stop", ["n", "count", "len(urls)", "self.total", "num_tasks"])
def test_a_range_over_other_names_is_unbounded(stop: str) -> None:
    assert size(f"probe(range({stop}))") is None


def test_loop_source() -> None:
    code = """
    async def main(urls, tg, n):
        for i in range(3):
            for u in urls:
                probe(u)
        for i in range(3):
            for j in range(4):
                probe(i)
        while n:
            probe(n)
    """

    def question(fanout: Fanout, call: cst.Call) -> tuple[Count | None, str | None, bool]:
        loops = context.context_of(fanout.visitor, call).loops
        source = fanout.loop_source(call, loops, _first(call))
        label = None if source.label is None else code_of(source.label)
        return source.count, label, fanout.unbounded(source)

    assert ask(code, question) == [
        (None, "urls", True),
        (Count(12), "range(3)", False),
        (None, None, True),
    ]
    assert ask(code, question, threshold=10)[1] == (Count(12), "range(3)", True)


def test_threads_keep_windows_without_await() -> None:
    code = """
    from concurrent.futures import FIRST_COMPLETED, wait
    def main(ex, urls, sem):
        futures = set()
        for u in urls:
            if len(futures) >= 8:
                done, futures = wait(futures, return_when=FIRST_COMPLETED)
            probe(u)
        for u in urls:
            sem.acquire()
            probe(u)
    """
    assert throttled(code) == [True, True]


_EXECUTORS = frozenset({"concurrent.futures.ThreadPoolExecutor", "concurrent.futures.Executor"})


def _bound(fanout: Fanout, call: cst.Call) -> list[str] | None:
    loops = fanout.bound_to(_first(call), _EXECUTORS)
    if loops is None:
        return None
    around = context.context_of(fanout.visitor, call).loops
    return [
        code_of(fanout.loop_label(x) or cst.Name("while")) for x in around if id(x.node) in loops
    ]


def test_bound_to_an_executor() -> None:
    code = """
    import concurrent.futures as cf
    from concurrent.futures import Executor, ThreadPoolExecutor as Pool
    from typing import Optional
    SHARED = Pool(4)
    def f(urls, given: Optional[Executor], other: "Executor", executor=None):
        probe(SHARED)
        with cf.ThreadPoolExecutor() as ex:
            probe(ex)
        probe(given)
        probe(other)  # a string annotation is not followed
        executor = executor or Pool()
        probe(executor)
        alias = ex
        probe(alias)
        probe(cf.ThreadPoolExecutor())
        for batch in urls:
            with Pool() as pool:
                for u in batch:
                    probe(pool)
    class Service:
        def __init__(self, pool: Executor | None = None):
            self.pool = pool
            self.own = Pool()
        def run(self):
            probe(self.pool)
            probe(self.own)
            probe(self.other)
    """
    assert ask(code, _bound) == [
        [],
        [],
        [],
        None,
        [],
        [],
        [],
        ["urls"],
        [],
        [],
        None,
    ]


def test_not_bound_to_an_executor() -> None:
    code = """
    from concurrent.futures import ThreadPoolExecutor
    class Pool:
        def submit(self, fn): ...
    def f(jobs, ex):
        probe(ex)  # a parameter without annotation
        mine = Pool()
        probe(mine)
        probe(jobs.executor)
        maybe = ThreadPoolExecutor() if jobs else Pool()
        probe(maybe)
        other = ThreadPoolExecutor()
        other = Pool()
        probe(other)
    """
    # `maybe` may be an executor: either branch counts.
    assert ask(code, _bound) == [None, None, None, [], None]


def test_consumed() -> None:
    code = """
    import asyncio
    from asyncio import wait
    async def main(tasks, pending, limit, a, b):
        probe(asyncio.gather(*tasks, a, *b))
        probe(wait(tasks, timeout=1))
        probe(asyncio.as_completed(fs=tasks))
        probe(gather(*tasks))
        for t in tasks:
            if len(pending) >= limit:
                probe(wait(pending, return_when=asyncio.FIRST_COMPLETED))
    """

    def question(fanout: Fanout, call: cst.Call) -> tuple[str, list[str]] | None:
        found = fanout.consumed(ensure_call(_first(call)))
        return None if found is None else (found[0], [code_of(e) for e in found[1]])

    assert ask(code, question) == [
        ("gather", ["tasks", "b"]),
        ("wait", ["tasks"]),
        ("as_completed", ["tasks"]),
        None,
        None,
    ]


def ensure_call(node: cst.BaseExpression) -> cst.Call:
    assert isinstance(node, cst.Call)
    return node


def test_gathered() -> None:
    code = """
    import asyncio
    async def main(urls):
        tasks = [probe(u) for u in urls]
        await asyncio.gather(*tasks)
        pending = set()
        for u in urls:
            t = probe(u)
            pending.add(t)
        await asyncio.wait(pending)
        for u in urls:
            probe(u)
        mine = [probe(u) for u in urls]
        for t in mine:
            await t
        later = [probe(u) for u in urls]
    async def other(later):
        await asyncio.gather(*later)
    """
    assert ask(code, lambda fanout, call: fanout.gathered(call)) == [
        True,
        True,
        False,
        False,
        False,
    ]


def test_amount() -> None:
    code = """
    def f(urls, n):
        for u in urls:
            probe(u)
        for u in range(100):
            probe(u)
        while n:
            probe(n)
    """

    def question(fanout: Fanout, call: cst.Call) -> str:
        loops = context.context_of(fanout.visitor, call).loops
        return fanout.amount(fanout.loop_source(call, loops, None), "work item")

    assert ask(code, question) == [
        "one work item per item of `urls`",
        "100 work items",
        "one work item per pass of a `while` loop",
    ]
