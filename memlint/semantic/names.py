"""Qualified names through libcst's QualifiedNameProvider, and the module's import aliases."""

from __future__ import annotations

import ast
import builtins
from collections.abc import Collection, Mapping
from dataclasses import dataclass

import libcst as cst
from libcst import MetadataDependent
from libcst.helpers import get_full_name_for_node
from libcst.metadata import QualifiedNameProvider, QualifiedNameSource

from memlint.semantic import astindex

PROVIDERS = (QualifiedNameProvider,)
_LITERALS = (
    cst.SimpleString,
    cst.ConcatenatedString,
    cst.FormattedString,
    cst.Integer,
    cst.Float,
    cst.Imaginary,
    cst.List,
    cst.Tuple,
    cst.Set,
    cst.Dict,
    cst.ListComp,
    cst.SetComp,
    cst.DictComp,
)
# The same literals in CPython's tree (strings and numbers are `ast.Constant`).
_AST_LITERALS = (
    ast.JoinedStr,
    ast.List,
    ast.Tuple,
    ast.Set,
    ast.Dict,
    ast.ListComp,
    ast.SetComp,
    ast.DictComp,
)
_RESOLVED = (QualifiedNameSource.IMPORT, QualifiedNameSource.BUILTIN)
_IMPORTS = "_memlint_imports"  # where Imports.of keeps its answer on a tree


def qualified_names(visitor: MetadataDependent, node: cst.CSTNode) -> frozenset[str]:
    """The imported or builtin names `node` may refer to; empty for local or unknown names.

    A name bound both by an import and locally (a `try: import ... except: def ...`
    fallback) keeps its imported meaning.
    """
    if not isinstance(node, (cst.Name, cst.Attribute, cst.Call, cst.Decorator)):
        return frozenset()
    if isinstance(node, cst.Decorator):
        node = node.decorator
    if isinstance(node, cst.Call):
        node = node.func
    tree: ast.Module | None = getattr(getattr(visitor, "context", None), "tree", None)
    if tree is not None:
        known = Heads.of(tree).qualified_names(node)
        if known is not None:
            return known  # what QualifiedNameProvider answers, without its scope analysis
    found = visitor.get_metadata(QualifiedNameProvider, node, set())
    return frozenset(q.name for q in found if q.source in _RESOLVED)


def resolves_to(
    visitor: MetadataDependent, node: cst.CSTNode, candidates: Collection[str]
) -> str | None:
    """The one of `candidates` that `node` (a name, attribute, call or decorator) refers to."""
    imports: Imports | None = getattr(getattr(visitor, "context", None), "imports", None)
    if imports is not None and not imports.may_resolve(node, candidates):
        return None  # decided without the scope analysis (see Imports)
    for name in qualified_names(visitor, node):
        if name in candidates:
            return name
    return None


@dataclass(frozen=True)
class Imports:
    """Every name a module's imports bind (anywhere in it), read from CPython's tree.

    QualifiedNameProvider names a plain `a.b.c` chain by what imports and builtins make of
    its head (`np.zeros` after `import numpy as np` is "numpy.zeros", `list` is
    "builtins.list") and never otherwise. So when no import of the head and no builtin of
    that name can spell a candidate, the answer is "none of them" without computing scopes,
    which cost ten times the parse: most calls in most files end there.
    """

    bound: Mapping[str, frozenset[str]]
    star: bool  # `from m import *`: any name may come from anywhere

    @classmethod
    def of(cls, tree: ast.Module) -> Imports:
        """The tree's imports, computed once per tree (the ast filters and the rules share it)."""
        found: Imports | None = getattr(tree, _IMPORTS, None)
        if found is None:
            found = cls._read(tree)
            setattr(tree, _IMPORTS, found)
        return found

    @classmethod
    def _read(cls, tree: ast.Module) -> Imports:
        bound: dict[str, set[str]] = {}
        star = False
        for node in astindex.nodes(tree, ast.Import):
            for alias in node.names:
                if alias.asname:
                    bound.setdefault(alias.asname, set()).add(alias.name)
                else:
                    head = alias.name.split(".", 1)[0]
                    bound.setdefault(head, set()).add(head)
        for imported in astindex.nodes(tree, ast.ImportFrom):
            module = "." * imported.level + (imported.module or "")
            for alias in imported.names:
                if alias.name == "*":
                    star = True
                else:
                    local = alias.asname or alias.name
                    joined = f"{module}.{alias.name}" if imported.module else module + alias.name
                    bound.setdefault(local, set()).add(joined)
        return cls({name: frozenset(found) for name, found in bound.items()}, star)

    def meanings(self, node: ast.expr) -> frozenset[str]:
        """What an `a.b.c` chain of CPython's tree may name through the imports (as
        `may_resolve` reads libcst's: through calls and subscripts); empty if no import."""
        parts: list[str] = []
        while isinstance(node, (ast.Attribute, ast.Call, ast.Subscript)):
            if isinstance(node, ast.Attribute):
                parts.append(node.attr)
                node = node.value
            else:
                node = node.func if isinstance(node, ast.Call) else node.value
        if not isinstance(node, ast.Name):
            return frozenset()
        tail = "".join(f".{part}" for part in reversed(parts))
        return frozenset(meaning + tail for meaning in self.bound.get(node.id, ()))

    def may_name(self, candidates: Collection[str]) -> bool:
        """Whether some import can lead to one of `candidates` (imported names only, not
        builtins): False means no name in the module can resolve to any of them."""
        if self.star:
            return True
        return any(
            candidate == meaning or candidate.startswith(meaning + ".")
            for meanings in self.bound.values()
            for meaning in meanings
            for candidate in candidates
        )

    def may_resolve(self, node: cst.CSTNode, candidates: Collection[str]) -> bool:
        """False only when `node` cannot refer to any of `candidates`."""
        if self.star:
            return True
        if isinstance(node, cst.Decorator):
            node = node.decorator
        if isinstance(node, cst.Call):
            node = node.func
        # libcst reads an attribute through calls and subscripts (`Path(p).open` is
        # "pathlib.Path.open", `sys.modules[m].x` is "sys.modules.x").
        parts = []
        while isinstance(node, (cst.Attribute, cst.Call, cst.Subscript)):
            if isinstance(node, cst.Attribute):
                parts.append(node.attr.value)
                node = node.value
            elif isinstance(node, cst.Call):
                node = node.func
            else:
                node = node.value
        if isinstance(node, _LITERALS):
            # `"".join`, `[1].count`: libcst names any attribute of a literal "builtins.None".
            return "builtins.None" in candidates
        if not isinstance(node, cst.Name):
            return True  # `(x or y).z`: left to libcst
        return self._spells(node.value, parts, candidates)

    def may_refer(self, node: ast.expr, candidates: Collection[str]) -> bool:
        """`may_resolve` on CPython's tree (a callee, an attribute chain), for `ast_candidate`.

        False only when libcst's qualified names of the same node hold none of `candidates`.
        Unlike `may_resolve`, a `from m import *` changes nothing: libcst records no binding
        for it (it cannot know the names), so no qualified name comes through it.
        """
        parts = []
        while isinstance(node, (ast.Attribute, ast.Call, ast.Subscript)):
            if isinstance(node, ast.Attribute):
                parts.append(node.attr)
                node = node.value
            elif isinstance(node, ast.Call):
                node = node.func
            else:
                node = node.value
        if isinstance(node, ast.Constant):
            # libcst reads `None`, `True` and `False` as names, `...` as no literal.
            if node.value is None or isinstance(node.value, bool):
                return self._spells(repr(node.value), parts, candidates)
            if node.value is Ellipsis:
                return True
            return "builtins.None" in candidates
        if isinstance(node, _AST_LITERALS):
            return "builtins.None" in candidates
        if not isinstance(node, ast.Name):
            return True
        return self._spells(node.id, parts, candidates)

    def heads(self, candidates: Collection[str]) -> frozenset[str] | None:
        """The names a chain (`head.x(...).y`) must start with for `may_resolve` to say yes;
        None when any may. A pre-filter tests the head before the whole chain."""
        if self.star or "builtins" in candidates:
            return None
        found = {candidate.split(".", 1)[0] for candidate in candidates}
        found |= {
            candidate.split(".", 2)[1]
            for candidate in candidates
            if candidate.startswith("builtins.")
        }
        found |= {
            local
            for local, meanings in self.bound.items()
            if any(_compatible(meaning, c) for meaning in meanings for c in candidates)
        }
        # A chain on `None` or a literal has no head (`tree_head`): ask `may_refer`.
        return frozenset(found)

    def _spells(self, head: str, parts: list[str], candidates: Collection[str]) -> bool:
        """Whether `head.<parts reversed>` may be named one of `candidates` by libcst."""
        rest = ".".join(reversed(parts))
        dot = "." if rest else ""
        for meaning in (*self.bound.get(head, ()), f"builtins.{head}", head):
            full = meaning + dot + rest
            if full in candidates:
                return True
            # A builtin's attribute is named by the builtin (`str.join` is "builtins.str"):
            # any prefix of the full name (up to a dot) may be what libcst answers.
            dot_at = full.find(".")
            while dot_at != -1:
                if full[:dot_at] in candidates:
                    return True
                dot_at = full.find(".", dot_at + 1)
        return False


@dataclass(frozen=True)
class Heads:
    """What QualifiedNameProvider makes of a chain's head, where the module makes it simple.

    A name the module never binds is a builtin (`builtins.<name>`) or nothing; a name bound
    only by imports at module level (no `def`, class, parameter, assignment, `global`, `del`
    or other binding of it anywhere), and read only after them, means what those imports
    make of it. libcst answers exactly that for such a name, after a scope analysis that
    costs several times its parse; any other name is left to it (None). Read from
    CPython's tree of the whole file, so it holds for the regions libcst parses too.
    Checked against QualifiedNameProvider on every name of the standard library
    (tests/test_semantic_names.py samples it).
    """

    imported: Mapping[str, frozenset[str]]  # head -> the meanings its imports give it
    other: frozenset[str]  # heads bound otherwise, or read before their import
    # Heads bound by an import anywhere (a def's own import included).
    ever_imported: frozenset[str]

    @classmethod
    def of(cls, tree: ast.Module) -> Heads:
        found: Heads | None = getattr(tree, _HEADS, None)
        if found is None:
            found = cls._read(tree)
            setattr(tree, _HEADS, found)
        return found

    @classmethod
    def _read(cls, tree: ast.Module) -> Heads:
        other = _bound_otherwise(tree)
        imported, ever_imported = _module_imports(tree, other)
        reads = _first_reads(tree)
        for head, (last_line, _) in list(imported.items()):
            if reads.get(head, last_line + 1) <= last_line:
                other.add(head)  # read before an import binds it: libcst's answer differs
        return cls(
            {head: meanings for head, (_, meanings) in imported.items() if head not in other},
            frozenset(other),
            frozenset(ever_imported),
        )

    def qualified_names(self, node: cst.CSTNode) -> frozenset[str] | None:
        """QualifiedNameProvider's imported and builtin names of a name or attribute chain
        (through calls and subscripts, as libcst reads it); None when not simple. A star
        import changes nothing: libcst records no binding for it."""
        parts: list[str] = []
        while isinstance(node, (cst.Attribute, cst.Call, cst.Subscript)):
            if isinstance(node, cst.Attribute):
                parts.append(node.attr.value)
                node = node.value
            else:
                node = node.func if isinstance(node, cst.Call) else node.value
        if not isinstance(node, cst.Name):
            return None
        head = node.value
        if head in self.other:
            # Bound here and there, never by an import, and no builtin's name: whatever
            # binding it reaches is a local one (libcst's LOCAL names are not reported).
            local = head not in self.ever_imported and not hasattr(builtins, head)
            return frozenset() if local else None
        meanings = self.imported.get(head)
        if meanings is None:
            return frozenset({f"builtins.{head}"}) if hasattr(builtins, head) else frozenset()
        tail = "".join(f".{part}" for part in reversed(parts))
        return frozenset(meaning + tail for meaning in meanings)


_HEADS = "_memlint_heads"


def _bound_otherwise(tree: ast.Module) -> set[str]:
    """Every name the module binds other than by an import: assignments of every kind,
    `del`, defs, classes, parameters, `except ... as`, `global`/`nonlocal`, match captures
    and (3.12) type parameters."""
    other = {
        node.id for node in astindex.nodes(tree, ast.Name) if not isinstance(node.ctx, ast.Load)
    }
    defs: list[ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef] = [
        *astindex.nodes(tree, ast.FunctionDef),
        *astindex.nodes(tree, ast.AsyncFunctionDef),
        *astindex.nodes(tree, ast.ClassDef),
    ]
    other.update(node.name for node in defs)
    other.update(node.arg for node in astindex.nodes(tree, ast.arg))
    other.update(h.name for h in astindex.nodes(tree, ast.ExceptHandler) if h.name)
    declared: list[ast.Global | ast.Nonlocal] = [
        *astindex.nodes(tree, ast.Global),
        *astindex.nodes(tree, ast.Nonlocal),
    ]
    for statement in declared:
        other.update(statement.names)
    captures: list[str | None] = [p.name for p in astindex.nodes(tree, ast.MatchAs)]
    captures += [p.name for p in astindex.nodes(tree, ast.MatchStar)]
    captures += [p.rest for p in astindex.nodes(tree, ast.MatchMapping)]
    other.update(name for name in captures if name)
    for kind_name in ("TypeVar", "ParamSpec", "TypeVarTuple"):  # Python 3.12 type parameters
        kind = getattr(ast, kind_name, None)
        if kind is not None:
            other.update(getattr(node, "name", "") for node in astindex.nodes(tree, kind))
    return other


def _module_imports(
    tree: ast.Module, other: set[str]
) -> tuple[dict[str, tuple[int, frozenset[str]]], set[str]]:
    """Each head bound by imports at module level: the last line of those imports and the
    meanings they give it; and every head some import binds. A head also imported inside a
    def or class, or by a dotted `import a.b` beside another kind of import, goes to
    `other`. `from m import *` binds nothing, for libcst as here."""
    found: dict[str, tuple[int, set[str]]] = {}
    dotted: set[str] = set()
    ever: set[str] = set()
    nested = _nested_lines(tree)
    imports: list[ast.Import | ast.ImportFrom] = [
        *astindex.nodes(tree, ast.Import),
        *astindex.nodes(tree, ast.ImportFrom),
    ]
    for node in imports:
        inside = any(first <= node.lineno <= last for first, last in nested)
        for alias in node.names:
            if alias.name == "*":
                continue
            if isinstance(node, ast.Import) and alias.asname is None:
                head = alias.name.split(".", 1)[0]
                meaning = head
                if "." in alias.name:
                    dotted.add(head)
            else:
                head = alias.asname or alias.name
                if isinstance(node, ast.Import):
                    meaning = alias.name
                else:
                    module = "." * node.level + (node.module or "")
                    meaning = f"{module}.{alias.name}" if node.module else module + alias.name
            ever.add(head)
            if inside:
                other.add(head)
                continue
            last, meanings = found.setdefault(head, (0, set()))
            meanings.add(meaning)
            found[head] = (max(last, node.end_lineno or node.lineno), meanings)
    # `import a.b` binds `a.b` and `a` to libcst: simple only when every import of `a` is
    # `import a` or `import a.<...>` (the answer is then the chain as written).
    for head in dotted:
        if head in found and found[head][1] != {head}:
            other.add(head)
    meanings_of = {head: (last, frozenset(meanings)) for head, (last, meanings) in found.items()}
    return meanings_of, ever


def _nested_lines(tree: ast.Module) -> list[tuple[int, int]]:
    """The lines of every def, class and lambda body."""
    nested: list[ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda] = [
        *astindex.nodes(tree, ast.FunctionDef),
        *astindex.nodes(tree, ast.AsyncFunctionDef),
        *astindex.nodes(tree, ast.ClassDef),
        *astindex.nodes(tree, ast.Lambda),
    ]
    return [(node.lineno, node.end_lineno or node.lineno) for node in nested]


def _first_reads(tree: ast.Module) -> dict[str, int]:
    """The first line each name is read on (attribute names are no reads)."""
    first: dict[str, int] = {}
    for node in astindex.nodes(tree, ast.Name):
        if node.lineno < first.get(node.id, node.lineno + 1):
            first[node.id] = node.lineno
    return first


def calls_to(tree: ast.Module, candidates: Collection[str]) -> list[ast.Call]:
    """The calls of CPython's tree whose callee may be one of `candidates` (imported names,
    not builtins), read through the imports as libcst's qualified names would be. With a
    star import, every call."""
    imports = Imports.of(tree)
    calls = astindex.nodes(tree, ast.Call)
    if imports.star:
        return calls
    if not imports.may_name(candidates):
        return []
    # Only a chain whose head an import binds to (a prefix of) a candidate can name one:
    # a set lookup spares most calls building their meanings.
    heads = {
        local
        for local, meanings in imports.bound.items()
        if any(_compatible(meaning, c) for meaning in meanings for c in candidates)
    }
    return [
        call
        for call in calls
        if tree_head(call.func) in heads and not imports.meanings(call.func).isdisjoint(candidates)
    ]


def _compatible(meaning: str, candidate: str) -> bool:
    """Whether a name spelled from `meaning` may be `candidate` or within it (or the other
    way round): one is the other, or a dotted prefix of it."""
    return (
        meaning == candidate
        or candidate.startswith(meaning + ".")
        or meaning.startswith(candidate + ".")
    )


def tree_head(node: ast.expr) -> str | None:
    """The name a chain of CPython's tree starts with, through attributes, calls and
    subscripts as `may_resolve` reads it (`a` for `a.b(c)[0].d`); None when it starts
    with anything else."""
    while isinstance(node, (ast.Attribute, ast.Call, ast.Subscript)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def import_alias(module: cst.Module, qualified: str) -> str | None:
    """The dotted name under which module-level imports make `qualified` reachable.

    `functools.lru_cache` is reachable as `lru_cache` after `from functools import
    lru_cache`, as `ft.lru_cache` after `import functools as ft`. None when no top-level
    import provides it.
    """
    parent, _, attr = qualified.rpartition(".")
    for statement in module.body:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if isinstance(small, cst.ImportFrom) and not small.relative:
                found = _from_import(small, parent, attr)
            elif isinstance(small, cst.Import):
                found = _plain_import(small, qualified)
            else:
                continue
            if found:
                return found
    return None


def _from_import(node: cst.ImportFrom, parent: str, attr: str) -> str | None:
    if node.module is None or get_full_name_for_node(node.module) != parent:
        return None
    if isinstance(node.names, cst.ImportStar):
        return None
    for alias in node.names:
        if get_full_name_for_node(alias.name) == attr:
            return alias.evaluated_alias or attr
    return None


def _plain_import(node: cst.Import, qualified: str) -> str | None:
    for alias in node.names:
        imported = get_full_name_for_node(alias.name) or ""
        if not qualified.startswith(imported + "."):
            continue
        rest = qualified[len(imported) :]
        if alias.asname is not None:
            return (alias.evaluated_alias or imported) + rest
        return imported + rest
    return None


def dotted(node: cst.CSTNode | None) -> str:
    """`a.b.c` for a Name/Attribute chain (the callee for a Call); "" for anything else."""
    if isinstance(node, cst.Call):
        node = node.func
    # Not get_full_name_for_node: it reads `a[0].b` and `a().b` as "a.b".
    parts = []
    while isinstance(node, cst.Attribute):
        parts.append(node.attr.value)
        node = node.value
    if not isinstance(node, cst.Name):
        return ""
    parts.append(node.value)
    return ".".join(reversed(parts))


def resolved(visitor: MetadataDependent, expr: cst.CSTNode) -> frozenset[str]:
    """The imported or builtin names a plain `a.b.c` chain refers to.

    QualifiedNameProvider reads through calls (`Path(p).open` is "pathlib.Path.open", like
    the unbound `Path.open`) and names a builtin's attribute by the builtin (`str.join` is
    "builtins.str"); both are dropped here.
    """
    if not dotted(expr) or isinstance(expr, cst.Call):
        return frozenset()
    found = qualified_names(visitor, expr)
    if isinstance(expr, cst.Attribute):
        attr = expr.attr.value
        found = frozenset(q for q in found if q.rsplit(".", 1)[-1] == attr)
    return found


def annotation_members(
    visitor: MetadataDependent, annotation: cst.BaseExpression
) -> list[frozenset[str]] | None:
    """The resolved names of the types an annotation allows, `None` left out.

    `Optional[X]`, `Union[X, Y]` and `X | Y` are split; a generic (`IO[str]`) is its
    origin. None for a string annotation (not followed).
    """
    if isinstance(annotation, (cst.SimpleString, cst.ConcatenatedString)):
        return None
    if isinstance(annotation, cst.Name) and annotation.value == "None":
        return []
    if isinstance(annotation, cst.BinaryOperation) and isinstance(annotation.operator, cst.BitOr):
        left = annotation_members(visitor, annotation.left)
        right = annotation_members(visitor, annotation.right)
        return None if left is None or right is None else left + right
    if isinstance(annotation, cst.Subscript):
        origin = resolved(visitor, annotation.value)
        if origin & {"typing.Optional", "typing.Union"}:
            members: list[frozenset[str]] = []
            for element in annotation.slice:
                if not isinstance(element.slice, cst.Index):
                    return None
                found = annotation_members(visitor, element.slice.value)
                if found is None:
                    return None
                members += found
            return members
        return [origin]
    return [resolved(visitor, annotation)]
