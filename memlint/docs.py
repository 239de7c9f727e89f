"""Rule pages, the configuration reference and the rule index, generated from the code."""

from __future__ import annotations

import dataclasses
import inspect
import json
import re
from pathlib import Path
from typing import Any

from memlint import DOCS_URL, registry
from memlint.rule import Rule
from memlint.rules import ALL_RULES
from memlint.settings import OptionSpec, Settings, options

SECTIONS = (
    "What it does",
    "Why is this bad?",
    "Example",
    "Use instead",
    "Fix safety",
    "Options",
    "References",
)

RULES_DIR = Path("docs", "rules")
CONFIGURATION = Path("docs", "configuration.md")
INDEX = Path("docs", "index.md")
CATALOG = Path("memlint", "catalog.py")
MKDOCS = Path("mkdocs.yml")

# The site's hand-written pages (and configuration.md), by section of its navigation.
INTRODUCTION = (
    ("Getting started", "getting-started.md"),
    ("Why memory", "why-memory.md"),
)
GUIDES = (
    ("Configuration", "configuration.md"),
    ("Suppression", "suppression.md"),
    ("Fix safety", "fix-safety.md"),
    ("Output formats", "output.md"),
    ("Baselines", "baseline.md"),
    ("CI recipes", "ci.md"),
    ("Editors, flake8 and pre-commit", "editors.md"),
)
PROJECT = (
    ("Behaviour where the contract is silent", "decisions.md"),
    ("Writing a rule", "writing-a-rule.md"),
)

_FENCE = re.compile(r"^\s*```")
_PYTHON_BLOCK = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)

# Shown in configuration.md, and parsed by the tests so it stays valid.
EXAMPLE_TOML = """\
[tool.memlint]
extend-select = ["MEM900"]
extend-exclude = ["migrations/"]
target-version = "py310"
cache-maxsize = 256

[tool.memlint.per-file-ignores]
"tests/**" = ["MEM201"]
"""


# -- reading a rule's docstring -------------------------------------------------------------


def parse_sections(rule: type[Rule]) -> dict[str, str]:
    """The docstring's `## ` sections, title to body, in the order written.

    A `## ` line inside a fenced code block is text, not a heading. Text before the first
    heading is ignored.
    """
    if not rule.__doc__:
        raise ValueError(f"{rule.code} has no docstring")
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    fenced = False
    for line in inspect.cleandoc(rule.__doc__).splitlines():
        if _FENCE.match(line):
            fenced = not fenced
        if not fenced and line.startswith("## "):
            title = line[3:].strip()
            if title in sections:
                raise ValueError(f"{rule.code}: section `{title}` appears twice")
            current = sections[title] = []
        elif current is not None:
            current.append(line)
    return {title: "\n".join(body).strip() for title, body in sections.items()}


def code_blocks(section_text: str) -> list[str]:
    """The contents of the ```python fenced blocks in a section."""
    return list(_PYTHON_BLOCK.findall(section_text))


# -- values ----------------------------------------------------------------------------------


def _defaults() -> dict[str, Any]:
    return {f.name: f.default for f in dataclasses.fields(Settings)}


def _field_types() -> dict[str, str]:
    return {f.name: str(f.type) for f in dataclasses.fields(Settings)}


def _toml(value: Any, *, table: bool = False) -> str:
    """A default written as it would be in TOML; `table` for a tuple of (key, value) pairs."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"{value:_}" if abs(value) >= 10_000 else str(value)
    if isinstance(value, str):
        return json.dumps(value)
    if table:
        if not value:
            return "{}"
        pairs = ", ".join(f"{json.dumps(str(k))} = {_toml(v)}" for k, v in value)
        return f"{{ {pairs} }}"
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(_toml(item) for item in value) + "]"
    raise TypeError(f"no TOML form for {value!r}")


def _default_of(attr: str) -> str:
    """The default as inline markdown: TOML in backticks, or `not set`."""
    value = _defaults()[attr]
    if value is None:
        return "not set"
    # A table option is declared as a tuple of (pattern, codes) pairs.
    table = _field_types()[attr].startswith("tuple[tuple[")
    return f"`{_toml(value, table=table)}`"


def _spec(attr: str) -> OptionSpec:
    for name, spec in options():
        if name == attr:
            return spec
    raise KeyError(f"`{attr}` is not a memlint option")


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _default_label(rule: type[Rule]) -> str:
    return "on" if rule.default_enabled else "opt-in"


def _fix_label(rule: type[Rule]) -> str:
    """`available` for a fixable rule, with the applicabilities its tested cases show."""
    if not rule.fixable:
        return "none"
    kinds = registry.fix_kinds(rule)
    return "available" if kinds == "none" else f"available ({kinds})"


# -- pages -----------------------------------------------------------------------------------


def render_rule(rule: type[Rule]) -> str:
    """The page `docs/rules/<CODE>.md`: title, summary, metadata, docstring sections."""
    default = _default_label(rule)
    if not rule.default_enabled:
        default += f" (enable with `--extend-select {rule.code}`)"
    lines = [
        f"# {rule.code} {rule.name}",
        "",
        f"{rule.summary}.",
        "",
        f"- Default: {default}",
        f"- Fix: {_fix_label(rule)}",
        f"- Severity: {rule.severity.value}",
    ]
    if rule.options:
        described = []
        for attr in rule.options:
            key = _spec(attr).key
            described.append(f"[`{key}`](../configuration.md#{key}) (default {_default_of(attr)})")
        lines.append(f"- Options: {', '.join(described)}")
    lines.append("")
    for title, body in parse_sections(rule).items():
        lines += [f"## {title}", "", body, ""]
    lines += [
        "## Suppress",
        "",
        f"Add `# noqa: {rule.code}` to the reported line, or"
        f" `# memlint: disable-file={rule.code}` anywhere in the file to skip it there"
        " ([suppression](../suppression.md)).",
        "",
    ]
    return "\n".join(lines)


def _option_section(attr: str, spec: OptionSpec) -> list[str]:
    lines = [f"### {spec.key}", "", spec.help, "", f"- Accepts: {spec.accepts}"]
    lines.append(f"- Default: {_default_of(attr)}")
    if spec.cli:
        lines.append(f"- Command line: `{spec.cli}`")
    if spec.flake8:
        lines.append(f"- flake8: `--memlint-{spec.key}`")
    readers = [rule.code for rule in ALL_RULES if attr in rule.options]
    if readers:
        links = ", ".join(f"[{code}](rules/{code}.md)" for code in readers)
        lines.append(f"- Read by: {links}")
    return [*lines, ""]


def render_configuration() -> str:
    """The page `docs/configuration.md`: where settings come from, and every option."""
    cli = [f"`{spec.cli}`" for _, spec in options() if spec.cli]
    flags = ", ".join(cli[:-1]) + f" and {cli[-1]}" if len(cli) > 1 else "".join(cli)
    lines = [
        "# Configuration",
        "",
        "## Where memlint reads it",
        "",
        "memlint reads one configuration file. Starting from the folder that the paths"
        " given on the command line share (the current folder when none are given) and"
        " walking up, the first folder that holds one of these wins, checked in this order:",
        "",
        "1. `pyproject.toml` with a `[tool.memlint]` table (a `pyproject.toml` without one is"
        " skipped);",
        "2. `memlint.toml`, with the keys at the top level (no table header);",
        "3. `.memlint.toml`, likewise.",
        "",
        "- `--config FILE` reads that file instead of searching.",
        "- `--isolated` reads no configuration file at all (not with `--config`).",
        f"- {flags} on the command line apply on top of the file.",
        "- Under flake8, the options with a flake8 line below are also flake8 options,"
        " `--memlint-<key>`.",
        "",
        "An unknown key or a bad value is an error (exit code 2) that names the file, the key"
        " and what is accepted.",
        "",
        "## Example",
        "",
        "```toml",
        EXAMPLE_TOML.rstrip("\n"),
        "```",
        "",
        "## Options",
        "",
    ]
    for attr, spec in options():
        lines += _option_section(attr, spec)
    return "\n".join(lines)


def render_index() -> str:
    """The page `docs/index.md`: what memlint is, and a table of every rule."""
    lines = [
        "# memlint",
        "",
        "memlint finds Python code whose memory can grow without bound: whole-file reads,"
        " caches and queues with no size limit, unbounded concurrency fan-out, strings built"
        " up in loops, swallowed `MemoryError`s.",
        "",
        "",
        "It reads code, never runs it, and says where memory is unbounded, why it matters"
        " ([why memory](why-memory.md)), and how to bound it, with an autofix where a"
        " mechanical one exists. It runs on its own, as a flake8 plugin, in pre-commit and"
        " in CI, where it can feed code scanning (SARIF), annotate pull requests, and hold"
        " legacy code to a baseline.",
        "",
        *(f"- [{title}]({page})" for title, page in (*INTRODUCTION, *GUIDES, *PROJECT)),
        "",
        "## Rules",
        "",
        "| Code | Name | Summary | Default | Fix |",
        "|---|---|---|---|---|",
    ]
    for rule in ALL_RULES:
        cells = (
            f"[{rule.code}](rules/{rule.code}.md)",
            rule.name,
            _cell(rule.summary),
            _default_label(rule),
            _fix_label(rule),
        )
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    return "\n".join(lines)


def render_mkdocs() -> str:
    """`mkdocs.yml`: the site, with every rule page in its navigation."""
    lines = [
        "# Generated by scripts/gen_docs.py from memlint/docs.py: edit it there, then regenerate.",
        "site_name: memlint",
        "site_description: Find Python code whose memory can grow without bound",
        f"site_url: {DOCS_URL}",
        "docs_dir: docs",
        "theme:",
        "  name: mkdocs",
        "  navigation_depth: 3",
        "# A link to a page or an anchor that does not exist fails `mkdocs build --strict`.",
        "validation:",
        "  omitted_files: warn",
        "  absolute_links: warn",
        "  unrecognized_links: warn",
        "  anchors: warn",
        "markdown_extensions:",
        "  - toc:",
        "      permalink: true",
        "  - admonition",
        "nav:",
        "  - Home: index.md",
    ]
    lines += [f"  - {json.dumps(title)}: {page}" for title, page in INTRODUCTION]
    lines.append("  - Using memlint:")
    lines += [f"      - {json.dumps(title)}: {page}" for title, page in GUIDES]
    lines.append("  - Rules:")
    lines += [
        f"      - {json.dumps(f'{rule.code} {rule.name}')}: rules/{rule.code}.md"
        for rule in ALL_RULES
    ]
    lines.append("  - Project:")
    lines += [f"      - {json.dumps(title)}: {page}" for title, page in PROJECT]
    return "\n".join(lines) + "\n"


def explain(code_or_name: str) -> str | None:
    """What `memlint explain` prints: the rule's page, or None for an unknown rule."""
    rule = registry.rule_for(code_or_name)
    return render_rule(rule) if rule is not None else None


def render_catalog() -> str:
    """memlint/catalog.py: what selection and listings need, without importing any rule."""
    lines = [
        '"""Every rule\'s code, name, summary, default and fix kinds, without importing the rules.',
        "",
        "Selection, `memlint rules` and a run answered from the cache need only this, so they",
        "never import libcst (0.4 s). Generated by scripts/gen_docs.py; a test fails when stale.",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        "from typing import NamedTuple",
        "",
        "",
        "class RuleInfo(NamedTuple):",
        "    code: str",
        "    name: str",
        "    summary: str",
        "    default_enabled: bool",
        "    fix: str  # `none`, `safe`, `unsafe` or `safe, unsafe`",
        "    severity: str  # `warning` or `error`",
        "    why: str  # `Why is this bad?`, a line per paragraph (SARIF's fullDescription)",
        "",
        "",
        "RULES: tuple[RuleInfo, ...] = (",
    ]
    for rule in ALL_RULES:
        fields = (
            rule.code,
            rule.name,
            rule.summary,
            rule.default_enabled,
            registry.fix_kinds(rule),
        )
        lines.append("    RuleInfo(")
        lines += [f"        {json.dumps(value)}," for value in fields]
        lines.append(f"        {json.dumps(rule.severity.value)},")
        lines += _string_lines(_unwrapped(parse_sections(rule)["Why is this bad?"]))
        lines.append("    ),")
    lines.append(")")
    return (
        "\n".join(lines)
        .replace("        true,", "        True,")
        .replace("        false,", "        False,")
        + "\n"
    )


def _unwrapped(markdown: str) -> str:
    """Paragraphs joined into single lines: hard wraps are the docstring's, not the text's."""
    paragraphs = markdown.strip().split("\n\n")
    return "\n\n".join(" ".join(p.split()) for p in paragraphs)


def _string_lines(text: str, width: int = 76) -> list[str]:
    """`text` as a parenthesised run of string literals that fits the line length.

    Words are split at single spaces, so the pieces concatenate back to exactly `text`.
    """
    pieces: list[str] = []
    for number, paragraph in enumerate(text.split("\n\n")):
        current = "\n\n" if number else ""
        for word in paragraph.split(" "):
            if current.strip() and len(current) + len(word) + 1 > width:
                pieces.append(current + " ")
                current = word
            else:
                current = f"{current} {word}" if current.strip() else current + word
        pieces.append(current)
    if len(pieces) == 1:
        return [f"        {json.dumps(text, ensure_ascii=False)},"]
    literals = [f"            {json.dumps(piece, ensure_ascii=False)}" for piece in pieces]
    return ["        (", *literals, "        ),"]


# -- files -----------------------------------------------------------------------------------


def generated() -> dict[Path, str]:
    """Every generated file, as a path relative to the repository root, and its content."""
    files = {RULES_DIR / f"{rule.code}.md": render_rule(rule) for rule in ALL_RULES}
    files[CONFIGURATION] = render_configuration()
    files[INDEX] = render_index()
    files[CATALOG] = render_catalog()
    files[MKDOCS] = render_mkdocs()
    return files


def _orphans(root: Path) -> list[Path]:
    """Rule pages on disk for rules that no longer exist."""
    known = {f"{rule.code}.md" for rule in ALL_RULES}
    return sorted(path for path in (root / RULES_DIR).glob("MEM*.md") if path.name not in known)


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None


def stale(root: Path) -> list[Path]:
    """Generated files that are missing or differ from what the code says, and orphan pages."""
    found = [
        root / relative
        for relative, content in generated().items()
        if _read(root / relative) != content
    ]
    return sorted([*found, *_orphans(root)])


def write_all(root: Path) -> list[Path]:
    """Write every generated file under `root` and remove orphan rule pages.

    Returns the files that changed (written or removed).
    """
    changed: list[Path] = []
    for relative, content in generated().items():
        path = root / relative
        if _read(path) == content:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8", newline="\n") as handle:
            handle.write(content)
        changed.append(path)
    for orphan in _orphans(root):
        orphan.unlink()
        changed.append(orphan)
    return sorted(changed)
