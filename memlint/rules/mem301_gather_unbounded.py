"""MEM301: asyncio `gather`/`wait`/`as_completed` or TaskGroup fan-out over unbounded input."""

from __future__ import annotations

import ast
import functools

import libcst as cst

from memlint.rule import Invalid, Rule, Valid
from memlint.semantic import astindex, context, fanout, names

_TASK_GROUP = frozenset({"asyncio.TaskGroup", "asyncio.taskgroups.TaskGroup"})


class GatherUnbounded(Rule):
    """
    ## What it does
    Flags asyncio fan-out over input with no bound: `asyncio.gather(*X)`, `asyncio.wait(X)`
    and `asyncio.as_completed(X)` where `X` is a list, set or dict comprehension, a
    generator expression, `map(...)` (also inside `list()`/`set()`/`tuple()`), or a name
    bound in the function to one of those or filled inside a `for`/`while` loop before the
    call (`tasks.append(...)`, `.add(...)`, `.extend(...)`, `tasks += [...]`,
    `futures[task] = ...`, or through a bound method kept as `push = tasks.append`); and
    `create_task(...)` on an `asyncio.TaskGroup` (bound by `async with asyncio.TaskGroup()
    as tg` or `tg = asyncio.TaskGroup()`, or a parameter annotated `asyncio.TaskGroup`)
    inside a loop or a comprehension within the group. Names are resolved: `import asyncio
    as aio` and `from asyncio import gather as g` are recognised, a function or method of
    your own called `gather` is not.

    Not flagged:

    - fan-out over a constant number of items up to `fanout-threshold` (inclusive): a
      literal list, tuple, set or dict (and its `.items()`), a `range(...)` whose length
      folds (module constants and single-assignment locals are folded: `range(WORKERS)`
      with `WORKERS = 8`), or a slice whose length folds from upper minus lower
      (`urls[:50]`, `urls[i:i + 50]`, `urls[i * N:(i + 1) * N]`, `urls[-10:]`). A constant
      fan-out above the threshold (`range(65)`, `urls[:100]`) is flagged: it is a
      constant, but more tasks at once than the threshold allows. A slice whose bound is
      not a constant (`urls[:limit]`), and a `range()` over a name that says it is a
      chosen limit (`range(num_workers)`, `range(self.concurrency)`, `range(max_parallel)`,
      `range(pool_size)`, `range(os.cpu_count())`), are someone's decision and not
      flagged;
    - fan-out over one batch: the iterable is bound by `for group in
      itertools.batched(xs, n)` (or `more_itertools.chunked` and friends), or by a `for`
      over a call of a function whose name says it batches (`chunks`, `chunked`, `batched`,
      `batches`, `grouper`, `chunk`, `windowed`, `partition_all`), or its own name says it
      is a batch (`batch`, `chunk`, `url_batch`, but not `batches`). A batch size that
      folds above the threshold is flagged like any constant;
    - each coroutine wrapped in a function (defined in the module, or a method of the same
      class) that acquires a semaphore: `async with sem:` or `await sem.acquire()`, where
      `sem` is bound to `asyncio.Semaphore(...)`/`BoundedSemaphore(...)`, is a parameter
      annotated so, is a name or attribute that says so (`sem`, `semaphore`, `limiter`), or
      is `self.<attr>` assigned a semaphore in the class. The element may reach the
      function through `create_task`, `ensure_future`, `wait_for`, `functools.partial` or
      a `lambda`;
    - a loop that keeps a window (an `if`/`while` testing `len(...)` with an `await` under
      it, such as `if len(pending) >= limit: await asyncio.wait(pending,
      return_when=FIRST_COMPLETED)`) or acquires a semaphore (`await sem.acquire()`) in
      its body, and the windowed wait itself; a task awaited in the same iteration that
      created it;
    - a comprehension that makes nothing and only picks from existing tasks (`[t for t
      in asyncio.all_tasks() if not t.done()]`): what it iterates is checked instead;
    - a collection handed in by the caller (`async def run(coros): await
      asyncio.gather(*coros)`), or returned by a call: it is not built in a loop here;
    - `trio` and `anyio`, whose task groups are out of scope.

    ## Why is this bad?
    `gather` over a comprehension starts every coroutine at once: ten thousand URLs mean ten
    thousand tasks, sockets and response buffers alive together, and every result is kept
    until the last one finishes. Memory grows with the input instead of with the
    concurrency you chose, and a large input ends in an out-of-memory kill or in the remote
    service throttling you. The same holds for `asyncio.wait` and `as_completed` over tasks
    created up front, and for `TaskGroup.create_task` in a loop.

    ## Example
    ```python
    import asyncio

    async def fetch_all(session, urls):
        return await asyncio.gather(*(session.get(url) for url in urls))
    ```

    ## Use instead
    Bound the tasks in flight with a semaphore-guarded helper:
    ```python
    import asyncio

    async def fetch_all(session, urls):
        sem = asyncio.Semaphore(64)

        async def fetch(url):
            async with sem:
                return await session.get(url)

        return await asyncio.gather(*(fetch(url) for url in urls))
    ```

    or, so that results do not pile up either, a bounded queue and a fixed pool of workers:
    ```python
    import asyncio

    async def fetch_all(session, urls, handle):
        queue = asyncio.Queue(maxsize=64)

        async def worker():
            while True:
                url = await queue.get()
                try:
                    handle(await session.get(url))
                finally:
                    queue.task_done()

        workers = [asyncio.create_task(worker()) for _ in range(8)]
        for url in urls:
            await queue.put(url)
        await queue.join()
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
    ```

    ## Options
    - `fanout-threshold`: fan-out over a constant number of items up to this many is not
      flagged (default 64); the suggestion uses it as the bound.

    ## References
    - [asyncio.gather](https://docs.python.org/3/library/asyncio-task.html#asyncio.gather)
    - [asyncio.Semaphore](https://docs.python.org/3/library/asyncio-sync.html#asyncio.Semaphore)
    - [asyncio.TaskGroup](https://docs.python.org/3/library/asyncio-task.html#task-groups)
    - [itertools.batched](https://docs.python.org/3/library/itertools.html#itertools.batched)
    """

    code = "MEM301"
    name = "gather-unbounded"
    summary = "An asyncio fan-out that starts one task per input item, all at once"
    options = ("fanout_threshold",)
    # Every file that reaches asyncio's gather/wait/as_completed/TaskGroup imports asyncio
    # by name (`import asyncio`, `from asyncio import gather`, `from asyncio.tasks import
    # wait`), so the word is always there.
    triggers = ("asyncio",)

    @staticmethod
    def ast_candidate(tree: ast.Module) -> bool:
        """A call of asyncio's `gather`/`wait`/`as_completed`, or `<r>.create_task(...)`
        with a `TaskGroup` reachable through the imports."""
        if names.calls_to(tree, fanout.CONSUMERS):
            return True
        return names.Imports.of(tree).may_name(_TASK_GROUP) and any(
            isinstance(call.func, ast.Attribute) and call.func.attr == "create_task"
            for call in astindex.nodes(tree, ast.Call)
        )

    METADATA_DEPENDENCIES = (*names.PROVIDERS, *context.PROVIDERS, *fanout.PROVIDERS)

    cases = (
        # A function or method of one's own called `gather` is not asyncio's.
        Valid(
            """
            import asyncio
            async def gather(*aws): ...
            class Crawler:
                async def gather(self, *aws): ...
                async def run(self, urls):
                    await self.gather(*(self.fetch(u) for u in urls))
                    await gather(*[self.fetch(u) for u in urls])
            """
        ),
        # The threshold is inclusive: 64 tasks is fine by default.
        Valid(
            """
            import asyncio
            async def main(queue):
                await asyncio.gather(*(worker(queue) for _ in range(64)))
            """
        ),
        # Module constants are folded.
        Valid(
            """
            import asyncio as aio
            WORKERS = 8
            async def main(queue):
                await aio.gather(*[worker(queue, n) for n in range(WORKERS)])
            """
        ),
        # Slices whose length folds: upper minus lower.
        Valid(
            """
            import asyncio
            async def crawl(urls):
                await asyncio.gather(*(fetch(u) for u in urls[:50]))
                for i in range(0, len(urls), 50):
                    await asyncio.gather(*(fetch(u) for u in urls[i:i + 50]))
            """
        ),
        # One batch at a time, by itertools.batched or a helper named for it.
        Valid(
            """
            import asyncio
            from itertools import batched
            async def crawl(urls):
                for group in batched(urls, 32):
                    await asyncio.gather(*(fetch(u) for u in group))
                for part in chunks(urls, 20):
                    await asyncio.wait([asyncio.create_task(fetch(u)) for u in part])
            """
        ),
        # Each coroutine holds a semaphore: at most 10 run at once.
        Valid(
            """
            import asyncio
            async def crawl(urls):
                sem = asyncio.Semaphore(10)
                async def fetch_one(url):
                    async with sem:
                        return await fetch(url)
                return await asyncio.gather(*(fetch_one(u) for u in urls))
            """
        ),
        Valid(
            """
            import asyncio
            class Crawler:
                def __init__(self):
                    self._limit = asyncio.BoundedSemaphore(10)
                async def _get(self, url):
                    await self._limit.acquire()
                    try:
                        return await fetch(url)
                    finally:
                        self._limit.release()
                async def run(self, urls):
                    tasks = [asyncio.create_task(self._get(u)) for u in urls]
                    await asyncio.wait(tasks)
            """
        ),
        # A TaskGroup that keeps a window of tasks in flight, and the windowed wait itself.
        Valid(
            """
            import asyncio
            async def crawl(urls, limit):
                pending = set()
                async with asyncio.TaskGroup() as tg:
                    for url in urls:
                        if len(pending) >= limit:
                            _, pending = await asyncio.wait(
                                pending, return_when=asyncio.FIRST_COMPLETED
                            )
                        pending.add(tg.create_task(fetch(url)))
            """
        ),
        # A slot is acquired before each task starts; the task releases it.
        Valid(
            """
            import asyncio
            async def crawl(urls, sem: asyncio.Semaphore):
                async with asyncio.TaskGroup() as tg:
                    for url in urls:
                        await sem.acquire()
                        tg.create_task(fetch_then_release(url, sem))
            """
        ),
        # A window kept with plain tasks: the final wait drains at most 64.
        Valid(
            """
            import asyncio
            async def crawl(urls):
                pending = set()
                for url in urls:
                    if len(pending) >= 64:
                        done, pending = await asyncio.wait(
                            pending, return_when=asyncio.FIRST_COMPLETED
                        )
                    pending.add(asyncio.create_task(fetch(url)))
                await asyncio.wait(pending)
            """
        ),
        # Literals: the code bounds them.
        Valid(
            """
            import asyncio
            async def main():
                await asyncio.gather(*(load_users(), load_orders(), load_stock()))
                for fut in asyncio.as_completed([ping(h) for h in ("a", "b", "c")]):
                    await fut
            """
        ),
        # A parameter is the caller's collection, not built in a loop here.
        Valid(
            """
            import asyncio
            async def run_all(coros):
                return await asyncio.gather(*coros)
            """
        ),
        # A name filled by a loop of constant length, and a task awaited as it is made.
        Valid(
            """
            import asyncio
            async def main(urls):
                tasks = []
                for shard in range(4):
                    tasks.append(asyncio.create_task(scan(shard)))
                await asyncio.gather(*tasks)
                async with asyncio.TaskGroup() as tg:
                    for url in urls:
                        await tg.create_task(fetch(url))
            """
        ),
        # Existing tasks picked by a comprehension that starts nothing, and a worker pool
        # whose size someone chose.
        Valid(
            """
            import asyncio
            async def shutdown():
                tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
            async def serve(queue, num_workers):
                workers = [asyncio.create_task(worker(queue)) for _ in range(num_workers)]
                await asyncio.gather(*workers)
            """
        ),
        Invalid(
            """
            import asyncio as aio
            async def crawl(urls):
                return await aio.gather(*[fetch(u) for u in urls])
            """,
            line=3,
            column=18,
        ),
        Invalid(
            """
            from asyncio import gather as g
            async def crawl(urls):
                return await g(*map(fetch, urls), return_exceptions=True)
            """,
            line=3,
            column=18,
        ),
        # A name built by a `for` loop.
        Invalid(
            """
            import asyncio
            async def crawl(urls):
                tasks = []
                for url in urls:
                    tasks.append(asyncio.create_task(fetch(url)))
                return await asyncio.gather(*tasks)
            """,
            line=6,
            column=18,
        ),
        Invalid(
            """
            import asyncio
            async def crawl(urls):
                done, _ = await asyncio.wait({asyncio.create_task(fetch(u)) for u in urls})
            """,
            line=3,
            column=21,
        ),
        Invalid(
            """
            import asyncio
            async def crawl(urls):
                for fut in asyncio.as_completed([fetch(u) for u in urls]):
                    print(await fut)
            """,
            line=3,
            column=16,
        ),
        Invalid(
            """
            import asyncio
            async def crawl(urls):
                async with asyncio.TaskGroup() as tg:
                    tasks = [tg.create_task(fetch(u)) for u in urls]
                return [t.result() for t in tasks]
            """,
            line=4,
            column=18,
        ),
        Invalid(
            """
            from asyncio import TaskGroup
            def spawn(tg: TaskGroup, urls):
                for url in urls:
                    tg.create_task(fetch(url))
            """,
            line=4,
            column=9,
        ),
        # A constant fan-out above the configured threshold.
        Invalid(
            """
            import asyncio
            async def main():
                await asyncio.gather(*(worker(i) for i in range(11)))
            """,
            line=3,
            settings={"fanout_threshold": 10},
        ),
        Invalid(
            """
            import asyncio
            async def main():
                await asyncio.gather(*(worker(i) for i in range(65)))
            """,
            line=3,
        ),
        # A slice is bounded, but above the threshold.
        Invalid(
            """
            import asyncio
            async def crawl(urls):
                await asyncio.gather(*(fetch(u) for u in urls[:100]))
            """,
            line=3,
        ),
        # Filled by a `while` loop that drains a queue.
        Invalid(
            """
            import asyncio
            async def drain(queue):
                tasks = set()
                while not queue.empty():
                    tasks.add(asyncio.create_task(handle(queue.get_nowait())))
                await asyncio.wait(tasks)
            """,
            line=6,
        ),
        # A name bound to `list(map(...))`, through `asyncio.tasks`.
        Invalid(
            """
            from asyncio.tasks import gather
            async def crawl(urls):
                coros = list(map(fetch, urls))
                return await gather(*coros)
            """,
            line=4,
        ),
        # Filled through a bound method kept in a local, gathered by a closure.
        Invalid(
            """
            from asyncio import gather
            def resolve(fields):
                pending = []
                push = pending.append
                for field in fields:
                    push(field.resolve())
                async def all_results():
                    return await gather(*pending)
                return all_results
            """,
            line=8,
        ),
        # A lock is not a semaphore: one at a time, but every task is started at once.
        Invalid(
            """
            import asyncio
            async def crawl(urls):
                lock = asyncio.Lock()
                async def fetch_one(url):
                    async with lock:
                        return await fetch(url)
                return await asyncio.gather(*(fetch_one(u) for u in urls))
            """,
            line=7,
        ),
    )

    @functools.cached_property
    def analysis(self) -> fanout.Fanout:
        return fanout.Fanout(self, self.context.module, self.settings.fanout_threshold)

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        # Shape first: asyncio's functions and `tg.create_task` are names or attributes.
        if not isinstance(func, (cst.Name, cst.Attribute)):
            return
        if isinstance(func, cst.Attribute) and func.attr.value == "create_task":
            self._check_task_group(node, func)
            return
        consumed = self.analysis.consumed(node)
        if consumed is None:
            return
        kind, fanned = consumed
        for expression in fanned:
            for source in self.analysis.sources(expression, node):
                if self.analysis.unbounded(source):
                    self._report(node, kind, source)
                    return

    # -- TaskGroup -------------------------------------------------------------------------

    def _check_task_group(self, call: cst.Call, func: cst.Attribute) -> None:
        if not call.args or call.args[0].star:
            return
        outside = self.analysis.bound_to(func.value, _TASK_GROUP)
        if outside is None:
            return
        # Only the loops inside the TaskGroup repeat `create_task` for one group: a group
        # opened in each pass of an outer loop waits for its tasks before the next pass.
        loops = [
            loop for loop in context.context_of(self, call).loops if id(loop.node) not in outside
        ]
        source = self.analysis.repeated(
            call, self.analysis.in_flight(call, loops), call.args[0].value
        )
        if source is not None:
            self._report(call, "create_task", source)

    # -- reporting -------------------------------------------------------------------------

    def _report(self, node: cst.Call, kind: str, source: fanout.Source) -> None:
        threshold = self.settings.fanout_threshold
        constant = source.count is not None and source.count.items is not None
        what = self.analysis.amount(source, "task")
        if constant:
            # Only a constant fan-out above the threshold gets here.
            cost = (
                f"more than the fan-out threshold of {threshold}, so they all hold their "
                "memory together"
            )
        else:
            cost = "so memory grows with the input"
        if kind == "gather":
            message = f"`asyncio.gather()` starts {what} at once, {cost}"
        elif kind == "create_task" and constant:
            message = f"`create_task()` on a `TaskGroup` starts {what} in a loop, {cost}"
        elif kind == "create_task":
            message = (
                f"`create_task()` on a `TaskGroup` starts {what} with nothing bounding how "
                f"many run at once, {cost}"
            )
        else:
            message = f"`asyncio.{kind}()` waits on {what}, all started at once, {cost}"
        if kind == "create_task":
            suggestion = (
                f"Bound the tasks in flight: run each task's work under `async with sem:` with "
                f"`sem = asyncio.Semaphore({threshold})`, or start {threshold} workers that "
                f"read an `asyncio.Queue(maxsize={threshold})`"
            )
        else:
            suggestion = (
                f"Bound the tasks in flight: `sem = asyncio.Semaphore({threshold})` and "
                f"`async with sem:` around each call, or gather in batches of {threshold}"
            )
        # Medium (the class's): the fan-out is as wide as its input, whose size is not known.
        self.report(node, message, suggestion=suggestion)
