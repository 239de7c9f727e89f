"""Whether an expression is a file object, or a read of a whole file, and how sure we are."""

from __future__ import annotations

import ast
import dataclasses
import enum
import re
from collections.abc import Callable, Container, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import libcst as cst
from libcst import MetadataDependent
from libcst.metadata import (
    QualifiedNameProvider,
    ScopeProvider,
)

from memlint.diagnostics import Confidence
from memlint.semantic import astindex, constants, names
from memlint.semantic.bindings import Binding, NameBindings, name_bindings

PROVIDERS = (ScopeProvider, QualifiedNameProvider)

# Calls that open a stream over a file's (or the terminal's) content.
_FILE_CALLS = frozenset(
    {
        "builtins.open",
        "io.open",
        "io.open_code",
        "codecs.open",
        "gzip.open",
        "gzip.GzipFile",
        "bz2.open",
        "bz2.BZ2File",
        "lzma.open",
        "lzma.LZMAFile",
        "os.fdopen",
        "tempfile.TemporaryFile",
        "tempfile.NamedTemporaryFile",
        "tempfile.SpooledTemporaryFile",
        "io.TextIOWrapper",
        "io.BufferedReader",
        "io.BufferedRandom",
        "io.FileIO",
        "pathlib.Path.open",
        "tokenize.open",
    }
)
# Shared: `semantic.provenance` follows the path or stream these calls are given.
FILE_CALLS = _FILE_CALLS
_STDIN = frozenset({"sys.stdin", "sys.stdin.buffer", "sys.__stdin__", "sys.__stdin__.buffer"})
# Calls whose result may have a `read` but is not a file: data already in memory, network
# responses and connections, processes, archives (whose members are opened separately).
_NOT_FILE_CALLS = frozenset(
    {
        "io.BytesIO",
        "io.StringIO",
        "urllib.request.urlopen",
        "urllib.request.Request",
        "http.client.HTTPConnection",
        "http.client.HTTPSConnection",
        "socket.socket",
        "socket.create_connection",
        "socket.fromfd",
        "subprocess.Popen",
        "subprocess.run",
        "os.popen",
        "tarfile.open",
        "tarfile.TarFile",
        "zipfile.ZipFile",
        "requests.get",
        "requests.post",
        "requests.put",
        "requests.patch",
        "requests.delete",
        "requests.head",
        "requests.options",
        "requests.request",
        "requests.Session",
        "httpx.get",
        "httpx.post",
        "httpx.put",
        "httpx.patch",
        "httpx.delete",
        "httpx.head",
        "httpx.request",
        "httpx.stream",
        "httpx.Client",
        "httpx.AsyncClient",
        "aiohttp.ClientSession",
        "http.client.HTTPResponse",
        "mmap.mmap",
    }
)
# File types that wrap the stream given as their first argument, and are only as much a
# file as it is (`io.TextIOWrapper(io.BytesIO(data))` holds data already in memory).
_WRAPPERS = frozenset({"io.TextIOWrapper", "io.BufferedReader", "io.BufferedRandom"})
# Annotations that declare a file object (rules.md: TextIO, BinaryIO, IO[...], TextIOWrapper).
_FILE_TYPES = frozenset(
    {
        "typing.IO",
        "typing.TextIO",
        "typing.BinaryIO",
        "io.IOBase",
        "io.RawIOBase",
        "io.BufferedIOBase",
        "io.TextIOBase",
        "io.TextIOWrapper",
        "io.BufferedReader",
        "io.BufferedRandom",
        "io.FileIO",
        "gzip.GzipFile",
        "bz2.BZ2File",
        "lzma.LZMAFile",
        "tempfile.SpooledTemporaryFile",
    }
)
_NOT_FILE_TYPES = frozenset(
    {
        "builtins.str",
        "builtins.bytes",
        "builtins.bytearray",
        "builtins.memoryview",
        "builtins.int",
        "builtins.float",
        "builtins.list",
        "builtins.tuple",
        "builtins.dict",
        "builtins.set",
        "io.BytesIO",
        "io.StringIO",
        "http.client.HTTPResponse",
        "urllib.response.addinfourl",
        "socket.socket",
        "requests.Response",
        "requests.models.Response",
        "httpx.Response",
        "aiohttp.ClientResponse",
    }
)
_PATH_CALLS = frozenset(
    {
        "pathlib.Path",
        "pathlib.PosixPath",
        "pathlib.WindowsPath",
        "pathlib.Path.home",
        "pathlib.Path.cwd",
    }
)
_PATH_TYPES = frozenset({"pathlib.Path", "pathlib.PosixPath", "pathlib.WindowsPath"})
# Methods of a Path that return a Path.
_PATH_METHODS = frozenset(
    {
        "absolute",
        "expanduser",
        "joinpath",
        "readlink",
        "relative_to",
        "resolve",
        "with_name",
        "with_segments",
        "with_stem",
        "with_suffix",
    }
)
# Methods that only file objects have (sockets, HTTP responses and containers lack them,
# or lack them together with `read`).
_FILE_ONLY_METHODS = frozenset({"readline", "readlines", "seek", "tell", "fileno", "truncate"})
_READ_METHODS = frozenset({"read", "readlines"})
_PATH_READS = frozenset({"read_text", "read_bytes"})
# Words one of which a file must spell for `file_object` or `whole_read` to find anything
# in it: the last part of every file-opening call and file annotation, stdin, and the read
# methods that show a name of unknown value is a file. A rule about files uses them as its
# text pre-filter, so a word missing here is a silent false negative there.
EVIDENCE_WORDS: tuple[str, ...] = tuple(
    sorted(
        {name.rsplit(".", 1)[-1] for name in _FILE_CALLS | _FILE_TYPES}
        | {"stdin", "__stdin__"}
        | _READ_METHODS
        | _PATH_READS
    )
)
# Parameter names that, by long convention, hold an open file (`json.load(fp)`,
# `pickle.load(file)`, `csv.reader(csvfile)`).
_FILE_PARAMETER = re.compile(
    r"""^(?:f|fp|fh|fo|fin|fobj|file_?obj(?:ect)?|file|infile|in_file|input_file|stream)$
    |_(?:fp|fh|fobj|fileobj|file|stream)$
    |^(?:csv|json|data|src|source|input|text|txt|log|bin|tmp|temp|conf|config|cfg|in|out)file$""",
    re.VERBOSE,
)
# The keyword arguments of `Path.read_text` (and none for `read_bytes`).
_READ_TEXT_KEYWORDS = frozenset({"encoding", "errors", "newline"})
_LITERALS = (
    cst.SimpleString,
    cst.ConcatenatedString,
    cst.FormattedString,
    cst.Integer,
    cst.Float,
    cst.Imaginary,
    cst.List,
    cst.Tuple,
    cst.Dict,
    cst.Set,
    cst.ListComp,
    cst.SetComp,
    cst.DictComp,
    cst.GeneratorExp,
    cst.Lambda,
)


def _annotated(
    visitor: MetadataDependent, annotation: cst.BaseExpression | None, types: frozenset[str]
) -> bool:
    """Whether every type the annotation allows (`None` aside) is one of `types`."""
    members = names.annotation_members(visitor, annotation) if annotation is not None else None
    return bool(members) and all(member & types for member in members or ())


# -- file objects ----------------------------------------------------------------------------


class _Level(enum.IntEnum):
    """How much is known about whether a value is a file."""

    ABSENT = 0  # `None`: not a value anything is read from; ignored among bindings
    NOT = 1
    UNKNOWN = 2
    MEDIUM = 3
    HIGH = 4


# (scope id, name) of the names being followed: `x = x + 1` must not loop.
_Seen = frozenset[tuple[int, str]]


def file_object(visitor: MetadataDependent, expr: cst.BaseExpression) -> Confidence | None:
    """Whether `expr` is a file object: HIGH when proven, MEDIUM when its use shows it.

    HIGH: a call that opens a file (`open`, `io.open`, `codecs.open`, `gzip/bz2/lzma.open`,
    `tempfile` files, `os.fdopen`, `io.TextIOWrapper/BufferedReader/FileIO`, `<Path>.open`),
    `sys.stdin` (`.buffer`), or a name every binding of which, in the scope it is used in,
    is one of those (`f = open(p)`, `with open(p) as f`, a parameter annotated `TextIO`,
    `BinaryIO`, `IO[...]`, `io.TextIOWrapper`, ...). Bindings to `None` are ignored.

    MEDIUM: a name with at least one binding proven a file and others unknown; or a name
    none of whose bindings is known either way (a parameter without a file annotation, a
    name bound to an unknown call, a loop target) when its uses in the same function show
    a file: it is read (`.read` or `.readlines`) and, besides, either
      - used with another file-only method (`readline`, `readlines`, `seek`, `tell`,
        `fileno`, `truncate`), or iterated by a `for`, or
      - it is a parameter named as files conventionally are (`f`, `fp`, `fh`, `file`,
        `fileobj`, `stream`, `infile`, `*_file`, `*_fp`, `csvfile`, ...).
    So `def load(fp): return json.loads(fp.read())` is MEDIUM; `resp.read()` on a response
    with no other evidence is not, and nor is anything bound to a known non-file
    (`io.BytesIO`, `urllib.request.urlopen`, `requests.get`, a socket, a literal).
    """
    return _confidence(_level(visitor, expr, frozenset()))


def may_be_file(visitor: MetadataDependent, expr: cst.BaseExpression) -> bool:
    """A cheap necessary condition for `file_object(visitor, expr)`: no scope analysis.

    False only when nothing in the module could make `expr` a file: a call that spells no
    file-opening word, a name never bound from one, never annotated as a file and never
    read from. True when unsure (no CPython tree: syntax newer than this Python).
    """
    context = getattr(visitor, "context", None)
    tree = getattr(context, "tree", None)
    if tree is None:
        return True
    words, file_names = _file_evidence(context)
    return _may_be_file(expr, words, file_names)


def _may_be_file(expr: cst.BaseExpression, words: frozenset[str], found: Container[str]) -> bool:
    if isinstance(expr, cst.Call):
        callee = expr.func
        while isinstance(callee, (cst.Attribute, cst.Call)):
            if isinstance(callee, cst.Attribute) and callee.attr.value in words:
                return True
            callee = callee.value if isinstance(callee, cst.Attribute) else callee.func
        return isinstance(callee, cst.Name) and callee.value in words
    if isinstance(expr, cst.Attribute):
        return expr.attr.value in ("stdin", "__stdin__", "buffer")
    if isinstance(expr, cst.Name):
        return expr.value in found
    if isinstance(expr, cst.IfExp):
        return _may_be_file(expr.body, words, found) or _may_be_file(expr.orelse, words, found)
    return False


def _file_evidence(context: Any) -> tuple[frozenset[str], _Evidence]:
    """The module's file words (with import aliases of them) and the names that may be files.

    Worked out from CPython's tree and kept on it: the pre-filter (`tree_may_be_file`) and
    the rules share one computation.
    """
    return _tree_evidence(context.tree, context.imports)


_EVIDENCE = "_memlint_file_evidence"


def _tree_evidence(
    tree: ast.Module, imports: names.Imports | None = None
) -> tuple[frozenset[str], _Evidence]:
    evidence: _Evidence | None = getattr(tree, _EVIDENCE, None)
    if evidence is None:
        evidence = _Evidence(tree, imports if imports is not None else names.Imports.of(tree))
        setattr(tree, _EVIDENCE, evidence)
    return evidence.words, evidence


class _Evidence:
    """Which names of a module may be files, each worked out when first asked.

    A name may be a file when it is an import alias of a file word, is read from (`x.read`,
    `x.readlines`), is a parameter whose annotation spells a file word, or is bound
    (`=`, `: T =`, `:=`, `with ... as`) to a value that spells one (for `x: T = v`, an
    annotation that spells one stands for the value) or that mentions a name which may be
    a file (`g = f`). Only the values of the names asked about, and of the names they
    mention, are walked: most of a module never is.
    """

    def __init__(self, tree: ast.Module, imports: names.Imports) -> None:
        words = set(EVIDENCE_WORDS)
        aliases = {
            local
            for local, meanings in imports.bound.items()
            if any(meaning.rsplit(".", 1)[-1] in words for meaning in meanings)
        }
        self.words = frozenset(words | aliases)
        self._scans: dict[int, tuple[bool, frozenset[str]]] = {}
        # Names that may be files whatever their values are.
        self._sure = set(aliases)
        for attribute in astindex.nodes(tree, ast.Attribute):
            if attribute.attr in _READ_METHODS and isinstance(attribute.value, ast.Name):
                self._sure.add(attribute.value.id)
        for arg in astindex.nodes(tree, ast.arg):
            if arg.annotation is not None and self._scan(arg.annotation)[0]:
                self._sure.add(arg.arg)
        self._tree = tree
        self._values: dict[str, list[ast.expr]] | None = None  # built when first needed
        self._answers: dict[str, bool] = {}

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        answer = self._answers.get(name)
        if answer is None:
            answer = self._reaches_a_file(name)
            self._answers[name] = answer
        return answer

    def _reaches_a_file(self, name: str) -> bool:
        todo, seen = [name], {name}
        while todo:
            current = todo.pop()
            known = self._answers.get(current)
            if current in self._sure or known:
                return True
            if known is False:
                continue  # nothing it reaches may be a file
            for value in self._bound_values().get(current, ()):
                spelled, mentioned = self._scan(value)
                if spelled:
                    return True
                todo += [other for other in mentioned if other not in seen]
                seen.update(mentioned)
        return False

    def _bound_values(self) -> dict[str, list[ast.expr]]:
        """The values each name is bound to (the annotation, when it spells a file word)."""
        if self._values is not None:
            return self._values
        tree = self._tree
        bindings: list[tuple[list[ast.expr], ast.expr | None]] = []
        bindings += [(node.targets, node.value) for node in astindex.nodes(tree, ast.Assign)]
        for annotated in astindex.nodes(tree, ast.AnnAssign):
            spelled = self._scan(annotated.annotation)[0]
            value = annotated.annotation if spelled else annotated.value
            bindings.append(([annotated.target], value))
        bindings += [([node.target], node.value) for node in astindex.nodes(tree, ast.NamedExpr)]
        bindings += [
            ([item.optional_vars], item.context_expr)
            for item in astindex.nodes(tree, ast.withitem)
            if item.optional_vars is not None
        ]
        self._values = {}
        for targets, value in bindings:
            if value is None:
                continue
            for target in targets:
                for name in _names_in(target):
                    self._values.setdefault(name, []).append(value)
        return self._values

    def _scan(self, node: ast.expr) -> tuple[bool, frozenset[str]]:
        """Whether `node` spells a file word, and the names it mentions."""
        found = self._scans.get(id(node))
        if found is None:
            attributes: set[str] = set()
            mentioned = _names_in(node, attributes)
            found = (not self.words.isdisjoint(mentioned | attributes), mentioned)
            self._scans[id(node)] = found
        return found


def _names_in(node: ast.AST, attributes: set[str] | None = None) -> frozenset[str]:
    """The names in `node`'s subtree (and the attribute names, into `attributes`).

    `ast.walk` visits the `Load`/`Store` context of every name; this does not.
    """
    if isinstance(node, ast.Name):  # most targets, many values
        return frozenset((node.id,))
    names: set[str] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, ast.Name):
            names.add(current.id)
        elif isinstance(current, ast.Attribute):
            if attributes is not None:
                attributes.add(current.attr)
            stack.append(current.value)
        elif not isinstance(current, ast.Constant):
            for field in current._fields:
                value = getattr(current, field, None)
                if isinstance(value, ast.AST):
                    stack.append(value)
                elif isinstance(value, list):
                    stack += [item for item in value if isinstance(item, ast.AST)]
    return frozenset(names)


# -- the same questions on CPython's tree, for a rule's pre-filter ---------------------------


def tree_may_be_file(tree: ast.Module, expr: ast.expr) -> bool:
    """`may_be_file` for an expression of CPython's tree: False only when `file_object` of
    the same expression is surely None."""
    words, found = _tree_evidence(tree)
    return _tree_file(expr, words, found)


def _tree_file(expr: ast.expr, words: frozenset[str], found: Container[str]) -> bool:
    # Mirrors `_may_be_file` node for node.
    if isinstance(expr, ast.Call):
        callee = expr.func
        while isinstance(callee, (ast.Attribute, ast.Call)):
            if isinstance(callee, ast.Attribute) and callee.attr in words:
                return True
            callee = callee.value if isinstance(callee, ast.Attribute) else callee.func
        return isinstance(callee, ast.Name) and callee.id in words
    if isinstance(expr, ast.Attribute):
        return expr.attr in ("stdin", "__stdin__", "buffer")
    if isinstance(expr, ast.Name):
        return expr.id in found
    if isinstance(expr, ast.IfExp):
        return _tree_file(expr.body, words, found) or _tree_file(expr.orelse, words, found)
    return False


def tree_may_be_whole_read(tree: ast.Module, expr: ast.expr, *, readlines: bool) -> bool:
    """False only when `whole_read` of the same expression is surely None, or (unless
    `readlines`) surely a `readlines()` read.

    Names and scopes are not resolved: a name may be a read when some assignment anywhere
    in the module binds it to one (`text = f.read()`, or to such a name).
    """
    if isinstance(expr, ast.Name):
        return tree_has_whole_read(tree, readlines=readlines) and expr.id in _tree_read_names(
            tree, readlines
        )
    return _tree_read_call(tree, expr, readlines)


def tree_has_whole_read(tree: ast.Module, *, readlines: bool) -> bool:
    """Whether some call in the module may be a whole read (`tree_may_be_whole_read`):
    without one, no name is bound to a read either. Kept on the tree."""
    key = f"_memlint_has_whole_read_{readlines}"
    found: bool | None = getattr(tree, key, None)
    if found is None:
        methods = _READ_METHODS | _PATH_READS if readlines else _PATH_READS | {"read"}
        found = any(
            isinstance(call.func, ast.Attribute)
            and call.func.attr in methods
            and _tree_read_call(tree, call, readlines)
            for call in astindex.nodes(tree, ast.Call)
        )
        setattr(tree, key, found)
    return found


def _tree_read_call(tree: ast.Module, expr: ast.expr, readlines: bool) -> bool:
    if not isinstance(expr, ast.Call) or not isinstance(expr.func, ast.Attribute):
        return False
    method = expr.func.attr
    if method in _PATH_READS:
        return not tree_starred(expr)
    if method == "read":
        whole = _tree_no_limit(expr, ("size", "n"), lambda size: size < 0)
    elif method == "readlines" and readlines:
        whole = _tree_no_limit(expr, ("hint",), lambda hint: hint <= 0)
    else:
        return False
    return whole and tree_may_be_file(tree, expr.func.value)


def tree_starred(call: ast.Call) -> bool:
    """Whether the call has a `*args` or `**kwargs` (a libcst `Arg` with a star)."""
    return any(isinstance(arg, ast.Starred) for arg in call.args) or any(
        keyword.arg is None for keyword in call.keywords
    )


def _tree_no_limit(
    call: ast.Call, keywords: tuple[str, ...], unlimited: Callable[[float], bool]
) -> bool:
    """`_no_limit` on CPython's tree, True where it cannot tell."""
    given = [*call.args, *call.keywords]
    if not given:
        return True
    if len(given) > 1 or tree_starred(call):
        return False
    value = call.args[0] if call.args else call.keywords[0].value
    if call.keywords and call.keywords[0].arg not in keywords:
        return False
    if isinstance(value, ast.Constant) and value.value is None:
        return True
    return constants.tree_may_fold_to(value, unlimited)


def _tree_read_names(tree: ast.Module, readlines: bool) -> frozenset[str]:
    """The names some `name = <read>` (or `name: T = <read>`) binds, followed through
    `b = a`; kept on the tree."""
    key = f"_memlint_read_names_{readlines}"
    found: frozenset[str] | None = getattr(tree, key, None)
    if found is not None:
        return found
    bound: list[tuple[str, ast.expr]] = []
    for assign in astindex.nodes(tree, ast.Assign):
        bound += [(t.id, assign.value) for t in assign.targets if isinstance(t, ast.Name)]
    for annotated in astindex.nodes(tree, ast.AnnAssign):
        if annotated.value is not None and isinstance(annotated.target, ast.Name):
            bound.append((annotated.target.id, annotated.value))
    reads = {name for name, value in bound if _tree_read_call(tree, value, readlines)}
    links = [(name, value.id) for name, value in bound if isinstance(value, ast.Name)]
    changed = True
    while changed:  # `text = raw` with `raw = f.read()`
        changed = False
        for name, source in links:
            if source in reads and name not in reads:
                reads.add(name)
                changed = True
    found = frozenset(reads)
    setattr(tree, key, found)
    return found


def _confidence(level: _Level) -> Confidence | None:
    if level is _Level.HIGH:
        return Confidence.HIGH
    if level is _Level.MEDIUM:
        return Confidence.MEDIUM
    return None


def _level(visitor: MetadataDependent, expr: cst.BaseExpression, seen: _Seen) -> _Level:
    if isinstance(expr, cst.Call):
        return _call_level(visitor, expr, seen)
    if isinstance(expr, (cst.Name, cst.Attribute)) and names.resolved(visitor, expr) & _STDIN:
        return _Level.HIGH
    if isinstance(expr, cst.Name):
        if expr.value == "None":
            return _Level.ABSENT
        return _name_level(visitor, expr, seen)
    if isinstance(expr, cst.IfExp):
        branches = [_level(visitor, expr.body, seen), _level(visitor, expr.orelse, seen)]
        return _combine(branches)
    if isinstance(expr, _LITERALS):
        return _Level.NOT
    return _Level.UNKNOWN


def _call_level(visitor: MetadataDependent, call: cst.Call, seen: _Seen) -> _Level:
    callee = names.resolved(visitor, call.func)
    wrapped = call.args[0] if callee & _WRAPPERS and call.args else None
    if wrapped and not wrapped.star and _level(visitor, wrapped.value, seen) is _Level.NOT:
        return _Level.NOT
    if callee & _FILE_CALLS:
        return _Level.HIGH
    if callee & _NOT_FILE_CALLS:
        return _Level.NOT
    func = call.func
    if (
        isinstance(func, cst.Attribute)
        and func.attr.value == "open"
        and _is_path(visitor, func.value, seen) is True
    ):
        return _Level.HIGH
    return _Level.UNKNOWN


def _combine(levels: Iterable[_Level]) -> _Level:
    """One level for a value that is any of several: every binding must agree for HIGH."""
    present = [level for level in levels if level is not _Level.ABSENT]
    if not present:
        return _Level.ABSENT
    if _Level.NOT in present:
        return _Level.NOT
    if all(level is _Level.HIGH for level in present):
        return _Level.HIGH
    if any(level >= _Level.MEDIUM for level in present):
        return _Level.MEDIUM
    return _Level.UNKNOWN


def _name_level(visitor: MetadataDependent, name: cst.Name, seen: _Seen) -> _Level:
    found = name_bindings(visitor, name)
    if found is None:
        return _Level.UNKNOWN
    key = (id(found.scope), name.value)
    if key in seen:
        return _Level.UNKNOWN
    inner = seen | {key}
    level = _combine(_binding_level(visitor, b, inner) for b in found.bindings)
    if level is _Level.UNKNOWN and _used_as_file(found):
        return _Level.MEDIUM
    return level


def _binding_level(visitor: MetadataDependent, binding: Binding, seen: _Seen) -> _Level:
    if binding.kind in ("param", "annassign") and binding.annotation is not None:
        if _annotated(visitor, binding.annotation, _FILE_TYPES):
            return _Level.HIGH
        if _annotated(visitor, binding.annotation, _NOT_FILE_TYPES):
            return _Level.NOT
    if binding.kind == "param":
        return _Level.UNKNOWN if not binding.star else _Level.NOT
    if binding.kind in ("assign", "annassign", "with", "walrus") and binding.value is not None:
        return _level(visitor, binding.value, seen)
    return _Level.UNKNOWN


def _used_as_file(found: NameBindings) -> bool:
    """Whether the uses of a name of unknown value show it is a file (see `file_object`)."""
    attributes = found.attributes
    if not attributes & _READ_METHODS:
        return False
    # `readlines` is file-only, but when it is the read it cannot also corroborate it.
    corroborating = attributes & (_FILE_ONLY_METHODS - {"readlines"})
    if corroborating or attributes >= _READ_METHODS or found.iterated:
        return True
    return any(
        b.kind == "param"
        and isinstance(b.node, cst.Param)
        and bool(_FILE_PARAMETER.match(b.node.name.value.lower()))
        for b in found.bindings
    )


# -- paths -----------------------------------------------------------------------------------


def is_path(visitor: MetadataDependent, expr: cst.BaseExpression) -> bool:
    """Whether `expr` is proven a `pathlib.Path`."""
    return _is_path(visitor, expr, frozenset()) is True


def _is_path(visitor: MetadataDependent, expr: cst.BaseExpression, seen: _Seen) -> bool | None:
    """True when proven a Path, False when not; None when it depends on a name being worked
    out (`p = p / "x"` keeps a Path a Path) or is `None`."""
    if isinstance(expr, cst.Call):
        if names.resolved(visitor, expr.func) & _PATH_CALLS:
            return True
        func = expr.func
        if isinstance(func, cst.Attribute) and func.attr.value in _PATH_METHODS:
            return _is_path(visitor, func.value, seen)
        return False
    if isinstance(expr, cst.Attribute):
        return expr.attr.value == "parent" and _is_path(visitor, expr.value, seen)
    if isinstance(expr, cst.BinaryOperation):
        if not isinstance(expr.operator, cst.Divide):
            return False
        sides = (_is_path(visitor, expr.left, seen), _is_path(visitor, expr.right, seen))
        return True if True in sides else None if None in sides else False
    if not isinstance(expr, cst.Name):
        return False
    if expr.value == "None":
        return None
    found = name_bindings(visitor, expr)
    if found is None:
        return False
    key = (id(found.scope), expr.value)
    if key in seen:
        return None
    inner = seen | {key}
    proven = [_binding_is_path(visitor, b, inner) for b in found.bindings]
    if False in proven:
        return False
    return True if True in proven else None


def _binding_is_path(visitor: MetadataDependent, binding: Binding, seen: _Seen) -> bool | None:
    if binding.kind in ("param", "annassign") and _annotated(
        visitor, binding.annotation, _PATH_TYPES
    ):
        return True
    if binding.kind not in ("assign", "annassign", "walrus") or binding.value is None:
        return False
    return _is_path(visitor, binding.value, seen)


# -- whole-file reads ------------------------------------------------------------------------


@dataclass(frozen=True)
class WholeRead:
    """A call that reads a whole file into memory."""

    call: cst.Call
    method: str  # "read", "read_text", "read_bytes" or "readlines"
    receiver: cst.BaseExpression
    confidence: Confidence
    # Set when the expression asked about is a name bound once to the read.
    via_name: cst.Name | None = None


def whole_read(visitor: MetadataDependent, expr: cst.BaseExpression) -> WholeRead | None:
    """The whole-file read `expr` is, or holds the result of; None when it is not one.

    A read is `<file>.read()` with no size, a negative constant size or `None`;
    `<file>.readlines()` with no hint, a hint of 0 or less, or `None`; `<Path>.read_text()`
    and `<Path>.read_bytes()`. `<file>` is what `file_object` accepts, and its confidence
    is the read's. `read_text`/`read_bytes` are HIGH on a proven `pathlib.Path` and MEDIUM on
    anything else but a module or class (`importlib.resources.read_text(pkg, name)` is not
    one), provided they get at most `Path.read_text`'s keywords (`encoding`, `errors`,
    `newline`).

    A name is followed to its binding when it is bound exactly once in the function (module,
    class body) it is read in, by `name = <read>` or `name: T = <read>`; the answer then has
    `via_name` set to `expr`. Not when the name is bound anywhere else in that scope, is a
    `global`/`nonlocal`, or is bound in an enclosing function.
    """
    return _whole_read(visitor, expr, frozenset())


def _whole_read(
    visitor: MetadataDependent, expr: cst.BaseExpression, seen: _Seen
) -> WholeRead | None:
    if isinstance(expr, cst.Name):
        return _read_via_name(visitor, expr, seen)
    if not isinstance(expr, cst.Call) or not isinstance(expr.func, cst.Attribute):
        return None
    method = expr.func.attr.value
    receiver = expr.func.value
    if method in _PATH_READS:
        return _path_read(visitor, expr, method, receiver)
    if method == "read":
        whole = _no_limit(expr.args, ("size", "n"), lambda size: size < 0)
    elif method == "readlines":
        whole = _no_limit(expr.args, ("hint",), lambda hint: hint <= 0)
    else:
        return None
    if not whole:
        return None
    confidence = file_object(visitor, receiver)
    if confidence is None:
        return None
    return WholeRead(expr, method, receiver, confidence)


def _no_limit(
    args: Sequence[cst.Arg], keywords: tuple[str, ...], unlimited: Callable[[float], bool]
) -> bool:
    """Whether a size argument, if any, asks for everything (absent, `None` or per `unlimited`)."""
    if not args:
        return True
    if len(args) > 1 or args[0].star:
        return False
    arg = args[0]
    if arg.keyword is not None and arg.keyword.value not in keywords:
        return False
    if isinstance(arg.value, cst.Name) and arg.value.value == "None":
        return True
    value = constants.fold(arg.value)
    return value is not None and unlimited(value)


def _path_read(
    visitor: MetadataDependent, call: cst.Call, method: str, receiver: cst.BaseExpression
) -> WholeRead | None:
    if any(arg.star for arg in call.args):
        return None
    if names.resolved(visitor, call.func) & {"pathlib.Path.read_text", "pathlib.Path.read_bytes"}:
        # The unbound form, `Path.read_text(p)`.
        path = call.args[0].value if call.args else receiver
        return WholeRead(call, method, path, Confidence.HIGH)
    if is_path(visitor, receiver):
        return WholeRead(call, method, receiver, Confidence.HIGH)
    keywords = [arg.keyword.value if arg.keyword is not None else "" for arg in call.args]
    if any(keyword not in _READ_TEXT_KEYWORDS for keyword in keywords):
        return None
    # A module's or class's own `read_text` (`importlib.resources.read_text`) reads
    # something else.
    if names.resolved(visitor, receiver):
        return None
    return WholeRead(call, method, receiver, Confidence.MEDIUM)


def _read_via_name(visitor: MetadataDependent, name: cst.Name, seen: _Seen) -> WholeRead | None:
    found = name_bindings(visitor, name)
    if found is None or len(found.bindings) != 1:
        return None
    binding = found.bindings[0]
    if binding.kind not in ("assign", "annassign") or binding.value is None:
        return None
    key = (id(found.scope), name.value)
    if key in seen:
        return None
    read = _whole_read(visitor, binding.value, seen | {key})
    return dataclasses.replace(read, via_name=name) if read is not None else None


# -- text or binary --------------------------------------------------------------------------

# Calls whose file is binary whatever they are given.
_BINARY_CALLS = frozenset(
    {
        "io.open_code",
        "io.FileIO",
        "io.BufferedReader",
        "io.BufferedRandom",
        "gzip.GzipFile",
        "bz2.BZ2File",
        "lzma.LZMAFile",
    }
)
# Calls that take a mode: the index of the positional `mode`, and the default mode.
_MODE_CALLS: dict[str, tuple[int, str]] = {
    "builtins.open": (1, "r"),
    "io.open": (1, "r"),
    "os.fdopen": (1, "r"),
    "codecs.open": (1, "r"),
    "gzip.open": (1, "rb"),
    "bz2.open": (1, "rb"),
    "lzma.open": (1, "rb"),
    "tempfile.TemporaryFile": (0, "w+b"),
    "tempfile.NamedTemporaryFile": (0, "w+b"),
    "tempfile.SpooledTemporaryFile": (1, "w+b"),
    "pathlib.Path.open": (1, "r"),  # unbound: `Path.open(p, mode)`
}
# The compression modules' `open` is binary unless the mode asks for text.
_TEXT_ON_REQUEST = frozenset({"gzip.open", "bz2.open", "lzma.open"})
_TEXT_STREAMS = frozenset({"sys.stdin", "sys.__stdin__"})
_BINARY_STREAMS = frozenset({"sys.stdin.buffer", "sys.__stdin__.buffer"})
_TEXT_TYPES = frozenset({"typing.TextIO", "io.TextIOWrapper", "io.TextIOBase"})
_BINARY_TYPES = frozenset(
    {
        "typing.BinaryIO",
        "io.BufferedReader",
        "io.BufferedRandom",
        "io.BufferedIOBase",
        "io.RawIOBase",
        "io.FileIO",
        "gzip.GzipFile",
        "bz2.BZ2File",
        "lzma.LZMAFile",
    }
)


def is_binary(visitor: MetadataDependent, expr: cst.BaseExpression) -> bool | None:
    """Whether the file object `expr` reads bytes (True) or text (False); None when unknown.

    Known from the call that opens it and a mode given as a string literal (`open(p, "rb")`,
    `gzip.open(p)` and `gzip.open(p, "rt")`, `<Path>.open()`, `tempfile` files, `io.FileIO`,
    `io.TextIOWrapper`, `codecs.open` with an encoding), `sys.stdin` and `sys.stdin.buffer`,
    a parameter annotated `TextIO` or `BinaryIO` (and the `io` classes), or a name whose
    every binding in its scope agrees (as `file_object` follows them; `None` is ignored).
    """
    return _binary(visitor, expr, frozenset())


def _binary(visitor: MetadataDependent, expr: cst.BaseExpression, seen: _Seen) -> bool | None:
    if isinstance(expr, cst.Call):
        return _call_binary(visitor, expr)
    if isinstance(expr, cst.IfExp):
        body, orelse = _binary(visitor, expr.body, seen), _binary(visitor, expr.orelse, seen)
        return body if body == orelse else None
    if not isinstance(expr, (cst.Name, cst.Attribute)):
        return None
    stream = names.resolved(visitor, expr)
    if stream & (_TEXT_STREAMS | _BINARY_STREAMS):
        return bool(stream & _BINARY_STREAMS)
    if not isinstance(expr, cst.Name):
        return None
    found = name_bindings(visitor, expr)
    if found is None or (id(found.scope), expr.value) in seen:
        return None
    inner = seen | {(id(found.scope), expr.value)}
    answers = {
        _binding_binary(visitor, b, inner)
        for b in found.bindings
        if not (isinstance(b.value, cst.Name) and b.value.value == "None")
    }
    return answers.pop() if len(answers) == 1 else None


def _binding_binary(visitor: MetadataDependent, binding: Binding, seen: _Seen) -> bool | None:
    if binding.kind in ("param", "annassign") and binding.annotation is not None:
        if _annotated(visitor, binding.annotation, _TEXT_TYPES):
            return False
        if _annotated(visitor, binding.annotation, _BINARY_TYPES):
            return True
        return _io_binary(visitor, binding.annotation)
    if binding.kind in ("assign", "annassign", "with", "walrus") and binding.value is not None:
        return _binary(visitor, binding.value, seen)
    return None


def _io_binary(visitor: MetadataDependent, annotation: cst.BaseExpression) -> bool | None:
    """`IO[bytes]` is binary, `IO[str]` text; None for any other annotation."""
    if not isinstance(annotation, cst.Subscript) or len(annotation.slice) != 1:
        return None
    if "typing.IO" not in names.resolved(visitor, annotation.value):
        return None
    element = annotation.slice[0].slice
    if not isinstance(element, cst.Index):
        return None
    kind = names.resolved(visitor, element.value)
    return True if "builtins.bytes" in kind else False if "builtins.str" in kind else None


def _call_binary(visitor: MetadataDependent, call: cst.Call) -> bool | None:
    if any(arg.star for arg in call.args):
        return None
    callee = names.resolved(visitor, call.func)
    if callee & _BINARY_CALLS:
        return True
    if callee & {"io.TextIOWrapper", "tokenize.open"}:
        return False
    opened = _call_mode(visitor, call)
    if opened is None:
        return None
    qualified, mode = opened
    if qualified == "codecs.open" and _argument(call, 2, "encoding") is not None:
        return False  # with an encoding, codecs.open always decodes
    if qualified in _TEXT_ON_REQUEST:
        return "t" not in mode
    return "b" in mode


def open_mode(visitor: MetadataDependent, expr: cst.BaseExpression) -> str | None:
    """The mode string the file object `expr` was opened with; None when it is not known.

    Known when a call that takes a mode opens it (`open`, `io.open`, `os.fdopen`,
    `codecs.open`, `gzip/bz2/lzma.open`, `tempfile` files, `<Path>.open`) with a mode given
    as a string literal or left to its default (`"r"`, `"rb"` for the compression modules,
    `"w+b"` for `tempfile`), directly or through a name every binding of which agrees
    (`None` is ignored). Not for annotations, `sys.stdin` or other file types.
    """
    return _mode(visitor, expr, frozenset())


def _mode(visitor: MetadataDependent, expr: cst.BaseExpression, seen: _Seen) -> str | None:
    if isinstance(expr, cst.Call):
        opened = _call_mode(visitor, expr)
        return opened[1] if opened is not None else None
    if isinstance(expr, cst.IfExp):
        body, orelse = _mode(visitor, expr.body, seen), _mode(visitor, expr.orelse, seen)
        return body if body == orelse else None
    if not isinstance(expr, cst.Name):
        return None
    found = name_bindings(visitor, expr)
    if found is None or (id(found.scope), expr.value) in seen:
        return None
    inner = seen | {(id(found.scope), expr.value)}
    answers = {
        _mode(visitor, b.value, inner)
        if b.kind in ("assign", "annassign", "with", "walrus") and b.value is not None
        else None
        for b in found.bindings
        if not (isinstance(b.value, cst.Name) and b.value.value == "None")
    }
    return answers.pop() if len(answers) == 1 else None


def _call_mode(visitor: MetadataDependent, call: cst.Call) -> tuple[str, str] | None:
    """The opening call's qualified name ("" for `<Path>.open`) and its literal mode."""
    if any(arg.star for arg in call.args):
        return None
    callee = names.resolved(visitor, call.func)
    qualified = next(iter(callee & _MODE_CALLS.keys()), None)
    func = call.func
    if qualified is not None:
        index, default = _MODE_CALLS[qualified]
    elif (
        isinstance(func, cst.Attribute)
        and func.attr.value == "open"
        and is_path(visitor, func.value)
    ):
        qualified, index, default = "", 0, "r"
    else:
        return None
    given = _argument(call, index, "mode")
    if given is None:
        return qualified, default
    if isinstance(given, cst.SimpleString) and isinstance(given.evaluated_value, str):
        return qualified, given.evaluated_value
    return None


def _argument(call: cst.Call, index: int, keyword: str) -> cst.BaseExpression | None:
    """The value of a call's argument given by position `index` or by `keyword`."""
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == keyword:
            return arg.value
    positional = [arg for arg in call.args if arg.keyword is None]
    return positional[index].value if index < len(positional) else None
