"""memlint.semantic.types: the kind of value an expression evidently has."""

from __future__ import annotations

import textwrap
import warnings

import libcst as cst
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from libcst.metadata import MetadataWrapper

from memlint.semantic import types
from memlint.semantic.types import SEQUENCE_KINDS, Kind, kind_of


class _Probe(cst.BatchableCSTVisitor):
    """The kind of the last expression statement, asked mid-traversal as a rule would."""

    METADATA_DEPENDENCIES = types.PROVIDERS

    def __init__(self) -> None:
        super().__init__()
        self.last: cst.BaseExpression | None = None
        self.kind: Kind | None = None

    def visit_Expr(self, node: cst.Expr) -> None:
        self.last = node.value

    def leave_Module(self, original_node: cst.Module) -> None:
        assert self.last is not None
        self.kind = kind_of(self, self.last)


def kind(code: str) -> Kind | None:
    probe = _Probe()
    MetadataWrapper(cst.parse_module(textwrap.dedent(code))).visit_batched([probe])
    return probe.kind


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("'a'", "str"),
        ('"""a"""', "str"),
        ("b'a'", "bytes"),
        ("Rb'a'", "bytes"),
        ("u'a'", "str"),
        ("f'{a}'", "str"),
        ("rf'{a}'", "str"),
        ("'a' 'b'", "str"),
        ("b'a' b'b'", "bytes"),
        ("'a' f'{b}'", "str"),
        ("1", "int"),
        ("0x10", "int"),
        ("1.5", "float"),
        ("1e9", "float"),
        ("2j", "complex"),
        ("[]", "list"),
        ("[x for x in y]", "list"),
        ("()", "tuple"),
        ("(1, 2)", "tuple"),
        ("{}", "dict"),
        ("{k: v for k, v in y}", "dict"),
        ("{1}", "set"),
        ("{x for x in y}", "set"),
        ("True", "bool"),
        ("False", "bool"),
        ("None", "none"),
        ("(x for x in y)", None),
        ("x", None),
        ("x.y", None),
    ],
)
def test_literals(code: str, expected: Kind | None) -> None:
    assert kind(code) == expected


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("str(x)", "str"),
        ("bytes(10)", "bytes"),
        ("bytearray()", "bytearray"),
        ("list(x)", "list"),
        ("tuple(x)", "tuple"),
        ("int(x)", "int"),
        ("float(x)", "float"),
        ("dict(a=1)", "dict"),
        ("set()", "set"),
        ("repr(x)", "str"),
        ("format(x, 'd')", "str"),
        ("chr(65)", "str"),
        ("hex(x)", "str"),
        ("oct(x)", "str"),
        ("bin(x)", "str"),
        ("ascii(x)", "str"),
        ("input()", "str"),
        ("len(x)", "int"),
        ("ord(c)", "int"),
        ("round(x)", "int"),
        ("round(1.5, 1)", "float"),
        ("round(x, 1)", None),
        ("sorted(x)", "list"),
        ("abs(-2)", "int"),
        ("import builtins\nbuiltins.str(x)", "str"),
        # A user's own `str`.
        ("def str(x):\n    return 1\nstr(x)", None),
        ("from mylib import str\nstr(x)", None),
        ("f(x)", None),
    ],
)
def test_builtin_calls(code: str, expected: Kind | None) -> None:
    assert kind(code) == expected


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("'a'.upper()", "str"),
        ("'a'.strip().replace('a', 'b')", "str"),
        ("', '.join(parts)", "str"),
        ("b''.join(chunks)", "bytes"),
        ("str.join(', ', parts)", "str"),
        ("str.split(s)", "list"),
        ("'a'.encode()", "bytes"),
        ("b'a'.decode()", "str"),
        ("bytearray().decode()", "str"),
        ("bytearray(b'a').upper()", "bytearray"),
        ("'a b'.split()", "list"),
        ("'a'.partition(' ')", "tuple"),
        ("'a'.find('b')", "int"),
        ("'a'.startswith('b')", "bool"),
        ("'{}'.format(x)", "str"),
        ("[].copy()", "list"),
        ("x.upper()", None),
        ("'a'.nonexistent()", None),
        ("b'a'.format(x)", None),
    ],
)
def test_methods(code: str, expected: Kind | None) -> None:
    assert kind(code) == expected


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("'a' + 'b'", "str"),
        ("b'a' + b'b'", "bytes"),
        ("bytearray() + b'a'", "bytearray"),
        ("b'a' + bytearray()", "bytes"),
        ("[1] + [2]", "list"),
        ("(1,) + (2,)", "tuple"),
        ("'a' + b'b'", None),
        ("[1] + (2,)", None),
        ("'-' * 80", "str"),
        ("3 * 'a'", "str"),
        ("True * 'a'", "str"),
        ("[0] * n", "list"),
        ("n * (1,)", "tuple"),
        ("'a' * 1.5", None),
        ("'a' * 'b'", None),
        ("'%d' % n", "str"),
        ("b'%d' % n", "bytes"),
        ("'a' + x", "str"),
        ("x + 'a'", None),
        ("1 + 2", "int"),
        ("1 + 2.0", "float"),
        ("True + True", "int"),
        ("1 * 2j", "complex"),
        ("4 / 2", "float"),
        ("4 // 2", "int"),
        ("4.0 // 2", "float"),
        ("7 % 2", "int"),
        ("2 ** 3", "int"),
        ("2 ** -1", None),
        ("2 ** n", None),
        ("2.0 ** n", None),
        ("2.0 ** 2", "float"),
        ("1 << 3", "int"),
        ("1 | 2", "int"),
        ("True | False", "bool"),
        ("{1} | {2}", "set"),
        ("{1} - {2}", "set"),
        ("{} | {}", "dict"),
        ("-1", "int"),
        ("-1.5", "float"),
        ("-True", "int"),
        ("~1", "int"),
        ("~1.5", None),
        ("-'a'", None),
        ("not x", "bool"),
        ("a < b", "bool"),
        ("'a' or 'b'", "str"),
        ("'a' or 1", None),
        ("'a' if c else 'b'", "str"),
        ("'a' if c else None", None),
        ("'abc'[1:]", "str"),
        ("'abc'[0]", "str"),
        ("b'abc'[0]", "int"),
        ("b'abc'[:1]", "bytes"),
        ("[1, 2][:1]", "list"),
        ("[1, 2][0]", None),
        ("(s := 'a')", "str"),
    ],
)
def test_operators(code: str, expected: Kind | None) -> None:
    assert kind(code) == expected


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("x = 'a'\nx", "str"),
        ("x = input()\nx", "str"),
        ("def f():\n    x = b''\n    x", "bytes"),
        ("x = ''\nx = 'b'\nx", "str"),
        # Doubling keeps the kind, whichever order the bindings come in.
        ("s = ''\ns += s\ns", "str"),
        ("s = 'a'\ns = s + s\ns", "str"),
        ("s = ''\nfor _ in range(n):\n    s = s + s\ns", "str"),
        ("s = [0]\nwhile True:\n    s *= 2\ns", "list"),
        ("b = bytearray()\nb += b'x'\nb", "bytearray"),
        ("x = 1.5\nx = x * 2\nx", "float"),
        ("x = 1\nx = x * 2\nx", "int"),
        ("n = 0\nn += 1\nn", "int"),
        ("x = 1\nx += 0.5\nx", None),
        ("x = ''\nx = 0\nx", None),
        ("x = ''\nx += 1\nx", None),
        ("s = ''\ns = 'a' + t\ns", "str"),
        # Through other names.
        ("a = 'x'\nb = a * 3\nb", "str"),
        ("a = b\nb = a\na", None),
        ("x = x + x\nx", None),
        # Annotations and parameters.
        ("def f(s: str):\n    s", "str"),
        ("def f(s: bytes = b''):\n    s", "bytes"),
        ("def f(n: int):\n    n", "int"),
        ("def f(n: float):\n    n", "float"),
        ("from typing import List\ndef f(x: List[int]):\n    x", "list"),
        ("import typing\ndef f(x: typing.Tuple[int, ...]):\n    x", "tuple"),
        ("def f(x: list[int]):\n    x", "list"),
        ("def f(*args):\n    args", "tuple"),
        ("def f(**kwargs):\n    kwargs", "dict"),
        ("def f(s):\n    s", None),
        ("def f(s: 'str'):\n    s", None),
        ("from typing import Optional\ndef f(s: Optional[str]):\n    s", None),
        ("x: int = 0\nx", "int"),
        ("x: str\nx = f()\nx", "str"),
        ("x: list[int] = []\nx", "list"),
        ("x: int = 0\nx += f()\nx", "int"),
        ("x: str\nfor x in y:\n    pass\nx", "str"),
        ("x: str = ''\nx = 0\nx", None),
        ("lam = lambda s: s\nlam", None),
        # Not followed: loops, with, unpacking, other scopes.
        ("for x in y:\n    x", None),
        ("with f() as x:\n    x", None),
        ("x, y = 'a', 'b'\nx", None),
        ("x = ''\ndef f():\n    x", None),
        ("def f():\n    global x\n    x = ''\n    x", None),
        ("def f():\n    x = ''\n    def g():\n        nonlocal x\n        x = 1\n    x", None),
        ("import x\nx", None),
    ],
)
def test_names(code: str, expected: Kind | None) -> None:
    assert kind(code) == expected


class _Targets(cst.BatchableCSTVisitor):
    """The kind of every augmented assignment's target, as MEM401/MEM402 ask it."""

    METADATA_DEPENDENCIES = types.PROVIDERS

    def __init__(self) -> None:
        super().__init__()
        self.kinds: list[Kind | None] = []

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self.kinds.append(kind_of(self, node.target))


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("s = ''\nfor _ in r:\n    s += s\n", ["str"]),
        ("x = 1.5\nwhile True:\n    x *= 2\n", ["float"]),
        ("def f(s: bytes):\n    s += s\n", ["bytes"]),
        ("def f(parts):\n    buf = ''\n    for p in parts:\n        buf += p\n", ["str"]),
        ("n = 0\nfor _ in r:\n    n += n\n", ["int"]),
        ("s = ''\ndef f():\n    global s\n    s += s\n", [None]),
        ("for s in r:\n    s += s\n", [None]),
        ("self.s = ''\nself.s += self.s\n", [None]),
    ],
)
def test_augmented_assignment_targets(code: str, expected: list[Kind | None]) -> None:
    visitor = _Targets()
    MetadataWrapper(cst.parse_module(code)).visit_batched([visitor])
    assert visitor.kinds == expected


def test_numbers_are_never_sequences() -> None:
    for code in ("x = 1\nx = x + x\nx", "x = 1.5\nx *= 2\nx", "x = 2\nx = x * x\nx"):
        assert kind(code) not in SEQUENCE_KINDS


def test_long_chains_of_names_stay_cheap() -> None:
    # Each name doubles the last: followed naively, 2**60 lookups.
    lines = ["x0 = ''"] + [f"x{i} = x{i - 1} + x{i - 1}" for i in range(1, 60)] + ["x59"]
    assert kind("\n".join(lines)) in ("str", None)


# -- the same answer as Python ---------------------------------------------------------------

_ATOMS = ["'ab'", "b'ab'", "2", "-1", "0", "1.5", "True", "2j", "[1]", "(1,)", "{1}", "{}"]
_OPERATORS = ["+", "-", "*", "/", "//", "%", "**", "|", "&", "^", "<<", ">>"]


def _expressions() -> st.SearchStrategy[str]:
    atoms = st.sampled_from(_ATOMS)
    return st.recursive(
        atoms,
        lambda inner: st.one_of(
            st.tuples(inner, st.sampled_from(_OPERATORS), inner).map(
                lambda t: f"({t[0]} {t[1]} {t[2]})"
            ),
            st.tuples(st.sampled_from(["-", "+", "~", "not "]), inner).map(
                lambda t: f"({t[0]}{t[1]})"
            ),
        ),
        max_leaves=4,
    )


_PYTHON_KINDS = {"NoneType": "none"}


@settings(max_examples=400, deadline=None)
@given(_expressions())
def test_kinds_agree_with_python(code: str) -> None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            value = eval(code, {"__builtins__": {}})
    except (ArithmeticError, TypeError, ValueError):
        return
    found = kind(code)
    if found is not None:
        name = type(value).__name__
        assert found == _PYTHON_KINDS.get(name, name), code
