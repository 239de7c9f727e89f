"""Uses of a name that neither keep nor pass on its value: truth tests, and what a rule marks.

MEM103 and MEM105 report a value (a whole read, an HTTP body) only when every use of the
name holding it is harmless: a consumer or sink the rule marks, or a truth test.
"""

from __future__ import annotations

import libcst as cst
from libcst.metadata import ScopeProvider


class HarmlessUses(cst.BatchableCSTVisitor):
    """A visitor mixin that records truth tests; the rule marks its own harmless uses."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # the rule's context, passed on
        # Names used where the value is not kept: the rule's consumers, truth tests.
        self._harmless: set[int] = set()

    def _harmless_use(self, node: cst.BaseExpression | None) -> None:
        if isinstance(node, cst.Name):
            self._harmless.add(id(node))

    def visit_If(self, node: cst.If) -> None:
        self._harmless_use(node.test)

    def visit_While(self, node: cst.While) -> None:
        self._harmless_use(node.test)

    def visit_IfExp(self, node: cst.IfExp) -> None:
        self._harmless_use(node.test)

    def visit_Assert(self, node: cst.Assert) -> None:
        self._harmless_use(node.test)

    def visit_UnaryOperation(self, node: cst.UnaryOperation) -> None:
        if isinstance(node.operator, cst.Not):
            self._harmless_use(node.expression)

    def visit_BooleanOperation(self, node: cst.BooleanOperation) -> None:
        self._harmless_use(node.left)
        self._harmless_use(node.right)

    def _only_consumed(self, name: cst.Name) -> bool:
        """Whether every use of the one binding `name` reads is harmless. The visitor must
        depend on ScopeProvider, and is asked once the uses have been seen."""
        scope = self.get_metadata(ScopeProvider, name, None)
        if scope is None:
            return False
        referents = {r for a in scope.accesses[name] if a.node is name for r in a.referents}
        if len(referents) != 1:
            return False
        (binding,) = referents
        return all(id(access.node) in self._harmless for access in binding.references)
