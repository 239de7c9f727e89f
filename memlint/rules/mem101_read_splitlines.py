"""MEM101: a whole file read into memory and then split into a list of its lines."""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

import libcst as cst
import libcst.matchers as m
from libcst.metadata import PositionProvider

from memlint.diagnostics import Applicability, Confidence
from memlint.regions import Reach
from memlint.rule import FixSpec, Invalid, Rule, Valid
from memlint.semantic import astindex, constants, context, files, names, provenance

if TYPE_CHECKING:
    from memlint.settings import Settings

# Separators that cut text into lines, for `.split(sep)`.
_LINE_SEPARATORS = frozenset({"\n", "\r\n", b"\n", b"\r\n"})
_MATERIALISERS = frozenset({"builtins.list", "builtins.tuple"})
_MATERIALISER_ATTR = m.Name("list") | m.Name("tuple")
_STDIN = frozenset({"sys.stdin", "sys.stdin.buffer", "sys.__stdin__", "sys.__stdin__.buffer"})
# Names for the generator's variable in the `.read().splitlines()` fix, in order of preference.
_LINE_NAMES = ("line", "raw", "raw_line", "text_line")
# Receivers that can follow `in` in a comprehension without parentheses.
_BARE_ITERABLES = (cst.Name, cst.Attribute, cst.Call, cst.Subscript)
_COST_TWICE = "holds the whole file and then a list of every line, so memory grows with the file"
_COST_LIST = "reads the whole file into a list of lines, so memory grows with the file"


def _may_split_lines(call: ast.Call) -> bool:
    """False only when `_line_separator` of the same call in libcst's tree is surely None.

    An implicitly concatenated `"\\n" ""` is one constant here but no `SimpleString` to
    libcst: True, conservatively.
    """
    if len(call.args) > 2 or files.tree_starred(call):
        return False
    sep = call.args[0] if call.args else None
    limit = call.args[1] if len(call.args) > 1 else None
    for keyword in call.keywords:
        if keyword.arg == "sep":
            sep = keyword.value
        elif keyword.arg == "maxsplit":
            limit = keyword.value
        else:
            return False
    if limit is not None and not constants.tree_may_fold_to(limit, lambda value: value < 0):
        return False
    return isinstance(sep, ast.Constant) and sep.value in _LINE_SEPARATORS


def _may_materialise(tree: ast.Module, call: ast.Call, imports: names.Imports) -> bool:
    """`list(<file>)` / `tuple(<file>)` as `_check_materialised` starts from it."""
    if len(call.args) != 1 or call.keywords or isinstance(call.args[0], ast.Starred):
        return False
    if not imports.may_refer(call.func, _MATERIALISERS):
        return False
    return files.tree_may_be_file(tree, call.args[0])


def _may_split_a_read(tree: ast.Module, call: ast.Call, func: ast.Attribute) -> bool:
    """`<file>.readlines()` and `<whole read>.splitlines()` / `.split(<line break>)` as
    `_check_readlines` and `_check_split` start from them."""
    if func.attr == "readlines":
        return files.tree_may_be_whole_read(tree, call, readlines=True)
    if (func.attr == "splitlines" and not files.tree_starred(call)) or (
        func.attr == "split" and _may_split_lines(call)
    ):
        # `lines = f.readlines()` ... `lines.split(...)` is no string split.
        return files.tree_may_be_whole_read(tree, func.value, readlines=False)
    return False


def _collapse(code: str) -> str:
    return " ".join(code.split())


def _line_separator(call: cst.Call) -> cst.SimpleString | None:
    """The separator of a `.split(sep)` that cuts into lines; None for any other split."""
    sep: cst.BaseExpression | None = None
    for index, arg in enumerate(call.args):
        keyword = arg.keyword.value if arg.keyword is not None else None
        if arg.star:
            return None
        if keyword == "sep" or (keyword is None and index == 0):
            sep = arg.value
        elif keyword == "maxsplit" or (keyword is None and index == 1):
            # Only a maxsplit that asks for every split still makes a list of every line.
            limit = constants.fold(arg.value)
            if limit is None or limit >= 0:
                return None
        else:
            return None
    if not isinstance(sep, cst.SimpleString):
        return None
    return sep if sep.evaluated_value in _LINE_SEPARATORS else None


class ReadSplitlines(Rule):
    """
    ## What it does
    Flags a whole file read into memory and then split into a list of its lines:

    - `<whole read>.splitlines()` and `<whole read>.split("\\n")` (also `"\\r\\n"`, and
      `b"\\n"` for bytes), where the whole read is `f.read()` (no size, or a negative one),
      `p.read_text()`, `p.read_bytes()`, `open(...).read()` or `sys.stdin.read()`, or a name
      bound once, in the same function, to one of those (`text = f.read()` ...
      `text.splitlines()`: reported at the split);
    - `<file>.readlines()`, which is both at once;
    - `list(<file>)` and `tuple(<file>)`, which read every line of the file into one
      collection just as `readlines()` does.

    A file is what `open`, `io.open`, `codecs.open`, `gzip`/`bz2`/`lzma.open`, `Path.open`,
    `os.fdopen` or `tempfile` return, `sys.stdin`, a parameter annotated `TextIO`,
    `BinaryIO`, `IO[...]` or an `io` file class, or a name whose use shows it is a file
    (read, and iterated or sought, or named like one: `fp`, `fh`, `infile`); the confidence
    of the diagnostic is lower for the latter. Names are resolved: `io.open(p)` after
    `import io` and `P(x)` after `from pathlib import Path as P` are recognised, a function
    of your own called `open` is not. The split is flagged whatever consumes the lines
    (`csv.reader(f.read().splitlines())`, `len(f.readlines())`).

    Not flagged: a chunked read (`f.read(4096).splitlines()`, `f.readlines(65536)`),
    `for line in f:`, `f.readline()`, splits of anything not known to be a whole-file read
    (a parameter, `io.StringIO(s).read()`, an HTTP response such as `urlopen(u).read()`), a
    name assigned again between the read and the split, splits on anything but a line
    break (`data.split(",")`), and `.split()` with no separator (a whole read handed to
    another consumer is MEM103's business).

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
    `f.read().splitlines()` holds the whole file as one string and then, beside it, a list
    with one string object per line, each with some 50 bytes of overhead: for a file of
    short lines the list costs several times the file's size, and both are alive at once.
    `readlines()` and `list(f)` build the same list. Memory grows with the input, so a log,
    a CSV export or piped input that is larger than usual ends in an out-of-memory kill,
    while iterating the file holds one line at a time.

    ## Example
    ```python
    def count_errors(path):
        with open(path) as f:
            lines = f.read().splitlines()
        return sum(1 for line in lines if "ERROR" in line)
    ```

    ## Use instead
    ```python
    def count_errors(path):
        with open(path) as f:
            return sum(1 for line in f if "ERROR" in line)
    ```

    ## Fix safety
    `for line in f.readlines():` becomes `for line in f:`. Iterating a file yields the same
    lines, in the same order, line endings included. The fix is safe when the object is
    proven a file and nothing else touches it while it is part-read: the loop does not use
    it (`f.readline()`, `f.seek()`, `f.write()`, `input()` for standard input) and, when
    the loop can be left early (`break`, `return`, `raise`), nothing else in the function
    mentions it, since the file is then left part-read instead of at its end. Otherwise,
    and when the object is only believed to be a file (it may not iterate by lines), the
    same fix is unsafe. What does change, by design, is timing: lines are handled as they
    are read, so piped input is processed as it arrives, and an error reading the file (an
    undecodable byte) is raised when the loop reaches it, after the lines before it were
    handled, instead of before the first.

    `for line in f.read().splitlines():` becomes
    `for line in (raw.rstrip("\\n") for raw in f):` (`rstrip(b"\\n")` for a file opened in
    binary mode), and `.split("\\n")` the same. It is unsafe: `splitlines()` also splits on
    `\\r`, `\\x0b`, `\\x0c`, `\\x1c`-`\\x1e`, `\\x85`, `\\u2028` and `\\u2029`, a file opened
    with `newline=""` keeps its `\\r\\n`, and `split("\\n")` yields a last, empty line after
    a final line break. It is offered only when the read is `<file>.read()` on a file whose
    text or binary mode is known and the split is a `for` statement's iterable;
    `Path.read_text()`, a name bound to the read, and other consumers of the lines get a
    suggestion.

    No fix is offered when it would drop a comment.

    ## References
    - [Reading and writing files](https://docs.python.org/3/tutorial/inputoutput.html#methods-of-file-objects)
    - [io.IOBase.readlines](https://docs.python.org/3/library/io.html#io.IOBase.readlines)
    - [str.splitlines](https://docs.python.org/3/library/stdtypes.html#str.splitlines)
    """

    code = "MEM101"
    name = "read-splitlines"
    summary = "A whole file read into memory and split into a list of its lines"
    fixable = True
    # Every shape needs a file, so a file's evidence (not `list`, `split`: in most files).
    triggers = files.EVIDENCE_WORDS
    METADATA_DEPENDENCIES = (
        PositionProvider,
        *files.PROVIDERS,
        *context.PROVIDERS,
        *names.PROVIDERS,
    )

    cases = (
        # A chunked read holds one chunk; iterating a file holds one line.
        Valid(
            """
            with open(path) as f:
                head = f.read(4096).splitlines()
                for line in f:
                    print(line.split())
                first = f.readline()
            """
        ),
        # A function of your own called `open`, returning a list.
        Valid(
            """
            def open(path):
                return [path]
            lines = list(open("x"))
            parts = open("x").read().splitlines()
            """
        ),
        # Data already in memory.
        Valid(
            """
            import io
            lines = io.StringIO(text).read().splitlines()
            """
        ),
        # A parameter: nothing says where the text came from.
        Valid(
            """
            def parse(text):
                return text.splitlines()
            """
        ),
        # Assigned again between the read and the split.
        Valid(
            """
            def load(path):
                with open(path) as f:
                    text = f.read()
                text = text.strip()
                return text.splitlines()
            """
        ),
        # An HTTP response is not a file (buffering a body is MEM105's business).
        Valid(
            """
            from urllib.request import urlopen
            def fetch(url):
                resp = urlopen(url)
                return resp.read().splitlines()
            """
        ),
        # Splits that are not into lines, and a split with a limit.
        Valid(
            """
            with open(path) as f:
                fields = f.read().split(",")
                words = f.read().split()
                first, rest = f.read().split("\\n", 1)
            """
        ),
        Valid(
            """
            import sys
            def first_lines(f):
                return f.readlines(65536), sys.stdin.readline()
            """
        ),
        Invalid(
            """
            with open(path) as f:
                lines = f.read().splitlines()
            """,
            line=2,
            column=13,
        ),
        # Names are resolved: `io.open`, a `Path` under another name.
        Invalid(
            """
            import io
            rows = io.open(p).read().splitlines()
            """,
            line=2,
            column=8,
        ),
        Invalid(
            """
            from pathlib import Path as P
            names = P(x).read_text().splitlines()
            """,
            line=2,
        ),
        Invalid(
            """
            import gzip
            with gzip.open(p, "rt") as fh:
                records = fh.read().split("\\n")
            """,
            line=3,
        ),
        Invalid(
            """
            import sys
            lines = sys.stdin.read().splitlines()
            """,
            line=2,
        ),
        # Bound once, split later: reported at the split.
        Invalid(
            """
            def load(path):
                with open(path) as f:
                    text = f.read()
                return text.splitlines()
            """,
            line=4,
            column=12,
        ),
        # One expression, one code: whatever consumes the lines.
        Invalid(
            """
            import csv
            with open(path) as f:
                rows = list(csv.reader(f.read().splitlines()))
            """,
            line=3,
            column=28,
        ),
        Invalid(
            """
            with open(path) as f:
                total = len(f.readlines())
            """,
            line=2,
            column=17,
        ),
        Invalid(
            """
            with open(path) as f:
                lines = list(f)
            """,
            line=2,
            column=13,
        ),
        Invalid(
            """
            lines = tuple(open(path, "rb"))
            """,
        ),
        Invalid(
            """
            from typing import TextIO
            def read_all(stream: TextIO) -> list[str]:
                return stream.read().splitlines()
            """,
            line=3,
        ),
        # A bytes read split on a bytes line break.
        Invalid(
            """
            from pathlib import Path
            chunks = Path(p).read_bytes().split(b"\\n")
            """,
        ),
        # In a comprehension: no fix, a suggestion.
        Invalid(
            """
            with open(path) as f:
                names = [line.strip() for line in f.readlines()]
            """,
        ),
        # In a `for` over a name bound to the read: no fix (the read stays).
        Invalid(
            """
            def scan(path):
                with open(path) as f:
                    text = f.read()
                for line in text.splitlines():
                    print(line)
            """,
            line=4,
        ),
        # `Path.read_text()` needs `with p.open()`: a suggestion.
        Invalid(
            """
            from pathlib import Path
            for line in Path(p).read_text().splitlines():
                print(line)
            """,
            line=2,
        ),
        # Text or binary unknown: no fix.
        Invalid(
            """
            def scan(fp):
                for line in fp.read().splitlines():
                    fp.seek(0)
            """,
            line=2,
        ),
        # (a) A proven file: iterating it is the same.
        Invalid(
            """
            with open(path) as f:
                for line in f.readlines():
                    print(line)
            """,
            line=2,
            column=17,
            fixed="""
            with open(path) as f:
                for line in f:
                    print(line)
            """,
            applicability=Applicability.SAFE,
        ),
        # (a) Only believed to be a file: the same rewrite, unsafe.
        Invalid(
            """
            def scan(src):
                src.seek(0)
                for line in src.readlines():
                    print(line)
            """,
            line=3,
            fixed="""
            def scan(src):
                src.seek(0)
                for line in src:
                    print(line)
            """,
            applicability=Applicability.UNSAFE,
        ),
        # (a) The loop reads the file too: iterating would interleave, so unsafe.
        Invalid(
            """
            with open(path) as f:
                for line in f.readlines():
                    if line.endswith(","):
                        line += f.readline()
            """,
            fixed="""
            with open(path) as f:
                for line in f:
                    if line.endswith(","):
                        line += f.readline()
            """,
            applicability=Applicability.UNSAFE,
        ),
        # (a) Left early while the file is used afterwards: unsafe.
        Invalid(
            """
            def header(path):
                with open(path) as f:
                    for line in f.readlines():
                        if not line.strip():
                            break
                    return f.read()
            """,
            fixed="""
            def header(path):
                with open(path) as f:
                    for line in f:
                        if not line.strip():
                            break
                    return f.read()
            """,
            applicability=Applicability.UNSAFE,
        ),
        # (a) A generator over the caller's file: the caller runs between lines, unsafe.
        Invalid(
            """
            from typing import TextIO
            def records(fh: TextIO):
                for line in fh.readlines():
                    yield line.strip()
            """,
            line=3,
            fixed="""
            from typing import TextIO
            def records(fh: TextIO):
                for line in fh:
                    yield line.strip()
            """,
            applicability=Applicability.UNSAFE,
        ),
        # (a) Left early, nothing else uses the file: safe. Comments in the header stay.
        Invalid(
            """
            import sys
            for entry in (  # one per line
                sys.stdin.readlines()  # from the pipe
            ):
                if not entry.strip():
                    break
            """,
            line=3,
            fixed="""
            import sys
            for entry in (  # one per line
                sys.stdin  # from the pipe
            ):
                if not entry.strip():
                    break
            """,
            applicability=Applicability.SAFE,
        ),
        # (b) Text.
        Invalid(
            """
            with open(path, encoding="utf-8") as f:
                for line in f.read().splitlines():
                    print(line)
            """,
            line=2,
            fixed="""
            with open(path, encoding="utf-8") as f:
                for line in (raw.rstrip("\\n") for raw in f):
                    print(line)
            """,
            applicability=Applicability.UNSAFE,
        ),
        # (b) Binary, split on a bytes line break.
        Invalid(
            """
            for record in open(path, "rb").read().split(b"\\n"):
                handle(record)
            """,
            fixed="""
            for record in (line.rstrip(b"\\n") for line in open(path, "rb")):
                handle(record)
            """,
            applicability=Applicability.UNSAFE,
        ),
        # (b) A comment inside the loop header stays.
        Invalid(
            """
            import gzip
            with gzip.open(p) as fh:
                for line in (  # decompressed on the fly
                    fh.read().splitlines()
                ):
                    print(line)
            """,
            line=4,
            fixed="""
            import gzip
            with gzip.open(p) as fh:
                for line in (  # decompressed on the fly
                    raw.rstrip(b"\\n") for raw in fh
                ):
                    print(line)
            """,
            applicability=Applicability.UNSAFE,
        ),
        # A comment between the read and the split would be dropped: a suggestion.
        Invalid(
            """
            with open(path) as f:
                for line in (
                    f.read()  # all of it
                    .splitlines()
                ):
                    print(line)
            """,
            line=3,
        ),
        # -- provenance: where the file comes from decides the confidence ----------------
        # A config file named by a literal is small by construction: low.
        Invalid(
            """
            def home():
                with open("pyvenv.cfg") as f:
                    return f.read().splitlines()
            """,
            confidence=Confidence.LOW,
            because="reads `pyvenv.cfg`, a small config file",
        ),
        # ... a `.json` file is data, not config: medium.
        Invalid(
            """
            def rows():
                with open("export.json") as f:
                    return f.read().splitlines()
            """,
            confidence=Confidence.MEDIUM,
        ),
        # A system file under `/proc` is small: low; one under `/var/log` is not.
        Invalid(
            """
            def meminfo():
                return open("/proc/meminfo").readlines()
            """,
            confidence=Confidence.LOW,
            because="reads `/proc/meminfo`, a small system file",
        ),
        Invalid(
            """
            def syslog():
                return open("/var/log/syslog").readlines()
            """,
            confidence=Confidence.MEDIUM,
        ),
        # A file of the package itself, found from `__file__`: low.
        Invalid(
            """
            import os
            def words():
                here = os.path.dirname(os.path.abspath(__file__))
                with open(os.path.join(here, "words.txt")) as f:
                    return f.readlines()
            """,
            confidence=Confidence.LOW,
            because="reads a file of the package itself (found from `__file__`)",
        ),
        # ... the same name from the working folder is anyone's file.
        Invalid(
            """
            import os
            def words():
                with open(os.path.join(os.getcwd(), "words.txt")) as f:
                    return f.readlines()
            """,
            confidence=Confidence.MEDIUM,
        ),
        # A path from the command line: high, followed from `main()` into another function.
        Invalid(
            """
            import sys
            def main():
                count(sys.argv[1])
            def count(target):
                with open(target) as f:
                    return len(f.readlines())
            """,
            line=6,
            confidence=Confidence.HIGH,
            because="reads a path given on the command line (`sys.argv`)",
        ),
        # ... a list of your own called `argv` is not `sys.argv`.
        Invalid(
            """
            argv = ["a.txt"]
            def first():
                return open(argv[0]).readlines()
            """,
            confidence=Confidence.MEDIUM,
        ),
        Invalid(
            """
            import argparse
            def main():
                parser = argparse.ArgumentParser()
                parser.add_argument("log")
                args = parser.parse_args()
                return open(args.log).read().splitlines()
            """,
            confidence=Confidence.HIGH,
            because="reads a path given on the command line (`argparse`)",
        ),
        # Files found by `glob`, and standard input: high.
        Invalid(
            """
            import glob
            def scan():
                for name in glob.glob("logs/*.log"):
                    with open(name) as f:
                        yield f.readlines()
            """,
            confidence=Confidence.HIGH,
            because="reads a file found by `glob()`",
        ),
        Invalid(
            """
            from sys import stdin as pipe
            lines = pipe.readlines()
            """,
            confidence=Confidence.HIGH,
            because="reads standard input",
        ),
        # A parameter of a public function named for data: high ...
        Invalid(
            """
            def load_lines(path):
                with open(path) as f:
                    return f.read().splitlines()
            """,
            confidence=Confidence.HIGH,
            because="reads `path`, a parameter of public `load_lines()` named for data",
        ),
        # ... but `config_path` is no proof of size either way: medium.
        Invalid(
            """
            def load_lines(config_path):
                with open(config_path) as f:
                    return f.read().splitlines()
            """,
            confidence=Confidence.MEDIUM,
        ),
        # A private helper takes what its callers give it: here only config files.
        Invalid(
            """
            def _lines(path):
                with open(path) as f:
                    return f.readlines()
            def requirements():
                return _lines("requirements-dev.txt")
            """,
            confidence=Confidence.LOW,
            because="reads `requirements-dev.txt`, a small config file",
        ),
        # A `.pth` file is a few lines of paths (`site.py` reads them so) ...
        Invalid(
            """
            def addpackage(sitedir, name):
                with open(f"{sitedir}/{name}.pth") as f:
                    return f.readlines()
            """,
            confidence=Confidence.LOW,
            because="reads a `*.pth` file, a small config file",
        ),
        # ... and so is `.env`.
        Invalid(
            """
            def environment():
                return open(".env").read().splitlines()
            """,
            confidence=Confidence.LOW,
            because="reads `.env`, a small config file",
        ),
        # Look-alike: `parse_args()` of your own, with no `argparse` or `optparse` imported.
        Invalid(
            """
            from .cli import options
            def main():
                args = options.parse_args()
                return open(args.log).read().splitlines()
            """,
            confidence=Confidence.MEDIUM,
        ),
        # Look-alike: `glob` in the package's own folder finds the package's files: low.
        Invalid(
            """
            import glob, os
            def scan():
                here = os.path.dirname(__file__)
                for name in glob.glob(os.path.join(here, "*.txt")):
                    with open(name) as f:
                        yield f.readlines()
            """,
            confidence=Confidence.LOW,
            because="reads a file of the package itself (found from `__file__`)",
        ),
    )

    reach = Reach.FUNCTION

    @classmethod
    def ast_places(cls, tree: ast.Module, settings: Settings) -> list[ast.AST]:
        """The calls with a shape `visit_Call` checks, on what may be a file or a whole read
        (`files.tree_may_be_file`, `files.tree_may_be_whole_read`)."""
        imports = names.Imports.of(tree)
        materialisers = imports.heads(_MATERIALISERS)
        found: list[ast.AST] = []
        for call in astindex.nodes(tree, ast.Call):
            func = call.func
            if isinstance(func, ast.Name) and materialisers is not None:
                if func.id in materialisers and _may_materialise(tree, call, imports):
                    found.append(call)
            elif isinstance(func, ast.Name) or (
                isinstance(func, ast.Attribute) and func.attr in ("list", "tuple")
            ):
                if _may_materialise(tree, call, imports):
                    found.append(call)
            elif isinstance(func, ast.Attribute) and _may_split_a_read(tree, call, func):
                found.append(call)
        return found

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        # `for` statements (not `async for`) by the id of their iterable.
        self._loops: dict[int, cst.For] = {}

    def visit_For(self, node: cst.For) -> None:
        if node.asynchronous is None:
            self._loops[id(node.iter)] = node

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Name) or m.matches(func, m.Attribute(attr=_MATERIALISER_ATTR)):
            self._check_materialised(node)
        elif not isinstance(func, cst.Attribute):
            return
        elif func.attr.value == "readlines":
            self._check_readlines(node)
        elif func.attr.value == "splitlines" and not any(arg.star for arg in node.args):
            self._check_split(node, func.value, None)
        elif func.attr.value == "split":
            separator = _line_separator(node)
            if separator is not None:
                self._check_split(node, func.value, separator)

    # -- the three shapes ------------------------------------------------------------------

    def _check_split(
        self, node: cst.Call, receiver: cst.BaseExpression, separator: cst.SimpleString | None
    ) -> None:
        read = files.whole_read(self, receiver)
        # `lines = f.readlines()` ... `lines.split(...)` is no string split.
        if read is None or read.method == "readlines":
            return
        method = "splitlines" if separator is None else "split"
        split = f"{method}({self._arguments(node)})"
        given = "..." if read.call.args else ""
        source = f"{self._short(read.receiver)}.{read.method}({given})"
        if read.via_name is not None:
            message = (
                f"`{read.via_name.value}.{split}` splits a whole-file read (`{source}`) into "
                "a list of every line, so memory grows with the file (twice)"
            )
        else:
            message = f"`{source}.{split}` {_COST_TWICE} (twice)"
        fix = None
        if read.via_name is None and read.method == "read":
            fix = self._fix_split(node, read, separator)
        path_read = read.method in ("read_text", "read_bytes")
        self._report(node, message, fix, read.confidence, read.receiver, path_read)

    def _check_readlines(self, node: cst.Call) -> None:
        read = files.whole_read(self, node)
        if read is None or read.method != "readlines":
            return
        message = f"`{self._short(read.receiver)}.readlines()` {_COST_LIST}"
        fix = self._fix_readlines(node, read)
        self._report(node, message, fix, read.confidence, read.receiver)

    def _check_materialised(self, node: cst.Call) -> None:
        if len(node.args) != 1 or node.args[0].star or node.args[0].keyword is not None:
            return
        if not files.may_be_file(self, node.args[0].value):
            return  # decided without names or scopes: most `list(x)` calls end here
        callee = names.resolves_to(self, node, _MATERIALISERS)
        if callee is None:
            return
        confidence = files.file_object(self, node.args[0].value)
        if confidence is None:
            return
        shown = f"{names.dotted(node)}({self._short(node.args[0].value)})"
        cost = _COST_LIST.replace("a list", "a tuple") if callee == "builtins.tuple" else _COST_LIST
        self._report(node, f"`{shown}` {cost}", None, confidence, node.args[0].value)

    def _report(
        self,
        node: cst.Call,
        message: str,
        fix: FixSpec | None,
        confidence: Confidence,
        receiver: cst.BaseExpression,
        path_read: bool = False,
    ) -> None:
        suggestion = None
        if fix is None:
            # The file as written when it is short, else a stand-in.
            shown = self._code(receiver)
            long = len(shown) > 32
            if path_read:
                shown = "p" if long else shown
                suggestion = (
                    f"Open the file and iterate over it (`with {shown}.open() as f: for line "
                    "in f:`) to hold one line at a time"
                )
            else:
                shown = "f" if long else shown
                suggestion = (
                    f"Iterate over the file (`for line in {shown}:`) to hold one line at a time"
                )
        self.report(
            node,
            message,
            fix=fix,
            suggestion=suggestion,
            confidence=confidence,
            provenance=provenance.of_source(self, receiver),
        )

    # -- fixes -----------------------------------------------------------------------------

    def _fix_readlines(self, node: cst.Call, read: files.WholeRead) -> FixSpec | None:
        loop = self._loops.get(id(node))
        if loop is None:
            return None
        receiver = read.receiver
        outer = (node.lpar, node.rpar)
        if _plain_parentheses(node) and loop.whitespace_after_in.value:
            outer = ((), ())  # `for line in (f.readlines()):` -> `for line in f:`
        new = receiver.with_changes(
            lpar=[*outer[0], *receiver.lpar], rpar=[*receiver.rpar, *outer[1]]
        )
        if _drops_comment(node, new):
            return None
        unsafe = read.confidence is not Confidence.HIGH or self._shared(loop, receiver)
        return self.replace(node, new, "Iterate over the file", unsafe=unsafe)

    def _fix_split(
        self, node: cst.Call, read: files.WholeRead, separator: cst.SimpleString | None
    ) -> FixSpec | None:
        loop = self._loops.get(id(node))
        if loop is None:
            return None
        binary = files.is_binary(self, read.receiver)
        if binary is None:
            return None
        if separator is not None:
            # Iterating splits on "\n" only, and a "\r\n" split keeps no "\r" to compare.
            if separator.evaluated_value != (b"\n" if binary else "\n"):
                return None
        elif node.args:
            return None  # `splitlines(keepends)`
        variable = cst.Name(_free_name(loop, read.receiver))
        receiver = read.receiver
        if not isinstance(receiver, _BARE_ITERABLES) and not receiver.lpar:
            receiver = receiver.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
        stripped = cst.Call(
            func=cst.Attribute(variable, cst.Name("rstrip")),
            args=[cst.Arg(cst.SimpleString('b"\\n"' if binary else '"\\n"'))],
        )
        new = cst.GeneratorExp(
            elt=stripped,
            for_in=cst.CompFor(target=variable, iter=receiver),
            lpar=node.lpar or [cst.LeftParen()],
            rpar=node.rpar or [cst.RightParen()],
        )
        if _drops_comment(node, new):
            return None
        return self.replace(node, new, "Iterate over the file, stripping newlines", unsafe=True)

    def _shared(self, loop: cst.For, receiver: cst.BaseExpression) -> bool:
        """Whether code other than the loop's header could see the file read lazily.

        The loop uses it (reads, seeks, writes; `input()` for standard input); or it can be
        left early while the file is mentioned elsewhere in the function (the file is then
        left part-read); or it yields or awaits while the file is a parameter, standard input
        or mentioned elsewhere (the caller runs, part-way through). A file opened by the
        loop's own header is seen by nothing else.
        """
        if isinstance(receiver, cst.Call):
            return False
        if isinstance(receiver, cst.Name):
            keys = {receiver.value}
        elif names.resolved(self, receiver) & _STDIN:
            keys = {"stdin", "__stdin__", "input"}
        else:
            return True
        inside = [loop.target, loop.body, *([loop.orelse] if loop.orelse else [])]
        if any(_mentions(part, keys) for part in inside):
            return True
        function = context.context_of(self, loop).function
        suspends = bool(m.findall(loop.body, m.Yield() | m.Await()))
        if suspends and (not isinstance(receiver, cst.Name) or _is_parameter(function, keys)):
            return True
        if not suspends and not context.exits(self, context.loop_of(self, loop)):
            return False
        scope = function or self.context.module
        return bool(_mentions(scope, keys) - _bound(scope, keys) - _mentions(receiver, keys))

    # -- rendering -------------------------------------------------------------------------

    def _code(self, node: cst.CSTNode) -> str:
        return _collapse(self.context.module.code_for_node(node))

    def _short(self, node: cst.BaseExpression) -> str:
        """A receiver as a message shows it: its code when short, else its callee."""
        code = self._code(node)
        if len(code) <= 32:
            return code
        dotted = names.dotted(node)
        return f"{dotted}(...)" if isinstance(node, cst.Call) and dotted else "..."

    def _arguments(self, call: cst.Call) -> str:
        code = ", ".join(
            self._code(arg.with_changes(comma=cst.MaybeSentinel.DEFAULT)) for arg in call.args
        )
        return code if len(code) <= 24 else "..."


def _mentions(node: cst.CSTNode, keys: set[str]) -> set[int]:
    """The ids of the names (and attribute names) in `node` spelled as one of `keys`."""
    found = m.findall(node, m.Name(value=m.MatchIfTrue(lambda value: value in keys)))
    return {id(name) for name in found}


def _bound(node: cst.CSTNode, keys: set[str]) -> set[int]:
    """The ids of the names in `node` spelled as one of `keys` where they are bound."""
    key = m.Name(value=m.MatchIfTrue(lambda value: value in keys))
    targets = m.AsName(name=key) | m.AssignTarget(target=key) | m.Param(name=key)
    found: set[int] = set()
    for target in m.findall(node, targets):
        assert isinstance(target, (cst.AsName, cst.AssignTarget, cst.Param))
        bound = target.target if isinstance(target, cst.AssignTarget) else target.name
        found.add(id(bound))
    return found


def _is_parameter(function: cst.FunctionDef | cst.Lambda | None, keys: set[str]) -> bool:
    if function is None:
        return False
    key = m.Name(value=m.MatchIfTrue(lambda value: value in keys))
    return bool(m.findall(function.params, m.Param(name=key)))


def _free_name(loop: cst.For, receiver: cst.BaseExpression) -> str:
    """A name for the generator's variable that the loop and the file do not use."""
    found = [name for part in (loop, receiver) for name in m.findall(part, m.Name())]
    used = {name.value for name in found if isinstance(name, cst.Name)}
    for candidate in _LINE_NAMES:
        if candidate not in used:
            return candidate
    number = 1
    while f"line{number}" in used:
        number += 1
    return f"line{number}"


def _plain_parentheses(node: cst.BaseExpression) -> bool:
    """Whether the parentheses around `node` hold nothing but spaces on one line."""
    spaces = [p.whitespace_after for p in node.lpar] + [p.whitespace_before for p in node.rpar]
    return all(isinstance(space, cst.SimpleWhitespace) for space in spaces)


def _drops_comment(old: cst.CSTNode, new: cst.CSTNode) -> bool:
    return len(m.findall(old, m.Comment())) != len(m.findall(new, m.Comment()))
