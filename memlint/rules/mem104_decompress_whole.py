"""MEM104: a one-shot decompression that inflates a whole payload in memory at once."""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

import libcst as cst
from libcst.metadata import PositionProvider

from memlint.diagnostics import Confidence
from memlint.regions import Reach
from memlint.rule import Invalid, Rule, Valid
from memlint.semantic import astindex, bindings, constants, context, names, provenance

if TYPE_CHECKING:
    from memlint.settings import Settings

# One-shot functions, and the module whose streaming tools the suggestion names.
_ONE_SHOT = {
    "gzip.decompress": "gzip",
    "zlib.decompress": "zlib",
    "bz2.decompress": "bz2",
    "lzma.decompress": "lzma",
    "compression.gzip.decompress": "gzip",
    "compression.zlib.decompress": "zlib",
    "compression.bz2.decompress": "bz2",
    "compression.lzma.decompress": "lzma",
    "compression.zstd.decompress": "zstd",
}
# Decompressor objects, whose `decompress(data, max_length)` caps the output when asked.
_DECOMPRESSORS = {
    "zlib.decompressobj": "zlib",
    "bz2.BZ2Decompressor": "bz2",
    "lzma.LZMADecompressor": "lzma",
    "compression.zlib.decompressobj": "zlib",
    "compression.bz2.BZ2Decompressor": "bz2",
    "compression.lzma.LZMADecompressor": "lzma",
    "compression.zstd.ZstdDecompressor": "zstd",
}
_SUGGESTIONS = {
    "gzip": (
        "Stream it (`gzip.open(...)` + `shutil.copyfileobj`) or use `zlib.decompressobj()` "
        "with `max_length` to cap the output (a decompression-bomb guard)"
    ),
    "zlib": (
        "Stream it through `zlib.decompressobj()` in chunks, passing `max_length` to cap "
        "the output (a decompression-bomb guard)"
    ),
    "bz2": (
        "Stream it (`bz2.open(...)` + `shutil.copyfileobj`) or use `bz2.BZ2Decompressor()` "
        "with `max_length` to cap the output (a decompression-bomb guard)"
    ),
    "lzma": (
        "Stream it (`lzma.open(...)` + `shutil.copyfileobj`) or use "
        "`lzma.LZMADecompressor()` with `max_length` to cap the output (a "
        "decompression-bomb guard)"
    ),
    "zstd": (
        "Stream it (`compression.zstd.open(...)` + `shutil.copyfileobj`) or use "
        "`ZstdDecompressor()` with `max_length` to cap the output (a decompression-bomb guard)"
    ),
}
_COST = (
    "inflates the whole payload in memory at once, so a small input can expand to "
    "gigabytes (a decompression bomb)"
)


def _is_bytes_literal(node: cst.BaseExpression) -> bool:
    """`b"..."`, `b"..." b"..."` and `b"..." + b"..."`: data written in the code."""
    if isinstance(node, cst.SimpleString):
        return "b" in node.prefix.lower()
    if isinstance(node, cst.ConcatenatedString):
        return _is_bytes_literal(node.left) and _is_bytes_literal(node.right)
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
        return _is_bytes_literal(node.left) and _is_bytes_literal(node.right)
    return False


def _data(call: cst.Call) -> cst.BaseExpression | None:
    """The data argument: the first positional one, or `data=`; None with star-args."""
    if any(arg.star for arg in call.args):
        return None
    for arg in call.args:
        if arg.keyword is None or arg.keyword.value == "data":
            return arg.value
    return None


def _uncapped(call: cst.Call, module: str) -> bool:
    """Whether a decompressor's `decompress(data, max_length)` has no cap on its output.

    No `max_length`, or one that means no limit: 0 (or less) for zlib, a negative number
    for the others, for which 0 is a cap of nothing. A cap given by a name or expression
    is someone's decision.
    """
    if any(arg.star for arg in call.args):
        return False
    positional = [arg for arg in call.args if arg.keyword is None]
    limit = next((a for a in call.args if a.keyword and a.keyword.value == "max_length"), None)
    if limit is None and len(positional) > 1:
        limit = positional[1]
    if limit is None:
        return True
    value = constants.fold(limit.value)
    if value is None:
        return False
    return value <= 0 if module == "zlib" else value < 0


def _module(qualified: str) -> str:
    return _ONE_SHOT.get(qualified) or _DECOMPRESSORS[qualified]


class DecompressWhole(Rule):
    """
    ## What it does
    Flags every one-shot decompression: `gzip.decompress(x)`, `zlib.decompress(x)`,
    `bz2.decompress(x)`, `lzma.decompress(x)` (and their `compression.*` spellings in Python
    3.14, `compression.zstd.decompress` included), unless the argument is a bytes literal
    (`b"..."`, or literals joined together). Names are resolved: `import zlib as z`
    and `from gzip import decompress as gunzip` are recognised; a function or method of
    your own called `decompress` is not.

    A decompressor object used as a one-shot is flagged too: `decompress(data)` without a
    `max_length`, or with one that means no limit (0 for zlib, -1 for the others), on
    `zlib.decompressobj(...)` made in the same expression, and on a name bound to
    `zlib.decompressobj(...)`, `bz2.BZ2Decompressor()` or `lzma.LZMADecompressor()` when that
    call is the object's only `decompress` call and is not inside a loop. An object fed in
    a loop or over several calls is fed chunk by chunk, which is the streaming this rule
    recommends, and is not flagged.

    Where the payload comes from does not matter: a file, a queue message or an HTTP body
    (`gzip.decompress(resp.content)`) is reported here, as MEM104, and MEM105 leaves
    decompressed HTTP bodies to this rule (one expression, one code). It sets the
    confidence, though: high for an HTTP body, a temporary file, a path from the command
    line or a parameter of a public function named for data (`payload`, `blob`, `data`);
    low for data written in the code (a module constant, `base64.b64decode("...")`), the
    package's own files (`pkgutil.get_data`, `importlib.resources`) and in test code;
    medium otherwise. The message ends with the reason.

    ## Why is this bad?
    A one-shot decompression builds the whole output in memory, and the output is not
    bounded by the input: deflate expands up to about 1000 times, bzip2 and xz further
    still, so a 10 MB upload can inflate to 10 GB (a decompression bomb). Even honest
    payloads grow with the data, and the compressed bytes are held alongside. A streaming
    reader holds one buffer at a time, and a decompressor with `max_length` stops at a
    bound you choose.

    ## Example
    ```python
    import gzip

    def read_archive(path):
        with open(path, "rb") as f:
            return gzip.decompress(f.read())
    ```

    ## Use instead
    ```python
    import gzip
    import shutil

    def copy_archive(path, out):
        with gzip.open(path, "rb") as f:
            shutil.copyfileobj(f, out)
    ```

    ## References
    - [zlib.decompressobj and max_length](https://docs.python.org/3/library/zlib.html#zlib.Decompress.decompress)
    - [gzip.open](https://docs.python.org/3/library/gzip.html#gzip.open)
    - [shutil.copyfileobj](https://docs.python.org/3/library/shutil.html#shutil.copyfileobj)
    - [Decompression bomb](https://en.wikipedia.org/wiki/Zip_bomb)
    """

    code = "MEM104"
    name = "decompress-whole"
    summary = "A one-shot decompression that inflates a whole payload in memory at once"
    triggers = ("decompress",)

    reach = Reach.FUNCTION

    @classmethod
    def ast_places(cls, tree: ast.Module, settings: Settings) -> list[ast.AST]:
        """The `.decompress(...)` calls, and the calls that may name a one-shot decompress;
        none when no import can reach a decompressor."""
        imports = names.Imports.of(tree)
        if not imports.may_name(_ONE_SHOT.keys() | _DECOMPRESSORS.keys()):
            return []
        return [
            call
            for call in astindex.nodes(tree, ast.Call)
            if (isinstance(call.func, ast.Attribute) and call.func.attr == "decompress")
            or imports.may_refer(call.func, _ONE_SHOT)
        ]

    METADATA_DEPENDENCIES = (
        PositionProvider,
        *names.PROVIDERS,
        *bindings.PROVIDERS,
        *context.PROVIDERS,
    )

    cases = (
        # Data written in the code is bounded by the code.
        Valid(
            """
            import zlib
            EMPTY = zlib.decompress(b"x\\x9c\\x03\\x00\\x00\\x00\\x00\\x01")
            BANNER = zlib.decompress(
                b"x\\x9c\\xcbH\\xcd\\xc9\\xc9\\x07\\x00"
                b"\\x06,\\x02\\x15"
            )
            """
        ),
        # A `decompress` of your own, and a method of an object of unknown type.
        Valid(
            """
            def decompress(blob):
                return blob[::-1]
            class Codec:
                def decompress(self, blob):
                    return blob
            restored = decompress(payload)
            text = Codec().decompress(payload)
            def load(codec, blob):
                return codec.decompress(blob)
            """
        ),
        # A decompressor with `max_length` caps its output.
        Valid(
            """
            import zlib
            head = zlib.decompressobj().decompress(data, 1 << 20)
            d = zlib.decompressobj(wbits=31)
            part = d.decompress(data, max_length=limit)
            """
        ),
        # Fed chunk by chunk in a loop: streaming.
        Valid(
            """
            import lzma
            def inflate(chunks, out):
                d = lzma.LZMADecompressor()
                for chunk in chunks:
                    out.write(d.decompress(chunk))
            """
        ),
        # Fed over several calls: incremental (and for bz2, `max_length=0` is a cap).
        Valid(
            """
            import bz2
            def inflate(head, rest):
                d = bz2.BZ2Decompressor()
                first = d.decompress(head, max_length=0)
                return first + d.decompress(rest)
            """
        ),
        # Streaming readers are the fix, not the problem.
        Valid(
            """
            import gzip
            import shutil
            with gzip.open(path) as src, open(dest, "wb") as out:
                shutil.copyfileobj(src, out)
            """
        ),
        Invalid(
            """
            import gzip
            with open(path, "rb") as f:
                text = gzip.decompress(f.read()).decode()
            """,
            line=3,
            column=12,
        ),
        # Aliases resolve.
        Invalid(
            """
            import zlib as z
            def unpack(blob):
                return z.decompress(blob)
            """,
            line=3,
            column=12,
        ),
        Invalid(
            """
            from bz2 import decompress as bunzip
            restored = bunzip(payload)
            """,
        ),
        # An HTTP body is decompressed whole here too (MEM105 leaves it to this rule).
        Invalid(
            """
            import gzip
            import requests
            def fetch(url):
                resp = requests.get(url)
                return gzip.decompress(resp.content)
            """,
            line=5,
        ),
        Invalid(
            """
            import lzma
            rows = lzma.decompress(data=blob, format=lzma.FORMAT_XZ)
            """,
        ),
        # A decompressor used once, with no cap, is the same one-shot.
        Invalid(
            """
            import zlib
            text = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(body)
            """,
            column=8,
        ),
        Invalid(
            """
            import bz2
            def restore(blob):
                d = bz2.BZ2Decompressor()
                return d.decompress(blob, -1)
            """,
            line=4,
        ),
        # In a loop, the one-shot function is still one-shot per call.
        Invalid(
            """
            import zlib
            def messages(queue):
                for raw in queue:
                    yield zlib.decompress(raw)
            """,
            line=4,
        ),
        # -- provenance: where the payload comes from decides the confidence -------------
        # A payload written in the code, through a module constant: low ...
        Invalid(
            """
            import base64
            import zlib
            ICON = "eJzLSM3JyVcozy/KSQEAGgQEXQ=="
            def icon():
                return zlib.decompress(base64.b64decode(ICON))
            """,
            confidence=Confidence.LOW,
            because="the data is written in the code",
        ),
        # ... a constant read from elsewhere is not.
        Invalid(
            """
            import zlib
            ICON = load_icon()
            def icon():
                return zlib.decompress(ICON)
            """,
            confidence=Confidence.MEDIUM,
        ),
        # Data bundled with the package: low; the same call on any loader: medium.
        Invalid(
            """
            import pkgutil
            import zlib
            def table():
                return zlib.decompress(pkgutil.get_data(__name__, "table.z"))
            """,
            confidence=Confidence.LOW,
            because="reads a resource of the package itself (`pkgutil.get_data`)",
        ),
        Invalid(
            """
            import zlib
            def table(loader, name):
                return zlib.decompress(loader.get_data(name))
            """,
            confidence=Confidence.MEDIUM,
        ),
        # A temporary file (a download) and a public parameter named for data: high.
        Invalid(
            """
            import gzip
            import tempfile
            def inflate(fetch):
                with tempfile.NamedTemporaryFile() as spool:
                    fetch(spool)
                    spool.seek(0)
                    return gzip.decompress(spool.read())
            """,
            confidence=Confidence.HIGH,
            because="reads a temporary file (a download or a spool)",
        ),
        Invalid(
            """
            import lzma
            def unpack(payload):
                return lzma.decompress(payload)
            """,
            confidence=Confidence.HIGH,
            because="reads `payload`, a parameter of public `unpack()` named for data",
        ),
        # ... a private helper's parameter, with no caller in sight: medium.
        Invalid(
            """
            import lzma
            def _unpack(payload):
                return lzma.decompress(payload)
            """,
            confidence=Confidence.MEDIUM,
        ),
        # Look-alike: a file under `/tmp` named in the code is not a `tempfile` download.
        Invalid(
            """
            import zlib
            def cached():
                with open("/tmp/cache.z", "rb") as f:
                    return zlib.decompress(f.read())
            """,
            confidence=Confidence.MEDIUM,
        ),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        # `decompress` calls on each named decompressor (keyed by its bindings), and the
        # one-shot candidates among them: reported at the end if their object is used once.
        self._calls: dict[tuple[int, ...], int] = {}
        self._pending: list[tuple[cst.Call, str, str, tuple[int, ...]]] = []

    def visit_Call(self, node: cst.Call) -> None:
        qualified = names.resolves_to(self, node, _ONE_SHOT)
        if qualified is not None:
            data = _data(node)
            if data is not None and not _is_bytes_literal(data):
                self._report(node, f"`{qualified}()`", qualified)
            return
        func = node.func
        if not isinstance(func, cst.Attribute) or func.attr.value != "decompress":
            return
        receiver = func.value
        if isinstance(receiver, cst.Call):
            made = names.resolves_to(self, receiver, _DECOMPRESSORS)
            if made is not None and self._one_shot(node, made):
                self._report(node, f"`{made}().decompress()` without a `max_length` cap", made)
            return
        if not isinstance(receiver, cst.Name):
            return
        found = self._decompressor(receiver)
        if found is None:
            return
        made, key = found
        self._calls[key] = self._calls.get(key, 0) + 1
        # Inside a loop the decompressor is fed chunk by chunk: streaming.
        if context.context_of(self, node).loop is None and self._one_shot(node, made):
            self._pending.append((node, receiver.value, made, key))

    def leave_Module(self, original_node: cst.Module) -> None:
        for node, name, made, key in self._pending:
            # Fed in several calls, the object is used incrementally.
            if self._calls[key] == 1:
                shown = f"`{name}.decompress()` on a `{made}()` without a `max_length` cap"
                self._report(node, shown, made)
        self._pending.clear()

    def _one_shot(self, node: cst.Call, made: str) -> bool:
        data = _data(node)
        if data is None or _is_bytes_literal(data):
            return False
        return _uncapped(node, _module(made))

    def _decompressor(self, name: cst.Name) -> tuple[str, tuple[int, ...]] | None:
        """The call that makes the decompressor `name` is bound to, and a key for it."""
        found = bindings.name_bindings(self, name)
        if found is None:
            return None
        made = {
            names.resolves_to(self, b.value, _DECOMPRESSORS)
            if b.kind in ("assign", "annassign", "walrus") and isinstance(b.value, cst.Call)
            else None
            for b in found.bindings
        }
        if None in made or len(made) != 1:
            return None
        key = tuple(sorted(id(b.node) for b in found.bindings))
        return str(made.pop()), key

    def _report(self, node: cst.Call, shown: str, qualified: str) -> None:
        data = _data(node)
        self.report(
            node,
            f"{shown} {_COST}",
            suggestion=_SUGGESTIONS[_module(qualified)],
            confidence=Confidence.HIGH,
            provenance=provenance.of_source(self, data, data=True) if data is not None else None,
        )
