"""How many tasks or futures a fan-out starts at once, and what bounds them (MEM301-MEM303)."""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from typing import TypeVar, Union

import libcst as cst
import libcst.matchers as m
from libcst import MetadataDependent
from libcst.helpers import ensure_type
from libcst.metadata import (
    Assignment,
    CodeRange,
    PositionProvider,
    ScopeProvider,
)

from memlint.semantic import context, names
from memlint.semantic.constants import ModuleConstantsProvider, Number, fold
from memlint.semantic.context import Loop, children

PROVIDERS = (PositionProvider, ScopeProvider, ModuleConstantsProvider, *context.PROVIDERS)

_T = TypeVar("_T")
Comprehension = Union[cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp]
_COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp)
_SCOPES = (cst.FunctionDef, cst.ClassDef, cst.Lambda)
_MUTABLE_LITERALS = (cst.List, cst.Set, cst.Dict)
# (the collection's name, the node that adds, "one" or "many", what is added)
_Fill = tuple[cst.Name, cst.CSTNode, str, cst.BaseExpression]
# How deep name resolution follows `a = b`, `b = [...]` chains.
_DEPTH = 4


@dataclasses.dataclass(frozen=True)
class Count:
    """At most `items` items; `items` is None for a batch or slice whose size is not a constant.

    A fan-out with a Count is bounded by the code. None (no Count at all) means nothing
    bounds it: it grows with the input.
    """

    items: int | None


@dataclasses.dataclass(frozen=True)
class Source:
    """One way a collection of tasks (or futures) is built."""

    # The comprehension, the `map()` call, or the call / `+=` / `x[k] = v` that fills a
    # collection inside a loop.
    node: cst.CSTNode
    # How many items it holds at most; None when nothing bounds it.
    count: Count | None
    # What makes each item (`fetch(u)`, `create_task(fetch(u))`, or `map`'s function);
    # None when unknown (`tasks.extend(other)`).
    element: cst.BaseExpression | None
    # The loops that repeat it: a comprehension is its own loop; for a fill, the loops
    # around it that do not also hold the consumer.
    loops: tuple[Loop, ...]
    # The iterable whose items it follows (for messages); None for a `while` loop.
    label: cst.BaseExpression | None
    # "comprehension", "map", "fill" (a collection filled in a loop), or "loop" (a call
    # repeated by the loops around it, such as `create_task`).
    kind: str = "loop"


@dataclasses.dataclass(frozen=True)
class Binding:
    """What a binding of a name assigns: a value, a loop target, a `with` target, ..."""

    kind: str  # "value", "for", "with", "augment" (`x += v`), "param", "def", "other"
    value: cst.BaseExpression | None = None  # the value, the loop's iterable, the with item
    index: int | None = None  # the position in a tuple target (`for i, batch in ...`)
    # What binds the name: the target Name, the Param, the FunctionDef or ClassDef.
    node: cst.CSTNode | None = None


# Builtins whose result has as many items as their first argument (at most).
_SAME_SIZE = frozenset(
    {
        "builtins.list",
        "builtins.tuple",
        "builtins.set",
        "builtins.frozenset",
        "builtins.sorted",
        "builtins.reversed",
        "builtins.enumerate",
        "builtins.iter",
        "asyncio.as_completed",
        "asyncio.tasks.as_completed",
    }
)
_VIEWS = frozenset({"items", "keys", "values"})
# Builtins that copy an iterable into a collection: `list(comprehension)` is the comprehension.
_COPIES = frozenset({"builtins.list", "builtins.tuple", "builtins.set", "builtins.frozenset"})
_BATCHERS = frozenset(
    {
        "itertools.batched",
        "more_itertools.chunked",
        "more_itertools.batched",
        "more_itertools.ichunked",
        "more_itertools.grouper",
        "more_itertools.windowed",
        "more_itertools.sliced",
        "more_itertools.chunked_even",
        "toolz.partition_all",
        "toolz.itertoolz.partition_all",
        "cytoolz.partition_all",
    }
)
# A function whose name says it yields batches: the heuristic for helpers of one's own.
_BATCH_FUNCTIONS = frozenset(
    {"chunks", "chunked", "batched", "batches", "grouper", "chunk", "windowed", "partition_all"}
)
# Keywords that name a batch's size.
_SIZE_KEYWORDS = frozenset(
    {"n", "size", "chunk_size", "chunksize", "batch_size", "batchsize", "length", "k"}
)
_SEMAPHORES = frozenset(
    {
        "asyncio.Semaphore",
        "asyncio.BoundedSemaphore",
        "asyncio.locks.Semaphore",
        "asyncio.locks.BoundedSemaphore",
        "threading.Semaphore",
        "threading.BoundedSemaphore",
        "multiprocessing.Semaphore",
        "multiprocessing.BoundedSemaphore",
    }
)
# Calls that wrap a coroutine or a callable without running it: look through them to find
# the function each item runs.
_WRAPPERS = frozenset(
    {
        "asyncio.create_task",
        "asyncio.ensure_future",
        "asyncio.wait_for",
        "asyncio.shield",
        "asyncio.tasks.create_task",
        "asyncio.tasks.ensure_future",
        "asyncio.tasks.wait_for",
        "asyncio.tasks.shield",
        "functools.partial",
    }
)
_WRAPPER_METHODS = frozenset({"create_task", "ensure_future", "submit"})
# Methods that add items to a collection, and whether they add one item or many.
_ADD_ONE = frozenset({"append", "add", "appendleft"})
_ADD_MANY = frozenset({"extend", "update", "extendleft"})

# asyncio's functions that take a collection of tasks: `gather` as `*` arguments, the others
# as their first parameter `fs`.
_GATHER = frozenset({"asyncio.gather", "asyncio.tasks.gather"})
_WAITERS = frozenset(
    {"asyncio.wait", "asyncio.tasks.wait", "asyncio.as_completed", "asyncio.tasks.as_completed"}
)
# Every asyncio call whose arguments `consumed` reads (for the rules' ast filters).
CONSUMERS = _GATHER | _WAITERS
# Calls that block until some work finishes, for windows kept without `await` (threads).
_WAIT_CALLS = frozenset({"wait", "as_completed", "result", "join", "acquire"})
_SEMAPHORE_WORDS = frozenset({"sem", "sema", "semaphore", "limiter", "throttle", "throttler"})
_BATCH_WORDS = frozenset({"batch", "chunk"})
_LIMIT_WORDS = frozenset(
    {
        "worker",
        "workers",
        "concurrency",
        "concurrent",
        "parallel",
        "parallelism",
        "limit",
        "max",
        "pool",
        "consumers",
        "producers",
        "threads",
        "slots",
        # The machine's size: `range(os.cpu_count())`, `range(n_cpus)`.
        "cpu",
        "cpus",
        "cores",
        "processes",
    }
)


def name_words(identifier: str) -> frozenset[str]:
    """The lower-case words of a snake_case (or camelCase) identifier."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", identifier)
    return frozenset(word for word in spaced.lower().split("_") if word)


def is_semaphore_name(identifier: str) -> bool:
    """`sem`, `semaphore`, `_fetch_sem`, `rate_limiter`: a name that says it bounds work."""
    return bool(name_words(identifier) & _SEMAPHORE_WORDS)


def is_limit_name(identifier: str) -> bool:
    """`num_workers`, `concurrency`, `max_parallel`, `pool_size`: a name for a chosen limit."""
    return bool(name_words(identifier) & _LIMIT_WORDS)


def is_batch_name(identifier: str) -> bool:
    """`batch`, `chunk`, `url_batch`, `chunk_of_ids`; not `batches` or `chunks`."""
    return bool(name_words(identifier) & _BATCH_WORDS)


def multiply(counts: Sequence[Count | None]) -> Count | None:
    """The bound on a product of fan-outs (nested loops); None when any is unbounded."""
    if any(c is None for c in counts):
        return None
    known = [c.items for c in counts if c is not None and c.items is not None]
    product = math.prod(known)
    if len(known) == len(counts):
        return Count(product)
    # A batch of unknown size holds at least one item: a product of the known sizes above
    # the threshold is still flagged; below it, the batch is trusted.
    return Count(product) if product > 1 else Count(None)


def code_of(node: cst.CSTNode) -> str:
    """The source of an expression on one line, whitespace runs collapsed."""
    return " ".join(cst.Module([]).code_for_node(node).split())


def _walk(roots: Sequence[cst.CSTNode], into_scopes: bool = False) -> Iterator[cst.CSTNode]:
    """Every node under `roots` (roots included), not entering nested defs, classes and
    lambdas unless `into_scopes`. Reads fields directly: `node.children` rebuilds the node.
    """
    stack = list(reversed(roots))
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, _SCOPES) and not into_scopes:
            continue
        stack.extend(reversed(children(node)))


def _callee_name(call: cst.Call) -> str:
    func = call.func
    if isinstance(func, cst.Attribute):
        return func.attr.value
    return func.value if isinstance(func, cst.Name) else ""


def _plain_args(call: cst.Call) -> list[cst.Arg] | None:
    """The call's arguments when none is `*args`/`**kwargs`; None otherwise."""
    return None if any(arg.star for arg in call.args) else list(call.args)


class Fanout:
    """Answers about fan-outs in one file; create one per rule instance and file.

    `visitor` is the rule (it must depend on PROVIDERS), `module` the module it visits and
    `threshold` the configured `fanout-threshold`. Answers about functions and loops are
    cached for the life of the object, which is the life of the file's tree.
    """

    def __init__(self, visitor: MetadataDependent, module: cst.Module, threshold: int) -> None:
        self.visitor = visitor
        self.module = module
        self.threshold = threshold
        self._constants: Mapping[str, Number] | None = None
        # id(target Name) -> what that binding assigns; built on first need.
        self._targets: dict[int, Binding] | None = None
        self._acquires: dict[int, bool] = {}
        self._mutations: dict[tuple[int, str], bool] = {}
        self._guards: dict[int, tuple[cst.CSTNode, ...]] = {}
        self._fills: dict[int, list[_Fill]] = {}
        self._assigns: dict[int, list[tuple[frozenset[str], cst.BaseExpression]]] = {}
        self._consumers: dict[int, list[tuple[cst.Call, list[cst.BaseExpression]]]] = {}

    # -- sizes -------------------------------------------------------------------------------

    def bounded(self, count: Count | None) -> bool:
        """Whether a fan-out of `count` items stays at or under the threshold (inclusive)."""
        if count is None:
            return False
        return count.items is None or count.items <= self.threshold

    def number(self, node: cst.BaseExpression) -> Number | None:
        """The number `node` folds to, module constants and single local constants included."""
        folded = fold(node, self._lookup)
        if folded is not None or not isinstance(node, cst.Name):
            return folded
        bindings = self.bindings(node)
        if len(bindings) != 1 or bindings[0].kind != "value" or bindings[0].value is None:
            return None
        return fold(bindings[0].value, self._lookup)

    def _integer(self, node: cst.BaseExpression) -> int | None:
        value = self.number(node)
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    def size(self, iterable: cst.BaseExpression, depth: int = _DEPTH) -> Count | None:
        """How many items iterating `iterable` yields at most; None when nothing bounds it.

        Bounded: a literal list/tuple/set/dict without `*`; `range(...)` whose length
        folds (module constants folded: `range(WORKERS)`); a slice whose length folds
        from upper minus lower (`xs[:50]`, `xs[i:i + 50]`, `xs[-10:]`), and a slice with a
        non-constant upper bound (`xs[:limit]`: someone's decision, size unknown);
        `itertools.islice` likewise; a name bound in this function to any of those, or to
        one batch of a batching iterator (`for batch in itertools.batched(xs, 50)`), or
        whose name says it is a batch (`batch`, `url_chunk`); `list()`, `sorted()`,
        `enumerate()` ... of a bounded iterable; `zip()` with a bounded argument.
        """
        if depth <= 0:
            return None
        if isinstance(iterable, (cst.List, cst.Tuple, cst.Set, cst.Dict)):
            return self._literal_size(iterable)
        if isinstance(iterable, cst.Subscript):
            return self._slice_size(iterable)
        if isinstance(iterable, cst.Name):
            return self._name_size(iterable, depth)
        if isinstance(iterable, _COMPREHENSIONS):
            return self.comprehension_size(iterable, depth - 1)
        if isinstance(iterable, cst.Call):
            return self._call_size(iterable, depth)
        return None

    def shortest(self, iterables: Sequence[cst.BaseExpression]) -> Count | None:
        """How many items zipping `iterables` yields at most (`map(f, xs, ys)` likewise)."""
        return _smallest([self.size(iterable) for iterable in iterables])

    def comprehension_size(self, node: Comprehension, depth: int = _DEPTH) -> Count | None:
        """The product of the sizes of a comprehension's `for` clauses (its `if`s only shrink)."""
        counts: list[Count | None] = []
        clause: cst.CompFor | None = node.for_in
        while clause is not None:
            if clause.asynchronous is not None:
                return None  # an async stream has no length
            counts.append(self.size(clause.iter, depth))
            clause = clause.inner_for_in
        return multiply(counts)

    def loop_size(self, loop: Loop) -> Count | None:
        """How many times a loop runs at most: `for` over a bounded iterable, comprehensions."""
        node = loop.node
        if isinstance(node, cst.For):
            return None if node.asynchronous is not None else self.size(node.iter)
        if isinstance(node, cst.While):
            return None
        return self.comprehension_size(node)

    def loop_label(self, loop: Loop) -> cst.BaseExpression | None:
        """The iterable a loop walks (the first clause's for a comprehension); None for `while`."""
        node = loop.node
        if isinstance(node, cst.For):
            return node.iter
        if isinstance(node, cst.While):
            return None
        return node.for_in.iter

    def _literal_size(self, node: cst.List | cst.Tuple | cst.Set | cst.Dict) -> Count | None:
        starred = (cst.StarredElement, cst.StarredDictElement)
        if any(isinstance(e, starred) for e in node.elements):
            return None
        return Count(len(node.elements))

    def _slice_size(self, node: cst.Subscript) -> Count | None:
        if len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Slice):
            return None
        part = node.slice[0].slice
        step = 1 if part.step is None else self._integer(part.step)
        if step is None or step <= 0:
            return None
        items = self._span(part.lower, part.upper)
        if items is None or items.items is None:
            return items
        return Count(-(-items.items // step))

    def _span(
        self, lower: cst.BaseExpression | None, upper: cst.BaseExpression | None
    ) -> Count | None:
        """How many indexes lie in [lower, upper) of a sequence of any length, at most."""
        low = 0 if lower is None else self._integer(lower)
        if upper is None:
            # `xs[-10:]` holds at most 10; `xs[i:]` everything after i.
            return Count(-low) if low is not None and low < 0 else None
        high = self._integer(upper)
        if high is not None and high < 0 and (low is None or low >= 0):
            return None  # `xs[:-1]`, `xs[i:-1]`: all but a few
        if low is not None and high is not None:
            if low < 0 <= high:
                return Count(-low)
            return Count(max(0, high - low))
        difference = self.difference(upper, lower)
        if difference is not None:
            return Count(max(0, int(difference)))
        # A bound that is not a constant is someone's decision (`xs[:limit]`).
        return Count(None)

    def difference(
        self, upper: cst.BaseExpression, lower: cst.BaseExpression | None
    ) -> Number | None:
        """`upper - lower` when it folds: `i + 50` minus `i`, `(i + 1) * N` minus `i * N`."""
        high = self._linear(upper)
        low = ({}, 0) if lower is None else self._linear(lower)
        if high is None or low is None:
            return None
        terms = dict(high[0])
        for term, factor in low[0].items():
            terms[term] = terms.get(term, 0) - factor
        if any(factor != 0 for factor in terms.values()):
            return None
        return high[1] - low[1]

    def _linear(self, node: cst.BaseExpression) -> tuple[dict[str, Number], Number] | None:
        """`node` as a sum of constant multiples of names plus a constant, if it is one."""
        folded = fold(node, self._lookup)
        if folded is not None:
            return {}, folded
        if isinstance(node, (cst.Name, cst.Attribute)):
            dotted = names.dotted(node)
            return ({dotted: 1}, 0) if dotted else None
        if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
            inner = self._linear(node.expression)
            return None if inner is None else _scale(inner, -1)
        if not isinstance(node, cst.BinaryOperation):
            return None
        if isinstance(node.operator, cst.Multiply):
            return self._linear_product(node)
        if not isinstance(node.operator, (cst.Add, cst.Subtract)):
            return None
        left, right = self._linear(node.left), self._linear(node.right)
        if left is None or right is None:
            return None
        sign = 1 if isinstance(node.operator, cst.Add) else -1
        terms = dict(left[0])
        for term, factor in right[0].items():
            terms[term] = terms.get(term, 0) + sign * factor
        return terms, left[1] + sign * right[1]

    def _linear_product(self, node: cst.BinaryOperation) -> tuple[dict[str, Number], Number] | None:
        for constant, other in ((node.left, node.right), (node.right, node.left)):
            factor = fold(constant, self._lookup)
            if factor is not None:
                inner = self._linear(other)
                return None if inner is None else _scale(inner, factor)
        return None

    def _name_size(self, node: cst.Name, depth: int) -> Count | None:
        # The name says it: a batch made by a caller we cannot see.
        if is_batch_name(node.value):
            return Count(None)
        bindings = self.bindings(node)
        if not bindings:
            return None
        counts: list[Count | None] = []
        for binding in bindings:
            if binding.kind == "value" and isinstance(binding.value, _MUTABLE_LITERALS):
                # `urls = []` and then `urls.append(...)`: the literal is only the start.
                counts.append(None if self._mutated(node) else self.size(binding.value))
            elif binding.kind == "value" and binding.value is not None:
                counts.append(self.size(binding.value, depth - 1))
            elif binding.kind == "for" and binding.value is not None:
                counts.append(self.item_size(binding.value, binding.index, depth - 1))
            else:
                return None
        return _largest(counts)

    def _call_size(self, call: cst.Call, depth: int) -> Count | None:
        args = _plain_args(call)
        if args is None:
            return None
        qualified = names.resolves_to(
            self.visitor, call, {"builtins.range", "builtins.zip", "itertools.islice", *_SAME_SIZE}
        )
        positional = [a.value for a in args if a.keyword is None]
        func = call.func
        if isinstance(func, cst.Attribute) and func.attr.value in _VIEWS and not args:
            # `SERVICES.items()` has as many items as the mapping.
            return self.size(func.value, depth - 1)
        if qualified == "builtins.range" and len(positional) == len(args):
            return self._range_size(positional)
        if qualified == "itertools.islice" and len(positional) == len(args) >= 2:
            return self._islice_size(positional[1:])
        if qualified == "builtins.zip":
            return _smallest([self.size(arg, depth - 1) for arg in positional])
        if qualified is not None and positional:
            return self.size(positional[0], depth - 1)
        return None

    def _range_size(self, args: list[cst.BaseExpression]) -> Count | None:
        if len(args) == 1:
            stop = self._integer(args[0])
            if stop is None and is_limit_name(names.dotted(args[0]).rpartition(".")[2]):
                # `range(num_workers)`: a worker pool whose size someone chose.
                return Count(None)
            return None if stop is None else Count(max(0, stop))
        if len(args) not in (2, 3):
            return None
        step = 1 if len(args) == 2 else self._integer(args[2])
        if step is None or step == 0:
            return None
        span = self.difference(args[1], args[0]) if step > 0 else self.difference(args[0], args[1])
        if span is None:
            return None
        return Count(max(0, -(-int(span) // abs(step))))

    def _islice_size(self, args: list[cst.BaseExpression]) -> Count | None:
        # islice(it, stop) or islice(it, start, stop[, step])
        if len(args) == 1:
            lower, upper, step = None, args[0], None
        else:
            lower, upper = args[0], args[1]
            step = args[2] if len(args) > 2 else None
        if isinstance(upper, cst.Name) and upper.value == "None":
            return None
        if lower is not None and isinstance(lower, cst.Name) and lower.value == "None":
            lower = None
        span = self._span(lower, upper)
        every = 1 if step is None else self._integer(step)
        if span is None or span.items is None or every is None or every <= 0:
            return span
        return Count(-(-span.items // every))

    def item_size(
        self, iterable: cst.BaseExpression, index: int | None, depth: int = _DEPTH
    ) -> Count | None:
        """How many items each item of `iterable` holds: one batch of a batching iterator.

        `itertools.batched(xs, 50)` (resolved) and `more_itertools.chunked` yield batches of
        the size they are given; so, by the heuristic, does any call of a function named
        `chunks`, `chunked`, `batched`, `batches`, `grouper`, `chunk`, `windowed` or
        `partition_all`. `index` is the position in a tuple target: `for i, batch in
        enumerate(batched(...))` has index 1. None when the items are not batches.
        """
        if depth <= 0:
            return None
        if isinstance(iterable, cst.Name):
            bound = [b for b in self.bindings(iterable) if b.kind == "value"]
            if len(bound) != 1 or bound[0].value is None:
                return None
            return self.item_size(bound[0].value, index, depth - 1)
        if not isinstance(iterable, cst.Call) or _plain_args(iterable) is None:
            return None
        wrapper = names.resolves_to(self.visitor, iterable, _SAME_SIZE)
        positional = [a.value for a in iterable.args if a.keyword is None]
        if wrapper == "builtins.enumerate" and index == 1 and positional:
            return self.item_size(positional[0], None, depth - 1)
        if wrapper is not None and wrapper != "builtins.enumerate" and positional:
            return self.item_size(positional[0], index, depth - 1)
        if index is not None:
            return None
        batcher = names.resolves_to(self.visitor, iterable, _BATCHERS)
        if batcher is None and _callee_name(iterable) not in _BATCH_FUNCTIONS:
            return None
        return self._batch_size(iterable)

    def _batch_size(self, call: cst.Call) -> Count:
        """The one argument of a batching call that folds to an integer, else unknown."""
        candidates = [
            arg.value
            for arg in call.args
            if arg.keyword is None or arg.keyword.value in _SIZE_KEYWORDS
        ]
        sizes = [n for n in (self._integer(c) for c in candidates) if n is not None]
        return Count(sizes[0]) if len(sizes) == 1 and sizes[0] > 0 else Count(None)

    # -- names -------------------------------------------------------------------------------

    def bindings(self, name: cst.Name) -> list[Binding]:
        """What every binding `name` may refer to assigns; empty when it is not resolved."""
        found: list[Binding] = []
        for referent in self._referents(name):
            if not isinstance(referent, Assignment):
                return []  # a builtin or an import: not ours to follow
            node = referent.node
            if isinstance(node, cst.Param):
                found.append(Binding("param", node=node))
            elif isinstance(node, (cst.FunctionDef, cst.ClassDef)):
                found.append(Binding("def", node=node))
            else:
                table = self._target_table()
                found.append(dataclasses.replace(table.get(id(node), Binding("other")), node=node))
        return found

    def _referents(self, name: cst.Name) -> list[object]:
        scope = self.visitor.get_metadata(ScopeProvider, name, None)
        if scope is None:
            return []
        try:
            accesses = scope.accesses[name]  # every access of the same name in the scope
        except KeyError:
            return []
        found: dict[int, object] = {}
        for access in accesses:
            if access.node is name:
                found.update((id(r), r) for r in access.referents)
        return list(found.values())

    def _target_table(self) -> dict[int, Binding]:
        if self._targets is None:
            self._targets = _targets(self.module)
        return self._targets

    def _lookup(self, name: str) -> Number | None:
        if self._constants is None:
            self._constants = self.visitor.get_metadata(ModuleConstantsProvider, self.module, {})
        return self._constants.get(name)

    # -- receivers -----------------------------------------------------------------------------

    def bound_to(self, receiver: cst.BaseExpression, makers: Collection[str]) -> set[int] | None:
        """The loops (by node id) around the bindings of `receiver` when it holds what one of
        `makers` (qualified names of classes or factories) makes; None when it does not.

        `receiver` may be a call of a maker (`asyncio.get_running_loop().create_task`); a
        name bound to one (`ex = ThreadPoolExecutor()`, `with ThreadPoolExecutor() as ex`,
        `loop = loop or asyncio.get_event_loop()`, or another such name) or a parameter
        annotated with one (`Optional[...]`, `X | None` too), every other binding being a
        parameter without annotation; or `self.<attr>` that the class assigns one of those
        to, or annotates with a maker. A loop around the binding makes a new object on each
        pass: it does not repeat what is done with one of them.
        """
        return self._bound_to(receiver, frozenset(makers), _DEPTH)

    def _bound_to(
        self, receiver: cst.BaseExpression, makers: frozenset[str], depth: int
    ) -> set[int] | None:
        if depth <= 0:
            return None
        if isinstance(receiver, cst.Call):
            return set() if names.resolves_to(self.visitor, receiver, makers) else None
        if m.matches(receiver, m.Attribute(value=m.Name("self") | m.Name("cls"))):
            assert isinstance(receiver, cst.Attribute)
            owner = context.context_of(self.visitor, receiver).class_
            if owner is None:
                return None
            assigned = self._class_assigns(
                owner, receiver.attr.value, lambda v: self._makes(v, makers, depth - 1), makers
            )
            return set() if assigned else None
        if not isinstance(receiver, cst.Name):
            return None
        loops: set[int] = set()
        made = False
        for binding in self.bindings(receiver):
            if self._binding_makes(binding, makers, depth):
                made = True
                where = binding.node
                if where is not None:
                    loops.update(id(x.node) for x in context.context_of(self.visitor, where).loops)
            elif not _bare_parameter(binding):
                return None
        return loops if made else None

    def _binding_makes(self, binding: Binding, makers: frozenset[str], depth: int) -> bool:
        if binding.kind in ("value", "with") and binding.value is not None:
            return self._makes(binding.value, makers, depth)
        if binding.kind == "param" and isinstance(binding.node, cst.Param):
            annotation = binding.node.annotation
            return annotation is not None and self._annotated(annotation.annotation, makers)
        return False

    def _makes(self, value: cst.BaseExpression, makers: frozenset[str], depth: int) -> bool:
        """Whether `value` is a call of a maker, a name bound to one, or `x or maker()`."""
        if isinstance(value, cst.Call):
            return names.resolves_to(self.visitor, value, makers) is not None
        if isinstance(value, (cst.Name, cst.Attribute)):
            return self._bound_to(value, makers, depth - 1) is not None
        if isinstance(value, cst.BooleanOperation):
            parts = (value.left, value.right)
        elif isinstance(value, cst.IfExp):
            parts = (value.body, value.orelse)
        else:
            return False
        return any(self._makes(part, makers, depth) for part in parts)

    # -- sources -------------------------------------------------------------------------------

    def sources(self, expression: cst.BaseExpression, consumer: cst.CSTNode) -> list[Source]:
        """The fan-outs that build `expression`, handed to `consumer` (a gather, a wait).

        A comprehension or generator expression, `map(f, xs)` (also through `list()`,
        `set()`, `tuple()`), or a name bound to one of those, or filled inside a loop before
        the consumer (`tasks.append(...)`, `.add`, `.extend`, `+=`, `tasks[k] = ...`). A
        parameter, or any other name, is the caller's business: no source.
        """
        return self._sources(expression, consumer, _DEPTH)

    def _sources(
        self, expression: cst.BaseExpression, consumer: cst.CSTNode, depth: int
    ) -> list[Source]:
        expression = self._unwrap_copy(expression)
        if depth <= 0:
            return []
        if isinstance(expression, _COMPREHENSIONS) and _passes_through(expression):
            # `[t for t in tasks if not t.done()]` makes no task: what `tasks` holds
            # already exists, and is a fan-out only if `tasks` is one.
            return self._sources(expression.for_in.iter, consumer, depth - 1)
        direct = self._direct_source(expression, ())
        if direct is not None:
            return [direct]
        if not isinstance(expression, cst.Name):
            return []
        found = []
        for binding in self.bindings(expression):
            if binding.kind == "value" and binding.value is not None:
                value = self._unwrap_copy(binding.value)
                if isinstance(value, (*_COMPREHENSIONS, cst.Call)):
                    found.extend(self._sources(value, consumer, depth - 1))
        found.extend(self._fill_sources(expression, consumer))
        return found

    def _unwrap_copy(self, node: cst.BaseExpression) -> cst.BaseExpression:
        while isinstance(node, cst.Call) and len(node.args) == 1 and not node.args[0].keyword:
            if node.args[0].star or names.resolves_to(self.visitor, node, _COPIES) is None:
                break
            node = node.args[0].value
        return node

    def _direct_source(self, node: cst.BaseExpression, loops: tuple[Loop, ...]) -> Source | None:
        if isinstance(node, _COMPREHENSIONS):
            element = node.key if isinstance(node, cst.DictComp) else node.elt
            loop = context.loop_of(self.visitor, node)
            count = self.comprehension_size(node)
            return Source(node, count, element, (*loops, loop), node.for_in.iter, "comprehension")
        if isinstance(node, cst.Call) and names.resolves_to(self.visitor, node, {"builtins.map"}):
            args = _plain_args(node)
            if args is None or len(args) < 2 or any(a.keyword for a in args):
                return None
            iterables = [a.value for a in args[1:]]
            return Source(node, self.shortest(iterables), args[0].value, loops, iterables[0], "map")
        return None

    def _fill_sources(self, name: cst.Name, consumer: cst.CSTNode) -> list[Source]:
        where = context.context_of(self.visitor, consumer)
        consumer_loops = {id(loop.node) for loop in where.loops}
        referents = self._referents(name)
        # A loop that rebinds the name starts a new collection on each pass: it does not
        # repeat the fill for one collection.
        table = self._target_table()
        resets = {
            id(loop.node)
            for r in referents
            if isinstance(r, Assignment)
            and isinstance(r.node, cst.Name)
            and table.get(id(r.node), Binding("other")).kind != "augment"
            for loop in context.context_of(self.visitor, r.node).loops
        }
        found: list[Source] = []
        start = self._position(consumer).start
        # Where the fills can be: the consumer's function, and the one binding the name
        # (a closure gathers what its enclosing function filled).
        functions = {id(where.function): where.function}
        for r in referents:
            if isinstance(r, Assignment) and isinstance(r.node, cst.Name):
                binder = context.context_of(self.visitor, r.node).function
                functions.setdefault(id(binder), binder)
        fills = [fill for f in functions.values() for fill in self._fills_of(name, f)]
        for _target, node, how, added in fills:
            begins = self._position(node).start
            if (begins.line, begins.column) >= (start.line, start.column):
                continue
            loops = tuple(
                loop
                for loop in context.context_of(self.visitor, node).loops
                if id(loop.node) not in consumer_loops and id(loop.node) not in resets
            )
            if loops:
                found.append(self._fill_source(node, how, added, loops))
        return found

    def _fills_of(
        self, name: cst.Name, function: cst.FunctionDef | cst.Lambda | None
    ) -> list[_Fill]:
        """The fills in `function` (or at module level) of the collection `name` refers to."""
        scopes = {id(getattr(r, "scope", None)) for r in self._referents(name)}
        return [
            fill
            for fill in self._fills_in(function).get(name.value, [])
            if scopes & self._scopes_of(fill[0])
        ]

    def _scopes_of(self, target: cst.Name) -> set[int]:
        """The scopes (by id) whose variable a name is: where its referents live."""
        found = {id(getattr(r, "scope", None)) for r in self._referents(target)}
        if found:
            return found
        # `x += ...` stores as well as loads: libcst records no access for its target.
        scope = self.visitor.get_metadata(ScopeProvider, target, None)
        return {id(scope)} if scope is not None else set()

    def _mutated(self, name: cst.Name) -> bool:
        """Whether the collection `name` refers to may be added to after it is bound.

        Any `name.append`/`.add`/`.extend`/`.update`/`.insert`/... (called or not: a bound
        method kept as `push = name.append` counts), `name += ...` or `name[k] = ...` in the
        function (or module) that binds it, nested functions included.
        """
        for referent in self._referents(name):
            node = getattr(referent, "node", None)
            if not isinstance(node, cst.Name):
                continue
            function = context.context_of(self.visitor, node).function
            key = (id(function) if function is not None else 0, name.value)
            if key not in self._mutations:
                roots = list(self.module.body) if function is None else [function.body]
                self._mutations[key] = any(
                    _mutates(child, name.value) for child in _walk(roots, into_scopes=True)
                )
            if self._mutations[key]:
                return True
        return False

    def _fill_source(
        self, node: cst.CSTNode, how: str, added: cst.BaseExpression, loops: tuple[Loop, ...]
    ) -> Source:
        repeated = self.loop_source(node, loops, added)
        counts: list[Count | None] = [repeated.count]
        element: cst.BaseExpression | None = added
        if how == "many":
            added = self._unwrap_copy(added)
            inner = self._direct_source(added, loops)
            single = _single_element(added)
            if inner is not None:
                counts.append(inner.count)
                element = inner.element
            elif single is not None:
                element = single
            else:
                counts.append(self.size(added))
                element = None
        return Source(node, multiply(counts), element, loops, repeated.label, "fill")

    def loop_source(
        self, node: cst.CSTNode, loops: Sequence[Loop], element: cst.BaseExpression | None
    ) -> Source:
        """`node` repeated by `loops` (outermost first, at least one): `tg.create_task(...)`
        in a `for`, `ex.submit(...)` in a comprehension. Its label is the first loop's
        iterable that is not bounded (else the outermost one's).
        """
        counts = [self.loop_size(loop) for loop in loops]
        label = next(
            (self.loop_label(loop) for loop, c in zip(loops, counts) if not self.bounded(c)),
            self.loop_label(loops[0]),
        )
        return Source(node, multiply(counts), element, tuple(loops), label, "loop")

    def _fills_in(self, function: cst.FunctionDef | cst.Lambda | None) -> dict[str, list[_Fill]]:
        """Every `name.append(x)`-like fill in a function body (or the module), by name.

        A bound method kept in a local (`push = tasks.append`, then `push(x)`) fills too.
        """
        key = id(function) if function is not None else 0
        cached = self._fills.get(key)
        if cached is None:
            cached = []
            roots: Sequence[cst.CSTNode]
            roots = list(self.module.body) if function is None else [function.body]
            nodes = list(_walk(roots))
            aliases = dict(a for a in map(_bound_method, nodes) if a is not None)
            for node in nodes:
                fill = _fill_of(node) or _alias_fill(node, aliases)
                if fill is not None:
                    cached.append(fill)
            self._fills[key] = cached
        by_name: dict[str, list[_Fill]] = {}
        for fill in cached:
            by_name.setdefault(fill[0].value, []).append(fill)
        return by_name

    def _position(self, node: cst.CSTNode) -> CodeRange:
        return self.visitor.get_metadata(PositionProvider, node)

    # -- what bounds a fan-out -----------------------------------------------------------------

    def unbounded(self, source: Source) -> bool:
        """Whether nothing bounds a source: size, a guarded element, or a throttled loop."""
        if self.bounded(source.count):
            return False
        if source.element is not None and self.guarded(source.element):
            return False
        return not any(self.throttled(loop) for loop in source.loops)

    def guarded(self, element: cst.BaseExpression) -> bool:
        """Whether each item runs a function that acquires a semaphore first.

        `element` is what makes one item: a call (`fetch(u)`), through `create_task`,
        `ensure_future`, `wait_for`, `shield`, `functools.partial` and `await`, or a function
        (`map`'s first argument, a lambda). The function is one defined in this module (at
        any level), or a method of the class the element is in (`self.fetch`).
        """
        function = self._function_of(element, _DEPTH)
        return function is not None and self.acquires_semaphore(function)

    def _function_of(
        self, node: cst.BaseExpression, depth: int
    ) -> cst.FunctionDef | cst.Lambda | None:
        if depth <= 0:
            return None
        if isinstance(node, cst.Await):
            return self._function_of(node.expression, depth - 1)
        if isinstance(node, cst.Lambda):
            body = node.body
            return self._function_of(body, depth - 1) if isinstance(body, cst.Call) else None
        if isinstance(node, cst.Call):
            wraps = names.resolves_to(self.visitor, node, _WRAPPERS) is not None or (
                isinstance(node.func, cst.Attribute) and node.func.attr.value in _WRAPPER_METHODS
            )
            if wraps and node.args and not node.args[0].star:
                return self._function_of(node.args[0].value, depth - 1)
            return self._function_of(node.func, depth - 1)
        if isinstance(node, cst.Name):
            return self._function_named(node, depth)
        if m.matches(node, m.Attribute(value=m.Name("self") | m.Name("cls"))):
            assert isinstance(node, cst.Attribute)
            return self._method_named(node, node.attr.value)
        return None

    def _function_named(self, node: cst.Name, depth: int) -> cst.FunctionDef | None:
        for binding in self.bindings(node):
            if binding.kind == "def" and isinstance(binding.node, cst.FunctionDef):
                return binding.node
            # `task = create_task(fetch(u))` ... `tasks.append(task)`
            if binding.kind == "value" and binding.value is not None:
                found = self._function_of(binding.value, depth - 1)
                if isinstance(found, cst.FunctionDef):
                    return found
        return None

    def _method_named(self, node: cst.CSTNode, method: str) -> cst.FunctionDef | None:
        owner = context.context_of(self.visitor, node).class_
        if owner is None:
            return None
        found = None
        for statement in owner.body.body:
            if isinstance(statement, cst.FunctionDef) and statement.name.value == method:
                found = statement
        return found

    def acquires_semaphore(self, function: cst.FunctionDef | cst.Lambda) -> bool:
        """Whether the function's body holds a semaphore: `async with sem:`, `with sem:`,
        `await sem.acquire()` or `sem.acquire()`.

        `sem` is a semaphore when a binding of it is a (resolved) `asyncio.Semaphore(...)`,
        `BoundedSemaphore(...)` (or threading's), its name says so (`sem`, `semaphore`,
        `_limiter`: a parameter handed one), or it is `self.<attr>` where the class assigns
        a semaphore to `<attr>` (or the attribute's name says so).
        """
        key = id(function)
        if key not in self._acquires:
            self._acquires[key] = any(
                self.is_semaphore(held, function) for held in _held(function.body)
            )
        return self._acquires[key]

    def is_semaphore(self, node: cst.BaseExpression, where: cst.CSTNode | None = None) -> bool:
        """Whether `node` (a name or attribute) holds a semaphore; see acquires_semaphore."""
        if isinstance(node, cst.Name):
            if is_semaphore_name(node.value):
                return True
            return any(self._binding_makes(b, _SEMAPHORES, _DEPTH) for b in self.bindings(node))
        if not isinstance(node, cst.Attribute):
            return False
        if is_semaphore_name(node.attr.value):
            return True
        if isinstance(node.value, cst.Name) and node.value.value in ("self", "cls"):
            owner = context.context_of(self.visitor, where or node).class_
            return owner is not None and self._class_assigns(
                owner, node.attr.value, lambda v: self._makes(v, _SEMAPHORES, _DEPTH), _SEMAPHORES
            )
        return False

    def _class_assigns(
        self,
        owner: cst.ClassDef,
        attribute: str,
        makes: Callable[[cst.BaseExpression], bool],
        annotations: Collection[str],
    ) -> bool:
        """Whether the class (its body or its methods) assigns `attribute` (`self.x = ...` or
        `x = ...`) a value that `makes` accepts, or annotates it with one of `annotations`.
        """
        for node in _walk_class(owner):
            if isinstance(node, cst.Assign):
                targets = (_attribute_target(t.target, attribute) for t in node.targets)
                if any(targets) and makes(node.value):
                    return True
            elif isinstance(node, cst.AnnAssign) and _attribute_target(node.target, attribute):
                if node.value is not None and makes(node.value):
                    return True
                if self._annotated(node.annotation.annotation, annotations):
                    return True
        return False

    def _annotated(self, annotation: cst.BaseExpression, qualified: Collection[str]) -> bool:
        """Whether an annotation allows one of `qualified` (`Optional[X]`, `X | None` too)."""
        members = names.annotation_members(self.visitor, annotation) or []
        return any(member & frozenset(qualified) for member in members)

    def throttled(self, loop: Loop) -> bool:
        """Whether a loop waits for room on its iterations: it keeps a window
        (`if len(pending) >= limit:` with a wait under it) or calls `acquire()` (awaited or
        not: `await sem.acquire()`, `sem.acquire()` for threads) in its body.
        """
        if self.window_guards(loop):
            return True
        return any(
            isinstance(node, cst.Call) and _callee_name(node) == "acquire"
            for node in _walk(_loop_body(loop.node))
        )

    def window_guards(self, loop: Loop) -> tuple[cst.CSTNode, ...]:
        """The `if`/`while` statements in a loop's body whose test compares a `len(...)` (or
        a `.qsize()`) and whose body waits: an `await` (`await asyncio.wait(...,
        return_when=FIRST_COMPLETED)`), or a call of `wait`, `as_completed`, `result`,
        `join` or `acquire` (`concurrent.futures.wait(...)` for threads).
        """
        key = id(loop.node)
        if key not in self._guards:
            self._guards[key] = tuple(
                node
                for node in _walk(_loop_body(loop.node))
                if isinstance(node, (cst.If, cst.While))
                and self.compares_len(node.test)
                and any(_waits(n) for n in _walk([node.body]))
            )
        return self._guards[key]

    def compares_len(self, test: cst.BaseExpression) -> bool:
        """Whether a test compares a `len(...)` (or a `.qsize()`) with something."""
        for node in _walk([test]):
            if not isinstance(node, cst.Comparison):
                continue
            for side in (node.left, *(c.comparator for c in node.comparisons)):
                if not isinstance(side, cst.Call):
                    continue
                if names.resolves_to(self.visitor, side, {"builtins.len"}) is not None:
                    return True
                if isinstance(side.func, cst.Attribute) and side.func.attr.value == "qsize":
                    return True
        return False

    def in_window(self, node: cst.CSTNode) -> bool:
        """Whether `node` runs under a window guard of a loop around it (the windowed wait
        itself), or in a `while len(...) ...:` loop.
        """
        where = self._position(node)
        for loop in reversed(context.context_of(self.visitor, node).loops):
            if isinstance(loop.node, cst.While) and self.compares_len(loop.node.test):
                return True
            for guard in self.window_guards(loop):
                assert isinstance(guard, (cst.If, cst.While))
                if _contains(self._position(guard.body), where):
                    return True
        return False

    def repeated(
        self, node: cst.CSTNode, loops: Sequence[Loop], element: cst.BaseExpression | None
    ) -> Source | None:
        """`node` repeated by `loops` (outermost first) when nothing bounds it (see
        `unbounded`); None when it is bounded or there is no loop.
        """
        if not loops:
            return None
        source = self.loop_source(node, loops, element)
        return source if self.unbounded(source) else None

    # -- what waits ----------------------------------------------------------------------------

    def in_flight(self, call: cst.Call, loops: Sequence[Loop]) -> tuple[Loop, ...]:
        """The loops of `loops` (outermost first) that repeat `call` before what it makes is
        waited for: those inside the innermost loop that waits on it on each pass.

        A pass waits on it when it awaits it (`await tg.create_task(...)`, `t = ...; await
        t`, also inside `wait_for`, `shield`, `gather`), calls `wait`, `as_completed`,
        `result` or `join` on it (`ex.submit(f, x).result()`, `wait(futures)`), or iterates
        it with such a wait inside (`for t in tasks: await t`), directly or through a name
        that holds it (see `holders`).
        """
        holders = self.holders(call)
        for index in range(len(loops) - 1, -1, -1):
            if self._waits_on(_iteration(loops[index].node), call, holders):
                return tuple(loops[index + 1 :])
        return tuple(loops)

    def holders(self, call: cst.Call) -> frozenset[str]:
        """The names that hold what `call` makes, in its function: a name assigned a value
        that contains it (`t = create_task(...)`, `futures = [ex.submit(...) for ...]`,
        `(t := ...)`), and a collection that it, or such a name, is added to
        (`tasks.append(...)`, `pending.add(t)`, `futures[ex.submit(...)] = x`).
        """
        function = context.context_of(self.visitor, call).function
        where = self._position(call)
        found: set[str] = set()
        for targets, value in self._assigns_in(function):
            if _contains(self._position(value), where):
                found.update(targets)
        for collection, fills in self._fills_in(function).items():
            for _name, _node, _how, added in fills:
                if _contains(self._position(added), where) or (
                    isinstance(added, cst.Name) and added.value in found
                ):
                    found.add(collection)
        return frozenset(found)

    def _assigns_in(
        self, function: cst.FunctionDef | cst.Lambda | None
    ) -> list[tuple[frozenset[str], cst.BaseExpression]]:
        """(the names assigned, the value) for every assignment in a function (or module)."""
        return self._per_function(self._assigns, function, _assignment)

    def _per_function(
        self,
        cache: dict[int, list[_T]],
        function: cst.FunctionDef | cst.Lambda | None,
        collect: Callable[[cst.CSTNode], _T | None],
    ) -> list[_T]:
        """What `collect` finds in a function's body (or the module's), nested scopes left
        out; cached in `cache` by function.
        """
        key = id(function) if function is not None else 0
        cached = cache.get(key)
        if cached is None:
            roots = list(self.module.body) if function is None else [function.body]
            cached = [found for found in map(collect, _walk(roots)) if found is not None]
            cache[key] = cached
        return cached

    def _waits_on(
        self, roots: Sequence[cst.CSTNode], call: cst.Call, holders: frozenset[str]
    ) -> bool:
        held = set(holders)

        def mentions(node: cst.CSTNode) -> bool:
            return any(
                n is call or (isinstance(n, cst.Name) and n.value in held) for n in _walk([node])
            )

        nodes = list(_walk(roots))
        # `for t in tasks:` makes `t` hold what `tasks` holds.
        for node in nodes:
            if isinstance(node, (cst.For, cst.CompFor)) and mentions(node.iter):
                held.update(_target_names([node.target]))
        return any(
            (isinstance(node, cst.Await) and mentions(node.expression))
            or (isinstance(node, cst.Call) and _callee_name(node) in _WAIT_CALLS and mentions(node))
            for node in nodes
        )

    # -- consumers -----------------------------------------------------------------------------

    def consumed(self, call: cst.Call) -> tuple[str, list[cst.BaseExpression]] | None:
        """What an asyncio `gather` (its `*` arguments), `wait` or `as_completed` (its `fs`)
        is handed, with the function's short name; None for any other call, and for a wait
        that keeps a window (`done, pending = await asyncio.wait(pending, ...)` under `if
        len(pending) ...`): that wait bounds a fan-out rather than waiting on one.
        """
        if not isinstance(call.func, (cst.Name, cst.Attribute)):
            return None
        qualified = names.resolves_to(self.visitor, call, _GATHER | _WAITERS)
        if qualified is None:
            return None
        kind = qualified.rpartition(".")[2]
        if qualified in _GATHER:
            return kind, [arg.value for arg in call.args if arg.star == "*"]
        fs = _fs_argument(call)
        if fs is None or self.in_window(call):
            return None
        return kind, [fs]

    def gathered(self, call: cst.Call) -> bool:
        """Whether what `call` makes is one of the items of a fan-out source handed to an
        asyncio `gather`/`wait`/`as_completed` (see `consumed`) in the same function: the
        source (a comprehension, a fill) holds the call, or adds a name that holds it.
        """
        function = context.context_of(self.visitor, call).function
        where = self._position(call)
        holders = self.holders(call)
        for consumer, expressions in self._consumers_in(function):
            for expression in expressions:
                for source in self.sources(expression, consumer):
                    element = source.element
                    if _contains(self._position(source.node), where) or (
                        isinstance(element, cst.Name) and element.value in holders
                    ):
                        return True
        return False

    def _consumers_in(
        self, function: cst.FunctionDef | cst.Lambda | None
    ) -> list[tuple[cst.Call, list[cst.BaseExpression]]]:
        def collect(node: cst.CSTNode) -> tuple[cst.Call, list[cst.BaseExpression]] | None:
            found = self.consumed(node) if isinstance(node, cst.Call) else None
            return None if found is None else (ensure_type(node, cst.Call), found[1])

        return self._per_function(self._consumers, function, collect)

    # -- messages ------------------------------------------------------------------------------

    def amount(self, source: Source, unit: str) -> str:
        """How many `unit`s a source makes, for a message: "100 tasks", "one task per item
        of `urls`", "one task per pass of a `while` loop".
        """
        items = source.count.items if source.count is not None else None
        if items is not None:
            return f"{items} {unit}s"
        if source.label is None:
            return f"one {unit} per pass of a `while` loop"
        return f"one {unit} per item of {self.describe(source.label)}"

    def describe(self, iterable: cst.BaseExpression | None, limit: int = 30) -> str:
        """`urls` in backticks when its source is short, else "the input"."""
        if iterable is None:
            return "the input"
        text = code_of(iterable)
        return f"`{text}`" if len(text) <= limit else "the input"


# -- module-level helpers ---------------------------------------------------------------------


def _scale(
    linear: tuple[dict[str, Number], Number], factor: Number
) -> tuple[dict[str, Number], Number]:
    return {term: value * factor for term, value in linear[0].items()}, linear[1] * factor


def _largest(counts: Sequence[Count | None]) -> Count | None:
    if not counts or any(c is None for c in counts):
        return None
    known = [c.items for c in counts if c is not None]
    if any(items is None for items in known):
        return Count(None)
    return Count(max(k for k in known if k is not None))


def _smallest(counts: Sequence[Count | None]) -> Count | None:
    bounded = [c for c in counts if c is not None]
    if not bounded:
        return None
    known = [c.items for c in bounded if c.items is not None]
    return Count(min(known)) if known else Count(None)


def _passes_through(node: Comprehension) -> bool:
    """A one-clause comprehension whose element calls and awaits nothing: it only filters or
    picks from what its iterable already holds (`[t for t in tasks if not t.done()]`).
    """
    if node.for_in.inner_for_in is not None:
        return False
    element = node.key if isinstance(node, cst.DictComp) else node.elt
    return not any(isinstance(n, (cst.Call, cst.Await)) for n in _walk([element]))


def _waits(node: cst.CSTNode) -> bool:
    if isinstance(node, cst.Await):
        return True
    return isinstance(node, cst.Call) and _callee_name(node) in _WAIT_CALLS


def _single_element(node: cst.BaseExpression) -> cst.BaseExpression | None:
    """The one element of `[x]`, `(x,)` or `{x}`."""
    if not isinstance(node, (cst.List, cst.Tuple, cst.Set)) or len(node.elements) != 1:
        return None
    element = node.elements[0]
    return None if isinstance(element, cst.StarredElement) else element.value


def _contains(outer: CodeRange, inner: CodeRange) -> bool:
    start = (outer.start.line, outer.start.column)
    end = (outer.end.line, outer.end.column)
    return (
        start <= (inner.start.line, inner.start.column)
        and (
            inner.end.line,
            inner.end.column,
        )
        <= end
    )


def _fs_argument(call: cst.Call) -> cst.BaseExpression | None:
    """What `asyncio.wait(fs, ...)` / `as_completed(fs, ...)` is given as `fs`."""
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == "fs":
            return arg.value
    first = call.args[0] if call.args else None
    if first is None or first.keyword is not None or first.star:
        return None
    return first.value


def _assignment(node: cst.CSTNode) -> tuple[frozenset[str], cst.BaseExpression] | None:
    """(the names assigned, the value) for `a = b = value`, `a: T = value`, `(a := value)`."""
    if isinstance(node, cst.Assign):
        return frozenset(_target_names([t.target for t in node.targets])), node.value
    if isinstance(node, (cst.AnnAssign, cst.NamedExpr)) and node.value is not None:
        return frozenset(_target_names([node.target])), node.value
    return None


def _bare_parameter(binding: Binding) -> bool:
    """A parameter without annotation: `def run(executor=None)`, rebound in the body."""
    return (
        binding.kind == "param"
        and isinstance(binding.node, cst.Param)
        and binding.node.annotation is None
    )


def _target_names(targets: Sequence[cst.BaseExpression]) -> Iterator[str]:
    """The plain names bound by assignment or loop targets (`a`, `a, b`, `[a, *b]`)."""
    stack = list(targets)
    while stack:
        target = stack.pop()
        if isinstance(target, cst.Name):
            yield target.value
        elif isinstance(target, (cst.Tuple, cst.List)):
            stack.extend(element.value for element in target.elements)
        elif isinstance(target, cst.StarredElement):
            stack.append(target.value)


def _iteration(node: context.LoopNode) -> list[cst.CSTNode]:
    """What runs on every pass of a loop: the body, or a comprehension's element."""
    if isinstance(node, (cst.For, cst.While)):
        return [node.body]
    if isinstance(node, cst.DictComp):
        return [node.key, node.value]
    return [node.elt]


def _loop_body(node: context.LoopNode) -> list[cst.CSTNode]:
    if isinstance(node, (cst.For, cst.While)):
        return [node.body]
    return []


def _held(body: cst.CSTNode) -> Iterator[cst.BaseExpression]:
    """What a function body holds: `with x:` items and `x.acquire()` receivers."""
    for node in _walk([body]):
        if isinstance(node, cst.With):
            yield from (item.item for item in node.items)
        elif (
            isinstance(node, cst.Call)
            and isinstance(node.func, cst.Attribute)
            and node.func.attr.value == "acquire"
        ):
            yield node.func.value


def _walk_class(owner: cst.ClassDef) -> Iterator[cst.CSTNode]:
    """The class body and its methods' bodies (where `self.x = ...` is assigned)."""
    for statement in owner.body.body:
        if isinstance(statement, cst.FunctionDef):
            yield from _walk([statement.body])
        else:
            yield from _walk([statement])


def _attribute_target(target: cst.BaseExpression, attribute: str) -> bool:
    if isinstance(target, cst.Name):
        return target.value == attribute  # a class-level attribute
    return (
        isinstance(target, cst.Attribute)
        and isinstance(target.value, cst.Name)
        and target.value.value in ("self", "cls")
        and target.attr.value == attribute
    )


_MUTATORS = _ADD_ONE | _ADD_MANY | {"insert", "setdefault"}


def _mutates(node: cst.CSTNode, name: str) -> bool:
    """Whether `node` adds to the collection called `name` (or takes a method that does)."""
    if isinstance(node, cst.Attribute):
        return node.attr.value in _MUTATORS and m.matches(node.value, m.Name(name))
    if isinstance(node, cst.AugAssign):
        return m.matches(node.target, m.Name(name))
    if isinstance(node, cst.AssignTarget):
        return m.matches(node.target, m.Subscript(value=m.Name(name)))
    return False


def _bound_method(node: cst.CSTNode) -> tuple[str, tuple[cst.Name, str]] | None:
    """(alias, (collection, "one" or "many")) for `alias = collection.append`."""
    if not isinstance(node, cst.Assign) or len(node.targets) != 1:
        return None
    alias, value = node.targets[0].target, node.value
    if not isinstance(alias, cst.Name) or not isinstance(value, cst.Attribute):
        return None
    if not isinstance(value.value, cst.Name):
        return None
    method = value.attr.value
    if method in _ADD_ONE:
        return alias.value, (value.value, "one")
    if method in _ADD_MANY:
        return alias.value, (value.value, "many")
    return None


def _alias_fill(node: cst.CSTNode, aliases: Mapping[str, tuple[cst.Name, str]]) -> _Fill | None:
    if not isinstance(node, cst.Call) or not isinstance(node.func, cst.Name):
        return None
    found = aliases.get(node.func.value)
    if found is None or len(node.args) != 1 or node.args[0].star or node.args[0].keyword:
        return None
    return found[0], node, found[1], node.args[0].value


def _fill_of(node: cst.CSTNode) -> _Fill | None:
    """(name, node, "one" or "many", what is added) when `node` adds to a named collection."""
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
        receiver, method = node.func.value, node.func.attr.value
        if not isinstance(receiver, cst.Name) or any(arg.star for arg in node.args):
            return None
        if method == "insert" and len(node.args) == 2:
            return receiver, node, "one", node.args[1].value
        if len(node.args) != 1:
            return None
        if method in _ADD_ONE:
            return receiver, node, "one", node.args[0].value
        if method in _ADD_MANY:
            return receiver, node, "many", node.args[0].value
        return None
    if isinstance(node, cst.AugAssign) and isinstance(node.target, cst.Name):
        if isinstance(node.operator, (cst.AddAssign, cst.BitOrAssign)):
            return node.target, node, "many", node.value
        return None
    if isinstance(node, cst.Assign) and len(node.targets) == 1:
        target = node.targets[0].target
        if isinstance(target, cst.Subscript) and isinstance(target.value, cst.Name):
            # `futures[create_task(fetch(u))] = u`: the key is the task.
            key = target.slice[0].slice if len(target.slice) == 1 else None
            if isinstance(key, cst.Index) and isinstance(key.value, cst.Call):
                return target.value, node, "one", key.value
            return target.value, node, "one", node.value
    return None


def _targets(module: cst.Module) -> dict[int, Binding]:
    """id(target Name) -> what the binding assigns, for every binding in a module."""
    table: dict[int, Binding] = {}
    for node in _walk([module], into_scopes=True):
        if isinstance(node, cst.Assign):
            for target in node.targets:
                _record(table, target.target, Binding("value", node.value))
        elif isinstance(node, (cst.AnnAssign, cst.NamedExpr)) and node.value is not None:
            _record(table, node.target, Binding("value", node.value))
        elif isinstance(node, (cst.For, cst.CompFor)) and node.asynchronous is None:
            _record(table, node.target, Binding("for", node.iter))
        elif isinstance(node, cst.WithItem) and node.asname is not None:
            _record(table, node.asname.name, Binding("with", node.item))
        elif isinstance(node, cst.AugAssign) and isinstance(node.target, cst.Name):
            table[id(node.target)] = Binding("augment", node.value)
    return table


def _record(table: dict[int, Binding], target: cst.BaseExpression, binding: Binding) -> None:
    if isinstance(target, cst.Name):
        table[id(target)] = binding
    elif isinstance(target, (cst.Tuple, cst.List)):
        for index, element in enumerate(target.elements):
            inner = element.value
            if binding.kind == "for" and isinstance(inner, cst.Name):
                table[id(inner)] = Binding("for", binding.value, index)
            else:
                _record(table, inner, Binding("other"))
    elif isinstance(target, cst.StarredElement):
        _record(table, target.value, Binding("other"))
