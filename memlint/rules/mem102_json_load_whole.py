"""MEM102: a whole file parsed into one in-memory object by json, yaml or pickle."""

from __future__ import annotations

import ast
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Optional

import libcst as cst
from libcst.metadata import PositionProvider, ScopeProvider

from memlint.diagnostics import Confidence
from memlint.regions import Reach
from memlint.rule import Invalid, Rule, Valid
from memlint.semantic import astindex, bindings, context, files, names, provenance

if TYPE_CHECKING:
    from memlint.settings import Settings

# How a parser takes its input: `stream` reads from any stream it is given (json to the
# end, pickle one pickle), `text` parses a value already in memory, `yaml` takes either.
_Mode = Literal["stream", "text", "yaml"]
_Family = Literal["json", "yaml", "pickle"]


@dataclass(frozen=True)
class _Parser:
    mode: _Mode
    family: _Family
    keywords: tuple[str, ...]  # the names the data parameter goes by


_PARSERS: dict[str, _Parser] = {
    "json.load": _Parser("stream", "json", ("fp",)),
    "json.loads": _Parser("text", "json", ("s",)),
    "simplejson.load": _Parser("stream", "json", ("fp",)),
    "simplejson.loads": _Parser("text", "json", ("s",)),
    "ujson.load": _Parser("stream", "json", ("fp", "obj")),
    "ujson.loads": _Parser("text", "json", ("s", "obj")),
    "ujson.decode": _Parser("text", "json", ("s", "obj")),
    # orjson has no `load`, and its `loads` takes its argument positionally only.
    "orjson.loads": _Parser("text", "json", ()),
    "yaml.load": _Parser("yaml", "yaml", ("stream",)),
    "yaml.safe_load": _Parser("yaml", "yaml", ("stream",)),
    "yaml.full_load": _Parser("yaml", "yaml", ("stream",)),
    "yaml.unsafe_load": _Parser("yaml", "yaml", ("stream",)),
    "pickle.load": _Parser("stream", "pickle", ("file",)),
    "pickle.loads": _Parser("text", "pickle", ("data",)),
}
_MODES: tuple[_Mode, ...] = ("stream", "text", "yaml")
# Methods that turn the text of a read into text of the same size: still the whole file.
_SAME_SIZE = frozenset({"decode", "strip", "lstrip", "rstrip"})
_SHOWN_ARGUMENT = 40
# What a `pickle.load` argument reads from: the bindings a name refers to, or an attribute
# chain (`self.stream`) within one class or function. None when it cannot be told.
_StreamKey = Optional[tuple[object, ...]]

_SUGGESTIONS: dict[_Family, str] = {
    "json": (
        "Stream it: write one JSON document per line (NDJSON) and parse line by line, or use "
        "a streaming parser such as `ijson`"
    ),
    "yaml": (
        "Stream it: split the data into documents and iterate `yaml.safe_load_all(f)`, or "
        "keep one record per line (NDJSON) and parse line by line"
    ),
    "pickle": (
        "Split it: dump the records as several smaller pickles and `pickle.load` them one at "
        "a time until `EOFError`, or use a format that streams, such as NDJSON read line by line"
    ),
}


def _confidence(evidence: Confidence | None) -> Confidence:
    """HIGH when the file (or the read of it) is proven, MEDIUM when inferred or unknown.

    `evidence` is what `files` says about the argument; None for a stream of unknown kind.
    """
    return Confidence.HIGH if evidence is Confidence.HIGH else Confidence.MEDIUM


def _data_argument(call: cst.Call, keywords: tuple[str, ...]) -> cst.BaseExpression | None:
    """The argument holding the data: the first positional one, or its keyword."""
    # With `*args` or `**kwargs` the data cannot be told apart.
    if any(arg.star for arg in call.args):
        return None
    for arg in call.args:
        if arg.keyword is None:
            return arg.value
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value in keywords:
            return arg.value
    return None


def _peel(expr: cst.BaseExpression) -> cst.BaseExpression:
    """`f.read().decode("utf-8").strip()` -> `f.read()`."""
    while (
        isinstance(expr, cst.Call)
        and isinstance(expr.func, cst.Attribute)
        and expr.func.attr.value in _SAME_SIZE
    ):
        expr = expr.func.value
    return expr


def _tree_data(call: ast.Call) -> list[ast.expr]:
    """What `_data_argument` may pick on CPython's tree: the first positional argument,
    else any keyword's value (the parser, so its keywords, is not told apart here)."""
    if files.tree_starred(call):
        return []
    if call.args:
        return call.args[:1]
    return [keyword.value for keyword in call.keywords]


def _dotted(expr: ast.expr) -> bool:
    """Whether `expr` is a plain `a.b.c` chain, the only callee `names.resolved` names."""
    while isinstance(expr, ast.Attribute):
        expr = expr.value
    return isinstance(expr, ast.Name)


def _shown(call: cst.Call, qualified: str, argument: cst.BaseExpression) -> str:
    """`json.load(f)`, `yaml.load(f, ...)`: the call as the message shows it, on one line."""
    text = " ".join(cst.Module([]).code_for_node(argument).split())
    if len(text) > _SHOWN_ARGUMENT:
        text = text[: _SHOWN_ARGUMENT - 3] + "..."
    more = ", ..." if len(call.args) > 1 else ""
    return f"{qualified}({text}{more})"


class JsonLoadWhole(Rule):
    """
    ## What it does
    Flags a whole file parsed into one in-memory object:

    - `json.load(x)`, whatever `x` is: it reads the whole stream before parsing;
    - `json.loads(<whole-file read>)`: `f.read()`, `Path(p).read_text()`, `read_bytes()`,
      `open(p).read()`, `sys.stdin.read()`, also after `.decode()` or `.strip()`, and a name
      bound once to such a read;
    - the same through `simplejson`, `ujson` and `orjson.loads` (orjson has no `load`);
    - `yaml.load`, `yaml.safe_load`, `yaml.full_load` and `yaml.unsafe_load` of a file object
      (`open(p)`, a name bound by `with open(p) as f`, a parameter annotated `TextIO`) or of a
      whole-file read;
    - `pickle.load(f)`, whatever `f` is, and `pickle.loads(<whole-file read>)`.

    Names are resolved: `import json as j`, `from json import loads as jl` and
    `import simplejson as json` are recognised; a function of your own called `load`, or a
    `self.json.load()` method, is not.

    The confidence follows where the data comes from: high for a path from the command
    line, standard input, a download, an upload, a file found by `glob`, or a parameter of a
    public function named for data (`path`, `fp`, `payload`); low for a small file by
    construction (a config or metadata file such as `setup.cfg`, a file of the package
    itself found from `__file__` or `importlib.resources`) and in test code; medium
    otherwise, and at most medium when a whole read's file is inferred from how a name is
    used.

    Not flagged: `tomllib`/`tomli` (configuration is small), `yaml.safe_load_all` and
    `yaml.load_all` (they yield one document at a time), `json.loads` of anything that is
    not a whole-file read (a line of a file iterated line by line, a chunk `f.read(4096)`,
    a string parameter, an HTTP body such as `resp.text`, which is MEM105's business),
    `yaml.safe_load(text)` of a string that is not a file read, `json.JSONDecoder().raw_decode`,
    streaming parsers such as `ijson.items(f, ...)`, and a file of several pickles read one
    at a time: `pickle.load(f)` inside a loop on a file opened outside it, or called more than
    once on the same `f`.

    ## Why is this bad?
    The parsed object costs several times the size of its text: every number, string, list
    and dict is a separate Python object with its own header, so a 1 GB JSON export can
    take 5 to 10 GB once loaded, and `loads(f.read())` holds the text as well. Memory then
    grows with the input, which is exactly what a data file tends to do, and the job that
    was fine on last month's export is killed on this month's.

    ## Example
    ```python
    import json

    def import_orders(path):
        with open(path) as f:
            orders = json.load(f)
        for order in orders:
            save(order)
    ```

    ## Use instead
    ```python
    import json

    def import_orders(path):
        with open(path) as f:
            for line in f:
                save(json.loads(line))
    ```

    ## References
    - [JSON Lines (NDJSON)](https://jsonlines.org/)
    - [ijson: iterative JSON parser](https://pypi.org/project/ijson/)
    - [PyYAML: loading multiple documents](https://pyyaml.org/wiki/PyYAMLDocumentation)
    - [pickle: reading several pickles from one file](https://docs.python.org/3/library/pickle.html#pickle.Unpickler)
    """

    code = "MEM102"
    name = "json-load-whole"
    summary = "A whole file parsed into one in-memory object by json, yaml or pickle"
    triggers = ("json", "simplejson", "ujson", "orjson", "yaml", "pickle")
    METADATA_DEPENDENCIES = (
        PositionProvider,
        *names.PROVIDERS,
        *files.PROVIDERS,
        *context.PROVIDERS,
    )

    cases = (
        # Configuration is small, and tomllib is not a data format.
        Valid(
            """
            import tomllib
            import tomli
            with open("pyproject.toml", "rb") as f:
                config = tomllib.load(f)
            with open("setup.toml", "rb") as g:
                extra = tomli.load(g)
            text = open("x.toml").read()
            more = tomllib.loads(text)
            """
        ),
        # `safe_load_all` yields one document at a time.
        Valid(
            """
            import yaml
            with open("manifests.yaml") as f:
                for manifest in yaml.safe_load_all(f):
                    apply(manifest)
                for doc in yaml.load_all(f, Loader=yaml.SafeLoader):
                    apply(doc)
            """
        ),
        # NDJSON: one line at a time.
        Valid(
            """
            import json
            with open("events.ndjson") as f:
                for line in f:
                    handle(json.loads(line))
            """
        ),
        # A string parameter is not a file read.
        Valid(
            """
            import json
            import yaml
            def parse(payload: str):
                return json.loads(payload)
            def parse_manifest(text):
                return yaml.safe_load(text)
            """
        ),
        # Someone's own `load`, a method on an object of unknown type, a local `json`.
        Valid(
            """
            import json
            class Store:
                def load(self, f): ...
            def restore(store: Store, f):
                with open("state.bin", "rb") as f:
                    return store.load(f)
            class Cache:
                def warm(self, f):
                    return self.json.load(f)
            def export(backend, path):
                json = backend.codec
                with open(path) as f:
                    return json.load(f)
            """
        ),
        # A chunk is not the whole file.
        Valid(
            """
            import json
            with open("big.json") as f:
                head = json.loads(f.read(4096))
            """
        ),
        # HTTP bodies are payloads (MEM105 decides HTTP).
        Valid(
            """
            import json
            import requests
            def fetch(url, request):
                resp = requests.get(url)
                data = json.loads(resp.text)
                body = json.loads(request.body)
                return data, body
            """
        ),
        # Incremental and streaming parsers.
        Valid(
            """
            import json
            import ijson
            decoder = json.JSONDecoder()
            obj, end = json.JSONDecoder().raw_decode(buffer)
            with open("big.json", "rb") as f:
                for item in ijson.items(f, "item"):
                    handle(item)
            """
        ),
        # A stream of pickles read one at a time.
        Valid(
            """
            import pickle
            def records(path):
                with open(path, "rb") as f:
                    while True:
                        try:
                            yield pickle.load(f)
                        except EOFError:
                            return
            """
        ),
        # Two pickles read one after the other: a header, then the payload.
        Valid(
            """
            import pickle
            class Cache:
                def load(self, path):
                    with open(path, "rb") as f:
                        version = pickle.load(f)
                        if version == 2:
                            self.entries = pickle.load(f)
                def next_message(self):
                    return pickle.load(self.channel)
                def drain(self):
                    return pickle.load(self.channel)
            """
        ),
        Invalid(
            """
            import json
            with open("export.json") as f:
                data = json.load(f)
            """,
            line=3,
            column=12,
        ),
        # Aliases resolve.
        Invalid(
            """
            import json as j
            def load_export(stream):
                return j.load(stream)
            """,
            line=3,
        ),
        Invalid(
            """
            from json import loads as jl
            from pathlib import Path
            def read(p):
                return jl(Path(p).read_text())
            """,
            line=4,
        ),
        Invalid(
            """
            import simplejson as json
            export = json.load(open("export.json"))
            """,
            line=2,
        ),
        # A name bound once to a whole read.
        Invalid(
            """
            import json
            def read(path):
                with open(path, "rb") as f:
                    raw = f.read()
                return json.loads(raw.decode("utf-8"))
            """,
            line=5,
        ),
        Invalid(
            """
            import yaml
            with open("deploy.yaml") as f:
                manifest = yaml.safe_load(f)
            """,
            line=3,
        ),
        Invalid(
            """
            import yaml
            manifest = yaml.load(
                open("deploy.yaml").read(),
                Loader=yaml.SafeLoader,
            )
            """,
            line=2,
        ),
        Invalid(
            """
            import pickle
            with open("cache.pkl", "rb") as f:
                cache = pickle.loads(f.read())
            """,
            line=3,
        ),
        Invalid(
            """
            import pickle
            def restore(fh):
                return pickle.load(fh)
            """,
            line=3,
        ),
        Invalid(
            """
            import orjson
            from pathlib import Path
            def load(p: Path):
                return orjson.loads(p.read_bytes())
            """,
            line=4,
        ),
        Invalid(
            """
            from typing import TextIO
            import ujson
            def load(fp: TextIO):
                return ujson.load(fp)
            """,
            line=4,
        ),
        Invalid(
            """
            import sys
            import json
            payload = json.loads(sys.stdin.read())
            """,
            line=3,
        ),
        # One file per iteration: each is read whole.
        Invalid(
            """
            import pickle
            def load_all(paths):
                for path in paths:
                    with open(path, "rb") as f:
                        yield pickle.load(f)
            """,
            line=5,
        ),
        # -- provenance: where the data comes from decides the confidence ----------------
        # A command-line argument given through click: high.
        Invalid(
            """
            import json
            import click
            @click.command()
            @click.argument("export")
            def main(export):
                with open(export) as f:
                    return json.load(f)
            """,
            confidence=Confidence.HIGH,
            because="reads a path given on the command line (`click`)",
        ),
        # An HTTP response and an upload: high, whatever the stream is.
        Invalid(
            """
            import json
            from urllib.request import urlopen
            def fetch(url):
                return json.load(urlopen(url))
            """,
            confidence=Confidence.HIGH,
            because="reads an HTTP response",
        ),
        Invalid(
            """
            import json
            def import_view(request):
                return json.load(request.files["export"])
            """,
            confidence=Confidence.HIGH,
            because="reads an upload from a web request",
        ),
        # A resource of the package itself: low.
        Invalid(
            """
            import json
            from importlib import resources
            def schema():
                with resources.files(__package__).joinpath("schema.json").open() as f:
                    return json.load(f)
            """,
            confidence=Confidence.LOW,
            because="reads a resource of the package itself (`importlib.resources`)",
        ),
        # ... a function of your own called `files` is not importlib's.
        Invalid(
            """
            import json
            def files(name):
                return name
            def schema():
                with open(files("schema.json")) as f:
                    return json.load(f)
            """,
            confidence=Confidence.MEDIUM,
        ),
        # `self.path` is followed to what the class assigns it: a public constructor's
        # parameter named for data.
        Invalid(
            """
            import json
            class Export:
                def __init__(self, filename):
                    self.filename = filename
                def rows(self):
                    with open(self.filename) as f:
                        return json.load(f)
            """,
            confidence=Confidence.HIGH,
            because="reads `filename`, a parameter of public `Export.__init__()` named for data",
        ),
        # ... a private class's parameter named `name` says nothing: medium.
        Invalid(
            """
            import json
            class _Export:
                def __init__(self, name):
                    self.name = name
                def rows(self):
                    with open(self.name) as f:
                        return json.load(f)
            """,
            confidence=Confidence.MEDIUM,
        ),
        # Look-alike: a decorator of your own called `command` is not click's.
        Invalid(
            """
            import json
            from .app import cli
            @cli.command()
            def main(export):
                with open(export) as f:
                    return json.load(f)
            """,
            confidence=Confidence.MEDIUM,
        ),
        # Look-alike: a function of your own called `urlopen` reads a local file.
        Invalid(
            """
            import json
            def urlopen(url):
                return open(url)
            def fetch(url):
                return json.load(urlopen(url))
            """,
            confidence=Confidence.MEDIUM,
        ),
        # Look-alike: a parameter named `request_log` is no web request.
        Invalid(
            """
            import json
            def replay(request_log):
                return json.load(request_log)
            """,
            confidence=Confidence.MEDIUM,
        ),
        # Files found by `iterdir()`: high; in the package's own folder: low.
        Invalid(
            """
            import json
            from pathlib import Path
            def load_all(folder):
                for entry in Path(folder).iterdir():
                    with entry.open() as f:
                        yield json.load(f)
            """,
            confidence=Confidence.HIGH,
            because="reads a file found by `iterdir()`",
        ),
        Invalid(
            """
            import json
            from pathlib import Path
            def schemas():
                for entry in (Path(__file__).parent / "schemas").iterdir():
                    with entry.open() as f:
                        yield json.load(f)
            """,
            confidence=Confidence.LOW,
            because="reads a file of the package itself (found from `__file__`)",
        ),
    )

    reach = Reach.FUNCTION

    @classmethod
    def ast_places(cls, tree: ast.Module, settings: Settings) -> list[ast.AST]:
        """The calls that may be a parser `visit_Call` reports: `load` of anything, or
        `loads` (and the yaml functions) of what may be a whole read, after `.decode()` and
        the like, or of what may be a file (yaml)."""
        imports = names.Imports.of(tree)
        found: list[ast.AST] = []
        for call in names.calls_to(tree, _PARSERS.keys()):
            data = _tree_data(call)
            if not data or not _dotted(call.func):
                continue
            parsers = imports.meanings(call.func) & _PARSERS.keys()
            modes = {_PARSERS[p].mode for p in parsers} if not imports.star else set(_MODES)
            if (
                "stream" in modes
                or (
                    modes & {"text", "yaml"}
                    and any(
                        files.tree_may_be_whole_read(
                            tree, astindex.peel_methods(a, _SAME_SIZE), readlines=True
                        )
                        for a in data
                    )
                )
                or ("yaml" in modes and any(files.tree_may_be_file(tree, a) for a in data))
            ):
                found.append(call)
        return found

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        # `pickle.load` calls held back until every load of the same stream is known.
        self._pickle_loads: list[
            tuple[tuple[object, ...], cst.Call, str, _Parser, cst.BaseExpression]
        ] = []

    def visit_Call(self, node: cst.Call) -> None:
        # Shape first: only a plain `a.b` or `a` callee can be a module function.
        if not isinstance(node.func, (cst.Name, cst.Attribute)):
            return
        found = names.resolved(self, node.func) & _PARSERS.keys()
        if not found:
            return
        qualified = min(found)
        parser = _PARSERS[qualified]
        argument = _data_argument(node, parser.keywords)
        if argument is None:
            return
        if parser.mode == "stream":
            self._check_stream(node, qualified, parser, argument)
        else:
            self._check_value(node, qualified, parser, argument)

    def _check_stream(
        self, call: cst.Call, qualified: str, parser: _Parser, argument: cst.BaseExpression
    ) -> None:
        """`json.load(x)` reads the whole stream; `pickle.load(x)` reads one pickle of it."""
        if parser.family == "pickle":
            if self._in_loop_over_stream(call, argument):
                return
            key = self._stream_key(call, argument)
            if key is not None:
                # Reported when the module is done, unless another load reads the same stream.
                self._pickle_loads.append((key, call, qualified, parser, argument))
                return
        self._report_stream(call, qualified, parser, argument)

    def leave_Module(self, original_node: cst.Module) -> None:
        readers = Counter(key for key, *_ in self._pickle_loads)
        for key, call, qualified, parser, argument in self._pickle_loads:
            # Several loads on one stream read a file of several pickles, one at a time.
            if readers[key] == 1:
                self._report_stream(call, qualified, parser, argument)
        self._pickle_loads.clear()

    def _report_stream(
        self, call: cst.Call, qualified: str, parser: _Parser, argument: cst.BaseExpression
    ) -> None:
        what = "file" if files.file_object(self, argument) is not None else "stream"
        # Whatever the stream is, it is read to its end: how much that is, its provenance says.
        self._report(call, qualified, parser, argument, what, Confidence.HIGH, held=False)

    def _stream_key(self, call: cst.Call, argument: cst.BaseExpression) -> _StreamKey:
        if isinstance(argument, cst.Name):
            scope = self.get_metadata(ScopeProvider, argument, None)
            if scope is None:
                return None
            referents = frozenset(
                id(referent)
                for access in scope.accesses[argument]
                if access.node is argument
                for referent in access.referents
            )
            return ("name", referents) if referents else None
        chain = names.dotted(argument)
        if not isinstance(argument, cst.Attribute) or not chain:
            return None
        where = context.context_of(self, call)
        return ("attribute", id(where.class_ or where.function), chain)

    def _check_value(
        self, call: cst.Call, qualified: str, parser: _Parser, argument: cst.BaseExpression
    ) -> None:
        """`json.loads(<read>)`, `yaml.safe_load(<read or file>)`."""
        read = files.whole_read(self, _peel(argument))
        if read is not None:
            self._report(call, qualified, parser, argument, "file", read.confidence, held=True)
            return
        # A YAML stream argument is read whole; a string that is not a file read is not.
        evidence = files.file_object(self, argument) if parser.mode == "yaml" else None
        if evidence is not None:
            self._report(call, qualified, parser, argument, "file", evidence, held=False)

    def _in_loop_over_stream(self, call: cst.Call, argument: cst.BaseExpression) -> bool:
        """Whether `pickle.load(f)` runs in a loop on a stream opened outside it.

        Several pickles written one after another are read back so, one at a time.
        """
        loop = context.context_of(self, call).loop
        if loop is None or isinstance(argument, cst.Call):
            return False
        if not isinstance(argument, cst.Name):
            return True  # `self._file`: opened elsewhere
        found = bindings.name_bindings(self, argument)
        if found is None:
            return True  # bound in an enclosing function or the module
        return not any(
            any(outer.node is loop.node for outer in context.context_of(self, b.node).loops)
            for b in found.bindings
        )

    def _report(
        self,
        call: cst.Call,
        qualified: str,
        parser: _Parser,
        argument: cst.BaseExpression,
        what: str,
        evidence: Confidence | None,
        *,
        held: bool,
    ) -> None:
        shown = _shown(call, qualified, argument)
        # Unpickled objects are about the size of their pickle; parsed text is several times.
        pickled = parser.family == "pickle"
        verb, cost = ("unpickles", "") if pickled else ("parses", " (several times its size)")
        if held:
            message = (
                f"`{shown}` holds the whole file and {verb} it into one object, so memory "
                f"grows with the file{cost}"
            )
        else:
            message = (
                f"`{shown}` {verb} the whole {what} into one object, so memory grows with "
                f"the {what}{cost}"
            )
        self.report(
            call,
            message,
            suggestion=_SUGGESTIONS[parser.family],
            confidence=_confidence(evidence),
            provenance=provenance.of_source(self, argument),
        )
