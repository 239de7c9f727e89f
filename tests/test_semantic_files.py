"""memlint.semantic.files: file objects, paths and whole-file reads, with their confidence."""

from __future__ import annotations

import gc
import textwrap
from typing import Callable, Optional, TypeVar

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper

from memlint.diagnostics import Confidence
from memlint.semantic import bindings, files, names

T = TypeVar("T")
HIGH = Confidence.HIGH
MEDIUM = Confidence.MEDIUM
_CODE = cst.Module([]).code_for_node


class _Probe(cst.BatchableCSTVisitor):
    """Asks `question` about the last expression statement, as a rule would mid-traversal."""

    METADATA_DEPENDENCIES = files.PROVIDERS

    def __init__(self, question: Callable[[_Probe, cst.BaseExpression], object]) -> None:
        super().__init__()
        self.question = question
        self.last: cst.BaseExpression | None = None
        self.answer: object = None

    def visit_Expr(self, node: cst.Expr) -> None:
        self.last = node.value

    def leave_Module(self, original_node: cst.Module) -> None:
        assert self.last is not None, "the snippet needs an expression statement to ask about"
        self.answer = self.question(self, self.last)


def ask(code: str, question: Callable[[_Probe, cst.BaseExpression], T]) -> T:
    probe = _Probe(question)
    MetadataWrapper(cst.parse_module(textwrap.dedent(code))).visit_batched([probe])
    return probe.answer  # type: ignore[return-value]


Read = tuple[str, str, Confidence, Optional[str]]


class _Reads(cst.BatchableCSTVisitor):
    """Every whole-file read `whole_read` finds among the calls and names of a snippet."""

    METADATA_DEPENDENCIES = files.PROVIDERS

    def __init__(self) -> None:
        super().__init__()
        self.found: list[Read] = []
        self.targets: set[int] = set()

    def _ask(self, node: cst.BaseExpression) -> None:
        read = files.whole_read(self, node)
        if read is None:
            return
        assert read.via_name is (node if isinstance(node, cst.Name) else None)
        assert isinstance(read.call.func, cst.Attribute)
        assert read.call.func.attr.value == read.method
        via = read.via_name.value if read.via_name is not None else None
        self.found.append((read.method, _CODE(read.receiver), read.confidence, via))

    def visit_Call(self, node: cst.Call) -> None:
        self._ask(node)

    # Rules ask about the names a read is used through, not the ones it is stored in.
    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        self.targets.add(id(node.target))

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self.targets.add(id(node.target))

    def visit_Name(self, node: cst.Name) -> None:
        if id(node) not in self.targets:
            self._ask(node)


def reads(code: str) -> list[Read]:
    visitor = _Reads()
    MetadataWrapper(cst.parse_module(textwrap.dedent(code))).visit_batched([visitor])
    return visitor.found


def file_object(code: str) -> Confidence | None:
    return ask(code, files.file_object)


# -- file_object -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "code",
    [
        "open(p)",
        "open(p, 'rb', buffering=0)",
        "import io\nio.open(p)",
        "from io import open as io_open\nio_open(p)",
        "import codecs\ncodecs.open(p, encoding='utf-8')",
        "import gzip as gz\ngz.open(p)",
        "import gzip\ngzip.GzipFile(p)",
        "import bz2\nbz2.open(p)",
        "from lzma import open as xz\nxz(p)",
        "import tempfile\ntempfile.TemporaryFile()",
        "from tempfile import NamedTemporaryFile\nNamedTemporaryFile('w+')",
        "import tempfile\ntempfile.SpooledTemporaryFile(1024)",
        "import os\nos.fdopen(fd)",
        "import tokenize\ntokenize.open(p)",
        "import io\nio.TextIOWrapper(raw, encoding='utf-8')",
        "import io\nio.BufferedReader(raw)",
        "import io\nio.FileIO(p)",
        "import sys\nsys.stdin",
        "import sys\nsys.stdin.buffer",
        "from sys import stdin\nstdin",
        "from pathlib import Path\nPath(p).open()",
        "import pathlib\n(pathlib.Path(d) / 'x').open('rb')",
        "from pathlib import Path\nPath.open(p)",
        "import sys\nopen(p) if p else sys.stdin",
    ],
)
def test_file_calls_are_files(code: str) -> None:
    assert file_object(code) is HIGH


@pytest.mark.parametrize(
    "code",
    [
        "with open(p) as f:\n    f",
        "with open(a) as f, open(b) as g:\n    g",
        "f = open(p)\nf",
        "def g(p):\n    f = open(p)\n    f",
        "def g(p):\n    (f := open(p))\n    f",
        # Every binding agrees.
        "import sys\nif p == '-':\n    f = sys.stdin\nelse:\n    f = open(p)\nf",
        # `None` is no value anything is read from.
        "f = None\ntry:\n    f = open(p)\n    f\nfinally:\n    pass",
        "from typing import TextIO\ndef g(f: TextIO):\n    f",
        "import typing\ndef g(f: typing.IO[str]):\n    f",
        "from typing import IO\ndef g(f: IO[bytes]):\n    f",
        "from typing import BinaryIO, Optional\ndef g(f: Optional[BinaryIO]):\n    f",
        "import io\ndef g(f: io.TextIOWrapper):\n    f",
        "import io\ndef g(f: io.BufferedReader | None = None):\n    f",
        "import typing as t\nf: t.BinaryIO = get()\nf",
        "from pathlib import Path\ndef g(p: Path):\n    p.open()",
        "from pathlib import Path\ndef g(d):\n    p = Path(d)\n    p.with_suffix('.txt').open()",
        "import pathlib\ndef g(d: pathlib.Path):\n    (d.parent / 'x').open()",
    ],
)
def test_names_bound_to_files_are_files(code: str) -> None:
    assert file_object(code) is HIGH


@pytest.mark.parametrize(
    "code",
    [
        # The stdlib's own `json.load`: only `.read()`, but a parameter named as files are.
        "def load(fp):\n    fp.read()\n    fp",
        "def load(file, *, fix_imports=True):\n    file.read()\n    file",
        "def g(csvfile):\n    csvfile.read()\n    csvfile",
        "def g(src):\n    src.seek(0)\n    src.read()\n    src",
        "def g(src):\n    src.readline()\n    src.read(10)\n    src",
        "def g(src):\n    for line in src:\n        pass\n    src.read()\n    src",
        "def g(src):\n    [line for line in src]\n    src.read()\n    src",
        "def g(src):\n    src.readlines()\n    src.read()\n    src",
        "def g():\n    f = get()\n    f.tell()\n    f.read()\n    f",
        "for f in handles:\n    f.fileno()\n    f.read()\n    f",
        # One binding is a file, the other unknown.
        "if a:\n    f = open(p)\nelse:\n    f = get()\nf",
    ],
)
def test_names_used_as_files_are_medium(code: str) -> None:
    assert file_object(code) is MEDIUM


@pytest.mark.parametrize(
    "code",
    [
        # An HTTP response read once: nothing says it is a file.
        "def g(resp):\n    resp.read()\n    resp",
        "def g():\n    resp = session.get(u)\n    resp.read()\n    resp",
        # Known not to be a file, whatever its use.
        "import urllib.request\nresp = urllib.request.urlopen(u)\n"
        "resp.readline()\nresp.read()\nresp",
        "from urllib.request import urlopen\nurlopen(u)",
        "import io\nio.BytesIO(data)",
        "import io\nio.StringIO(text)",
        "import io\nio.TextIOWrapper(io.BytesIO(data))",
        "import io\nb = io.BytesIO()\nb.seek(0)\nb.read()\nb",
        "import socket\ns = socket.socket()\ns",
        "import tarfile\ntarfile.open(p)",
        "import mmap\nm = mmap.mmap(-1, 16)\nm.seek(0)\nm.read()\nm",
        "def g(fp: bytes):\n    fp.read()\n    fp",
        "def g(*fp):\n    fp.read()\n    fp",
        "f = 'name.txt'\nf",
        "import io\nf = open(p)\nf = io.BytesIO()\nf",
        # A user's own `open`.
        "def open(p):\n    return p\nopen(p)",
        "class Files:\n    def open(self, p): ...\nFiles().open(p)",
        "x.open()",
        # Bound elsewhere than where it is used: not followed.
        "f = open(p)\ndef g():\n    f",
        "def g():\n    f = open(p)\n    def h():\n        f\n",
        "def g():\n    global f\n    f = open(p)\n    f",
        # Not enough evidence.
        "def g(fp):\n    fp",
        "def g(src):\n    src.readlines()\n    src",
        "def g(src):\n    src.seek(0)\n    src",
        "with open(p) as (a, b):\n    a",
        "def g(f: 'TextIO'):\n    f",
        "from pathlib import Path\nPath(p)",
    ],
)
def test_not_files(code: str) -> None:
    assert file_object(code) is None


# -- paths -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("from pathlib import Path\nPath(p)", True),
        ("import pathlib\npathlib.PosixPath(p)", True),
        ("from pathlib import Path\nPath.home() / 'x' / 'y'", True),
        ("from pathlib import Path\n'x' / Path.cwd()", True),
        ("from pathlib import Path\nPath(p).resolve().parent.joinpath('a')", True),
        ("from pathlib import Path\ndef g(p: Path | None):\n    p", True),
        ("from pathlib import Path\np = None\np = Path(x)\np", True),
        ("from pathlib import Path\np = Path(x)\np = p / 'y'\np", True),
        ("from pathlib import Path\np = Path(x)\np = str(p)\np", False),
        ("from pathlib import Path\nPath(p).name", False),
        ("class Path: ...\nPath(p)", False),
        ("import os\nos.path.join(a, b)", False),
        ("def g(p):\n    p", False),
    ],
)
def test_is_path(code: str, expected: bool) -> None:
    assert ask(code, files.is_path) is expected


# -- whole_read ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("open(p).read()", [("read", "open(p)", HIGH, None)]),
        ("open(p).read(-1)", [("read", "open(p)", HIGH, None)]),
        ("open(p).read(None)", [("read", "open(p)", HIGH, None)]),
        ("open(p).read(size=-1)", [("read", "open(p)", HIGH, None)]),
        ("open(p).read(4096)", []),
        ("open(p).read(0)", []),
        ("def g(n):\n    open(p).read(n)", []),
        ("open(p).read(*sizes)", []),
        ("open(p).readlines()", [("readlines", "open(p)", HIGH, None)]),
        ("open(p).readlines(0)", [("readlines", "open(p)", HIGH, None)]),
        ("open(p).readlines(1 << 16)", []),
        ("open(p).readline()", []),
        ("import gzip as gz\ngz.open(p).read()", [("read", "gz.open(p)", HIGH, None)]),
        ("from io import open as io_open\nio_open(p).read()", [("read", "io_open(p)", HIGH, None)]),
        ("import sys\nsys.stdin.read()", [("read", "sys.stdin", HIGH, None)]),
        ("import sys\nsys.stdin.buffer.read()", [("read", "sys.stdin.buffer", HIGH, None)]),
        ("import sys\nsys.stdin.readlines()", [("readlines", "sys.stdin", HIGH, None)]),
        (
            "with open(p, 'rb') as f:\n    data = f.read()",
            [("read", "f", HIGH, None)],
        ),
        (
            "from typing import IO\ndef g(f: IO[str]):\n    return f.readlines()",
            [("readlines", "f", HIGH, None)],
        ),
        (
            "import json\ndef load(fp):\n    return json.loads(fp.read())",
            [("read", "fp", MEDIUM, None)],
        ),
        # Not files.
        ("import io\nio.BytesIO(data).read()", []),
        ("import urllib.request\nresp = urllib.request.urlopen(u)\nresp.read()", []),
        ("import urllib.request\nurllib.request.urlopen(u).read()", []),
        ("def g(resp):\n    return resp.read()", []),
        ("def open(p):\n    return p\nopen(p).read()", []),
        ("self.fp.read()", []),
        ("import os\nos.popen(cmd).read()", []),
        ("import subprocess\nsubprocess.Popen(cmd).stdout.read()", []),
    ],
)
def test_whole_read_of_files(code: str, expected: list[Read]) -> None:
    assert reads(code) == expected


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("from pathlib import Path\nPath(p).read_text()", [("read_text", "Path(p)", HIGH, None)]),
        (
            "import pathlib\npathlib.Path(p).read_bytes()",
            [("read_bytes", "pathlib.Path(p)", HIGH, None)],
        ),
        (
            "from pathlib import Path\n(Path(d) / 'x').read_text(encoding='utf-8')",
            [("read_text", "(Path(d) / 'x')", HIGH, None)],
        ),
        (
            "from pathlib import Path\nPath.home().joinpath('x').read_text()",
            [("read_text", "Path.home().joinpath('x')", HIGH, None)],
        ),
        (
            "from pathlib import Path\ndef g(p: Path):\n    return p.read_text('utf-8')",
            [("read_text", "p", HIGH, None)],
        ),
        (
            "from pathlib import Path\n"
            "def g(d):\n    p = Path(d)\n    return p.with_suffix('.c').read_bytes()",
            [("read_bytes", "p.with_suffix('.c')", HIGH, None)],
        ),
        ("from pathlib import Path\nPath.read_text(p)", [("read_text", "p", HIGH, None)]),
        (
            "from pathlib import Path\nPath(p).open().read()",
            [("read", "Path(p).open()", HIGH, None)],
        ),
        # Distinctive method names: MEDIUM on anything else.
        ("def g(p):\n    return p.read_text()", [("read_text", "p", MEDIUM, None)]),
        (
            "def g(p):\n    return p.read_bytes()\n",
            [("read_bytes", "p", MEDIUM, None)],
        ),
        (
            "import zipfile\nzipfile.Path(z, 'a').read_text(encoding='utf-8')",
            [("read_text", "zipfile.Path(z, 'a')", MEDIUM, None)],
        ),
        ("class Path: ...\nPath(p).read_text()", [("read_text", "Path(p)", MEDIUM, None)]),
        # Arguments that are not `Path.read_text`'s, or a module's own function.
        ("def g(p):\n    return p.read_text('utf-8')", []),
        ("import importlib.resources as r\nr.read_text(pkg, 'x')", []),
        ("import importlib.resources as r\nr.read_text()", []),
    ],
)
def test_whole_read_of_paths(code: str, expected: list[Read]) -> None:
    assert reads(code) == expected


_READ = ("read", "f", HIGH, None)


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (
            """
            def g(p):
                with open(p) as f:
                    text = f.read()
                return text.splitlines()
            """,
            [_READ, ("read", "f", HIGH, "text")],
        ),
        (
            "data = open(p).read()\nlines = data.splitlines()",
            [("read", "open(p)", HIGH, None), ("read", "open(p)", HIGH, "data")],
        ),
        (
            "text: str = open(p).read()\ntext.split()",
            [("read", "open(p)", HIGH, None), ("read", "open(p)", HIGH, "text")],
        ),
        # Followed through a second name.
        (
            "t = open(p).read()\nu = t\nu.split()",
            [
                ("read", "open(p)", HIGH, None),
                ("read", "open(p)", HIGH, "t"),
                ("read", "open(p)", HIGH, "u"),
            ],
        ),
        # Reassigned between the read and the use, or after it.
        (
            """
            def g(p):
                with open(p) as f:
                    text = f.read()
                text = text.strip()
                return text.splitlines()
            """,
            [_READ],
        ),
        ("t = open(p).read()\nt.split()\nt = ''", [("read", "open(p)", HIGH, None)]),
        (
            "def g(p):\n    t = open(p).read()\n    t += 'x'\n    return t",
            [("read", "open(p)", HIGH, None)],
        ),
        # Bound in an enclosing function, or a global.
        (
            "def g(p):\n    t = open(p).read()\n"
            "    def h():\n        return t.split()\n    return h",
            [("read", "open(p)", HIGH, None)],
        ),
        (
            "t = ''\ndef g(p):\n    global t\n    t = open(p).read()\n    return t.split()",
            [("read", "open(p)", HIGH, None)],
        ),
        # Not bound by a plain assignment.
        ("with open(p) as f:\n    for t in [f.read()]:\n        t.split()", [_READ]),
        ("t = open(p).read(10)\nt.split()", []),
    ],
)
def test_whole_read_through_a_name(code: str, expected: list[Read]) -> None:
    assert reads(code) == expected


def test_via_name_is_the_name_asked_about() -> None:
    def question(probe: _Probe, expr: cst.BaseExpression) -> object:
        read = files.whole_read(probe, expr)
        assert read is not None
        return read.via_name is expr, _CODE(read.call), read.method

    assert ask("t = open(p).read()\nt", question) == (True, "open(p).read()", "read")


def test_confidence_is_capped_by_the_receiver() -> None:
    code = "def g(src):\n    for line in src:\n        pass\n    return src.read()"
    assert reads(code) == [("read", "src", MEDIUM, None)]


# -- resolution and bookkeeping --------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("import io\nio.open", {"io.open"}),
        ("from io import open as o\no", {"io.open"}),
        ("import sys\nsys.stdin.buffer", {"sys.stdin.buffer"}),
        # Through a call, or a builtin's attribute: not a plain chain.
        ("from pathlib import Path\nPath(p).open", set()),
        ("str.join", set()),
        ("open(p)", set()),
    ],
)
def test_resolved(code: str, expected: set[str]) -> None:
    assert ask(code, names.resolved) == expected


def test_name_bindings_kinds() -> None:
    code = """
    def g(p, *rest, q: int = 1, **kw):
        x = 1
        x += 2
        x: int = 3
        with open(p) as x:
            pass
        for x in rest:
            pass
        (x := 4)
        x
    """

    def question(probe: _Probe, expr: cst.BaseExpression) -> object:
        assert isinstance(expr, cst.Name)
        found = bindings.name_bindings(probe, expr)
        assert found is not None
        return sorted(b.kind for b in found.bindings)

    expected = ["annassign", "assign", "augassign", "other", "walrus", "with"]
    assert ask(code, question) == expected


def test_the_index_is_dropped_with_the_tree() -> None:
    assert reads("def g(p):\n    t = open(p).read()\n    return t.split()")
    gc.collect()
    assert len(bindings._INDEXES) == 0


# -- text or binary --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("open(p)", False),
        ("open(p, 'rb')", True),
        ("open(p, mode='rb', buffering=0)", True),
        ("open(p, 'r+', encoding='utf-8')", False),
        ("import io\nio.open(p, 'wb')", True),
        ("import gzip\ngzip.open(p)", True),
        ("import gzip\ngzip.open(p, 'rt')", False),
        ("from bz2 import open as bopen\nbopen(p, mode='rt')", False),
        ("import gzip\ngzip.GzipFile(p, 'r')", True),
        ("import codecs\ncodecs.open(p, 'rb', 'utf-8')", False),
        ("import codecs\ncodecs.open(p, 'rb')", True),
        ("import tempfile\ntempfile.TemporaryFile()", True),
        ("import tempfile\ntempfile.NamedTemporaryFile('w+')", False),
        ("import io\nio.TextIOWrapper(raw)", False),
        ("import tokenize\ntokenize.open(p)", False),
        ("import io\nio.FileIO(p)", True),
        ("import sys\nsys.stdin", False),
        ("import sys\nsys.stdin.buffer", True),
        ("from pathlib import Path\nPath(p).open()", False),
        ("from pathlib import Path\nPath(p).open('rb')", True),
        ("from pathlib import Path\nPath.open(p, 'rb')", True),
        ("with open(p, 'rb') as f:\n    f", True),
        ("f = None\nf = open(p, 'rb')\nf", True),
        ("import sys\nf = open(p) if p else sys.stdin\nf", False),
        ("from typing import TextIO\ndef g(f: TextIO):\n    f", False),
        ("from typing import BinaryIO\ndef g(f: BinaryIO | None):\n    f", True),
        ("from typing import IO\ndef g(f: IO[str]):\n    f", False),
        ("import typing\ndef g(f: typing.IO[bytes]):\n    f", True),
        # Unknown: a mode that is not a literal, bindings that disagree, no evidence.
        ("open(p, mode)", None),
        ("open(p, *args)", None),
        ("import sys\nf = open(p, 'rb') if p else sys.stdin\nf", None),
        ("if a:\n    f = open(p)\nelse:\n    f = open(p, 'rb')\nf", None),
        ("def g(fp):\n    fp", None),
        ("from typing import IO\ndef g(f: IO[Any]):\n    f", None),
        ("def open(p, mode):\n    return p\nopen(p, 'rb')", None),
    ],
)
def test_is_binary(code: str, expected: bool | None) -> None:
    assert ask(code, files.is_binary) is expected


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("open(p)", "r"),
        ("open(p, 'rb')", "rb"),
        ("open(p, mode='r+b', buffering=0)", "r+b"),
        ("import io\nio.open(p, 'wb')", "wb"),
        ("import gzip\ngzip.open(p)", "rb"),
        ("from bz2 import open as bopen\nbopen(p, mode='rt')", "rt"),
        ("import tempfile\ntempfile.TemporaryFile()", "w+b"),
        ("from pathlib import Path\nPath(p).open('rb')", "rb"),
        ("from pathlib import Path\nPath.open(p, 'rb')", "rb"),
        ("with open(p, 'rb') as f:\n    f", "rb"),
        ("f = None\nf = open(p, 'rb')\nf", "rb"),
        ("f = open(p, 'rb') if p else open(q, 'rb')\nf", "rb"),
        # Unknown: no literal mode, disagreeing bindings, files known by other means.
        ("open(p, mode)", None),
        ("open(p, *args)", None),
        ("if a:\n    f = open(p)\nelse:\n    f = open(p, 'rb')\nf", None),
        ("import sys\nsys.stdin.buffer", None),
        ("import io\nio.FileIO(p)", None),
        ("from typing import BinaryIO\ndef g(f: BinaryIO):\n    f", None),
        ("def open(p, mode):\n    return p\nopen(p, 'rb')", None),
    ],
)
def test_open_mode(code: str, expected: str | None) -> None:
    assert ask(code, files.open_mode) == expected


def test_global_bindings() -> None:
    def question(probe: _Probe, expr: cst.BaseExpression) -> object:
        assert isinstance(expr, cst.Name)
        found = bindings.global_bindings(probe, expr)
        return None if found is None else sorted(b.kind for b in found.bindings)

    # Read in a function, bound at module level (twice): both module bindings.
    code = "S = make()\nS = None\ndef g():\n    S"
    assert ask(code, question) == ["assign", "assign"]
    # Bound in the function itself, or an import: not a module-level binding seen.
    assert ask("S = 1\ndef g():\n    S = 2\n    S", question) is None
    assert ask("import S\ndef g():\n    S", question) is None
