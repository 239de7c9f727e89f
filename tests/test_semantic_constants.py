"""memlint.semantic.constants: folding constant expressions and module-level constants."""

from __future__ import annotations

import math
import textwrap

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper

from memlint.semantic.constants import (
    MAX_BITS,
    ModuleConstantsProvider,
    fold,
    magnitude,
    module_constants,
)


def _fold(expression: str, **names: float) -> float | None:
    lookup = names.get if names else None
    return fold(cst.parse_expression(expression), lookup)


# -- fold -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("0", 0),
        ("42", 42),
        ("1_000_000", 1_000_000),
        ("0x10", 16),
        ("0o17", 15),
        ("0b101", 5),
        ("1.5", 1.5),
        ("1e3", 1000.0),
        (".5", 0.5),
        ("(7)", 7),
        ("-3", -3),
        ("+3", 3),
        ("--3", 3),
        ("~5", -6),
        ("-~5", 6),
        ("-1.5", -1.5),
        ("2 + 3", 5),
        ("2 - 3", -1),
        ("2 * 3", 6),
        ("7 / 2", 3.5),
        ("7 // 2", 3),
        ("-7 // 2", -4),
        ("7 % 3", 1),
        ("10**9", 10**9),
        ("10 ** 9 * 8", 8 * 10**9),
        ("2**10//3", 341),
        ("2**-1", 0.5),
        ("1 << 10", 1024),
        ("1024 >> 3", 128),
        ("6 | 1", 7),
        ("6 & 3", 2),
        ("6 ^ 3", 5),
        ("(2 + 3) * 4", 20),
        ("2 + 3 * 4", 14),
        ("200 * (1024 * 1024)", 200 * 1024 * 1024),
        ("1.5 * 2", 3.0),
        ("(-1) ** (10**100)", 1),
        ("0.5 ** 100000", 0.5**100000),
    ],
)
def test_fold(expression: str, expected: float) -> None:
    value = _fold(expression)
    assert value == expected
    assert type(value) is type(expected)


@pytest.mark.parametrize(
    "expression",
    [
        # Division by zero.
        "1 / 0",
        "1 // 0",
        "1 % 0",
        "1.0 / 0",
        # Too big to build: never computed.
        "10**10**10",
        "2 ** 10**100",
        "9 ** 9 ** 9",
        "1 << 10**9",
        "1 << (MAX_BITS + 1)".replace("MAX_BITS", str(MAX_BITS)),
        # Invalid operations.
        "1 << -1",
        "1.5 << 2",
        "~1.5",
        "10.0 ** 400",
        # Complex results and literals are not sizes.
        "(-2) ** 0.5",
        "2j",
        "1 + 2j",
        # Not numbers here.
        "True",
        "False",
        "None",
        "not 0",
        "not 5",
        "-True",
        "'abc'",
        "b'abc'",
        "'a' * 3",
        "[1] * 3",
        "(1, 2)",
        # Not constant.
        "x",
        "x + 1",
        "f(1)",
        "a.b",
        "1 if c else 2",
        "1 < 2",
        "1 and 2",
        "3 @ 4",
    ],
)
def test_fold_none(expression: str) -> None:
    assert _fold(expression) is None


def test_fold_a_decimal_literal_beyond_ints_string_limit_is_none() -> None:
    # CPython refuses to convert more than 4300 decimal digits by default.
    assert _fold("1" * 5000) is None
    assert _fold("1" * 5000 + " * 2") is None


def test_fold_a_huge_hex_literal_within_the_string_limit() -> None:
    # Hexadecimal literals are not limited; the value is returned as is.
    assert _fold("0x" + "f" * 100) == int("f" * 100, 16)


def test_fold_float_overflow_to_infinity_is_what_python_computes() -> None:
    assert _fold("1e308 * 10") == math.inf


def test_fold_results_stay_within_max_bits() -> None:
    big = 2 ** (MAX_BITS - 2)
    assert _fold("A * 2", A=big) == big * 2
    # Products of folded constants must not grow without bound (`B = A * A`, ...).
    assert _fold("A * A", A=big) is None
    assert _fold("A * A * A * A * A * A * A * A", A=big) is None


def test_fold_names_through_a_lookup() -> None:
    assert _fold("MEGA", MEGA=10**6) == 10**6
    assert _fold("200 * MEGA", MEGA=10**6) == 200 * 10**6
    assert _fold("-MEGA // 2", MEGA=10**6) == -500_000
    assert _fold("MEGA * GIGA", MEGA=10**6) is None
    # Without a lookup, names are not constants.
    assert _fold("MEGA") is None
    assert fold(cst.parse_expression("MEGA"), lambda name: None) is None


def test_fold_short_circuits_the_right_side_when_the_left_is_not_constant() -> None:
    asked: list[str] = []

    def lookup(name: str) -> int | None:
        asked.append(name)
        return 1 if name == "B" else None

    assert fold(cst.parse_expression("A + B"), lookup) is None
    assert asked == ["A"]


# -- module_constants -----------------------------------------------------------------------------


def _constants(code: str) -> dict[str, float]:
    return module_constants(cst.parse_module(textwrap.dedent(code)))


def test_single_assignments() -> None:
    assert _constants(
        """
        A = 10
        B = 1.5
        C = -(2**20)
        import os
        D = 3
        """
    ) == {"A": 10, "B": 1.5, "C": -(2**20), "D": 3}


def test_chained_constants() -> None:
    assert _constants("MEGA = 10**6; BIG = 200 * MEGA\n") == {
        "MEGA": 10**6,
        "BIG": 200 * 10**6,
    }
    assert _constants("KB = 1024\nMB = KB * KB\nGB = MB * KB\nHUGE = 4 * GB\n") == {
        "KB": 1024,
        "MB": 1024**2,
        "GB": 1024**3,
        "HUGE": 4 * 1024**3,
    }


def test_a_constant_used_before_it_is_defined_is_not_folded() -> None:
    assert _constants("BIG = 2 * MEGA\nMEGA = 10**6\n") == {"MEGA": 10**6}


def test_a_chain_through_a_non_constant_stops() -> None:
    assert _constants("A = f()\nB = A * 2\nC = 3\n") == {"C": 3}


def test_annotated_assignment() -> None:
    assert _constants("LIMIT: int = 5\nRATIO: float = LIMIT / 2\n") == {
        "LIMIT": 5,
        "RATIO": 2.5,
    }
    assert _constants("LIMIT: int\n") == {}


@pytest.mark.parametrize(
    "code",
    [
        "A = 1\nA = 2\n",
        "A = 1\nA += 1\n",
        "A = 1\nA: int = 2\n",
        "A = 1\nif x:\n    A = 2\n",
        "A = 1\nfor A in range(3):\n    pass\n",
        "A = 1\nwhile x:\n    A = 2\n",
        "A = 1\nwith f() as A:\n    pass\n",
        "A = 1\ntry:\n    pass\nexcept E as A:\n    pass\n",
        "A = 1\nimport A\n",
        "A = 1\nimport A.b\n",
        "A = 1\nfrom m import A\n",
        "A = 1\nfrom m import x as A\n",
        "A = 1\ndef A(): ...\n",
        "A = 1\nclass A: ...\n",
        "A = 1\nA, B = 2, 3\n",
        "A = 1\n[A, *B] = f()\n",
        "A = 1\nprint(A := 2)\n",
        "A = 1\nB = (A := 2)\n",
        "A = 1\nB: int = (A := 2)\n",
        "A = 1\n[(A := x) for x in y]\n",
    ],
    ids=[
        "assign",
        "augmented",
        "annotated",
        "if",
        "for",
        "while",
        "with",
        "except-as",
        "import",
        "import-dotted",
        "from-import",
        "from-import-as",
        "def",
        "class",
        "tuple",
        "list-star",
        "walrus",
        "walrus-in-assignment",
        "walrus-in-annotated",
        "walrus-in-comprehension",
    ],
)
def test_rebinding_excludes_the_name(code: str) -> None:
    assert "A" not in _constants(code)


def test_global_rebinding_excludes_the_name() -> None:
    code = """
        A = 1
        B = 2
        C = 3
        def f():
            global A
            A = 10
        def g():
            global x, B
        """
    assert _constants(code) == {"C": 3}


def test_assignments_inside_functions_and_classes_do_not_rebind() -> None:
    code = """
        A = 1
        def f():
            A = 2
            B = 3
        class K:
            A = 4
            C = 5
        lam = lambda A=6: A
        """
    assert _constants(code) == {"A": 1}


@pytest.mark.parametrize(
    "code",
    [
        "A, B = 1, 2\n",
        "(A, B) = (1, 2)\n",
        "A = B = 5\n",
        "for A in range(3):\n    pass\n",
        "if x:\n    A = 1\n",
        "if x:\n    A = 1\nelse:\n    A = 2\n",
        "try:\n    A = 1\nexcept Exception:\n    pass\n",
        "with f():\n    A = 1\n",
        "while x:\n    A = 1\n",
        "A = 'text'\n",
        "A = True\n",
        "A = None\n",
        "A = [1]\n",
        "A = x\n",
        "A = A + 1\n",
        "A: int\n",
    ],
)
def test_not_constants(code: str) -> None:
    assert _constants(code) == {}


def test_module_constants_provider() -> None:
    wrapper = MetadataWrapper(cst.parse_module("MEGA = 10**6\nBIG = 200 * MEGA\nx = f()\n"))
    metadata = wrapper.resolve(ModuleConstantsProvider)
    assert metadata[wrapper.module] == {"MEGA": 10**6, "BIG": 200 * 10**6}


# -- magnitude --------------------------------------------------------------------------------


def _magnitude(expression: str, **names: float) -> float | None:
    return magnitude(cst.parse_expression(expression), names.get if names else None)


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("0", 0.0),
        ("10**9", 1e9),
        ("8 * 10**9", 8e9),
        ("2.5", 2.5),
        ("+7", 7.0),
        ("10**100", 1e100),
        ("8 * 10**100", 8e100),
        ("10**2000 // 10**1990", 1e10),
        ("10**2000 / 10**1990", 1e10),
        ("1 << 2000 >> 1990", 1024.0),
        ("(10**2000 - 10**1999) // 10**1990", 9e9),
        ("10**300 + 10**300", 2e300),
        ("10**2000 - 10**2000", None),
        ("1 ** 10**5000", 1.0),
        ("0 ** 10**5000", 0.0),
        ("0 * 10**5000", 0.0),
    ],
)
def test_magnitude(expression: str, expected: float | None) -> None:
    found = _magnitude(expression)
    if expected is None:
        assert found is None
    else:
        assert found == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize(
    "expression", ["10**10000", "10**10**10", "2**5000 * 3", "1 << 10**6", "10**5000 + 5"]
)
def test_magnitude_beyond_float_range_is_infinite(expression: str) -> None:
    assert _magnitude(expression) == math.inf


def test_magnitude_of_a_folded_int_beyond_float_range_is_infinite() -> None:
    assert fold(cst.parse_expression("2**1100")) is not None
    assert _magnitude("2**1100") == math.inf


@pytest.mark.parametrize(
    "expression",
    ["-5", "-(10**5000)", "n", "10**n", "n * 10**5000", "10**5000 - 10**5001", "'a' * 3", "x.y"],
)
def test_magnitude_none(expression: str) -> None:
    assert _magnitude(expression) is None


def test_magnitude_through_a_lookup() -> None:
    assert _magnitude("MEGA * 10**5000", MEGA=10**6) == math.inf
    assert _magnitude("200 * MEGA", MEGA=10**6) == 2e8
    assert _magnitude("MEGA * 10**5000") is None


def test_magnitude_is_exact_where_fold_is() -> None:
    assert _magnitude("99_999_999") == 99_999_999.0
    assert _magnitude("10**8") == 100_000_000.0
