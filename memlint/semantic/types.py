"""The kind of value an expression evaluates to, where the code makes it evident."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal, Optional, cast

import libcst as cst
from libcst import MetadataDependent
from libcst.metadata import QualifiedNameProvider, ScopeProvider

from memlint.semantic import bindings, constants, names

Kind = Literal[
    "str",
    "bytes",
    "bytearray",
    "list",
    "tuple",
    "int",
    "float",
    "complex",
    "bool",
    "dict",
    "set",
    "none",
]
SEQUENCE_KINDS: frozenset[str] = frozenset({"str", "bytes", "bytearray", "list", "tuple"})
PROVIDERS = (ScopeProvider, QualifiedNameProvider)

# Builtins whose call returns one kind whatever the arguments.
_CALLS: Mapping[str, str] = {
    "builtins.str": "str",
    "builtins.bytes": "bytes",
    "builtins.bytearray": "bytearray",
    "builtins.list": "list",
    "builtins.tuple": "tuple",
    "builtins.int": "int",
    "builtins.float": "float",
    "builtins.complex": "complex",
    "builtins.bool": "bool",
    "builtins.dict": "dict",
    "builtins.set": "set",
    "builtins.repr": "str",
    "builtins.format": "str",
    "builtins.chr": "str",
    "builtins.hex": "str",
    "builtins.oct": "str",
    "builtins.bin": "str",
    "builtins.ascii": "str",
    "builtins.input": "str",
    "builtins.len": "int",
    "builtins.ord": "int",
    "builtins.hash": "int",
    "builtins.id": "int",
    "builtins.sorted": "list",
    "builtins.isinstance": "bool",
    "builtins.issubclass": "bool",
    "builtins.callable": "bool",
    "builtins.hasattr": "bool",
}
_ANNOTATIONS: Mapping[str, str] = {
    **{f"builtins.{kind}": kind for kind in ("str", "bytes", "bytearray", "list", "tuple")},
    **{f"builtins.{kind}": kind for kind in ("int", "float", "complex", "bool", "dict", "set")},
    "typing.Text": "str",
    "typing.List": "list",
    "typing.Tuple": "tuple",
    "typing.Dict": "dict",
    "typing.Set": "set",
}
# The builtins and annotations by which `kind_of` finds a sequence (for a pre-filter).
SEQUENCE_CALLS = frozenset(name for name, kind in _CALLS.items() if kind in SEQUENCE_KINDS)
SEQUENCE_ANNOTATIONS = frozenset(
    name for name, kind in _ANNOTATIONS.items() if kind in SEQUENCE_KINDS
)
# Methods by receiver kind, and the kind they return.
_TEXT_SAME = frozenset(
    {
        "capitalize",
        "center",
        "expandtabs",
        "join",
        "ljust",
        "lower",
        "lstrip",
        "removeprefix",
        "removesuffix",
        "replace",
        "rjust",
        "rstrip",
        "strip",
        "swapcase",
        "title",
        "translate",
        "upper",
        "zfill",
    }
)
_TEXT_COMMON: Mapping[str, str] = {
    **{name: "list" for name in ("split", "rsplit", "splitlines")},
    **{name: "tuple" for name in ("partition", "rpartition")},
    **{name: "int" for name in ("count", "find", "rfind", "index", "rindex")},
    **{name: "bool" for name in ("startswith", "endswith", "isalnum", "isalpha", "isascii")},
    **{name: "bool" for name in ("isdigit", "islower", "isspace", "istitle", "isupper")},
}
_METHODS: Mapping[str, Mapping[str, str]] = {
    "str": {
        **_TEXT_COMMON,
        **{name: "str" for name in _TEXT_SAME | {"casefold", "format", "format_map"}},
        "encode": "bytes",
        **{name: "bool" for name in ("isdecimal", "isidentifier", "isnumeric", "isprintable")},
    },
    "bytes": {
        **_TEXT_COMMON,
        **{name: "bytes" for name in _TEXT_SAME},
        "decode": "str",
        "hex": "str",
    },
    "bytearray": {
        **_TEXT_COMMON,
        **{name: "bytearray" for name in _TEXT_SAME | {"copy"}},
        "decode": "str",
        "hex": "str",
    },
    "list": {"copy": "list", "count": "int", "index": "int"},
    "tuple": {"count": "int", "index": "int"},
    "dict": {"copy": "dict"},
    "set": {
        name: "set"
        for name in ("copy", "union", "intersection", "difference", "symmetric_difference")
    },
    "int": {"bit_length": "int", "bit_count": "int"},
    "float": {"is_integer": "bool", "hex": "str"},
}
_NUMBERS = {"bool": 0, "int": 1, "float": 2, "complex": 3}
_BY_RANK = ("int", "int", "float", "complex")  # bool arithmetic gives int
_TEXT = frozenset({"str", "bytes", "bytearray"})
_INTEGRAL = frozenset({"bool", "int"})

# A name whose kind is being worked out: anything built from it is pending too.
_PENDING = "pending"
# Names followed per question; beyond this the answer is "unknown" (chains of names that
# refer to each other many times over cannot blow up).
_BUDGET = 200

_Key = tuple[int, str]


class _Context:
    def __init__(self, visitor: MetadataDependent) -> None:
        self.visitor = visitor
        self.budget = _BUDGET


def kind_of(visitor: MetadataDependent, expr: cst.BaseExpression) -> Kind | None:
    """The kind of value `expr` evaluates to, where evident; None when unknown.

    Evident means: a literal, a builtin constructor or a builtin that returns one kind
    (`repr`, `len`, `input`, ...), a method of a receiver of known kind (`s.upper()`,
    `b.decode()`, `", ".join(x)`), arithmetic on known kinds with Python's rules (`"-" * 3`,
    `1 + 2.0`, `"%d" % n`), or a name all of whose bindings in its scope agree: plain and
    annotated assignments, parameters annotated with a builtin type (or `typing.List`...),
    and augmented assignments that keep the kind (`s = ""; s += s` is a str). A name with a
    loop, `with` or unpacking binding, or bound in another scope, is unknown.
    """
    found = _kind(_Context(visitor), expr, {})
    return cast(Optional[Kind], None if found == _PENDING else found)


def _kind(ctx: _Context, expr: cst.BaseExpression, assume: Mapping[_Key, str]) -> str | None:
    literal = _literal_kind(expr)
    if literal is not None:
        return literal
    if isinstance(expr, cst.ConcatenatedString):
        return _same(_kind(ctx, expr.left, assume), _kind(ctx, expr.right, assume))
    if isinstance(expr, cst.Name):
        return _name_kind(ctx, expr, assume)
    if isinstance(expr, cst.Call):
        return _call_kind(ctx, expr, assume)
    if isinstance(expr, cst.BinaryOperation):
        left = _kind(ctx, expr.left, assume)
        right = _kind(ctx, expr.right, assume)
        return _binary(type(expr.operator).__name__, left, right, expr.right)
    if isinstance(expr, cst.UnaryOperation):
        return _unary(expr.operator, _kind(ctx, expr.expression, assume))
    if isinstance(expr, cst.Comparison):
        return "bool"
    if isinstance(expr, cst.BooleanOperation):
        return _same(_kind(ctx, expr.left, assume), _kind(ctx, expr.right, assume))
    if isinstance(expr, cst.IfExp):
        return _same(_kind(ctx, expr.body, assume), _kind(ctx, expr.orelse, assume))
    if isinstance(expr, cst.Subscript):
        return _subscript_kind(expr, _kind(ctx, expr.value, assume))
    if isinstance(expr, cst.NamedExpr):
        return _kind(ctx, expr.value, assume)
    return None


def _literal_kind(expr: cst.BaseExpression) -> str | None:
    if isinstance(expr, cst.SimpleString):
        return "bytes" if "b" in expr.prefix.lower() else "str"
    if isinstance(expr, cst.FormattedString):
        return "str"
    if isinstance(expr, cst.Integer):
        return "int"
    if isinstance(expr, cst.Float):
        return "float"
    if isinstance(expr, cst.Imaginary):
        return "complex"
    if isinstance(expr, (cst.List, cst.ListComp)):
        return "list"
    if isinstance(expr, cst.Tuple):
        return "tuple"
    if isinstance(expr, (cst.Dict, cst.DictComp)):
        return "dict"
    if isinstance(expr, (cst.Set, cst.SetComp)):
        return "set"
    return None


def _same(left: str | None, right: str | None) -> str | None:
    """The kind of a value that is one of two: both must agree (pending joins anything)."""
    if left is None or right is None:
        return None
    if left == _PENDING or right == _PENDING:
        return _PENDING
    return left if left == right else None


# -- operators -------------------------------------------------------------------------------


def _binary(
    op: str, left: str | None, right: str | None, right_node: cst.BaseExpression
) -> str | None:
    if left == _PENDING or right == _PENDING:
        return _PENDING
    sequence = _sequence_operation(op, left, right)
    if sequence is not None or left is None or right is None:
        return sequence
    if left in _NUMBERS and right in _NUMBERS:
        return _arithmetic(op, left, right, right_node)
    if op in ("BitOr", "BitAnd", "BitXor", "Subtract") and left == right == "set":
        return "set"
    if op == "BitOr" and left == right == "dict":
        return "dict"
    return None


def _sequence_operation(op: str, left: str | None, right: str | None) -> str | None:
    """`+`, `*` and `%` on a sequence, whose result is that sequence's kind.

    The other operand may be unknown: `"ab" * n` and `n * "ab"` are strs (or errors), and
    so are `s + x` and `"%d" % x`.
    """
    if op == "Add" and left in SEQUENCE_KINDS:
        if right is None or right == left:
            return left
        # bytes and bytearray mix; the result has the left operand's type.
        return left if {left, right} <= {"bytes", "bytearray"} else None
    if op == "Multiply" and left in SEQUENCE_KINDS and right in (None, *_INTEGRAL):
        return left
    if op == "Multiply" and right in SEQUENCE_KINDS and left in (None, *_INTEGRAL):
        return right
    if op == "Modulo" and left in _TEXT:
        return left
    return None


def _arithmetic(op: str, left: str, right: str, right_node: cst.BaseExpression) -> str | None:
    rank = max(_NUMBERS[left], _NUMBERS[right])
    if op in ("Add", "Subtract", "Multiply"):
        return _BY_RANK[rank]
    if op in ("FloorDivide", "Modulo"):
        return _BY_RANK[rank] if rank < _NUMBERS["complex"] else None
    if op == "Divide":
        return "complex" if rank == _NUMBERS["complex"] else "float"
    if op == "Power":
        if rank >= _NUMBERS["float"]:
            return _BY_RANK[rank]
        # int ** int is a float for a negative exponent.
        exponent = (
            constants.fold(right_node) if isinstance(right_node, cst.BaseExpression) else None
        )
        return "int" if exponent is not None and exponent >= 0 else None
    if left not in _INTEGRAL or right not in _INTEGRAL:
        return None
    if op in ("BitOr", "BitAnd", "BitXor"):
        return "bool" if left == right == "bool" else "int"
    if op in ("LeftShift", "RightShift"):
        return "int"
    return None


def _unary(operator: cst.BaseUnaryOp, operand: str | None) -> str | None:
    if isinstance(operator, cst.Not):
        return "bool"
    if operand is None or operand == _PENDING:
        return operand
    if operand not in _NUMBERS:
        return None
    if isinstance(operator, cst.BitInvert):
        return "int" if operand in _INTEGRAL else None
    return _BY_RANK[_NUMBERS[operand]]


def _subscript_kind(expr: cst.Subscript, value: str | None) -> str | None:
    if value is None or value == _PENDING:
        return value
    is_slice = len(expr.slice) == 1 and isinstance(expr.slice[0].slice, cst.Slice)
    if is_slice and value in SEQUENCE_KINDS:
        return value
    if is_slice or len(expr.slice) != 1:
        return None
    if value == "str":
        return "str"
    if value in ("bytes", "bytearray"):
        return "int"
    return None


# -- calls -----------------------------------------------------------------------------------


def _call_kind(ctx: _Context, call: cst.Call, assume: Mapping[_Key, str]) -> str | None:
    callee = names.resolved(ctx.visitor, call.func)
    for name in callee:
        if name in _CALLS:
            return _CALLS[name]
    if "builtins.round" in callee:
        # round(x) is an int; round(x, n) has x's type.
        if len(call.args) == 1:
            return "int"
        first = _kind(ctx, call.args[0].value, assume) if call.args else None
        return first if first in ("int", "float", _PENDING) else None
    if "builtins.abs" in callee and len(call.args) == 1:
        return _unary(cst.Plus(), _kind(ctx, call.args[0].value, assume))
    func = call.func
    if not isinstance(func, cst.Attribute):
        return None
    receiver = _receiver_kind(ctx, func.value, assume)
    if receiver is None or receiver == _PENDING:
        return receiver
    return _METHODS.get(receiver, {}).get(func.attr.value)


def _receiver_kind(
    ctx: _Context, receiver: cst.BaseExpression, assume: Mapping[_Key, str]
) -> str | None:
    """The kind a method is called on: the value's, or the class's for `str.join(sep, x)`."""
    for name in names.resolved(ctx.visitor, receiver):
        if name in ("builtins.str", "builtins.bytes", "builtins.bytearray"):
            return name.rsplit(".", 1)[-1]
    return _kind(ctx, receiver, assume)


# -- names -----------------------------------------------------------------------------------


def _name_kind(ctx: _Context, name: cst.Name, assume: Mapping[_Key, str]) -> str | None:
    if name.value in ("True", "False"):
        return "bool"
    if name.value == "None":
        return "none"
    ctx.budget -= 1
    if ctx.budget < 0:
        return None
    found = bindings.name_bindings(ctx.visitor, name)
    if found is None:
        return None
    key = (id(found.scope), name.value)
    if key in assume:
        return assume[key]
    # A declaration (`x: str`) is what a type checker holds every binding to: a value of
    # unknown kind takes the declared kind.
    declarations = {
        _annotation_kind(ctx.visitor, b.annotation) for b in found.bindings if b.kind == "annassign"
    }
    declared = declarations.pop() if len(declarations) == 1 else None

    def binding_kind(binding: bindings.Binding, assumed: Mapping[_Key, str]) -> str | None:
        found_kind = _binding_kind(ctx, binding, key, assumed)
        return declared if found_kind is None else found_kind

    # First without knowing the name's own kind: the bindings that do not use it settle it;
    # then those that do (`s += s`, `x = x * 2`) must keep it.
    kinds = [binding_kind(b, {**assume, key: _PENDING}) for b in found.bindings]
    settled = {kind for kind in kinds if kind != _PENDING}
    if len(settled) != 1 or None in settled:
        return None
    kind = settled.pop()
    assert kind is not None
    assumed = {**assume, key: kind}
    for binding, first in zip(found.bindings, kinds):
        if first == _PENDING and binding_kind(binding, assumed) != kind:
            return None
    return kind


def _binding_kind(
    ctx: _Context, binding: bindings.Binding, key: _Key, assume: Mapping[_Key, str]
) -> str | None:
    if binding.kind == "param":
        if binding.star:
            return "tuple" if binding.star == "*" else "dict"
        return _annotation_kind(ctx.visitor, binding.annotation)
    if binding.kind == "annassign":
        annotated = _annotation_kind(ctx.visitor, binding.annotation)
        if annotated is not None or binding.value is None:
            return annotated
    if binding.kind in ("assign", "annassign", "walrus") and binding.value is not None:
        return _kind(ctx, binding.value, assume)
    if binding.kind == "augassign" and binding.value is not None and binding.operator:
        op = type(binding.operator).__name__[: -len("Assign")]
        value = _kind(ctx, binding.value, assume)
        return _binary(op, assume[key], value, binding.value)
    return None


def _annotation_kind(
    visitor: MetadataDependent, annotation: cst.BaseExpression | None
) -> str | None:
    if annotation is None:
        return None
    if isinstance(annotation, cst.Subscript):
        annotation = annotation.value
    for name in names.resolved(visitor, annotation):
        if name in _ANNOTATIONS:
            return _ANNOTATIONS[name]
    return None
