"""MEM202: a queue, or a deque used as a producer/consumer buffer, with no bound on its size."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional, Union

import libcst as cst
import libcst.matchers as m
from libcst.metadata import (
    Assignment,
    BaseAssignment,
    ClassScope,
    GlobalScope,
    PositionProvider,
    ScopeProvider,
)

from memlint.diagnostics import Applicability, Confidence
from memlint.regions import Reach
from memlint.rule import FixSpec, Invalid, Rule, Valid
from memlint.semantic import astindex, constants, context, names, provenance

if TYPE_CHECKING:
    from memlint.settings import Settings

# Queues whose first parameter, `maxsize`, bounds them; 0 or less means "no limit".
_BOUNDABLE = frozenset(
    {
        "queue.Queue",
        "queue.LifoQueue",
        "queue.PriorityQueue",
        "asyncio.Queue",
        "asyncio.LifoQueue",
        "asyncio.PriorityQueue",
        "asyncio.queues.Queue",
        "asyncio.queues.LifoQueue",
        "asyncio.queues.PriorityQueue",
        "multiprocessing.Queue",
        "multiprocessing.JoinableQueue",
        "multiprocessing.queues.Queue",
        "multiprocessing.queues.JoinableQueue",
        "multiprocessing.dummy.Queue",
        "multiprocessing.dummy.JoinableQueue",
    }
)
# No bound can be given. (`multiprocessing.SimpleQueue` is a pipe: `put` blocks when full.)
_NEVER_BOUNDED = frozenset({"queue.SimpleQueue"})
_DEQUE = frozenset({"collections.deque"})
_QUEUES = _BOUNDABLE | _NEVER_BOUNDED

# The end of the deque each method works on. A buffer is first in, first out: items are
# added at one end and taken from the other.
_ADD_END = {"append": "right", "extend": "right", "appendleft": "left", "extendleft": "left"}
_TAKE_END = {"pop": "right", "popleft": "left"}
# Methods that fill an object's own buffer while it is built, not while it runs.
_CONSTRUCTORS = frozenset({"__init__", "__post_init__"})

_BOUND_ATTRIBUTE = re.compile(
    r"^_*(max_?size|max_?len(gth)?|max_?items|capacity|limit|high_?water(_mark)?)$", re.I
)
_Function = Union[cst.FunctionDef, cst.Lambda]
# (None, name) for a module-level deque; (id(class), attribute) for one reached as
# `self.<attribute>`, `cls.<attribute>` or `<Class>.<attribute>`.
_Key = tuple[Optional[int], str]


@dataclass(frozen=True)
class _Creation:
    call: cst.Call
    label: str
    owner: cst.ClassDef | None


@dataclass(frozen=True)
class _Use:
    receiver: cst.Name
    attribute: str | None
    method: str
    function: _Function | None


def _has_star(call: cst.Call) -> bool:
    return any(arg.star for arg in call.args)


def _argument(call: cst.Call, keyword: str, position: int) -> cst.Arg | None:
    """The argument bound to parameter `keyword`, passed by name or at `position`."""
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == keyword:
            return arg
    positional = [a for a in call.args if a.keyword is None]
    return positional[position] if len(positional) > position else None


def _callee(call: cst.Call) -> cst.BaseExpression:
    """What a call calls, looking through a generic subscript: `queue.Queue[int]()`."""
    func = call.func
    return func.value if isinstance(func, cst.Subscript) else func


def _unbounded_deque(call: cst.Call) -> bool:
    if _has_star(call):
        return False
    maxlen = _argument(call, "maxlen", 1)
    return maxlen is None or m.matches(maxlen.value, m.Name("None"))


def _tree_callee(call: ast.Call) -> ast.expr:
    """`_callee` on CPython's tree."""
    func = call.func
    return func.value if isinstance(func, ast.Subscript) else func


def _may_keep_a_deque(tree: ast.Module, imports: names.Imports) -> bool:
    """Whether an assignment outside any def, or to an attribute, binds a call that may be an
    unbounded `collections.deque` (`_record_creation`, conservatively)."""
    # The body of each def and class, innermost last when sorted: a name bound in a def's
    # own body (not in a class inside it) is a local.
    scopes: list[ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef] = [
        *astindex.nodes(tree, ast.FunctionDef),
        *astindex.nodes(tree, ast.AsyncFunctionDef),
        *astindex.nodes(tree, ast.ClassDef),
    ]
    bodies = sorted(
        (node.body[0].lineno, node.end_lineno or node.lineno, not isinstance(node, ast.ClassDef))
        for node in scopes
    )
    assigned: list[tuple[ast.expr, ast.expr | None, int]] = [
        (node.targets[0], node.value, node.lineno)
        for node in astindex.nodes(tree, ast.Assign)
        if len(node.targets) == 1
    ]
    assigned += [
        (node.target, node.value, node.lineno) for node in astindex.nodes(tree, ast.AnnAssign)
    ]
    for target, value, line in assigned:
        if not isinstance(value, ast.Call) or not imports.may_refer(_tree_callee(value), _DEQUE):
            continue
        around = [is_def for first, last, is_def in bodies if first <= line <= last]
        if isinstance(target, ast.Name) and around and around[-1]:
            continue  # a local: one function's worklist
        if isinstance(target, (ast.Name, ast.Attribute)):
            return True
    return False


def _no_equal_spaces() -> cst.AssignEqual:
    return cst.AssignEqual(
        whitespace_before=cst.SimpleWhitespace(""),
        whitespace_after=cst.SimpleWhitespace(""),
    )


def _first_param(func: cst.FunctionDef) -> cst.Param | None:
    positional = [*func.params.posonly_params, *func.params.params]
    return positional[0] if positional else None


def _is_staticmethod(func: cst.FunctionDef) -> bool:
    return any(names.dotted(d.decorator) == "staticmethod" for d in func.decorators)


def _describe(function: _Function) -> str:
    return f"`{function.name.value}`" if isinstance(function, cst.FunctionDef) else "a `lambda`"


class UnboundedQueue(Rule):
    """
    ## What it does
    Flags a queue that can hold any number of items: `queue.Queue()`, `queue.LifoQueue()`,
    `queue.PriorityQueue()`, `asyncio.Queue()` (and its `LifoQueue`/`PriorityQueue`
    variants), `multiprocessing.Queue()` and `multiprocessing.JoinableQueue()` created
    without `maxsize` or with a literal `maxsize` of 0 or less; `queue.SimpleQueue()`, which
    cannot be bounded at all; and a `collections.deque()` without `maxlen` used as a
    producer/consumer buffer.

    A deque is a buffer when it is stored where several functions reach it (a module-level
    or class-level name, or `self.<attribute>`), one function adds to one end of it and
    another function takes from the other end: `append`/`extend` then `popleft`, or
    `appendleft`/`extendleft` then `pop`. Appends made by the owning class's `__init__` or
    by module-level code fill it at construction time and do not count, and neither does a
    function that also pops from the deque (a sliding window drains what it adds). A deque
    used as a stack, added to and popped at the same end (a pushback buffer, a stack of
    nested sources, a pool of reusable objects), holds what the program's structure allows
    and is not flagged.

    Names are resolved, so `import queue as q` and `from asyncio import Queue as AQ` are
    recognised and a class of your own called `Queue` is not. Not flagged: a bound given by a
    name or expression (`maxsize=limit`: someone decided), calls with `*args`/`**kwargs`
    whose bound cannot be read, `multiprocessing.SimpleQueue` (a pipe: `put` blocks when it
    is full), and a deque local to one function (a BFS worklist, a sliding window).

    The confidence is high for a queue bound to a name or attribute that is fed by `put()`
    in a loop or comprehension somewhere in the module (it grows with the loop), low in
    test code, and medium otherwise.

    ## Why is this bad?
    An unbounded queue gives producers no backpressure: when they outpace consumers (a slow
    database, a stalled worker, a burst of traffic), items pile up in memory until the
    process is killed, and every item keeps its payload alive while it waits. A bounded
    queue makes `put` wait instead, so the system slows down rather than falls over.

    ## Example
    ```python
    import queue

    jobs = queue.Queue()
    ```

    ## Use instead
    ```python
    import queue

    jobs = queue.Queue(maxsize=1000)
    ```

    ## Fix safety
    The fix passes `maxsize=<queue-maxsize>` (replacing a literal `maxsize` of 0 or less).
    It is unsafe: `put` now blocks when the queue is full (`put_nowait` raises `Full`), which
    can deadlock a thread that fills a queue it also drains, or one that joins its consumers
    before draining. `queue.SimpleQueue()` and deques get a suggestion only: a deque's
    `maxlen` silently drops the oldest items, which loses data.

    ## Options
    - `queue-maxsize`: the bound the fix writes (default 1000).

    ## References
    - [queue](https://docs.python.org/3/library/queue.html)
    - [asyncio queues](https://docs.python.org/3/library/asyncio-queue.html)
    - [multiprocessing queues](https://docs.python.org/3/library/multiprocessing.html#pipes-and-queues)
    - [collections.deque](https://docs.python.org/3/library/collections.html#collections.deque)
    """

    code = "MEM202"
    name = "unbounded-queue"
    summary = "A queue or producer/consumer deque with no bound on its size"
    fixable = True
    options = ("queue_maxsize",)
    triggers = ("Queue", "LifoQueue", "PriorityQueue", "SimpleQueue", "JoinableQueue", "deque")

    reach = Reach.FUNCTION

    @classmethod
    def ast_places(cls, tree: ast.Module, settings: Settings) -> bool | list[ast.AST]:
        """The calls that may make a queue (each decided where it is made), or anywhere when
        a deque that may be unbounded is kept in a module, class or object attribute (its
        adders and takers may be in any function)."""
        imports = names.Imports.of(tree)
        if not imports.may_name(_QUEUES | _DEQUE):
            return False  # queues and deques are only ever reached through an import
        if _may_keep_a_deque(tree, imports):
            return True
        return [
            call
            for call in astindex.nodes(tree, ast.Call)
            if imports.may_refer(_tree_callee(call), _QUEUES)
        ]

    METADATA_DEPENDENCIES = (PositionProvider, ScopeProvider, *names.PROVIDERS, *context.PROVIDERS)

    cases = (
        Valid(
            """
            import queue
            jobs = queue.Queue(10)
            results = queue.Queue(maxsize=100)
            """
        ),
        # A bound given by a name or an expression is someone's decision.
        Valid(
            """
            import queue
            def make(limit, n):
                return queue.Queue(maxsize=limit), queue.LifoQueue(maxsize=n * 2)
            """
        ),
        # A user's own `Queue` is not the stdlib's.
        Valid(
            """
            class Queue:
                def __init__(self, maxsize=0): ...
            q = Queue()
            """
        ),
        Valid(
            """
            def Queue(maxsize=0):
                return []
            q = Queue()
            """
        ),
        # The bound cannot be read through star-args.
        Valid(
            """
            import asyncio
            q = asyncio.Queue(*QUEUE_ARGS)
            r = asyncio.Queue(**options)
            """
        ),
        # A pipe: `put` blocks when it is full.
        Valid(
            """
            import multiprocessing as mp
            q = mp.SimpleQueue()
            """
        ),
        # A BFS worklist lives and dies in one function.
        Valid(
            """
            from collections import deque
            def bfs(start, edges):
                seen, todo = {start}, deque([start])
                while todo:
                    node = todo.popleft()
                    for nxt in edges[node]:
                        if nxt not in seen:
                            seen.add(nxt)
                            todo.append(nxt)
                return seen
            """
        ),
        # `maxlen` bounds it.
        Valid(
            """
            import collections
            recent = collections.deque(maxlen=100)
            def record(x):
                recent.append(x)
            def oldest():
                return recent.popleft()
            """
        ),
        # Filled once while the object is built, then only drained.
        Valid(
            """
            from collections import deque
            class Plan:
                def __init__(self, steps):
                    self.steps = deque()
                    for step in steps:
                        self.steps.append(step)
                def next_step(self):
                    return self.steps.popleft()
            """
        ),
        # Appended and popped in one method: a sliding window.
        Valid(
            """
            from collections import deque
            class Window:
                def __init__(self, size):
                    self.size = size
                    self.items = deque()
                def add(self, x):
                    self.items.append(x)
                    if len(self.items) > self.size:
                        self.items.popleft()
                def reset(self):
                    while self.items:
                        self.items.pop()
            """
        ),
        # A stack (added to and popped at the same end): its depth follows the program.
        Valid(
            """
            from collections import deque
            class Lexer:
                def __init__(self):
                    self.pushback = deque()
                def push_token(self, tok):
                    self.pushback.appendleft(tok)
                def get_token(self):
                    return self.pushback.popleft()
            """
        ),
        # A local of the same name is not the module-level deque.
        # The storage of a container that enforces its own bound (queue.Queue's shape).
        Valid(
            """
            from collections import deque
            class BoundedBuffer:
                def __init__(self, maxsize=0):
                    self.maxsize = maxsize
                    self._init()
                def _init(self):
                    self.queue = deque()
                def _put(self, item):
                    self.queue.append(item)
                def _get(self):
                    return self.queue.popleft()
            """
        ),
        Valid(
            """
            from collections import deque
            pending = deque()
            def produce(x):
                pending = []
                pending.append(x)
            def consume():
                return pending.popleft()
            """
        ),
        Invalid(
            """
            import queue as q
            jobs = q.Queue()
            """,
            line=2,
            column=8,
            fixed="""
            import queue as q
            jobs = q.Queue(maxsize=1000)
            """,
            applicability=Applicability.UNSAFE,
        ),
        Invalid(
            """
            from queue import LifoQueue
            stack = LifoQueue(0)  # work stack
            """,
            fixed="""
            from queue import LifoQueue
            stack = LifoQueue(maxsize=5)  # work stack
            """,
            applicability=Applicability.UNSAFE,
            settings={"queue_maxsize": 5},
        ),
        Invalid(
            """
            import queue
            q = queue.PriorityQueue(maxsize=-1)
            """,
            fixed="""
            import queue
            q = queue.PriorityQueue(maxsize=1000)
            """,
            applicability=Applicability.UNSAFE,
        ),
        Invalid(
            """
            from asyncio import Queue as AQ
            async def main():
                q = AQ(maxsize=0)
            """,
            line=3,
            column=9,
            fixed="""
            from asyncio import Queue as AQ
            async def main():
                q = AQ(maxsize=1000)
            """,
            applicability=Applicability.UNSAFE,
        ),
        Invalid(
            """
            import multiprocessing as mp
            tasks = mp.JoinableQueue()
            """,
            fixed="""
            import multiprocessing as mp
            tasks = mp.JoinableQueue(maxsize=1000)
            """,
            applicability=Applicability.UNSAFE,
        ),
        # Keyword arguments stay; `maxsize=` goes first.
        Invalid(
            """
            import multiprocessing
            import multiprocessing.queues
            q = multiprocessing.queues.Queue(ctx=multiprocessing.get_context())
            """,
            fixed="""
            import multiprocessing
            import multiprocessing.queues
            q = multiprocessing.queues.Queue(maxsize=1000, ctx=multiprocessing.get_context())
            """,
            applicability=Applicability.UNSAFE,
        ),
        Invalid(
            """
            import queue
            jobs: queue.Queue[str] = queue.Queue[str]()
            """,
            fixed="""
            import queue
            jobs: queue.Queue[str] = queue.Queue[str](maxsize=1000)
            """,
            applicability=Applicability.UNSAFE,
        ),
        # No bound is possible: a suggestion only.
        Invalid(
            """
            import queue
            events = queue.SimpleQueue()
            """,
            line=2,
            column=10,
        ),
        Invalid(
            """
            from collections import deque
            pending = deque()
            def produce(item):
                pending.append(item)
            def consume():
                while pending:
                    yield pending.popleft()
            """,
            line=2,
            column=11,
        ),
        Invalid(
            """
            import collections as c
            class Buffer:
                def __init__(self):
                    self.buf = c.deque([], None)
                def put(self, item):
                    self.buf.append(item)
                def get(self):
                    return self.buf.popleft()
            """,
            line=4,
            column=20,
        ),
        # Class-level, reached through `cls` and the class name, consumed by a lambda.
        Invalid(
            """
            from collections import deque
            class Bus:
                inbox = deque(maxlen=None)
                @classmethod
                def send(cls, msg):
                    cls.inbox.appendleft(msg)
            drain = lambda: Bus.inbox.pop()
            """,
            line=3,
            column=13,
        ),
        # A queue fed in a loop grows with the loop: high; fed once, medium.
        Invalid(
            """
            import queue
            class Crawler:
                def __init__(self):
                    self.todo = queue.Queue()
                def add(self, links):
                    for link in links:
                        self.todo.put(link)
            """,
            line=4,
            confidence=Confidence.HIGH,
            because="fed by `put()` in a loop",
            fixed="""
            import queue
            class Crawler:
                def __init__(self):
                    self.todo = queue.Queue(maxsize=1000)
                def add(self, links):
                    for link in links:
                        self.todo.put(link)
            """,
            applicability=Applicability.UNSAFE,
        ),
        Invalid(
            """
            import queue
            done = queue.Queue()
            def finish(result):
                done.put(result)
            """,
            confidence=Confidence.MEDIUM,
            fixed="""
            import queue
            done = queue.Queue(maxsize=1000)
            def finish(result):
                done.put(result)
            """,
            applicability=Applicability.UNSAFE,
        ),
        # A comprehension is a loop.
        Invalid(
            """
            import queue
            pending = queue.SimpleQueue()
            def enqueue(items):
                [pending.put_nowait(item) for item in items]
            """,
            line=2,
            confidence=Confidence.HIGH,
            because="fed by `put()` in a loop",
        ),
        # Look-alike: the loop feeds another queue; this one is fed once.
        Invalid(
            """
            import queue
            log = queue.Queue()
            def fan(items, out):
                log.put("start")
                for item in items:
                    out.put(item)
            """,
            line=2,
            confidence=Confidence.MEDIUM,
            fixed="""
            import queue
            log = queue.Queue(maxsize=1000)
            def fan(items, out):
                log.put("start")
                for item in items:
                    out.put(item)
            """,
            applicability=Applicability.UNSAFE,
        ),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        # First parameter of each method (by id) -> the class it gives access to.
        self._method_params: dict[int, cst.ClassDef] = {}
        # Method (by id) -> its class.
        self._methods: dict[int, cst.ClassDef] = {}
        # The first unbounded deque made for each key, in source order.
        self._creations: dict[_Key, _Creation] = {}
        self._uses: list[_Use] = []
        # Classes (by id) that keep a bound of their own (`self.maxsize = ...`): a deque
        # inside one is the storage of a container that enforces it (queue.Queue itself).
        self._self_bounded: set[int] = set()

    # -- traversal -------------------------------------------------------------------------

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        # A def directly in a class body is a method of that class.
        where = context.context_of(self, node)
        if where.function is not None or where.class_ is None:
            return
        self._methods[id(node)] = where.class_
        first = _first_param(node)
        if first is not None and not _is_staticmethod(node):
            self._method_params[id(first)] = where.class_

    def visit_Call(self, node: cst.Call) -> None:
        self._record_use(node)
        qualified = names.resolves_to(self, _callee(node), _QUEUES)
        if qualified is None or _has_star(node):
            return
        if qualified in _NEVER_BOUNDED:
            self._report_simple_queue(node, qualified)
            return
        maxsize = _argument(node, "maxsize", 0)
        if maxsize is None:
            self._report_queue(node, qualified, None)
            return
        # Only a literal bound is read: `maxsize=limit` is someone's decision.
        value = constants.fold(maxsize.value)
        if value is not None and value <= 0:
            self._report_queue(node, qualified, maxsize)

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._record_bound(target.target)
        if len(node.targets) == 1:
            self._record_creation(node.targets[0].target, node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._record_bound(node.target)
        if node.value is not None:
            self._record_creation(node.target, node.value)

    def leave_Module(self, original_node: cst.Module) -> None:
        if not self._creations:
            return
        uses: dict[_Key, list[_Use]] = {}
        for use in self._uses:
            key = self._key_of_use(use)
            if key is not None and key in self._creations and use.function is not None:
                uses.setdefault(key, []).append(use)
        for key, creation in self._creations.items():
            if creation.owner is not None and id(creation.owner) in self._self_bounded:
                continue
            found = self._producer_consumer(creation, uses.get(key, []))
            if found is not None:
                self._report_deque(creation, *found)

    # -- deque analysis --------------------------------------------------------------------

    def _producer_consumer(
        self, creation: _Creation, uses: list[_Use]
    ) -> tuple[_Function, _Function] | None:
        """A function that only adds at one end, and another that takes from the other end."""
        takes = [u for u in uses if u.method in _TAKE_END]
        for add in uses:
            end = _ADD_END.get(add.method)
            producer = add.function
            if end is None or producer is None or self._constructs(producer, creation):
                continue
            # A function that pops as well drains what it adds (a sliding window).
            if any(t.function is producer for t in takes):
                continue
            for take in takes:
                if _TAKE_END[take.method] != end and take.function is not None:
                    return producer, take.function
        return None

    def _record_use(self, call: cst.Call) -> None:
        func = call.func
        if not isinstance(func, cst.Attribute):
            return
        method = func.attr.value
        if method not in _ADD_END and method not in _TAKE_END:
            return
        function = context.context_of(self, call).function
        receiver = func.value
        if isinstance(receiver, cst.Name):
            self._uses.append(_Use(receiver, None, method, function))
        elif isinstance(receiver, cst.Attribute) and isinstance(receiver.value, cst.Name):
            self._uses.append(_Use(receiver.value, receiver.attr.value, method, function))

    def _record_bound(self, target: cst.BaseExpression) -> None:
        if not m.matches(target, m.Attribute(value=m.Name(), attr=m.Name())):
            return
        assert isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name)
        if not _BOUND_ATTRIBUTE.match(target.attr.value):
            return
        owner = self._owner_class(target.value)
        if owner is not None:
            self._self_bounded.add(id(owner))

    def _record_creation(self, target: cst.BaseExpression, value: cst.BaseExpression) -> None:
        if not isinstance(value, cst.Call) or not names.resolves_to(self, _callee(value), _DEQUE):
            return
        if not _unbounded_deque(value):
            return
        key: _Key
        if isinstance(target, cst.Name):
            scope = self.get_metadata(ScopeProvider, target, None)
            if isinstance(scope, GlobalScope):
                key, label, owner = (None, target.value), target.value, None
            elif isinstance(scope, ClassScope) and isinstance(scope.node, cst.ClassDef):
                owner = scope.node
                key = (id(owner), target.value)
                label = f"{owner.name.value}.{target.value}"
            else:
                return  # a local: one function's worklist
        elif isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name):
            owner = self._owner_class(target.value)
            if owner is None:
                return
            key = (id(owner), target.attr.value)
            label = f"{target.value.value}.{target.attr.value}"
        else:
            return
        self._creations.setdefault(key, _Creation(value, label, owner))

    def _referents(self, name: cst.Name) -> list[BaseAssignment]:
        scope = self.get_metadata(ScopeProvider, name, None)
        if scope is None:
            return []
        return [r for access in scope.accesses[name] for r in access.referents]

    def _owner_class(self, name: cst.Name) -> cst.ClassDef | None:
        """The class whose attributes `name` reaches: a method's `self`/`cls`, or the class."""
        owners = set()
        for referent in self._referents(name):
            node = referent.node if isinstance(referent, Assignment) else None
            if isinstance(node, cst.ClassDef):
                owners.add(node)
            elif isinstance(node, cst.Param) and id(node) in self._method_params:
                owners.add(self._method_params[id(node)])
            else:
                return None
        return owners.pop() if len(owners) == 1 else None

    def _key_of_use(self, use: _Use) -> _Key | None:
        if use.attribute is not None:
            owner = self._owner_class(use.receiver)
            return (id(owner), use.attribute) if owner is not None else None
        for referent in self._referents(use.receiver):
            if isinstance(referent.scope, GlobalScope):
                return (None, use.receiver.value)
        return None

    def _constructs(self, function: _Function, creation: _Creation) -> bool:
        if not isinstance(function, cst.FunctionDef) or function.name.value not in _CONSTRUCTORS:
            return False
        return creation.owner is not None and self._methods.get(id(function)) is creation.owner

    # -- reporting -------------------------------------------------------------------------

    def _report_queue(self, call: cst.Call, qualified: str, maxsize: cst.Arg | None) -> None:
        cost = "so producers can outrun consumers until memory runs out"
        if maxsize is None:
            message = f"`{qualified}()` has no `maxsize`, {cost}"
        else:
            shown = self.context.module.code_for_node(maxsize.value)
            given = f"maxsize={shown}" if maxsize.keyword is not None else shown
            message = (
                f"`{qualified}({given})` is unbounded (a `maxsize` of 0 or less means no "
                f"limit), {cost}"
            )
        self.report(
            call,
            message,
            fix=self._fix(call, maxsize),
            confidence=Confidence.HIGH,
            provenance=provenance.fed_in_loop(self, call),
        )

    def _report_simple_queue(self, call: cst.Call, qualified: str) -> None:
        size = self.settings.queue_maxsize
        self.report(
            call,
            f"`{qualified}()` cannot be bounded, so producers can outrun consumers until "
            "memory runs out",
            suggestion=f"Use `queue.Queue(maxsize={size})`, whose `put` waits when it is full",
            confidence=Confidence.HIGH,
            provenance=provenance.fed_in_loop(self, call),
        )

    def _report_deque(self, creation: _Creation, adder: _Function, taker: _Function) -> None:
        size = self.settings.queue_maxsize
        self.report(
            creation.call,
            f"`collections.deque()` buffer `{creation.label}` is appended in "
            f"{_describe(adder)} and popped in {_describe(taker)} with no `maxlen`, so it "
            "grows while the consumer lags",
            suggestion=(
                f"Use `queue.Queue(maxsize={size})` for backpressure, or "
                f"`deque(maxlen={size})` if dropping the oldest items is acceptable"
            ),
            confidence=Confidence.MEDIUM,
        )

    def _fix(self, call: cst.Call, maxsize: cst.Arg | None) -> FixSpec:
        size = self.settings.queue_maxsize
        title = f"Pass `maxsize={size}`"
        bound = cst.Integer(str(size))
        if maxsize is not None and maxsize.keyword is not None:
            return self.replace(maxsize.value, bound, title, unsafe=True)
        if maxsize is not None:
            keyword = maxsize.with_changes(
                keyword=cst.Name("maxsize"), equal=_no_equal_spaces(), value=bound
            )
            return self.replace(maxsize, keyword, title, unsafe=True)
        new_arg = cst.Arg(keyword=cst.Name("maxsize"), value=bound, equal=_no_equal_spaces())
        if call.args:
            # Only keyword arguments can be there (maxsize is the one positional): go first.
            new_arg = new_arg.with_changes(
                comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
            )
        return self.replace(call, call.with_changes(args=[new_arg, *call.args]), title, unsafe=True)
