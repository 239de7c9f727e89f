"""MEM303: asyncio tasks started in a loop with nothing bounding how many run at once."""

from __future__ import annotations

import ast
import functools

import libcst as cst

from memlint.rule import Invalid, Rule, Valid
from memlint.semantic import astindex, context, fanout, names

_CREATE = frozenset(
    {
        "asyncio.create_task",
        "asyncio.tasks.create_task",
        "asyncio.ensure_future",
        "asyncio.tasks.ensure_future",
    }
)
# What makes (or types) an event loop, for `loop.create_task(...)`.
_EVENT_LOOPS = frozenset(
    {
        "asyncio.get_event_loop",
        "asyncio.events.get_event_loop",
        "asyncio.get_running_loop",
        "asyncio.events.get_running_loop",
        "asyncio.new_event_loop",
        "asyncio.events.new_event_loop",
        "asyncio.AbstractEventLoop",
        "asyncio.events.AbstractEventLoop",
        "asyncio.BaseEventLoop",
        "asyncio.base_events.BaseEventLoop",
        "asyncio.SelectorEventLoop",
        "asyncio.ProactorEventLoop",
        "uvloop.new_event_loop",
        "uvloop.Loop",
    }
)


class CreateTaskLoop(Rule):
    """
    ## What it does
    Flags `asyncio.create_task(...)`, `asyncio.ensure_future(...)` and
    `loop.create_task(...)` inside a loop (a `for`, a `while`, an endless `while True:`
    server loop, or a comprehension) over unbounded input, with nothing bounding how many
    of the tasks run at once. `loop` is an event loop: a name bound by
    `asyncio.get_event_loop()`, `get_running_loop()` or `new_event_loop()`, a parameter
    annotated `asyncio.AbstractEventLoop`, `self.<attr>` that the class assigns one of
    those, or the call itself (`asyncio.get_running_loop().create_task(...)`). Names are
    resolved: `from asyncio import ensure_future as spawn` is recognised; a function of your
    own called `create_task`, and `loop.create_task` on an object that is not shown to be an
    event loop, are not.

    Not flagged:

    - a loop over a constant number of items up to `fanout-threshold` (inclusive), one
      batch, a slice, or a chosen limit (`range(num_workers)`), as for MEM301;
    - each coroutine wrapped in a function that acquires a semaphore (`async with sem:`);
    - a loop that keeps a window (`if len(pending) >= limit:` with `await
      asyncio.wait(pending, return_when=FIRST_COMPLETED)` under it) or awaits
      `sem.acquire()` in its body;
    - a task awaited in the pass that created it (`t = asyncio.create_task(...)`, then
      `await t`, `await asyncio.wait_for(t, 5)`, or `for t in tasks: await t` in the same
      pass): only the loops inside that one start tasks that run together;
    - tasks collected (in a comprehension or a collection filled in the loop) and handed
      to `asyncio.gather`, `asyncio.wait` or `asyncio.as_completed`: that fan-out is
      MEM301's, which reports it at the `gather` (one fan-out, one finding);
    - `TaskGroup.create_task` in a loop: MEM301 too.

    ## Why is this bad?
    `create_task` schedules the coroutine and returns at once: a loop over ten thousand
    items starts ten thousand tasks, each with its frame, its buffers and, when it is done,
    its result, all alive together. In a server loop (`while True: conn = await
    accept(); asyncio.create_task(handle(conn))`) tasks pile up as fast as work arrives,
    whether or not the handlers keep up. Memory grows with the input instead of with the
    concurrency you chose.

    ## Example
    ```python
    import asyncio

    async def notify_all(client, users):
        for user in users:
            asyncio.create_task(client.notify(user))
    ```

    ## Use instead
    Take a slot before starting each task, and give it back when the task is done:
    ```python
    import asyncio

    async def notify_all(client, users):
        sem = asyncio.Semaphore(64)

        async def notify(user):
            try:
                await client.notify(user)
            finally:
                sem.release()

        async with asyncio.TaskGroup() as tg:
            for user in users:
                await sem.acquire()
                tg.create_task(notify(user))
    ```

    or start a fixed number of workers in an `asyncio.TaskGroup` that read an
    `asyncio.Queue(maxsize=64)`.

    ## Options
    - `fanout-threshold`: a loop over a constant number of items up to this many is not
      flagged (default 64); the suggestion uses it as the bound.

    ## References
    - [asyncio.create_task](https://docs.python.org/3/library/asyncio-task.html#asyncio.create_task)
    - [asyncio.Semaphore](https://docs.python.org/3/library/asyncio-sync.html#asyncio.Semaphore)
    - [asyncio.TaskGroup](https://docs.python.org/3/library/asyncio-task.html#task-groups)
    """

    code = "MEM303"
    name = "create-task-loop"
    summary = "asyncio tasks started in a loop with nothing bounding how many run at once"
    options = ("fanout_threshold",)
    # `loop.create_task` and `asyncio.create_task` both spell the method or function.
    triggers = ("create_task", "ensure_future")

    @staticmethod
    def ast_candidate(tree: ast.Module) -> bool:
        """A call of asyncio's `create_task`/`ensure_future`, or `<r>.create_task(...)`
        with an event loop reachable through the imports."""
        if names.calls_to(tree, _CREATE):
            return True
        return names.Imports.of(tree).may_name(_EVENT_LOOPS) and any(
            isinstance(call.func, ast.Attribute) and call.func.attr == "create_task"
            for call in astindex.nodes(tree, ast.Call)
        )

    METADATA_DEPENDENCIES = (*names.PROVIDERS, *context.PROVIDERS, *fanout.PROVIDERS)

    cases = (
        # A function of one's own called `create_task`, and an object that is no event loop.
        Valid(
            """
            import asyncio
            def create_task(job): ...
            class Scheduler:
                def create_task(self, job): ...
            def plan(jobs, loop):
                scheduler = Scheduler()
                for job in jobs:
                    create_task(job)
                    scheduler.create_task(job)
                    loop.create_task(job)
            """
        ),
        # Awaited in the pass that created it: one task at a time.
        Valid(
            """
            import asyncio
            async def crawl(urls):
                for url in urls:
                    task = asyncio.create_task(fetch(url))
                    await asyncio.wait_for(task, timeout=10)
            """
        ),
        # A pool of workers whose size is a constant, or a chosen limit.
        Valid(
            """
            import asyncio
            WORKERS = 8
            async def serve(queue, num_consumers):
                workers = [asyncio.create_task(worker(queue)) for _ in range(WORKERS)]
                for _ in range(num_consumers):
                    workers.append(asyncio.ensure_future(consume(queue)))
                await queue.join()
            """
        ),
        # Each coroutine holds a semaphore while it works.
        Valid(
            """
            import asyncio
            async def crawl(urls):
                sem = asyncio.Semaphore(10)
                async def fetch_one(url):
                    async with sem:
                        return await fetch(url)
                for url in urls:
                    asyncio.create_task(fetch_one(url))
            """
        ),
        # A window kept with `len(pending)` and asyncio.wait.
        Valid(
            """
            import asyncio
            async def crawl(urls, limit):
                pending = set()
                for url in urls:
                    if len(pending) >= limit:
                        _, pending = await asyncio.wait(
                            pending, return_when=asyncio.FIRST_COMPLETED
                        )
                    pending.add(asyncio.create_task(fetch(url)))
            """
        ),
        # Tasks gathered by asyncio.gather: MEM301 reports that fan-out, at the gather.
        Valid(
            """
            import asyncio
            async def crawl(urls):
                tasks = [asyncio.create_task(fetch(u)) for u in urls]
                return await asyncio.gather(*tasks)
            """
        ),
        # One batch per pass, each awaited before the next.
        Valid(
            """
            import asyncio
            async def crawl(batches):
                for batch in batches:
                    tasks = [asyncio.create_task(fetch(u)) for u in batch]
                    for task in tasks:
                        await task
            """
        ),
        # TaskGroup.create_task belongs to MEM301.
        Valid(
            """
            import asyncio
            async def crawl(urls):
                async with asyncio.TaskGroup() as tg:
                    for url in urls:
                        tg.create_task(fetch(url))
            """
        ),
        Invalid(
            """
            import asyncio
            background = set()
            async def notify_all(users):
                for user in users:
                    task = asyncio.create_task(notify(user))
                    background.add(task)
                    task.add_done_callback(background.discard)
            """,
            line=5,
            column=16,
        ),
        # An endless server loop: one task per connection, however many are still running.
        Invalid(
            """
            import asyncio
            async def serve(server):
                while True:
                    reader, writer = await server.accept()
                    asyncio.create_task(handle(reader, writer))
            """,
            line=5,
            column=9,
        ),
        # Through an alias, in a comprehension, awaited one by one only afterwards.
        Invalid(
            """
            from asyncio import ensure_future as spawn
            async def crawl(urls):
                tasks = [spawn(fetch(u)) for u in urls]
                return [await t for t in tasks]
            """,
            line=3,
            column=14,
        ),
        Invalid(
            """
            import asyncio
            async def replay(events):
                loop = asyncio.get_running_loop()
                async for event in events:
                    loop.create_task(apply(event))
            """,
            line=5,
            column=9,
        ),
        Invalid(
            """
            from asyncio import AbstractEventLoop
            def schedule(loop: AbstractEventLoop, jobs):
                for job in jobs:
                    loop.create_task(run(job))
            """,
            line=4,
            column=9,
        ),
        Invalid(
            """
            import asyncio
            class Poller:
                def __init__(self):
                    self._loop = asyncio.get_event_loop()
                def start(self, feeds):
                    for feed in feeds:
                        self._loop.create_task(self.poll(feed))
            """,
            line=7,
            column=13,
        ),
        Invalid(
            """
            import asyncio
            async def spray():
                for port in range(1000):
                    asyncio.get_running_loop().create_task(knock(port))
            """,
            line=4,
            column=9,
        ),
    )

    @functools.cached_property
    def analysis(self) -> fanout.Fanout:
        return fanout.Fanout(self, self.context.module, self.settings.fanout_threshold)

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        # Shape first: `create_task(...)`, `asyncio.ensure_future(...)`, `loop.create_task(...)`.
        if not isinstance(func, (cst.Name, cst.Attribute)):
            return
        outside: set[int] | None = set()
        if names.resolves_to(self, node, _CREATE) is None:
            if not isinstance(func, cst.Attribute) or func.attr.value != "create_task":
                return
            outside = self.analysis.bound_to(func.value, _EVENT_LOOPS)
        if outside is None:
            return
        loops = [
            loop for loop in context.context_of(self, node).loops if id(loop.node) not in outside
        ]
        coroutine = node.args[0].value if node.args and not node.args[0].star else None
        source = self.analysis.repeated(node, self.analysis.in_flight(node, loops), coroutine)
        # Tasks handed to asyncio.gather/wait/as_completed are MEM301's to judge.
        if source is None or self.analysis.gathered(node):
            return
        self._report(node, source)

    def _report(self, node: cst.Call, source: fanout.Source) -> None:
        threshold = self.settings.fanout_threshold
        called = fanout.code_of(node.func)
        what = self.analysis.amount(source, "task")
        if source.count is not None and source.count.items is not None:
            message = (
                f"`{called}()` in a loop starts {what}, more than the fan-out threshold of "
                f"{threshold}, so they all hold their memory together"
            )
        else:
            message = (
                f"`{called}()` in a loop starts {what} with nothing bounding how many run "
                "at once, so memory grows with the input"
            )
        suggestion = (
            f"Bound the tasks in flight: run each task's work under `async with sem:` with "
            f"`sem = asyncio.Semaphore({threshold})`, or start {threshold} workers in an "
            f"`asyncio.TaskGroup` that read an `asyncio.Queue(maxsize={threshold})`"
        )
        self.report(node, message, suggestion=suggestion)
