"""What the editor offers on a finding: fix titles, `# noqa` edits, hover text, doc links."""

from __future__ import annotations

import functools
import io
import tokenize
from collections.abc import Sequence
from pathlib import Path

from memlint import registry
from memlint.diagnostics import Diagnostic, Edit
from memlint.fixes import LineIndex
from memlint.suppression import parse_suppressions

QUICKFIX = "quickfix"
FIX_ALL = "source.fixAll.memlint"
_DOCS = Path(__file__).resolve().parents[2] / "docs" / "rules"
_MULTILINE_SKIP = {tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT}


def requested(kind: str, only: Sequence[str] | None) -> bool:
    """Whether a client's `only` filter asks for actions of `kind` (kinds nest with dots)."""
    return not only or any(kind == wanted or kind.startswith(wanted + ".") for wanted in only)


def fix_title(diagnostic: Diagnostic) -> str:
    assert diagnostic.fix is not None
    fix = diagnostic.fix
    return f"{diagnostic.code}: {fix.message} ({fix.applicability.value} fix)"


def noqa_title(code: str) -> str:
    return f"{code}: Suppress with `# noqa: {code}`"


def noqa_edit(text: str, line: int, code: str) -> Edit | None:
    """The edit that suppresses `code` on 1-based `line`; None where a comment cannot go.

    A `# noqa: ...` already on the line gets the code appended; otherwise `  # noqa: CODE`
    goes at the end of the line, unless the line ends inside a string or with a backslash.
    """
    index = LineIndex(text)
    if not 1 <= line <= len(index.starts):
        return None
    existing = parse_suppressions(text).noqa.get(line)
    if existing is not None:
        if existing.codes is None or code in existing.codes:
            return None  # blanket, or already there: the finding would not be shown
        return Edit(line, existing.end_column, line, existing.end_column, f", {code}")
    start = index.starts[line - 1]
    end = index.starts[line] if line < len(index.starts) else len(text)
    content = text[start:end].rstrip("\r\n")
    kept = content.rstrip()
    if kept.endswith("\\") or _ends_in_token(text, line):
        return None
    return Edit(line, len(kept) + 1, line, len(content) + 1, f"  # noqa: {code}")


def _ends_in_token(text: str, line: int) -> bool:
    """Whether 1-based `line` ends inside a token that goes on (a triple-quoted string)."""
    # tokenize ends lines at "\n" only; one "\n" per line break keeps the rows.
    normalized = text.replace("\r\n", "\n").replace("\r", "\n")
    try:
        for token in tokenize.generate_tokens(io.StringIO(normalized).readline):
            if token.start[0] > line:
                return False
            if token.type not in _MULTILINE_SKIP and token.start[0] <= line < token.end[0]:
                return True
    except (tokenize.TokenError, SyntaxError):
        return True  # code tokenize cannot read: better no action than a broken line
    return False


@functools.lru_cache(maxsize=64)  # one entry per rule code
def doc_uri(code: str) -> str | None:
    """A link to the rule's page, where memlint runs from a checkout that has `docs/`."""
    page = _DOCS / f"{code}.md"
    return page.as_uri() if page.is_file() else None


def hover_markdown(diagnostic: Diagnostic) -> str:
    """The hover text of a finding: the rule, the message, the fix or suggestion, the docs."""
    rule = registry.catalog().get(diagnostic.code)
    title = f"**{diagnostic.code}** `{diagnostic.name}`"
    parts = [f"{title}: {rule.summary}" if rule else title, diagnostic.message]
    if diagnostic.fix is not None:
        fix = diagnostic.fix
        parts.append(f"Fix ({fix.applicability.value}): {fix.message}")
    elif diagnostic.suggestion:
        parts.append(f"Suggestion: {diagnostic.suggestion}")
    link = doc_uri(diagnostic.code)
    if link is not None:
        parts.append(f"[{diagnostic.code} documentation]({link})")
    else:
        parts.append(f"Documentation: `memlint explain {diagnostic.code}`")
    return "\n\n".join(parts)
