"""One walk of CPython's tree per file, shared by every rule's `ast_candidate`.

The pre-filter asks each enabled rule whether a file can hold a finding before libcst
parses it. A walk of CPython's tree costs about a sixth of `ast.parse` itself; one walk
per rule would cost as much as the parse. So the tree is walked once, its nodes grouped
by type, and each rule looks only at the types it cares about (`nodes(tree, ast.While)`).
"""

from __future__ import annotations

import ast
from typing import TypeVar

N = TypeVar("N", bound=ast.AST)

_INDEX = "_memlint_index"


def _index(tree: ast.AST) -> dict[type[ast.AST], list[ast.AST]]:
    found: dict[type[ast.AST], list[ast.AST]] | None = getattr(tree, _INDEX, None)
    if found is None:
        found = {}
        for node in ast.walk(tree):
            kind = type(node)
            group = found.get(kind)
            if group is None:
                found[kind] = [node]
            else:
                group.append(node)
        setattr(tree, _INDEX, found)
    return found


def nodes(tree: ast.AST, kind: type[N]) -> list[N]:
    """Every node of exactly this type in the tree, in `ast.walk` order (breadth first)."""
    return _index(tree).get(kind, [])  # type: ignore[return-value]


def peel_methods(expr: ast.expr, methods: frozenset[str]) -> ast.expr:
    """`expr` without the calls of these methods around it: `x` for `x.decode().strip()`."""
    while (
        isinstance(expr, ast.Call)
        and isinstance(expr.func, ast.Attribute)
        and expr.func.attr in methods
    ):
        expr = expr.func.value
    return expr


def any_of(tree: ast.AST, *kinds: type[ast.AST]) -> bool:
    """Whether the tree holds a node of one of these exact types."""
    index = _index(tree)
    return any(kind in index for kind in kinds)
