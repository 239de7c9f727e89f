"""MEM601's ast-level pre-filter: true wherever the rule can fire, false on plain code."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

from memlint.rule import Invalid
from memlint.rules.mem601_unbounded_recursion import UnboundedRecursion

ROOT = Path(__file__).resolve().parent.parent
INVALID = [
    pytest.param(case.code, id=f"case-{index}")
    for index, case in enumerate(UnboundedRecursion.cases)
    if isinstance(case, Invalid)
]


def _candidate(code: str) -> bool:
    return UnboundedRecursion.ast_candidate(ast.parse(textwrap.dedent(code)))


@pytest.mark.parametrize("code", INVALID)
def test_every_invalid_case_is_a_candidate(code: str) -> None:
    assert _candidate(code)


def test_the_fixture_is_a_candidate() -> None:
    assert _candidate((ROOT / "fixtures" / "rules" / "MEM601.py").read_text())


@pytest.mark.parametrize(
    "code",
    [
        pytest.param("", id="empty"),
        pytest.param("import os\nprint(os.getcwd())\n", id="no-defs"),
        # Calls of other functions, and a call of `f` outside `f`.
        pytest.param(
            """
            def f(x):
                return g(x) + h.f2(x)
            def g(x):
                return x
            f(1)
            """,
            id="calls-elsewhere",
        ),
        # A method that uses other attributes of `self`.
        pytest.param(
            """
            class Box:
                @property
                def size(self):
                    return self._size
                def grow(self, n):
                    self._size += n
            """,
            id="methods",
        ),
        # The nested def's own name is what counts inside it, not the outer one's.
        pytest.param(
            """
            def outer():
                def inner():
                    return 1
                return inner()
            """,
            id="nested",
        ),
    ],
)
def test_files_without_recursion_are_not_candidates(code: str) -> None:
    assert not _candidate(code)


def test_a_decorator_naming_the_def_is_not_a_self_reference() -> None:
    # `@f.register` runs outside `f`'s body.
    code = """
    def f(x):
        return x
    @f.register
    def g(x):
        return x
    """
    assert not _candidate(code)


@pytest.mark.parametrize(
    "code",
    [
        # Delegation to another object's method of the same name: not a self-call.
        "class F:\n    def close(self):\n        self._sock.close()\n        other.close()\n",
        # A self-call in one branch only: a base case exists.
        "def f(n):\n    if n:\n        return f(n - 1)\n    return 0\n",
        "def f(n):\n    return f(n - 1) if n else 0\n",
        "def f(n):\n    return n and f(n - 1)\n",
        # In a `for` body, a lambda, a comprehension's element: may run zero times.
        "def walk(node):\n    for child in node:\n        walk(child)\n",
        "def f(xs):\n    return [f(x) for x in xs]\n",
        "def f():\n    return lambda: f()\n",
        "def f(x):\n    while x:\n        f(x)\n",
    ],
)
def test_recursion_that_cannot_be_sure_is_not_a_candidate(code: str) -> None:
    assert not UnboundedRecursion.ast_candidate(ast.parse(code))


@pytest.mark.parametrize(
    "code",
    [
        "def f(n):\n    if n:\n        return f(n - 1)\n    else:\n        return f(n + 1)\n",
        "def f(x):\n    while True:\n        f(x)\n",
        "def f(xs):\n    return [x for x in f(xs)]\n",
        "class C:\n    @property\n    def name(self):\n        return self.name\n",
        "class C:\n    def m(self):\n        return C.m(self)\n",
    ],
)
def test_sure_recursion_is_a_candidate(code: str) -> None:
    assert UnboundedRecursion.ast_candidate(ast.parse(code))


# -- regions: libcst parses only the defs that refer to themselves ------------------------------

_SHADOWED = textwrap.dedent(
    """\
    class Tree:
        def depth(self):
            return 1 + self.depth()


    def patch(tree):
        # Far from the method, in a def libcst does not parse: still a shadowing.
        tree.depth = lambda: 0
    """
)


def test_an_attribute_assigned_in_a_stubbed_def_still_shadows_a_method() -> None:
    from memlint import engine
    from tests.helpers import settings_for

    settings = settings_for(("MEM601",))
    tree = ast.parse(_SHADOWED)
    places = UnboundedRecursion.ast_places(tree, settings)
    assert [node.lineno for node in places] == [2]  # `patch` is no place: it is stubbed
    reduced = engine.lint_source(_SHADOWED, "a.py", settings)
    whole = engine.lint_source(_SHADOWED, "a.py", settings, reduce=False)
    assert reduced.diagnostics == whole.diagnostics == ()
    unshadowed = _SHADOWED.replace("tree.depth = lambda: 0", "print(tree)")
    found = engine.lint_source(unshadowed, "a.py", settings).diagnostics
    assert [(d.code, d.line) for d in found] == [("MEM601", 2)]
