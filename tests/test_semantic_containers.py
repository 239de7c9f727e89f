"""memlint.semantic.containers: module- and class-level containers and their uses."""

from __future__ import annotations

import textwrap

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper

from memlint.semantic import containers
from memlint.semantic.containers import Container, ContainerProvider

# A use as readable data: (kind, how, function name or None, runtime).
Described = tuple[str, str, "str | None", bool]


class _Probe(cst.BatchableCSTVisitor):
    METADATA_DEPENDENCIES = containers.PROVIDERS

    def __init__(self) -> None:
        super().__init__()
        self.found: tuple[Container, ...] = ()

    def visit_Module(self, node: cst.Module) -> None:
        self.found = containers.containers(self, node)


def analyse(code: str) -> dict[str, Container]:
    probe = _Probe()
    MetadataWrapper(cst.parse_module(textwrap.dedent(code))).visit_batched([probe])
    return {c.label: c for c in probe.found}


def uses(container: Container) -> list[Described]:
    """In a stable order (libcst keeps references in sets)."""
    return sorted(
        (
            u.kind,
            u.how,
            getattr(u.function, "name", cst.Name("lambda")).value if u.function else None,
            u.runtime,
        )
        for u in container.uses
    )


def test_no_container_no_walk() -> None:
    assert analyse("x = 1\ndef f():\n    y = {}\n") == {}


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("{}", "dict"),
        ("{1: 2}", "dict"),
        ("{k: 0 for k in K}", "dict"),
        ("[]", "list"),
        ("list()", "list"),
        ("{1}", "set"),
        ("set()", "set"),
        ("dict(a=1)", "dict"),
        ("collections.defaultdict(list)", "defaultdict"),
        ("collections.Counter()", "Counter"),
        ("collections.OrderedDict()", "OrderedDict"),
    ],
)
def test_kinds(value: str, kind: str) -> None:
    found = analyse(f"import collections\nx = {value}\n")
    assert found["x"].kind == kind


def test_not_containers() -> None:
    code = """
        import collections
        a = b = {}
        c, d = [], []
        __all__ = []
        q = collections.deque()
        def dict(): ...
        e = dict()
        class C:
            f: list = []
            g: "ClassVar[list]" = []
        """
    assert set(analyse(code)) == set()


def test_class_var_and_nested_blocks() -> None:
    code = """
        from typing import ClassVar
        try:
            x = {}
        except ImportError:
            pass
        class C:
            a: ClassVar[dict] = {}
            if True:
                b = []
        """
    assert set(analyse(code)) == {"x", "C.a", "C.b"}


def test_module_uses() -> None:
    code = """
        _c = {}
        def f(k, v):
            _c[k] = v
            _c["fixed"] = v
            _c.setdefault(k, []).append(v)
            if k in _c and _c:
                return _c.get(k), len(_c), _c[k]
        def g():
            _c.pop("x")
            del _c["y"]
        def h():
            return _c
        def i():
            global _c
            _c = {}
        """
    assert uses(analyse(code)["_c"]) == sorted(
        [
            ("rebind", "rebound", "i", True),
            ("add", "`[key] = ...`", "f", True),
            ("add", "`.setdefault()`", "f", True),
            ("shrink", "`.pop()`", "g", True),
            ("shrink", "`del ...[key]`", "g", True),
            ("escape", "returned", "h", True),
        ]
    )


def test_augmented_assignments_and_slices() -> None:
    code = """
        a = []
        def f(x):
            global a
            a += [x]
        def g():
            global a
            a -= {1}
        def h():
            a[:] = []
        """
    assert uses(analyse(code)["a"]) == sorted(
        [
            ("add", "`+=`", "f", True),
            ("shrink", "an augmented assignment", "g", True),
            ("shrink", "a slice assignment", "h", True),
        ]
    )


def test_autovivifying_items() -> None:
    code = """
        import collections
        d = collections.defaultdict(list)
        n = collections.Counter()
        p = {}
        def f(k, v):
            d[k].append(v)
            d["c"].append(v)
            n[k] += 1
            n["c"] += 1
            p[k].append(v)
            p[k] += 1
        """
    found = analyse(code)
    assert [u[:2] for u in uses(found["d"])] == [("add", "`[key].append()`")]
    assert [u[:2] for u in uses(found["n"])] == [("add", "`[key] += ...`")]
    assert uses(found["p"]) == []


def test_readers_and_escapes() -> None:
    code = """
        x = []
        def f(log):
            print(x, len(x), sorted(x), *x)
            log.debug("%s", x)
            ", ".join(x)
            for i in x: pass
            y = x
            store(x)
            return [x]
        """
    assert [u[:2] for u in uses(analyse(code)["x"])] == sorted(
        [
            ("escape", "bound to another name"),
            ("escape", "passed to `store`"),
            ("escape", "stored in another container"),
        ]
    )


def test_import_time_functions() -> None:
    code = """
        r = {}
        def register(name):
            def deco(fn):
                r[name] = fn
                return fn
            return deco
        def _fill(k):
            r[k] = 1
        def _fill_all():
            for k in K:
                _fill(k)
        _fill_all()
        @register("a")
        def a(): ...
        class C:
            _fill("c")
        """
    assert [u[2:] for u in uses(analyse(code)["r"])] == sorted([("deco", False), ("_fill", False)])


def test_run_time_functions() -> None:
    code = """
        r = {}
        def api(k):
            r[k] = 1
        def helper(k):
            r[k] = 2
        def caller(k):
            helper(k)
        def main(k):
            r[k] = 3
        def cb(k):
            r[k] = 4
        on(cb)
        if __name__ == "__main__":
            main(1)
        """
    assert [u[2:] for u in uses(analyse(code)["r"])] == sorted(
        [
            ("api", True),
            ("helper", True),
            ("main", True),
            ("cb", True),
        ]
    )


def test_class_attributes() -> None:
    code = """
        class C:
            seen = set()
            names = []
            shadowed = {}
            def __init__(self):
                self.shadowed = {}
                C.names.append(self)
            @classmethod
            def see(cls, x):
                cls.seen.add(x)
            @staticmethod
            def other(self, x):
                self.seen.clear()
        def elsewhere(obj, x):
            obj.names.append(x)
        """
    found = analyse(code)
    assert [u[:3] for u in uses(found["C.seen"])] == sorted(
        [
            ("add", "`.add()`", "see"),
            ("escape", "`self.seen` `.clear()`", "other"),
        ]
    )
    assert [u[:3] for u in uses(found["C.names"])] == [("add", "`.append()`", "__init__")]
    assert [u[:2] for u in uses(found["C.shadowed"])] == [("rebind", "`self.shadowed` rebound")]


def test_provider_runs_once_per_module() -> None:
    module = cst.parse_module("x = {}\ndef f(k):\n    x[k] = 1\n")
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    first = wrapper.resolve(ContainerProvider)[module]
    assert wrapper.resolve(ContainerProvider)[module] is first


def test_setter_shape() -> None:
    code = """
        r = {}
        def register(name, fn):
            r[name.lower()] = fn
        def slot(name):
            r.setdefault(name, [])
        def factory(key):
            def wrapper(fn):
                r[key] = fn
                return fn
            return wrapper
        def memo(key):
            r[key] = compute(key)
        def tracked(obj):
            r[obj.id] = [obj, 1]
        """
    found = analyse(code)["r"]
    setters = sorted((u.function.name.value, u.setter) for u in found.uses if u.function)
    assert setters == [
        ("memo", False),
        ("register", True),
        ("slot", True),
        ("tracked", True),
        ("wrapper", True),
    ]
