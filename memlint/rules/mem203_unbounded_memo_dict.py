"""MEM203: a module- or class-level container that run-time code only ever adds to."""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

import libcst as cst
from libcst.metadata import PositionProvider

from memlint.regions import Reach
from memlint.rule import Invalid, Rule, Valid
from memlint.semantic import containers
from memlint.semantic.containers import Container, Use

if TYPE_CHECKING:
    from memlint.settings import Settings

_GROWS = {
    "dict": "every new key",
    "defaultdict": "every new key",
    "Counter": "every new key",
    "OrderedDict": "every new key",
    "list": "every call",
    "set": "every new item",
}
_DISPLAY = {
    "dict": "dict",
    "defaultdict": "`defaultdict`",
    "Counter": "`Counter`",
    "OrderedDict": "`OrderedDict`",
    "list": "list",
    "set": "set",
}


def _where(use: Use) -> str:
    function = use.function
    if isinstance(function, cst.FunctionDef):
        return f"`{function.name.value}`"
    return "a `lambda`"


def _registers(use: Use) -> bool:
    """A public function that files its arguments under a key it is given: a registry."""
    function = use.function
    return (
        use.setter
        and isinstance(function, cst.FunctionDef)
        and not function.name.value.startswith("_")
    )


class UnboundedMemoDict(Rule):
    """
    ## What it does
    Flags a dict, list or set (also `defaultdict`, `Counter`, `OrderedDict`, and the
    `dict()`/`list()`/`set()` constructors) bound at module level or in a class body that
    code running after import only ever adds to, and that nothing ever shrinks: the memo
    dict filled per call (`if x in _cache: return _cache[x]` ... `_cache[x] = result`), the
    list of every event seen, the set of every id processed.

    Adding is `x[key] = v` with a key that is not a constant, `.append`, `.extend`,
    `.insert`, `.add`, `.update`, `.setdefault`, `+=`/`|=`, and on a `defaultdict` or
    `Counter` `x[key].append(v)` or `x[key] += 1`. Shrinking is `pop`, `popitem`, `clear`,
    `remove`, `discard`, `del x[key]`, `x[:] = []`, `del x[:]`, `-=`, and rebinding the name
    anywhere (`global x; x = {}` in a function, `cls.x = {}`, or an instance attribute
    `self.x = ...` that shadows a class attribute). A class attribute counts when reached
    as `self.x`, `cls.x` or `ClassName.x`; a shrink or rebinding of `.x` on any other object
    counts too (it may be an instance or a subclass).

    Deliberately not flagged:
    - a container filled only at import time: by module-level or class-level code, or by a
      function that is only called there (and perhaps deleted afterwards), only applied as
      a decorator there (a registry filled by `@register`), or only called by such
      functions. A call under `if __name__ == "__main__":` is a script's run time;
    - a container that escapes: returned, yielded, bound to another name, stored in another
      object, or passed to a call other than a reader such as `len`, `sorted` or `print`:
      that code may shrink it;
    - a container whose adding function compares `len(x)` with something: the author chose
      a bound (`if len(_types) < 100: _types.add(t)`);
    - keys from a fixed set: a literal or ALL_CAPS constant (`_state["ready"] = True`), an
      item of a `for` over a literal tuple or list, a parameter with a `True`/`False`
      default, a parameter of a private function that every caller passes a constant
      (`_table(b"ABC")`); item assignment on a list (`x[i] = v` replaces), and
      `d[k].append(v)` on a plain dict (the dict itself does not grow);
    - a registration API: a public function (no leading underscore) that files its own
      arguments under a key it is given (a parameter, of the function or of the decorator
      factory it is nested in, or something read off one: `name.lower()`,
      `type(loader)`): `_converters[name.lower()] = fn`, `_hooks.setdefault(event, [])`.
      Its size follows the callers' code (`logging.addLevelName`, `webbrowser.register`),
      and an LRU would drop registrations.
      A list or set that such a function appends to is still flagged: it grows with every
      call, even for an item it already holds;
    - annotated names in a class body, unless the annotation is `ClassVar` (they are
      per-instance fields in dataclasses, attrs, pydantic and NamedTuple), dunder names
      (`__all__`, `__slots__`), and `a = b = {}` (one object under two names).

    A container with a public name is flagged like a private one: another module could
    shrink it, but in the corpora swept only tests do.

    ## Why is this bad?
    A module or class lives as long as the process, and so does everything such a container
    holds. Filled from run-time data (request ids, user input, file names, objects), it
    gains an entry per distinct value and never loses one: a slow leak that looks like a
    cache and ends with the process killed for memory. Each entry also keeps its key and
    value (often large objects) alive.

    ## Example
    ```python
    _cache = {}

    def load_user(user_id):
        if user_id in _cache:
            return _cache[user_id]
        user = _cache[user_id] = fetch_user(user_id)
        return user
    ```

    ## Use instead
    ```python
    import functools

    @functools.lru_cache(maxsize=1024)
    def load_user(user_id):
        return fetch_user(user_id)
    ```

    ## References
    - [`functools.lru_cache`](https://docs.python.org/3/library/functools.html#functools.lru_cache)
    - [cachetools](https://cachetools.readthedocs.io/)
    - [`weakref.WeakValueDictionary`](https://docs.python.org/3/library/weakref.html#weakref.WeakValueDictionary)
    """

    code = "MEM203"
    name = "unbounded-memo-dict"
    summary = "A module- or class-level container that run-time code only ever adds to"
    # A module- or class-level binding to a literal or constructor (the assignment's first
    # line); `defaultdict`, `Counter`, `OrderedDict` are named wherever they are imported.
    trigger_pattern = (
        r"\w[ \t]*(?::[^=\n]*)?=\s*\(?\s*(?:[\[{]|(?:\w+\.)?(?:set|dict|list)\()"
        r"|\b(?:defaultdict|Counter|OrderedDict)\b"
    )
    METADATA_DEPENDENCIES = (PositionProvider, *containers.PROVIDERS)

    cases = (
        Valid(
            """
            _cache = {}
            def load(key):
                if key in _cache:
                    return _cache[key]
                value = _cache[key] = compute(key)
                if len(_cache) > 1000:
                    _cache.clear()
                return value
            """
        ),
        # Filled while the module is imported, by a decorator: bounded by the code.
        Valid(
            """
            _handlers = {}
            def handler(name):
                def register(fn):
                    _handlers[name] = fn
                    return fn
                return register
            @handler("get")
            def on_get(request): ...
            def dispatch(request):
                return _handlers[request.method](request)
            """
        ),
        # A helper only called at module level fills a constant table.
        Valid(
            """
            _TABLE = {}
            def _fill(prefix):
                for i in range(10):
                    _TABLE[f"{prefix}{i}"] = i
            _fill("a")
            _fill("b")
            def lookup(key):
                return _TABLE.get(key)
            """
        ),
        # Shrunk in another function.
        Valid(
            """
            _pending = []
            def submit(job):
                _pending.append(job)
            def flush():
                jobs = _pending[:]
                del _pending[:]
                return jobs
            """
        ),
        # Reset by a rebinding through `global`.
        Valid(
            """
            _seen = set()
            def mark(x):
                _seen.add(x)
            def reset():
                global _seen
                _seen = set()
            """
        ),
        # Escapes to code that is not seen, which may clear it.
        Valid(
            """
            import atexit
            _files = []
            def track(f):
                _files.append(f)
            atexit.register(_close_all, _files)
            """
        ),
        # A fixed set of keys is bounded whatever the values.
        Valid(
            """
            _state = {}
            def start(config):
                _state["config"] = config
                _state["started"] = True
            """
        ),
        # The instance attribute shadows the class attribute.
        Valid(
            """
            class Collector:
                items = []
                def __init__(self):
                    self.items = []
                def add(self, x):
                    self.items.append(x)
            """
        ),
        # An annotated name in a class body is a per-instance field.
        Valid(
            """
            from dataclasses import dataclass, field
            @dataclass
            class Batch:
                items: list = field(default_factory=list)
            class Model(BaseModel):
                tags: list[str] = []
                def tag(self, t):
                    self.tags.append(t)
            """
        ),
        # `__all__` is a protocol, not a store.
        Valid(
            """
            __all__ = ["a"]
            def export(fn):
                __all__.append(fn.__name__)
                return fn
            """
        ),
        # A size check where it adds: the author chose a bound (asyncio's type cache).
        Valid(
            """
            _types = set()
            def is_special(obj):
                if type(obj) in _types:
                    return True
                if len(_types) < 100:
                    _types.add(type(obj))
                return False
            """
        ),
        # Called at module level, then deleted: the table is complete after import.
        Valid(
            """
            opmap = {}
            def def_op(name, op):
                opmap[name] = op
            def_op("NOP", 0)
            def_op("POP", 1)
            del def_op
            """
        ),
        # A private helper that every caller passes a constant: one entry per constant.
        Valid(
            """
            _tables = {}
            def _table(alphabet):
                if alphabet not in _tables:
                    _tables[alphabet] = build(alphabet)
                return _tables[alphabet]
            def encode32(s):
                return _table(b"ABC"), s
            """
        ),
        # A public function that files its arguments under a key it is given is a
        # registration API (`logging.addLevelName`): bounded by its callers' code.
        Valid(
            """
            _level_names = {}
            def add_level_name(level, name):
                _level_names[level] = name
            """
        ),
        # A local of the same name is another object.
        Valid(
            """
            results = []
            def work(x):
                results = []
                results.append(x)
                return results
            """
        ),
        Invalid(
            """
            _cache = {}

            def load_user(user_id):
                if user_id in _cache:
                    return _cache[user_id]
                user = _cache[user_id] = fetch_user(user_id)
                return user
            """,
            line=1,
            column=1,
        ),
        # An accumulator list.
        Invalid(
            """
            _events = []
            def record(event):
                _events.append(event)
            def report():
                return len(_events)
            """,
            line=1,
        ),
        Invalid(
            """
            from collections import defaultdict as dd
            by_user = dd(list)
            def log(user, line):
                by_user[user].append(line)
            """,
            line=2,
        ),
        Invalid(
            """
            import collections
            hits = collections.Counter()
            def hit(path):
                hits[path] += 1
            """,
            line=2,
        ),
        # A class attribute reached through `cls`, filled by a classmethod.
        Invalid(
            """
            class Registry:
                _seen = set()
                @classmethod
                def see(cls, key):
                    cls._seen.add(key)
            """,
            line=2,
            column=5,
        ),
        # Every instance registers itself in a class-level list.
        Invalid(
            """
            class Widget:
                instances = []
                def __init__(self):
                    Widget.instances.append(self)
            """,
            line=2,
        ),
        # Called under the main guard: the script's run time.
        Invalid(
            """
            seen = set()
            def visit(url):
                seen.add(url)
            if __name__ == "__main__":
                visit("a")
            """,
            line=1,
        ),
        # A list grows with every call, even as a registry: not a registration API.
        Invalid(
            """
            _listeners = []
            def add_listener(fn):
                _listeners.append(fn)
            """,
            line=1,
        ),
        Invalid(
            """
            _log = list()
            def write(msg):
                global _log
                _log += [msg]
            """,
            line=1,
        ),
    )

    reach = Reach.FUNCTION

    @classmethod
    def ast_places(cls, tree: ast.Module, settings: Settings) -> list[ast.AST]:
        return containers.growth_places(tree)

    def visit_Module(self, node: cst.Module) -> None:
        for container in containers.containers(self, node):
            self._check(container)

    def _check(self, container: Container) -> None:
        # A function that compares `len(x)` with something keeps `x` within a size it chose.
        checked = {id(use.function) for use in container.of_kind("check")}
        adds = [
            use
            for use in container.of_kind("add")
            if use.runtime and id(use.function) not in checked and not _registers(use)
        ]
        if not adds:
            return
        # Shrunk, rebound or handed out: its size is someone else's business.
        if container.of_kind("shrink", "rebind", "escape"):
            return
        first = adds[0]
        level = "class" if container.owner is not None else "module"
        self.report(
            container.statement,
            f"{level.capitalize()}-level {_DISPLAY[container.kind]} `{container.label}` is "
            f"added to by {_where(first)} ({first.how}) and never shrunk, so it grows with "
            f"{_GROWS[container.kind]} for the life of the process",
            suggestion=(
                "Bound it: `functools.lru_cache(maxsize=...)`, `cachetools.LRUCache`/"
                "`TTLCache`, or evict entries explicitly"
            ),
        )
