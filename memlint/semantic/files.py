"""Whether an expression is a file object, or a read of a whole file, and how sure we are."""

from __future__ import annotations

import dataclasses
import enum
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import libcst as cst
from libcst import MetadataDependent
from libcst.metadata import (
    QualifiedNameProvider,
    ScopeProvider,
)

from memlint.diagnostics import Confidence
from memlint.semantic import constants, names
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
    }
)
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
# Parameter names that, by long convention, hold an open file (`json.load(fp)`,
# `pickle.load(file)`, `csv.reader(csvfile)`).
_FILE_PARAMETER = re.compile(
    r"""^(?:f|fp|fh|fo|fin|fobj|file_?obj(?:ect)?|file|infile|in_file|input_file|stream)$
    |_(?:fp|fh|fobj|fileobj|file|stream)$
    |^(?:csv|json|data|src|source|input|text|txt|log|bin|tmp|temp|conf|config|cfg|in|out)file$""",
    re.VERBOSE,
)
_PATH_READS = frozenset({"read_text", "read_bytes"})
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

_ORDER = {Confidence.LOW: 0, Confidence.MEDIUM: 1, Confidence.HIGH: 2}


def weakest(*confidences: Confidence) -> Confidence:
    """The lowest of the confidences given."""
    return min(confidences, key=_ORDER.__getitem__)


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
