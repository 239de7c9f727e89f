"""The ast pre-filters of MEM401, MEM403 and MEM404: true wherever the rule can fire."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path
from typing import Any

import pytest

from memlint import engine
from memlint.rule import Invalid, Rule
from memlint.rules.mem401_string_doubling import StringDoubling
from memlint.rules.mem403_huge_allocation import HugeAllocation
from memlint.rules.mem404_materialized_comprehension import MaterializedComprehension
from memlint.semantic import names
from tests.helpers import settings_for

ROOT = Path(__file__).resolve().parent.parent
RULES = (StringDoubling, HugeAllocation, MaterializedComprehension)


def _candidate(rule: type[Rule], code: str, **options: Any) -> bool:
    tree = ast.parse(textwrap.dedent(code))
    return bool(engine.ast_candidate_rules(tree, [rule], settings_for((rule.code,), **options)))


def _flagged(rule: type[Rule], code: str, **options: Any) -> bool:
    """Whether the rule reports on `code` with the pre-filter off."""
    result = engine.lint_source(
        textwrap.dedent(code), "snippet.py", settings_for((rule.code,), **options), prefilter=False
    )
    return any(d.code == rule.code for d in result.diagnostics)


def _passes_text(rule: type[Rule], code: str) -> bool:
    return bool(engine.candidate_rules(textwrap.dedent(code), [rule]))


@pytest.mark.parametrize(
    ("rule", "case"),
    [
        pytest.param(rule, case, id=f"{rule.code}-case-{index}")
        for rule in RULES
        for index, case in enumerate(rule.cases)
        if isinstance(case, Invalid)
    ],
)
def test_every_invalid_case_is_a_candidate(rule: type[Rule], case: Invalid) -> None:
    assert rule.has_ast_filter()
    assert _candidate(rule, case.code, **case.settings)


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.code)
def test_the_fixture_is_a_candidate(rule: type[Rule]) -> None:
    assert _candidate(rule, (ROOT / "fixtures" / "rules" / f"{rule.code}.py").read_text())


# -- MEM403 ------------------------------------------------------------------------------------

# Each holds the rule's text trigger and is not a candidate.
MEM403_PLAIN = [
    pytest.param(
        """
        def buffer(size):
            return bytearray(size), bytes(size), [0] * size, "-" * size
        """,
        id="sizes-from-parameters",
    ),
    pytest.param(
        """
        def rule(title, parts):
            width = len(title)
            return "=" * width + "".join(parts) * 2
        """,
        id="counts-that-are-calls",
    ),
    pytest.param(
        """
        total = sum(range(10**9))
        for i in range(10**10):
            pass
        squares = (i * i for i in range(10**9))
        """,
        id="lazy-ranges",
    ),
    pytest.param(
        """
        evens = [i for i in range(10**9) if i % 2]
        residues = {i % 7 for i in range(10**9)}
        digits = set(str(i) for i in range(10**9))
        rows = [[0] * cols for _ in range(nrows)]
        """,
        id="filtered-set-and-unfolded-comprehensions",
    ),
    pytest.param(
        """
        GIGA = 10**9
        scaled = x * 10**9 + 2.5 * GIGA + (1, 2)[0] * GIGA
        spread = [*head] * GIGA
        text = f"{x}" * GIGA
        empty = [] * GIGA + "" * GIGA + () * GIGA
        """,
        id="numbers-starred-fstrings-and-empty-literals",
    ),
    pytest.param(
        """
        import numpy as np
        def grid(shape, like):
            return np.zeros(shape), np.zeros_like(like), np.ones((len(like), 3))
        """,
        id="numpy-shapes-that-do-not-fold",
    ),
    pytest.param(
        """
        data = bytes(payload)
        view = bytearray(b"abc")
        buf = bytes(10**9, "ascii")
        """,
        id="byte-buffers-of-non-counts",
    ),
]


@pytest.mark.parametrize("code", MEM403_PLAIN)
def test_mem403_plain_code_is_not_a_candidate(code: str) -> None:
    assert _passes_text(HugeAllocation, code)
    assert not _candidate(HugeAllocation, code)


def test_mem403_a_star_import_brings_no_qualified_name() -> None:
    # libcst binds nothing through `import *`, so `zeros` is no numpy name to the rule.
    code = """
        from numpy import *
        grid = zeros(10**9)
        """
    assert not _flagged(HugeAllocation, code)
    assert not _candidate(HugeAllocation, code)


# Shapes the rule flags (checked here with the pre-filter off): candidates all.
MEM403_FLAGGED: list[Any] = [
    pytest.param(
        """
        header = "-" * 80
        """,
        {"allocation_threshold": 1},
        id="any-threshold-counts",
    ),
    pytest.param(
        """
        def table():
            n = 10**5
            m = n * n
            return bytearray(m)
        """,
        {},
        id="local-names-fold-through-each-other",
    ),
    pytest.param(
        """
        MEGA: int = 10**6
        WIDTH = 200 * MEGA
        def banner():
            height = width = WIDTH
            return b" " * height
        """,
        {},
        id="annotated-and-chained-module-constants",
    ),
    pytest.param(
        """
        block = 1000 * ("ab" "cd" * 1000 * 1000)
        """,
        {},
        id="count-first-nested-repetition",
    ),
    pytest.param(
        """
        from builtins import bytearray as buffer
        data = buffer(10**9)
        """,
        {},
        id="aliased-builtin",
    ),
    pytest.param(
        """
        pairs = sorted(i for i in range(10**5) for j in range(10**5))
        everything = frozenset(range(10**9))
        """,
        {},
        id="collectors-of-ranges-and-generators",
    ),
    pytest.param(
        """
        import numpy
        N = 10**5
        grid = numpy.full(shape=(N, N), fill_value=1.5)
        steps = numpy.arange(0, 10**9, dtype="f8")
        """,
        {},
        id="numpy-keywords-and-arange",
    ),
    pytest.param(
        """
        universe = [0] * 10**100
        """,
        {},
        id="too-large-to-fold",
    ),
]


@pytest.mark.parametrize(("code", "options"), MEM403_FLAGGED)
def test_mem403_flagged_shapes_are_candidates(code: str, options: dict[str, Any]) -> None:
    assert _flagged(HugeAllocation, code, **options)
    assert _candidate(HugeAllocation, code, **options)


# Shapes whose size the pre-filter works out below the threshold: the rule does not flag
# them at the default threshold, and neither is a candidate; a lower threshold makes both.
MEM403_SMALL = [
    pytest.param('line = "-" * 80\n', 80, id="repeated-literal"),
    pytest.param("WIDTH = 64\nrow = [None] * WIDTH * 4\n", 8 * 64 * 4, id="module-constant"),
    pytest.param("n = 10\ndef f():\n    return bytearray(n * 2**20)\n", 10 * 2**20, id="names"),
    pytest.param("cells = [0 for i in range(100) for j in range(50)]\n", 8 * 5000, id="comp"),
    pytest.param("steps = list(range(-3, 997))\n", 8 * 1000, id="range-from-negative"),
    pytest.param("mask = b'\\xff' * (1 << 12)\n", 4096, id="shift"),
    pytest.param("wide = '\u20ac' * 1000\n", 2000, id="two-byte-chars"),
]


@pytest.mark.parametrize(("code", "size"), MEM403_SMALL)
def test_mem403_sizes_below_the_threshold_are_not_candidates(code: str, size: int) -> None:
    assert not _flagged(HugeAllocation, code)
    assert not _candidate(HugeAllocation, code)
    assert _flagged(HugeAllocation, code, allocation_threshold=size)
    assert _candidate(HugeAllocation, code, allocation_threshold=size)
    assert not _candidate(HugeAllocation, code, allocation_threshold=size * 4 + 8)


def test_mem403_a_name_with_several_values_may_take_any_of_them() -> None:
    code = """
        def small():
            n = 10
            return [0] * n
        def large():
            n = 10**9
            return [0] * n
        """
    assert _flagged(HugeAllocation, code)
    assert _candidate(HugeAllocation, code)
    tree = ast.parse(textwrap.dedent(code))
    places = HugeAllocation.ast_places(tree, settings_for(("MEM403",)))
    # Names are not resolved: `n` may be 10**9 wherever it is read.
    assert [node.lineno for node in places] == [4, 7]
    tree = ast.parse(textwrap.dedent(code).replace("10**9", "20"))
    assert HugeAllocation.ast_places(tree, settings_for(("MEM403",))) == []


def test_mem403_values_past_what_the_filter_works_out_stay_candidates() -> None:
    # A hundred values for `n` (more than the filter tries): unknown, so a candidate.
    assigns = "".join(f"def f{i}():\n    n = {i}\n    return [0] * n\n" for i in range(100))
    assert _candidate(HugeAllocation, assigns)
    assert _candidate(HugeAllocation, "huge = b'x' * (2 ** 10000)\n")


# -- MEM404 ------------------------------------------------------------------------------------

MEM404_PLAIN = [
    pytest.param(
        """
        line = ", ".join([str(x) for x in row])
        total = sum(sizes)
        """,
        id="join",
    ),
    pytest.param(
        """
        count = len([x for x in xs if x])
        copy = list([x for x in xs])
        return tuple(copy)
        """,
        id="len-and-list",
    ),
    pytest.param("total = sum([1, 2, 3])\nbest = max([a, b])\n", id="list-displays"),
    pytest.param(
        """
        biggest = max([x for x in a], [y for y in b])
        flat = sum(rows, [x for x in header])
        pairs = zip(*[row for row in grid])
        """,
        id="positions-the-consumer-does-not-iterate",
    ),
    pytest.param(
        """
        import itertools
        import numpy as np
        grid = itertools.product([x for x in xs], repeat=2)
        seen = dict.fromkeys([k.lower() for k in keys])
        total = np.sum([x * x for x in xs]) + self.max([x for x in xs])
        first = make().sum([x for x in xs])
        """,
        id="other-callees",
    ),
    pytest.param(
        """
        unique = sorted({x.name for x in users})
        index = dict({k: v for k, v in pairs})
        pairs = zip(names, [1, 2])
        """,
        id="set-and-dict-comprehensions",
    ),
]


@pytest.mark.parametrize("code", MEM404_PLAIN)
def test_mem404_plain_code_is_not_a_candidate(code: str) -> None:
    assert _passes_text(MaterializedComprehension, code)
    assert not _candidate(MaterializedComprehension, code)


def test_mem404_a_star_import_brings_no_qualified_name() -> None:
    code = """
        from itertools import *
        lines = chain([open(p) for p in paths])
        """
    assert not _flagged(MaterializedComprehension, code)
    assert not _candidate(MaterializedComprehension, code)


MEM404_FLAGGED = [
    pytest.param(
        """
        from itertools import chain as concat
        lines = concat([open(p) for p in paths], extra)
        """,
        id="aliased-itertools",
    ),
    pytest.param(
        """
        import builtins
        total = builtins.sum([r.n for r in rows])
        """,
        id="builtins-module",
    ),
    pytest.param(
        """
        total = sum([x.n for x in rows], **options)
        """,
        id="first-before-double-star",
    ),
    pytest.param(
        """
        longest = max([len(x) for x in xs], key=abs)
        """,
        id="only-positional-with-keyword",
    ),
    pytest.param(
        """
        for i, size in enumerate(([f.size for f in files])):
            print(i, size)
        """,
        id="parenthesized",
    ),
]


@pytest.mark.parametrize("code", MEM404_FLAGGED)
def test_mem404_flagged_shapes_are_candidates(code: str) -> None:
    assert _flagged(MaterializedComprehension, code)
    assert _candidate(MaterializedComprehension, code)


# -- MEM401 ------------------------------------------------------------------------------------

MEM401_PLAIN = [
    pytest.param(
        """
        def twice(s: str) -> str:
            s += s
            return s
        """,
        id="outside-a-loop",
    ),
    pytest.param(
        """
        def factorial(n):
            result = 1
            for i in range(2, n + 1):
                result *= i
            return result
        """,
        id="numbers-multiplied",
    ),
    pytest.param(
        """
        def decode(data):
            acc = 0
            for c in data:
                acc = acc * 85 + ord(c)
                size = size * 2
            return acc
        """,
        id="numbers-grown-by-arithmetic",
    ),
    pytest.param(
        """
        def parse(tokens: list[str]) -> int:
            total: int = 0
            while tokens:
                total += total + len(tokens.pop())
            return total
        """,
        id="annotated-number",
    ),
    pytest.param(
        """
        def handlers(names):
            found = []
            for name in names:
                def handler(prefix: str) -> str:
                    prefix += prefix
                    return prefix
                found.append(handler)
            else:
                text = "x"
                text += text
            return found
        """,
        id="nested-def-and-loop-else",
    ),
    pytest.param(
        """
        def pad(s: str, n):
            for _ in range(n):
                s += "-"
                s *= 1
                s = s * 0.5
            return s
        """,
        id="no-doubling",
    ),
]


@pytest.mark.parametrize("code", MEM401_PLAIN)
def test_mem401_plain_code_is_not_a_candidate(code: str) -> None:
    assert _passes_text(StringDoubling, code)
    assert not _candidate(StringDoubling, code)


MEM401_FLAGGED = [
    pytest.param(
        """
        def grow(*parts, rounds):
            for _ in range(rounds):
                parts = parts + parts
            return parts
        """,
        id="star-args-are-a-tuple",
    ),
    pytest.param(
        """
        def grow(n):
            s = "ab"
            while n:
                s = s * True
                n -= 1
            return s
        """,
        id="a-boolean-factor-does-not-fold",
    ),
    pytest.param(
        """
        import typing
        def grow(rows: typing.List[int], n):
            for _ in range(n):
                rows *= 3
            return rows
        """,
        id="typing-annotation",
    ),
    pytest.param(
        """
        def grow(seed, n):
            for _ in range(n):
                if (data := str(seed)):
                    pass
                data = data + data
            return data
        """,
        id="walrus-binding",
    ),
    pytest.param(
        """
        class Doubler:
            async def grow(self, n):
                chunk = b"x" % ()
                async for _ in n:
                    try:
                        chunk += chunk
                    except ValueError:
                        pass
                return chunk
        """,
        id="async-for-and-try",
    ),
]


@pytest.mark.parametrize("code", MEM401_FLAGGED)
def test_mem401_flagged_shapes_are_candidates(code: str) -> None:
    assert _flagged(StringDoubling, code)
    assert _candidate(StringDoubling, code)


# -- Imports.may_refer -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "candidates", "expected"),
    [
        ("sum", {"builtins.sum"}, True),
        ("np.zeros", {"numpy.zeros"}, True),
        ("np.zeros", {"builtins.sum"}, False),
        ("np.zeros(1).tolist", {"numpy.zeros"}, True),  # read through calls, like libcst
        ("str.join", {"builtins.str"}, True),  # named by the builtin
        ("''.join", {"builtins.str"}, False),
        ("(a or b).zeros", {"numpy.zeros"}, True),  # left to libcst
        ("chain", {"itertools.chain"}, False),  # the star import binds nothing
    ],
)
def test_may_refer(code: str, candidates: set[str], expected: bool) -> None:
    tree = ast.parse("import numpy as np\nfrom itertools import *\n")
    imports = names.Imports.of(tree)
    node = ast.parse(code, mode="eval").body
    assert imports.may_refer(node, candidates) is expected
