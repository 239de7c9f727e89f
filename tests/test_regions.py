"""libcst parses only the regions around the rules' candidates (memlint/regions.py)."""

from __future__ import annotations

import ast
import sysconfig
import textwrap
from pathlib import Path

import libcst as cst
import pytest

from memlint import engine, regions
from memlint.regions import Reach
from memlint.settings import Settings

SOURCE = textwrap.dedent(
    '''\
    import os

    LIMIT = 10


    @decorate(
        LIMIT,
    )
    def first(path=os.sep,
              mode: str = "r") -> None:
        """Doc."""
        return path


    class Holder(Base, metaclass=Meta):
        size = LIMIT

        @property
        def value(self):
            return self.value

        def other(self):
            # a comment
            x = 1
            return x

        class Inner:
            deep = 1


    def one_liner(): return 1


    def binds():
        global LIMIT
        LIMIT = 2


    async def later():
        await first()
    '''
)


def _tree() -> ast.Module:
    return ast.parse(SOURCE)


def _def(tree: ast.Module, name: str) -> ast.stmt:
    return next(
        node
        for node in ast.walk(tree)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
        and node.name == name
    )


def _plan(places: dict[str, tuple[Reach, object]], text: str = SOURCE) -> regions.Plan:
    return regions.plan(text, ast.parse(text), places)  # type: ignore[arg-type]


def test_a_method_keeps_its_class_header_and_statements_and_stubs_the_rest() -> None:
    tree = _tree()
    method = _def(tree, "value")
    plan = regions.plan(SOURCE, tree, {"MEM601": (Reach.FUNCTION, [method])})
    assert plan.text is not None
    kept = plan.text.splitlines()
    original = SOURCE.splitlines()
    assert len(kept) == len(original)  # every line keeps its number
    for number, line in enumerate(kept, start=1):
        # A line is the original's, or blank, or a stub's `pass`.
        assert line in (original[number - 1], "") or line.strip() == "pass", (number, line)
    text = plan.text
    # Decorators and headers stay: they run in the module's scope.
    assert (
        "@decorate(\n    LIMIT,\n)\n"
        'def first(path=os.sep,\n          mode: str = "r") -> None:\n    pass\n' in text
    )
    assert "class Holder(Base, metaclass=Meta):\n    size = LIMIT\n" in text
    assert "    @property\n    def value(self):\n        return self.value\n" in text
    assert "    def other(self):\n        # a comment\n        pass\n\n\n" in text
    assert "    class Inner:\n        pass\n" in text
    assert "def one_liner(): return 1\n" in text  # one line: kept as it is
    assert "    global LIMIT\n    LIMIT = 2\n" in text  # binds a module name: kept
    assert "async def later():\n    pass\n" in text
    ast.parse(text)
    cst.parse_module(text)


def test_spans_cover_the_unit_with_its_decorators() -> None:
    tree = _tree()
    method = _def(tree, "value")
    plan = regions.plan(SOURCE, tree, {"MEM601": (Reach.FUNCTION, [method.body[0]])})
    (span,) = plan.spans["MEM601"] or ()
    lines = SOURCE.splitlines()
    assert lines[span.first - 1].strip() == "@property"
    assert lines[span.last - 1].strip() == "return self.value"
    assert plan.allows("MEM601", span.first) and plan.allows("MEM601", span.last)
    assert not plan.allows("MEM601", span.last + 1)
    assert plan.allows("MEM999", 1)  # a rule with no regions of its own: anywhere


def test_class_reach_keeps_the_whole_class() -> None:
    tree = _tree()
    plan = regions.plan(SOURCE, tree, {"MEM105": (Reach.CLASS, [_def(tree, "value")])})
    assert plan.text is not None
    assert "        x = 1\n        return x\n" in plan.text
    assert "    class Inner:\n        deep = 1\n" in plan.text
    assert "        return path\n" not in plan.text


@pytest.mark.parametrize(
    "places",
    [
        {"MEM203": (Reach.MODULE, [ast.parse("x").body[0]])},
        {"MEM101": (Reach.FUNCTION, True)},
        {"MEM101": (Reach.FUNCTION, [ast.Load()])},  # a node without a line: anywhere
    ],
)
def test_anywhere_parses_the_whole_file(places: dict[str, tuple[Reach, object]]) -> None:
    plan = _plan(places)
    assert plan.text is None
    assert all(spans is None for spans in plan.spans.values())


def test_whole_file_for_one_rule_lifts_every_rule_s_text_but_not_its_spans() -> None:
    tree = _tree()
    method = _def(tree, "other")
    plan = regions.plan(
        SOURCE,
        tree,
        {"MEM203": (Reach.MODULE, True), "MEM402": (Reach.FUNCTION, [method])},
    )
    assert plan.text is None
    assert plan.spans["MEM203"] is None
    assert plan.spans["MEM402"] is None  # the whole text is parsed: no narrowing needed


def test_crlf_is_kept_and_a_lone_cr_is_not_reduced() -> None:
    crlf = SOURCE.replace("\n", "\r\n")
    tree = ast.parse(crlf)
    plan = regions.plan(crlf, tree, {"MEM601": (Reach.FUNCTION, [_def(tree, "value")])})
    assert plan.text is not None
    assert plan.text.count("\r\n") == crlf.count("\r\n")
    assert "\n" not in plan.text.replace("\r\n", "")
    lone = SOURCE.replace("x = 1\n", "x = 1\r", 1)
    tree = ast.parse(lone)
    plan = regions.plan(lone, tree, {"MEM601": (Reach.FUNCTION, [_def(tree, "value")])})
    assert plan.text is None


def test_nothing_to_stub_parses_the_whole_file() -> None:
    text = "import os\nx = os.sep\n"
    tree = ast.parse(text)
    assert regions.plan(text, tree, {"MEM101": (Reach.FUNCTION, [tree.body[1]])}).text is None


def test_a_single_line_class_body_is_kept_whole() -> None:
    text = "class A: x = 1\n\n\ndef f():\n    return 1\n"
    tree = ast.parse(text)
    plan = regions.plan(text, tree, {"MEM101": (Reach.FUNCTION, [tree.body[0].body[0]])})
    assert plan.text == "class A: x = 1\n\n\ndef f():\n    pass\n"


def _stdlib_sample() -> list[Path]:
    root = Path(sysconfig.get_paths()["stdlib"])
    files = sorted(p for p in root.glob("*.py") if p.is_file())
    return files[::25]


@pytest.mark.parametrize("path", _stdlib_sample(), ids=lambda p: p.name)
def test_real_files_reduce_to_code_that_parses_and_keeps_every_kept_line(path: Path) -> None:
    try:
        text = engine.decode(path.read_bytes()).text
        tree = ast.parse(text)
    except (engine.DecodeError, SyntaxError):
        pytest.skip("not valid Python 3.11")  # tokenizer test data and the like
    defs = [
        node for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
    ]
    # Every third def is a candidate: the others around it are stubbed.
    plan = regions.plan(text, tree, {"MEM101": (Reach.FUNCTION, defs[::3] or [tree])})
    if plan.text is None:
        return
    reduced = plan.text.splitlines(keepends=True)
    original = text.splitlines(keepends=True)
    assert len(reduced) == len(original)
    spans = plan.spans["MEM101"] or ()
    for number, line in enumerate(original, start=1):
        if any(number in span for span in spans):
            assert reduced[number - 1] == line
    cst.parse_module(plan.text)
    ast.parse(plan.text)


def test_the_engine_reports_the_same_positions_from_regions() -> None:
    text = textwrap.dedent(
        """\
        def unrelated(a):
            total = 0
            for x in a:
                total += x
            return total


        def lines(path):
            with open(path) as f:
                return f.read().splitlines()


        def more(a):
            return [y for y in a]
        """
    )
    settings = Settings(select=("MEM101",))
    reduced = engine.lint_source(text, "a.py", settings)
    whole = engine.lint_source(text, "a.py", settings, reduce=False)
    assert reduced.diagnostics == whole.diagnostics
    assert [(d.code, d.line, d.column) for d in reduced.diagnostics] == [("MEM101", 10, 16)]


def test_a_rule_reports_only_within_its_own_regions(monkeypatch: pytest.MonkeyPatch) -> None:
    from memlint.rules.mem101_read_splitlines import ReadSplitlines

    text = "def a(path):\n    return open(path).read().splitlines()\n\n\ndef b():\n    pass\n"
    tree = ast.parse(text)
    elsewhere = tree.body[1]
    monkeypatch.setattr(
        ReadSplitlines, "ast_places", classmethod(lambda cls, tree, settings: [tree.body[1]])
    )
    settings = Settings(select=("MEM101",))
    assert engine.lint_source(text, "a.py", settings).diagnostics == ()
    assert elsewhere is not None
    assert len(engine.lint_source(text, "a.py", settings, reduce=False).diagnostics) == 1
