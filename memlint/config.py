"""Find and read `[tool.memlint]` (pyproject.toml) or memlint.toml into Settings, loudly."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from memlint import registry
from memlint.settings import DEFAULT_TARGET_VERSION, OptionError, Selection, Settings, parse_options

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python < 3.11 only
    import tomli as tomllib

CONFIG_FILES = ("pyproject.toml", "memlint.toml", ".memlint.toml")
_SELECTOR_KEYS = ("select", "ignore", "extend-select")
_REQUIRES = re.compile(r"(>=|~=|==|>)\s*3\.(\d+)")


class ConfigError(Exception):
    """Bad configuration: the message names the file, the key and what is accepted."""


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            data: dict[str, Any] = tomllib.load(handle)
            return data
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path}: invalid TOML: {err}") from None
    except OSError as err:
        raise ConfigError(f"{path}: cannot read: {err.strerror or err}") from None
    except UnicodeDecodeError as err:
        raise ConfigError(f"{path}: cannot decode as UTF-8: {err.reason}") from None


def _memlint_table(path: Path, data: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The memlint table of a config file: `[tool.memlint]` in pyproject, the top level else."""
    if path.name != "pyproject.toml":
        return data
    tool = data.get("tool")
    if not isinstance(tool, Mapping) or "memlint" not in tool:
        return None
    table = tool["memlint"]
    if not isinstance(table, Mapping):
        raise ConfigError(f"{path}: [tool.memlint] must be a table")
    return table


def find_config(start: Path) -> Path | None:
    """The nearest config file from `start` upwards: a pyproject.toml with [tool.memlint],
    else memlint.toml, else .memlint.toml, in the first folder that has one."""
    folder = start if start.is_dir() else start.parent
    for candidate_dir in (folder, *folder.parents):
        for name in CONFIG_FILES:
            candidate = candidate_dir / name
            if not candidate.is_file():
                continue
            if name != "pyproject.toml":
                return candidate
            if _memlint_table(candidate, _read_toml(candidate)) is not None:
                return candidate
    return None


def _infer_target(data: Mapping[str, Any]) -> str | None:
    """`py3X` from the lower bound of `project.requires-python`, when there is one."""
    project = data.get("project")
    requires = project.get("requires-python") if isinstance(project, Mapping) else None
    if not isinstance(requires, str):
        return None
    minors = [int(minor) for _, minor in _REQUIRES.findall(requires)]
    if not minors:
        return None
    return f"py3{min(max(min(minors), 8), 14)}"


def load_config(path: Path) -> Settings:
    """Settings from one config file; raises ConfigError naming the file and the key."""
    data = _read_toml(path)
    table = _memlint_table(path, data)
    where = f"{path}: [tool.memlint]" if path.name == "pyproject.toml" else str(path)
    try:
        values = parse_options(table or {})
    except OptionError as err:
        raise ConfigError(f"{where}: {err}") from None
    for key in _SELECTOR_KEYS:
        # The parsed value: a string such as "MEM201, MEM900" has been split into codes.
        _check_selectors(f"{where}: `{key}`", values.get(key.replace("-", "_")))
    for pattern, codes in values.get("per_file_ignores", ()):
        _check_selectors(f"{where}: `per-file-ignores` ({pattern!r})", codes)
    if "target_version" not in values:
        values["target_version"] = _infer_target(data) or DEFAULT_TARGET_VERSION
    return Settings(**values, root=str(path.parent), config_path=str(path))


def _check_selectors(where: str, value: Any) -> None:
    if value is None:
        return
    codes = [value] if isinstance(value, str) else list(value)
    try:
        registry.validate(str(code) for code in codes)
    except registry.SelectorError as err:
        raise ConfigError(f"{where}: {err}") from None


def common_start(paths: Sequence[str]) -> Path:
    """Where to look for configuration: the folder the given paths share, else the cwd."""
    real = [os.path.abspath(p) for p in paths if p != "-"]
    if not real:
        return Path.cwd()
    try:
        return Path(os.path.commonpath(real))
    except ValueError:
        return Path.cwd()


def resolve_settings(
    paths: Sequence[str],
    *,
    config_file: str | None = None,
    isolated: bool = False,
    cli_selection: Selection | None = None,
    target_version: str | None = None,
    min_confidence: str | None = None,
) -> Settings:
    """The run's Settings: defaults, then the config file, then the command line."""
    if config_file is not None and isolated:
        raise ConfigError("--config and --isolated cannot be used together")
    if config_file is not None:
        settings = load_config(Path(config_file))
    elif isolated:
        settings = Settings(root=os.getcwd())
    else:
        found = find_config(common_start(paths))
        settings = load_config(found) if found is not None else Settings(root=os.getcwd())
    if cli_selection is not None:
        for flag, value in (
            ("--select", cli_selection.select),
            ("--ignore", cli_selection.ignore),
            ("--extend-select", cli_selection.extend_select),
        ):
            _check_selectors(flag, value or ())
        settings = settings.replace(cli_selection=cli_selection)
    if target_version is not None:
        settings = settings.replace(target_version=target_version)
    if min_confidence is not None:
        settings = settings.replace(min_confidence=min_confidence)
    return settings
