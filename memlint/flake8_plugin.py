"""The flake8 plugin: a thin adapter from flake8's checker protocol to `engine.lint_source`."""

from __future__ import annotations

import argparse
import ast
import functools
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Callable, ClassVar

from memlint import __version__, engine, registry
from memlint.config import ConfigError, find_config, load_config
from memlint.diagnostics import Diagnostic
from memlint.settings import OptionError, OptionSpec, Selection, Settings, options

# Every rule runs and flake8's --select / --ignore / --extend-select / per-file-ignores decide
# what is shown. The two codes left out are not rules flake8 can use: flake8 reports a file
# it cannot parse as E999 (MEM000), and it applies noqa comments itself, so the plugin has
# no view of which suppressions were used (MEM900).
PLUGIN_SELECTION = Selection(
    select=("ALL",), ignore=(registry.PARSE_ERROR_CODE, registry.UNUSED_NOQA_CODE)
)

Result = tuple[int, int, str, type[Any]]


class MemlintPluginError(Exception):
    """Bad configuration or a crashed rule; flake8 shows `<file>: ... failed ... due to <repr>`."""

    def __repr__(self) -> str:
        # flake8 prints the exception's repr; the message alone reads better than the
        # class name wrapped around an escaped string.
        return str(self)


def flake8_options() -> tuple[tuple[str, OptionSpec], ...]:
    """(Settings attribute, spec) of every option offered to flake8, in declaration order."""
    return tuple((name, spec) for name, spec in options() if spec.flake8)


def _flag(spec: OptionSpec) -> str:
    return f"--memlint-{spec.key}"


def _dest(spec: OptionSpec) -> str:
    return f"memlint_{spec.key.replace('-', '_')}"


def _converter(spec: OptionSpec) -> Callable[[str], Any]:
    """An argparse `type` that validates with the option's own parser."""

    def convert(value: str) -> Any:
        try:
            return spec.parse(value)
        except OptionError as err:
            raise argparse.ArgumentTypeError(str(err)) from None

    convert.__name__ = spec.key
    return convert


@functools.lru_cache(maxsize=256)
def _config_settings(folder: str) -> Settings:
    """`[tool.memlint]` (or memlint.toml) nearest to `folder`, else the defaults."""
    found = find_config(Path(folder))
    if found is None:
        return Settings(root=os.getcwd())
    return load_config(found)


def settings_for(filename: str, overrides: Mapping[str, Any]) -> Settings:
    """The Settings for one file: its config file's options, then flake8's, selecting ALL.

    Selection and per-file ignores from the config file are dropped: flake8 has its own
    (`--select`, `--per-file-ignores`, `# noqa`), and filtering here would hide codes that
    flake8 was asked to show.
    """
    # flake8 names standard input `stdin` (or --stdin-display-name): its folder is the cwd.
    folder = os.path.dirname(os.path.abspath(filename))
    try:
        base = _config_settings(folder)
    except ConfigError as err:
        raise MemlintPluginError(f"bad configuration: {err}") from None
    return base.replace(
        select=None,
        ignore=(),
        extend_select=(),
        per_file_ignores=(),
        cli_selection=PLUGIN_SELECTION,
        **overrides,
    )


class MemlintChecker:
    """flake8 tree plugin `MEM`: runs every memlint rule on the source flake8 read."""

    name = "memlint"
    version = __version__
    # Options given to flake8 (command line or its config file), by Settings attribute.
    overrides: ClassVar[dict[str, Any]] = {}

    def __init__(self, tree: ast.AST, filename: str, lines: Sequence[str]) -> None:
        # `tree` is flake8's ast, taken only so flake8 runs this as a tree plugin (after its
        # own parse succeeded); memlint parses with libcst. `lines` is the source as flake8
        # decoded it, BOM removed, so standard input works too. The analysis runs here rather
        # than in run(): flake8 turns an exception raised here into a one-line error naming
        # the file, while one raised from run() would be a traceback.
        del tree
        settings = settings_for(filename, self.overrides)
        result = engine.lint_source("".join(lines), filename, settings, line_noqa=False)
        if result.errors:
            raise MemlintPluginError("; ".join(result.errors))
        # flake8 has no notion of confidence: `--memlint-min-confidence` (or
        # `min-confidence` in [tool.memlint]) decides here what it is shown.
        threshold = settings.threshold
        self.diagnostics: tuple[Diagnostic, ...] = tuple(
            d for d in result.diagnostics if d.confidence.at_least(threshold)
        )

    def run(self) -> Iterator[Result]:
        for d in self.diagnostics:
            # flake8 columns are 0-based; memlint's are 1-based (both count characters).
            yield d.line, d.column - 1, f"{d.code} {d.message}", type(self)

    @classmethod
    def add_options(cls, option_manager: Any) -> None:
        for _, spec in flake8_options():
            text = f"{spec.help} Accepts {spec.accepts}. Overrides `{spec.key}` in [tool.memlint]."
            option_manager.add_option(
                _flag(spec),
                default=None,
                type=_converter(spec),
                parse_from_config=True,
                metavar=spec.key.split("-")[-1].upper(),
                help=text.replace("%", "%%"),  # argparse formats help strings with %
            )
        # Opt-in rules are off unless flake8's --select / --extend-select names them, as in
        # `memlint check`. MEM000 and MEM900 are never yielded, so they need no entry.
        never_yielded = {registry.PARSE_ERROR_CODE, registry.UNUSED_NOQA_CODE}
        opt_in = sorted(registry.catalog().keys() - registry.default_codes())
        option_manager.extend_default_ignore([c for c in opt_in if c not in never_yielded])

    @classmethod
    def parse_options(cls, options: argparse.Namespace) -> None:
        # Values from flake8's config file pass through the same argparse `type` as the
        # command line (flake8 sets them as parser defaults), so they arrive validated.
        overrides = {}
        for name, spec in flake8_options():
            value = getattr(options, _dest(spec), None)
            if value is not None:
                overrides[name] = value
        cls.overrides = overrides
