"""memlint.positions: a statement at a time, the very positions libcst computes for the module."""

from __future__ import annotations

import random
import sysconfig
from pathlib import Path

import hypothesmith
import libcst as cst
import pytest
from hypothesis import HealthCheck, given, settings
from libcst.metadata import MetadataWrapper, PositionProvider

from memlint import engine
from memlint.positions import Positions, StatementTracker
from memlint.settings import Settings

SOURCES = {
    "plain": "import os\n\nx = 1\n\n\ndef f(a):\n    return a + x\n",
    "crlf": "import os\r\n\r\nclass C:\r\n    def m(self):\r\n        return 1\r\n",
    "no final newline": "x = 1\ndef f():\n    return [i for i in range(3)]",
    "header and footer comments": "#!/usr/bin/env python\n# header\n\nx = 1\n\n# footer\n",
    "semicolons": "a = 1; b = 2; c = a + b\nprint(c)\n",
    "decorators with comments between": (
        "import functools\n\n# before\n@functools.cache\n# between\n\n@staticmethod\n"
        "# after\ndef f(x):\n    return x\n"
    ),
    "strings over lines": 'x = """one\ntwo\nthree"""\ny = f"""{x}\n"""\nz = x + y\n',
    "continuations": "total = 1 + \\\n    2 + \\\n    3\nitems = [\n    1,\n    2,\n]\n",
    "tabs and nesting": "if True:\n\tfor i in range(3):\n\t\twhile i:\n\t\t\ti -= 1\n",
    "compound one-liners": "if x: y = 1\nfor i in y: pass\nwhile 0: break\n",
    "lone carriage return": "x = 1\ry = 2\rdef f():\r    return x\r",
    "empty": "",
    "only comments": "# one\n# two\n",
}


def _compare(module: cst.Module, order: list[cst.CSTNode] | None = None) -> int:
    """Asks `Positions` for every node libcst places, in `order`; returns how many matched."""
    whole = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    positions = Positions(MetadataWrapper(module, unsafe_skip_copy=True))
    nodes = order if order is not None else list(whole)
    for node in nodes:
        assert positions[node] == whole[node], (type(node).__name__, module.code_for_node(node))
    return len(nodes)


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_every_node_has_libcsts_position(name: str) -> None:
    module = cst.parse_module(SOURCES[name])
    whole = list(MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider))
    # In libcst's order, backwards, and shuffled: no order of questions changes an answer.
    assert _compare(module) == len(whole)
    _compare(module, list(reversed(whole)))
    random.Random(7).shuffle(whole)
    _compare(module, whole)


def test_a_statement_is_rendered_alone_and_only_when_asked() -> None:
    module = cst.parse_module("a = 1\nb = 2\ndef f():\n    return a\n")
    positions = Positions(MetadataWrapper(module, unsafe_skip_copy=True))
    target = module.body[2]
    assert isinstance(target, cst.FunctionDef)
    positions.visiting(target)
    assert positions[target.name].start.line == 3
    assert positions.statement_of(target.name) == 2
    # Only the def was rendered: the statements before it were counted, not rendered.
    assert module.body[0] not in positions._computed
    assert positions._whole is None


def test_a_node_outside_every_statement_gets_the_whole_modules_answer() -> None:
    module = cst.parse_module("# header\nx = 1\n")
    positions = Positions(MetadataWrapper(module, unsafe_skip_copy=True))
    assert positions[module].start.line == 1
    assert positions[module.header[0]].start.line == 1
    assert positions._whole is not None


def test_a_node_of_another_tree_is_no_position() -> None:
    module = cst.parse_module("x = 1\n")
    positions = Positions(MetadataWrapper(module, unsafe_skip_copy=True))
    assert cst.Name("x") not in positions
    with pytest.raises(KeyError):
        positions[cst.Name("x")]


def test_the_tracker_names_the_statement_being_visited() -> None:
    module = cst.parse_module("x = 1\nclass C:\n    y = 2\n")
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    positions = Positions(wrapper)
    seen: list[int | None] = []

    class Probe(cst.BatchableCSTVisitor):
        def visit_Name(self, node: cst.Name) -> None:
            seen.append(positions.current)

    wrapper.visit_batched([StatementTracker(positions), Probe()])
    # x in statement 0; C and y in statement 1 (y's own line does not move it).
    assert seen == [0, 1, 1]


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(source=hypothesmith.from_grammar())
def test_generated_programs(source: str) -> None:
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError:
        return
    _compare(module)


def test_stdlib_sample() -> None:
    root = Path(sysconfig.get_paths()["stdlib"])
    files = sorted(root.glob("*.py"))[::25]
    assert len(files) >= 5
    checked = 0
    for path in files:
        text = engine.decode(path.read_bytes()).text
        checked += _compare(cst.parse_module(text))
    assert checked > 10_000


def test_findings_and_fixes_are_those_of_libcsts_positions() -> None:
    """The engine reports what it reported with libcst's provider: positions and fix edits."""
    source = (
        "import json\n\n"
        "def load(path):\n"
        "    with open(path) as f:\n"
        "        return json.loads(f.read())\n\n"
        "class C:\n"
        "    def lines(self, path):\n"
        "        with open(path) as f:\n"
        "            for line in f.read().splitlines():\n"
        "                print(line)\n"
    )
    found = engine.lint_source(source, "x.py", Settings()).diagnostics
    # `json.loads(` starts at column 16 of line 5; `f.read()` at column 25 of line 10
    # (12 spaces and "for line in "), and `f.read().splitlines()` is 21 characters long.
    assert [(d.code, d.line, d.column, d.end_line, d.end_column) for d in found] == [
        ("MEM102", 5, 16, 5, 36),
        ("MEM101", 10, 25, 10, 46),
    ]
    fix = found[1].fix
    assert fix is not None
    # The edit was placed through the class statement alone, on the call's own line.
    assert [(e.line, e.column, e.end_line) for e in fix.edits] == [(10, 25, 10)]
    fixed = source.splitlines(keepends=True)
    line = fixed[9]
    edit = fix.edits[0]
    fixed[9] = line[: edit.column - 1] + edit.content + line[edit.end_column - 1 :]
    assert fixed[9] == '            for line in (raw.rstrip("\\n") for raw in f):\n'
    assert fixed[:9] == source.splitlines(keepends=True)[:9]
