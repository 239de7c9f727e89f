"""Every binding of a name in its scope, indexed once per scope and dropped with the tree."""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

import libcst as cst
from libcst import MetadataDependent
from libcst.metadata import (
    Assignment,
    ComprehensionScope,
    GlobalScope,
    ImportAssignment,
    Scope,
    ScopeProvider,
)
from libcst.metadata.scope_provider import AnnotationScope, LocalScope

PROVIDERS = (ScopeProvider,)


BindingKind = Literal["param", "assign", "annassign", "augassign", "with", "walrus", "other"]


@dataclass(frozen=True)
class Binding:
    """One place that binds a name, and what it binds it to.

    `assign` is `name = value` (also `a = name = value`), `annassign` is `name: T [= value]`,
    `augassign` is `name <op>= value`, `with` is `with value as name`, `walrus` is
    `(name := value)`, `param` a parameter (`star` is "*" or "**" for `*args`/`**kwargs`);
    `other` is everything else (loop targets, unpacking, `except ... as`, `def`, `class`,
    and writes from a nested function through `nonlocal`).
    """

    kind: BindingKind
    node: cst.CSTNode
    value: cst.BaseExpression | None = None
    annotation: cst.BaseExpression | None = None
    operator: cst.BaseAugOp | None = None
    star: str = ""


@dataclass(frozen=True)
class NameBindings:
    """Every binding of a name in the scope it resolves to, and the uses of those bindings."""

    bindings: tuple[Binding, ...]  # in no particular order
    # Attributes taken on the name (`f.read`, `f.seek(0)`) and whether a `for` iterates it,
    # counted in the same function (comprehensions included, nested functions not).
    attributes: frozenset[str]
    iterated: bool
    # The scope the bindings live in, folded out of comprehensions: a key for cycle guards.
    scope: Scope


def home_scope(scope: Scope) -> Scope:
    """The function, class or module scope whose code `scope` runs in."""
    while isinstance(scope, (ComprehensionScope, AnnotationScope)):
        scope = scope.parent
    return scope


def owner_scope(visitor: MetadataDependent, name: cst.Name) -> Scope | None:
    """The one scope that binds the name read (or bound) at `name`, or None."""
    scope = visitor.get_metadata(ScopeProvider, name, None)
    if scope is None:
        return None
    accesses = [access for access in scope.accesses[name] if access.node is name]
    if accesses:
        owners = {r.scope for access in accesses for r in access.referents}
    else:
        # A binding target (`s` in `s += s`) is no access: the scope it binds in.
        bound = scope.assignments[name.value]
        owners = {a.scope for a in bound if isinstance(a, Assignment) and a.node is name}
    return owners.pop() if len(owners) == 1 else None


def name_bindings(visitor: MetadataDependent, name: cst.Name) -> NameBindings | None:
    """The bindings of the name read (or bound) at `name`, when they can all be seen.

    None when `name` is not a local name, when the name is bound in another
    scope than the one it is read in (an enclosing function, `global`, `nonlocal`, the
    module seen from a function), or when one of its bindings is an import.
    """
    scope = visitor.get_metadata(ScopeProvider, name, None)
    owner = owner_scope(visitor, name)
    if scope is None or owner is None:
        return None
    home = home_scope(owner)
    if home is not home_scope(scope):
        return None
    # Referents are only the bindings made before the read; every binding in the scope
    # counts (a loop can bring a later one round).
    assignments = owner.assignments[name.value]
    if any(not isinstance(a, Assignment) or isinstance(a, ImportAssignment) for a in assignments):
        return None
    index = _index(visitor, home)
    if index is None:
        return None
    bindings: list[Binding] = []
    attributes: set[str] = set()
    iterated = False
    for assignment in assignments:
        assert isinstance(assignment, Assignment)
        bindings.append(_binding(index, owner, assignment.node))
        for access in assignment.references:
            use = id(access.node)
            if use in index.attributes:
                attributes.add(index.attributes[use])
            iterated = iterated or use in index.iterated
    return NameBindings(tuple(bindings), frozenset(attributes), iterated, home)


def global_bindings(visitor: MetadataDependent, name: cst.Name) -> NameBindings | None:
    """The module-level bindings of a global name read inside a function.

    `SESSION = requests.Session()` at module level, read as `SESSION` in a function that does
    not bind it. None when `name` is not read from the module's scope, or when
    `name_bindings` cannot see every binding there (an import among them).
    """
    scope = visitor.get_metadata(ScopeProvider, name, None)
    if scope is None:
        return None
    referents = {r for a in scope.accesses[name] if a.node is name for r in a.referents}
    targets = [
        r.node for r in referents if isinstance(r, Assignment) and isinstance(r.scope, GlobalScope)
    ]
    if not targets or len(targets) != len(referents) or not isinstance(targets[0], cst.Name):
        return None
    return name_bindings(visitor, targets[0])


def _binding(index: _Index, owner: Scope, node: cst.CSTNode) -> Binding:
    if isinstance(node, cst.Param):
        annotation = node.annotation.annotation if node.annotation is not None else None
        star = ""
        function = owner.node if isinstance(owner, LocalScope) else None
        if isinstance(function, (cst.FunctionDef, cst.Lambda)):
            if function.params.star_arg is node:
                star = "*"
            elif function.params.star_kwarg is node:
                star = "**"
        return Binding("param", node, annotation=annotation, star=star)
    return index.bindings.get(id(node)) or Binding("other", node)


@dataclass(frozen=True)
class _Index:
    """What one function (class body, module) does with its names, by node identity."""

    bindings: dict[int, Binding]
    attributes: dict[int, str]
    iterated: frozenset[int]


# Built on first use for a scope, dropped with it (when the file's metadata is dropped).
_INDEXES: weakref.WeakKeyDictionary[Scope, _Index] = weakref.WeakKeyDictionary()


def _index(visitor: MetadataDependent, home: Scope) -> _Index | None:
    index = _INDEXES.get(home)
    if index is not None:
        return index
    root = _root(visitor, home)
    if root is None:
        return None
    indexer = _Indexer(root)
    root.visit(indexer)
    index = _Index(indexer.bindings, indexer.attributes, frozenset(indexer.iterated))
    _INDEXES[home] = index
    return index


def _root(visitor: MetadataDependent, home: Scope) -> cst.CSTNode | None:
    if isinstance(home, LocalScope):
        return home.node
    if not isinstance(home, GlobalScope):
        return None
    # The global scope does not know its module; the scope metadata has the module as its
    # last entry (set when the module is left), so this loop stops at once.
    mapping = visitor.metadata.get(ScopeProvider, {})
    try:
        keys: Iterable[cst.CSTNode] = reversed(mapping)  # type: ignore[arg-type]
    except TypeError:
        keys = mapping
    return next((key for key in keys if isinstance(key, cst.Module)), None)


class _Indexer(cst.CSTVisitor):
    """Records bindings, attribute uses and iterations in one scope's own code."""

    def __init__(self, root: cst.CSTNode) -> None:
        super().__init__()
        self.root = root
        self.bindings: dict[int, Binding] = {}
        self.attributes: dict[int, str] = {}
        self.iterated: set[int] = set()

    # A nested function or class is another scope: only what runs here is visited
    # (decorators, defaults, bases).
    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        if node is self.root:
            return True
        for decorator in node.decorators:
            decorator.visit(self)
        node.params.visit(self)
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        if node is self.root:
            return True
        node.params.visit(self)
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        if node is self.root:
            return True
        for decorator in node.decorators:
            decorator.visit(self)
        for arg in (*node.bases, *node.keywords):
            arg.visit(self)
        return False

    def _bind(self, target: cst.BaseExpression, binding: Binding) -> None:
        if isinstance(target, cst.Name):
            self.bindings[id(target)] = binding

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._bind(target.target, Binding("assign", target.target, node.value))

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        annotation = node.annotation.annotation
        self._bind(node.target, Binding("annassign", node.target, node.value, annotation))

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        binding = Binding("augassign", node.target, node.value, operator=node.operator)
        self._bind(node.target, binding)

    def visit_WithItem(self, node: cst.WithItem) -> None:
        if node.asname is not None:
            name = node.asname.name
            if isinstance(name, cst.Name):
                self._bind(name, Binding("with", name, node.item))

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self._bind(node.target, Binding("walrus", node.target, node.value))

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if isinstance(node.value, cst.Name):
            self.attributes[id(node.value)] = node.attr.value

    def visit_For(self, node: cst.For) -> None:
        if isinstance(node.iter, cst.Name):
            self.iterated.add(id(node.iter))

    def visit_CompFor(self, node: cst.CompFor) -> None:
        if isinstance(node.iter, cst.Name):
            self.iterated.add(id(node.iter))
