"""MEM302: `concurrent.futures` executor fan-out: every work item submitted up front."""

from __future__ import annotations

import ast
import functools

import libcst as cst

from memlint.rule import Invalid, Rule, Valid
from memlint.semantic import astindex, context, fanout, names

_EXECUTORS = frozenset(
    {
        "concurrent.futures.Executor",
        "concurrent.futures._base.Executor",
        "concurrent.futures.ThreadPoolExecutor",
        "concurrent.futures.thread.ThreadPoolExecutor",
        "concurrent.futures.ProcessPoolExecutor",
        "concurrent.futures.process.ProcessPoolExecutor",
        "concurrent.futures.InterpreterPoolExecutor",
        "concurrent.futures.interpreter.InterpreterPoolExecutor",
    }
)


class ExecutorFanout(Rule):
    """
    ## What it does
    Flags work submitted to a `concurrent.futures` executor one item per input item, all
    up front:

    - `executor.submit(...)` repeated by a loop over unbounded input: in a list, set or
      dict comprehension or a generator expression (`[ex.submit(f, x) for x in xs]`,
      `{ex.submit(f, x): x for x in xs}`), reported at the comprehension; in a `for` or
      `while` loop (`futures.append(ex.submit(f, x))`, or a fire-and-forget
      `ex.submit(f, x)`, whose work item waits in the executor's queue just the same),
      reported at the `submit` call;
    - `executor.map(fn, xs)` over unbounded input, reported at the call: `Executor.map`
      submits every item before it yields the first result, however lazily its result is
      read.

    The receiver must be an executor: a name bound by `ThreadPoolExecutor(...)`,
    `ProcessPoolExecutor(...)` or `InterpreterPoolExecutor(...)` (`ex = ...`, `with ... as
    ex`, `ex = ex or ThreadPoolExecutor()`), a parameter annotated `Executor` or one of
    those classes (`Optional[...]` too), or `self.<attr>` that the class assigns one of
    those to or annotates so. Names are resolved: `import concurrent.futures as cf` and
    `from concurrent.futures import ThreadPoolExecutor as Pool` are recognised; an object
    of your own with a `submit` or `map` method, `multiprocessing.Pool`, and an executor
    handed in without an annotation are not.

    Not flagged:

    - a loop over a constant number of items up to `fanout-threshold` (inclusive): a
      literal, a `range(...)` whose length folds (module constants folded:
      `range(WORKERS)`), a slice whose length folds (`urls[i:i + 50]`); a slice with a
      bound that is not a constant (`urls[:limit]`), one batch (`for batch in
      itertools.batched(urls, 50)`, a name like `batch` or `chunk`), and a `range()` over
      a chosen limit (`range(num_workers)`,
      `range(os.cpu_count())`);
    - a loop that keeps a window of futures (`if len(pending) >= limit:` with
      `wait(pending, return_when=FIRST_COMPLETED)` under it) or acquires a semaphore in
      its body (released by a done callback);
    - a future waited for in the same pass that submitted it (`ex.submit(f, x).result()`,
      `wait(futures)` or `as_completed(futures)` in the loop that fills `futures`): the
      loops outside that one do not pile work up;
    - loops around the executor's own `with` block (or its creation): each pass shuts the
      executor down, waiting for its work, before the next;
    - `executor.map(..., buffersize=n)` (Python 3.14+), which keeps at most `n` items in
      flight.

    A semaphore acquired inside the submitted function does not bound anything here: the
    executor queues every work item before any of them runs.

    ## Why is this bad?
    `submit` never blocks: a loop over a million inputs puts a million work items (the
    function and its arguments) into the executor's unbounded internal queue at once, and
    every future keeps its result (or exception, with its traceback) until the future
    itself is dropped, usually after the last one finishes. Memory grows with the input
    instead of with the number of workers; a large input ends in an out-of-memory kill
    long before the pool is busy. `Executor.map` does the same before yielding anything.

    ## Example
    ```python
    from concurrent.futures import ThreadPoolExecutor, as_completed

    def download_all(urls):
        with ThreadPoolExecutor(max_workers=8) as ex:
            futures = [ex.submit(download, url) for url in urls]
            for future in as_completed(futures):
                save(future.result())
    ```

    ## Use instead
    Keep a bounded window of futures in flight:
    ```python
    from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

    def download_all(urls, limit=64):
        with ThreadPoolExecutor(max_workers=8) as ex:
            pending = set()
            for url in urls:
                if len(pending) >= limit:
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for future in done:
                        save(future.result())
                pending.add(ex.submit(download, url))
            for future in wait(pending).done:
                save(future.result())
    ```

    or, on Python 3.14+, `ex.map(download, urls, buffersize=64)`.

    ## Options
    - `fanout-threshold`: a loop over a constant number of items up to this many is not
      flagged (default 64); the suggestion uses it as the window size.

    ## References
    - [concurrent.futures.Executor.submit](https://docs.python.org/3/library/concurrent.futures.html#concurrent.futures.Executor.submit)
    - [concurrent.futures.wait](https://docs.python.org/3/library/concurrent.futures.html#concurrent.futures.wait)
    - [Executor.map and buffersize](https://docs.python.org/3.14/library/concurrent.futures.html#concurrent.futures.Executor.map)
    - [CPython issue 74028: Executor.map consumes its input eagerly](https://github.com/python/cpython/issues/74028)
    """

    code = "MEM302"
    name = "executor-fanout"
    summary = "An executor fan-out that submits one work item per input item, all up front"
    options = ("fanout_threshold",)
    # The receiver must be shown to be an executor, and every way to show it spells one of
    # these classes in the file: the constructor, the `with`, an annotation, an import.
    triggers = ("Executor", "ThreadPoolExecutor", "ProcessPoolExecutor", "InterpreterPoolExecutor")

    @staticmethod
    def ast_candidate(tree: ast.Module) -> bool:
        """An executor is only ever reached through an import; and only `.submit(...)`
        and `.map(...)` calls are looked at."""
        return names.Imports.of(tree).may_name(_EXECUTORS) and any(
            isinstance(call.func, ast.Attribute) and call.func.attr in ("submit", "map")
            for call in astindex.nodes(tree, ast.Call)
        )

    METADATA_DEPENDENCIES = (*names.PROVIDERS, *context.PROVIDERS, *fanout.PROVIDERS)

    cases = (
        # A method of one's own called `submit` or `map`, on an object that is no executor.
        Valid(
            """
            from concurrent.futures import ThreadPoolExecutor
            class Scheduler:
                def submit(self, job): ...
            def plan(jobs):
                scheduler = Scheduler()
                for job in jobs:
                    scheduler.submit(job)
                return [scheduler.submit(j) for j in jobs]
            """
        ),
        # A worker per shard: the loop's length is a constant under the threshold.
        Valid(
            """
            from concurrent.futures import ThreadPoolExecutor
            SHARDS = 4
            def scan(table):
                with ThreadPoolExecutor() as ex:
                    futures = [ex.submit(scan_shard, table, n) for n in range(SHARDS)]
                    return [f.result() for f in futures]
            """
        ),
        # One batch at a time: a slice whose length folds, waited for before the next.
        Valid(
            """
            from concurrent.futures import ThreadPoolExecutor, wait
            def fetch_all(urls):
                with ThreadPoolExecutor(8) as ex:
                    for i in range(0, len(urls), 50):
                        futures = [ex.submit(fetch, u) for u in urls[i:i + 50]]
                        wait(futures)
            """
        ),
        # A window of futures kept with wait(FIRST_COMPLETED).
        Valid(
            """
            from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
            def fetch_all(urls, limit):
                pending = set()
                with ThreadPoolExecutor() as ex:
                    for url in urls:
                        if len(pending) >= limit:
                            done, pending = wait(pending, return_when=FIRST_COMPLETED)
                        pending.add(ex.submit(fetch, url))
            """
        ),
        # Each future is waited for in the pass that submitted it.
        Valid(
            """
            import concurrent.futures
            def convert(paths):
                ex = concurrent.futures.ProcessPoolExecutor()
                for path in paths:
                    print(ex.submit(convert_one, path).result())
            """
        ),
        # A new executor per batch: leaving the `with` waits for the batch.
        Valid(
            """
            from concurrent.futures import ThreadPoolExecutor
            def index(pages):
                for batch in chunks(pages, 32):
                    with ThreadPoolExecutor() as ex:
                        list(ex.map(index_page, batch))
            """
        ),
        # `buffersize` (3.14+) bounds what `map` keeps in flight; a literal is bounded.
        Valid(
            """
            from concurrent.futures import ThreadPoolExecutor
            def run(urls):
                with ThreadPoolExecutor() as ex:
                    yield from ex.map(fetch, urls, buffersize=64)
                    yield from ex.map(fetch, ["a", "b", "c"])
            """
        ),
        # A slot is taken before each submit and given back when the work is done.
        Valid(
            """
            import threading
            from concurrent.futures import ThreadPoolExecutor
            def fetch_all(urls):
                slots = threading.BoundedSemaphore(64)
                with ThreadPoolExecutor() as ex:
                    for url in urls:
                        slots.acquire()
                        ex.submit(fetch, url).add_done_callback(lambda _: slots.release())
            """
        ),
        # multiprocessing's pool is not a concurrent.futures executor, nor is an executor
        # handed in without an annotation (nothing shows what it is).
        Valid(
            """
            from concurrent.futures import Executor
            from multiprocessing import Pool
            def crunch(rows, executor):
                with Pool() as pool:
                    pool.map(score, rows)
                return [executor.submit(score, r) for r in rows]
            """
        ),
        Invalid(
            """
            from concurrent.futures import ThreadPoolExecutor, as_completed
            def fetch_all(urls):
                with ThreadPoolExecutor(max_workers=8) as ex:
                    futures = [ex.submit(fetch, url) for url in urls]
                    return [f.result() for f in as_completed(futures)]
            """,
            line=4,
            column=19,
        ),
        # A dict comprehension through a module alias: reported at the comprehension.
        Invalid(
            """
            import concurrent.futures as cf
            def load(paths):
                with cf.ProcessPoolExecutor() as pool:
                    future_to_path = {pool.submit(parse, p): p for p in paths}
                    for future in cf.as_completed(future_to_path):
                        yield future_to_path[future], future.result()
            """,
            line=4,
            column=26,
        ),
        Invalid(
            """
            from concurrent.futures import ThreadPoolExecutor as Pool, wait
            def ping(hosts):
                with Pool() as ex:
                    wait({ex.submit(ping_one, h) for h in hosts})
            """,
            line=4,
            column=14,
        ),
        # Appended in a `for` loop: reported at the `submit` call.
        Invalid(
            """
            from concurrent.futures import ThreadPoolExecutor, wait
            def resize(images):
                futures = []
                with ThreadPoolExecutor() as ex:
                    for image in images:
                        futures.append(ex.submit(resize_one, image))
                wait(futures)
            """,
            line=6,
            column=28,
        ),
        # Fire-and-forget in a server loop: every request waits in the executor's queue.
        Invalid(
            """
            from concurrent.futures import ThreadPoolExecutor
            POOL = ThreadPoolExecutor(max_workers=4)
            def serve(sock):
                while True:
                    conn, _ = sock.accept()
                    POOL.submit(handle, conn)
            """,
            line=6,
            column=9,
        ),
        # `map` submits every item before it yields the first result.
        Invalid(
            """
            from concurrent.futures import ProcessPoolExecutor
            def checksums(paths):
                with ProcessPoolExecutor() as ex:
                    for path, digest in zip(paths, ex.map(sha256_of, paths)):
                        print(path, digest)
            """,
            line=4,
            column=40,
        ),
        # An executor kept on the instance.
        Invalid(
            """
            from concurrent.futures import ThreadPoolExecutor
            class Indexer:
                def __init__(self):
                    self._executor = ThreadPoolExecutor(max_workers=4)
                def index(self, documents):
                    return [self._executor.submit(self._index_one, d) for d in documents]
            """,
            line=6,
            column=16,
        ),
        Invalid(
            """
            from concurrent.futures import Executor
            def render(executor: Executor, pages):
                return list(executor.map(render_page, pages))
            """,
            line=3,
            column=17,
        ),
        # A constant above the threshold.
        Invalid(
            """
            from concurrent.futures import ThreadPoolExecutor
            def probe():
                with ThreadPoolExecutor() as ex:
                    return [ex.submit(probe_port, port) for port in range(1024)]
            """,
            line=4,
            column=16,
        ),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        # A comprehension with two `submit` calls is one fan-out: report it once.
        self._reported: set[int] = set()

    @functools.cached_property
    def analysis(self) -> fanout.Fanout:
        return fanout.Fanout(self, self.context.module, self.settings.fanout_threshold)

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        # Shape first: only `<receiver>.submit(...)` and `<receiver>.map(...)`.
        if not isinstance(func, cst.Attribute) or func.attr.value not in ("submit", "map"):
            return
        outside = self.analysis.bound_to(func.value, _EXECUTORS)
        if outside is None:
            return
        if func.attr.value == "map":
            self._check_map(node)
        else:
            self._check_submit(node, outside)

    def _check_submit(self, call: cst.Call, outside: set[int]) -> None:
        loops = [
            loop for loop in context.context_of(self, call).loops if id(loop.node) not in outside
        ]
        # No element: a semaphore inside the submitted function bounds nothing queued.
        source = self.analysis.repeated(call, self.analysis.in_flight(call, loops), None)
        if source is None:
            return
        innermost = source.loops[-1]
        comprehension = innermost.kind == "comprehension"
        where: cst.CSTNode = innermost.node if comprehension else call
        if id(where) in self._reported:
            return
        self._reported.add(id(where))
        what = self.analysis.amount(source, "work item")
        if comprehension:
            message = f"A comprehension submits {what} to the executor at once"
        else:
            message = f"`submit()` in a loop queues {what} on the executor, waiting for none"
        self._report(where, f"{message}, {self._cost(source.count)}", window=True)

    def _check_map(self, call: cst.Call) -> None:
        args = call.args
        # `buffersize=` (3.14+) keeps a window; `*iterables` cannot be sized.
        if any(a.star or (a.keyword is not None and a.keyword.value == "buffersize") for a in args):
            return
        positional = [a.value for a in args if a.keyword is None]
        if len(positional) < 2:
            return
        count = self.analysis.shortest(positional[1:])
        if self.analysis.bounded(count):
            return
        source = fanout.Source(call, count, positional[0], (), positional[1], "map")
        what = self.analysis.amount(source, "work item")
        message = f"`Executor.map()` submits {what} before it yields a result"
        self._report(call, f"{message}, {self._cost(count)}", window=False)

    def _cost(self, count: fanout.Count | None) -> str:
        if count is not None and count.items is not None:
            threshold = self.settings.fanout_threshold
            return f"more than the fan-out threshold of {threshold}"
        return "so queued work items and their futures grow with the input"

    def _report(self, node: cst.CSTNode, message: str, *, window: bool) -> None:
        limit = self.settings.fanout_threshold
        suggestion = (
            f"Keep a bounded window of futures: when `len(pending) >= {limit}`, "
            "`done, pending = wait(pending, return_when=FIRST_COMPLETED)` before submitting more"
        )
        if not window:
            suggestion += f", or pass `buffersize={limit}` on Python 3.14+"
        self.report(node, message, suggestion=suggestion)
