"""MEM105: an HTTP body buffered whole in memory and then written to a file or hashed."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import libcst as cst
from libcst.metadata import PositionProvider

from memlint.diagnostics import Confidence
from memlint.regions import Reach
from memlint.rule import Invalid, Rule, Valid
from memlint.semantic import astindex, bindings, constants, files, names, provenance
from memlint.semantic.uses import HarmlessUses

if TYPE_CHECKING:
    from memlint.settings import Settings

_Library = Literal["requests", "httpx", "urllib", "aiohttp"]
_Sink = Literal["write", "hash"]

_VERBS = ("get", "post", "put", "patch", "delete", "head", "options", "request")
# Functions that fetch a response.
_FETCHES: dict[str, _Library] = {
    **{f"requests.{verb}": "requests" for verb in _VERBS},
    **{f"requests.api.{verb}": "requests" for verb in _VERBS},
    **{f"httpx.{verb}": "httpx" for verb in _VERBS},
    "httpx.stream": "httpx",
    "urllib.request.urlopen": "urllib",
    "urllib2.urlopen": "urllib",
    "six.moves.urllib.request.urlopen": "urllib",
    "aiohttp.request": "aiohttp",
}
# Calls that make a session (client) whose methods fetch responses.
_SESSIONS: dict[str, _Library] = {
    "requests.Session": "requests",
    "requests.session": "requests",
    "requests.sessions.Session": "requests",
    "httpx.Client": "httpx",
    "httpx.AsyncClient": "httpx",
    "aiohttp.ClientSession": "aiohttp",
    "urllib.request.build_opener": "urllib",
}
_SESSION_METHODS: dict[_Library, frozenset[str]] = {
    "requests": frozenset({*_VERBS, "send"}),
    "httpx": frozenset({*_VERBS, "send", "stream"}),
    "aiohttp": frozenset(_VERBS),
    "urllib": frozenset({"open"}),
}
# Annotations that declare a response, or a session.
_RESPONSE_TYPES: dict[str, _Library] = {
    "requests.Response": "requests",
    "requests.models.Response": "requests",
    "httpx.Response": "httpx",
    "aiohttp.ClientResponse": "aiohttp",
    "http.client.HTTPResponse": "urllib",
}
_SESSION_TYPES: dict[str, _Library] = {
    "requests.Session": "requests",
    "requests.sessions.Session": "requests",
    "httpx.Client": "httpx",
    "httpx.AsyncClient": "httpx",
    "aiohttp.ClientSession": "aiohttp",
}
# Prefixes under which packages ship a copy of a client (`pip._vendor.requests`).
_VENDORED = ("._vendor.", ".vendor.", ".vendored.", "._vendored.")

_HASH_CONSTRUCTORS = frozenset(
    f"hashlib.{algorithm}"
    for algorithm in (
        "md5",
        "sha1",
        "sha224",
        "sha256",
        "sha384",
        "sha512",
        "sha3_224",
        "sha3_256",
        "sha3_384",
        "sha3_512",
        "shake_128",
        "shake_256",
        "blake2b",
        "blake2s",
    )
)
_HASHERS = _HASH_CONSTRUCTORS | {"hashlib.new", "hmac.new"}
# Hashing functions: the position of the data argument and its keywords.
_HASH_FUNCTIONS: dict[str, tuple[int, tuple[str, ...]]] = {
    **{name: (0, ("string", "data")) for name in _HASH_CONSTRUCTORS},
    "hashlib.new": (1, ("data", "string")),
    "hmac.new": (1, ("msg",)),
    "hmac.digest": (1, ("msg",)),
    "zlib.crc32": (0, ("data",)),
    "zlib.adler32": (0, ("data",)),
    "binascii.crc32": (0, ("data",)),
}
# Methods that turn a body into another of the same size.
_SAME_SIZE = frozenset({"decode", "encode"})
_PATH_WRITES = frozenset({"write_bytes", "write_text"})
_SINK_METHODS = _PATH_WRITES | {"write", "update"}

_STREAM = {
    "requests": (
        "Stream it: `requests.get(url, stream=True)`, then write "
        "`r.iter_content(chunk_size=1 << 20)` chunk by chunk or `shutil.copyfileobj(r.raw, f)`"
    ),
    "httpx": (
        "Stream it: `with httpx.stream(...) as r` (or `client.stream(...)`), then write "
        "`r.iter_bytes()` chunk by chunk (`aiter_bytes()` when async)"
    ),
    "urllib": "Copy the response in chunks: `shutil.copyfileobj(resp, f)`",
    "aiohttp": (
        "Read the body in chunks: `async for chunk in resp.content.iter_chunked(1 << 20)`, "
        "writing each one"
    ),
}
_HASH_STREAM = {
    "requests": (
        "Stream it: `requests.get(url, stream=True)`, then `h.update(chunk)` for each chunk of "
        "`r.iter_content(chunk_size=1 << 20)`"
    ),
    "httpx": (
        "Stream it: `with httpx.stream(...) as r` (or `client.stream(...)`), then "
        "`h.update(chunk)` for each chunk of `r.iter_bytes()`"
    ),
    "urllib": (
        "Feed the hash in chunks: "
        '`for chunk in iter(lambda: resp.read(1 << 20), b""): h.update(chunk)`'
    ),
    "aiohttp": (
        "Feed the hash in chunks: `async for chunk in resp.content.iter_chunked(1 << 20): "
        "h.update(chunk)`"
    ),
}
_SHOWN = 48


@dataclass(frozen=True)
class _Response:
    library: _Library
    fetch: cst.CSTNode  # the call that fetched it, or the annotated parameter


@dataclass(frozen=True)
class _Body:
    response: _Response
    expr: cst.BaseExpression  # `r.content`, `resp.read()`, `await resp.text()`
    via_name: cst.Name | None = None


def _library_name(qualified: str) -> str:
    """`pip._vendor.requests.get` -> `requests.get`: a vendored copy is the same client."""
    for marker in _VENDORED:
        if marker in qualified:
            return qualified.split(marker, 1)[1]
    return qualified


def _argument(call: cst.Call, index: int, keywords: tuple[str, ...]) -> cst.BaseExpression | None:
    """The argument at position `index` or given by one of `keywords`; None with star-args."""
    if any(arg.star for arg in call.args):
        return None
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value in keywords:
            return arg.value
    positional = [arg.value for arg in call.args if arg.keyword is None]
    return positional[index] if index < len(positional) else None


def _tree_may_be_body(expr: ast.expr, bodies: frozenset[str]) -> bool:
    """False only when `_body` of the same expression in libcst's tree is surely None: not
    `.content`/`.text`, a `.read`/`.aread`/`.text` call (awaited or not), or a name that may
    be bound to one of those."""
    expr = astindex.peel_methods(expr, _SAME_SIZE)
    if isinstance(expr, ast.Name):
        return expr.id in bodies
    if isinstance(expr, ast.Await):
        expr = expr.value
    if isinstance(expr, ast.Attribute):
        return expr.attr in ("content", "text")
    return (
        isinstance(expr, ast.Call)
        and isinstance(expr.func, ast.Attribute)
        and expr.func.attr in ("read", "aread", "text")
    )


def _tree_body_names(tree: ast.Module) -> frozenset[str]:
    """Names some `name = value` (or `name: T = value`) binds to what may be a body."""
    bound: list[tuple[list[ast.expr], ast.expr | None]] = [
        (node.targets, node.value) for node in astindex.nodes(tree, ast.Assign)
    ]
    bound += [([node.target], node.value) for node in astindex.nodes(tree, ast.AnnAssign)]
    return frozenset(
        target.id
        for targets, value in bound
        if value is not None and _tree_may_be_body(value, frozenset())
        for target in targets
        if isinstance(target, ast.Name)
    )


def _whole(call: cst.Call) -> bool:
    """`read()`, `read(-1)`, `read(None)`: no size, so everything."""
    if not call.args:
        return True
    if len(call.args) > 1 or call.args[0].star:
        return False
    value = call.args[0].value
    if isinstance(value, cst.Name) and value.value == "None":
        return True
    size = constants.fold(value)
    return size is not None and size < 0


def _self_attribute(expr: cst.BaseExpression) -> str | None:
    """`x` for `self.x`."""
    if (
        isinstance(expr, cst.Attribute)
        and isinstance(expr.value, cst.Name)
        and expr.value.value == "self"
    ):
        return expr.attr.value
    return None


class _SelfAssignments(cst.CSTVisitor):
    """`self.<attr> = value` in the methods of one class (not in nested classes)."""

    def __init__(self) -> None:
        super().__init__()
        self.found: dict[str, list[cst.BaseExpression]] = {}
        self.depth = 0

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        self.depth += 1
        return self.depth == 1

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self.depth -= 1

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            attribute = _self_attribute(target.target)
            if attribute is not None:
                self.found.setdefault(attribute, []).append(node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        attribute = _self_attribute(node.target)
        if attribute is not None and node.value is not None:
            self.found.setdefault(attribute, []).append(node.value)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        attribute = _self_attribute(node.target)
        if attribute is not None:
            self.found.setdefault(attribute, []).append(node.value)


class HttpBodyBuffered(HarmlessUses, Rule):
    """
    ## What it does
    Flags an HTTP response body that is buffered whole in memory and then written to a
    file or hashed:

    - `f.write(requests.get(url).content)`, and `.text` too; the same for `httpx`
      (`.content`, `.text`, `.read()`) and for sessions: `requests.Session()`,
      `httpx.Client()`, `httpx.AsyncClient()` (`await client.get(url)`);
    - `f.write(urllib.request.urlopen(url).read())` (also `with urlopen(url) as resp`, and
      an opener from `urllib.request.build_opener()`);
    - aiohttp: `await resp.read()`, `await resp.text()` and `await resp.content.read()` on a
      response from `aiohttp.ClientSession` (`async with session.get(url) as resp`);
    - a response declared by an annotation (`resp: requests.Response`,
      `httpx.Response`, `aiohttp.ClientResponse`, `http.client.HTTPResponse`).

    The body may pass through local names (`r = requests.get(url)`, `data = r.content`,
    `out.write(data)`) and `.decode()`/`.encode()`. `stream=True` does not help when
    `.content` is read anyway. A write is `<file>.write(body)` on a file object (`open`,
    `Path.open`, `tempfile`, ...: see MEM101), `Path.write_bytes(body)` or
    `Path.write_text(body)`; a hash is `hashlib.sha256(body)` and the other `hashlib`
    constructors, `hashlib.new`, `hmac.new`, `hmac.digest`, `zlib.crc32`, `zlib.adler32`,
    or `h.update(body)` on a hash object. The diagnostic points at the write or hash call
    (where the response was fetched on an earlier line, at the line that keeps the body);
    a response is reported once, at its first write or hash. Names are resolved:
    `import requests as rq`, `from urllib.request import urlopen as fetch` and vendored
    copies (`pip._vendor.requests`) are recognised; your own `get()` or `read()` is not.

    Not flagged: a body parsed or printed (an API payload: `r.json()`,
    `json.loads(r.content)`, a response whose `.json()` is called anywhere in the function,
    `print(r.text)`), a body also kept for other uses (returned, stored, parsed: the
    content is needed whole anyway), a body written to memory (`io.BytesIO().write(...)`
    or an object not known to be a file), streaming (`iter_content`, `iter_bytes`,
    `shutil.copyfileobj(r.raw, f)`, `resp.read(65536)`), and decompression of a body
    (`gzip.decompress(r.content)` is MEM104's: one expression, one code).

    A download is as large as the server makes it, so the confidence is high (medium when
    the file written to is only inferred, low in test code).

    ## Why is this bad?
    `.content`, `.text` and `.read()` hold the whole body in memory before the first byte
    is written, so memory grows with the download: a job that saves reports of a few
    megabytes is killed the day it fetches a 4 GB export, and `.text` holds the bytes and
    the decoded string at once. Written to a file or fed to a hash, the body could have
    gone through a buffer of a megabyte, chunk by chunk.

    ## Example
    ```python
    import requests

    def download(url, path):
        r = requests.get(url, timeout=30)
        r.raise_for_status()
        with open(path, "wb") as f:
            f.write(r.content)
    ```

    ## Use instead
    ```python
    import requests

    def download(url, path):
        with requests.get(url, stream=True, timeout=30) as r:
            r.raise_for_status()
            with open(path, "wb") as f:
                for chunk in r.iter_content(chunk_size=1 << 20):
                    f.write(chunk)
    ```

    ## References
    - [requests: raw response content and iter_content](https://requests.readthedocs.io/en/latest/user/quickstart/#raw-response-content)
    - [httpx: streaming responses](https://www.python-httpx.org/quickstart/#streaming-responses)
    - [aiohttp: streaming response content](https://docs.aiohttp.org/en/stable/client_quickstart.html#streaming-response-content)
    - [shutil.copyfileobj](https://docs.python.org/3/library/shutil.html#shutil.copyfileobj)
    """

    code = "MEM105"
    name = "http-body-buffered"
    summary = "An HTTP body buffered whole in memory and then written to a file or hashed"
    # Every response comes from a client module that must be imported (an import line
    # naming it; `from pip._vendor import requests` too), or is declared `HTTPResponse`
    # (which a parenthesised `from http.client import (...)` may put on a line of its own).
    # The bare words would wake the rule for every docstring that mentions "requests".
    trigger_pattern = (
        r"^[ \t]*(?:from|import)[ \t][^\n]*\b(?:requests|httpx|aiohttp|urllib2?)\b"
        r"|\bHTTPResponse\b"
    )
    trigger_literals = ("requests", "httpx", "aiohttp", "urllib", "HTTPResponse")
    # A response kept on `self` in one method is read in another: the class.
    reach = Reach.CLASS

    @classmethod
    def ast_places(cls, tree: ast.Module, settings: Settings) -> list[ast.AST]:
        """The calls `_sink` may take for a write or a hash (`.write(x)`, `.write_bytes`,
        `.write_text`, `.update(x)`, a call that may name a hash function) with an
        argument that may be a body (`_body`'s shapes, or a name some assignment binds to
        one)."""
        imports = names.Imports.of(tree)
        bodies = _tree_body_names(tree)
        return [
            call
            for call in astindex.nodes(tree, ast.Call)
            if (
                (isinstance(call.func, ast.Attribute) and call.func.attr in _SINK_METHODS)
                or imports.may_refer(call.func, _HASH_FUNCTIONS)
            )
            and any(
                _tree_may_be_body(value, bodies)
                for value in (*call.args, *(k.value for k in call.keywords))
            )
        ]

    METADATA_DEPENDENCIES = (
        PositionProvider,
        *names.PROVIDERS,
        *files.PROVIDERS,
        *bindings.PROVIDERS,
    )

    cases = (
        # An API payload parsed as JSON is needed whole.
        Valid(
            """
            import json
            import requests
            def fetch(url):
                r = requests.get(url)
                with open("last.json", "w") as f:
                    f.write(r.text)
                return r.json()
            def payload(url):
                return json.loads(requests.get(url).content)
            """
        ),
        # Streaming is the fix.
        Valid(
            """
            import shutil
            import requests
            def download(url, path):
                with requests.get(url, stream=True) as r, open(path, "wb") as f:
                    for chunk in r.iter_content(chunk_size=1 << 20):
                        f.write(chunk)
            def copy(url, path):
                with requests.get(url, stream=True) as r, open(path, "wb") as f:
                    shutil.copyfileobj(r.raw, f)
            """
        ),
        # A chunked read of a urlopen response.
        Valid(
            """
            import hashlib
            from urllib.request import urlopen
            def digest(url):
                h = hashlib.sha256()
                with urlopen(url) as resp:
                    while chunk := resp.read(65536):
                        h.update(chunk)
                return h.hexdigest()
            """
        ),
        # A `get()` and `read()` of your own are not an HTTP client's.
        Valid(
            """
            class Store:
                def get(self, key): ...
            def save(store, key, path):
                with open(path, "wb") as f:
                    f.write(store.get(key).content)
                    f.write(store.open(key).read())
            """
        ),
        # Printed, or written to memory: not a file.
        Valid(
            """
            import io
            import requests
            def show(url):
                print(requests.get(url).text)
                buf = io.BytesIO()
                buf.write(requests.get(url).content)
                return buf
            """
        ),
        # The body is returned as well: the caller holds it whole anyway.
        Valid(
            """
            import requests
            def fetch_and_cache(url, path):
                data = requests.get(url).content
                with open(path, "wb") as f:
                    f.write(data)
                return data
            """
        ),
        # Decompressing a body is MEM104's (one expression, one code).
        Valid(
            """
            import gzip
            import requests
            def unpack(url, path):
                with open(path, "wb") as f:
                    f.write(gzip.decompress(requests.get(url).content))
            """
        ),
        Invalid(
            """
            import requests
            def download(url, path):
                with open(path, "wb") as f:
                    f.write(requests.get(url).content)
            """,
            line=4,
            column=9,
        ),
        # Fetched on an earlier line: reported at the write.
        Invalid(
            """
            import requests as rq
            def download(url, path):
                r = rq.get(url, stream=True)
                data = r.content
                with open(path, "wb") as out:
                    out.write(data)
            """,
            line=6,
            column=9,
        ),
        Invalid(
            """
            import hashlib
            from urllib.request import urlopen
            def digest(url):
                return hashlib.sha256(urlopen(url).read()).hexdigest()
            """,
            line=4,
            column=12,
        ),
        Invalid(
            """
            from pathlib import Path
            from urllib.request import urlopen
            def save(url, dest: Path):
                with urlopen(url) as resp:
                    dest.write_bytes(resp.read())
            """,
            line=5,
        ),
        Invalid(
            """
            import aiohttp
            async def download(url, path):
                async with aiohttp.ClientSession() as session:
                    async with session.get(url) as resp:
                        body = await resp.read()
                with open(path, "wb") as f:
                    f.write(body)
            """,
            line=7,
        ),
        Invalid(
            """
            import httpx
            async def save(client: httpx.AsyncClient, url, path):
                r = await client.get(url)
                with open(path, "w") as f:
                    f.write(r.text)
            """,
            line=5,
        ),
        # A session kept on the instance.
        Invalid(
            """
            import hashlib
            import requests
            class Mirror:
                def __init__(self):
                    self.session = requests.Session()
                def checksum(self, url):
                    h = hashlib.md5()
                    h.update(self.session.get(url).content)
                    return h.hexdigest()
            """,
            line=8,
        ),
        # A download is as large as the server makes it: high, with the file proven.
        Invalid(
            """
            import requests
            def save(url, path):
                with open(path, "wb") as out:
                    out.write(requests.get(url).content)
            """,
            confidence=Confidence.HIGH,
        ),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self._classes: list[cst.ClassDef] = []
        self._self_assignments: dict[int, dict[str, list[cst.BaseExpression]]] = {}
        # Sinks of a body reached through a name: reported at the end, once every use of
        # the name is known.
        self._pending: list[tuple[cst.Call, _Sink, _Body, Confidence]] = []
        self._reported: set[int] = set()

    # -- classes, for `self.session` ------------------------------------------------------

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._classes.append(node)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._classes.pop()

    def _self_values(self, attribute: str) -> list[cst.BaseExpression]:
        if not self._classes:
            return []
        owner = self._classes[-1]
        found = self._self_assignments.get(id(owner))
        if found is None:
            collector = _SelfAssignments()
            owner.visit(collector)
            found = self._self_assignments[id(owner)] = collector.found
        return found.get(attribute, [])

    # -- uses that do not need the whole body ---------------------------------------------

    # -- sinks ----------------------------------------------------------------------------

    def visit_Call(self, node: cst.Call) -> None:
        if names.resolves_to(self, node, ("builtins.len",)) and len(node.args) == 1:
            self._harmless_use(node.args[0].value)
            return
        found = self._sink(node)
        if found is None:
            return
        sink, data, confidence = found
        data = self._peel(data)
        self._harmless_use(data)
        body = self._body(data)
        if body is None:
            return
        if body.via_name is not None:
            self._pending.append((node, sink, body, confidence))
            return
        self._report(node, sink, body, confidence)

    def leave_Module(self, original_node: cst.Module) -> None:
        for node, sink, body, confidence in self._pending:
            assert body.via_name is not None
            if self._only_consumed(body.via_name):
                self._report(node, sink, body, confidence)
        self._pending.clear()

    def _sink(self, call: cst.Call) -> tuple[_Sink, cst.BaseExpression, Confidence] | None:
        """What the call does with its data (write or hash), the data, and how sure."""
        func = call.func
        if isinstance(func, cst.Attribute) and not any(arg.star for arg in call.args):
            method = func.attr.value
            positional = [arg.value for arg in call.args if arg.keyword is None]
            if method == "write" and len(call.args) == 1 and positional:
                confidence = files.file_object(self, func.value)
                return ("write", positional[0], confidence) if confidence is not None else None
            if method in _PATH_WRITES and positional:
                return self._path_write(call, func, positional)
            if method == "update" and len(call.args) == 1 and positional:
                if self._bound_by(func.value, _HASHERS):
                    return "hash", positional[0], Confidence.HIGH
                return None
        qualified = names.resolves_to(self, call, _HASH_FUNCTIONS)
        if qualified is None:
            return None
        index, keywords = _HASH_FUNCTIONS[qualified]
        data = _argument(call, index, keywords)
        return ("hash", data, Confidence.HIGH) if data is not None else None

    def _path_write(
        self, call: cst.Call, func: cst.Attribute, positional: list[cst.BaseExpression]
    ) -> tuple[_Sink, cst.BaseExpression, Confidence] | None:
        unbound = names.resolved(self, func) & {
            "pathlib.Path.write_bytes",
            "pathlib.Path.write_text",
        }
        if unbound:
            # `Path.write_bytes(p, data)`.
            return ("write", positional[1], Confidence.HIGH) if len(positional) > 1 else None
        if len(positional) != 1:
            return None
        if files.is_path(self, func.value):
            return "write", positional[0], Confidence.HIGH
        # A module's own function of that name writes something else.
        if names.resolved(self, func.value):
            return None
        return "write", positional[0], Confidence.MEDIUM

    def _bound_by(self, expr: cst.BaseExpression, calls: frozenset[str]) -> bool:
        """Whether `expr` is made by one of `calls`: a call, or a name every binding of
        which is such a call."""
        if isinstance(expr, cst.Call):
            return names.resolves_to(self, expr, calls) is not None
        if not isinstance(expr, cst.Name):
            return False
        found = bindings.name_bindings(self, expr)
        if found is None:
            return False
        return all(
            b.kind in ("assign", "annassign", "walrus")
            and isinstance(b.value, cst.Call)
            and names.resolves_to(self, b.value, calls) is not None
            for b in found.bindings
        )

    # -- bodies ---------------------------------------------------------------------------

    @staticmethod
    def _peel(expr: cst.BaseExpression) -> cst.BaseExpression:
        """`r.text.encode("utf-8")` -> `r.text`."""
        while (
            isinstance(expr, cst.Call)
            and isinstance(expr.func, cst.Attribute)
            and expr.func.attr.value in _SAME_SIZE
        ):
            expr = expr.func.value
        return expr

    def _body(self, expr: cst.BaseExpression) -> _Body | None:
        if isinstance(expr, cst.Name):
            return self._body_via_name(expr)
        awaited = isinstance(expr, cst.Await)
        inner = expr.expression if isinstance(expr, cst.Await) else expr
        if isinstance(inner, cst.Attribute):
            # `.content` / `.text`: the body itself on requests and httpx responses
            # (aiohttp's `.content` is a stream).
            if awaited or inner.attr.value not in ("content", "text"):
                return None
            response = self._response(inner.value)
            if response is None or response.library not in ("requests", "httpx"):
                return None
            return _Body(response, expr)
        if not isinstance(inner, cst.Call) or not isinstance(inner.func, cst.Attribute):
            return None
        method = inner.func.attr.value
        receiver = inner.func.value
        if method == "read" and not _whole(inner):
            return None
        if awaited:
            return self._awaited_body(expr, method, receiver)
        if method != "read":
            return None
        response = self._response(receiver)
        if response is None or response.library not in ("urllib", "httpx"):
            return None
        return _Body(response, expr)

    def _awaited_body(
        self, expr: cst.BaseExpression, method: str, receiver: cst.BaseExpression
    ) -> _Body | None:
        if method == "aread":
            response = self._response(receiver)
            ok = response is not None and response.library == "httpx"
            return _Body(response, expr) if ok and response is not None else None
        if method == "read" and isinstance(receiver, cst.Attribute):
            # `await resp.content.read()`: aiohttp's stream read to its end.
            if receiver.attr.value != "content":
                return None
            receiver = receiver.value
        elif method not in ("read", "text"):
            return None
        response = self._response(receiver)
        if response is None or response.library != "aiohttp":
            return None
        return _Body(response, expr)

    def _body_via_name(self, name: cst.Name) -> _Body | None:
        found = bindings.name_bindings(self, name)
        if found is None or len(found.bindings) != 1:
            return None
        binding = found.bindings[0]
        if binding.kind not in ("assign", "annassign") or binding.value is None:
            return None
        value = self._peel(binding.value)
        if isinstance(value, cst.Name):
            return None
        body = self._body(value)
        if body is None:
            return None
        return _Body(body.response, body.expr, name)

    # -- responses and sessions -----------------------------------------------------------

    def _qualified(self, node: cst.CSTNode, table: dict[str, _Library]) -> _Library | None:
        for qualified in names.qualified_names(self, node):
            library = table.get(_library_name(qualified))
            if library is not None:
                return library
        return None

    def _response(self, expr: cst.BaseExpression, depth: int = 0) -> _Response | None:
        """The library whose response `expr` is, and where it was fetched."""
        if depth > 4:
            return None
        if isinstance(expr, cst.Await):
            return self._response(expr.expression, depth + 1)
        if isinstance(expr, cst.Call):
            library = self._qualified(expr, _FETCHES)
            if library is not None:
                return _Response(library, expr)
            func = expr.func
            if not isinstance(func, cst.Attribute):
                return None
            session = self._session(func.value, depth + 1)
            if session is not None and func.attr.value in _SESSION_METHODS[session]:
                return _Response(session, expr)
            return None
        if not isinstance(expr, cst.Name):
            return None
        found = bindings.name_bindings(self, expr)
        if found is None or not found.bindings:
            return None
        # A response parsed as JSON is an API payload.
        if "json" in found.attributes:
            return None
        responses = []
        for binding in found.bindings:
            if isinstance(binding.value, cst.Name) and binding.value.value == "None":
                continue
            response = self._binding_response(binding, depth)
            if response is None:
                return None
            responses.append(response)
        libraries = {r.library for r in responses}
        return responses[0] if len(libraries) == 1 else None

    def _binding_response(self, binding: bindings.Binding, depth: int) -> _Response | None:
        library = self._annotated(binding, _RESPONSE_TYPES)
        if library is not None:
            return _Response(library, binding.node)
        if binding.kind in ("assign", "annassign", "with", "walrus") and binding.value is not None:
            return self._response(binding.value, depth + 1)
        return None

    def _session(self, expr: cst.BaseExpression, depth: int) -> _Library | None:
        """The library whose session (client) `expr` is."""
        if depth > 4:
            return None
        if isinstance(expr, cst.Call):
            return self._qualified(expr, _SESSIONS)
        attribute = _self_attribute(expr)
        if attribute is not None:
            values = self._self_values(attribute)
            found = {self._session(value, depth + 1) for value in values}
            return found.pop() if len(found) == 1 else None
        if not isinstance(expr, cst.Name):
            return None
        # A session is often made once, at module level.
        found_bindings = bindings.name_bindings(self, expr) or bindings.global_bindings(self, expr)
        if found_bindings is None or not found_bindings.bindings:
            return None
        libraries: set[_Library | None] = set()
        for binding in found_bindings.bindings:
            if isinstance(binding.value, cst.Name) and binding.value.value == "None":
                continue
            libraries.add(self._binding_session(binding, depth))
        return libraries.pop() if len(libraries) == 1 else None

    def _annotated(self, binding: bindings.Binding, table: dict[str, _Library]) -> _Library | None:
        """The library of the one type the binding's annotation allows (`None` aside)."""
        if binding.annotation is None:
            return None
        members = names.annotation_members(self, binding.annotation) or []
        if len(members) != 1:
            return None
        found = {table.get(_library_name(q)) for q in members[0]} - {None}
        return found.pop() if len(found) == 1 else None

    def _binding_session(self, binding: bindings.Binding, depth: int) -> _Library | None:
        library = self._annotated(binding, _SESSION_TYPES)
        if library is not None:
            return library
        if binding.kind in ("assign", "annassign", "with", "walrus") and binding.value is not None:
            return self._session(binding.value, depth + 1)
        return None

    # -- reporting ------------------------------------------------------------------------

    def _report(self, call: cst.Call, sink: _Sink, body: _Body, confidence: Confidence) -> None:
        # One diagnostic per response: a body both hashed and written is reported once.
        key = id(body.response.fetch)
        if key in self._reported:
            return
        self._reported.add(key)
        library = body.response.library
        shown = self._shown(call)
        source = self._shown(body.expr, 32)
        via = f" (`{source}`)" if body.via_name is not None else ""
        client = "`urllib`" if library == "urllib" else f"`{library}`"
        if sink == "write":
            message = (
                f"`{shown}` writes an HTTP body{via} that {client} buffered whole in memory, "
                "so memory grows with the size of the download"
            )
            suggestion = _STREAM[library]
        else:
            message = (
                f"`{shown}` hashes an HTTP body{via} that {client} buffered whole in memory, "
                "where chunks of the stream would do"
            )
            suggestion = _HASH_STREAM[library]
        # The body is a download, as the message says: as large as the server makes it.
        self.report(
            call,
            message,
            suggestion=suggestion,
            confidence=confidence,
            provenance=provenance.unbounded(""),
        )

    def _shown(self, node: cst.CSTNode, limit: int = _SHOWN) -> str:
        code = " ".join(self.context.module.code_for_node(node).split())
        if len(code) <= limit and "#" not in code:
            return code
        if not isinstance(node, cst.Call):
            return "..."
        callee = names.dotted(node.func)
        if callee:
            return f"{callee}(...)"
        if isinstance(node.func, cst.Attribute):
            receiver = self._shown(node.func.value, 24)
            return f"{receiver}.{node.func.attr.value}(...)"
        return "..."
