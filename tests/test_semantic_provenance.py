"""memlint.semantic.provenance: where a finding's data comes from, and how sure that makes it."""

from __future__ import annotations

import ast
import textwrap
from dataclasses import dataclass, field

import libcst as cst
import libcst.matchers as m
import pytest
from libcst.metadata import MetadataWrapper, PositionProvider

from memlint.diagnostics import Confidence
from memlint.semantic import provenance
from memlint.semantic.provenance import Kind

BOUNDED, UNBOUNDED, UNKNOWN = Kind.BOUNDED, Kind.UNBOUNDED, Kind.UNKNOWN


@dataclass
class _Context:
    text: str
    tree: ast.Module | None
    memo: dict[str, object] = field(default_factory=dict)


class _Probe(cst.BatchableCSTVisitor):
    """Asks about the value of the last expression statement (or what a statement
    `probe(x)` is given), as a rule does when it reports."""

    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, context: _Context, data: bool) -> None:
        super().__init__()
        self.context = context
        self.data = data
        self.last: cst.BaseExpression | None = None
        self.marked = False
        self.answer: provenance.Provenance | None = None

    def visit_Expr(self, node: cst.Expr) -> None:
        if self.marked:
            return
        value = node.value
        if m.matches(value, m.Call(func=m.Name("probe"), args=[m.Arg()])):
            assert isinstance(value, cst.Call)
            self.marked = True
            value = value.args[0].value
        self.last = value

    def leave_Module(self, original_node: cst.Module) -> None:
        assert self.last is not None, "the snippet needs an expression statement to ask about"
        self.answer = provenance.of_source(self, self.last, data=self.data)


def source(code: str, *, data: bool = False, tree: bool = True) -> provenance.Provenance:
    text = textwrap.dedent(code)
    probe = _Probe(_Context(text, ast.parse(text) if tree else None), data)
    MetadataWrapper(cst.parse_module(text)).visit_batched([probe])
    assert probe.answer is not None
    return probe.answer


def kind(code: str, *, data: bool = False) -> Kind:
    return source(code, data=data).kind


# -- the verdict and its confidence ------------------------------------------------------------


def test_each_kind_caps_the_confidence() -> None:
    assert provenance.bounded("x").confidence is Confidence.LOW
    assert provenance.UNKNOWN.confidence is Confidence.MEDIUM
    assert provenance.unbounded("x").confidence is Confidence.HIGH


# -- literal file names ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "pyvenv.cfg",
        "setup.cfg",
        "tox.ini",
        "pyproject.toml",
        "nginx.conf",
        "site.pth",
        ".env",
        "setup.py",
        "requirements.txt",
        "requirements-dev.txt",
        "VERSION",
        "PKG-INFO",
        "/proc/meminfo",
        "/proc/self/status",
        "/etc/hosts",
        "/sys/fs/cgroup/memory.max",
    ],
)
def test_config_metadata_and_system_files_are_bounded(name: str) -> None:
    assert kind(f"open({name!r})") is BOUNDED


@pytest.mark.parametrize(
    "name",
    ["data.json", "export.csv", "config.json", "settings.yaml", "/var/log/syslog", "etc/hosts"],
)
def test_data_files_are_not_bounded_by_their_name(name: str) -> None:
    # A `.json` file is data, whatever it is called; `etc/hosts` is relative to anywhere.
    assert kind(f"open({name!r})") is UNKNOWN


def test_the_reason_names_the_file() -> None:
    assert source("open('pyvenv.cfg')").reason == "reads `pyvenv.cfg`, a small config file"
    assert source("open('/proc/meminfo')").reason == "reads `/proc/meminfo`, a small system file"


def test_the_written_end_of_a_path_decides() -> None:
    assert kind("import os\nos.path.join(root, 'setup.cfg')") is BOUNDED
    assert kind("from pathlib import Path\nPath(root) / 'conf' / 'app.toml'") is BOUNDED
    assert kind("f'{root}/pyproject.toml'") is BOUNDED
    assert kind("root + '/tox.ini'") is BOUNDED
    assert kind("'%s/setup.cfg' % root") is BOUNDED
    assert kind("from pathlib import Path\nPath(p).with_suffix('.ini')") is BOUNDED
    # Only the end of the name is written: its extension decides, not a guess at the rest.
    assert kind("f'{name}.cfg'") is BOUNDED
    assert kind("f'{name}.txt'") is UNKNOWN
    assert kind("f'requirements-{env}.txt'") is UNKNOWN


def test_a_config_file_names_no_folder() -> None:
    # The folder of a config file holds anything.
    assert kind("import os\nos.path.join(os.path.dirname('setup.cfg'), name)") is UNKNOWN


# -- the package's own files -------------------------------------------------------------------


@pytest.mark.parametrize(
    "code",
    [
        "open(__file__)",
        "import os\nopen(os.path.join(os.path.dirname(__file__), 'data', 'words.txt'))",
        "from pathlib import Path\nPath(__file__).resolve().parent / 'table.bin'",
        "from pathlib import Path\nPath(__file__).parent.joinpath(name)",
        "import importlib.resources\nimportlib.resources.files('pkg') / 'schema.json'",
        "from importlib import resources\nresources.open_binary('pkg', 'x.bin')",
        "import pkgutil\npkgutil.get_data(__name__, 'x.bin')",
        "import pkg_resources\npkg_resources.resource_stream('pkg', 'x.bin')",
        "from pathlib import Path\nfor p in Path(__file__).parent.iterdir():\n    p",
    ],
)
def test_the_package_s_own_files_are_bounded(code: str) -> None:
    assert kind(code) is BOUNDED


def test_a_file_named_like_the_package_s_is_not_the_package_s() -> None:
    assert kind("import os\nopen(os.path.join(os.getcwd(), 'words.txt'))") is UNKNOWN
    assert kind("def files(x):\n    return x\nfiles('pkg') / 'schema.json'") is UNKNOWN
    # A `__file__` of your own is any path.
    assert kind("__file__ = input()\nopen(__file__)") is UNBOUNDED


# -- sources from outside ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("import sys\nopen(sys.argv[1])", "reads a path given on the command line (`sys.argv`)"),
        ("from sys import argv as a\nopen(a[-1])", "reads a path given on the command line"),
        ("import sys\nsys.stdin", "reads standard input"),
        ("import sys\nsys.stdin.buffer", "reads standard input"),
        ("import fileinput\nfileinput.input()", "reads standard input"),
        ("open(input('file? '))", "reads a path typed at `input()`"),
        ("import glob\nfor p in glob.glob('*.log'):\n    p", "reads a file found by `glob()`"),
        ("from pathlib import Path\nfor p in Path(d).rglob('*'):\n    p", "found by `rglob()`"),
        ("import os\nfor name in os.listdir(d):\n    name", "found by `os.listdir()`"),
        ("import tempfile\ntempfile.NamedTemporaryFile()", "reads a temporary file"),
        ("from urllib.request import urlretrieve\nf, _ = urlretrieve(u)\nf", "a download"),
        ("from urllib.request import urlopen\nurlopen(u)", "reads an HTTP response"),
        ("import requests\nrequests.get(u).content", "reads an HTTP response"),
        ("import requests\ns = requests.Session()\ns.get(u).raw", "reads an HTTP response"),
        ("from flask import request\nrequest.files['f']", "reads an upload from a web request"),
    ],
)
def test_sources_from_outside_are_unbounded(code: str, reason: str) -> None:
    found = source(code)
    assert found.kind is UNBOUNDED
    assert reason in found.reason


def test_a_name_of_your_own_is_not_the_standard_one() -> None:
    assert kind("argv = ['x']\nopen(argv[0])") is UNKNOWN
    assert kind("def input(p):\n    return p\nopen(input('x'))") is UNKNOWN
    assert kind("import sys\ndef f(sys):\n    open(sys.argv[1])\n    sys.argv") is UNKNOWN


def test_walking_a_folder_reaches_its_files() -> None:
    code = """
        import os
        for root, dirs, names in os.walk(top):
            for name in names:
                os.path.join(root, name)
        """
    assert source(code).reason == "reads a file found by `os.walk()`"


def test_argparse_results_are_unbounded_through_calls() -> None:
    code = """
        import argparse
        def main():
            parser = argparse.ArgumentParser()
            args = parser.parse_args()
            run(args.src, 2)
        def run(target, times):
            return load(target)
        def load(where):
            where
        """
    assert source(code).reason == "reads a path given on the command line (`argparse`)"


def test_click_and_request_parameters_are_unbounded() -> None:
    click = """
        import click
        @click.command()
        @click.option("--src")
        def main(src):
            src
        """
    assert source(click).reason == "reads a path given on the command line (`click`)"
    upload = """
        from fastapi import UploadFile
        def receive(blob: UploadFile):
            blob.file
        """
    assert source(upload).reason == "reads an upload from a web request"
    assert kind("def view(request):\n    request.body") is UNBOUNDED


# -- parameters --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("path", True),
        ("json_file", True),
        ("inputFile", True),
        ("fp", True),
        ("payload", True),
        ("dump", True),
        ("filename", True),
        ("config_path", False),
        ("settings_file", False),
        ("version_file", False),
        ("pth_file", False),
        ("name", False),
        ("key", False),
    ],
)
def test_names_that_say_data(name: str, says: bool) -> None:
    assert provenance.says_data(name) is says


def test_public_parameters_named_for_data_are_unbounded() -> None:
    found = source("def load(path):\n    path")
    assert found.kind is UNBOUNDED
    assert found.reason == "reads `path`, a parameter of public `load()` named for data"
    assert source("class Store:\n    def load(self, fp):\n        fp").reason.endswith(
        "a parameter of public `Store.load()` named for data"
    )


@pytest.mark.parametrize(
    "code",
    [
        "def load(config_path):\n    config_path",  # says config: no proof either way
        "def load(name):\n    name",  # says nothing
        "def read_config(path):\n    path",  # the function's name says configuration
        "class PyEnvCfg:\n    def load(self, path):\n        path",  # so does the class's
        "def _load(path):\n    path",  # private: its callers decide, and there are none
        "class _Store:\n    def load(self, path):\n        path",  # a private class's
        "def outer():\n    def load(path):\n        path",  # nested: not public
    ],
)
def test_other_parameters_are_unknown(code: str) -> None:
    assert kind(code) is UNKNOWN


def test_a_private_function_takes_what_its_callers_pass() -> None:
    bounded = """
        def _read(path):
            probe(path)
        def a():
            _read("setup.cfg")
        def b():
            _read(path="tox.ini")
        """
    assert kind(bounded) is BOUNDED
    mixed = textwrap.dedent(bounded) + "def c(x):\n    _read(x)\n"
    assert kind(mixed) is UNKNOWN
    default = "def _read(path='pyproject.toml'):\n    probe(path)\ndef a():\n    _read()\n"
    assert kind(default) is BOUNDED
    starred = "def _read(path):\n    probe(path)\ndef a(args):\n    _read(*args)\n"
    assert kind(starred) is UNKNOWN


def test_a_public_function_called_with_argv_is_unbounded() -> None:
    code = "import sys\ndef count(name):\n    probe(name)\ndef main():\n    count(sys.argv[1])\n"
    assert source(code).reason == "reads a path given on the command line (`sys.argv`)"


def test_methods_are_followed_through_self_and_the_constructor() -> None:
    code = """
        import sys
        class _Job:
            def __init__(self, where):
                self.where = where
            def run(self):
                probe(self.where)
        _Job(sys.argv[1])
        """
    assert kind(code) is UNBOUNDED
    bounded = code.replace("sys.argv[1]", "'setup.cfg'")
    assert kind(bounded) is BOUNDED


def test_following_is_cut_where_a_value_comes_round_again() -> None:
    code = """
        def _a(p):
            return _b(p)
        def _b(p):
            return _a(p)
        def _c(p):
            p = p + 1
            p
        """
    assert kind(code) is UNKNOWN
    assert kind("def _a(p):\n    _a(p)\n    p") is UNKNOWN


# -- data ---------------------------------------------------------------------------------------


def test_data_written_in_the_code_is_bounded_only_as_data() -> None:
    assert kind("BLOB = b'x'\nBLOB", data=True) is BOUNDED
    assert kind("import base64\nbase64.b64decode('eJw=')", data=True) is BOUNDED
    assert kind("BLOB = load()\nBLOB", data=True) is UNKNOWN
    # As a path, a literal is a file name.
    assert kind("'blob.bin'") is UNKNOWN


def test_data_read_from_a_stream_comes_from_the_stream() -> None:
    code = "import sys\nwith open(sys.argv[1], 'rb') as f:\n    f.read()"
    assert kind(code, data=True) is UNBOUNDED
    assert kind("with open('setup.cfg') as f:\n    data = f.read()\ndata", data=True) is BOUNDED


# -- where CPython's tree and libcst's positions meet -------------------------------------------


def test_columns_are_matched_in_characters_not_bytes() -> None:
    code = "import sys\nx = 'ééé'; probe((open(sys.argv[1])))"
    assert kind(code) is UNBOUNDED
    assert kind("x = 'ééé'; probe('setup.cfg')") is BOUNDED


def test_without_cpython_s_tree_nothing_is_known() -> None:
    assert source("import sys\nsys.argv", tree=False).kind is UNKNOWN


# -- test code and build scripts ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("tests/test_io.py", "in test code, which runs on small inputs"),
        ("pkg/tests/helpers.py", "in test code, which runs on small inputs"),
        ("Lib/test/support/os_helper.py", "in test code, which runs on small inputs"),
        ("test_io.py", "in test code, which runs on small inputs"),
        ("pkg/io_test.py", "in test code, which runs on small inputs"),
        ("conftest.py", "in test code, which runs on small inputs"),
        ("setup.py", "in `setup.py`, which runs once at build time"),
        ("pkg/io.py", None),
        ("pkg/testing/utils.py", None),  # a library's testing helpers are shipped code
        ("pkg/contest.py", None),
        ("pkg/test_data.json", None),
    ],
)
def test_scaffolding(path: str, reason: str | None) -> None:
    found = provenance.scaffolding(path, "/nowhere")
    assert (found.reason if found is not None else None) == reason


def test_scaffolding_reads_paths_from_the_project_root(tmp_path: object) -> None:
    root = "/home/ci/tests/project"
    # The project itself lives in a folder called `tests`: its code is not test code...
    assert provenance.scaffolding(f"{root}/src/app.py", root) is None
    # ... but its own tests are.
    assert provenance.scaffolding(f"{root}/tests/test_app.py", root) is not None
    # A path outside the root is read as given.
    assert provenance.scaffolding("/usr/lib/python3/test/test_os.py", root) is not None
