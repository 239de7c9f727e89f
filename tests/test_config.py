"""Configuration: finding and reading config files, loud errors, and how they layer with flags."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from memlint.cli import main
from memlint.config import ConfigError, find_config, load_config, resolve_settings
from memlint.settings import DEFAULT_TARGET_VERSION, Selection, Settings

PROJECTS = Path(__file__).resolve().parent.parent / "fixtures" / "projects"

LRU = "from functools import lru_cache\n\n@lru_cache(maxsize=None)\ndef f(x):\n    return x\n"
MESSAGE = (
    "`functools.lru_cache(maxsize=None)` on `f` keeps every distinct argument and result "
    "for the life of the process"
)
UNUSED_NOQA = "x = 1  # noqa: MEM201\n"
CLEAN = "x = 1\n"


def runner() -> CliRunner:
    try:
        return CliRunner(mix_stderr=False)  # type: ignore[call-arg]
    except TypeError:
        return CliRunner()


def check(*args: str, input: bytes | None = None) -> Result:
    return runner().invoke(main, ["check", *args], input=input, catch_exceptions=False)


def write(path: Path | str, text: str) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8"))
    return path


def line(path: str, row: int = 3, column: int = 2, code: str = "MEM201", msg: str = MESSAGE) -> str:
    return f"{path.replace('/', os.sep)}:{row}:{column}: {code} {msg}\n"


def unused(path: str, row: int = 1) -> str:
    return line(path, row, 16, "MEM900", "Unused `noqa` directive for `MEM201`")


def here(*parts: str) -> str:
    """The absolute path memlint shows in config errors (it starts from the cwd's real path)."""
    return os.path.join(os.getcwd(), *parts)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The current directory, below a folder whose `.memlint.toml` shields it from /tmp's."""
    write(tmp_path / ".memlint.toml", "")
    root = tmp_path / "project"
    root.mkdir()
    monkeypatch.chdir(root)
    return root


def copy_project(name: str, target: Path) -> Path:
    destination = target / name
    shutil.copytree(PROJECTS / name, destination)
    return destination


# -- finding the config file --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("pyproject.toml", '[tool.memlint]\nignore = ["MEM201"]\n'),
        ("memlint.toml", 'ignore = ["MEM201"]\n'),
        (".memlint.toml", 'ignore = ["MEM201"]\n'),
    ],
)
def test_each_config_file_name_is_read(project: Path, name: str, text: str) -> None:
    write(name, text)
    write("pkg/a.py", LRU)
    result = check()
    assert (result.exit_code, result.stdout) == (0, "")


def test_config_is_found_from_a_subfolder(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write("pyproject.toml", '[tool.memlint]\nextend-select = ["MEM900"]\n')
    write("pkg/deep/a.py", UNUSED_NOQA)
    # From the root, naming the subfolder.
    assert check("pkg/deep").stdout == unused("pkg/deep/a.py")
    # From the subfolder itself.
    monkeypatch.chdir(project / "pkg" / "deep")
    assert check().stdout == unused("a.py")
    assert check("a.py").stdout == unused("a.py")


def test_nearest_config_wins(project: Path) -> None:
    write("pyproject.toml", '[tool.memlint]\nignore = ["MEM201"]\n')
    write("pkg/memlint.toml", "cache-maxsize = 50\n")
    write("pkg/a.py", LRU)
    write("b.py", LRU)
    result = check("--format", "json", "pkg")
    [item] = json.loads(result.stdout)
    assert item["fix"]["edits"][0]["content"] == "50"
    assert check("b.py").exit_code == 0


def test_pyproject_without_a_memlint_table_is_skipped_for_a_parents(project: Path) -> None:
    write("pyproject.toml", '[tool.memlint]\nignore = ["MEM201"]\n')
    write("pkg/pyproject.toml", '[project]\nname = "pkg"\n\n[tool.black]\nline-length = 100\n')
    write("pkg/a.py", LRU)
    assert check("pkg").exit_code == 0
    assert find_config(project / "pkg") == project / "pyproject.toml"


def test_pyproject_with_a_table_beats_memlint_toml_in_the_same_folder(project: Path) -> None:
    write("pyproject.toml", "[tool.memlint]\ncache-maxsize = 7\n")
    write("memlint.toml", "cache-maxsize = 8\n")
    assert find_config(project) == project / "pyproject.toml"
    assert load_config(project / "pyproject.toml").cache_maxsize == 7


def test_memlint_toml_beats_dot_memlint_toml(project: Path) -> None:
    write("memlint.toml", "cache-maxsize = 8\n")
    write(".memlint.toml", "cache-maxsize = 9\n")
    assert find_config(project) == project / "memlint.toml"


def test_an_empty_memlint_table_counts(project: Path) -> None:
    write("pyproject.toml", "[tool.memlint]\n")
    assert find_config(project / "sub") == project / "pyproject.toml"
    assert load_config(project / "pyproject.toml") == Settings(
        root=str(project), config_path=str(project / "pyproject.toml")
    )


def test_find_config_from_a_file_starts_in_its_folder(project: Path) -> None:
    write("pkg/memlint.toml", "")
    target = write(project / "pkg" / "a.py", LRU)
    assert find_config(target) == project / "pkg" / "memlint.toml"


def test_config_option_reads_that_file(project: Path) -> None:
    write("pyproject.toml", '[tool.memlint]\nignore = ["MEM201"]\n')
    write("elsewhere/custom.toml", 'extend-select = ["MEM900"]\n')
    write("a.py", LRU + UNUSED_NOQA)
    result = check("--config", "elsewhere/custom.toml")
    assert result.stdout == line("a.py") + unused("a.py", 6)
    assert result.exit_code == 1


def test_config_option_with_a_pyproject(project: Path) -> None:
    write("cfg/pyproject.toml", '[tool.memlint]\nignore = ["MEM201"]\n')
    write("a.py", LRU)
    assert check("--config", "cfg/pyproject.toml").exit_code == 0


def test_config_option_with_a_missing_file_exits_2(project: Path) -> None:
    write("a.py", LRU)
    result = check("--config", "missing.toml")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        "memlint: error: missing.toml: cannot read: No such file or directory\n"
    )


def test_config_and_isolated_together_exit_2(project: Path) -> None:
    write("memlint.toml", "")
    result = check("--config", "memlint.toml", "--isolated")
    assert result.exit_code == 2
    assert result.stderr == "memlint: error: --config and --isolated cannot be used together\n"


def test_isolated_ignores_config_files(project: Path) -> None:
    write("pyproject.toml", '[tool.memlint]\nignore = ["MEM201"]\nbogus = 1\n')
    write("a.py", LRU)
    result = check("--isolated")
    assert (result.exit_code, result.stdout) == (1, line("a.py"))


def test_isolated_still_takes_flags(project: Path) -> None:
    write("memlint.toml", "cache-maxsize = 50\n")
    write("a.py", LRU + UNUSED_NOQA)
    result = check("--isolated", "--extend-select", "MEM900", "--format", "json")
    items = json.loads(result.stdout)
    assert [i["code"] for i in items] == ["MEM201", "MEM900"]
    assert items[0]["fix"]["edits"][0]["content"] == "1024"


# -- rule options -------------------------------------------------------------------------------


def test_cache_maxsize_changes_the_fix(project: Path) -> None:
    write("pyproject.toml", "[tool.memlint]\ncache-maxsize = 50\n")
    write("a.py", LRU)
    [item] = json.loads(check("--format", "json").stdout)
    assert item["fix"] == {
        "applicability": "unsafe",
        "message": "Pass `maxsize=50`",
        "edits": [{"line": 3, "column": 20, "end_line": 3, "end_column": 24, "content": "50"}],
    }
    assert item["suggestion"] == "Pass `maxsize=50`"
    result = check("--diff", "--unsafe-fixes")
    assert "+@lru_cache(maxsize=50)\n" in result.stdout
    assert check("--fix", "--unsafe-fixes").exit_code == 0
    assert Path("a.py").read_text() == LRU.replace("maxsize=None", "maxsize=50")


def test_cache_maxsize_reaches_suggestions_too(project: Path) -> None:
    write("memlint.toml", "cache-maxsize = 64\n")
    write("a.py", "from cachetools import cached\n\n@cached(cache={})\ndef f(x):\n    return x\n")
    [item] = json.loads(check("--format", "json").stdout)
    assert item["suggestion"] == "Pass a bounded cache such as `cachetools.LRUCache(maxsize=64)`"


def test_every_rule_option_is_accepted(project: Path) -> None:
    write(
        "memlint.toml",
        "cache-maxsize = 1\nqueue-maxsize = 2\nfanout-threshold = 3\nallocation-threshold = 4\n",
    )
    settings = load_config(project / "memlint.toml")
    assert (
        settings.cache_maxsize,
        settings.queue_maxsize,
        settings.fanout_threshold,
        settings.allocation_threshold,
    ) == (1, 2, 3, 4)


# -- target-version -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("requires", "expected"),
    [
        (">=3.10", "py310"),
        (">= 3.11, <4", "py311"),
        ("~=3.12", "py312"),
        (">=3.8", "py38"),
        (">=3.7", "py38"),
        (">=2.7", DEFAULT_TARGET_VERSION),
    ],
)
def test_target_version_is_inferred_from_requires_python(
    project: Path, requires: str, expected: str
) -> None:
    write(
        "pyproject.toml",
        f'[project]\nname = "x"\nrequires-python = "{requires}"\n\n[tool.memlint]\n',
    )
    assert load_config(project / "pyproject.toml").target_version == expected


def test_explicit_target_version_beats_requires_python(project: Path) -> None:
    write(
        "pyproject.toml",
        '[project]\nrequires-python = ">=3.10"\n\n[tool.memlint]\ntarget-version = "py312"\n',
    )
    assert load_config(project / "pyproject.toml").target_version == "py312"


def test_target_version_defaults_without_requires_python(project: Path) -> None:
    write("pyproject.toml", "[tool.memlint]\n")
    assert load_config(project / "pyproject.toml").target_version == "py39"
    write("memlint.toml", "")
    assert load_config(project / "memlint.toml").target_version == "py39"


def test_target_version_flag_beats_config(project: Path) -> None:
    write("pyproject.toml", '[project]\nrequires-python = ">=3.10"\n\n[tool.memlint]\n')
    settings = resolve_settings(["."], target_version="py313")
    assert settings.target_version == "py313"
    assert resolve_settings(["."]).target_version == "py310"


def test_bad_target_version_flag_is_a_usage_error(project: Path) -> None:
    write("a.py", LRU)
    result = check("--target-version", "py27")
    assert result.exit_code == 2
    assert result.stdout == ""


# -- loud errors ----------------------------------------------------------------------------------

KNOWN_KEYS = (
    "select, ignore, extend-select, exclude, extend-exclude, per-file-ignores, target-version, "
    "cache-maxsize, queue-maxsize, fanout-threshold, allocation-threshold, min-confidence"
)


def test_unknown_key_in_pyproject_exits_2_naming_file_and_key(project: Path) -> None:
    write("pyproject.toml", "[tool.memlint]\ncache-max-size = 50\n")
    write("a.py", LRU)
    result = check()
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        f"memlint: error: {here('pyproject.toml')}: [tool.memlint]: unknown key "
        f"`cache-max-size`; known keys: {KNOWN_KEYS}\n"
    )


def test_unknown_key_in_memlint_toml_exits_2(project: Path) -> None:
    write("memlint.toml", "[tool.memlint]\nselect = []\n")
    write("a.py", LRU)
    result = check()
    assert result.exit_code == 2
    assert result.stderr == (
        f"memlint: error: {here('memlint.toml')}: unknown key `tool`; known keys: {KNOWN_KEYS}\n"
    )


def test_unknown_key_in_a_config_option_file_is_named_as_given(project: Path) -> None:
    write("cfg.toml", "colour = true\n")
    result = check("--config", "cfg.toml")
    assert result.exit_code == 2
    assert result.stderr == (
        f"memlint: error: cfg.toml: unknown key `colour`; known keys: {KNOWN_KEYS}\n"
    )


@pytest.mark.parametrize(
    ("toml", "error"),
    [
        ('cache-maxsize = "big"', "`cache-maxsize`: expected an integer >= 1, got 'big'"),
        ("cache-maxsize = 0", "`cache-maxsize`: expected an integer >= 1, got 0"),
        ("cache-maxsize = -5", "`cache-maxsize`: expected an integer >= 1, got -5"),
        ("cache-maxsize = 1.5", "`cache-maxsize`: expected an integer >= 1, got 1.5"),
        ("cache-maxsize = true", "`cache-maxsize`: expected an integer >= 1, got True"),
        ("queue-maxsize = []", "`queue-maxsize`: expected an integer >= 1, got []"),
        (
            'target-version = "py27"',
            "`target-version`: expected one of py38, py39, py310, py311, py312, py313, py314, "
            "got 'py27'",
        ),
        ("select = 5", "`select`: expected a list of codes or prefixes, got 5"),
        ("ignore = [1]", "`ignore`: expected a list of codes or prefixes, got [1]"),
        ('select = ["MEM999"]', "`select`: `MEM999` matches no memlint rule"),
        ('ignore = ["E501"]', "`ignore`: `E501` is not a code, a prefix such as `MEM2`, or `ALL`"),
        ('extend-select = ["MEM7"]', "`extend-select`: `MEM7` matches no memlint rule"),
        ('exclude = "build"', "`exclude`: expected a list of glob patterns, got 'build'"),
        (
            'extend-exclude = [""]',
            "`extend-exclude`: expected a list of non-empty strings, got ['']",
        ),
        (
            'per-file-ignores = ["tests/*"]',
            "`per-file-ignores`: expected a table of glob = [\"CODE\", ...], got ['tests/*']",
        ),
        (
            '[per-file-ignores]\n"tests/*" = ["MEM999"]',
            "`per-file-ignores` ('tests/*'): `MEM999` matches no memlint rule",
        ),
    ],
)
def test_bad_value_exits_2_naming_file_key_and_what_is_accepted(
    project: Path, toml: str, error: str
) -> None:
    write("memlint.toml", toml + "\n")
    write("a.py", LRU)
    result = check()
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == f"memlint: error: {here('memlint.toml')}: {error}\n"


def test_bad_value_in_pyproject_names_the_table(project: Path) -> None:
    write("pyproject.toml", "[tool.memlint]\ncache-maxsize = 0\n")
    result = check()
    assert result.exit_code == 2
    assert result.stderr == (
        f"memlint: error: {here('pyproject.toml')}: [tool.memlint]: `cache-maxsize`: "
        "expected an integer >= 1, got 0\n"
    )


def test_memlint_table_that_is_not_a_table_exits_2(project: Path) -> None:
    write("pyproject.toml", "[tool]\nmemlint = 1\n")
    result = check()
    assert result.exit_code == 2
    assert result.stderr == (
        f"memlint: error: {here('pyproject.toml')}: [tool.memlint] must be a table\n"
    )


def test_select_as_a_string_is_split_into_codes(project: Path) -> None:
    # settings._codes accepts "MEM201, MEM900" as well as a list.
    write("memlint.toml", 'select = "MEM201, mem900"\n')
    assert load_config(project / "memlint.toml").select == ("MEM201", "MEM900")
    write("a.py", LRU + UNUSED_NOQA)
    assert check().stdout == line("a.py") + unused("a.py", 6)


def test_cache_maxsize_as_a_numeric_string_is_accepted(project: Path) -> None:
    # _positive_int takes "50" (flake8 hands options over as strings); the TOML is read the same.
    write("memlint.toml", 'cache-maxsize = "50"\n')
    assert load_config(project / "memlint.toml").cache_maxsize == 50


def test_bad_toml_exits_2_naming_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = copy_project("config-bad-toml", tmp_path)
    monkeypatch.chdir(root)
    result = check()
    assert result.exit_code == 2
    assert result.stdout == ""
    prefix = f"memlint: error: {here('memlint.toml')}: invalid TOML: "
    assert result.stderr.startswith(prefix)
    assert result.stderr.endswith("\n")
    assert result.stderr.count("\n") == 1
    # Naming the folder from outside finds the same file.
    monkeypatch.chdir(tmp_path)
    assert check("config-bad-toml/pkg").stderr.startswith(prefix)
    # --isolated skips it.
    monkeypatch.chdir(root)
    assert check("--isolated").exit_code == 1


def test_bad_toml_in_an_unrelated_pyproject_on_the_way_up_exits_2(project: Path) -> None:
    write("pyproject.toml", "[project\n")
    write("a.py", LRU)
    result = check()
    assert result.exit_code == 2
    assert result.stderr.startswith(f"memlint: error: {here('pyproject.toml')}: invalid TOML: ")


def test_config_that_is_not_utf8_exits_2(project: Path) -> None:
    Path("memlint.toml").write_bytes(b'select = ["MEM201"]  # \xff\n')
    result = check()
    assert result.exit_code == 2
    assert result.stderr.startswith(f"memlint: error: {here('memlint.toml')}: ")


def test_load_config_raises_config_error(project: Path) -> None:
    write("memlint.toml", "nope = 1\n")
    with pytest.raises(ConfigError, match=r"memlint\.toml: unknown key `nope`"):
        load_config(project / "memlint.toml")


# -- selection: config layer, then command-line layer --------------------------------------------


@pytest.mark.parametrize(
    ("config", "args", "expected"),
    [
        # MEM201 is off, so its noqa cannot be proved unused.
        ('select = ["MEM900"]', [], ""),
        ('select = ["MEM900"]', ["--select", "MEM201"], "lru"),
        ('select = ["MEM900"]', ["--extend-select", "MEM201"], "both"),
        ('select = ["MEM201", "MEM900"]', ["--ignore", "MEM201"], ""),
        ('select = ["MEM201", "MEM900"]', ["--ignore", "MEM900"], "lru"),
        ('extend-select = ["MEM900"]', [], "both"),
        ('extend-select = ["MEM900"]', ["--ignore", "MEM9"], "lru"),
        ('ignore = ["MEM201"]', [], ""),
        ('ignore = ["MEM201"]', ["--extend-select", "MEM201"], "lru"),
        ('ignore = ["MEM201"]', ["--select", "ALL"], "both"),
        ('select = ["MEM201"]\nignore = ["MEM2"]', [], "lru"),
        ('select = ["MEM2"]\nignore = ["MEM201"]', [], ""),
        ('select = ["ALL"]\nignore = ["MEM201"]', [], ""),
        ('select = ["ALL"]', [], "both"),
        # The more specific selector wins: MEM900 over MEM9.
        ('select = ["MEM201", "MEM900"]\nignore = ["MEM9"]', [], "both"),
        ("select = []", [], ""),
    ],
)
def test_config_selection_then_cli_layers(
    project: Path, config: str, args: list[str], expected: str
) -> None:
    # Line 6 has a noqa for MEM201, reported by MEM900 only when MEM201 and MEM900 are both on.
    write("memlint.toml", config + "\n")
    write("a.py", LRU + UNUSED_NOQA)
    outputs = {
        "": "",
        "lru": line("a.py"),
        "both": line("a.py") + unused("a.py", 6),
    }
    result = check(*args)
    assert result.stdout == outputs[expected]
    assert result.exit_code == (1 if outputs[expected] else 0)


def test_mem900_alone_reports_nothing_for_a_disabled_rules_noqa(project: Path) -> None:
    write("memlint.toml", 'select = ["MEM900"]\n')
    write("a.py", UNUSED_NOQA + "y = 2  # noqa: MEM999\n")
    result = check()
    assert result.stdout == line(
        "a.py", 2, 16, "MEM900", "Unknown code `MEM999` in `noqa` directive"
    )


def test_resolve_settings_keeps_the_layers_apart(project: Path) -> None:
    write("memlint.toml", 'select = ["MEM900"]\nignore = ["MEM202"]\n')
    cli = Selection(select=("MEM201",))
    settings = resolve_settings(["."], cli_selection=cli)
    assert settings.selection_layers() == (Selection(("MEM900",), ("MEM202",), ()), cli)


# -- per-file-ignores -----------------------------------------------------------------------------


def test_per_file_ignores_relative_to_the_config_folder(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Not `tests/`: findings in test code are held back as low-confidence anyway.
    write("pyproject.toml", '[tool.memlint.per-file-ignores]\n"scripts/*" = ["MEM201"]\n')
    write("scripts/a.py", LRU)
    write("src/a.py", LRU)
    write("src/scripts/a.py", LRU)  # "scripts/*" is anchored: src/scripts is not scripts
    result = check()
    assert result.stdout == line("src/a.py") + line("src/scripts/a.py")
    # The same from inside scripts/, and from src/.
    monkeypatch.chdir(project / "scripts")
    assert check().exit_code == 0
    assert check("a.py").exit_code == 0
    monkeypatch.chdir(project / "src")
    assert check("../scripts").exit_code == 0
    assert check().stdout == line("a.py") + line("scripts/a.py")


def test_per_file_ignores_keeps_other_codes(project: Path) -> None:
    write(
        "pyproject.toml",
        '[tool.memlint]\nextend-select = ["MEM900"]\n\n'
        '[tool.memlint.per-file-ignores]\n"tests/**" = ["MEM201"]\n',
    )
    write("tests/deep/a.py", LRU + UNUSED_NOQA)
    result = check()
    # MEM201 is off for the file, so its noqa is not proved unused either.
    assert (result.exit_code, result.stdout) == (0, "")
    write("tests/deep/a.py", LRU + "y = 1  # noqa: MEM999\n")
    assert check().stdout == line(
        "tests/deep/a.py", 6, 16, "MEM900", "Unknown code `MEM999` in `noqa` directive"
    )


def test_per_file_ignores_apply_to_stdin_filename(project: Path) -> None:
    write("pyproject.toml", '[tool.memlint.per-file-ignores]\n"tests/*" = ["MEM201"]\n')
    result = check("--stdin-filename", "tests/x.py", input=LRU.encode())
    assert (result.exit_code, result.stdout) == (0, "")
    result = check("--stdin-filename", "src/x.py", input=LRU.encode())
    # The name is shown exactly as given, not normalised.
    assert result.stdout == f"src/x.py:3:2: MEM201 {MESSAGE}\n"


def test_stdin_filename_finds_the_config_from_its_folder(project: Path) -> None:
    write("pkg/memlint.toml", 'ignore = ["MEM201"]\n')
    assert check("--stdin-filename", "pkg/x.py", input=LRU.encode()).exit_code == 0
    assert check("--stdin-filename", "x.py", input=LRU.encode()).exit_code == 1


# -- exclude, extend-exclude, .gitignore ---------------------------------------------------------


def test_extend_exclude_from_config(project: Path) -> None:
    write("memlint.toml", 'extend-exclude = ["generated/", "*_pb2.py"]\n')
    write("generated/a.py", LRU)
    write("pkg/model_pb2.py", LRU)
    write("pkg/a.py", LRU)
    write("build/a.py", LRU)  # still excluded by default
    result = check()
    assert result.stdout == line("pkg/a.py")
    assert result.stderr == "Found 1 diagnostic in 1 file (1 with --fix --unsafe-fixes).\n"


def test_exclude_replaces_the_default_list(project: Path) -> None:
    write("memlint.toml", 'exclude = ["generated"]\n')
    write("generated/a.py", LRU)
    write("build/a.py", LRU)
    result = check()
    assert result.stdout == line("build/a.py")


def test_exclude_is_relative_to_the_config_folder(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write("memlint.toml", 'extend-exclude = ["pkg/gen/"]\n')
    write("pkg/gen/a.py", LRU)
    write("pkg/a.py", LRU)
    write("other/pkg/gen/a.py", LRU)
    assert check().stdout == line("other/pkg/gen/a.py") + line("pkg/a.py")
    monkeypatch.chdir(project / "pkg")
    assert check().stdout == line("a.py")


def test_explicit_files_are_analysed_even_if_excluded(project: Path) -> None:
    write("memlint.toml", 'extend-exclude = ["generated/", "skip_me.py"]\n')
    write("generated/a.py", LRU)
    write("skip_me.py", LRU)
    write(".venv/lib/a.py", LRU)
    assert check().exit_code == 0
    result = check("generated/a.py", "skip_me.py", ".venv/lib/a.py")
    assert result.stdout == (line("generated/a.py") + line("skip_me.py") + line(".venv/lib/a.py"))


def test_explicit_file_with_another_extension_is_analysed(project: Path) -> None:
    write("script", LRU)
    write("stub.pyi", LRU)
    write("notes.txt", LRU)
    assert check().stdout == line("stub.pyi")
    assert check("script").stdout == line("script")


def test_gitignored_files_are_skipped_when_walking(project: Path) -> None:
    (project / ".git").mkdir()
    write(".gitignore", "ignored/\n*_local.py\n")
    write("ignored/a.py", LRU)
    write("pkg/settings_local.py", LRU)
    write("pkg/a.py", LRU)
    result = check()
    assert result.stdout == line("pkg/a.py")
    # Walking the subfolder still honours the .gitignore above it.
    assert check("pkg").stdout == line("pkg/a.py")
    # Named explicitly, an ignored file is analysed.
    assert check("pkg/settings_local.py").stdout == line("pkg/settings_local.py")


def test_nested_gitignore(project: Path) -> None:
    write("pkg/.gitignore", "secret.py\n")
    write("pkg/secret.py", LRU)
    write("secret.py", LRU)
    assert check().stdout == line("secret.py")


# -- a whole project from fixtures/projects ------------------------------------------------------


def test_layered_config_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = copy_project("layered-config", tmp_path)
    monkeypatch.chdir(root)
    result = check("--format", "json")
    items = json.loads(result.stdout)
    # generated/ is excluded, tests/* has MEM201 ignored; tools/pyproject.toml has no
    # [tool.memlint], so the top pyproject.toml (cache-maxsize = 50) applies to tools/ too.
    assert [(i["path"], i["line"], i["code"]) for i in items] == [
        (os.path.join("src", "app.py"), 4, "MEM201"),
        (os.path.join("tools", "run.py"), 4, "MEM201"),
    ]
    assert {i["fix"]["edits"][0]["content"] for i in items} == {"50"}
    # From inside tools/ the same top-level config is found.
    monkeypatch.chdir(root / "tools")
    [item] = json.loads(check("--format", "json").stdout)
    assert (item["path"], item["fix"]["edits"][0]["content"]) == ("run.py", "50")
    # requires-python of the config's own pyproject sets target-version.
    assert load_config(root / "pyproject.toml").target_version == "py310"
    assert resolve_settings(["."]).config_path == str(root / "pyproject.toml")
    # The explicitly named excluded file is analysed.
    monkeypatch.chdir(root)
    assert check("generated/gen.py").stdout == line("generated/gen.py", 4)
