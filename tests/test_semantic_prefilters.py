"""The scope-free guards (`names.Imports.may_resolve`, `files.may_be_file`) never say no wrongly.

Each guard lets a rule skip the scope analysis; one that answers False where libcst's full
analysis would find something is a silent false negative. So both are checked against the
full analysis on every node of every fixture, a set of tricky snippets, and a sample of the
standard library.
"""

from __future__ import annotations

import ast
import sysconfig
import textwrap
from pathlib import Path

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, QualifiedNameProvider, ScopeProvider

from memlint.semantic import files, names

FIXTURES = sorted(Path(__file__).parent.parent.joinpath("fixtures", "rules").glob("MEM*.py"))
STDLIB = Path(sysconfig.get_paths()["stdlib"])
STDLIB_SAMPLE = [
    STDLIB / name
    for name in ("tokenize.py", "tarfile.py", "configparser.py", "fileinput.py", "shutil.py")
]
SNIPPETS = [
    "import numpy as np\nx = np.zeros[0].x\ny = np.random.rand(3)\n",
    "from gzip import open as gopen\nwith gopen(p) as f:\n    rows = list(f)\n",
    "from sys import stdin as si\nlines = list(si)\n",
    "import sys\ng = sys.stdin\nh = g\nlines = tuple(h)\n",
    "import io\nf = io.open(p) if p else None\nrows = list(f)\n",
    "def load(fp):\n    head = fp.read(10)\n    return list(fp)\n",
    "from typing import TextIO\ndef load(stream: TextIO):\n    return list(stream)\n",
    "import pathlib\nrows = list(pathlib.Path(p).open())\n",
    '"".join(x)\n[1].count(1)\nstr.join(",", y)\n(a or b).c()\n',
    "from os.path import *\nx = join('a', 'b')\n",
    "import a.b.c\nimport a.b as ab\nfrom . import rel\nv = a.b.c.d(ab.e, rel.f)\n",
]


def _sources() -> list[tuple[str, str]]:
    found = [(path.name, path.read_text(encoding="utf-8")) for path in FIXTURES]
    found += [(path.name, path.read_text(encoding="utf-8")) for path in STDLIB_SAMPLE]
    found += [(f"snippet{index}", code) for index, code in enumerate(SNIPPETS)]
    return [(name, code) for name, code in found if _parses(code)]


def _parses(code: str) -> bool:
    try:
        ast.parse(code)
    except SyntaxError:
        return False
    return True


class _Context:
    def __init__(self, code: str) -> None:
        self.tree = ast.parse(code)
        self.imports = names.Imports.of(self.tree)
        self.memo: dict[str, object] = {}


class _Check(cst.CSTVisitor):
    METADATA_DEPENDENCIES = (QualifiedNameProvider, ScopeProvider)

    def __init__(self, code: str) -> None:
        super().__init__()
        self.context = _Context(code)
        self.names_checked = 0
        self.files_checked = 0

    def on_visit(self, node: cst.CSTNode) -> bool:
        if isinstance(node, (cst.Name, cst.Attribute, cst.Call, cst.Decorator)):
            self._check_names(node)
        if isinstance(node, cst.BaseExpression) and not isinstance(node, cst.Decorator):
            self._check_files(node)
        return True

    def _check_names(self, node: cst.CSTNode) -> None:
        imports = self.context.imports
        for qualified in names.qualified_names(self, node):
            self.names_checked += 1
            assert imports.may_resolve(node, {qualified}), (
                f"may_resolve says no for {cst.Module([]).code_for_node(node)!r} -> {qualified}"
            )

    def _check_files(self, node: cst.BaseExpression) -> None:
        if files.file_object(self, node) is None:
            return
        self.files_checked += 1
        code = cst.Module([]).code_for_node(node)
        assert files.may_be_file(self, node), f"may_be_file says no for a file: {code!r}"


@pytest.mark.parametrize(("name", "code"), _sources(), ids=[name for name, _ in _sources()])
def test_guards_agree_with_the_full_analysis(name: str, code: str) -> None:
    checker = _Check(code)
    MetadataWrapper(cst.parse_module(code), unsafe_skip_copy=True).visit(checker)
    if name.startswith("snippet") and "import *" not in code:
        assert checker.names_checked > 0


def test_guards_do_say_no() -> None:
    code = textwrap.dedent(
        """
        import queue
        items = [1, 2]
        def f(values):
            return list(values), "".join(values), items.count(1)
        """
    )
    tree = ast.parse(code)
    imports = names.Imports.of(tree)
    module = cst.parse_module(code)
    function = module.body[2]
    assert isinstance(function, cst.FunctionDef)
    calls = [n for n in _walk(function) if isinstance(n, cst.Call)]
    assert not imports.may_resolve(calls[0], {"queue.Queue"})  # list(...)
    assert imports.may_resolve(calls[0], {"builtins.list"})
    assert not imports.may_resolve(calls[1], {"builtins.str"})  # "".join: a literal
    assert not imports.may_resolve(calls[2], {"builtins.list"})  # items.count: not imported


def _walk(node: cst.CSTNode) -> list[cst.CSTNode]:
    found = [node]
    for child in node.children:
        found += _walk(child)
    return found


def test_may_be_file_says_no_for_plain_values() -> None:
    code = "def f(values, p):\n    return list(values), list(range(3)), list(open(p))\n"

    class _Visitor:
        def __init__(self) -> None:
            self.context = _Context(code)

    visitor = _Visitor()
    module = cst.parse_module(code)
    calls = [n for n in _walk(module) if isinstance(n, cst.Call) and names.dotted(n) == "list"]
    answers = [files.may_be_file(visitor, call.args[0].value) for call in calls]  # type: ignore[arg-type]
    assert answers == [False, False, True]


@pytest.mark.parametrize("code", SNIPPETS[1:8])
def test_file_snippets_exercise_the_file_guard(code: str) -> None:
    checker = _Check(code)
    MetadataWrapper(cst.parse_module(code), unsafe_skip_copy=True).visit(checker)
    assert checker.files_checked >= 1
