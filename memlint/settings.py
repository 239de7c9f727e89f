"""The one declaration of every option: key, CLI and flake8 flags, default, validator, help."""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Callable

from memlint.diagnostics import Confidence
from memlint.discovery import DEFAULT_EXCLUDE

TARGET_VERSIONS: tuple[str, ...] = tuple(f"py3{minor}" for minor in range(8, 15))
DEFAULT_TARGET_VERSION = "py39"


class OptionError(ValueError):
    """A value that an option does not accept; the text says what is accepted."""


@dataclass(frozen=True)
class OptionSpec:
    key: str  # the TOML key, kebab-case
    help: str
    accepts: str  # what values are accepted, in words (docs and error messages)
    parse: Callable[[Any], Any]
    cli: str | None = None  # the `memlint check` flag, if any
    flake8: bool = False  # offered to flake8 as --memlint-<key>
    rule_option: bool = False  # read by rules (listed under a rule's Options)
    # Applied to the findings when they are reported, never by the analysis: the result
    # cache is keyed without it, so one cache serves every value.
    report_only: bool = False


def _codes(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [part for part in re.split(r"[,\s]+", value) if part]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise OptionError(f"expected a list of codes or prefixes, got {value!r}")
    # Code validity needs the registry, which imports rules; config.py checks it.
    return tuple(v.strip().upper() for v in value)


def _globs(value: Any) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise OptionError(f"expected a list of glob patterns, got {value!r}")
    if not all(isinstance(v, str) and v for v in value):
        raise OptionError(f"expected a list of non-empty strings, got {value!r}")
    return tuple(value)


def _per_file_ignores(value: Any) -> tuple[tuple[str, tuple[str, ...]], ...]:
    if not isinstance(value, Mapping):
        raise OptionError(f'expected a table of glob = ["CODE", ...], got {value!r}')
    return tuple((str(glob), _codes(codes)) for glob, codes in value.items())


def _target_version(value: Any) -> str:
    if value not in TARGET_VERSIONS:
        raise OptionError(f"expected one of {', '.join(TARGET_VERSIONS)}, got {value!r}")
    return str(value)


def _positive_int(value: Any) -> int:
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise OptionError(f"expected an integer >= 1, got {value!r}")
    return value


def _confidence(value: Any) -> str:
    levels = ", ".join(level.value for level in reversed(Confidence))
    if isinstance(value, str) and value.strip().lower() in levels.split(", "):
        return value.strip().lower()
    raise OptionError(f"expected one of {levels}, got {value!r}")


def option(default: Any, **spec: Any) -> Any:
    return field(default=default, metadata={"option": OptionSpec(**spec)})


@dataclass(frozen=True)
class Selection:
    """One layer of rule selection (a config file, or the command line)."""

    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()


@dataclass(frozen=True)
class Settings:
    select: tuple[str, ...] | None = option(
        None,
        key="select",
        help="Codes or prefixes to enable (replaces the default set); `ALL` enables every "
        "rule, opt-in rules included.",
        accepts="a list of codes or prefixes (`MEM2`, `MEM201`) or `ALL`",
        parse=_codes,
        cli="--select",
    )
    ignore: tuple[str, ...] = option(
        (),
        key="ignore",
        help="Codes or prefixes to disable.",
        accepts="a list of codes or prefixes",
        parse=_codes,
        cli="--ignore",
    )
    extend_select: tuple[str, ...] = option(
        (),
        key="extend-select",
        help="Codes or prefixes to enable on top of the selected set (opt-in rules, `MEM900`).",
        accepts="a list of codes or prefixes",
        parse=_codes,
        cli="--extend-select",
    )
    exclude: tuple[str, ...] = option(
        DEFAULT_EXCLUDE,
        key="exclude",
        help="Gitignore-style patterns of paths to skip when walking folders (replaces the "
        "default list of junk folders).",
        accepts="a list of glob patterns",
        parse=_globs,
    )
    extend_exclude: tuple[str, ...] = option(
        (),
        key="extend-exclude",
        help="Patterns to skip on top of `exclude`.",
        accepts="a list of glob patterns",
        parse=_globs,
    )
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = option(
        (),
        key="per-file-ignores",
        help="A table from a gitignore-style pattern to the codes ignored in matching files.",
        accepts='a table of pattern = ["CODE", ...]',
        parse=_per_file_ignores,
    )
    target_version: str = option(
        DEFAULT_TARGET_VERSION,
        key="target-version",
        help="The oldest Python the code must run on; fixes never use newer features. "
        "Defaults to the lower bound of `project.requires-python`, else `py39`.",
        accepts=f"one of {', '.join(TARGET_VERSIONS)}",
        parse=_target_version,
        cli="--target-version",
        flake8=True,
    )
    cache_maxsize: int = option(
        1024,
        key="cache-maxsize",
        help="The bound that MEM201's fix gives a cache.",
        accepts="an integer >= 1",
        parse=_positive_int,
        flake8=True,
        rule_option=True,
    )
    queue_maxsize: int = option(
        1000,
        key="queue-maxsize",
        help="The bound that MEM202's fix gives a queue.",
        accepts="an integer >= 1",
        parse=_positive_int,
        flake8=True,
        rule_option=True,
    )
    fanout_threshold: int = option(
        64,
        key="fanout-threshold",
        help="Fan-out over a constant number of items up to this many (inclusive) is not "
        "flagged by MEM301, MEM302 and MEM303.",
        accepts="an integer >= 1",
        parse=_positive_int,
        flake8=True,
        rule_option=True,
    )
    allocation_threshold: int = option(
        100_000_000,
        key="allocation-threshold",
        help="MEM403 flags constant allocations of at least this many bytes.",
        accepts="an integer >= 1",
        parse=_positive_int,
        flake8=True,
        rule_option=True,
    )
    min_confidence: str = option(
        "medium",
        key="min-confidence",
        help="Report only findings of at least this confidence: `high` when the data is "
        "unbounded (a path from the command line, a download, an upload) or the pattern "
        "grows by itself, `low` when it is small by construction (a config file, a "
        "package's own data, test code), `medium` otherwise. The findings held back are "
        "counted in the summary and by `--statistics`.",
        accepts="one of low, medium, high",
        parse=_confidence,
        cli="--min-confidence",
        flake8=True,
        report_only=True,
    )

    # Not options: where the settings came from, and the command line's selection layer.
    root: str = "."
    config_path: str | None = None
    cli_selection: Selection | None = None

    @property
    def threshold(self) -> Confidence:
        """`min-confidence`: the lowest confidence reported."""
        return Confidence(self.min_confidence)

    @property
    def target(self) -> tuple[int, int]:
        return (3, int(self.target_version[3:]))

    def selection_layers(self) -> tuple[Selection, ...]:
        config = Selection(self.select, self.ignore, self.extend_select)
        if self.cli_selection is None:
            return (config,)
        return (config, self.cli_selection)

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)


@functools.lru_cache(maxsize=1)
def options() -> tuple[tuple[str, OptionSpec], ...]:
    """(attribute name, spec) for every option, in declaration order."""
    return tuple(
        (f.name, f.metadata["option"])
        for f in dataclasses.fields(Settings)
        if "option" in f.metadata
    )


def option_by_key(key: str) -> tuple[str, OptionSpec] | None:
    for name, spec in options():
        if spec.key == key:
            return name, spec
    return None


def parse_options(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Validate a table of TOML keys into Settings keyword arguments.

    Raises OptionError naming the key and what it accepts.
    """
    parsed: dict[str, Any] = {}
    for key, value in raw.items():
        found = option_by_key(key)
        if found is None:
            known = ", ".join(spec.key for _, spec in options())
            raise OptionError(f"unknown key `{key}`; known keys: {known}")
        name, spec = found
        try:
            parsed[name] = spec.parse(value)
        except OptionError as err:
            raise OptionError(f"`{key}`: {err}") from None
    return parsed


def for_the_cache(settings: Settings) -> Settings:
    """The settings with every report-only option at its default: what the analysis sees."""
    defaults = {name: getattr(Settings, name) for name, spec in options() if spec.report_only}
    return settings.replace(**defaults)


def rule_option_names() -> Sequence[str]:
    return tuple(name for name, spec in options() if spec.rule_option)
