"""Constant folding of literal expressions and of module-level constants (`MEGA = 10**6`)."""

from __future__ import annotations

import ast
import math
import operator
import re
from collections.abc import Mapping
from typing import Callable, Union

import libcst as cst
from libcst.metadata import BatchableMetadataProvider

Number = Union[int, float]
# Folding never builds a number larger than this many bits: `10**10**10` must not hang us.
MAX_BITS = 4096

_BINARY: Mapping[type[cst.BaseBinaryOp], Callable[[Number, Number], Number]] = {
    cst.Add: operator.add,
    cst.Subtract: operator.sub,
    cst.Multiply: operator.mul,
    cst.FloorDivide: operator.floordiv,
    cst.Divide: operator.truediv,
    cst.Modulo: operator.mod,
    cst.Power: operator.pow,
    cst.LeftShift: operator.lshift,
    cst.RightShift: operator.rshift,
    cst.BitOr: operator.or_,
    cst.BitAnd: operator.and_,
    cst.BitXor: operator.xor,
}


def _too_big(op: type[cst.BaseBinaryOp], left: Number, right: Number) -> bool:
    if op is cst.Power and isinstance(right, int) and right > 0:
        return abs(left) > 1 and right * max(int(abs(left)), 2).bit_length() > MAX_BITS
    if op is cst.LeftShift and isinstance(right, int):
        return right > MAX_BITS
    return False


def fold(
    node: cst.BaseExpression, lookup: Callable[[str], Number | None] | None = None
) -> Number | None:
    """The number `node` always evaluates to, or None when it is not a foldable constant.

    Names are folded through `lookup` (module constants) when given. Booleans are not
    numbers here.
    """
    if isinstance(node, (cst.Integer, cst.Float)):
        try:
            return ast.literal_eval(node.value)  # type: ignore[no-any-return]
        except (SyntaxError, ValueError):  # a decimal literal beyond int's max str digits
            return None
    if isinstance(node, cst.Name):
        return lookup(node.value) if lookup is not None else None
    if isinstance(node, cst.UnaryOperation):
        operand = fold(node.expression, lookup)
        if operand is None:
            return None
        if isinstance(node.operator, cst.Minus):
            return -operand
        if isinstance(node.operator, cst.Plus):
            return operand
        if isinstance(node.operator, cst.BitInvert) and isinstance(operand, int):
            return ~operand
        return None  # `not x` is a bool, and booleans are not numbers here
    if isinstance(node, cst.BinaryOperation):
        return _fold_binary(node, lookup)
    return None


def _fold_binary(
    node: cst.BinaryOperation, lookup: Callable[[str], Number | None] | None
) -> Number | None:
    op = _BINARY.get(type(node.operator))
    left = fold(node.left, lookup)
    right = fold(node.right, lookup) if left is not None else None
    if op is None or left is None or right is None or _too_big(type(node.operator), left, right):
        return None
    try:
        result = op(left, right)
    except (ArithmeticError, ValueError, TypeError):
        return None
    if isinstance(result, complex):
        return None
    # Products of folded module constants (`B = A * A`, `C = B * B`) must not grow unbounded.
    if isinstance(result, int) and result.bit_length() > MAX_BITS:
        return None
    return result


def magnitude(
    node: cst.BaseExpression, lookup: Callable[[str], Number | None] | None = None
) -> float | None:
    """About how large the non-negative number `node` evaluates to, even beyond MAX_BITS.

    The folded value (as a float) when `fold` computes it; otherwise an estimate through
    logarithms of `**`, `*`, `<<`, `>>`, `+`, `-`, `/` and `//` on non-negative operands, so
    `10**100 * 8` is about 8e100 and `10**10000` is `math.inf`. None for a negative number
    or an expression that is not constant.
    """
    folded = fold(node, lookup)
    if folded is not None:
        if folded < 0 or folded != folded:  # negative, or NaN
            return None
        try:
            return float(folded)
        except OverflowError:  # an int beyond float's range
            return math.inf
    log = _log2(node, lookup)
    return None if log is None else _exp2(log)


def _log2(node: cst.BaseExpression, lookup: Callable[[str], Number | None] | None) -> float | None:
    """log2 of the non-negative value of `node` (-inf for zero); None when unknown or < 0."""
    folded = fold(node, lookup)
    if folded is not None:
        return _log2_of(folded)
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Plus):
        return _log2(node.expression, lookup)
    if not isinstance(node, cst.BinaryOperation):
        return None
    left = _log2(node.left, lookup)
    right = _log2(node.right, lookup) if left is not None else None
    if left is None or right is None:
        return None
    result = (
        _LOG_RULES[type(node.operator)](left, right) if type(node.operator) in _LOG_RULES else None
    )
    return None if result is None or math.isnan(result) else result


def _log2_of(value: Number) -> float | None:
    if value != value or value < 0:
        return None
    return -math.inf if value == 0 else math.log2(value)


def _exp2(log: float) -> float:
    # 2.0 ** 1024 overflows a float.
    return math.inf if log >= 1024 else 2.0**log


def _log_power(base: float, exponent: float) -> float | None:
    if base == 0:  # 1 ** anything
        return 0.0
    if base == -math.inf:  # 0 ** 0 is 1, 0 ** n is 0
        return 0.0 if exponent == -math.inf else -math.inf
    return _exp2(exponent) * base


def _log_add(left: float, right: float) -> float:
    high, low = max(left, right), min(left, right)
    return high if low == -math.inf else high + math.log2(1 + 2.0 ** (low - high))


def _log_subtract(left: float, right: float) -> float | None:
    if right == -math.inf:
        return left
    if left <= right:  # zero or negative: too close to call, or below zero
        return None
    if left == math.inf:
        return left
    return left + math.log2(1 - 2.0 ** (right - left))


def _log_divide(left: float, right: float) -> float | None:
    return None if right == -math.inf else left - right


def _log_right_shift(left: float, right: float) -> float:
    result = left - _exp2(right)
    return -math.inf if result < 0 else result


_LOG_RULES: Mapping[type[cst.BaseBinaryOp], Callable[[float, float], float | None]] = {
    cst.Multiply: lambda left, right: left + right,
    cst.Power: _log_power,
    cst.LeftShift: lambda left, right: left + _exp2(right),
    cst.RightShift: _log_right_shift,
    cst.Add: _log_add,
    cst.Subtract: _log_subtract,
    cst.Divide: _log_divide,
    cst.FloorDivide: _log_divide,
}


def module_constants(module: cst.Module) -> dict[str, Number]:
    """Names bound exactly once at module level to a foldable number, and never rebound.

    Only top-level statements can define one; a name that is bound anywhere else at module
    level, or declared `global` in a function, is not a constant.
    """
    candidates: dict[str, cst.BaseExpression] = {}
    seen: dict[str, int] = {}
    for statement in module.body:
        for name, value in _bindings(statement):
            seen[name] = seen.get(name, 0) + 1
            if value is not None:
                candidates[name] = value
    code = module.code if "global" in module.code else ""
    constants: dict[str, Number] = {}
    for name, value in candidates.items():
        if seen[name] != 1 or re.search(rf"\bglobal\b[^\n]*\b{re.escape(name)}\b", code):
            continue
        folded = fold(value, constants.get)
        if folded is not None:
            constants[name] = folded
    return constants


def _bindings(statement: cst.CSTNode) -> list[tuple[str, cst.BaseExpression | None]]:
    """(name, value or None) for every module-level binding a top-level statement makes."""
    found: list[tuple[str, cst.BaseExpression | None]] = []
    if isinstance(statement, cst.SimpleStatementLine):
        for small in statement.body:
            found.extend(_small_bindings(small))
        return found
    if isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
        return [(statement.name.value, None)]
    # Compound statements at module level (if/for/while/try/with) bind global names too;
    # anything they bind is not a single, unconditional constant.
    collector = _StoreCollector()
    statement.visit(collector)
    return [(name, None) for name in collector.names]


def _small_bindings(small: cst.BaseSmallStatement) -> list[tuple[str, cst.BaseExpression | None]]:
    if isinstance(small, cst.Assign):
        if len(small.targets) == 1 and isinstance(small.targets[0].target, cst.Name):
            # `A = (B := 5)` binds B too.
            return [(small.targets[0].target.value, small.value), *_walrus_bindings(small.value)]
        collector = _StoreCollector()
        small.visit(collector)
        return [(name, None) for name in collector.names]
    if isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name):
        walrus = _walrus_bindings(small.value) if small.value is not None else []
        return [(small.target.value, small.value), *walrus]
    collector = _StoreCollector()
    small.visit(collector)
    return [(name, None) for name in collector.names]


def _walrus_bindings(value: cst.BaseExpression) -> list[tuple[str, cst.BaseExpression | None]]:
    collector = _StoreCollector()
    value.visit(collector)
    return [(name, None) for name in collector.names]


class _StoreCollector(cst.CSTVisitor):
    """Names a statement binds at its own level (not inside nested functions or classes)."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        self.names.extend(_target_names(node.target))

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self.names.extend(_target_names(node.target))

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self.names.extend(_target_names(node.target))

    def visit_For(self, node: cst.For) -> None:
        self.names.extend(_target_names(node.target))

    def visit_AsName(self, node: cst.AsName) -> None:
        self.names.extend(_target_names(node.name))

    def visit_ImportAlias(self, node: cst.ImportAlias) -> None:
        if node.asname is None:
            full = node.name
            while isinstance(full, cst.Attribute):
                full = full.value  # type: ignore[assignment]
            self.names.extend(_target_names(full))

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self.names.extend(_target_names(node.target))

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        self.names.append(node.name.value)
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        self.names.append(node.name.value)
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False


def _target_names(target: cst.CSTNode) -> list[str]:
    if isinstance(target, cst.Name):
        return [target.value]
    if isinstance(target, (cst.Tuple, cst.List)):
        return [n for element in target.elements for n in _target_names(element.value)]
    if isinstance(target, cst.StarredElement):
        return _target_names(target.value)
    return []


class ModuleConstantsProvider(BatchableMetadataProvider[Mapping[str, Number]]):
    """Module constants, computed once per file and stored on the Module node."""

    def visit_Module(self, node: cst.Module) -> None:
        self.set_metadata(node, module_constants(node))


def tree_may_fold_to(node: ast.expr, wanted: Callable[[Number], bool]) -> bool:
    """For a pre-filter: False only when `fold` (without module constants) of the same
    expression in libcst's tree surely gives no number for which `wanted` is true.

    A literal number, signed or inverted, is worked out; arithmetic between literals is
    not (True); a name, a call, a string or a bool folds to nothing (False).
    """
    if isinstance(node, ast.Constant):
        value = node.value
        return not isinstance(value, bool) and isinstance(value, (int, float)) and wanted(value)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return tree_may_fold_to(node.operand, lambda value: wanted(-value))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.UAdd):
        return tree_may_fold_to(node.operand, wanted)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Invert):
        return tree_may_fold_to(
            node.operand, lambda value: isinstance(value, int) and wanted(~value)
        )
    return isinstance(node, ast.BinOp)
