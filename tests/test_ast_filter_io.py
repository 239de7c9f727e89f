"""The ast pre-filters of MEM101, MEM102 and MEM103, and the tree twins they are built on.

Each rule's `ast_candidate` must be true wherever the rule reports (every Invalid case, the
fixture, and shapes close to the edge that the rule does flag) and false on realistic code
that spells the rule's trigger words without its shape. The twins in `semantic` (CPython's
tree asked what `files.file_object`, `files.whole_read` and `names.qualified_names` can
answer on libcst's tree) are checked node for node against the full analysis.
"""

from __future__ import annotations

import ast
import sysconfig
import textwrap
from pathlib import Path

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, PositionProvider, QualifiedNameProvider, ScopeProvider

from memlint import engine
from memlint.rule import Invalid, Rule
from memlint.rules.mem101_read_splitlines import ReadSplitlines
from memlint.rules.mem102_json_load_whole import JsonLoadWhole
from memlint.rules.mem103_whole_read_consumer import WholeReadConsumer
from memlint.semantic import constants, files, names
from tests.helpers import settings_for

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures" / "rules"
RULES: list[type[Rule]] = [ReadSplitlines, JsonLoadWhole, WholeReadConsumer]
STDLIB = Path(sysconfig.get_paths()["stdlib"])


def _candidate(rule: type[Rule], code: str) -> bool:
    return rule.ast_candidate(ast.parse(textwrap.dedent(code)))


def _reported(rule: type[Rule], code: str) -> bool:
    """Whether the rule itself, with no pre-filter, reports something in `code`."""
    result = engine.lint_source(
        textwrap.dedent(code), "snippet.py", settings_for((rule.code,)), prefilter=False
    )
    return any(d.code == rule.code for d in result.diagnostics)


INVALID = [
    pytest.param(rule, case.code, id=f"{rule.code}-case-{index}")
    for rule in RULES
    for index, case in enumerate(rule.cases)
    if isinstance(case, Invalid)
]


@pytest.mark.parametrize(("rule", "code"), INVALID)
def test_ast_filter_every_invalid_case_is_a_candidate(rule: type[Rule], code: str) -> None:
    assert _candidate(rule, code)


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.code)
def test_ast_filter_the_fixture_is_a_candidate(rule: type[Rule]) -> None:
    assert rule.has_ast_filter()
    assert _candidate(rule, (FIXTURES / f"{rule.code}.py").read_text(encoding="utf-8"))


# Realistic code with the rule's trigger words but none of its shapes.
NOT_CANDIDATES = [
    # -- MEM101 ------------------------------------------------------------------------------
    pytest.param(
        ReadSplitlines,
        """
        def head(path):
            with open(path) as f:
                first = f.readline()
                chunk = f.read(4096).splitlines()
                for line in f:
                    print(line.split())
            return first, chunk
        """,
        id="MEM101-chunk-and-iteration",
    ),
    pytest.param(
        ReadSplitlines,
        """
        def parse(text, values, path):
            with open(path) as f:
                header = next(f)
            rows = [row.split(",") for row in text.splitlines()]
            return header, rows, list(values), tuple(sorted(values))
        """,
        id="MEM101-parameter-split-and-list",
    ),
    pytest.param(
        ReadSplitlines,
        """
        import sys
        def prompt(stream):
            answer = sys.stdin.readline()
            return answer, stream.readlines(65536), self.stream.readlines()
        """,
        id="MEM101-readline-hint-attribute",
    ),
    pytest.param(
        ReadSplitlines,
        """
        with open(path) as f:
            fields = f.read().split(",")
            words = f.read().split()
            head, rest = f.read().split("\\n", 1)
            more = f.read().split(sep="\\n", maxsplit=2)
        """,
        id="MEM101-splits-not-into-lines",
    ),
    pytest.param(
        ReadSplitlines,
        """
        import io
        def names(path, items):
            with open(path) as f:
                data = [line for line in f]
            return list(items), list(map(str, data)), tuple(x for x in io.StringIO("a"))
        """,
        id="MEM101-lists-of-non-files",
    ),
    pytest.param(
        ReadSplitlines,
        """
        from pathlib import Path
        def touch(p: Path) -> None:
            p.write_text("")
            print(p.read_text)
        """,
        id="MEM101-read-text-not-called",
    ),
    # -- MEM102 ------------------------------------------------------------------------------
    pytest.param(
        JsonLoadWhole,
        """
        import json
        import pickle
        import yaml
        def save(obj, f):
            json.dump(obj, f)
            blob = pickle.dumps(obj)
            yaml.safe_dump(obj, f)
            return json.dumps(obj), blob
        """,
        id="MEM102-dumps",
    ),
    pytest.param(
        JsonLoadWhole,
        """
        import json
        import yaml
        def parse(payload: str, text):
            return json.loads(payload), yaml.safe_load(text)
        """,
        id="MEM102-strings",
    ),
    pytest.param(
        JsonLoadWhole,
        """
        import json
        with open("events.ndjson") as f:
            for line in f:
                handle(json.loads(line))
            head = json.loads(f.read(4096))
        """,
        id="MEM102-lines-and-chunks",
    ),
    pytest.param(
        JsonLoadWhole,
        """
        import json
        class Cache:
            def warm(self, f):
                decoder = json.JSONDecoder()
                return self.json.load(f), self.pickle.load(f), decoder.decode(f.read())
        """,
        id="MEM102-methods",
    ),
    pytest.param(
        JsonLoadWhole,
        """
        # Reads settings.json with tomllib (the json word is only here).
        import tomllib
        with open("settings.toml", "rb") as f:
            config = tomllib.load(f)
        """,
        id="MEM102-tomllib",
    ),
    pytest.param(
        JsonLoadWhole,
        """
        import json
        def load(loader, path):
            return loader.load(path), json.loads(*args), json.load()
        """,
        id="MEM102-no-data-argument",
    ),
    # -- MEM103 ------------------------------------------------------------------------------
    pytest.param(
        WholeReadConsumer,
        """
        import hashlib
        def checksum(path, data):
            h = hashlib.sha256()
            with open(path, "rb") as f:
                while chunk := f.read(65536):
                    h.update(chunk)
            return h.hexdigest(), hashlib.md5(data).hexdigest(), len(f.read(10))
        """,
        id="MEM103-chunks-and-parameters",
    ),
    pytest.param(
        WholeReadConsumer,
        """
        import hashlib
        from urllib.request import urlopen
        import io
        size = len(io.BytesIO(blob).read())
        sig = hashlib.md5(urlopen(url).read()).hexdigest()
        """,
        id="MEM103-not-files",
    ),
    pytest.param(
        WholeReadConsumer,
        """
        def load(path, store):
            with open(path) as f:
                text = f.read()
            store.put(text)
            print(text.upper(), len(path), path.count("/"))
            return text
        """,
        id="MEM103-read-kept-not-consumed",
    ),
    pytest.param(
        WholeReadConsumer,
        """
        import re
        def scan(f, pattern):
            return pattern.findall(f.read()), f.read().split(",", 1), re.sub("a", "b", f.read())
        """,
        id="MEM103-unknown-pattern-bounded-split-sub",
    ),
    pytest.param(
        WholeReadConsumer,
        """
        class Tally:
            def update(self, data): ...
        def lines(path):
            # read every line: MEM101's business
            with open(path) as f:
                return f.readlines(), len(f.readlines())
        """,
        id="MEM103-readlines-is-mem101s",
    ),
    pytest.param(
        WholeReadConsumer,
        """
        import hashlib
        def read_header(sock):
            # read the header
            data = sock.recv(1024)
            return hashlib.sha1(data).digest(), len(data), data.split()
        """,
        id="MEM103-read-word-without-a-read",
    ),
]


@pytest.mark.parametrize(("rule", "code"), NOT_CANDIDATES)
def test_ast_filter_code_without_the_shape_is_no_candidate(rule: type[Rule], code: str) -> None:
    assert engine.candidate_rules(textwrap.dedent(code), [rule]) == [rule]  # text passes
    assert not _reported(rule, code)
    assert not _candidate(rule, code)


# Shapes close to the edge that the rule does flag.
TRICKY = [
    # -- MEM101 ------------------------------------------------------------------------------
    pytest.param(ReadSplitlines, "from sys import stdin as si\nlines = list(si)\n", id="101-si"),
    pytest.param(
        ReadSplitlines,
        "from builtins import tuple as T\nrows = T(open(p))\n",
        id="101-tuple-alias",
    ),
    pytest.param(
        ReadSplitlines,
        "import builtins\nrows = builtins.list(open(p))\n",
        id="101-builtins-list",
    ),
    pytest.param(
        ReadSplitlines,
        "import sys\ng = sys.stdin\nh = g\nlines = tuple(h)\n",
        id="101-stdin-through-names",
    ),
    pytest.param(
        ReadSplitlines,
        "import io\nf = io.open(p) if p else None\nrows = list(f)\n",
        id="101-ifexp-open",
    ),
    pytest.param(
        ReadSplitlines,
        "from gzip import open as gopen\nwith gopen(p) as f:\n    rows = list(f)\n",
        id="101-gzip-alias",
    ),
    pytest.param(
        ReadSplitlines,
        "def load(fp):\n    head = fp.read(10)\n    return list(fp)\n",
        id="101-used-as-file",
    ),
    pytest.param(
        ReadSplitlines,
        "from typing import IO\ndef load(stream: IO[str]):\n    return list(stream)\n",
        id="101-annotated",
    ),
    pytest.param(
        ReadSplitlines,
        """
        def load(path):
            with open(path) as f:
                raw = f.read()
            text = raw
            return text.split("\\r\\n")
        """,
        id="101-through-two-names",
    ),
    pytest.param(
        ReadSplitlines,
        """
        def load(path):
            with open(path) as f:
                text: str = f.read(-1)
            return text.split(sep="\\n", maxsplit=-1)
        """,
        id="101-annotated-name-negative-size",
    ),
    pytest.param(
        ReadSplitlines,
        "with open(p) as f:\n    a = f.read(None).splitlines(True)\n    b = f.readlines(-1)\n",
        id="101-none-size-negative-hint",
    ),
    pytest.param(
        ReadSplitlines,
        "with open(p) as f:\n    b = f.readlines(hint=0)\n",
        id="101-hint-keyword",
    ),
    pytest.param(
        ReadSplitlines,
        "import pathlib\nparts = pathlib.Path(p).read_bytes().split(b'\\r\\n')\n",
        id="101-read-bytes",
    ),
    pytest.param(
        ReadSplitlines,
        "from pathlib import Path\nnames = Path.read_text(p).splitlines()\n",
        id="101-unbound-read-text",
    ),
    # -- MEM102 ------------------------------------------------------------------------------
    pytest.param(JsonLoadWhole, "from json import load\ndata = load(f)\n", id="102-load-imported"),
    pytest.param(
        JsonLoadWhole,
        "import json\nwith open(p) as f:\n    data = json.loads(s=f.read())\n",
        id="102-keyword",
    ),
    pytest.param(
        JsonLoadWhole,
        "import pickle\ndef restore(f):\n    return pickle.load(file=f)\n",
        id="102-pickle-keyword",
    ),
    pytest.param(
        JsonLoadWhole,
        """
        import json
        def read(path):
            with open(path, "rb") as f:
                raw = f.read()
            return json.loads(raw.decode("utf-8").strip())
        """,
        id="102-peeled-name",
    ),
    pytest.param(
        JsonLoadWhole,
        "import json\nwith open(p) as f:\n    rows = json.loads(f.readlines())\n",
        id="102-readlines",
    ),
    pytest.param(
        JsonLoadWhole,
        "from yaml import safe_load as sl\nwith open(p) as f:\n    doc = sl(f)\n",
        id="102-yaml-alias-file",
    ),
    pytest.param(
        JsonLoadWhole,
        "import yaml\ndef load(fh):\n    fh.seek(0)\n    return yaml.load(fh.read(), Loader=L)\n",
        id="102-yaml-read",
    ),
    pytest.param(
        JsonLoadWhole,
        "import ujson as json\nimport sys\ndata = json.decode(sys.stdin.read())\n",
        id="102-ujson-decode",
    ),
    # -- MEM103 ------------------------------------------------------------------------------
    pytest.param(
        WholeReadConsumer,
        "import hashlib\nwith open(p, 'rb') as f:\n    d = hashlib.sha256(string=f.read())\n",
        id="103-keyword",
    ),
    pytest.param(
        WholeReadConsumer,
        "with open(p, 'rb') as f:\n    n = len(f.read().decode().strip())\n",
        id="103-peeled-len",
    ),
    pytest.param(
        WholeReadConsumer,
        "import sys\nwords = sys.stdin.read().split(maxsplit=-1)\n"
        "n = sys.stdin.read().count('x')\n",
        id="103-split-count",
    ),
    pytest.param(
        WholeReadConsumer,
        """
        import hashlib
        def digest(path):
            h = hashlib.sha256()
            with open(path, "rb") as f:
                data = f.read()
            if not data:
                return None
            h.update(data)
            return h.hexdigest()
        """,
        id="103-update-through-name",
    ),
    pytest.param(
        WholeReadConsumer,
        "import hashlib\nwith open(p, 'rb') as f:\n    d = hashlib.sha256().update(f.read())\n",
        id="103-update-on-call",
    ),
    pytest.param(
        WholeReadConsumer,
        """
        import re
        from pathlib import Path
        WORD = re.compile(r"\\w+")
        def words(p: Path):
            return WORD.finditer(string=p.read_text())
        """,
        id="103-pattern-keyword",
    ),
    pytest.param(
        WholeReadConsumer,
        "from base64 import b64encode as enc\nwith open(p, 'rb') as f:\n    e = enc(f.read())\n",
        id="103-alias",
    ),
    pytest.param(
        WholeReadConsumer,
        "with open(p) as f:\n    parts = f.read().split('\\n' '')\n",
        id="103-concatenated-line-break",
    ),
]


@pytest.mark.parametrize(("rule", "code"), TRICKY)
def test_ast_filter_close_shapes_the_rule_flags_are_candidates(rule: type[Rule], code: str) -> None:
    assert _reported(rule, code)
    assert _candidate(rule, code)


# -- the twins, node for node against the full analysis -----------------------------------------

STDLIB_SAMPLE = [
    STDLIB / name
    for name in ("fileinput.py", "tokenize.py", "pickle.py", "zipfile.py", "mailbox.py")
]
SNIPPETS = [
    "import sys\nfrom sys import stdin as si\nx = (si, sys.stdin.buffer, sys.__stdin__)\n",
    "f = open(p)\ng = f\nh = g\nk: int = h\ns = k.read()\nt = s\n",
    "from io import open as o, TextIOWrapper as W\nx = o(p).read(-1)\ny = W(raw).readlines(0)\n",
    "import pathlib as pl\nt = pl.Path(p).read_text(encoding='utf-8')\nu = t.split()\n",
    "def f(a: 'IO[str]', b: int, *c, **d):\n    return a.read(), b, c, d\n",
    "with open(p) as (a), open(q) as b, x.open() as c:\n"
    "    d = [a.read(), b.read(None), c.read()]\n",
    "None.x()\nTrue.y\n(1).real\n''.join([])\n[].count(1)\n...\n",
]


def _sources() -> list[tuple[str, str]]:
    found = [
        (path.name, path.read_text(encoding="utf-8")) for path in sorted(FIXTURES.glob("*.py"))
    ]
    found += [(path.name, path.read_text(encoding="utf-8")) for path in STDLIB_SAMPLE]
    found += [(f"snippet{index}", code) for index, code in enumerate(SNIPPETS)]
    return [(name, code) for name, code in found if code.isascii() and _parses(code)]


def _parses(code: str) -> bool:
    try:
        ast.parse(code)
    except SyntaxError:
        return False
    return True


class _Context:
    def __init__(self, tree: ast.Module) -> None:
        self.tree = tree
        self.imports = names.Imports.of(tree)
        self.memo: dict[str, object] = {}


class _Twins(cst.CSTVisitor):
    """Asks the full analysis about every expression, and the twin about the same one."""

    METADATA_DEPENDENCIES = (PositionProvider, QualifiedNameProvider, ScopeProvider)

    def __init__(self, code: str) -> None:
        super().__init__()
        tree = ast.parse(code)
        self.context = _Context(tree)
        self.tree = tree
        self.imports = self.context.imports
        # Expressions of CPython's tree by their span (ASCII sources: columns agree).
        self.spans: dict[tuple[int, int, int, int], list[ast.expr]] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.expr) and node.end_lineno is not None:
                span = (node.lineno, node.col_offset, node.end_lineno, node.end_col_offset or 0)
                self.spans.setdefault(span, []).append(node)
        self.checked = {"file": 0, "read": 0, "name": 0}

    def _twin(self, node: cst.BaseExpression) -> ast.expr | None:
        if getattr(node, "lpar", ()):
            return None  # libcst's span holds the parentheses, CPython's does not
        where = self.get_metadata(PositionProvider, node)
        span = (where.start.line, where.start.column, where.end.line, where.end.column)
        same = [n for n in self.spans.get(span, ()) if _same_kind(node, n)]
        return same[0] if len(same) == 1 else None

    def on_visit(self, node: cst.CSTNode) -> bool:
        if not isinstance(node, cst.BaseExpression):
            return True
        twin = self._twin(node)
        if twin is None:
            return True
        code = cst.Module([]).code_for_node(node)
        if files.file_object(self, node) is not None:
            self.checked["file"] += 1
            assert files.tree_may_be_file(self.tree, twin), f"a file: {code!r}"
        read = files.whole_read(self, node)
        if read is not None:
            self.checked["read"] += 1
            assert files.tree_may_be_whole_read(self.tree, twin, readlines=True), code
            if read.method != "readlines":
                assert files.tree_may_be_whole_read(self.tree, twin, readlines=False), code
        if isinstance(node, (cst.Name, cst.Attribute, cst.Call)):
            for qualified in names.qualified_names(self, node):
                self.checked["name"] += 1
                assert self.imports.may_refer(twin, {qualified}), f"{code!r} {qualified}"
                heads = self.imports.heads({qualified})
                head = names.tree_head(twin)
                assert heads is None or head is None or head in heads, f"{code!r} {qualified}"
        return True


def _same_kind(node: cst.BaseExpression, twin: ast.expr) -> bool:
    kinds: dict[type[cst.CSTNode], type[ast.expr]] = {
        cst.Name: ast.Name,
        cst.Attribute: ast.Attribute,
        cst.Call: ast.Call,
        cst.Subscript: ast.Subscript,
        cst.IfExp: ast.IfExp,
    }
    kind = kinds.get(type(node))
    return kind is not None and isinstance(twin, kind)


@pytest.mark.parametrize(("name", "code"), _sources(), ids=[name for name, _ in _sources()])
def test_ast_filter_twins_agree_with_the_full_analysis(name: str, code: str) -> None:
    checker = _Twins(code)
    MetadataWrapper(cst.parse_module(code), unsafe_skip_copy=True).visit(checker)
    if name.startswith("snippet"):
        assert sum(checker.checked.values()) > 0


@pytest.mark.parametrize(
    "code",
    [
        "1",
        "-1",
        "+-2",
        "~0",
        "-1.5",
        "True",
        "-True",
        "n",
        "-n",
        "1 + 2",
        "2 ** -1",
        "'1'",
        "1j",
        "~1.0",
    ],
)
def test_ast_filter_fold_twin_is_never_surer_than_fold(code: str) -> None:
    folded = constants.fold(cst.parse_expression(code))
    tree = ast.parse(code, mode="eval").body
    for wanted in (lambda v: v < 0, lambda v: v <= 0, lambda v: v >= 0):
        if folded is not None and wanted(folded):
            assert constants.tree_may_fold_to(tree, wanted), code
    # Exact where it works a number out.
    if folded is not None and not isinstance(tree, ast.BinOp):
        assert constants.tree_may_fold_to(tree, lambda v: v == folded)


def test_ast_filter_heads_narrow_to_imports_and_builtins() -> None:
    imports = names.Imports.of(ast.parse("import json as j\nfrom pathlib import Path\nimport os\n"))
    heads = imports.heads({"json.load", "builtins.list"})
    assert heads is not None
    assert {"j", "json", "list", "builtins"} <= heads
    assert not heads & {"os", "Path", "load", "self"}
    assert names.Imports.of(ast.parse("from json import *\n")).heads({"json.load"}) is None
