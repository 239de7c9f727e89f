"""MEM403: an allocation whose constant size is at or above the allocation threshold."""

from __future__ import annotations

import ast
import itertools
import math
import operator
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Union

import libcst as cst
from libcst.metadata import CodeRange, PositionProvider

from memlint.diagnostics import Confidence
from memlint.regions import Reach
from memlint.rule import Invalid, Rule, Valid
from memlint.semantic import astindex, bindings, names
from memlint.semantic.constants import ModuleConstantsProvider, Number, fold, magnitude

if TYPE_CHECKING:
    from memlint.settings import Settings

# A list or tuple slot is a pointer.
_SLOT = 8
# Names followed through single local assignments (`n = 10**9; m = 2 * n`).
_DEPTH = 4
_SNIPPET = 48

_Comprehension = Union[cst.ListComp, cst.GeneratorExp]

_BYTE_BUFFERS = frozenset({"builtins.bytearray", "builtins.bytes"})
# Builtins that store every element of an iterable they are handed.
_COLLECTORS = frozenset(
    {"builtins.list", "builtins.tuple", "builtins.set", "builtins.frozenset", "builtins.sorted"}
)
_SETS = frozenset({"builtins.set", "builtins.frozenset"})
_RANGE = frozenset({"builtins.range"})
_MEMORY_ERROR = frozenset({"builtins.MemoryError"})
# What a constant count can look like (`bytes(n)`): not a string, a list, a call...
_NUMBER_SHAPES = (cst.Integer, cst.Name, cst.Attribute, cst.BinaryOperation, cst.UnaryOperation)
# numpy constructors of a given shape, and the position of their `dtype` argument.
_NUMPY_SHAPED = {"numpy.zeros": 1, "numpy.ones": 1, "numpy.empty": 1, "numpy.full": 2}
_NUMPY_ARANGE = frozenset({"numpy.arange"})
_NUMPY_CALLS = frozenset({*_NUMPY_SHAPED, *_NUMPY_ARANGE})
_NUMPY_DTYPE = frozenset({"numpy.dtype"})

# Item sizes of dtypes by name (numpy's type names, its string aliases, and builtins).
_DTYPE_NAMES: Mapping[str, int] = {
    **{f"int{bits}": bits // 8 for bits in (8, 16, 32, 64)},
    **{f"uint{bits}": bits // 8 for bits in (8, 16, 32, 64)},
    **{f"float{bits}": bits // 8 for bits in (16, 32, 64, 128)},
    **{f"complex{bits}": bits // 8 for bits in (64, 128, 256)},
    **dict.fromkeys(("bool", "bool_", "bool8", "byte", "ubyte", "int0"), 1),
    **dict.fromkeys(("short", "ushort", "half"), 2),
    **dict.fromkeys(("intc", "uintc", "single"), 4),
    **dict.fromkeys(("int_", "uint", "long", "ulong", "longlong", "ulonglong"), 8),
    **dict.fromkeys(("intp", "uintp", "double", "float_", "float", "int"), 8),
    **dict.fromkeys(("object", "object_", "datetime64", "timedelta64"), 8),
    "csingle": 8,
    **dict.fromkeys(("complex", "complex_", "cdouble", "cfloat"), 16),
    "longdouble": 16,
    "clongdouble": 32,
}
_BUILTIN_DTYPES: Mapping[str, int] = {
    "builtins.float": 8,
    "builtins.int": 8,
    "builtins.bool": 1,
    "builtins.complex": 16,
    "builtins.object": 8,
}
# One-character type codes (`"f"`, `"<d"`), and kind + size codes (`"f8"`, `"U10"`).
_DTYPE_CODES: Mapping[str, int] = {
    **dict.fromkeys("?bB", 1),
    **dict.fromkeys("hHe", 2),
    **dict.fromkeys("iIf", 4),
    **dict.fromkeys("lLqQdpPFOMm", 8),
    **dict.fromkeys("gD", 16),
    "G": 32,
}
_DTYPE_CODE = re.compile(r"[<>=|]?([?bBhHeiIflLqQdpPFOMmgDG])(?:\[\w+\])?")
_DTYPE_SIZED = re.compile(r"[<>=|]?([biufcSaUVMm])(\d+)(?:\[\w+\])?")
_DTYPE_UNIT = re.compile(r"(datetime64|timedelta64)\[\w+\]")
_UNITS = ("bytes", "KB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB")


@dataclass(frozen=True)
class _Size:
    """An estimated size in bytes; `exact` is False when it is only a lower bound."""

    bytes: float
    exact: bool = True

    def times(self, factor: float, exact: bool = True) -> _Size:
        return _Size(_product(self.bytes, factor), self.exact and exact)


def _float(value: int) -> float:
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def _product(left: float, right: float) -> float:
    # 0 * inf is nan; an empty sequence repeated any number of times is empty.
    return 0.0 if left == 0 or right == 0 else left * right


class HugeAllocation(Rule):
    """
    ## What it does
    Flags an allocation whose size is a constant at or above the allocation threshold
    (100 MB by default): a list, tuple, `str` or `bytes` literal repeated by a constant
    count (`[0] * 10**9`, `" " * (200 * MEGA)`: 8 bytes per list slot, 1 to 4 bytes per
    character, 1 per byte), `bytearray(n)` and `bytes(n)`, `list(range(n))` (also
    `tuple`, `sorted`, `set` and `frozenset` of a range, and `list`, `tuple` or `sorted`
    of a generator over constant ranges), a list comprehension over constant `range()`s
    with no filter, and `numpy.zeros`, `ones`, `empty`, `full` and `arange` with a
    constant shape (the item size comes from `dtype`, float64's 8 bytes by default, or
    from `full`'s fill value; an unknown dtype counts as 1 byte).

    Sizes are folded through arithmetic, module constants (`MEGA = 10**6`) and names
    bound once in the same function (`n = 10**9`); sizes too large to compute exactly
    (`10**100`) are estimated. Names are resolved, so `import numpy as np` is recognised;
    numpy need not be installed. The estimate counts the container only: `list(range(n))`
    is at least 8 bytes per element, more once its ints are counted.

    Not flagged: sizes below the threshold, sizes that do not fold (`[0] * n` with `n` a
    parameter), `range(10**9)` alone and generator expressions (lazy: nothing is
    allocated), numbers multiplied together (`x * 10**9`), `numpy.zeros_like` (its size
    is its argument's), a comprehension with an `if` filter, set and dict comprehensions
    (they keep distinct keys only, so the count says nothing), and an allocation in the
    body of a `try` that catches `MemoryError` (a deliberate probe).

    ## Why is this bad?
    An allocation of hundreds of megabytes or more at once either fails with
    `MemoryError`, pushes the machine into swap, or gets the process killed by the
    out-of-memory killer, and its size is fixed in the code, so no input can make it
    smaller. It is usually a placeholder that was never scaled down, a test value that
    reached production, or a buffer that should be streamed.

    ## Example
    ```python
    squares = [i * i for i in range(10**9)]
    total = sum(squares)
    ```

    ## Use instead
    ```python
    total = sum(i * i for i in range(10**9))
    ```

    ## Options
    - `allocation-threshold`: the size in bytes at which an allocation is flagged
      (default 100000000, inclusive).

    ## References
    - [Memory management in Python](https://docs.python.org/3/c-api/memory.html)
    - [array](https://docs.python.org/3/library/array.html)
    - [numpy.zeros](https://numpy.org/doc/stable/reference/generated/numpy.zeros.html)
    """

    code = "MEM403"
    name = "huge-allocation"
    summary = "An allocation whose constant size is at or above the allocation threshold"
    # The size is folded from constants, not guessed: the allocation is certain.
    confidence = Confidence.HIGH
    options = ("allocation_threshold",)
    # No word covers `[0] * N` or `" " * N`: the builtins it calls, `numpy` (its calls are
    # resolved through an import that names it), or a `*` next to the end or start of a
    # sequence literal (through line continuations and comments).
    trigger_pattern = (
        r"\b(?:bytearray|bytes|range|numpy)\b"
        r"|[\])'\"](?:\s|\\|#[^\n]*\n)*\*(?!\*)"
        r"|(?<!\*)\*(?:\s|\\|#[^\n]*\n)*(?:[rRbBuU]{0,2}['\"]|[\[(])"
    )
    trigger_literals = ("bytearray", "bytes", "range", "numpy", "*")
    METADATA_DEPENDENCIES = (
        PositionProvider,
        ModuleConstantsProvider,
        *names.PROVIDERS,
        *bindings.PROVIDERS,
    )

    cases = (
        # Below the threshold (inclusive at 100_000_000 bytes).
        Valid(
            """
            import numpy as np
            grid = np.zeros((1000, 1000))
            buf = bytearray(99_999_999)
            line = "-" * 80
            """
        ),
        # Sizes that do not fold: the caller decides.
        Valid(
            """
            def make(n, width):
                return [0] * n, bytearray(n), " " * width, list(range(n))
            """
        ),
        # Lazy: a range or a generator allocates nothing.
        Valid(
            """
            total = sum(range(10**9))
            squares = (i * i for i in range(10**9))
            for i in range(10**10):
                pass
            """
        ),
        # Numbers multiplied, not a sequence repeated.
        Valid(
            """
            GIGA = 10**9
            def scale(x):
                return x * 10**9, 2.5 * GIGA, (1, 2)[0] * GIGA
            """
        ),
        # A filtered comprehension, `zeros_like`, and a user's own `zeros`.
        Valid(
            """
            import numpy as np
            def zeros(shape):
                return shape
            evens = [i for i in range(10**9) if i % 1000 == 0]
            copy = np.zeros_like(evens)
            fake = zeros((10**6, 10**6))
            """
        ),
        # A deliberate probe: the code expects the allocation to fail.
        Valid(
            """
            def supports_huge_buffers():
                try:
                    probe = bytearray(2**40)
                except (MemoryError, OverflowError):
                    return False
                del probe
                return True
            """
        ),
        # Distinct keys only: a set or dict comprehension's size is not its count; a float
        # count is a TypeError.
        Valid(
            """
            residues = {i % 7 for i in range(10**9)}
            buckets = {i % 10: i for i in range(10**9)}
            digits = set(str(i)[-1] for i in range(10**9))
            broken = [0] * 1e9
            """
        ),
        Invalid(
            """
            counts = [0] * (10**9)
            """,
            line=1,
            column=10,
        ),
        Invalid(
            """
            buf = bytearray(100_000_000)
            """,
            column=7,
        ),
        # Module constants, a repeated string literal.
        Invalid(
            """
            MEGA = 10**6
            def banner():
                return " " * (200 * MEGA)
            """,
            line=3,
            column=12,
        ),
        # numpy through an alias, a dtype from a string, a local constant.
        Invalid(
            """
            import numpy as np
            def setup():
                n = 20_000
                return np.empty((n, n), dtype="f4")
            """,
            line=4,
        ),
        Invalid(
            """
            ids = [i for i in range(10**9)]
            """,
        ),
        Invalid(
            """
            table = list(range(2 * 10**8))
            """,
        ),
        # Too large to fold exactly, still huge.
        Invalid(
            """
            from numpy import zeros
            universe = zeros(10**100, dtype=bool)
            """,
            line=2,
        ),
        # A lower threshold.
        Invalid(
            """
            header = b"\\x00" * 4096
            """,
            settings={"allocation_threshold": 1000},
        ),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        # Inner repetitions of a chain already measured as a whole (`[0] * 1000 * 1000`).
        self._chained: set[int] = set()
        # For each `try` being visited, the range of its body when a handler catches
        # `MemoryError` (an allocation there is a deliberate probe), else None.
        self._tries: list[CodeRange | None] = []

    # -- visitors ----------------------------------------------------------------------------

    reach = Reach.FUNCTION

    @classmethod
    def ast_places(cls, tree: ast.Module, settings: Settings) -> list[ast.AST]:
        """The allocations the rule sizes whose size may reach the threshold: every shape
        the rule measures, with a count that may fold to a size that large (`_MayAllocate`).
        """
        return _MayAllocate(tree, settings.allocation_threshold).places()

    def visit_BinaryOperation(self, node: cst.BinaryOperation) -> None:
        if id(node) in self._chained or not isinstance(node.operator, cst.Multiply):
            return
        size = self._repetition(node)
        if size is not None:
            self._check(node, size)

    def visit_Call(self, node: cst.Call) -> None:
        # Shape first: a plain callee and plain arguments.
        if not node.args or any(arg.star for arg in node.args):
            return
        if not isinstance(node.func, (cst.Name, cst.Attribute)):
            return
        size = self._call_size(node)
        if size is not None:
            self._check(node, size)

    def visit_Try(self, node: cst.Try) -> None:
        self._enter_try(node)

    def leave_Try(self, original_node: cst.Try) -> None:
        self._tries.pop()

    def visit_TryStar(self, node: cst.TryStar) -> None:
        self._enter_try(node)

    def leave_TryStar(self, original_node: cst.TryStar) -> None:
        self._tries.pop()

    def visit_ListComp(self, node: cst.ListComp) -> None:
        # Set and dict comprehensions keep distinct keys only: their size is not the count.
        elements = self._comprehension_length(node)
        if elements is not None:
            self._check(node, _Size(_SLOT * elements, exact=False))

    def _enter_try(self, node: cst.Try | cst.TryStar) -> None:
        guards = any(self._catches_memory_error(handler.type) for handler in node.handlers)
        self._tries.append(self.get_metadata(PositionProvider, node.body) if guards else None)

    def _catches_memory_error(self, caught: cst.BaseExpression | None) -> bool:
        if isinstance(caught, cst.Tuple):
            return any(self._catches_memory_error(element.value) for element in caught.elements)
        return caught is not None and names.resolves_to(self, caught, _MEMORY_ERROR) is not None

    def _probed(self, node: cst.CSTNode) -> bool:
        """Whether `node` sits in the body of a `try` that catches `MemoryError`."""
        where = self.get_metadata(PositionProvider, node).start
        start = (where.line, where.column)
        return any(
            body is not None
            and (body.start.line, body.start.column) <= start <= (body.end.line, body.end.column)
            for body in self._tries
        )

    # -- sizes -------------------------------------------------------------------------------

    def _repetition(self, node: cst.BinaryOperation) -> _Size | None:
        """`seq * n` or `n * seq` with `seq` a literal (or itself a repetition)."""
        for sequence, count in ((node.left, node.right), (node.right, node.left)):
            unit = self._sequence(sequence)
            if unit is None:
                continue
            times = self._count(count)
            if times is None:
                return None
            if isinstance(sequence, cst.BinaryOperation):
                self._chained.add(id(sequence))
            return unit.times(times)
        return None

    def _sequence(self, node: cst.BaseExpression) -> _Size | None:
        if isinstance(node, (cst.List, cst.Tuple)):
            if any(isinstance(element, cst.StarredElement) for element in node.elements):
                return None
            return _Size(float(_SLOT * len(node.elements)))
        if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
            return _string_size(node)
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Multiply):
            return self._repetition(node)
        return None

    def _call_size(self, node: cst.Call) -> _Size | None:
        positional = [arg.value for arg in node.args if arg.keyword is None]
        # Shapes before names (resolving a name can cost a scope analysis): a collector
        # sizes a range or a generator only, a byte buffer a number.
        only = positional[0] if len(node.args) == 1 and positional else None
        candidates: set[str] = {*_NUMPY_SHAPED, *_NUMPY_ARANGE}
        if isinstance(only, (cst.Call, cst.GeneratorExp)):
            candidates |= _COLLECTORS
        if isinstance(only, _NUMBER_SHAPES):
            candidates |= _BYTE_BUFFERS
        qualified = names.resolves_to(self, node, candidates)
        if qualified is None:
            return None
        if qualified in _BYTE_BUFFERS:
            # `bytes(n)` is n zero bytes; `bytes(x)` of anything else is not a constant size.
            if len(node.args) != 1 or positional == []:
                return None
            count = self._count(positional[0])
            return None if count is None else _Size(count)
        if qualified in _COLLECTORS:
            if len(node.args) != 1 or positional == []:
                return None
            # A set keeps distinct elements only: a range's are, a generator's may not be.
            unique = qualified not in _SETS or isinstance(positional[0], cst.Call)
            elements = self._elements(positional[0]) if unique else None
            return None if elements is None else _Size(_SLOT * elements, exact=False)
        if qualified in _NUMPY_ARANGE:
            return self._arange(node, positional)
        return self._numpy_shaped(node, qualified, positional)

    def _elements(self, iterable: cst.BaseExpression) -> float | None:
        """How many elements iterating `iterable` yields: a constant range, or a generator
        over constant ranges."""
        if isinstance(iterable, cst.Call):
            if names.resolves_to(self, iterable, _RANGE) is None:
                return None
            return self._range_length(list(iterable.args))
        if isinstance(iterable, cst.GeneratorExp):
            return self._comprehension_length(iterable)
        return None

    def _comprehension_length(self, node: _Comprehension) -> float | None:
        """The product of the lengths of the `for` clauses, each over a constant range."""
        total = 1.0
        clause: cst.CompFor | None = node.for_in
        while clause is not None:
            if clause.ifs or clause.asynchronous is not None:
                return None
            iterable = clause.iter
            if not isinstance(iterable, cst.Call) or not names.resolves_to(self, iterable, _RANGE):
                return None
            length = self._range_length(list(iterable.args))
            if length is None:
                return None
            total = _product(total, length)
            clause = clause.inner_for_in
        return total

    def _range_length(self, args: list[cst.Arg]) -> float | None:
        """How many integers `range(*args)` yields, when it folds."""
        if not 1 <= len(args) <= 3 or any(arg.keyword is not None or arg.star for arg in args):
            return None
        exact = [self._number(arg.value) for arg in args]
        if all(isinstance(value, int) for value in exact):
            ints = [int(value) for value in exact if value is not None]
            start, stop, step = (0, ints[0], 1) if len(ints) == 1 else (ints[0], ints[1], 1)
            step = ints[2] if len(ints) == 3 else step
            if step == 0:
                return None
            return _float(max(0, -((start - stop) // step)))
        # A huge stop that does not fold: its size, less a constant start, over a positive
        # constant step.
        stop_at = 0 if len(args) == 1 else 1
        first = exact[0] if len(args) > 1 else 0
        every = exact[2] if len(args) == 3 else 1
        if exact[stop_at] is not None or not isinstance(first, int):
            return None  # a float, or a start that does not fold
        if not isinstance(every, int) or every <= 0:
            return None
        huge = self._magnitude(args[stop_at].value)
        return None if huge is None else max(0.0, (huge - first) / every)

    def _arange(self, node: cst.Call, positional: list[cst.BaseExpression]) -> _Size | None:
        """`numpy.arange([start,] stop[, step])`: ints or floats, 8 bytes each by default."""
        if any(arg.keyword is not None and arg.keyword.value != "dtype" for arg in node.args):
            return None
        if not 1 <= len(positional) <= 3:
            return None
        values = [self._number(value) for value in positional]
        if any(value is None for value in values):
            return None
        numbers = [value for value in values if value is not None]
        start, stop, step = (0, numbers[0], 1) if len(numbers) == 1 else (*numbers[:2], 1)
        step = numbers[2] if len(numbers) == 3 else step
        if step == 0:
            return None
        try:
            count = max(0.0, math.ceil((stop - start) / step))
        except OverflowError:  # beyond float's range
            count = math.inf if (stop > start) == (step > 0) else 0.0
        except ValueError:  # NaN
            return None
        itemsize = self._dtype_size(_keyword(node, "dtype"))
        return _Size(count).times(itemsize.bytes, itemsize.exact)

    def _numpy_shaped(
        self, node: cst.Call, qualified: str, positional: list[cst.BaseExpression]
    ) -> _Size | None:
        shape = _keyword(node, "shape") or (positional[0] if positional else None)
        if shape is None:
            return None
        elements = self._shape(shape)
        if elements is None:
            return None
        dtype_at = _NUMPY_SHAPED[qualified]
        dtype = _keyword(node, "dtype")
        if dtype is None and len(positional) > dtype_at:
            dtype = positional[dtype_at]
        if dtype is None and qualified == "numpy.full":
            fill = _keyword(node, "fill_value") or (positional[1] if len(positional) > 1 else None)
            itemsize = _fill_size(fill)
        else:
            itemsize = self._dtype_size(dtype)
        return _Size(elements).times(itemsize.bytes, itemsize.exact)

    def _shape(self, shape: cst.BaseExpression) -> float | None:
        if not isinstance(shape, (cst.Tuple, cst.List)):
            return self._count(shape)
        total = 1.0
        for element in shape.elements:
            if isinstance(element, cst.StarredElement):
                return None
            dimension = self._count(element.value)
            if dimension is None:
                return None
            total = _product(total, dimension)
        return total

    def _dtype_size(self, dtype: cst.BaseExpression | None) -> _Size:
        """The item size of a numpy dtype: float64 when absent, 1 byte (a lower bound) when
        unknown."""
        if dtype is None or (isinstance(dtype, cst.Name) and dtype.value == "None"):
            return _Size(8)
        if (
            isinstance(dtype, cst.Call)
            and dtype.args
            and names.resolves_to(self, dtype, _NUMPY_DTYPE)
        ):
            return self._dtype_size(dtype.args[0].value)
        if isinstance(dtype, cst.SimpleString):
            size = _dtype_string_size(dtype)
            return _Size(size) if size is not None else _Size(1, exact=False)
        for qualified in names.resolved(self, dtype):
            if qualified in _BUILTIN_DTYPES:
                return _Size(_BUILTIN_DTYPES[qualified])
            module, _, attr = qualified.rpartition(".")
            if module == "numpy" and attr in _DTYPE_NAMES:
                return _Size(_DTYPE_NAMES[attr])
        return _Size(1, exact=False)

    # -- numbers -----------------------------------------------------------------------------

    def _count(self, node: cst.BaseExpression) -> float | None:
        """A non-negative integer count `node` folds to (estimated when huge)."""
        exact = self._number(node)
        if exact is not None:
            # A float count (`[0] * 1e9`) is a TypeError, not an allocation.
            return _float(exact) if isinstance(exact, int) and exact >= 0 else None
        return self._magnitude(node)

    def _number(self, node: cst.BaseExpression) -> Number | None:
        return fold(node, self._lookup_for(node, _DEPTH))

    def _magnitude(self, node: cst.BaseExpression) -> float | None:
        return magnitude(node, self._lookup_for(node, _DEPTH))

    def _lookup_for(self, node: cst.BaseExpression, depth: int) -> Callable[[str], Number | None]:
        """Values for the names `fold` would look up in `node`: module constants, and names
        bound once, to a constant, in the scope they are read in."""
        table: dict[str, Number] = {}
        for name in _arithmetic_names(node):
            value = self._name_value(name, depth)
            if value is not None:
                table[name.value] = value
        return table.get

    def _name_value(self, name: cst.Name, depth: int) -> Number | None:
        found = bindings.name_bindings(self, name)
        if found is None:
            # Bound in another scope: a module constant, if it is one.
            constants = self.get_metadata(ModuleConstantsProvider, self.context.module, {})
            return constants.get(name.value)
        if depth <= 0 or len(found.bindings) != 1:
            return None
        binding = found.bindings[0]
        if binding.kind not in ("assign", "annassign") or binding.value is None:
            return None
        return fold(binding.value, self._lookup_for(binding.value, depth - 1))

    # -- reporting ---------------------------------------------------------------------------

    def _check(self, node: cst.CSTNode, size: _Size) -> None:
        if size.bytes < self.settings.allocation_threshold or self._probed(node):
            return
        self.report(
            node,
            f"`{self._snippet(node)}` allocates {_human(size)} at once",
            suggestion="Use a generator, `array`/`numpy` with a smaller dtype, or process in "
            "chunks",
        )

    def _snippet(self, node: cst.CSTNode) -> str:
        code = self.context.module.code_for_node(node)
        text = " ".join(code.split())
        if "#" not in code and len(text) <= _SNIPPET:
            return text
        if isinstance(node, cst.Call):
            return f"{names.dotted(node.func) or '...'}(...)"
        if isinstance(node, cst.BinaryOperation):
            return f"{self._short(node.left)} * {self._short(node.right)}"
        if isinstance(node, cst.ListComp):
            return f"[... for ... in {self._short(node.for_in.iter)}]"
        return "..."

    def _short(self, node: cst.CSTNode) -> str:
        code = self.context.module.code_for_node(node)
        text = " ".join(code.split())
        return text if "#" not in code and len(text) <= _SNIPPET // 2 else "..."


# -- the pre-filter on CPython's tree ------------------------------------------------------------


def _arithmetic(node: ast.expr) -> set[str] | None:
    """The names in `node` when it has a shape `fold` or `magnitude` may turn into a number
    (numbers, names, unary and binary arithmetic), else None."""
    found: set[str] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, ast.Name):
            found.add(current.id)
        elif isinstance(current, ast.Constant):
            # `True` is a name to libcst, and no number to `fold`.
            if isinstance(current.value, bool) or not isinstance(current.value, (int, float)):
                return None
        elif isinstance(current, ast.UnaryOp) and not isinstance(current.op, ast.Not):
            stack.append(current.operand)
        elif isinstance(current, ast.BinOp) and not isinstance(current.op, ast.MatMult):
            stack += [current.left, current.right]
        else:
            return None
    return found


class _MayAllocate:
    """The rule's shapes on CPython's tree (a literal repeated, a byte buffer, a collector of
    a range or generator, a list comprehension over ranges, a numpy constructor), each with
    an upper bound of the size the rule may estimate for it: 0 when it cannot fold,
    infinite when unknown. Names are not resolved: a name may take any value that some
    `name = <arithmetic>` in the module gives it (the rule's values are among those)."""

    def __init__(self, tree: ast.Module, threshold: float = 1) -> None:
        self.tree = tree
        self.threshold = threshold
        self._imports: names.Imports | None = None
        self._foldable: frozenset[str] | None = None
        self._known: dict[str, frozenset[float]] | None = None

    def places(self) -> list[ast.AST]:
        tree = self.tree
        large = self.threshold
        return [
            *(
                op
                for op in astindex.nodes(tree, ast.BinOp)
                if isinstance(op.op, ast.Mult) and self._repetition(op) >= large
            ),
            *(call for call in astindex.nodes(tree, ast.Call) if self._call(call) >= large),
            *(
                comp
                for comp in astindex.nodes(tree, ast.ListComp)
                if _product(_SLOT, self._ranges(comp)) >= large
            ),
        ]

    def _repetition(self, node: ast.BinOp) -> float:
        return max(
            _product(self._sequence(sequence), self._count(count))
            for sequence, count in ((node.left, node.right), (node.right, node.left))
        )

    def _sequence(self, node: ast.expr) -> float:
        """The bytes of one copy of a literal, or of a repetition of one (`_sequence`)."""
        if isinstance(node, (ast.List, ast.Tuple)):
            if any(isinstance(e, ast.Starred) for e in node.elts):
                return 0.0
            return float(_SLOT * len(node.elts))
        if isinstance(node, ast.Constant) and isinstance(node.value, bytes):
            return float(len(node.value))
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            widest = max((ord(ch) for ch in node.value), default=0)
            return float(len(node.value) * (1 if widest < 0x100 else 2 if widest < 0x10000 else 4))
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
            return self._repetition(node)
        return 0.0

    def _call(self, node: ast.Call) -> float:
        # `visit_Call`'s shape: a plain callee and plain arguments.
        if not node.args and not node.keywords:
            return 0.0
        if any(isinstance(arg, ast.Starred) for arg in node.args):
            return 0.0
        if any(keyword.arg is None for keyword in node.keywords):
            return 0.0
        if not isinstance(node.func, (ast.Name, ast.Attribute)):
            return 0.0
        if self._numpy(node):
            return math.inf  # item sizes from dtypes are not worked out here
        # A byte buffer or a collector takes exactly one positional argument.
        if len(node.args) != 1 or node.keywords:
            return 0.0
        only = node.args[0]
        if isinstance(only, ast.Call):
            elements = self._range(only)
            return _product(_SLOT, elements) if self._refers(node.func, _COLLECTORS) else 0.0
        if isinstance(only, ast.GeneratorExp):
            # A set keeps distinct elements only: a generator's may not be.
            elements = self._ranges(only)
            if not self._refers(node.func, _COLLECTORS - _SETS):
                return 0.0
            return _product(_SLOT, elements)
        return self._count(only) if self._refers(node.func, _BYTE_BUFFERS) else 0.0

    def _numpy(self, node: ast.Call) -> bool:
        keywords = {keyword.arg: keyword.value for keyword in node.keywords}
        if (
            set(keywords) <= {"dtype"}
            and 1 <= len(node.args) <= 3
            and all(self._may_fold(arg) for arg in node.args)
            and self._refers(node.func, _NUMPY_ARANGE)
        ):
            return True
        shape = keywords.get("shape") or (node.args[0] if node.args else None)
        if shape is None:
            return False
        if isinstance(shape, (ast.Tuple, ast.List)):
            dimensions = shape.elts
            if any(isinstance(dimension, ast.Starred) for dimension in dimensions):
                return False
        else:
            dimensions = [shape]
        return all(self._may_fold(d) for d in dimensions) and self._refers(
            node.func, _NUMPY_SHAPED.keys()
        )

    def _ranges(self, node: ast.ListComp | ast.GeneratorExp) -> float:
        """How many elements at most: every `for` clause over a range that may fold, and no
        filter (0 otherwise)."""
        total = 1.0
        for clause in node.generators:
            if clause.ifs or clause.is_async or not isinstance(clause.iter, ast.Call):
                return 0.0
            total = _product(total, self._range(clause.iter))
        return total

    def _range(self, node: ast.Call) -> float:
        """How many integers `range(...)` yields at most (0: not a range that may fold)."""
        if not 1 <= len(node.args) <= 3 or node.keywords:
            return 0.0
        if not self._refers(node.func, _RANGE):
            return 0.0
        bounds = [self._count(arg) for arg in node.args]
        if any(bound == 0 and not _zero(arg) for bound, arg in zip(bounds, node.args)):
            return 0.0  # an argument that does not fold
        # No more than |stop| + |start| integers, whatever the step.
        return bounds[0] if len(bounds) == 1 else bounds[0] + bounds[1]

    def _refers(self, func: ast.expr, candidates: Collection[str]) -> bool:
        if self._imports is None:
            self._imports = names.Imports.of(self.tree)
        return self._imports.may_refer(func, candidates)

    def _count(self, node: ast.expr) -> float:
        """The largest magnitude `node` may fold to (0 when it cannot fold, infinite when
        it is too large to work out or has too many possible values)."""
        used = _arithmetic(node)
        if used is None or not used <= self._foldable_names():
            return 0.0
        known = self._known_values()
        choices = [sorted(known.get(name, ())) for name in sorted(used)]
        if any(not values for values in choices) or math.prod(map(len, choices)) > _CHOICES:
            return math.inf
        largest = 0.0
        for values in itertools.product(*choices):
            found = _evaluate(node, dict(zip(sorted(used), values)))
            if found is None:
                continue
            largest = max(largest, abs(found))
        return largest

    def _may_fold(self, node: ast.expr) -> bool:
        used = _arithmetic(node)
        return used is not None and (not used or used <= self._foldable_names())

    def _foldable_names(self) -> frozenset[str]:
        """Names some `name = value` binds to arithmetic of numbers and such names: a
        superset of the module constants and the local names the rule folds."""
        if self._foldable is None:
            pending: list[tuple[str, set[str]]] = [
                (name, used) for name, _, used in self._arithmetic_bindings()
            ]
            found: set[str] = set()
            while True:
                ready = {name for name, used in pending if used <= found}
                if not ready:
                    break
                found |= ready
                pending = [(name, used) for name, used in pending if name not in found]
            self._foldable = frozenset(found)
        return self._foldable

    def _arithmetic_bindings(self) -> list[tuple[str, ast.expr, set[str]]]:
        """Each `name = value` (or `name: T = value`) with `value` of an arithmetic shape."""
        found: list[tuple[str, ast.expr, set[str]]] = []
        bound: list[ast.Assign | ast.AnnAssign] = [
            *astindex.nodes(self.tree, ast.Assign),
            *astindex.nodes(self.tree, ast.AnnAssign),
        ]
        for node in bound:
            if node.value is None:
                continue
            used = _arithmetic(node.value)
            if used is None:
                continue
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            found += [(t.id, node.value, used) for t in targets if isinstance(t, ast.Name)]
        return found

    def _known_values(self) -> dict[str, frozenset[float]]:
        """Every value each name may take from the module's arithmetic bindings, worked out
        from numbers and names already known; a name with one that is not stays unknown."""
        if self._known is not None:
            return self._known
        bindings = self._arithmetic_bindings()
        known: dict[str, set[float]] = {}
        blocked: set[str] = set()
        for _ in range(_DEPTH + 1):
            progress = False
            for name, value, used in bindings:
                if name in blocked or not used <= known.keys() - blocked:
                    continue
                choices = [sorted(known[other]) for other in sorted(used)]
                if math.prod(map(len, choices)) > _CHOICES:
                    blocked.add(name)
                    continue
                for values in itertools.product(*choices):
                    found = _evaluate(value, dict(zip(sorted(used), values)))
                    if found is None:
                        blocked.add(name)  # too large to work out: unknown
                        break
                    if found not in known.setdefault(name, set()):
                        known[name].add(found)
                        progress = True
                if len(known.get(name, ())) > _CHOICES:
                    blocked.add(name)
            if not progress:
                break
        # A name with a binding not worked out (a cycle, a name never known) is unknown.
        every = {name for name, _, _ in bindings}
        settled = {
            name
            for name in every - blocked
            if all(used <= known.keys() for other, _, used in bindings if other == name)
        }
        self._known = {name: frozenset(known[name]) for name in settled if name in known}
        return self._known


# How many combinations of values the pre-filter works out before it gives up (unknown).
_CHOICES = 64
# The largest power the pre-filter works out (the rule folds bigger ones too: huge anyway).
_LARGEST_EXPONENT = 4096


def _zero(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value == 0


def _evaluate(node: ast.expr, values: Mapping[str, float]) -> float | None:
    """The number an arithmetic expression of numbers and known names gives, as a float
    (infinite when too large); None when it raises or is not a number."""
    try:
        result = _exact(node, values)
    except (ArithmeticError, TypeError, ValueError):
        return None
    except _TooLarge:
        return math.inf
    if isinstance(result, complex):
        return abs(result)
    return _float(result) if isinstance(result, int) else float(result)


class _TooLarge(Exception):
    """A power or shift too large to work out."""


def _exact(node: ast.expr, values: Mapping[str, float]) -> Number | complex:
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise TypeError("not a number")
        return node.value
    if isinstance(node, ast.Name):
        value = values[node.id]
        return int(value) if value.is_integer() and abs(value) < 2**53 else value
    if isinstance(node, ast.UnaryOp):
        operand = _exact(node.operand, values)
        if isinstance(node.op, ast.USub):
            return -operand
        if isinstance(node.op, ast.UAdd):
            return +operand
        if isinstance(node.op, ast.Invert) and isinstance(operand, int):
            return ~operand
        raise TypeError("not arithmetic")
    if not isinstance(node, ast.BinOp):
        raise TypeError("not arithmetic")
    left, right = _exact(node.left, values), _exact(node.right, values)
    large = isinstance(right, (int, float)) and abs(right) > _LARGEST_EXPONENT
    if large and isinstance(node.op, (ast.Pow, ast.LShift)):
        raise _TooLarge
    operation = _OPERATIONS.get(type(node.op))
    if operation is None:
        raise TypeError("not arithmetic")
    result: Number | complex = operation(left, right)
    return result


_OPERATIONS: Mapping[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
    ast.LShift: operator.lshift,
    ast.RShift: operator.rshift,
    ast.BitOr: operator.or_,
    ast.BitXor: operator.xor,
    ast.BitAnd: operator.and_,
}


# -- helpers -----------------------------------------------------------------------------------


def _arithmetic_names(node: cst.BaseExpression) -> list[cst.Name]:
    """The names `fold` looks up in `node`: those reached through arithmetic only."""
    found: list[cst.Name] = []
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.Name):
            found.append(current)
        elif isinstance(current, cst.BinaryOperation):
            stack += [current.left, current.right]
        elif isinstance(current, cst.UnaryOperation):
            stack.append(current.expression)
    return found


def _keyword(call: cst.Call, name: str) -> cst.BaseExpression | None:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == name:
            return arg.value
    return None


def _string_size(node: cst.SimpleString | cst.ConcatenatedString) -> _Size | None:
    """Bytes of one copy of a str or bytes literal (1, 2 or 4 per character for str)."""
    try:
        # None for a concatenation with an f-string part: its length is unknown.
        value = node.evaluated_value
    except (SyntaxError, ValueError, UnicodeDecodeError):
        return None
    if value is None:
        return None
    if isinstance(value, bytes):
        return _Size(float(len(value)))
    widest = max((ord(ch) for ch in value), default=0)
    width = 1 if widest < 0x100 else 2 if widest < 0x10000 else 4
    return _Size(float(len(value) * width))


def _dtype_string_size(node: cst.SimpleString) -> int | None:
    try:
        text = node.evaluated_value
    except (SyntaxError, ValueError, UnicodeDecodeError):
        return None
    if not isinstance(text, str):
        return None
    if text in _DTYPE_NAMES:
        return _DTYPE_NAMES[text]
    if _DTYPE_UNIT.fullmatch(text):
        return 8
    match = _DTYPE_CODE.fullmatch(text)
    if match:
        return _DTYPE_CODES[match[1]]
    match = _DTYPE_SIZED.fullmatch(text)
    if match:
        kind, size = match[1], int(match[2])
        return 4 * size if kind == "U" else size
    return None


def _fill_size(fill: cst.BaseExpression | None) -> _Size:
    """`numpy.full`'s item size from its fill value when no dtype is given."""
    if isinstance(fill, (cst.Integer, cst.Float)):
        return _Size(8)
    if isinstance(fill, cst.Imaginary):
        return _Size(16)
    if isinstance(fill, cst.Name) and fill.value in ("True", "False"):
        return _Size(1)
    if isinstance(fill, cst.UnaryOperation) and isinstance(
        fill.expression, (cst.Integer, cst.Float)
    ):
        return _Size(8)
    return _Size(1, exact=False)


def _human(size: _Size) -> str:
    """`about 8.0 GB`, `at least 1.2 TB`, decimal units."""
    qualifier = "about" if size.exact else "at least"
    amount = size.bytes
    if amount == math.inf:
        return "more than 1e308 bytes"
    if amount < 1000:
        return f"{qualifier} {amount:.0f} bytes"
    for unit in _UNITS[1:]:
        amount /= 1000
        if amount < 1000:
            return f"{qualifier} {amount:.1f} {unit}"
    return f"{qualifier} {size.bytes:.1e} bytes"
