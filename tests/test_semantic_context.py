"""memlint.semantic.context: loop, handler and function context; endless loops; loop exits."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Union

import hypothesmith
import libcst as cst
import pytest
from hypothesis import HealthCheck, assume, given, settings
from libcst.metadata import MetadataWrapper

import memlint.semantic.context as context_module
from memlint.semantic.context import (
    PROVIDERS,
    Context,
    ContextProvider,
    Loop,
    context_of,
    exits,
    is_endless,
    loop_of,
    truthiness,
)

LoopNode = Union[cst.For, cst.While, cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp]
_CODE = cst.Module([])

# A context as readable data: (function, class, loops, handler).
Described = tuple[Union[str, None], Union[str, None], tuple[str, ...], Union[str, None]]
MODULE: Described = (None, None, (), None)


def _code(node: cst.CSTNode) -> str:
    return _CODE.code_for_node(node).strip()


def _describe_loop(loop: Loop) -> str:
    node = loop.node
    prefix = "async " if loop.is_async else ""
    if isinstance(node, cst.For):
        return f"{prefix}for {_code(node.target)}"
    if isinstance(node, cst.While):
        return f"while {_code(node.test)}"
    return f"{prefix}comp {_code(node.for_in.target)}"


def describe(ctx: Context) -> Described:
    function = ctx.function
    name = None if function is None else getattr(function, "name", cst.Name("lambda")).value
    handler = None
    if ctx.handler is not None:
        handler = "except " + (_code(ctx.handler.type) if ctx.handler.type else "")
    return (
        name,
        ctx.class_.name.value if ctx.class_ is not None else None,
        tuple(_describe_loop(loop) for loop in ctx.loops),
        handler,
    )


class _Recorder(cst.BatchableCSTVisitor):
    """Records the context of every `probe_N()` call, and every loop it meets."""

    METADATA_DEPENDENCIES = PROVIDERS

    def __init__(self) -> None:
        super().__init__()
        self.probes: dict[str, Context] = {}
        self.loops: list[Loop] = []
        # Asked while the metadata is alive, as a rule would: (is_endless, exits) per loop.
        self.answers: list[tuple[bool, bool]] = []
        self.nodes: dict[str, cst.CSTNode] = {}

    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Name) and node.func.value.startswith("probe_"):
            self.probes[node.func.value] = context_of(self, node)
            self.nodes[node.func.value] = node

    def _loop(self, node: LoopNode) -> None:
        loop = loop_of(self, node)
        self.loops.append(loop)
        answer = (is_endless(self, loop), exits(self, loop))
        # Asked again, the cached answers are the same.
        assert (is_endless(self, loop), exits(self, loop)) == answer
        self.answers.append(answer)

    # Batched visitors find their methods by name, so each is spelt out.
    def visit_For(self, node: cst.For) -> None:
        self._loop(node)

    def visit_While(self, node: cst.While) -> None:
        self._loop(node)

    def visit_ListComp(self, node: cst.ListComp) -> None:
        self._loop(node)

    def visit_SetComp(self, node: cst.SetComp) -> None:
        self._loop(node)

    def visit_DictComp(self, node: cst.DictComp) -> None:
        self._loop(node)

    def visit_GeneratorExp(self, node: cst.GeneratorExp) -> None:
        self._loop(node)


def record(code: str) -> _Recorder:
    recorder = _Recorder()
    module = cst.parse_module(textwrap.dedent(code))
    # As the engine runs rules: no copy, one batched traversal.
    MetadataWrapper(module, unsafe_skip_copy=True).visit_batched([recorder])
    return recorder


def probes(code: str) -> dict[str, Described]:
    return {name: describe(ctx) for name, ctx in record(code).probes.items()}


def resolve(code: str) -> tuple[cst.Module, dict[cst.CSTNode, Context]]:
    module = cst.parse_module(textwrap.dedent(code))
    found = MetadataWrapper(module, unsafe_skip_copy=True).resolve(ContextProvider)
    return module, dict(found)


class _AllNodes(cst.CSTVisitor):
    def __init__(self) -> None:
        super().__init__()
        self.nodes: list[cst.CSTNode] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        self.nodes.append(node)
        return True


def assert_every_node_has_a_context(module: cst.Module, found: dict[cst.CSTNode, Context]) -> None:
    collector = _AllNodes()
    module.visit(collector)
    assert len(found) == len(collector.nodes)
    assert all(isinstance(found.get(node), Context) for node in collector.nodes)


# -- where a node is ---------------------------------------------------------------------------


def test_module_level() -> None:
    assert probes("probe_1()\nif x:\n    probe_2()\n") == {"probe_1": MODULE, "probe_2": MODULE}


def test_for_iter_is_outside_the_loop_and_else_too() -> None:
    found = probes(
        """
        for a[probe_1()] in probe_2():
            probe_3()
        else:
            probe_4()
        """
    )
    assert found == {
        "probe_1": (None, None, ("for a[probe_1()]",), None),
        "probe_2": MODULE,
        "probe_3": (None, None, ("for a[probe_1()]",), None),
        "probe_4": MODULE,
    }


def test_while_test_is_inside_the_loop_and_else_is_not() -> None:
    found = probes(
        """
        while probe_1():
            probe_2()
        else:
            probe_3()
        """
    )
    assert found == {
        "probe_1": (None, None, ("while probe_1()",), None),
        "probe_2": (None, None, ("while probe_1()",), None),
        "probe_3": MODULE,
    }


def test_nested_loops_outermost_first() -> None:
    found = probes(
        """
        def f():
            for a in A:
                while b:
                    for c in probe_1():
                        probe_2()
                    probe_3()
        """
    )
    assert found == {
        "probe_1": ("f", None, ("for a", "while b"), None),
        "probe_2": ("f", None, ("for a", "while b", "for c"), None),
        "probe_3": ("f", None, ("for a", "while b"), None),
    }


def test_innermost_loop() -> None:
    ctx = record("for a in A:\n    while b:\n        probe_1()\n").probes["probe_1"]
    assert ctx.loop is ctx.loops[-1]
    assert ctx.loop is not None and isinstance(ctx.loop.node, cst.While)
    assert record("probe_1()\n").probes["probe_1"].loop is None


def test_a_def_inside_a_loop_starts_without_loops() -> None:
    found = probes(
        """
        for a in A:
            def f():
                probe_1()
                for b in B:
                    probe_2()
            probe_3()
        """
    )
    assert found == {
        "probe_1": ("f", None, (), None),
        "probe_2": ("f", None, ("for b",), None),
        "probe_3": (None, None, ("for a",), None),
    }


def test_comprehension_first_iter_is_outside_later_iters_inside() -> None:
    found = probes(
        """
        def f():
            return [
                probe_1(x, y)
                for x in probe_2()
                if probe_3()
                for y in probe_4(x)
                if probe_5()
            ]
        """
    )
    inside = ("f", None, ("comp x",), None)
    assert found == {
        "probe_1": inside,
        "probe_2": ("f", None, (), None),
        "probe_3": inside,
        "probe_4": inside,
        "probe_5": inside,
    }


@pytest.mark.parametrize(
    "code",
    [
        "{probe_1(x) for x in probe_2()}",
        "(probe_1(x) for x in probe_2())",
        "{probe_1(x): 0 for x in probe_2()}",
        "{0: probe_1(x) for x in probe_2()}",
    ],
    ids=["set", "generator", "dict-key", "dict-value"],
)
def test_every_comprehension_is_a_loop(code: str) -> None:
    assert probes(code + "\n") == {"probe_1": (None, None, ("comp x",), None), "probe_2": MODULE}


def test_nested_comprehensions() -> None:
    found = probes("[[probe_1() for y in probe_2()] for x in probe_3()]\n")
    assert found == {
        "probe_1": (None, None, ("comp x", "comp y"), None),
        "probe_2": (None, None, ("comp x",), None),
        "probe_3": MODULE,
    }


def test_comprehension_parts_nodes() -> None:
    module, found = resolve("[x for x in xs if x]\n")
    statement = module.body[0]
    assert isinstance(statement, cst.SimpleStatementLine)
    expression = statement.body[0]
    assert isinstance(expression, cst.Expr) and isinstance(expression.value, cst.ListComp)
    comp = expression.value
    loop = found[comp.elt].loop
    assert loop is not None and loop.node is comp and loop.kind == "comprehension"
    assert found[comp].loops == ()
    assert found[comp.for_in].loops == ()  # the clause holding the once-evaluated iterable
    assert found[comp.for_in.iter].loops == ()
    assert found[comp.for_in.target].loop is loop
    assert found[comp.for_in.ifs[0]].loop is loop


def test_lambda_is_a_function_and_its_defaults_are_outside() -> None:
    found = probes(
        """
        for x in xs:
            callback = lambda a=probe_1(): probe_2(a)
        """
    )
    assert found == {
        "probe_1": (None, None, ("for x",), None),
        "probe_2": ("lambda", None, (), None),
    }


def test_comprehension_is_not_a_function() -> None:
    assert probes("def f():\n    [probe_1() for x in xs]\n")["probe_1"] == (
        "f",
        None,
        ("comp x",),
        None,
    )


def test_class_in_function_starts_class_level() -> None:
    found = probes(
        """
        def f():
            for x in xs:
                class C(probe_1()):
                    probe_2()
                    for y in ys:
                        probe_3()
                    def m(self):
                        probe_4()
                        def inner():
                            probe_5()
                    handler = lambda self: probe_6()
        """
    )
    assert found == {
        "probe_1": ("f", None, ("for x",), None),
        "probe_2": (None, "C", (), None),
        "probe_3": (None, "C", ("for y",), None),
        "probe_4": ("m", "C", (), None),
        "probe_5": ("inner", None, (), None),
        "probe_6": ("lambda", "C", (), None),
    }


def test_method_context() -> None:
    recorder = record("class C:\n    def m(self):\n        probe_1()\n")
    ctx = recorder.probes["probe_1"]
    assert isinstance(ctx.function, cst.FunctionDef) and ctx.function.name.value == "m"
    assert ctx.class_ is not None and ctx.class_.name.value == "C"


def test_decorators_defaults_and_annotations_are_evaluated_outside() -> None:
    code = """
        for x in xs:
            @probe_1()
            def f(
                a: probe_2() = probe_3(),
                /,
                b=probe_7(),
                *args: probe_6(),
                c: probe_9() = probe_10(),
                **kw: probe_8(),
            ) -> probe_4():
                probe_5()
        """
    found = probes(code)
    outside = (None, None, ("for x",), None)
    assert found == {
        "probe_1": outside,
        "probe_2": outside,
        "probe_3": outside,
        "probe_4": outside,
        "probe_5": ("f", None, (), None),
        "probe_6": outside,
        "probe_7": outside,
        "probe_8": outside,
        "probe_9": outside,
        "probe_10": outside,
    }
    module, contexts = resolve(code)
    loop = module.body[0]
    assert isinstance(loop, cst.For) and isinstance(loop.body, cst.IndentedBlock)
    func = loop.body.body[0]
    assert isinstance(func, cst.FunctionDef)
    # The def node and its name belong to the enclosing context ...
    assert describe(contexts[func]) == outside
    assert describe(contexts[func.name]) == outside
    # ... its parameters (not their annotations or defaults) to the function.
    params = func.params
    every = [*params.posonly_params, *params.params, *params.kwonly_params]
    assert isinstance(params.star_arg, cst.Param) and params.star_kwarg is not None
    for param in [*every, params.star_arg, params.star_kwarg]:
        assert contexts[param].function is func
        assert contexts[param.name].function is func
        if param.annotation is not None:
            assert contexts[param.annotation].function is None
    assert contexts[params].function is func


def test_handler_body_only() -> None:
    found = probes(
        """
        try:
            probe_1()
        except probe_2() as e:
            probe_3()
        else:
            probe_4()
        finally:
            probe_5()
        """
    )
    assert found == {
        "probe_1": MODULE,
        "probe_2": MODULE,
        "probe_3": (None, None, (), "except probe_2()"),
        "probe_4": MODULE,
        "probe_5": MODULE,
    }


def test_nested_handlers_and_loops_in_handlers() -> None:
    found = probes(
        """
        for x in xs:
            try:
                pass
            except A:
                try:
                    pass
                except B:
                    probe_1()
                while y:
                    probe_2()
                probe_3()
        """
    )
    assert found == {
        "probe_1": (None, None, ("for x",), "except B"),
        "probe_2": (None, None, ("for x", "while y"), "except A"),
        "probe_3": (None, None, ("for x",), "except A"),
    }


def test_a_def_or_class_in_a_handler_resets_it() -> None:
    found = probes(
        """
        try:
            pass
        except MemoryError:
            def fallback():
                probe_1()
            class Fallback:
                probe_3()
            probe_2()
        """
    )
    assert found == {
        "probe_1": ("fallback", None, (), None),
        "probe_2": (None, None, (), "except MemoryError"),
        "probe_3": (None, "Fallback", (), None),
    }


def test_except_star_handler() -> None:
    ctx = record("try:\n    pass\nexcept* ValueError:\n    probe_1()\n").probes["probe_1"]
    assert isinstance(ctx.handler, cst.ExceptStarHandler)


def test_async_loops() -> None:
    found = probes(
        """
        async def f():
            async for a in A:
                probe_1()
            for b in B:
                probe_2()
            [probe_3() async for c in C]
            [probe_4() for d in D for e in E]
            [probe_5() for d in D async for e in E]
        """
    )
    assert found == {
        "probe_1": ("f", None, ("async for a",), None),
        "probe_2": ("f", None, ("for b",), None),
        "probe_3": ("f", None, ("async comp c",), None),
        "probe_4": ("f", None, ("comp d",), None),
        "probe_5": ("f", None, ("async comp d",), None),
    }


def test_contexts_are_shared() -> None:
    _, found = resolve(
        """
        import os
        def f(a):
            x = 1
            for i in a:
                g(i)
                h(i)
            return x
        """
    )
    contexts = {id(ctx) for ctx in found.values()}
    # Module level, the function body, the loop body: one object each.
    assert len(contexts) == 3
    recorder = record("for i in a:\n    probe_1()\n    probe_2()\n")
    assert recorder.probes["probe_1"] is recorder.probes["probe_2"]


def test_every_node_gets_a_context() -> None:
    source = Path(context_module.__file__).read_text(encoding="utf-8")
    module, found = resolve(source)
    assert_every_node_has_a_context(module, found)


def test_deep_trees_do_not_recurse() -> None:
    # The walk keeps its own stack: a deeper tree than the recursion limit allows is fine.
    module = cst.parse_module("x = " + "+".join(["a"] * 3000) + "\n")
    provider = ContextProvider()
    provider._computed = {}
    provider._gen_impl(module)
    assert len(provider._computed) > 3000


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(source=hypothesmith.from_grammar())
def test_generated_programs(source: str) -> None:
    try:
        module = cst.parse_module(source)
    except Exception:
        assume(False)
        raise
    found = dict(MetadataWrapper(module, unsafe_skip_copy=True).resolve(ContextProvider))
    assert_every_node_has_a_context(module, found)


# -- is_endless ------------------------------------------------------------------------------


def answers(code: str, index: int = 0) -> tuple[bool, bool]:
    """(is_endless, exits) of the `index`-th loop in `code`, asked during the traversal."""
    return record(code).answers[index]


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("while True:\n    pass\n", True),
        ("while 1:\n    pass\n", True),
        ("while (1):\n    pass\n", True),
        ('while "a":\n    pass\n', True),
        ("while b'x':\n    pass\n", True),
        ("while -1:\n    pass\n", True),
        ("while not False:\n    pass\n", True),
        ("while ...:\n    pass\n", True),
        ("while x:\n    pass\n", False),
        ("while 0:\n    pass\n", False),
        ("while False:\n    pass\n", False),
        ("while None:\n    pass\n", False),
        ('while "":\n    pass\n', False),
        ("while 2 - 2:\n    pass\n", False),
        ("while not x:\n    pass\n", False),
        ("import itertools\nfor i in itertools.count():\n    pass\n", True),
        ("from itertools import count as c\nfor i in c(10, 2):\n    pass\n", True),
        ("import itertools as it\nfor i in it.cycle(xs):\n    pass\n", True),
        ("import itertools\nfor i in itertools.cycle([]):\n    pass\n", False),
        ("from itertools import repeat\nfor i in repeat(x):\n    pass\n", True),
        ("from itertools import repeat\nfor i in repeat(x, 3):\n    pass\n", False),
        ("from itertools import repeat\nfor i in repeat(x, times=3):\n    pass\n", False),
        # The sentinel ends it: the `break` of the `while True` it stands for.
        ("for line in iter(f.readline, ''):\n    pass\n", False),
        ("for line in iter(f, None):\n    pass\n", False),
        ("for line in iter(xs):\n    pass\n", False),
        ("def count():\n    pass\nfor i in count():\n    pass\n", False),
        ("def iter(a, b):\n    pass\nfor i in iter(f, None):\n    pass\n", False),
        ("for i in range(10):\n    pass\n", False),
        ("from itertools import count\n[i for i in count()]\n", True),
        ("from itertools import count\n[i for x in xs for i in count()]\n", True),
        ("[i for i in xs]\n", False),
    ],
)
def test_is_endless(code: str, expected: bool) -> None:
    assert answers(code)[0] is expected


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("True", True),
        ("0", False),
        ("0.0", False),
        ("1j", True),
        ("0j", False),
        ('"" ""', False),
        ('"" "a"', True),
        ('f"a{x}"', True),
        ('f"{x}"', None),
        ('f""', False),
        ("not None", True),
        ("x", None),
        ("x()", None),
    ],
)
def test_truthiness(code: str, expected: bool | None) -> None:
    assert truthiness(cst.parse_expression(code)) is expected


# -- exits -------------------------------------------------------------------------------------


def _exits(code: str) -> bool:
    return answers(code)[1]


@pytest.mark.parametrize(
    "code",
    [
        "while True:\n    if x:\n        break\n",
        "while True:\n    for y in ys:\n        pass\n    else:\n        break\n",
        "def f():\n    while True:\n        if x:\n            return 1\n",
        "while True:\n    raise ValueError\n",
        "while True:\n    try:\n        g()\n    except E:\n        raise\n",
        "import sys\nwhile True:\n    sys.exit(1)\n",
        "from sys import exit as leave\nwhile True:\n    leave()\n",
        "import os\nwhile True:\n    os._exit(1)\n",
        "import os\nwhile True:\n    os.abort()\n",
        "while True:\n    exit()\n",
        "while True:\n    quit()\n",
        "while True:\n    for y in ys:\n        return\n",
        "import sys\nwhile True:\n    g(lambda: 1, sys.exit() if x else 0)\n",
        "while True:\n    x = 1; break\n",
        "while True:\n    if x: break\n",
        "while True:\n    if x:\n        continue\n    break\n",
        "import sys\nwhile not done(sys.exit()):\n    pass\n",
        "import sys\n[sys.exit() for x in xs]\n",
    ],
)
def test_exits(code: str) -> None:
    assert _exits(code) is True


@pytest.mark.parametrize(
    "code",
    [
        "while True:\n    pass\n",
        "while True:\n    for y in ys:\n        break\n",
        "while True:\n    while y:\n        break\n",
        "while True:\n    def f():\n        return 1\n",
        "while True:\n    f = lambda: exit()\n",
        "while True:\n    class C:\n        raise E\n",
        "while True:\n    continue\n",
        "while True:\n    x.append(1)\n    continue\n    break\n",
        "import sys\nfor x in xs:\n    continue\n    sys.exit()\n",
        "def f():\n    while True:\n        if x:\n            continue\n            return\n",
        "while True:\n    return_value = 1\n    break_ = 2\n",
        "while x:\n    pass\nelse:\n    raise E\n",
        "def exit():\n    pass\nwhile True:\n    exit()\n",
        "while True:\n    self.exit()\n",
        "while True:\n    if x:\n        continue; break\n",
        "import sys\n[x for x in sys.exit()]\n",
    ],
)
def test_does_not_exit(code: str) -> None:
    assert _exits(code) is False


def test_break_in_else_belongs_to_the_enclosing_loop() -> None:
    recorder = record(
        """
        for z in zs:
            while x:
                pass
            else:
                break
        """
    )
    assert [exited for _, exited in recorder.answers] == [True, False]


def test_answers_are_cached_on_the_loop() -> None:
    recorder = record("while True:\n    break\n")
    (loop,) = recorder.loops
    # Stored on the Loop (the provider's data), not in a module-level cache keyed by node.
    assert loop._endless is True and loop._exits is True
    assert not hasattr(context_module, "_CACHE")


def test_loop_of_each_kind() -> None:
    recorder = record(
        """
        for a in A:
            while b:
                [c for c in C]
                {c for c in C}
                {c: 1 for c in C}
                (c for c in C)
        """
    )
    kinds = [(loop.kind, type(loop.node).__name__) for loop in recorder.loops]
    assert kinds == [
        ("for", "For"),
        ("while", "While"),
        ("comprehension", "ListComp"),
        ("comprehension", "SetComp"),
        ("comprehension", "DictComp"),
        ("comprehension", "GeneratorExp"),
    ]
    assert all(not loop.is_async for loop in recorder.loops)


def test_loops_are_the_same_objects_as_in_contexts() -> None:
    recorder = record("for a in A:\n    probe_1()\n")
    assert recorder.probes["probe_1"].loops == (recorder.loops[0],)


def test_providers_through_the_engine_path() -> None:
    # A rule-like visitor that only lists PROVIDERS can call every function here.
    recorder = record("import itertools\nfor i in itertools.count():\n    probe_1()\n")
    assert recorder.probes["probe_1"].loop is recorder.loops[0]
    assert recorder.answers == [(True, False)]


def test_children_reads_the_fields_without_copying() -> None:
    module = cst.parse_module("x = f(a, b=1)\n")
    statement = module.body[0]
    assert context_module.children(statement) == list(statement.children)
    call = cst.ensure_type(statement, cst.SimpleStatementLine).body[0]
    assert all(child in call.children for child in context_module.children(call))
    # The very nodes of the tree, not rebuilt ones.
    assert context_module.children(statement)[0] is statement.body[0]
