"""MEM204: an endless loop that adds to a container made outside it and never removes from it."""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Literal, Union

import libcst as cst
from libcst.metadata import (
    Assignment,
    ClassScope,
    CodeRange,
    GlobalScope,
    PositionProvider,
    Scope,
    ScopeProvider,
)

from memlint.diagnostics import Confidence
from memlint.rule import Invalid, Rule, Valid
from memlint.semantic import astindex, bindings, context, names
from memlint.semantic.constants import fold

# Methods that put something into a list, dict, set or deque.
_ADDS = frozenset(
    {"append", "extend", "add", "update", "setdefault", "insert", "appendleft", "extendleft"}
)
# Methods and attributes that only read. Every other method may take something out (`pop`,
# `remove`, `clear`, ..., or a method of a class of your own): it bounds the container.
_READS = frozenset(
    {
        "copy",
        "count",
        "index",
        "get",
        "keys",
        "values",
        "items",
        "most_common",
        "elements",
        "total",
        "issubset",
        "issuperset",
        "isdisjoint",
        "union",
        "intersection",
        "difference",
        "symmetric_difference",
        "sort",
        "reverse",
        "rotate",
        "move_to_end",
        "maxlen",
        "default_factory",
        "__len__",
        "__contains__",
        "__iter__",
        "__getitem__",
    }
)
# Functions that read their arguments and keep nothing of them (besides every builtin).
_READING_CALLS = frozenset(
    {
        "copy.copy",
        "copy.deepcopy",
        "json.dumps",
        "pickle.dumps",
        "pprint.pformat",
        "pprint.pprint",
        "reprlib.repr",
        "sys.getsizeof",
    }
)
_HEAP_ADDS = frozenset(
    {"heapq.heappush", "bisect.insort", "bisect.insort_left", "bisect.insort_right"}
)
# What a container starts as: the kinds that grow, by constructor.
_CONSTRUCTORS = {
    "builtins.list": "list",
    "builtins.dict": "dict",
    "builtins.set": "set",
    "builtins.bytearray": "list",
    "array.array": "list",
    "collections.defaultdict": "dict",
    "collections.OrderedDict": "dict",
    "collections.Counter": "dict",
    "collections.deque": "deque",
}
# Weak containers lose their items when the objects die: bounded by what is alive.
_WEAK = frozenset({"weakref.WeakValueDictionary", "weakref.WeakKeyDictionary", "weakref.WeakSet"})
_FIELD = frozenset({"dataclasses.field"})
# Where an object's containers are made before anything else runs on it.
_INIT_METHODS = frozenset({"__init__", "__post_init__", "__new__", "setUp"})
# Handlers around a loop that only catch a stop from outside (Ctrl-C, cancellation, a
# crash): they do not make the loop one that ends.
_STOPS = frozenset(
    {
        "builtins.KeyboardInterrupt",
        "builtins.SystemExit",
        "builtins.GeneratorExit",
        "builtins.BaseException",
        "builtins.Exception",
        "asyncio.CancelledError",
        "asyncio.exceptions.CancelledError",
        "concurrent.futures.CancelledError",
    }
)
_SUPPRESS = frozenset({"contextlib.suppress"})
_SCOPES = (cst.FunctionDef, cst.Lambda, cst.ClassDef)
_STRINGS = (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString)

Kind = Literal["list", "dict", "set", "deque", "none", "bounded", "other"]
Mark = Literal["add", "read", "remove", "escape", "bind"]
_Function = Union[cst.FunctionDef, cst.Lambda]


@dataclass
class _Container:
    """A container the loop adds to: a name (local or global) or `self.<attribute>`."""

    label: str
    region: cst.CSTNode  # where everything that touches it can be
    # A name: the ids of its bindings and reads. An attribute: None (every `<x>.<attr>`).
    refs: frozenset[int] | None
    attribute: str = ""
    owner: Scope | cst.ClassDef | None = None
    # The adds in the loop, and whether each one grows only a mapping (`x[k] = v`).
    adds: list[tuple[cst.CSTNode, bool]] = field(default_factory=list)


@dataclass
class _Scan:
    """What one walk over a container's region found about each of its references."""

    container: _Container
    marks: dict[int, Mark] = field(default_factory=dict)
    seen: dict[int, cst.CSTNode] = field(default_factory=dict)
    # The assignments that bind it: (target, value, statement).
    binds: list[tuple[cst.CSTNode, cst.BaseExpression, cst.CSTNode]] = field(default_factory=list)

    def is_ref(self, node: cst.CSTNode) -> bool:
        refs = self.container.refs
        if refs is not None:
            return id(node) in refs
        return isinstance(node, cst.Attribute) and node.attr.value == self.container.attribute

    def mark(self, node: cst.CSTNode, what: Mark) -> None:
        self.marks.setdefault(id(node), what)


def _constant_key(node: cst.BaseExpression) -> bool:
    """Whether a subscript key is always the same value: a literal, or an UPPER_CASE name."""
    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
        return True
    if isinstance(node, cst.FormattedString):
        return all(isinstance(part, cst.FormattedStringText) for part in node.parts)
    if isinstance(node, cst.Tuple):
        return all(_constant_key(element.value) for element in node.elements)
    if isinstance(node, cst.Name):
        # A module constant or a keyword: `state[KEY] = v`, `x[None] = v`.
        return node.value.isupper() or node.value in ("None", "True", "False")
    if isinstance(node, cst.Attribute):
        # An enum member or a class constant: `counts[Color.RED] += 1`.
        return node.attr.value.isupper()
    return fold(node) is not None


def _subscript_key(node: cst.Subscript) -> cst.BaseExpression | None:
    """The key of `x[k]`; None for a slice or several indices."""
    if len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Index):
        return None
    return node.slice[0].slice.value


def _is_slice(node: cst.Subscript) -> bool:
    return any(isinstance(element.slice, cst.Slice) for element in node.slice)


def _first_param(function: cst.FunctionDef) -> cst.Param | None:
    positional = [*function.params.posonly_params, *function.params.params]
    return positional[0] if positional else None


def _walk(root: cst.CSTNode, into_scopes: bool = True) -> Iterator[cst.CSTNode]:
    """Every node under `root`, parents before their children."""
    stack = [root]
    while stack:
        node = stack.pop()
        yield node
        if not into_scopes and node is not root and isinstance(node, _SCOPES):
            continue
        stack.extend(reversed(context.children(node)))


class GrowForeverLoop(Rule):
    """
    ## What it does
    Flags a loop that never ends, `while True:` (or any truthy constant: `while 1:`) or
    `for ... in itertools.count()` (also `itertools.cycle(...)` and `itertools.repeat(x)`
    without `times`), when nothing in it can leave it (`break`, `return`, `raise`,
    `sys.exit()`, `os._exit()`) and it adds to a container made outside the loop that
    nothing ever takes out of. Adding is `.append`, `.extend`, `.add`, `.update`,
    `.setdefault`, `.insert`, `.appendleft`, `.extendleft`, `x[k] = v` and `x[k] += n`
    on a dict with a key that is not a constant, `+=`/`|=` on the container itself,
    `d[k].append(v)` (the list under the key grows), and `heapq.heappush`/`bisect.insort`.
    The container is a local or module-level name, or `self.<attribute>`, bound to a list,
    dict, set, deque, `bytearray`, `defaultdict`, `OrderedDict` or `Counter` (a literal, a
    comprehension, a constructor, a dataclass `field(default_factory=...)`).

    The diagnostic points at the loop header. A generator whose endless loop yields is
    still flagged (with medium confidence): its consumer may stop early, but while it
    runs, the container grows.

    Not flagged, because something may take items out while the loop runs, wherever it
    can reach the container: in the loop, in a nested function, in any function of the
    module (a module-level name), in any method of the module (`<anything>.<attribute>`):
    - a method that is not known to only add or read (`pop`, `popleft`, `popitem`,
      `remove`, `discard`, `clear`, or a method of a class of your own), `del x[k]`,
      `x[a:b] = ...`, `-=`, `&=`;
    - the name bound again inside the loop (`batch = []` after a flush), or anywhere but
      where it is made (`self.items = []` in a `reset` method);
    - the container handed to a call that may keep or empty it (`flush(batch)`,
      `Thread(target=work, args=(jobs,))`), returned, yielded or aliased; builtins and
      `copy`/`json.dumps`/`pickle.dumps` only read it.

    Also not flagged: a `deque(maxlen=...)` and the `weakref` containers (bounded), a
    container made inside the loop, a parameter (its owner is the caller), a container
    whose kind cannot be seen (`self.items = make_items()`), `x[k] = v` with a constant
    key (a literal, an `UPPER_CASE` name or enum member), on a list (replacing an element),
    `.add` of a constant, `.update(key=...)` with constant keys, a loop inside a `try:`
    whose `except` catches a specific exception (`StopIteration`, `EOFError`, `OSError`,
    an exception of your own: the way it ends) or inside `contextlib.suppress(...)` of one,
    `for ... in iter(callable, sentinel)` (the sentinel ends it), and `queue.put` (MEM202's
    business). `except KeyboardInterrupt`, `SystemExit`, `CancelledError`, `Exception` or
    a bare `except:` around the loop only stop it from outside, and do not count.

    ## Why is this bad?
    A loop that runs for the life of the process (a server's accept loop, a worker, a
    poller, a metrics collector) and keeps every item it sees holds them all: memory grows
    with uptime until the process is killed. Nothing looks wrong in a test run, which ends
    long before the container matters.

    ## Example
    ```python
    import socket


    def serve(sock: socket.socket) -> None:
        clients = []
        while True:
            conn, _ = sock.accept()
            clients.append(conn)
            conn.sendall(b"hello\\n")
    ```

    ## Use instead
    ```python
    import socket


    def serve(sock: socket.socket) -> None:
        clients = []
        while True:
            conn, _ = sock.accept()
            clients.append(conn)
            conn.sendall(b"hello\\n")
            for gone in [c for c in clients if c.fileno() == -1]:
                clients.remove(gone)
    ```

    ## References
    - [collections.deque(maxlen=...)](https://docs.python.org/3/library/collections.html#collections.deque)
    - [itertools.count](https://docs.python.org/3/library/itertools.html#itertools.count)
    """

    code = "MEM204"
    name = "grow-forever-loop"
    summary = "An endless loop that adds to a container and never removes from it"
    # No endless loop without `while` and a truthy constant (through parentheses,
    # continuations, comments and `not`), or itertools (`count`, `cycle`, `repeat` resolve
    # only through an import of it).
    trigger_pattern = (
        r"\bwhile(?:[\s(\\]|#[^\n]*\n)*(?:not(?:[\s(\\]|#[^\n]*\n)+)?"
        r"(?:not\b|True\b|False\b|None\b|[-+~\"'.\d]|[bBrRuUfF]{1,2}[\"'])"
        r"|\bitertools\b"
    )
    trigger_literals = ("while", "itertools")
    METADATA_DEPENDENCIES = (
        PositionProvider,
        ScopeProvider,
        *names.PROVIDERS,
        *context.PROVIDERS,
    )

    cases = (
        # Something leaves the loop: a `break`, a `return`.
        Valid(
            """
            def read_all(sock):
                chunks = []
                while True:
                    data = sock.recv(4096)
                    if not data:
                        break
                    chunks.append(data)
                return b"".join(chunks)
            """
        ),
        # A batch flushed and re-bound: bounded by the batch size.
        Valid(
            """
            def pump(source, sink):
                batch = []
                while True:
                    batch.append(source.get())
                    if len(batch) >= 100:
                        sink.write_many(batch)
                        batch = []
            """
        ),
        # Handed to a call that may empty it (`flush(batch)` can `batch.clear()`).
        Valid(
            """
            def pump(source):
                pending = []
                while True:
                    pending.append(source.get())
                    if len(pending) >= 100:
                        flush(pending)
            """
        ),
        # A server: another method removes what the accept loop adds.
        Valid(
            """
            class Server:
                def __init__(self):
                    self.clients = []
                def serve(self, sock):
                    while True:
                        conn, _ = sock.accept()
                        self.clients.append(conn)
                def on_close(self, conn):
                    self.clients.remove(conn)
            """
        ),
        # A sliding window: bounded by `maxlen`, or popped in the loop.
        Valid(
            """
            from collections import deque
            def watch(probe):
                recent = deque(maxlen=100)
                window = []
                while True:
                    recent.append(probe())
                    window.append(probe())
                    if len(window) > 10:
                        window.pop(0)
            """
        ),
        # A constant key replaces its value: the dict never passes one entry.
        Valid(
            """
            def heartbeat(clock):
                state = {}
                while True:
                    state["last_seen"] = clock()
                    state[LAST] = clock()
            """
        ),
        # Made inside the loop: dropped on every pass.
        Valid(
            """
            def poll(feed):
                while True:
                    items = []
                    items.append(feed.next())
                    feed.handle(items)
            """
        ),
        # A parameter belongs to the caller, which may drain it from another thread.
        Valid(
            """
            def worker(results, jobs):
                while True:
                    results.append(jobs.get())
            """
        ),
        # The sentinel ends it: the `break` of the `while True` it stands for.
        Valid(
            """
            def drain(q):
                got = []
                for item in iter(q.get, None):
                    got.append(item)
                return got
            """
        ),
        # Ended by the exception the `try` around it catches.
        Valid(
            """
            def tokens(stream):
                out = []
                try:
                    while True:
                        out.append(next(stream))
                except StopIteration:
                    pass
                return out
            """
        ),
        # A user's own `count` is not itertools.count.
        Valid(
            """
            def count():
                return [1, 2, 3]
            def collect():
                seen = []
                for i in count():
                    seen.append(i)
                return seen
            """
        ),
        # A closure that consumes what the loop produces.
        Valid(
            """
            import threading
            def run(source):
                pending = []
                def consume():
                    while pending:
                        print(pending.pop())
                threading.Thread(target=consume).start()
                while True:
                    pending.append(source.get())
            """
        ),
        Invalid(
            """
            def serve(sock):
                clients = []
                while True:
                    conn, _ = sock.accept()
                    clients.append(conn)
            """,
            line=3,
            column=5,
        ),
        # A module-level log, through an alias of itertools.count, in a dict keyed by time.
        Invalid(
            """
            import itertools as it
            history = {}
            def sample(clock, read):
                for _ in it.count():
                    history[clock()] = read()
            """,
            line=4,
            column=5,
        ),
        Invalid(
            """
            class Collector:
                def __init__(self):
                    self.samples = []
                def run(self, sensor):
                    while 1:
                        self.samples.append(sensor.read())
                def mean(self):
                    return sum(self.samples) / len(self.samples)
            """,
            line=5,
            column=9,
        ),
        # `d[k].append(v)` grows the list under the key.
        Invalid(
            """
            from collections import defaultdict
            def index(feed):
                by_user = defaultdict(list)
                while True:
                    event = feed.get()
                    by_user[event.user].append(event)
            """,
            line=4,
        ),
        # A loop that only ends at Ctrl-C is still endless.
        Invalid(
            """
            def main(poll):
                seen = set()
                try:
                    while True:
                        seen.add(poll())
                except KeyboardInterrupt:
                    print(len(seen))
            """,
            line=4,
        ),
        # A generator's consumer may stop it, but while it runs the set grows.
        Invalid(
            """
            def unique(source):
                seen = set()
                while True:
                    item = source.get()
                    if item not in seen:
                        seen.add(item)
                        yield item
            """,
            line=3,
        ),
    )

    # -- the cheap pre-filter ----------------------------------------------------------------

    @staticmethod
    def ast_candidate(tree: ast.Module) -> bool:
        """Whether an endless loop that nothing surely leaves adds to a container (conservative).

        The loop is a `while` whose test may be a truthy constant or a `for` over a call that
        may be `itertools.count`/`cycle`/`repeat(x)`, with no live `break` of its own, no
        `return` and no `raise` (an exit call needs names: it is not counted). Its body,
        outside nested defs, classes and lambdas, adds (the rule's shapes) to a name or an
        `<x>.<attribute>` that some assignment in the module binds to a container display or
        to a call that may make one.
        """
        imports = names.Imports.of(tree)
        made: tuple[frozenset[str], frozenset[str]] | None = None
        for loop in _endless_loops(tree, imports):
            if _surely_exits(loop):
                continue
            if made is None:
                made = _made_containers(tree, imports)
            if _adds_to(loop, imports, *made):
                return True
        return False

    # -- traversal -------------------------------------------------------------------------

    def visit_While(self, node: cst.While) -> None:
        self._check(node)

    def visit_For(self, node: cst.For) -> None:
        self._check(node)

    def _check(self, node: cst.For | cst.While) -> None:
        if not self._candidate(node):
            return
        loop = context.loop_of(self, node)
        function = context.context_of(self, node).function
        if self._ends_by_exception(node, function):
            return
        containers = self._containers(node, loop)
        growing = [c for c in containers if self._grows(c, loop, function)]
        if not growing:
            return
        labels = " and ".join(f"`{c.label}`" for c in growing[:3])
        header = self._header(node)
        yields = any(isinstance(n, (cst.Yield)) for n in _walk(node.body, into_scopes=False))
        self.report(
            node,
            f"`{header}` never ends and keeps adding to {labels}, which nothing empties, "
            "so memory grows for as long as the loop runs",
            suggestion="Process and discard each item, flush a bounded batch and `clear()` "
            "it, or keep the last items in a `collections.deque(maxlen=...)`",
            confidence=Confidence.MEDIUM if yields else Confidence.HIGH,
        )

    def _candidate(self, node: cst.For | cst.While) -> bool:
        """An endless loop that nothing inside can leave."""
        if isinstance(node, cst.For) and node.asynchronous is not None:
            return False
        loop = context.loop_of(self, node)
        return context.is_endless(self, loop) and not context.exits(self, loop)

    def _header(self, node: cst.For | cst.While) -> str:
        def code(part: cst.BaseExpression) -> str:
            # One line, without the parentheses (and the comments they may hold).
            bare = part.with_changes(lpar=(), rpar=())
            text = " ".join(self.context.module.code_for_node(bare).split())
            return text if len(text) <= 40 else text[:37] + "..."

        if isinstance(node, cst.While):
            return f"while {code(node.test)}"
        return f"for {code(node.target)} in {code(node.iter)}"

    # -- how the loop ends -------------------------------------------------------------------

    def _ends_by_exception(self, loop: cst.For | cst.While, function: _Function | None) -> bool:
        """Whether the loop sits in a `try:` (in its function) that catches how it ends."""
        root: cst.CSTNode = function if function is not None else self.context.module
        where = self._range(loop)
        for node in _walk(root, into_scopes=False):
            body = self._guarded_body(node)
            if body is not None and self._contains(self._range(body), where):
                return True
        return False

    def _guarded_body(self, node: cst.CSTNode) -> cst.BaseSuite | None:
        """The body of a `try` catching how a loop ends, or of a `contextlib.suppress` of it."""
        if isinstance(node, (cst.Try, cst.TryStar)):
            catches = any(self._catches_an_end(handler.type) for handler in node.handlers)
            return node.body if catches else None
        if isinstance(node, cst.With):
            suppresses = any(self._suppresses_an_end(item.item) for item in node.items)
            return node.body if suppresses else None
        return None

    def _catches_an_end(self, caught: cst.BaseExpression | None) -> bool:
        if caught is None:
            return False
        types = caught.elements if isinstance(caught, cst.Tuple) else None
        if types is None:
            return not names.resolves_to(self, caught, _STOPS)
        return any(not names.resolves_to(self, e.value, _STOPS) for e in types)

    def _suppresses_an_end(self, item: cst.BaseExpression) -> bool:
        if not isinstance(item, cst.Call) or not names.resolves_to(self, item, _SUPPRESS):
            return False
        return any(not names.resolves_to(self, arg.value, _STOPS) for arg in item.args)

    def _range(self, node: cst.CSTNode) -> CodeRange:
        return self.get_metadata(PositionProvider, node)

    @staticmethod
    def _contains(outer: CodeRange, inner: CodeRange) -> bool:
        starts = (outer.start.line, outer.start.column) <= (inner.start.line, inner.start.column)
        return starts and (inner.end.line, inner.end.column) <= (outer.end.line, outer.end.column)

    # -- what the loop adds to -----------------------------------------------------------------

    def _containers(self, node: cst.For | cst.While, loop: context.Loop) -> list[_Container]:
        """The containers added to in the loop (not in an inner endless loop: its own)."""
        found: dict[tuple[str, int, str], _Container] = {}
        stack: list[cst.CSTNode] = [node.body]
        while stack:
            current = stack.pop()
            if isinstance(current, _SCOPES):
                continue  # runs when called, not here
            if isinstance(current, (cst.For, cst.While)) and self._candidate(current):
                continue  # an inner endless loop: what it adds is its own
            for receiver, mapping_only in self._added_to(current):
                container = self._container(receiver, found)
                if container is not None:
                    container.adds.append((current, mapping_only))
            stack.extend(reversed(context.children(current)))
        return [c for c in found.values() if c.adds]

    def _added_to(self, node: cst.CSTNode) -> list[tuple[cst.BaseExpression, bool]]:
        """The receivers `node` adds to, each with whether it only grows a mapping."""
        if isinstance(node, cst.Call):
            func = node.func
            if isinstance(func, cst.Attribute) and func.attr.value in _ADDS:
                if self._constant_add(node, func.attr.value):
                    return []
                return [(_root(func.value), False)]
            if node.args and names.resolves_to(self, node, _HEAP_ADDS):
                return [(node.args[0].value, False)]
            return []
        if isinstance(node, cst.Assign):
            return [
                (target.target.value, True)
                for target in node.targets
                if isinstance(target.target, cst.Subscript) and _grows_key(target.target)
            ]
        if isinstance(node, cst.AugAssign):
            target = node.target
            if isinstance(target, cst.Subscript):
                return [(target.value, True)] if _grows_key(target) else []
            if isinstance(node.operator, (cst.AddAssign, cst.BitOrAssign)):
                return [(target, False)]
        return []

    @staticmethod
    def _constant_add(call: cst.Call, method: str) -> bool:
        """`s.add(CONST)`, `d.setdefault(CONST, v)`, `d.update(key=v)`: no growth past one."""
        args = call.args
        if method == "add":
            return len(args) == 1 and _constant_key(args[0].value)
        if method == "setdefault":
            return bool(args) and args[0].keyword is None and _constant_key(args[0].value)
        if method != "update":
            return False
        if all(arg.keyword is not None for arg in args):
            return bool(args)
        if len(args) != 1 or args[0].star or not isinstance(args[0].value, cst.Dict):
            return False
        return all(
            isinstance(e, cst.DictElement) and _constant_key(e.key) for e in args[0].value.elements
        )

    def _container(
        self, receiver: cst.BaseExpression, found: dict[tuple[str, int, str], _Container]
    ) -> _Container | None:
        if isinstance(receiver, cst.Name):
            return self._name_container(receiver, found)
        if isinstance(receiver, cst.Attribute) and isinstance(receiver.value, cst.Name):
            owner = self._self_class(receiver.value)
            if owner is None:
                return None
            key = ("attr", id(owner), receiver.attr.value)
            if key not in found:
                label = f"{receiver.value.value}.{receiver.attr.value}"
                found[key] = _Container(
                    label, self.context.module, None, receiver.attr.value, owner
                )
            return found[key]
        return None

    def _name_container(
        self, name: cst.Name, found: dict[tuple[str, int, str], _Container]
    ) -> _Container | None:
        owner = self._owner_scope(name)
        if owner is None or isinstance(owner, ClassScope):
            return None
        key = ("name", id(owner), name.value)
        if key in found:
            return found[key]
        assignments = list(owner.assignments[name.value])
        refs: set[int] = set()
        for assignment in assignments:
            # An import, a builtin, a parameter (the caller's container): not ours to judge.
            if not isinstance(assignment, Assignment) or isinstance(assignment.node, cst.Param):
                return None
            refs.add(id(assignment.node))
            refs.update(id(access.node) for access in assignment.references)
        region: cst.CSTNode | None
        if isinstance(owner, GlobalScope):
            region = self.context.module
        else:
            region = getattr(owner, "node", None)
        if region is None:
            return None
        found[key] = _Container(name.value, region, frozenset(refs), owner=owner)
        return found[key]

    def _owner_scope(self, name: cst.Name) -> Scope | None:
        return bindings.owner_scope(self, name)

    def _self_class(self, name: cst.Name) -> cst.ClassDef | None:
        """The class whose method's first parameter `name` is (`self`, `cls`)."""
        owner = self._owner_scope(name)
        if owner is None:
            return None
        params = [
            a.node
            for a in owner.assignments[name.value]
            if isinstance(a, Assignment) and isinstance(a.node, cst.Param)
        ]
        if len(params) != 1:
            return None
        method = getattr(owner, "node", None)
        if not isinstance(method, cst.FunctionDef) or _first_param(method) is not params[0]:
            return None
        if any(names.dotted(d.decorator) == "staticmethod" for d in method.decorators):
            return None
        where = context.context_of(self, method)
        return where.class_ if where.function is None else None

    # -- does anything take out of it? -----------------------------------------------------------

    def _grows(self, container: _Container, loop: context.Loop, function: _Function | None) -> bool:
        scan = _Scan(container)
        for node in _walk(container.region):
            if scan.is_ref(node):
                scan.seen[id(node)] = node
            self._classify(node, scan)
        if any(scan.marks.get(ref, "escape") in ("remove", "escape") for ref in scan.seen):
            return False
        kinds = self._creations(scan, loop, function)
        if kinds is None:
            return False
        mapping = all(kind == "dict" for kind in kinds)
        return any(mapping or not mapping_only for _, mapping_only in container.adds)

    def _creations(
        self, scan: _Scan, loop: context.Loop, function: _Function | None
    ) -> list[Kind] | None:
        """The kinds the container is made as; None when it is bound again while it lives."""
        container = scan.container
        kinds: list[Kind] = []
        for target, value, statement in scan.binds:
            where = context.context_of(self, statement)
            if any(outer is loop for outer in where.loops):
                return None  # bound again on every pass: `batch = []` after a flush
            if not self._makes(container, target, where, function):
                return None  # bound again by other code, which may run while the loop does
            kinds.append(self._kind(value))
        if isinstance(container.owner, cst.ClassDef):
            kinds.extend(self._class_level(container.owner, container.attribute))
        kinds = [kind for kind in kinds if kind != "none"]
        if not kinds or any(kind in ("bounded", "other") for kind in kinds):
            return None
        return kinds

    def _makes(
        self,
        container: _Container,
        target: cst.CSTNode,
        where: context.Context,
        function: _Function | None,
    ) -> bool:
        """Whether a binding outside the loop is where the container is made."""
        if where.function is function:
            return True
        if isinstance(container.owner, GlobalScope):
            return where.function is None and where.class_ is None
        if isinstance(container.owner, cst.ClassDef):
            method = where.function
            return (
                isinstance(target, cst.Attribute)
                and isinstance(target.value, cst.Name)
                and isinstance(method, cst.FunctionDef)
                and method.name.value in _INIT_METHODS
                and self._self_class(target.value) is container.owner
            )
        return False

    def _class_level(self, owner: cst.ClassDef, attribute: str) -> list[Kind]:
        kinds: list[Kind] = []
        for statement in owner.body.body:
            if not isinstance(statement, cst.SimpleStatementLine):
                continue
            for small in statement.body:
                if isinstance(small, cst.Assign):
                    targets = [t.target for t in small.targets]
                    value: cst.BaseExpression | None = small.value
                elif isinstance(small, cst.AnnAssign):
                    targets, value = [small.target], small.value
                else:
                    continue
                if value is not None and any(
                    isinstance(t, cst.Name) and t.value == attribute for t in targets
                ):
                    kinds.append(self._kind(value))
        return kinds

    def _kind(self, value: cst.BaseExpression) -> Kind:
        if isinstance(value, (cst.List, cst.ListComp)):
            return "list"
        if isinstance(value, (cst.Dict, cst.DictComp)):
            return "dict"
        if isinstance(value, (cst.Set, cst.SetComp)):
            return "set"
        if isinstance(value, cst.Name) and value.value == "None":
            return "none"
        if isinstance(value, cst.BinaryOperation) and isinstance(value.operator, cst.Multiply):
            # `[None] * n`: a list of n slots.
            return "list" if isinstance(value.left, cst.List) else "other"
        if not isinstance(value, cst.Call):
            return "other"
        if names.resolves_to(self, value, _WEAK):
            return "bounded"
        if names.resolves_to(self, value, _FIELD):
            factory = next(
                (a.value for a in value.args if a.keyword and a.keyword.value == "default_factory"),
                None,
            )
            return self._factory_kind(factory)
        qualified = names.resolves_to(self, value, _CONSTRUCTORS)
        if qualified is None:
            return "other"
        if qualified == "collections.deque" and _deque_maxlen(value):
            return "bounded"
        return _CONSTRUCTORS[qualified]  # type: ignore[return-value]

    def _factory_kind(self, factory: cst.BaseExpression | None) -> Kind:
        if factory is None:
            return "other"
        qualified = names.resolves_to(self, factory, _CONSTRUCTORS)
        if qualified is None or qualified == "collections.deque":
            return "other"
        return _CONSTRUCTORS[qualified]  # type: ignore[return-value]

    # -- one node's use of the container -----------------------------------------------------

    def _classify(self, node: cst.CSTNode, scan: _Scan) -> None:
        handler = _HANDLERS.get(type(node))
        if handler is not None:
            handler(self, node, scan)

    def _on_call(self, node: cst.CSTNode, scan: _Scan) -> None:
        assert isinstance(node, cst.Call)
        func = node.func
        if scan.is_ref(func):
            scan.mark(func, "read")  # `d.items()`: a method of that name, not the container
        if isinstance(func, cst.Attribute):
            receiver = _root(func.value)
            if scan.is_ref(receiver):
                scan.mark(receiver, _method_use(func.attr.value))
        for index, arg in enumerate(node.args):
            value = arg.value
            if isinstance(value, cst.Subscript) and scan.is_ref(value.value):
                value = value.value
            if scan.is_ref(value):
                scan.mark(value, self._argument_use(node, index, arg))

    def _argument_use(self, call: cst.Call, index: int, arg: cst.Arg) -> Mark:
        if arg.star:
            return "read"  # `f(*x)` passes copies of its items
        func = call.func
        # `", ".join(x)`, or `other.extend(x)`: read into something else.
        if isinstance(func, cst.Attribute) and (
            isinstance(func.value, _STRINGS) or func.attr.value in _ADDS
        ):
            return "read"
        qualified = names.qualified_names(self, call)
        if index == 0 and qualified & _HEAP_ADDS:
            return "add"
        if any(q.startswith("builtins.") for q in qualified) or qualified & _READING_CALLS:
            return "read"
        return "escape"

    def _on_assign(self, node: cst.CSTNode, scan: _Scan) -> None:
        if isinstance(node, cst.Assign):
            for target in node.targets:
                self._on_target(target.target, node.value, node, scan)
        elif isinstance(node, cst.AnnAssign):
            if node.value is None:
                if scan.is_ref(node.target):
                    scan.mark(node.target, "read")  # a declaration binds nothing
                return
            self._on_target(node.target, node.value, node, scan)

    def _on_target(
        self,
        target: cst.BaseExpression,
        value: cst.BaseExpression | None,
        statement: cst.CSTNode,
        scan: _Scan,
    ) -> None:
        if scan.is_ref(target):
            if value is None:
                scan.mark(target, "escape")  # unpacked into: made from who knows what
                return
            scan.mark(target, "bind")
            scan.binds.append((target, value, statement))
        elif isinstance(target, cst.Subscript) and scan.is_ref(target.value):
            scan.mark(target.value, "remove" if _is_slice(target) else "add")
        elif isinstance(target, cst.Attribute) and scan.is_ref(target.value):
            scan.mark(target.value, "read")  # `x.attr = v` sets an attribute
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self._on_target(element.value, None, statement, scan)

    def _on_augassign(self, node: cst.CSTNode, scan: _Scan) -> None:
        assert isinstance(node, cst.AugAssign)
        target = node.target
        if isinstance(target, cst.Subscript) and scan.is_ref(target.value):
            scan.mark(target.value, "remove" if _is_slice(target) else "add")
        elif scan.is_ref(target):
            shrinks = (cst.SubtractAssign, cst.BitAndAssign, cst.BitXorAssign)
            scan.mark(target, "remove" if isinstance(node.operator, shrinks) else "add")

    def _on_del(self, node: cst.CSTNode, scan: _Scan) -> None:
        assert isinstance(node, cst.Del)
        stack: list[cst.BaseExpression] = [node.target]
        while stack:
            target = stack.pop()
            if isinstance(target, (cst.Tuple, cst.List)):
                stack.extend(element.value for element in target.elements)
            elif isinstance(target, cst.Subscript) and scan.is_ref(target.value):
                scan.mark(target.value, "remove")
            elif scan.is_ref(target):
                scan.mark(target, "remove")

    def _on_read(self, node: cst.CSTNode, scan: _Scan) -> None:
        """Uses that only read: `x in s`, `if s:`, `for y in s`, `s[k]`, `f"{s}"`, `[*s]`."""
        for child in _read_children(node):
            if scan.is_ref(child):
                scan.mark(child, "read")

    def _on_attribute(self, node: cst.CSTNode, scan: _Scan) -> None:
        assert isinstance(node, cst.Attribute)
        if scan.is_ref(node.value):
            # A bound method taken (`pop = s.pop`) may be called anywhere.
            use = _method_use(node.attr.value)
            scan.mark(node.value, "read" if use == "add" else use)


def _method_use(method: str) -> Mark:
    if method in _ADDS:
        return "add"
    return "read" if method in _READS else "remove"


def _root(receiver: cst.BaseExpression) -> cst.BaseExpression:
    """The container under `x[k]` and `x.setdefault(k, v)`, whose items are grown in place."""
    if isinstance(receiver, cst.Subscript):
        return receiver.value
    if (
        isinstance(receiver, cst.Call)
        and isinstance(receiver.func, cst.Attribute)
        and receiver.func.attr.value == "setdefault"
    ):
        return receiver.func.value
    return receiver


def _grows_key(target: cst.Subscript) -> bool:
    key = _subscript_key(target)
    return key is not None and not _constant_key(key)


def _deque_maxlen(call: cst.Call) -> bool:
    if any(arg.star for arg in call.args):
        return True  # cannot be read: assume bounded
    positional = [arg for arg in call.args if arg.keyword is None]
    maxlen = next((a for a in call.args if a.keyword and a.keyword.value == "maxlen"), None)
    if maxlen is None and len(positional) > 1:
        maxlen = positional[1]
    return maxlen is not None and not (
        isinstance(maxlen.value, cst.Name) and maxlen.value.value == "None"
    )


def _read_children(node: cst.CSTNode) -> list[cst.CSTNode]:
    if isinstance(node, cst.Comparison):
        return [node.left, *(c.comparator for c in node.comparisons)]
    if isinstance(node, (cst.If, cst.While, cst.IfExp, cst.Assert)):
        return _test_parts(node.test)
    if isinstance(node, (cst.For, cst.CompFor)):
        return [node.iter]
    if isinstance(node, cst.Subscript):
        return [node.value]
    if isinstance(node, cst.FormattedStringExpression):
        return [node.expression]
    if isinstance(node, (cst.StarredElement, cst.StarredDictElement)):
        return [node.value]
    return []


def _test_parts(test: cst.BaseExpression) -> list[cst.CSTNode]:
    """The operands whose truth a test reads: `s`, `not s`, `s and t`."""
    parts: list[cst.CSTNode] = []
    stack = [test]
    while stack:
        current = stack.pop()
        parts.append(current)
        if isinstance(current, cst.BooleanOperation):
            stack.extend((current.left, current.right))
        elif isinstance(current, cst.UnaryOperation) and isinstance(current.operator, cst.Not):
            stack.append(current.expression)
    return parts


_Handler = Callable[[GrowForeverLoop, cst.CSTNode, _Scan], None]
_HANDLERS: dict[type[cst.CSTNode], _Handler] = {
    cst.Call: GrowForeverLoop._on_call,
    cst.Assign: GrowForeverLoop._on_assign,
    cst.AnnAssign: GrowForeverLoop._on_assign,
    cst.AugAssign: GrowForeverLoop._on_augassign,
    cst.Del: GrowForeverLoop._on_del,
    cst.Attribute: GrowForeverLoop._on_attribute,
    **{
        kind: GrowForeverLoop._on_read
        for kind in (
            cst.Comparison,
            cst.If,
            cst.While,
            cst.IfExp,
            cst.Assert,
            cst.For,
            cst.CompFor,
            cst.Subscript,
            cst.FormattedStringExpression,
            cst.StarredElement,
            cst.StarredDictElement,
        )
    },
}


# -- the pre-filter on CPython's tree ---------------------------------------------------------

_ENDLESS_ITERATORS = frozenset({"itertools.count", "itertools.cycle"})
_REPEAT = frozenset({"itertools.repeat"})
_AST_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
_AST_TERMINAL = (ast.Return, ast.Raise, ast.Break, ast.Continue)
# A `break` in a nested loop's target, test or body ends that loop; one in its `else:` is ours.
_NESTED_LOOP_INSIDE = frozenset({"target", "test", "body"})
_AST_DISPLAYS = (ast.List, ast.ListComp, ast.Dict, ast.DictComp, ast.Set, ast.SetComp)
_MADE_BY = frozenset({*_CONSTRUCTORS, *_FIELD})


def _endless_loops(tree: ast.Module, imports: names.Imports) -> Iterator[ast.While | ast.For]:
    """The loops `context.is_endless` may call endless (not `async for`: the rule skips it)."""
    for loop in astindex.nodes(tree, ast.While):
        if _may_be(loop.test, True):
            yield loop
    for each in astindex.nodes(tree, ast.For):
        if _may_be_endless_iterable(each.iter, imports):
            yield each


def _may_be(node: ast.expr, truth: bool) -> bool:
    """Whether `context.truthiness` may find `node` a constant of this truth value."""
    if isinstance(node, ast.Constant):
        return bool(node.value) is truth
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return _may_be(node.operand, not truth)
    # Numbers are folded: `-1`, `2 * 3`.
    return isinstance(node, (ast.UnaryOp, ast.BinOp)) and _numeric(node)


def _numeric(node: ast.expr) -> bool:
    """Whether `node` is made of number literals only (what `constants.fold` may fold)."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, (int, float, complex)) and not isinstance(node.value, bool)
    if isinstance(node, ast.UnaryOp):
        return not isinstance(node.op, ast.Not) and _numeric(node.operand)
    if isinstance(node, ast.BinOp):
        return _numeric(node.left) and _numeric(node.right)
    return False


def _may_be_endless_iterable(node: ast.expr, imports: names.Imports) -> bool:
    if not isinstance(node, ast.Call):
        return False
    if any(isinstance(arg, ast.Starred) for arg in node.args) or any(
        keyword.arg is None for keyword in node.keywords
    ):
        return False
    if imports.may_refer(node, _ENDLESS_ITERATORS):
        return True
    # `repeat(x)` without `times`.
    only = len(node.args) + len(node.keywords) == 1
    return (
        only
        and (not node.keywords or node.keywords[0].arg == "object")
        and imports.may_refer(node, _REPEAT)
    )


def _surely_exits(loop: ast.While | ast.For) -> bool:
    """`context.exits` without exit calls: a live `break` of this loop, `return` or `raise`."""
    # (node, whether a `break` there belongs to `loop`)
    stack: list[tuple[ast.AST, bool]] = [
        (loop.test if isinstance(loop, ast.While) else loop.target, True)
    ]
    stack.extend((statement, True) for statement in _live(loop.body))
    while stack:
        node, own = stack.pop()
        if isinstance(node, ast.Break):
            if own:
                return True
            continue
        if isinstance(node, (ast.Return, ast.Raise)):
            return True
        if isinstance(node, _AST_SCOPES):
            continue  # decorators, defaults and bases hold no statement
        nested = isinstance(node, (ast.For, ast.AsyncFor, ast.While))
        for name, value in ast.iter_fields(node):
            inside = own and not (nested and name in _NESTED_LOOP_INSIDE)
            if isinstance(value, list):
                items = _live(value) if value and isinstance(value[0], ast.stmt) else value
                stack.extend((item, inside) for item in items if isinstance(item, ast.AST))
            elif isinstance(value, ast.AST):
                stack.append((value, inside))
    return False


def _live(statements: list[ast.stmt]) -> list[ast.stmt]:
    """The statements of a block up to the first one that always leaves it."""
    for index, statement in enumerate(statements):
        if isinstance(statement, _AST_TERMINAL):
            return statements[: index + 1]
    return statements


def _made_containers(
    tree: ast.Module, imports: names.Imports
) -> tuple[frozenset[str], frozenset[str]]:
    """Names, and attribute names, that some assignment binds to what may be a container."""
    made_names: set[str] = set()
    made_attributes: set[str] = set()
    assigned: list[ast.Assign | ast.AnnAssign] = [
        *astindex.nodes(tree, ast.Assign),
        *astindex.nodes(tree, ast.AnnAssign),
    ]
    for node in assigned:
        value = node.value
        if value is None or not _may_make(value, imports):
            continue
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        for target in targets:
            if isinstance(target, ast.Name):
                made_names.add(target.id)
                made_attributes.add(target.id)  # a class-level attribute
            elif isinstance(target, ast.Attribute):
                made_attributes.add(target.attr)
    return frozenset(made_names), frozenset(made_attributes)


def _may_make(value: ast.expr, imports: names.Imports) -> bool:
    if isinstance(value, _AST_DISPLAYS):
        return True
    if isinstance(value, ast.BinOp) and isinstance(value.op, ast.Mult):
        return isinstance(value.left, ast.List)  # `[None] * n`
    return isinstance(value, ast.Call) and imports.may_refer(value, _MADE_BY)


def _adds_to(
    loop: ast.While | ast.For,
    imports: names.Imports,
    made_names: frozenset[str],
    made_attributes: frozenset[str],
) -> bool:
    """Whether the loop's body (not nested scopes) adds to one of the made containers."""
    stack: list[ast.AST] = list(loop.body)
    while stack:
        node = stack.pop()
        if isinstance(node, _AST_SCOPES):
            continue  # runs when called, not here
        for receiver in _ast_added_to(node, imports):
            if isinstance(receiver, ast.Name) and receiver.id in made_names:
                return True
            if (
                isinstance(receiver, ast.Attribute)
                and isinstance(receiver.value, ast.Name)
                and receiver.attr in made_attributes
            ):
                return True
        stack.extend(ast.iter_child_nodes(node))
    return False


def _ast_added_to(node: ast.AST, imports: names.Imports) -> list[ast.expr]:
    """The receivers `node` may add to, as `_added_to` reads them (constant adds kept)."""
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in _ADDS:
            return [_ast_root(func.value)]
        if imports.may_refer(node, _HEAP_ADDS):
            return [*node.args, *(keyword.value for keyword in node.keywords)]
        return []
    if isinstance(node, ast.Assign):
        return [
            target.value
            for target in node.targets
            if isinstance(target, ast.Subscript) and _ast_grows_key(target)
        ]
    if isinstance(node, ast.AugAssign):
        target = node.target
        if isinstance(target, ast.Subscript):
            return [target.value] if _ast_grows_key(target) else []
        if isinstance(node.op, (ast.Add, ast.BitOr)):
            return [target]
    return []


def _ast_root(receiver: ast.expr) -> ast.expr:
    if isinstance(receiver, ast.Subscript):
        return receiver.value
    if (
        isinstance(receiver, ast.Call)
        and isinstance(receiver.func, ast.Attribute)
        and receiver.func.attr == "setdefault"
    ):
        return receiver.func.value
    return receiver


def _ast_grows_key(target: ast.Subscript) -> bool:
    """False only where `_grows_key` surely is: a slice, or a constant key."""
    key = target.slice
    if isinstance(key, ast.Slice):
        return False
    return not _ast_constant_key(key)


def _ast_constant_key(node: ast.expr) -> bool:
    """Only keys that `_constant_key` surely calls constant (`x[-1]` is left out)."""
    if isinstance(node, ast.Constant):
        return not isinstance(node.value, complex) and node.value is not Ellipsis
    if isinstance(node, ast.JoinedStr):
        return all(isinstance(part, ast.Constant) for part in node.values)
    if isinstance(node, ast.Tuple):
        return all(_ast_constant_key(element) for element in node.elts)
    if isinstance(node, ast.Name):
        return node.id.isupper()
    if isinstance(node, ast.Attribute):
        return node.attr.isupper()
    return False
