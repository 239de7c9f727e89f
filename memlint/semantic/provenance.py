"""Where the data behind a finding comes from: small by construction, unbounded, or unknown."""

from __future__ import annotations

import ast
import bisect
import enum
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Union

import libcst as cst
from libcst import MetadataDependent
from libcst.metadata import PositionProvider

from memlint.diagnostics import Confidence
from memlint.fixes import LineIndex
from memlint.semantic import astindex, files, names


class Kind(str, enum.Enum):
    BOUNDED = "bounded"  # small by construction: a config file, the package's own data
    UNBOUNDED = "unbounded"  # as large as the outside world makes it: argv, a download
    UNKNOWN = "unknown"


_CONFIDENCE = {Kind.BOUNDED: Confidence.LOW, Kind.UNKNOWN: Confidence.MEDIUM}


@dataclass(frozen=True)
class Provenance:
    """What decides the size of a finding's data, and why, in a few words that follow the
    finding's message ("reads `pyvenv.cfg`, a small config file")."""

    kind: Kind
    reason: str = ""
    # What made it bounded, for paths built on it: "config" (a file name), "package",
    # "system" (a folder whose files are small), "code" (data written in the code).
    origin: str = ""

    @property
    def confidence(self) -> Confidence:
        """The most a finding about data of this provenance can claim."""
        return _CONFIDENCE.get(self.kind, Confidence.HIGH)

    @property
    def known(self) -> bool:
        return self.kind is not Kind.UNKNOWN


UNKNOWN = Provenance(Kind.UNKNOWN)


def bounded(reason: str, origin: str = "") -> Provenance:
    return Provenance(Kind.BOUNDED, reason, origin)


def unbounded(reason: str) -> Provenance:
    return Provenance(Kind.UNBOUNDED, reason)


# -- test code and build scripts ---------------------------------------------------------------

_TEST_FOLDERS = frozenset({"test", "tests"})
_TEST_CODE = bounded("in test code, which runs on small inputs")
_SETUP_PY = bounded("in `setup.py`, which runs once at build time")


def scaffolding(path: str, root: str) -> Provenance | None:
    """Bounded when the file is test code (under `tests/` or `test/`, `test_*.py`,
    `*_test.py`, `conftest.py`) or a `setup.py`; None for any other file.

    The path is read relative to the project root when it lies inside it, so a project
    that itself lives in a folder called `tests` is not all test code.
    """
    absolute = os.path.abspath(path)
    base = os.path.abspath(root)
    inside = absolute.startswith(base.rstrip(os.sep) + os.sep)
    shown = os.path.relpath(absolute, base) if inside else path
    parts = [part for part in re.split(r"[\\/]", shown) if part]
    if not parts:
        return None
    name = parts[-1]
    if name == "setup.py":
        return _SETUP_PY
    stem = name[:-3] if name.endswith(".py") else None
    if stem is not None and (
        stem == "conftest" or stem.startswith("test_") or stem.endswith("_test")
    ):
        return _TEST_CODE
    if any(part in _TEST_FOLDERS for part in parts[:-1]):
        return _TEST_CODE
    return None


def _names(text: str) -> frozenset[str]:
    """A set of names written one after another (long tables read better so)."""
    return frozenset(text.split())


# -- file names --------------------------------------------------------------------------------

_CONFIG_EXTENSIONS = frozenset({".cfg", ".ini", ".toml", ".conf", ".pth", ".env"})
_CONFIG_NAMES = _names(
    """
        setup.py setup.cfg pyproject.toml pyvenv.cfg tox.ini pipfile manifest.in .env
        .python-version .editorconfig .gitignore
    """
)
_CONFIG_PATTERNS = re.compile(r"^(?:requirements|constraints)[\w.-]*\.(?:txt|in)$|^\.env\.")
_METADATA_NAMES = _names(
    """
        version version.txt pkg-info metadata wheel record installer requested
        entry_points.txt top_level.txt
    """
)
_SYSTEM_FOLDERS = ("/proc", "/sys", "/etc")
_SHOWN = 40


def _shown(text: str) -> str:
    return text if len(text) <= _SHOWN else "..." + text[-(_SHOWN - 3) :]


def _file_name(text: str, whole: bool) -> Provenance:
    """What a literal file name says of the file's size: its end (`.cfg`) when only the end
    of the name is written, its whole name and folder when `whole`."""
    if whole:
        for folder in _SYSTEM_FOLDERS:
            if text == folder or text.startswith(folder + "/"):
                shown = _shown(text) + ("..." if text.endswith("/") else "")
                return bounded(f"reads `{shown}`, a small system file", "system")
        if text == "/dev/stdin":
            return unbounded("reads standard input")
    name = re.split(r"[\\/]", text)[-1]
    lowered = name.lower()
    if whole and (lowered in _CONFIG_NAMES or _CONFIG_PATTERNS.match(lowered)):
        return bounded(f"reads `{name}`, a small config file", "config")
    if whole and lowered in _METADATA_NAMES:
        return bounded(f"reads `{name}`, a small metadata file", "config")
    extension = os.path.splitext(lowered)[1] or (lowered if lowered.startswith(".") else "")
    if extension in _CONFIG_EXTENSIONS:
        shown = f"`{name}`" if whole and name else f"a `*{extension}` file"
        return bounded(f"reads {shown}, a small config file", "config")
    return UNKNOWN


# -- parameter names ---------------------------------------------------------------------------

# Words in a parameter's name that say it holds data or where data is (a path, a stream).
_DATA_WORDS = _names(
    """
        path paths pathname filepath file files filename filenames fname data payload
        dump body blob content contents raw input infile inpath stream f fp fh fobj
        fileobj src source upload document archive buf buffer compressed
    """
)
# Words that say configuration: a name is no proof of size either way (`config_path`).
_CONFIG_WORDS = _names(
    """
        config configs conf cfg settings setting ini toml version manifest metadata meta
        pyproject setup env rc options opts prefs preferences pth
    """
)
_REQUEST_NAMES = frozenset({"request", "req", "upload", "uploaded_file", "upload_file"})
_REQUEST_TYPES = _names(
    """
        fastapi.UploadFile fastapi.Request starlette.datastructures.UploadFile
        starlette.requests.Request werkzeug.datastructures.FileStorage
        werkzeug.wrappers.Request flask.Request django.http.HttpRequest
        django.http.request.HttpRequest django.core.files.uploadedfile.UploadedFile
        django.core.files.uploadedfile.InMemoryUploadedFile
        django.core.files.uploadedfile.TemporaryUploadedFile aiohttp.web.Request
        aiohttp.web.BaseRequest rest_framework.request.Request
    """
)
_UPLOAD = unbounded("reads an upload from a web request")
_FROM_REQUEST = "flask.request"


def _words(name: str) -> list[str]:
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name)
    return [word for word in re.split(r"[^a-zA-Z0-9]+", snake.lower()) if word]


def says_data(name: str) -> bool:
    """Whether a parameter's name says it holds data or a file (`path`, `json_file`,
    `payload`), and nothing says configuration (`config_path` does not)."""
    words = _words(name)
    return (
        bool(words)
        and not _CONFIG_WORDS.intersection(words)
        and any(word in _DATA_WORDS for word in words)
    )


# -- calls -------------------------------------------------------------------------------------

# Calls that open (or connect to) the file or stream given as their first argument (or by
# one of these keywords): the file-opening calls `files` knows (the temporary files among
# them are sources of their own, decided first), and wrappers that read what they are given.
_OPENERS = files.FILE_CALLS | _names(
    """
    contextlib.closing sqlite3.connect shelve.open dbm.open tarfile.open zipfile.ZipFile
    csv.reader csv.DictReader json.load codecs.getreader getopt.getopt getopt.gnu_getopt
    """
)
_OPENED = ("file", "filename", "fileobj", "name", "path", "fp", "f", "database", "buffer")
_PATH_MAKERS = _names(
    """
        pathlib.Path pathlib.PurePath pathlib.PosixPath pathlib.WindowsPath
        pathlib.PurePosixPath pathlib.PureWindowsPath os.path.join posixpath.join
        ntpath.join
    """
)
# Calls that return a form of their first argument.
_SAME_AS_ARGUMENT = _names(
    """
        os.path.abspath os.path.realpath os.path.normpath os.path.normcase
        os.path.expanduser os.path.expandvars os.path.dirname os.fspath os.fsencode
        os.fsdecode builtins.str builtins.bytes builtins.bytearray builtins.memoryview
        base64.b64decode base64.standard_b64decode base64.urlsafe_b64decode
        base64.b32decode base64.b16decode base64.a85decode base64.b85decode
        base64.decodebytes binascii.a2b_base64 binascii.unhexlify
    """
)
# Methods whose result comes from their receiver: paths made from a path, the content of a
# stream, the response of a session, the rows of a connection.
_SAME_AS_RECEIVER = _names(
    """
        resolve absolute expanduser open read read_text read_bytes readlines readline
        decode encode strip lstrip rstrip cursor execute get post put patch delete
        request stream send getresponse urlopen json iter_content iter_lines __enter__
    """
)
_PACKAGE_RESOURCES = {
    "importlib.resources.files": "importlib.resources",
    "importlib.resources.open_text": "importlib.resources",
    "importlib.resources.open_binary": "importlib.resources",
    "importlib.resources.read_text": "importlib.resources",
    "importlib.resources.read_binary": "importlib.resources",
    "importlib.resources.path": "importlib.resources",
    "importlib.resources.as_file": "importlib.resources",
    "importlib_resources.files": "importlib.resources",
    "pkgutil.get_data": "pkgutil.get_data",
    "pkg_resources.resource_stream": "pkg_resources",
    "pkg_resources.resource_string": "pkg_resources",
    "pkg_resources.resource_filename": "pkg_resources",
}
_HTTP = unbounded("reads an HTTP response")
_HTTP_CALLS = _names(
    """
        urllib.request.urlopen urllib.request.build_opener urllib.request.OpenerDirector
        http.client.HTTPConnection http.client.HTTPSConnection requests.get
        requests.post requests.put requests.patch requests.delete requests.head
        requests.request requests.Session requests.session httpx.get httpx.post
        httpx.put httpx.patch httpx.delete httpx.request httpx.stream httpx.Client
        httpx.AsyncClient aiohttp.ClientSession aiohttp.request urllib3.PoolManager
        urllib3.request
    """
)
_DOWNLOADS = frozenset({"urllib.request.urlretrieve"})
_TEMPORARY = _names(
    """
        tempfile.TemporaryFile tempfile.NamedTemporaryFile tempfile.SpooledTemporaryFile
        tempfile.mkstemp tempfile.mkdtemp tempfile.TemporaryDirectory
    """
)
_STDIN = frozenset(
    {"sys.stdin", "sys.stdin.buffer", "sys.__stdin__", "sys.__stdin__.buffer", "fileinput.input"}
)
_LISTINGS = {
    "glob.glob": "glob",
    "glob.iglob": "glob",
    "os.listdir": "os.listdir",
    "os.scandir": "os.scandir",
    "os.walk": "os.walk",
    "os.fwalk": "os.fwalk",
}
_LISTING_METHODS = frozenset({"glob", "rglob", "iterdir", "walk"})
_ARGUMENT_PARSERS = frozenset({"parse_args", "parse_known_args", "parse_intermixed_args"})
_PARSER_MODULES = frozenset({"argparse", "optparse"})
_ENUMS = _names(
    """
        enum.Enum enum.IntEnum enum.StrEnum enum.Flag enum.IntFlag enum.ReprEnum
    """
)
_LITERAL = frozenset({"typing.Literal", "typing_extensions.Literal"})
_OPTIONAL = frozenset({"typing.Optional", "typing_extensions.Optional"})
_UNION = frozenset({"typing.Union", "typing_extensions.Union"})

_Scope = Union[ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda]
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
# How far a value is followed (names, parameters to their callers, attributes of `self`):
# enough for `main()` -> `run(args.path)` -> `load(path)`, and a cap on what one finding
# may cost.
_BUDGET = 200
_CALLER_HOPS = 3


@dataclass(frozen=True)
class _Binding:
    """One place that binds a name in a scope, and what to follow from it."""

    kind: str  # "value", "part" (unpacked from the value), "iter" (an element of it),
    # "with", "param", "def", "class", "import", "other"
    node: ast.AST | None  # the value, the iterable, the context manager, the arg, the def
    scope: _Scope  # where the value is evaluated


@dataclass
class _Names:
    """The bindings of a scope, by name, and the names it declares global or nonlocal."""

    bindings: dict[str, list[_Binding]] = field(default_factory=dict)
    outer: set[str] = field(default_factory=set)


@dataclass
class _Statement:
    """One top-level statement, indexed: each node's parent, and the nodes a libcst
    position can name (expressions and defs) by where they start."""

    parents: dict[int, ast.AST]
    starts: dict[tuple[int, int], list[ast.AST]]


class _Flow:
    """A file's CPython tree, indexed (lazily, a top-level statement at a time) for
    following values: kept on the tree."""

    def __init__(self, tree: ast.Module, text: str) -> None:
        self.tree = tree
        self.imports = names.Imports.of(tree)
        self.lines = LineIndex(text)
        self.text = text
        self._starts = [_first_line(node) for node in tree.body]
        self._statements: dict[int, _Statement] = {}
        self._names: dict[int, _Names] = {}
        self._callers: dict[str, list[ast.Call]] | None = None
        self._assigned: dict[int, dict[str, list[tuple[ast.expr, ast.AST | None]]]] = {}
        self._fed: frozenset[str] | None = None

    # -- from libcst to CPython's tree -----------------------------------------------------

    def _byte_column(self, line: int, column: int) -> int:
        starts = self.lines.starts
        if not 1 <= line <= len(starts):
            return column
        text = self.text[starts[line - 1] : starts[line - 1] + column]
        return column if text.isascii() else len(text.encode("utf-8"))

    def _statement_at(self, line: int) -> int | None:
        """The index of the top-level statement that holds `line`."""
        at = bisect.bisect_right(self._starts, line) - 1
        if at < 0:
            return None
        top = self.tree.body[at]
        return at if line <= (top.end_lineno or top.lineno) else None

    def _statement(self, at: int) -> _Statement:
        found = self._statements.get(at)
        if found is None:
            top = self.tree.body[at]
            found = _Statement({id(top): self.tree}, {})
            for node in ast.walk(top):
                if isinstance(node, (ast.expr, *_FUNCTIONS)):
                    found.starts.setdefault((node.lineno, node.col_offset), []).append(node)
                for child in ast.iter_child_nodes(node):
                    found.parents[id(child)] = node
            self._statements[at] = found
        return found

    def locate(
        self, start: tuple[int, int], end: tuple[int, int]
    ) -> tuple[ast.AST, list[ast.AST]] | None:
        """The node of CPython's tree at libcst's position (1-based line, 0-based character
        column) and its ancestors, outermost first: the expression or def that starts
        there and ends there, else the longest that ends before."""
        at = self._statement_at(start[0])
        if at is None:
            return None
        statement = self._statement(at)
        key = (start[0], self._byte_column(*start))
        end_key = (end[0], self._byte_column(*end))
        candidates = [n for n in statement.starts.get(key, []) if _end(n) <= end_key]
        if not candidates:
            return None
        node = max(candidates, key=_end)
        return node, self._ancestors(node, statement)

    def _ancestors(self, node: ast.AST, statement: _Statement) -> list[ast.AST]:
        found: list[ast.AST] = []
        current = statement.parents.get(id(node))
        while current is not None:
            found.append(current)
            current = statement.parents.get(id(current))
        found.reverse()
        return found

    def parents_of(self, node: ast.AST) -> list[ast.AST]:
        """The ancestors of a node of the tree, outermost (the module) first."""
        line = getattr(node, "lineno", None)
        at = self._statement_at(line) if line is not None else None
        if at is None:
            return [self.tree]
        return self._ancestors(node, self._statement(at))

    # -- scopes ----------------------------------------------------------------------------

    def names_of(self, scope: _Scope) -> _Names:
        found = self._names.get(id(scope))
        if found is None:
            found = _collect(scope)
            self._names[id(scope)] = found
        return found

    def bindings(self, name: str, chain: Sequence[_Scope]) -> list[_Binding] | None:
        """The bindings of `name` as read in the innermost of `chain` (scopes, outermost
        first): the first scope outwards that binds it; None when none does (a builtin)."""
        skip_to_module = False
        for scope in reversed(chain):
            if skip_to_module and not isinstance(scope, ast.Module):
                continue
            found = self.names_of(scope)
            if name in found.outer:
                skip_to_module = True
                continue
            if name in found.bindings:
                return found.bindings[name]
        return None

    def callers(self, name: str) -> list[ast.Call]:
        """The calls whose callee is spelled `name` or `<x>.name`."""
        if self._callers is None:
            self._callers = {}
            for call in astindex.nodes(self.tree, ast.Call):
                func = call.func
                key = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
                if key is not None:
                    self._callers.setdefault(key, []).append(call)
        return self._callers.get(name, [])

    def assigned(self, klass: ast.ClassDef, attr: str) -> list[tuple[ast.expr, ast.AST | None]]:
        """What the class assigns to `self.<attr>` in its methods (with the method), and to
        `<attr>` in its body (with None): worked out once per class."""
        found = self._assigned.get(id(klass))
        if found is None:
            found = _self_assignments(klass)
            self._assigned[id(klass)] = found
        return found.get(attr, [])

    def fed_in_loops(self) -> frozenset[str]:
        """The names (`q`) and attributes (`.q`) fed by `put()`/`put_nowait()` inside a
        loop or comprehension of the module: worked out once per file."""
        if self._fed is None:
            fed: set[str] = set()
            loops: list[ast.For | ast.AsyncFor | ast.While] = [
                *astindex.nodes(self.tree, ast.For),
                *astindex.nodes(self.tree, ast.AsyncFor),
                *astindex.nodes(self.tree, ast.While),
            ]
            for loop in loops:
                for statement in loop.body:
                    fed.update(_fed(statement))
            comprehensions: list[ast.ListComp | ast.GeneratorExp | ast.SetComp] = [
                *astindex.nodes(self.tree, ast.ListComp),
                *astindex.nodes(self.tree, ast.GeneratorExp),
                *astindex.nodes(self.tree, ast.SetComp),
            ]
            for comprehension in comprehensions:
                fed.update(_fed(comprehension.elt))
            self._fed = frozenset(fed)
        return self._fed


def _fed(node: ast.AST) -> Iterator[str]:
    """The keys (see `_feed_key`) of what `put()`/`put_nowait()` calls under `node` feed."""
    for inner in ast.walk(node):
        if (
            isinstance(inner, ast.Call)
            and isinstance(inner.func, ast.Attribute)
            and inner.func.attr in ("put", "put_nowait")
        ):
            key = _feed_key(inner.func.value)
            if key is not None:
                yield key


def _first_line(node: ast.stmt) -> int:
    decorators: list[ast.expr] = getattr(node, "decorator_list", [])
    return min([node.lineno, *(d.lineno for d in decorators)])


def _end(node: ast.AST) -> tuple[int, int]:
    return getattr(node, "end_lineno", 0), getattr(node, "end_col_offset", 0)


def _collect(scope: _Scope) -> _Names:
    """The bindings made directly in `scope` (not in nested defs, lambdas or classes)."""
    found = _Names()

    def add(name: str, binding: _Binding) -> None:
        found.bindings.setdefault(name, []).append(binding)

    def bind_target(target: ast.AST, kind: str, value: ast.AST | None) -> None:
        if isinstance(target, ast.Name):
            add(target.id, _Binding(kind, value, scope))
        elif isinstance(target, (ast.Tuple, ast.List)):
            values = value.elts if isinstance(value, (ast.Tuple, ast.List)) else None
            for index, element in enumerate(target.elts):
                if isinstance(element, ast.Starred):
                    element = element.value
                if values is not None and len(values) == len(target.elts) and kind == "value":
                    bind_target(element, "value", values[index])
                else:
                    bind_target(element, "part" if kind == "value" else kind, value)
        elif isinstance(target, ast.Starred):
            bind_target(target.value, kind, value)

    if isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
        arguments = scope.args
        for arg in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]:
            add(arg.arg, _Binding("param", arg, scope))
        for star in (arguments.vararg, arguments.kwarg):
            if star is not None:
                add(star.arg, _Binding("other", star, scope))
        body: list[ast.AST] = [scope.body] if isinstance(scope, ast.Lambda) else list(scope.body)
    else:
        body = list(scope.body)
    stack = list(reversed(body))
    while stack:
        node = stack.pop()
        if isinstance(node, _FUNCTIONS):
            add(node.name, _Binding("def", node, scope))
            stack.extend(node.decorator_list)
            continue
        if isinstance(node, ast.ClassDef):
            add(node.name, _Binding("class", node, scope))
            continue
        if isinstance(node, ast.Lambda):
            continue
        if isinstance(node, ast.Assign):
            for target in node.targets:
                bind_target(target, "value", node.value)
        elif isinstance(node, ast.AnnAssign):
            bind_target(node.target, "value" if node.value is not None else "other", node.value)
        elif isinstance(node, ast.AugAssign):
            bind_target(node.target, "other", None)
        elif isinstance(node, ast.NamedExpr):
            bind_target(node.target, "value", node.value)
        elif isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
            bind_target(node.target, "iter", node.iter)
        elif isinstance(node, ast.withitem) and node.optional_vars is not None:
            bind_target(node.optional_vars, "with", node.context_expr)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                local = alias.asname or alias.name.split(".", 1)[0]
                add(local, _Binding("import", None, scope))
        elif isinstance(node, ast.ExceptHandler) and node.name:
            add(node.name, _Binding("other", None, scope))
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            found.outer.update(node.names)
        elif isinstance(node, (ast.MatchAs, ast.MatchStar)) and node.name:
            add(node.name, _Binding("other", None, scope))
        elif isinstance(node, ast.MatchMapping) and node.rest:
            add(node.rest, _Binding("other", None, scope))
        stack.extend(reversed(list(ast.iter_child_nodes(node))))
    return found


def _flow(context: Any) -> _Flow | None:
    tree = getattr(context, "tree", None)
    if tree is None:
        return None
    flow: _Flow | None = getattr(tree, "_memlint_provenance", None)
    if flow is None:
        flow = _Flow(tree, context.text)
        tree._memlint_provenance = flow
    return flow


def _scopes(ancestors: Iterable[ast.AST]) -> list[_Scope]:
    """The scopes names are looked up in, outermost first (class bodies are not)."""
    return [node for node in ancestors if isinstance(node, (ast.Module, *_FUNCTIONS, ast.Lambda))]


# -- following a value -------------------------------------------------------------------------


class _Tracer:
    """One question about one value: where it comes from, within a budget of steps."""

    def __init__(self, flow: _Flow) -> None:
        self.flow = flow
        self.imports = flow.imports
        self.budget = _BUDGET
        self.seen: set[tuple[int, str]] = set()
        self.hops = 0

    # -- names -----------------------------------------------------------------------------

    def qualified(self, expr: ast.expr, chain: Sequence[_Scope]) -> frozenset[str]:
        """What an `a.b.c` chain names through the imports, or `builtins.x` for a name no
        scope binds; empty when a local binding shadows it."""
        head = names.tree_head(expr)
        if head is None:
            return frozenset()
        found = self.flow.bindings(head, chain)
        if found is not None and any(b.kind != "import" for b in found):
            return frozenset()
        meanings = self.imports.meanings(expr)
        if meanings or found is not None:
            return meanings
        dotted = _dotted(expr)
        return frozenset({f"builtins.{dotted}"}) if dotted else frozenset()

    # -- the classifier --------------------------------------------------------------------

    def source(self, expr: ast.AST | None, chain: Sequence[_Scope], data: bool) -> Provenance:
        """Where `expr` (a path, a stream, or with `data` the bytes or text read) comes from."""
        if expr is None or self.budget <= 0:
            return UNKNOWN
        self.budget -= 1
        if isinstance(expr, ast.Constant):
            if isinstance(expr.value, (str, bytes)):
                if data:
                    return bounded("the data is written in the code", "code")
                text = (
                    expr.value.decode("utf-8", "replace")
                    if isinstance(expr.value, bytes)
                    else expr.value
                )
                return _file_name(text, whole=True)
            return UNKNOWN
        if isinstance(expr, (ast.Await, ast.Starred)):
            return self.source(expr.value, chain, data)
        if isinstance(expr, ast.Subscript):
            return self.source(expr.value, chain, data)
        if isinstance(expr, ast.IfExp):
            return any_of(
                [self.source(expr.body, chain, data), self.source(expr.orelse, chain, data)]
            )
        if isinstance(expr, ast.BoolOp):
            return any_of([self.source(value, chain, data) for value in expr.values])
        if isinstance(expr, (ast.Tuple, ast.List, ast.Set)):
            return any_of([self.source(element, chain, data) for element in expr.elts])
        if isinstance(expr, ast.JoinedStr):
            return self._formatted(expr, chain)
        if isinstance(expr, ast.BinOp):
            return self._binary(expr, chain, data)
        if isinstance(expr, ast.Call):
            return self._call(expr, chain, data)
        if isinstance(expr, ast.Attribute):
            return self._attribute(expr, chain, data)
        if isinstance(expr, ast.Name):
            return self._name(expr, chain, data)
        return UNKNOWN

    def _name(self, name: ast.Name, chain: Sequence[_Scope], data: bool) -> Provenance:
        if name.id == "__file__" and self.flow.bindings("__file__", chain) is None:
            return bounded("reads a file of the package itself (found from `__file__`)", "package")
        qualified = self.qualified(name, chain)
        special = self._special(qualified)
        if special is not None:
            return special
        found = self.flow.bindings(name.id, chain)
        if not found:
            return UNKNOWN
        key = (id(found[0].scope), name.id)
        if key in self.seen:
            return UNKNOWN
        self.seen.add(key)
        try:
            return any_of([self._binding(binding, data) for binding in found], drop_none=True)
        finally:
            self.seen.discard(key)

    def _binding(self, binding: _Binding, data: bool) -> Provenance | None:
        node = binding.node
        chain = self._chain_of(binding.scope)
        if binding.kind in ("value", "part", "with"):
            if isinstance(node, ast.Constant) and node.value is None:
                return None  # `path = None` before the real value: not a source
            return self.source(node, chain, data if binding.kind == "value" else False)
        if binding.kind == "iter":
            return self.source(node, chain, False)
        if binding.kind == "param" and isinstance(node, ast.arg):
            return self._parameter(node, binding.scope, data)
        return UNKNOWN

    def _chain_of(self, scope: _Scope) -> list[_Scope]:
        if isinstance(scope, ast.Module):
            return [scope]
        located = self.flow.parents_of(scope)
        return [*_scopes(located), scope]

    # -- parameters ------------------------------------------------------------------------

    def _parameter(self, arg: ast.arg, function: _Scope, data: bool) -> Provenance:
        if not isinstance(function, _FUNCTIONS):
            return UNKNOWN  # a lambda's parameter: its callers are not followed
        ancestors = self.flow.parents_of(function)
        owner = ancestors[-1] if ancestors else None
        chain = _scopes(ancestors)
        annotation = arg.annotation
        if annotation is not None and self.qualified(annotation, chain) & _REQUEST_TYPES:
            return _UPLOAD
        if any(
            any(q.startswith("click.") for q in self.qualified(d, chain))
            for d in function.decorator_list
        ):
            return unbounded("reads a path given on the command line (`click`)")
        if annotation is not None and self.qualified(annotation, chain) & {"argparse.Namespace"}:
            return unbounded("reads a path given on the command line (`argparse`)")
        if arg.arg in _REQUEST_NAMES:
            return _UPLOAD
        from_callers = self._from_callers(arg, function, owner, data)
        if from_callers.kind is Kind.UNBOUNDED:
            return from_callers
        public = _public(function, owner, ancestors)
        # `read_config(path)`, `PyEnvCfg.from_file(path)`: the function's or the class's name
        # says configuration, the parameter's data; names are no proof either way.
        named = _words(function.name) + _words(getattr(owner, "name", ""))
        if public and says_data(arg.arg) and not _CONFIG_WORDS.intersection(named):
            shown = (
                function.name
                if owner is None or isinstance(owner, ast.Module)
                else f"{getattr(owner, 'name', '')}.{function.name}"
            )
            return unbounded(f"reads `{arg.arg}`, a parameter of public `{shown}()` named for data")
        if not public and from_callers.kind is Kind.BOUNDED:
            return from_callers
        return UNKNOWN

    def _from_callers(
        self,
        arg: ast.arg,
        function: ast.FunctionDef | ast.AsyncFunctionDef,
        owner: ast.AST | None,
        data: bool,
    ) -> Provenance:
        """What the calls of `function` in this module pass for `arg` (or its default):
        unbounded if any passes something unbounded, bounded if all pass bounded values."""
        if self.hops >= _CALLER_HOPS:
            return UNKNOWN
        method = isinstance(owner, ast.ClassDef)
        static = any(_dotted(d) == "staticmethod" for d in function.decorator_list)
        arguments = function.args
        positional = [*arguments.posonlyargs, *arguments.args]
        bound = method and not static and bool(positional)
        if bound:
            positional = positional[1:]
        callee = function.name
        if method and function.name == "__init__":
            callee = getattr(owner, "name", "")
        found: list[Provenance] = []
        self.hops += 1
        try:
            for call in self.flow.callers(callee):
                if not _calls(call, function, owner, method):
                    continue
                ancestors = self.flow.parents_of(call)
                value = _argument_for(call, arg, positional, arguments)
                if value is _STARRED:
                    return UNKNOWN
                chain = _scopes(ancestors)
                if value is None:
                    default = _default_of(arg, arguments)
                    if default is None:
                        continue
                    value, chain = default, self._chain_of(function)[:-1]
                assert isinstance(value, ast.AST)
                found.append(self.source(value, chain, data))
        finally:
            self.hops -= 1
        if not found:
            return UNKNOWN
        unbounded_found = [p for p in found if p.kind is Kind.UNBOUNDED]
        if unbounded_found:
            return unbounded_found[0]
        if all(p.kind is Kind.BOUNDED for p in found):
            return found[0]
        return UNKNOWN

    # -- shapes ----------------------------------------------------------------------------

    def _special(self, qualified: frozenset[str]) -> Provenance | None:
        """Names that are sources by themselves: `sys.argv`, standard input, uploads."""
        if not qualified:
            return None
        if "sys.argv" in qualified:
            return unbounded("reads a path given on the command line (`sys.argv`)")
        if qualified & _STDIN:
            return unbounded("reads standard input")
        if any(q == _FROM_REQUEST or q.startswith(_FROM_REQUEST + ".") for q in qualified):
            return _UPLOAD
        return None

    def _attribute(self, expr: ast.Attribute, chain: Sequence[_Scope], data: bool) -> Provenance:
        special = self._special(self.qualified(expr, chain))
        if special is not None:
            return special
        value = expr.value
        if isinstance(value, ast.Name) and value.id in ("self", "cls"):
            return self._self_attribute(expr.attr, chain, data)
        if expr.attr == "parent":
            return _folder(self.source(value, chain, False))
        # An attribute of a source is part of it: `args.path`, `resp.content`, `p.parent`.
        return self.source(value, chain, data)

    def _self_attribute(self, attr: str, chain: Sequence[_Scope], data: bool) -> Provenance:
        """`self.<attr>`: what the methods of the enclosing class assign to it."""
        function = chain[-1] if chain else None
        if not isinstance(function, _FUNCTIONS):
            return UNKNOWN
        ancestors = self.flow.parents_of(function)
        owner = ancestors[-1] if ancestors else None
        if not isinstance(owner, ast.ClassDef):
            return UNKNOWN
        key = (id(owner), f"self.{attr}")
        if key in self.seen:
            return UNKNOWN
        self.seen.add(key)
        try:
            found = []
            for value, method in self.flow.assigned(owner, attr):
                if isinstance(method, _FUNCTIONS):
                    scopes = self._chain_of(method)
                else:
                    scopes = _scopes(ancestors)
                found.append(self.source(value, scopes, data))
            return any_of(found)
        finally:
            self.seen.discard(key)

    def _call(self, call: ast.Call, chain: Sequence[_Scope], data: bool) -> Provenance:
        func = call.func
        qualified = self.qualified(func, chain)
        if qualified:
            found = self._known_call(call, qualified, chain, data)
            if found is not None:
                return found
        if not isinstance(func, ast.Attribute):
            return UNKNOWN
        method = func.attr
        receiver = func.value
        if method in _ARGUMENT_PARSERS and self.imports.may_name(_PARSER_MODULES):
            library = "argparse" if self.imports.may_name({"argparse"}) else "optparse"
            return unbounded(f"reads a path given on the command line (`{library}`)")
        if method in _LISTING_METHODS:
            return _listing(self.source(receiver, chain, False), f"{method}()")
        if method == "joinpath":
            return self._join([receiver, *call.args], chain)
        if method in ("with_name", "with_suffix", "with_stem") and call.args:
            name = call.args[0]
            if isinstance(name, ast.Constant) and isinstance(name.value, str):
                found = _file_name(name.value, whole=method == "with_name")
                if found.known:
                    return found
            return _folder(self.source(receiver, chain, False))
        if method in _SAME_AS_RECEIVER:
            return self.source(
                receiver,
                chain,
                data and method not in ("read", "read_bytes", "read_text", "readlines"),
            )
        return UNKNOWN

    def _known_call(
        self, call: ast.Call, qualified: frozenset[str], chain: Sequence[_Scope], data: bool
    ) -> Provenance | None:
        special = self._special(qualified)
        if special is not None:
            return special
        if "builtins.input" in qualified:
            return unbounded("reads a path typed at `input()`")
        if qualified & _HTTP_CALLS:
            return _HTTP
        if qualified & _DOWNLOADS:
            return unbounded("reads a download (`urlretrieve`)")
        if qualified & _TEMPORARY:
            return unbounded("reads a temporary file (a download or a spool)")
        for name in qualified:
            if name in _PACKAGE_RESOURCES:
                library = _PACKAGE_RESOURCES[name]
                return bounded(f"reads a resource of the package itself (`{library}`)", "package")
            if name in _LISTINGS:
                folder = call.args[0] if call.args else None
                inner = self.source(folder, chain, False) if folder is not None else UNKNOWN
                return _listing(inner, f"{_LISTINGS[name]}()")
            if name in _OPENERS:
                target = _positional_or_keyword(call, 0, _OPENED)
                return self.source(target, chain, False) if target is not None else UNKNOWN
        if qualified & _PATH_MAKERS:
            return self._join(list(call.args), chain)
        if qualified & _SAME_AS_ARGUMENT and call.args:
            inner = self.source(call.args[0], chain, data)
            return _folder(inner) if "os.path.dirname" in qualified else inner
        return None

    def _join(self, parts: list[ast.expr], chain: Sequence[_Scope]) -> Provenance:
        """A path made of parts: its file name decides when it says config; then a folder
        of the package (or a system folder); then any part that is unbounded."""
        if not parts or any(isinstance(part, ast.Starred) for part in parts):
            return UNKNOWN
        named = self._named(parts[-1])
        if named.kind is Kind.BOUNDED:
            return named
        found = [self.source(part, chain, False) for part in parts]
        if len(found) == 1:
            return found[0]
        if found[0].kind is Kind.BOUNDED:
            return _folder(found[0])
        return any_of(found, unknown_wins=False)

    def _named(self, last: ast.expr) -> Provenance:
        """What the written end of a path's last part says (`f"{d}/setup.cfg"`, `n + ".ini"`)."""
        if isinstance(last, ast.Constant) and isinstance(last.value, str):
            return _file_name(last.value, whole=True)
        tail = _literal_tail(last)
        if tail is None:
            return UNKNOWN
        return _file_name(tail, whole="/" in tail)

    def _formatted(self, expr: ast.JoinedStr, chain: Sequence[_Scope]) -> Provenance:
        named = self._named(expr)
        if named.kind is Kind.BOUNDED:
            return named
        values = expr.values
        if values and isinstance(values[0], ast.Constant) and isinstance(values[0].value, str):
            head = _file_name(values[0].value, whole=True)
            if head.kind is Kind.BOUNDED:
                return head
        parts = [value.value for value in values if isinstance(value, ast.FormattedValue)]
        found = [self.source(part, chain, False) for part in parts]
        if found and found[0].kind is Kind.BOUNDED and isinstance(values[0], ast.FormattedValue):
            return _folder(found[0])
        return any_of(found, unknown_wins=False)

    def _binary(self, expr: ast.BinOp, chain: Sequence[_Scope], data: bool) -> Provenance:
        if isinstance(expr.op, ast.Div):
            return self._join(_division_parts(expr), chain)
        if data:
            return UNKNOWN
        if isinstance(expr.op, ast.Add):
            named = self._named(expr)
            if named.kind is Kind.BOUNDED:
                return named
            left = self.source(expr.left, chain, False)
            if left.kind is Kind.BOUNDED:
                return _folder(left)
            return any_of([left, self.source(expr.right, chain, False)], unknown_wins=False)
        if isinstance(expr.op, ast.Mod):
            named = self._named(expr)
            if named.kind is Kind.BOUNDED:
                return named
            return any_of([self.source(expr.right, chain, False)], unknown_wins=False)
        return UNKNOWN

    # -- caches ----------------------------------------------------------------------------

    def cache_key(
        self,
        function: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda,
        ancestors: list[ast.AST],
    ) -> Provenance:
        """What a cached function's parameters say of how many entries it can keep."""
        chain = _scopes(ancestors)
        arguments = function.args
        if arguments.vararg is not None or arguments.kwarg is not None:
            return UNKNOWN
        positional = [*arguments.posonlyargs, *arguments.args]
        owner = ancestors[-1] if ancestors else None
        if isinstance(owner, ast.ClassDef) and isinstance(function, _FUNCTIONS):
            kinds = {_dotted(d) for d in function.decorator_list}
            if not kinds & {"staticmethod", "classmethod"}:
                return UNKNOWN  # keyed by `self` too: as many entries as instances
            if "classmethod" in kinds:
                positional = positional[1:]  # `cls`: one per class, bounded by the code
        params = [*positional, *arguments.kwonlyargs]
        if not params:
            return UNKNOWN
        for param in params:
            if param.arg in _REQUEST_NAMES or (
                param.annotation is not None
                and self.qualified(param.annotation, chain) & _REQUEST_TYPES
            ):
                return unbounded(f"keyed by `{param.arg}`, a new web request on every call")
        if all(
            param.annotation is not None and self._small_type(param.annotation, chain, 0)
            for param in params
        ):
            return bounded(
                "its parameters are all `bool`, enum or `Literal`, so it keeps a few entries"
            )
        return UNKNOWN

    def _small_type(self, annotation: ast.expr, chain: Sequence[_Scope], depth: int) -> bool:
        """Whether an annotation allows only a few values: `bool`, a `Literal`, an enum
        class of this module, `None`, and unions of those."""
        if depth > 4:
            return False
        if isinstance(annotation, ast.Constant):
            if annotation.value is None:
                return True
            if isinstance(annotation.value, str):
                try:
                    parsed = ast.parse(annotation.value, mode="eval").body
                except SyntaxError:
                    return False
                return self._small_type(parsed, chain, depth + 1)
            return False
        if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
            return self._small_type(annotation.left, chain, depth + 1) and self._small_type(
                annotation.right, chain, depth + 1
            )
        if isinstance(annotation, ast.Subscript):
            origin = self.qualified(annotation.value, chain)
            if origin & _LITERAL:
                return True
            if origin & (_OPTIONAL | _UNION):
                inner = annotation.slice
                elements = inner.elts if isinstance(inner, ast.Tuple) else [inner]
                return all(self._small_type(e, chain, depth + 1) for e in elements)
            return False
        qualified = self.qualified(annotation, chain)
        if "builtins.bool" in qualified or qualified & _ENUMS:
            return True
        return isinstance(annotation, ast.Name) and self._is_enum(annotation.id, chain, depth)

    def _is_enum(self, name: str, chain: Sequence[_Scope], depth: int) -> bool:
        found = self.flow.bindings(name, chain)
        if not found or len(found) != 1 or found[0].kind != "class":
            return False
        klass = found[0].node
        assert isinstance(klass, ast.ClassDef)
        scopes = self._chain_of(found[0].scope)
        for base in klass.bases:
            if self.qualified(base, scopes) & _ENUMS:
                return True
            if (
                isinstance(base, ast.Name)
                and depth < 4
                and self._is_enum(base.id, scopes, depth + 1)
            ):
                return True
        return False


_STARRED = object()


def _dotted(expr: ast.AST) -> str:
    parts = []
    while isinstance(expr, ast.Attribute):
        parts.append(expr.attr)
        expr = expr.value
    if not isinstance(expr, ast.Name):
        return ""
    parts.append(expr.id)
    return ".".join(reversed(parts))


def any_of(
    found: Iterable[Provenance | None], *, drop_none: bool = False, unknown_wins: bool = True
) -> Provenance:
    """One provenance for a value that may be any of several: unbounded if one is, bounded
    if all are (with `unknown_wins=False`, bounded if one is and none is unbounded)."""
    present = [p for p in found if p is not None]
    if not present:
        return UNKNOWN
    for provenance in present:
        if provenance.kind is Kind.UNBOUNDED:
            return provenance
    if unknown_wins:
        return present[0] if all(p.kind is Kind.BOUNDED for p in present) else UNKNOWN
    return UNKNOWN


def _folder(found: Provenance) -> Provenance:
    """A file in the folder of a path that `found` describes (or that folder): in the
    package's folder or a system folder it is bounded; beside a config file it is any file."""
    if found.kind is Kind.BOUNDED and found.origin not in ("package", "system"):
        return UNKNOWN
    return found


def _listing(folder: Provenance, how: str) -> Provenance:
    """A file found by listing a folder: the package's own files are the package's."""
    if folder.kind is Kind.BOUNDED and folder.origin == "package":
        return folder
    return unbounded(f"reads a file found by `{how}`")


def _literal_tail(expr: ast.expr) -> str | None:
    """The written end of a string: after the last replacement field of an f-string, the
    right-hand literal of a `+`, the end of a `%` template."""
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return expr.value
    if isinstance(expr, ast.JoinedStr) and expr.values:
        last = expr.values[-1]
        if isinstance(last, ast.Constant) and isinstance(last.value, str):
            whole = len(expr.values) == 1
            return last.value if not whole else "/" + last.value
        return None
    if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add):
        return _literal_tail(expr.right)
    if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Mod):
        template = expr.left
        if isinstance(template, ast.Constant) and isinstance(template.value, str):
            tail = re.split(r"%(?:\([^)]*\))?[-#0 +]*\d*(?:\.\d+)?[a-zA-Z]", template.value)[-1]
            return tail
    return None


def _division_parts(expr: ast.BinOp) -> list[ast.expr]:
    parts: list[ast.expr] = []
    while isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Div):
        parts.append(expr.right)
        expr = expr.left  # type: ignore[assignment]
    parts.append(expr)
    return list(reversed(parts))


def _positional_or_keyword(
    call: ast.Call, index: int, keywords: tuple[str, ...]
) -> ast.expr | None:
    for keyword in call.keywords:
        if keyword.arg in keywords:
            return keyword.value
    positional = [arg for arg in call.args if not isinstance(arg, ast.Starred)]
    if len(positional) != len(call.args):
        return None
    return positional[index] if index < len(positional) else None


def _public(function: ast.AST, owner: ast.AST | None, ancestors: Sequence[ast.AST]) -> bool:
    """A function others may call with anything: a module's or a public class's function
    whose name has no leading underscore (or is a dunder), not nested in a function."""
    if any(isinstance(node, (*_FUNCTIONS, ast.Lambda)) for node in ancestors):
        return False
    name = getattr(function, "name", "_")
    if name.startswith("_") and not (name.startswith("__") and name.endswith("__")):
        return False
    if isinstance(owner, ast.ClassDef):
        return not owner.name.startswith("_")
    return True


def _calls(call: ast.Call, function: ast.AST, owner: ast.AST | None, method: bool) -> bool:
    """Whether `call` (spelled with the function's name) calls it: `f(...)` for a
    function, `self.f(...)`, `cls.f(...)` or `<Class>.f(...)` for a method, `<Class>(...)`
    for `__init__`."""
    func = call.func
    if not method:
        return isinstance(func, ast.Name)
    if getattr(function, "name", "") == "__init__":
        return isinstance(func, ast.Name)
    return (
        isinstance(func, ast.Attribute)
        and isinstance(func.value, ast.Name)
        and (func.value.id in ("self", "cls") or func.value.id == getattr(owner, "name", None))
    )


def _argument_for(
    call: ast.Call, arg: ast.arg, positional: list[ast.arg], arguments: ast.arguments
) -> ast.expr | object | None:
    """What `call` passes for `arg`: the value, None when it passes nothing, `_STARRED`
    when `*args` or `**kwargs` hide it."""
    for keyword in call.keywords:
        if keyword.arg is None:
            return _STARRED
        if keyword.arg == arg.arg:
            return keyword.value
    if arg in positional:
        index = positional.index(arg)
        for number, value in enumerate(call.args):
            if isinstance(value, ast.Starred):
                return _STARRED
            if number == index:
                return value
    return None


def _default_of(arg: ast.arg, arguments: ast.arguments) -> ast.expr | None:
    positional = [*arguments.posonlyargs, *arguments.args]
    if arg in positional:
        offset = len(positional) - len(arguments.defaults)
        index = positional.index(arg) - offset
        return arguments.defaults[index] if index >= 0 else None
    if arg in arguments.kwonlyargs:
        return arguments.kw_defaults[arguments.kwonlyargs.index(arg)]
    return None


def _self_assignments(klass: ast.ClassDef) -> dict[str, list[tuple[ast.expr, ast.AST | None]]]:
    """`self.<attr> = value` in the methods of `klass` (with the method), and
    `<attr> = value` in its body (with None), by attribute."""
    found: dict[str, list[tuple[ast.expr, ast.AST | None]]] = {}
    for statement in klass.body:
        if isinstance(statement, ast.Assign):
            for target in statement.targets:
                if isinstance(target, ast.Name):
                    found.setdefault(target.id, []).append((statement.value, None))
        if not isinstance(statement, _FUNCTIONS) or not statement.args.args:
            continue
        first = statement.args.args[0].arg
        for node in ast.walk(statement):
            targets: list[ast.expr] = []
            if isinstance(node, ast.Assign):
                targets, value = node.targets, node.value
            elif isinstance(node, ast.AnnAssign) and node.value is not None:
                targets, value = [node.target], node.value
            for target in targets:
                if (
                    isinstance(target, ast.Attribute)
                    and isinstance(target.value, ast.Name)
                    and target.value.id == first
                ):
                    found.setdefault(target.attr, []).append((value, statement))
    return found


# -- the questions rules ask -------------------------------------------------------------------


def _located(
    visitor: MetadataDependent, node: cst.CSTNode
) -> tuple[_Flow, ast.AST, list[ast.AST]] | None:
    flow = _flow(getattr(visitor, "context", None))
    if flow is None:
        return None
    position = visitor.get_metadata(PositionProvider, node, None)
    if position is None:
        return None
    start = (position.start.line, position.start.column)
    end = (position.end.line, position.end.column)
    found = flow.locate(start, end)
    if found is None:
        return None
    return flow, found[0], found[1]


def of_source(visitor: MetadataDependent, expr: cst.CSTNode, *, data: bool = False) -> Provenance:
    """Where the file, path or stream `expr` comes from (with `data`, the bytes or text
    `expr` holds): bounded, unbounded or unknown, and why.

    Bounded: a literal file name that is configuration or metadata (`*.cfg`, `*.ini`,
    `*.toml`, `*.conf`, `*.pth`, `.env`, `setup.py`, `pyproject.toml`, `requirements*.txt`,
    `VERSION`, `PKG-INFO`, ...) or a file under `/proc`, `/sys` or `/etc`; a path built from
    `__file__`, `importlib.resources` or `pkgutil.get_data` (the package's own files);
    data written in the code. Unbounded: `sys.argv`, `argparse`/`optparse` results, `click`
    parameters, `input()`, standard input, files found by `glob`, `os.walk`, `os.listdir`,
    `iterdir`, temporary files and downloads, HTTP responses, web requests and uploads, and
    a parameter of a public function named for data (`path`, `file`, `data`, `payload`,
    `dump`, ...; not `config_path`). Unknown: anything else.

    Values are followed on CPython's tree of the whole file (the region libcst parsed may
    not hold the other functions): names to their bindings, parameters to the calls of
    their function in the module, `self.x` to what the class assigns to it.
    """
    located = _located(visitor, expr)
    if located is None:
        return UNKNOWN
    flow, node, ancestors = located
    return _Tracer(flow).source(node, _scopes(ancestors), data)


def of_cache(visitor: MetadataDependent, target: cst.CSTNode) -> Provenance:
    """How many entries a cache on `target` can keep, from the parameters of the function
    cached: a `cst.FunctionDef`, or the expression handed to the cache (a lambda, or the
    name of a def of this module). Bounded when every parameter is `bool`, an enum class
    of this module or a `Literal` (or an `Optional` of those); unbounded when one is a web
    request; unknown otherwise."""
    located = _located(visitor, target)
    if located is None:
        return UNKNOWN
    flow, node, ancestors = located
    tracer = _Tracer(flow)
    if isinstance(node, ast.Call):
        # `lru_cache(maxsize=None)(fn)` is reported at the inner call, `cache(fn)` at its own.
        parent = ancestors[-1] if ancestors else None
        outer = parent if isinstance(parent, ast.Call) and parent.func is node else node
        if not outer.args:
            return UNKNOWN
        node = outer.args[0]
    if isinstance(node, ast.Name):
        found = flow.bindings(node.id, _scopes(ancestors))
        if not found or len(found) != 1 or found[0].kind != "def":
            return UNKNOWN
        node = found[0].node  # type: ignore[assignment]
        ancestors = flow.parents_of(node)
    if not isinstance(node, (*_FUNCTIONS, ast.Lambda)):
        return UNKNOWN
    return tracer.cache_key(node, ancestors)


def of_key(visitor: MetadataDependent, key: cst.BaseExpression) -> Provenance:
    """How many distinct keys a container filed under `key` can gain: bounded when `key` is
    a parameter annotated `bool`, an enum class of this module or a `Literal` (or an
    `Optional` of those); unbounded when it comes from a source `of_source` calls unbounded
    (a web request, `sys.argv`, a public parameter named for data); unknown otherwise."""
    located = _located(visitor, key)
    if located is None:
        return UNKNOWN
    flow, node, ancestors = located
    tracer = _Tracer(flow)
    chain = _scopes(ancestors)
    if isinstance(node, ast.Name):
        found = flow.bindings(node.id, chain)
        arg = found[0].node if found and len(found) == 1 and found[0].kind == "param" else None
        annotation = arg.annotation if isinstance(arg, ast.arg) else None
        if annotation is not None and tracer._small_type(annotation, chain, 0):
            return bounded(
                f"keyed by `{node.id}`, a `bool`, enum or `Literal` parameter, so it keeps a "
                "few entries"
            )
    found_source = tracer.source(node, chain, True)
    if found_source.kind is not Kind.UNBOUNDED:
        return UNKNOWN
    if found_source == _UPLOAD:
        return unbounded("keyed by data from a web request, new on every request")
    return unbounded(f"its keys come from outside: {found_source.reason.removeprefix('reads ')}")


def fed_in_loop(visitor: MetadataDependent, call: cst.Call) -> Provenance:
    """Unbounded when the queue made by `call`, bound to a name or `self.<attr>`, is fed
    (`put`, `put_nowait`) inside a loop or comprehension somewhere in the module."""
    located = _located(visitor, call)
    if located is None:
        return UNKNOWN
    flow, node, ancestors = located
    parent = ancestors[-1] if ancestors else None
    targets: list[ast.expr] = []
    if isinstance(parent, ast.Assign) and parent.value is node:
        targets = parent.targets
    elif isinstance(parent, ast.AnnAssign) and parent.value is node:
        targets = [parent.target]
    keys = {_feed_key(target) for target in targets} - {None}
    if keys & flow.fed_in_loops():
        return unbounded("fed by `put()` in a loop")
    return UNKNOWN


def _feed_key(target: ast.expr) -> str | None:
    if isinstance(target, ast.Name):
        return target.id
    if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name):
        return "." + target.attr
    return None
