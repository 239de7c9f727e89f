"""memlint.semantic.names: qualified names, import aliases, dotted names."""

from __future__ import annotations

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper

from memlint.semantic import names
from memlint.semantic.names import dotted, import_alias, qualified_names, resolves_to


class _Calls(cst.CSTVisitor):
    """Records what every call, decorator and bare name `target` resolves to."""

    METADATA_DEPENDENCIES = names.PROVIDERS

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[str, frozenset[str]]] = []
        self.decorators: list[tuple[str, frozenset[str]]] = []

    def visit_Call(self, node: cst.Call) -> None:
        self.calls.append((dotted(node), qualified_names(self, node)))

    def visit_Decorator(self, node: cst.Decorator) -> None:
        self.decorators.append((dotted(node.decorator), qualified_names(self, node)))


def _visit(code: str) -> _Calls:
    visitor = _Calls()
    MetadataWrapper(cst.parse_module(code)).visit(visitor)
    return visitor


def _calls(code: str) -> list[tuple[str, frozenset[str]]]:
    return _visit(code).calls


def _last(code: str) -> frozenset[str]:
    return _calls(code)[-1][1]


# -- qualified_names -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("import functools\nfunctools.lru_cache(1)\n", "functools.lru_cache"),
        ("import functools as ft\nft.cache(f)\n", "functools.cache"),
        ("from functools import lru_cache\nlru_cache()\n", "functools.lru_cache"),
        ("from functools import lru_cache as memo\nmemo()\n", "functools.lru_cache"),
        ("import a.b as c\nc.d()\n", "a.b.d"),
        ("import a.b\na.b.c()\n", "a.b.c"),
        ("import asyncio as aio\naio.Queue()\n", "asyncio.Queue"),
        ("from asyncio import Queue as AQ\nAQ()\n", "asyncio.Queue"),
        ("import os.path\nos.path.join(a, b)\n", "os.path.join"),
        # An import inside a function resolves there.
        ("def f():\n    import queue as q\n    q.Queue()\n", "queue.Queue"),
    ],
    ids=[
        "import",
        "import-as",
        "from-import",
        "from-import-as",
        "nested-import-as",
        "nested-import",
        "module-alias",
        "class-alias",
        "os-path",
        "local-import",
    ],
)
def test_qualified_names_of_imports(code: str, expected: str) -> None:
    assert _last(code) == frozenset({expected})


def test_builtins() -> None:
    assert _calls("open('f')\nlen(x)\n") == [
        ("open", frozenset({"builtins.open"})),
        ("len", frozenset({"builtins.len"})),
    ]


@pytest.mark.parametrize(
    "code",
    [
        "def cache(f):\n    return f\ncache(g)\n",
        "def open(p): ...\nopen('f')\n",
        # A parameter shadows the module it is named after.
        "import queue\ndef f(queue):\n    queue.Queue()\n",
        # A local def shadows the module-level import inside its function.
        "from functools import cache\ndef f():\n    def cache(x): return x\n    cache(g)\n",
        "class Queue: ...\nQueue()\n",
        "self.cache(x)\n",
        "get()()\n",
        # Nothing is known about what a star import brings.
        "from queue import *\nQueue()\n",
    ],
    ids=[
        "own-def",
        "own-open",
        "parameter",
        "local-def",
        "own-class",
        "attribute",
        "call-result",
        "star-import",
    ],
)
def test_local_and_unknown_names_are_not_resolved(code: str) -> None:
    assert _last(code) == frozenset()


def test_try_except_import_fallback_keeps_the_imported_name() -> None:
    code = (
        "try:\n"
        "    from functools import cache\n"
        "except ImportError:\n"
        "    def cache(f):\n"
        "        return f\n"
        "cache(g)\n"
    )
    assert _last(code) == frozenset({"functools.cache"})


def test_relative_imports_are_not_the_stdlib() -> None:
    assert resolves_to_last("from . import queue\nqueue.Queue()\n", {"queue.Queue"}) is None
    assert resolves_to_last("from .queue import Queue\nQueue()\n", {"queue.Queue"}) is None


def test_decorators_resolve_to_their_expression() -> None:
    visitor = _visit(
        "import functools\n"
        "from functools import cache\n"
        "@cache\n"
        "@functools.lru_cache(maxsize=None)\n"
        "@staticmethod\n"
        "@local\n"
        "def f(x): ...\n"
    )
    assert visitor.decorators == [
        ("cache", frozenset({"functools.cache"})),
        ("functools.lru_cache", frozenset({"functools.lru_cache"})),
        ("staticmethod", frozenset({"builtins.staticmethod"})),
        ("local", frozenset()),
    ]


def test_a_name_resolved_through_a_name_node_and_an_attribute_node() -> None:
    class Names(cst.CSTVisitor):
        METADATA_DEPENDENCIES = names.PROVIDERS

        def __init__(self) -> None:
            super().__init__()
            self.found: dict[str, frozenset[str]] = {}

        def visit_Attribute(self, node: cst.Attribute) -> None:
            self.found[dotted(node)] = qualified_names(self, node)

        def visit_Name(self, node: cst.Name) -> None:
            # The last occurrence of each name wins.
            self.found[node.value] = qualified_names(self, node)

    visitor = Names()
    MetadataWrapper(cst.parse_module("import queue as q\nx = q.Queue\nq\n")).visit(visitor)
    assert visitor.found["q.Queue"] == frozenset({"queue.Queue"})
    assert visitor.found["q"] == frozenset({"queue"})
    assert visitor.found["x"] == frozenset()


def test_nodes_that_are_not_names_resolve_to_nothing() -> None:
    class Other(cst.CSTVisitor):
        METADATA_DEPENDENCIES = names.PROVIDERS

        def __init__(self) -> None:
            super().__init__()
            self.found: list[frozenset[str]] = []

        def visit_Integer(self, node: cst.Integer) -> None:
            self.found.append(qualified_names(self, node))

        def visit_Subscript(self, node: cst.Subscript) -> None:
            self.found.append(qualified_names(self, node))

    visitor = Other()
    MetadataWrapper(cst.parse_module("import queue\nqueue.X[1]\n")).visit(visitor)
    assert visitor.found == [frozenset(), frozenset()]


# -- resolves_to -----------------------------------------------------------------------------


def resolves_to_last(code: str, candidates: set[str]) -> str | None:
    """What `resolves_to` says of the last call in `code`."""
    found: list[str | None] = []

    class Resolve(cst.CSTVisitor):
        METADATA_DEPENDENCIES = names.PROVIDERS

        def visit_Call(self, node: cst.Call) -> None:
            found.append(resolves_to(self, node, candidates))

    MetadataWrapper(cst.parse_module(code)).visit(Resolve())
    return found[-1]


def test_resolves_to() -> None:
    queues = {"queue.Queue", "asyncio.Queue"}
    assert resolves_to_last("import queue as q\nq.Queue()\n", queues) == "queue.Queue"
    assert resolves_to_last("from asyncio import Queue\nQueue()\n", queues) == "asyncio.Queue"
    assert resolves_to_last("import queue\nqueue.SimpleQueue()\n", queues) is None
    assert resolves_to_last("class Queue: ...\nQueue()\n", queues) is None
    assert resolves_to_last("import queue\nqueue.Queue()\n", set()) is None


# -- import_alias ------------------------------------------------------------------------------


def _alias(code: str, qualified: str = "functools.lru_cache") -> str | None:
    return import_alias(cst.parse_module(code), qualified)


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("from functools import lru_cache as memo\n", "memo"),
        ("from functools import lru_cache\n", "lru_cache"),
        ("from functools import cache, lru_cache\n", "lru_cache"),
        ("from functools import (\n    cache,\n    lru_cache as lc,\n)\n", "lc"),
        ("import functools as ft\n", "ft.lru_cache"),
        ("import functools\n", "functools.lru_cache"),
        ("import os, functools as f\n", "f.lru_cache"),
        ("x = 1; from functools import lru_cache as m\n", "m"),
        # The first import that provides it wins.
        ("import functools\nfrom functools import lru_cache\n", "functools.lru_cache"),
    ],
)
def test_import_alias(code: str, expected: str) -> None:
    assert _alias(code) == expected


@pytest.mark.parametrize(
    "code",
    [
        "",
        "x = 1\n",
        "from functools import cache\n",
        "from functools import *\n",
        "import functoolsx\n",
        "from functools.x import lru_cache\n",
        # Relative imports are someone's own module.
        "from .functools import lru_cache\n",
        "from . import functools\n",
        "from .. import functools as ft\n",
        # Only top-level imports count.
        "def f():\n    from functools import lru_cache\n",
        "try:\n    import functools\nexcept ImportError:\n    pass\n",
    ],
)
def test_import_alias_none(code: str) -> None:
    assert _alias(code) is None


def test_import_alias_of_dotted_modules() -> None:
    assert _alias("import os.path\n", "os.path.join") == "os.path.join"
    assert _alias("import os.path as osp\n", "os.path.join") == "osp.join"
    assert _alias("import os\n", "os.path.join") == "os.path.join"
    assert _alias("from os import path\n", "os.path.join") is None
    assert _alias("from os.path import join as j\n", "os.path.join") == "j"
    assert _alias("from cachetools.func import ttl_cache\n", "cachetools.func.ttl_cache") == (
        "ttl_cache"
    )


# -- dotted -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("a", "a"),
        ("a.b.c", "a.b.c"),
        ("(a).b", "a.b"),
        ("f()", "f"),
        ("f.g(x, y=1)", "f.g"),
        ("functools.lru_cache(maxsize=None)", "functools.lru_cache"),
        # Not a Name/Attribute chain.
        ("1", ""),
        ("'s'", ""),
        ("a[0]", ""),
        ("a[0].b", ""),
        ("a().b", ""),
        ("a.b()()", ""),
        ("(a or b).c", ""),
        ("lambda: 0", ""),
    ],
)
def test_dotted(expression: str, expected: str) -> None:
    assert dotted(cst.parse_expression(expression)) == expected


def test_dotted_of_none_and_decorators() -> None:
    assert dotted(None) == ""
    module = cst.parse_module("@functools.cache\ndef f(): ...\n")
    function = module.body[0]
    assert isinstance(function, cst.FunctionDef)
    assert dotted(function.decorators[0].decorator) == "functools.cache"


# -- Heads: libcst's answer for simple heads, read from CPython's tree ---------------------------


class _Compare(cst.CSTVisitor):
    """Compares `Heads` with QualifiedNameProvider on every name and attribute chain that can
    stand for a value (what rules ask about): not the names inside imports, an attribute's
    own name, or a keyword argument's name."""

    METADATA_DEPENDENCIES = names.PROVIDERS

    def __init__(self, heads: names.Heads) -> None:
        super().__init__()
        self.heads = heads
        self.decided = 0
        self.undecided = 0
        self.wrong: list[tuple[str, frozenset[str], frozenset[str]]] = []
        self._skip: set[int] = set()

    def visit_Import(self, node: cst.Import) -> bool:
        return False

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        return False

    def visit_Arg(self, node: cst.Arg) -> None:
        if node.keyword is not None:
            self._skip.add(id(node.keyword))

    def visit_Attribute(self, node: cst.Attribute) -> None:
        self._skip.add(id(node.attr))
        self._check(node)

    def visit_Name(self, node: cst.Name) -> None:
        if id(node) not in self._skip:
            self._check(node)

    def _check(self, node: cst.Name | cst.Attribute) -> None:
        from libcst.metadata import QualifiedNameProvider

        fast = self.heads.qualified_names(node)
        if fast is None:
            self.undecided += 1
            return
        self.decided += 1
        slow = frozenset(
            q.name
            for q in self.get_metadata(QualifiedNameProvider, node, set())
            if q.source in names._RESOLVED
        )
        if fast != slow:
            self.wrong.append((dotted(node) or "?", fast, slow))


def _compare(code: str) -> tuple[int, int, list[tuple[str, frozenset[str], frozenset[str]]]]:
    """(decided, left to libcst, disagreements) over every value name of `code`."""
    import ast

    visitor = _Compare(names.Heads.of(ast.parse(code)))
    MetadataWrapper(cst.parse_module(code), unsafe_skip_copy=True).visit(visitor)
    return visitor.decided, visitor.undecided, visitor.wrong


HEAD_CASES = [
    pytest.param("import os\nos.path.join('a')\nlen([])\n", id="module-import-and-builtin"),
    pytest.param("import os.path\nos.path.join(os.sep)\nos.getcwd()\n", id="dotted-import"),
    pytest.param("import os.path as osp, json as j\nosp.join(j.dumps(1))\n", id="aliases"),
    pytest.param(
        "from . import sibling\nfrom ..pkg import mod as m\nsibling.x(m.y)\n", id="relative"
    ),
    pytest.param("x = json.loads('1')\nimport json\njson.dumps(x)\n", id="read-before-import"),
    pytest.param(
        "def f():\n    import json\n    return json.loads('1')\njson\n", id="import-in-a-def"
    ),
    pytest.param(
        "try:\n    import json\nexcept ImportError:\n    json = None\njson.loads('1')\n",
        id="import-with-a-fallback",
    ),
    pytest.param(
        "def f(list):\n    return list(1)\ndef g():\n    return list(2)\n", id="shadowed-builtin"
    ),
    pytest.param("class open:\n    pass\nopen('x')\n", id="class-shadows-builtin"),
    pytest.param("from os import *\npath.join('a')\nlen([])\n", id="star-import"),
    pytest.param("def f(self):\n    return self.data.read()\n", id="locals"),
    pytest.param("for i in range(3):\n    print(i)\ndel i\n", id="loop-and-del"),
    pytest.param("import sys\nsys.modules['x'].y\n(lambda q: q)(1)\n", id="subscripts-lambdas"),
    pytest.param("print(__name__, __file__, __doc__)\n", id="module-dunders"),
    pytest.param("def f():\n    global sep\n    sep = 1\nimport os\nsep\n", id="global"),
    pytest.param(
        "match x:\n    case [y, *rest]:\n        y\n    case {'a': z, **kw}:\n        kw\n",
        id="match",
    ),
]


@pytest.mark.parametrize("code", HEAD_CASES)
def test_heads_give_libcst_s_answer_wherever_they_decide(code: str) -> None:
    assert _compare(code)[2] == []


def test_heads_leave_the_tricky_names_to_libcst() -> None:
    import ast

    def answer(code: str, expression: str) -> frozenset[str] | None:
        module = cst.parse_module(code)
        node = cst.parse_expression(expression)
        assert module is not None
        return names.Heads.of(ast.parse(code)).qualified_names(node)

    assert answer("import json\n", "json.loads") == {"json.loads"}
    assert answer("", "open") == {"builtins.open"}
    assert answer("x = 1\n", "nothing_at_all") == frozenset()
    assert answer("def f(data):\n    pass\n", "data.read") == frozenset()  # a local
    assert answer("x = json\nimport json\n", "json.loads") is None  # read before its import
    assert answer("def f():\n    import json\n", "json") is None  # imported in a def
    assert answer("try:\n    import json\nexcept ImportError:\n    json = None\n", "json") is None
    # libcst binds nothing through a star import: `path` is nothing, `open` the builtin.
    assert answer("from os import *\n", "path") == frozenset()
    assert answer("from os import *\n", "open") == {"builtins.open"}
    assert answer("def f(list):\n    pass\n", "list") is None  # a builtin's name, shadowed


def test_heads_agree_with_libcst_over_the_fixtures_and_a_library_sample() -> None:
    import sysconfig
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    files = sorted((root / "fixtures" / "rules").glob("MEM*.py"))
    files += sorted(stdlib.glob("*.py"))[::12] + sorted(stdlib.glob("email/*.py"))[::3]
    decided = undecided = 0
    for path in files:
        text = path.read_text(encoding="utf-8")
        try:
            compile(text, str(path), "exec", dont_inherit=True, flags=0x400)  # ast only
        except SyntaxError:
            continue  # MEM000 fixtures
        done, left, wrong = _compare(text)
        assert wrong == [], path
        decided += done
        undecided += left
    assert decided > 4 * undecided  # most names never need the scope analysis
