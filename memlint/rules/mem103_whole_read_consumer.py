"""MEM103: a whole-file read handed to a consumer that could have taken the file in chunks."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import libcst as cst
import libcst.matchers as m
from libcst.metadata import (
    Assignment,
    GlobalScope,
    ImportAssignment,
    PositionProvider,
    ScopeProvider,
)

from memlint.diagnostics import Applicability, Confidence
from memlint.regions import Reach
from memlint.rule import FixSpec, Invalid, Rule, Valid
from memlint.semantic import astindex, bindings, constants, files, names, provenance
from memlint.semantic.uses import HarmlessUses

if TYPE_CHECKING:
    from memlint.settings import Settings

_Kind = Literal["hash", "encode", "regex", "split", "count", "len", "stream", "checksum"]

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
# Calls that make an object with an `update` method fed by chunks.
_HASHERS = _HASH_CONSTRUCTORS | {"hashlib.new", "hmac.new"}
_BASE64_ENCODERS = (
    "b64encode",
    "standard_b64encode",
    "urlsafe_b64encode",
    "b32encode",
    "b32hexencode",
    "b16encode",
    "a85encode",
    "b85encode",
    "encodebytes",
)


@dataclass(frozen=True)
class _Takes:
    """Where a consumer function takes its data: the position and the keywords it goes by."""

    kind: _Kind
    index: int
    keywords: tuple[str, ...] = ()


_FUNCTIONS: dict[str, _Takes] = {
    **{name: _Takes("hash", 0, ("string", "data")) for name in _HASH_CONSTRUCTORS},
    "hashlib.new": _Takes("hash", 1, ("data", "string")),
    "hmac.new": _Takes("hash", 1, ("msg",)),
    "hmac.digest": _Takes("hash", 1, ("msg",)),
    **{f"base64.{name}": _Takes("encode", 0, ("s",)) for name in _BASE64_ENCODERS},
    "binascii.hexlify": _Takes("encode", 0, ("data",)),
    "binascii.b2a_hex": _Takes("encode", 0, ("data",)),
    "binascii.b2a_base64": _Takes("encode", 0, ("data",)),
    "re.findall": _Takes("regex", 1, ("string",)),
    "re.finditer": _Takes("regex", 1, ("string",)),
    "builtins.len": _Takes("len", 0),
    "io.BytesIO": _Takes("stream", 0, ("initial_bytes",)),
    "io.StringIO": _Takes("stream", 0, ("initial_value",)),
    "zlib.crc32": _Takes("checksum", 0, ("data",)),
    "zlib.adler32": _Takes("checksum", 0, ("data",)),
    "binascii.crc32": _Takes("checksum", 0, ("data",)),
}
# Methods of a compiled pattern (`re.compile(...)`) and of a hash object.
_PATTERN_METHODS = frozenset({"findall", "finditer"})
_PATTERNS = frozenset({"re.compile"})
# Methods that turn a read into text of the same size: still the whole file.
_SAME_SIZE = frozenset({"decode", "encode", "strip", "lstrip", "rstrip"})
# Splits into lines are MEM101's (one expression, one code).
_LINE_SEPARATORS = frozenset({"\n", "\r\n", b"\n", b"\r\n"})
_SHOWN = 48

# What each consumer does with the read, what follows "a whole-file read", and the cost.
_WORDING: dict[_Kind, tuple[str, str, str]] = {
    "hash": ("hashes", "", "holding the whole file in memory where fixed-size chunks would do"),
    "encode": ("encodes", "", "holding the whole file and its encoding in memory at once"),
    "regex": (
        "searches",
        "",
        "holding the whole file in memory where a line at a time or `mmap` would do",
    ),
    "split": (
        "splits",
        " into a list of every piece",
        "holding the file and one object per piece in memory",
    ),
    "count": ("scans", "", "holding the whole file in memory where a line at a time would do"),
    "len": ("measures", "", "holding the whole file in memory just to count its length"),
    "stream": (
        "copies",
        " into an in-memory stream",
        "holding the whole file in memory where the open file is a stream already",
    ),
    "checksum": (
        "checksums",
        "",
        "holding the whole file in memory where a running checksum over chunks would do",
    ),
}
_CHUNKS = 'for chunk in iter(lambda: f.read(1 << 20), b""): h.update(chunk)'
_SUGGESTIONS: dict[_Kind, str] = {
    "hash": f"Feed the hash in chunks: `{_CHUNKS}`",
    "encode": (
        "Encode in chunks whose size is a multiple of the encoding's block (3 bytes for "
        "base64, 5 for base32, 57 for `encodebytes`) and write each piece out"
    ),
    "regex": (
        "Search line by line (`for line in f:`) when no match spans lines, or search an "
        "`mmap.mmap` of the file with a bytes pattern"
    ),
    "split": "Iterate over the file and split each line (`for line in f: line.split()`)",
    "count": "Count line by line (`sum(line.count(x) for line in f)`)",
    "len": (
        "Take the size from the file system (`os.path.getsize(p)`, "
        "`os.fstat(f.fileno()).st_size`), or add up the lengths of chunks"
    ),
    "stream": "Pass the open file itself where a stream is wanted",
    "checksum": (
        "Update the checksum chunk by chunk: `crc = zlib.crc32(chunk, crc)` for each "
        "`chunk = f.read(1 << 20)`"
    ),
}


@dataclass(frozen=True)
class _Use:
    """A consumer call, the kind of consumer and the expression it consumes."""

    call: cst.Call
    kind: _Kind
    data: cst.BaseExpression
    qualified: str | None = None  # the function called, for consumer functions


def _collapse(code: str) -> str:
    return " ".join(code.split())


def _peel(expr: cst.BaseExpression) -> cst.BaseExpression:
    """`f.read().decode("utf-8").strip()` -> `f.read()`."""
    while m.matches(expr, m.Call(func=m.Attribute(attr=m.Name()))):
        assert isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute)
        if expr.func.attr.value not in _SAME_SIZE:
            break
        expr = expr.func.value
    return expr


def _argument(call: cst.Call, index: int, keywords: tuple[str, ...]) -> cst.BaseExpression | None:
    """The argument at position `index` or given by one of `keywords`; None with star-args."""
    if any(arg.star for arg in call.args):
        return None
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value in keywords:
            return arg.value
    positional = [arg.value for arg in call.args if arg.keyword is None]
    return positional[index] if index < len(positional) else None


def _may_split_all(call: ast.Call) -> bool:
    """False only when `_unlimited_split` of the same call in libcst's tree is surely
    (False, ...). A split into lines is not told apart: `"\\n" ""` is one constant here
    but no `SimpleString` to libcst."""
    if len(call.args) > 2 or files.tree_starred(call):
        return False
    limit = call.args[1] if len(call.args) > 1 else None
    for keyword in call.keywords:
        if keyword.arg == "maxsplit":
            limit = keyword.value
        elif keyword.arg != "sep":
            return False
    return limit is None or constants.tree_may_fold_to(limit, lambda value: value < 0)


def _may_consume_a_read(tree: ast.Module, call: ast.Call, makers: _Makers) -> bool:
    """Whether the call may be a consumer `_use` finds, of what may be a whole read other
    than `readlines()` (after `.decode()` and the like): any argument of a consumer
    function, as the function is not told apart here."""

    def read(data: ast.expr) -> bool:
        peeled = astindex.peel_methods(data, _SAME_SIZE)
        return files.tree_may_be_whole_read(tree, peeled, readlines=False)

    if files.tree_starred(call):
        return False  # `_argument`, `_unlimited_split` and `count` give up on star-args
    given = [*call.args, *(keyword.value for keyword in call.keywords)]
    head = names.tree_head(call.func)
    if (
        (makers.consumers is None or head is None or head in makers.consumers)
        and any(read(data) for data in given)
        and makers.imports.may_refer(call.func, _FUNCTIONS)
    ):
        return True
    func = call.func
    if not isinstance(func, ast.Attribute):
        return False
    method = func.attr
    if (method == "split" and _may_split_all(call)) or (method == "count" and given):
        return read(func.value)
    if method in _PATTERN_METHODS:
        data = call.args[:1] + [k.value for k in call.keywords if k.arg == "string"]
        return any(read(d) for d in data) and makers.may_make(func.value, _PATTERNS)
    if method == "update" and len(given) == 1 and call.args:
        return read(call.args[0]) and makers.may_make(func.value, _HASHERS)
    return False


@dataclass(frozen=True)
class _Makers:
    """What `_bound_by` can find on CPython's tree: the module's imports, and the names
    some assignment binds to a call (the calls, by name)."""

    imports: names.Imports
    calls: dict[str, list[ast.Call]]
    consumers: frozenset[str] | None  # `imports.heads(_FUNCTIONS)`

    @classmethod
    def of(cls, tree: ast.Module) -> _Makers:
        calls: dict[str, list[ast.Call]] = {}
        bound: list[tuple[ast.expr, ast.expr | None]] = []
        bound += [(t, a.value) for a in astindex.nodes(tree, ast.Assign) for t in a.targets]
        bound += [(a.target, a.value) for a in astindex.nodes(tree, ast.AnnAssign)]
        bound += [(a.target, a.value) for a in astindex.nodes(tree, ast.NamedExpr)]
        for target, value in bound:
            if isinstance(target, ast.Name) and isinstance(value, ast.Call):
                calls.setdefault(target.id, []).append(value)
        imports = names.Imports.of(tree)
        return cls(imports, calls, imports.heads(_FUNCTIONS))

    def may_make(self, expr: ast.expr, makers: frozenset[str]) -> bool:
        """False only when `_bound_by(expr, makers)` is surely False."""
        if isinstance(expr, ast.Call):
            return self.imports.may_refer(expr, makers)
        if not isinstance(expr, ast.Name):
            return False
        return any(self.imports.may_refer(c, makers) for c in self.calls.get(expr.id, ()))


def _unlimited_split(call: cst.Call) -> tuple[bool, bool]:
    """(whether the split makes every piece, whether it cuts into lines)."""
    sep: cst.BaseExpression | None = None
    for index, arg in enumerate(call.args):
        keyword = arg.keyword.value if arg.keyword is not None else None
        if arg.star:
            return False, False
        if keyword == "sep" or (keyword is None and index == 0):
            sep = arg.value
        elif keyword == "maxsplit" or (keyword is None and index == 1):
            # A bounded number of pieces holds what the read holds, and no more.
            limit = constants.fold(arg.value)
            if limit is None or limit >= 0:
                return False, False
        else:
            return False, False
    lines = isinstance(sep, cst.SimpleString) and sep.evaluated_value in _LINE_SEPARATORS
    return True, lines


class WholeReadConsumer(HarmlessUses, Rule):
    """
    ## What it does
    Flags a whole-file read handed to something that could have taken the file in chunks:

    - a hash: `hashlib.sha256(f.read())` (every `hashlib` constructor), `hashlib.new(name,
      f.read())`, `hmac.new(key, f.read(), ...)`, `hmac.digest(key, f.read(), ...)`, and
      `h.update(f.read())` on a hash object bound by one of those;
    - an encoder: `base64.b64encode` and the other `base64.*encode` functions,
      `base64.encodebytes`, `binascii.hexlify`, `binascii.b2a_hex`, `binascii.b2a_base64`;
    - a checksum: `zlib.crc32`, `zlib.adler32`, `binascii.crc32`;
    - a search: `re.findall(pattern, f.read())`, `re.finditer(...)`, and the same methods
      of a pattern bound by `re.compile` (in the function, or at module level);
    - `f.read().split()` and splits on anything but a line break, `f.read().count(...)`,
      `len(f.read())`, `io.BytesIO(f.read())` and `io.StringIO(f.read())`.

    The whole read is `f.read()` with no size, `Path.read_text()`, `Path.read_bytes()`,
    `open(...).read()` or `sys.stdin.read()` on a file (see MEM101), also after `.decode()`,
    `.encode()` or `.strip()`. A name bound once to such a read is followed, and the
    diagnostic points at the consumer, provided nothing but consumers (and truthiness
    tests: `if not data:`) use the name; a read whose content is needed whole anyway
    (returned, stored, written, parsed) is not the consumer's doing. Names are resolved:
    `import hashlib as h` is recognised, and an object of your own with an `update` method
    is not a hash.

    Not flagged: chunked reads (`f.read(65536)`), data that is not known to be a whole-file
    read (a parameter, a line of a loop, an HTTP body), splits with a `maxsplit`, and
    splits into lines or `readlines()`, whatever consumes them (MEM101's business). Nor,
    for now: decoders (`base64.b64decode`), `re.search`/`re.sub` (their result may need the
    whole text), and hash objects or patterns held in attributes (`self.pattern.findall`).

    The confidence follows where the file comes from: high for a path from the command
    line (`sys.argv`, `argparse`, `click`), `input()`, standard input, a file found by
    `glob`, `os.walk` or `iterdir`, a temporary file or download, an upload, or a parameter
    of a public function named for data (`path`, `fp`, `payload`; not `config_path`); low
    for a file small by construction (a literal config or metadata file such as
    `setup.cfg`, `pyvenv.cfg`, `requirements.txt` or `VERSION`, a file under `/proc` or
    `/etc`, a file of the package itself found from `__file__` or `importlib.resources`)
    and in test code; medium otherwise, and at most medium when the file is inferred from
    how a name is used. The message ends with the reason.

    ## Why is this bad?
    Every one of these consumers can take its input piece by piece: a hash or checksum has
    an `update`, an encoder works on blocks, a search can run line by line or over an
    `mmap`, a count or a length needs a running total, and a file is already a stream. The
    whole read holds the entire file in memory for nothing, often twice (the bytes, then
    their encoding, or a list with one object per piece), so memory grows with the input:
    the checksum job that was fine on last week's uploads is killed on a 20 GB video.

    ## Example
    ```python
    import hashlib

    def checksum(path):
        with open(path, "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()
    ```

    ## Use instead
    ```python
    import hashlib

    def checksum(path):
        with open(path, "rb") as f:
            h = hashlib.sha256()
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        return h.hexdigest()
    ```

    ## Fix safety
    When the target version is 3.11 or later, `hashlib.sha256(f.read())` becomes
    `hashlib.file_digest(f, "sha256")`, and `hashlib.new(name, f.read())` becomes
    `hashlib.file_digest(f, name)`. The fix is safe: the digest object is built the same
    way and fed the same bytes, and the file is read to its end as before. It is offered
    only where `file_digest` is sure to work the same: the read is `f.read()` on a file
    opened by `open`, `io.open`, `Path.open`, `gzip.open`, `tempfile` and the like with a
    literal binary, readable mode (`"rb"`, `"r+b"`, `"w+b"`), the constructor gets no other
    argument (such as `usedforsecurity`), `hashlib` (or `file_digest`) is reachable by a
    module-level import, and no comment would be dropped. A file opened inline,
    `hashlib.file_digest(open(p, "rb"), "sha256")`, is left to be closed by the garbage
    collector exactly as the original left it. Below 3.11, in text mode, on a parameter
    annotated `BinaryIO` (which need not have `readinto`), on `sys.stdin`, on
    `Path.read_bytes()` (which closes the file it opens) and through a name, the
    diagnostic carries a suggestion instead. No other consumer is fixed.

    ## References
    - [hashlib.file_digest](https://docs.python.org/3/library/hashlib.html#hashlib.file_digest)
    - [Hash objects: update](https://docs.python.org/3/library/hashlib.html#hashlib.hash.update)
    - [zlib.crc32](https://docs.python.org/3/library/zlib.html#zlib.crc32)
    - [mmap](https://docs.python.org/3/library/mmap.html)
    - [os.path.getsize](https://docs.python.org/3/library/os.path.html#os.path.getsize)
    """

    code = "MEM103"
    name = "whole-read-consumer"
    summary = "A whole-file read handed to a consumer that could take the file in chunks"
    fixable = True
    # Every flagged read is spelled with one of these (a consumer's name is far commoner).
    triggers = ("read", "read_text", "read_bytes")
    METADATA_DEPENDENCIES = (PositionProvider, *files.PROVIDERS, *names.PROVIDERS)

    cases = (
        # A chunked read holds one chunk.
        Valid(
            """
            import hashlib
            def checksum(path):
                h = hashlib.sha256()
                with open(path, "rb") as f:
                    while chunk := f.read(65536):
                        h.update(chunk)
                return h.hexdigest()
            """
        ),
        # Data from a parameter, a literal, a line of a loop: not a whole-file read.
        Valid(
            """
            import hashlib
            def digest(data):
                return hashlib.sha256(data).hexdigest()
            EMPTY = hashlib.sha256(b"literal").hexdigest()
            def widths(path):
                with open(path) as f:
                    return [len(line) for line in f]
            """
        ),
        # Your own object with an `update` method is not a hash.
        Valid(
            """
            class Tally:
                def update(self, data): ...
            def feed(path):
                tally = Tally()
                with open(path, "rb") as f:
                    tally.update(f.read())
            """
        ),
        # Splits into lines are MEM101's, and so is readlines().
        Valid(
            """
            with open(path) as f:
                lines = f.read().splitlines()
                rows = f.read().split("\\n")
                total = len(f.readlines())
            """
        ),
        # The content is needed whole anyway: it is stored as well as hashed.
        Valid(
            """
            import hashlib
            def upload(path, store):
                with open(path, "rb") as f:
                    data = f.read()
                store.put(hashlib.sha256(data).hexdigest(), data)
            """
        ),
        # A bounded split holds what the read holds, and no more.
        Valid(
            """
            from pathlib import Path
            header, body = Path(p).read_text().split("\\n\\n", 1)
            """
        ),
        # Not a file: data already in memory, an HTTP response.
        Valid(
            """
            import io, hashlib
            from urllib.request import urlopen
            size = len(io.BytesIO(blob).read())
            sig = hashlib.md5(urlopen(url).read()).hexdigest()
            """
        ),
        Invalid(
            """
            import hashlib
            with open(path, "rb") as f:
                digest = hashlib.sha256(f.read()).hexdigest()
            """,
            line=3,
            column=14,
        ),
        # Below 3.11 there is no file_digest: a suggestion.
        Invalid(
            """
            import hashlib
            with open(path, "rb") as f:
                digest = hashlib.sha256(f.read()).hexdigest()
            """,
            settings={"target_version": "py310"},
        ),
        Invalid(
            """
            import hashlib
            with open(path, "rb") as f:
                digest = hashlib.sha256(f.read()).hexdigest()
            """,
            fixed="""
            import hashlib
            with open(path, "rb") as f:
                digest = hashlib.file_digest(f, "sha256").hexdigest()
            """,
            applicability=Applicability.SAFE,
            settings={"target_version": "py311"},
        ),
        # The spelling of the module is kept; `hashlib.new` keeps its name.
        Invalid(
            """
            import hashlib as h
            def etag(path, algorithm):
                return h.new(algorithm, open(path, "rb").read()).hexdigest()
            """,
            line=3,
            column=12,
            fixed="""
            import hashlib as h
            def etag(path, algorithm):
                return h.file_digest(open(path, "rb"), algorithm).hexdigest()
            """,
            applicability=Applicability.SAFE,
            settings={"target_version": "py312"},
        ),
        Invalid(
            """
            import hashlib
            from hashlib import blake2b
            from pathlib import Path
            def fingerprint(path: Path) -> str:
                with path.open("rb") as fh:
                    return blake2b(fh.read()).hexdigest()
            """,
            fixed="""
            import hashlib
            from hashlib import blake2b
            from pathlib import Path
            def fingerprint(path: Path) -> str:
                with path.open("rb") as fh:
                    return hashlib.file_digest(fh, "blake2b").hexdigest()
            """,
            applicability=Applicability.SAFE,
            settings={"target_version": "py311"},
        ),
        # Only `sha256` is imported: no `hashlib` to reach file_digest by.
        Invalid(
            """
            from hashlib import sha256
            with open(path, "rb") as f:
                digest = sha256(f.read()).hexdigest()
            """,
            settings={"target_version": "py311"},
        ),
        # Text mode: file_digest needs a binary file.
        Invalid(
            """
            import hashlib
            with open(path) as f:
                digest = hashlib.md5(f.read().encode()).hexdigest()
            """,
            settings={"target_version": "py311"},
        ),
        Invalid(
            """
            import hashlib
            def digest_all(paths):
                h = hashlib.sha1()
                for path in paths:
                    with open(path, "rb") as f:
                        h.update(f.read())
                return h.hexdigest()
            """,
            line=6,
            column=13,
        ),
        Invalid(
            """
            import base64
            from pathlib import Path
            encoded = base64.b64encode(Path("logo.png").read_bytes())
            """,
            line=3,
        ),
        Invalid(
            """
            import re
            WORD = re.compile(r"\\w+")
            def words(path):
                with open(path) as f:
                    return WORD.findall(f.read())
            """,
            line=5,
        ),
        Invalid(
            """
            import sys
            words = sys.stdin.read().split()
            """,
        ),
        # Bound once and only counted: reported at the consumer.
        Invalid(
            """
            def line_count(path):
                with open(path) as f:
                    text = f.read()
                if not text:
                    return 0
                return text.count("\\n")
            """,
            line=6,
            column=12,
        ),
        Invalid(
            """
            import os
            def size(path):
                with open(os.path.join(root, path), "rb") as f:
                    return len(f.read())
            """,
        ),
        Invalid(
            """
            import io
            import zipfile
            with open(path, "rb") as f:
                archive = zipfile.ZipFile(io.BytesIO(f.read()))
            """,
            column=31,
        ),
        Invalid(
            """
            from zlib import crc32 as checksum
            def crc(fp):
                fp.seek(0)
                return checksum(fp.read())
            """,
        ),
        # -- provenance: where the file comes from decides the confidence ----------------
        # Files found by walking a folder: high.
        Invalid(
            """
            import hashlib
            import os
            def digests(top):
                for root, _, names in os.walk(top):
                    for name in names:
                        with open(os.path.join(root, name), "rb") as f:
                            yield hashlib.sha256(f.read()).hexdigest()
            """,
            confidence=Confidence.HIGH,
            because="reads a file found by `os.walk()`",
        ),
        # A path typed at `input()`: high ...
        Invalid(
            """
            def words():
                name = input("file? ")
                with open(name) as f:
                    return f.read().split()
            """,
            confidence=Confidence.HIGH,
            because="reads a path typed at `input()`",
        ),
        # ... a function of your own called `input` is not the builtin.
        Invalid(
            """
            def input(prompt):
                return prompt.strip()
            def words():
                name = input("file? ")
                with open(name) as f:
                    return f.read().split()
            """,
            confidence=Confidence.MEDIUM,
        ),
        # A file under `/etc` is small, named by an f-string too: low.
        Invalid(
            """
            import base64
            def key(host):
                with open(f"/etc/ssh/{host}.pub", "rb") as f:
                    return base64.b64encode(f.read())
            """,
            confidence=Confidence.LOW,
            because="reads `/etc/ssh/...`, a small system file",
        ),
        # A version file beside the package's code: low.
        Invalid(
            """
            from pathlib import Path
            VERSION_FILE = Path(__file__).with_name("VERSION")
            def version_words():
                return VERSION_FILE.read_text().split()
            """,
            confidence=Confidence.LOW,
            because="reads `VERSION`, a small metadata file",
        ),
        # `setup.cfg`, `pyproject.toml` and `*.ini` files are configuration: low.
        Invalid(
            """
            import hashlib
            def config_digest():
                with open("setup.cfg", "rb") as f:
                    return hashlib.sha256(f.read()).hexdigest()
            """,
            confidence=Confidence.LOW,
            because="reads `setup.cfg`, a small config file",
        ),
        Invalid(
            """
            from pathlib import Path
            def sections(root):
                return (Path(root) / "tox.ini").read_text().count("[")
            """,
            confidence=Confidence.LOW,
            because="reads `tox.ini`, a small config file",
        ),
        # Look-alike: a `.json` file is data, whatever it is called: medium.
        Invalid(
            """
            from pathlib import Path
            def sections(root):
                return (Path(root) / "settings.json").read_text().count("[")
            """,
            confidence=Confidence.MEDIUM,
        ),
    )

    reach = Reach.FUNCTION

    @classmethod
    def ast_places(cls, tree: ast.Module, settings: Settings) -> list[ast.AST]:
        """The calls that may consume what may be a whole read other than `readlines()`
        (`files.tree_may_be_whole_read`), after `.decode()` and the like."""
        if not files.tree_has_whole_read(tree, readlines=False):
            return []  # most files that spell `read`
        makers: _Makers | None = None
        found: list[ast.AST] = []
        for call in astindex.nodes(tree, ast.Call):
            func = call.func
            if (
                not call.args
                and not call.keywords
                and not (isinstance(func, ast.Attribute) and func.attr == "split")
            ):
                continue  # consumes nothing (but `data.split()` consumes `data`)
            if makers is None:
                makers = _Makers.of(tree)
            if _may_consume_a_read(tree, call, makers):
                found.append(call)
        return found

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        # Consumers of a name bound to a read: reported at the end, once every use is known.
        self._pending: list[tuple[_Use, files.WholeRead]] = []

    # -- uses that do not need the whole content ----------------------------------------

    # -- consumers -----------------------------------------------------------------------

    def visit_Call(self, node: cst.Call) -> None:
        use = self._use(node)
        if use is None:
            return
        data = _peel(use.data)
        self._harmless_use(data)
        if use.kind == "split" and _line_split(node):
            return  # a split into lines: MEM101
        read = files.whole_read(self, data)
        # `lines = f.readlines()` ... is MEM101's whatever consumes the list.
        if read is None or read.method == "readlines":
            return
        if read.via_name is not None:
            self._pending.append((use, read))
            return
        self._report(use, read)

    def leave_Module(self, original_node: cst.Module) -> None:
        for use, read in self._pending:
            assert read.via_name is not None
            if self._only_consumed(read.via_name):
                self._report(use, read)
        self._pending.clear()

    def _use(self, call: cst.Call) -> _Use | None:
        qualified = names.resolves_to(self, call, _FUNCTIONS)
        if qualified is not None:
            takes = _FUNCTIONS[qualified]
            data = _argument(call, takes.index, takes.keywords)
            return _Use(call, takes.kind, data, qualified) if data is not None else None
        func = call.func
        if not isinstance(func, cst.Attribute):
            return None
        method = func.attr.value
        if method == "split" and _unlimited_split(call)[0]:
            return _Use(call, "split", func.value)
        if method == "splitlines":
            return _Use(call, "split", func.value)  # harmless; MEM101 reports it
        if method == "count" and call.args and not any(arg.star for arg in call.args):
            return _Use(call, "count", func.value)
        if method in _PATTERN_METHODS and self._bound_by(func.value, _PATTERNS):
            data = _argument(call, 0, ("string",))
            return _Use(call, "regex", data) if data is not None else None
        if method == "update" and len(call.args) == 1 and self._bound_by(func.value, _HASHERS):
            data = _argument(call, 0, ())
            return _Use(call, "hash", data) if data is not None else None
        return None

    def _bound_by(self, expr: cst.BaseExpression, calls: frozenset[str]) -> bool:
        """Whether `expr` is made by one of `calls`: a call, or a name every binding of
        which (in its function, or at module level) is such a call."""
        if isinstance(expr, cst.Call):
            return names.resolves_to(self, expr, calls) is not None
        if not isinstance(expr, cst.Name):
            return False
        found = bindings.name_bindings(self, expr) or self._module_bindings(expr)
        if found is None:
            return False
        return all(
            b.kind in ("assign", "annassign", "walrus")
            and isinstance(b.value, cst.Call)
            and names.resolves_to(self, b.value, calls) is not None
            for b in found.bindings
        )

    def _module_bindings(self, name: cst.Name) -> bindings.NameBindings | None:
        """The module-level bindings of a global name read inside a function."""
        scope = self.get_metadata(ScopeProvider, name, None)
        if scope is None:
            return None
        referents = {r for a in scope.accesses[name] if a.node is name for r in a.referents}
        targets = [
            r.node
            for r in referents
            if isinstance(r, Assignment) and isinstance(r.scope, GlobalScope)
        ]
        if not targets or len(targets) != len(referents) or not isinstance(targets[0], cst.Name):
            return None
        return bindings.name_bindings(self, targets[0])

    # -- reporting ---------------------------------------------------------------------

    def _report(self, use: _Use, read: files.WholeRead) -> None:
        verb, result, cost = _WORDING[use.kind]
        via = f" (`{self._read_source(read)}`)" if read.via_name is not None else ""
        message = f"`{self._shown(use, read)}` {verb} a whole-file read{via}{result}, {cost}"
        fix = self._fix(use, read)
        suggestion = None
        if fix is None:
            suggestion = _SUGGESTIONS[use.kind]
            if use.kind == "hash" and self._file_digest_exists(use):
                algorithm = self._algorithm(use)
                name = self._code(algorithm) if algorithm is not None else "name"
                suggestion = (
                    f"Hash the open file with `hashlib.file_digest(f, {name})` (binary mode), "
                    f"or feed the hash in chunks: `{_CHUNKS}`"
                )
        self.report(
            use.call,
            message,
            fix=fix,
            suggestion=suggestion,
            confidence=read.confidence,
            provenance=provenance.of_source(self, read.receiver),
        )

    def _file_digest_exists(self, use: _Use) -> bool:
        return self.settings.target >= (3, 11) and (use.qualified or "").startswith("hashlib.")

    def _code(self, node: cst.CSTNode) -> str:
        return _collapse(self.context.module.code_for_node(node))

    def _brief(self, node: cst.CSTNode, limit: int) -> str | None:
        """The code of `node` on one line, when it is short and holds no comment."""
        if m.findall(node, m.Comment()):
            return None
        code = self._code(node)
        return code if len(code) <= limit else None

    def _read_source(self, read: files.WholeRead) -> str:
        receiver = self._brief(read.receiver, 32)
        if receiver is None:
            dotted = names.dotted(read.receiver)
            receiver = f"{dotted}(...)" if isinstance(read.receiver, cst.Call) and dotted else "f"
        return f"{receiver}.{read.method}({'...' if read.call.args else ''})"

    def _shown(self, use: _Use, read: files.WholeRead) -> str:
        """The consumer call as the message shows it: its code when short."""
        code = self._brief(use.call, _SHOWN)
        if code is not None:
            return code
        if read.via_name is not None:
            inner = read.via_name.value
        else:
            inner = self._read_source(read) if use.data is read.call else "..."
        func = use.call.func
        if use.qualified is not None:
            callee = names.dotted(func) or use.qualified
            alone = len(use.call.args) == 1
            return f"{callee}({inner})" if alone else f"{callee}(...)"
        assert isinstance(func, cst.Attribute)
        if use.kind in ("split", "count"):
            return f"{inner}.{func.attr.value}(...)"
        receiver = self._brief(func.value, 24) or "..."
        return f"{receiver}.{func.attr.value}({inner})"

    # -- the hashlib fix ---------------------------------------------------------------

    def _fix(self, use: _Use, read: files.WholeRead) -> FixSpec | None:
        if not self._file_digest_exists(use) or use.data is not read.call:
            return None
        if read.via_name is not None or read.method != "read":
            return None
        if not self._readable_binary(read.receiver):
            return None
        call = use.call
        algorithm = self._algorithm(use)
        if algorithm is None or len(call.args) != (2 if use.qualified == "hashlib.new" else 1):
            return None
        if any(arg.keyword is not None for arg in call.args):
            return None
        func = self._file_digest(call)
        if func is None:
            return None
        new = call.with_changes(
            func=func,
            args=[
                cst.Arg(
                    read.receiver,
                    comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")),
                ),
                cst.Arg(algorithm),
            ],
        )
        if len(m.findall(call, m.Comment())) != len(m.findall(new, m.Comment())):
            return None
        shown = self._brief(read.receiver, 24) or "f"
        title = f"Use `{self._code(func)}({shown}, {self._code(algorithm)})`"
        return self.replace(call, new, title)

    def _readable_binary(self, receiver: cst.BaseExpression) -> bool:
        """A file `file_digest` reads as `read()` does: opened binary and readable."""
        mode = files.open_mode(self, receiver)
        if mode is None or files.is_binary(self, receiver) is not True:
            return False
        return "r" in mode or "+" in mode

    def _algorithm(self, use: _Use) -> cst.BaseExpression | None:
        """The name `file_digest` is given: the constructor's, or `hashlib.new`'s first
        argument when evaluating it has no effect (a literal or a plain name)."""
        qualified = use.qualified or ""
        if qualified in _HASH_CONSTRUCTORS:
            return cst.SimpleString(f'"{qualified.rpartition(".")[2]}"')
        if qualified != "hashlib.new":
            return None
        name = use.call.args[0].value
        return name if isinstance(name, (cst.SimpleString, cst.Name)) else None

    def _file_digest(self, call: cst.Call) -> cst.BaseExpression | None:
        """`hashlib.file_digest` spelled the way this module reaches `hashlib`."""
        func = call.func
        if isinstance(func, cst.Attribute):
            # `h.sha256` resolved to hashlib's: `h` is the module.
            return func.with_changes(attr=cst.Name("file_digest"))
        alias = names.import_alias(self.context.module, "hashlib.file_digest")
        if alias is None:
            return None
        # The name must reach the import here, not a local of the same name.
        scope = self.get_metadata(ScopeProvider, call, None)
        head = alias.partition(".")[0]
        found = scope[head] if scope is not None else set()
        if not found or not all(isinstance(a, ImportAssignment) for a in found):
            return None
        return cst.parse_expression(alias)


def _line_split(call: cst.Call) -> bool:
    """Whether the call splits into lines: `.splitlines()`, `.split("\\n")` (MEM101)."""
    func = call.func
    if not isinstance(func, cst.Attribute):
        return False
    if func.attr.value == "splitlines":
        return True
    return func.attr.value == "split" and _unlimited_split(call)[1]
