"""Parse `# noqa` / `# memlint: disable-file` comments, filter diagnostics, report stale noqa."""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from memlint.diagnostics import Applicability, Confidence, Diagnostic, Edit, Fix, Severity

PARSE_ERROR_CODE = "MEM000"
UNUSED_NOQA_CODE = "MEM900"
UNUSED_NOQA_NAME = "unused-noqa"
BLANKET = "*"

# The negative lookahead stops `MEM201abc` from being read as `MEM201` followed by free text.
_CODE = r"[A-Z]+[0-9]+(?![A-Za-z0-9_])"
_CODE_RE = re.compile(_CODE)
# Only `noqa` is case-insensitive: codes stay upper-case so free text such as `py3 compat` after
# the colon is not mistaken for a code. A word such as `noqas` is not a directive.
_NOQA_RE = re.compile(
    rf"#\s*(?i:noqa)(?![A-Za-z0-9_])(?:\s*:\s*(?P<codes>{_CODE}(?:[\s,]+{_CODE})*))?"
)
_DISABLE_RE = re.compile(
    r"#\s*memlint:\s*disable-file(?![\w-])"
    rf"(?:\s*(?P<eq>=)\s*(?P<codes>{_CODE}(?:\s*,\s*{_CODE})*)?)?"
)
_QUICK_RE = re.compile(r"(?i:noqa)|memlint:")
# str.splitlines would also break on \x0b, \x0c, \u2028..., which Python source does not.
_LINE_BREAK_RE = re.compile(r"\r\n|\r|\n")
# A trailing comma belongs to the code list, so it is not kept as free text.
_LIST_TAIL_RE = re.compile(r"[\s,]*")

_Span = tuple[str, int, int]
_Removal = tuple[int, int, str]
_Problem = Literal["unused", "unknown"]


@dataclass(frozen=True)
class Noqa:
    """One `noqa` directive; columns are 1-based characters, end columns exclusive."""

    line: int
    # Column of the `#` that introduces the directive.
    column: int
    # End of `noqa` or of its last code; trailing free text is not part of the directive.
    end_column: int
    # None means a blanket `noqa`.
    codes: frozenset[str] | None
    code_spans: tuple[_Span, ...]
    # (column, end_column, replacement) deleting the whole directive while keeping other comment
    # text; recorded at parse time because removing the preceding whitespace needs the line text.
    # None (e.g. when built by hand) means only [column, end_column) is deleted.
    removal: _Removal | None = None


@dataclass(frozen=True)
class Suppressions:
    noqa: Mapping[int, Noqa] = field(default_factory=lambda: MappingProxyType({}))
    disable_all: bool = False
    disabled_codes: frozenset[str] = frozenset()

    def is_empty(self) -> bool:
        return not self.noqa and not self.disable_all and not self.disabled_codes


_EMPTY = Suppressions()


def parse_suppressions(text: str) -> Suppressions:
    """Scan comments for `noqa` and `memlint: disable-file` directives.

    Cheap exit: if neither 'noqa' (case-insensitive) nor 'memlint:' occurs in text, return an
    empty Suppressions without tokenizing.
    """
    if _QUICK_RE.search(text) is None:
        return _EMPTY
    lines = _LINE_BREAK_RE.split(text)
    noqa: dict[int, Noqa] = {}
    disable_all = False
    disabled: set[str] = set()
    for row, col in _comment_starts(text, lines):
        line = lines[row - 1]
        comment = line[col:]
        for match in _DISABLE_RE.finditer(comment):
            codes = match.group("codes")
            if codes is not None:
                disabled.update(_CODE_RE.findall(codes))
            elif match.group("eq") is None:
                disable_all = True
            # `disable-file=` without a valid code is ignored: reading it as "all" would hide
            # far more than the author asked for.
        if row in noqa:
            continue
        directive = _parse_noqa(row, line, col)
        if directive is not None:
            noqa[row] = directive
    return Suppressions(
        noqa=MappingProxyType(noqa), disable_all=disable_all, disabled_codes=frozenset(disabled)
    )


def _comment_starts(text: str, lines: list[str]) -> list[tuple[int, int]]:
    """(1-based row, 0-based column) of each comment, so `noqa` inside strings is ignored."""
    # tokenize does not treat a lone "\r" as a line end; one "\n" per break keeps rows and columns.
    normalized = text.replace("\r\n", "\n").replace("\r", "\n")
    try:
        return [
            token.start
            for token in tokenize.generate_tokens(io.StringIO(normalized).readline)
            if token.type == tokenize.COMMENT
        ]
    except (tokenize.TokenError, SyntaxError):
        # Broken source (unterminated string, bad dedent, ...): a textual scan is the best we
        # can do, and it still requires the `#`.
        return [(row, line.find("#")) for row, line in enumerate(lines, start=1) if "#" in line]


def _parse_noqa(row: int, line: str, col: int) -> Noqa | None:
    comment = line[col:]
    match = _NOQA_RE.search(comment)
    if match is None:
        return None
    spans: tuple[_Span, ...] = ()
    codes_text = match.group("codes")
    if codes_text is not None:
        base = col + match.start("codes") + 1
        spans = tuple(
            (code.group(), base + code.start(), base + code.end())
            for code in _CODE_RE.finditer(codes_text)
        )
    codes = frozenset(code for code, _, _ in spans) if spans else None
    start = col + match.start()
    end = col + match.end()
    return Noqa(
        line=row,
        column=start + 1,
        end_column=end + 1,
        codes=codes,
        code_spans=spans,
        removal=_directive_removal(line, col, start, end),
    )


def _directive_removal(line: str, comment_col: int, start: int, end: int) -> _Removal:
    """Edit deleting the directive at line[start:end] (0-based), as 1-based columns."""
    free_text = _LIST_TAIL_RE.match(line, end)
    free_start = free_text.end() if free_text is not None else end
    if free_start < len(line):
        # Keep the explanation as an ordinary comment, `x  # why`, rather than dropping it;
        # when it is a comment already (`# noqa: MEM201  # why`), it needs no second `#`.
        if line[free_start] == "#":
            return (start + 1, free_start + 1, "")
        return (start + 1, free_start + 1, "# ")
    cut = start
    if line[comment_col:start].strip("#" + " \t\x0c") == "":
        # Nothing but `#`s before the directive: the whole comment goes.
        cut = comment_col
    cut = len(line[:cut].rstrip())
    return (cut + 1, len(line) + 1, "")


def apply_suppressions(
    diagnostics: Sequence[Diagnostic], sup: Suppressions
) -> tuple[list[Diagnostic], set[tuple[int, str]]]:
    """Return (kept diagnostics in input order, used).

    `used` holds (line, code) for each noqa code that suppressed something, and (line, '*') for
    a blanket noqa that did.
    """
    used: set[tuple[int, str]] = set()
    if sup.is_empty():
        return list(diagnostics), used
    kept: list[Diagnostic] = []
    for diagnostic in diagnostics:
        # Line directives first, so one that matches is recorded as used even when a file-level
        # directive would also have hidden the diagnostic.
        if _suppressed_by_noqa(diagnostic, sup.noqa.get(diagnostic.line), used):
            continue
        if _suppressed_by_file(diagnostic, sup):
            continue
        kept.append(diagnostic)
    return kept, used


def _suppressed_by_noqa(
    diagnostic: Diagnostic, noqa: Noqa | None, used: set[tuple[int, str]]
) -> bool:
    if noqa is None:
        return False
    if noqa.codes is None:
        # A parse error means nothing else was checked; a blanket noqa must not hide that.
        if diagnostic.code == PARSE_ERROR_CODE:
            return False
        used.add((diagnostic.line, BLANKET))
        return True
    # Exact codes only: unlike flake8, `MEM2` does not act as a prefix covering `MEM201`.
    if diagnostic.code not in noqa.codes:
        return False
    used.add((diagnostic.line, diagnostic.code))
    return True


def _suppressed_by_file(diagnostic: Diagnostic, sup: Suppressions) -> bool:
    if diagnostic.code in sup.disabled_codes:
        return True
    # Same rule as a blanket noqa: only an explicit MEM000 hides a parse error.
    return sup.disable_all and diagnostic.code != PARSE_ERROR_CODE


def unused_noqa(
    sup: Suppressions,
    used: set[tuple[int, str]],
    *,
    path: str,
    known_codes: Collection[str],
    enabled_codes: Collection[str],
) -> list[Diagnostic]:
    """MEM900 diagnostics, one per unused or unknown `MEM` code in a `noqa`, in line order.

    Codes of other tools, known codes that are not enabled, codes disabled for the whole file
    and blanket directives are never reported. A `noqa` listing MEM900 silences this check on
    its line, and a file-level disable of MEM900 (or of everything) silences it for the file.
    Each fix is safe. When several codes of one directive are reported, their fixes do not
    overlap and applying any subset keeps the list well-formed; when every code of a directive
    is reported, each fix deletes the whole directive so no blanket `# noqa` is left behind.
    """
    if sup.disable_all or UNUSED_NOQA_CODE in sup.disabled_codes:
        return []
    # MEM000 and MEM900 are produced by the engine itself, not by rules, so they are always
    # known even if the caller only lists rule codes.
    known = frozenset(known_codes) | {PARSE_ERROR_CODE, UNUSED_NOQA_CODE}
    enabled = frozenset(enabled_codes)
    diagnostics: list[Diagnostic] = []
    for row in sorted(sup.noqa):
        noqa = sup.noqa[row]
        if noqa.codes is None or UNUSED_NOQA_CODE in noqa.codes:
            continue
        problems: dict[int, _Problem] = {}
        for index, (code, _, _) in enumerate(noqa.code_spans):
            problem = _code_problem(code, row, sup, used, known, enabled)
            if problem is not None:
                problems[index] = problem
        for index, problem in problems.items():
            diagnostics.append(_unused_diagnostic(noqa, index, problem, set(problems), path))
    return diagnostics


def _code_problem(
    code: str,
    row: int,
    sup: Suppressions,
    used: set[tuple[int, str]],
    known: frozenset[str],
    enabled: frozenset[str],
) -> _Problem | None:
    if not code.startswith("MEM"):
        return None
    if (row, code) in used or code in sup.disabled_codes:
        return None
    if code not in known:
        return "unknown"
    if code not in enabled:
        return None
    return "unused"


def _unused_diagnostic(
    noqa: Noqa, index: int, problem: _Problem, reported: set[int], path: str
) -> Diagnostic:
    code, start, end = noqa.code_spans[index]
    if problem == "unknown":
        message = f"Unknown code `{code}` in `noqa` directive"
        fix_message = f"Remove unknown `noqa` code `{code}`"
    else:
        message = f"Unused `noqa` directive for `{code}`"
        fix_message = f"Remove unused `noqa` code `{code}`"
    fix = Fix(
        applicability=Applicability.SAFE,
        message=fix_message,
        edits=(_code_removal(noqa, index, reported),),
    )
    return Diagnostic(
        path=path,
        line=noqa.line,
        column=start,
        end_line=noqa.line,
        end_column=end,
        code=UNUSED_NOQA_CODE,
        name=UNUSED_NOQA_NAME,
        message=message,
        severity=Severity.WARNING,
        confidence=Confidence.HIGH,
        fix=fix,
    )


def _code_removal(noqa: Noqa, index: int, reported: set[int]) -> Edit:
    spans = noqa.code_spans
    row = noqa.line
    if len(reported) == len(spans):
        # Removing the codes one by one would leave a bare colon, i.e. a blanket directive;
        # every fix deletes the whole directive instead, and identical edits collapse into one.
        start, end, content = noqa.removal or (noqa.column, noqa.end_column, "")
        return Edit(row, start, row, end, content)
    if all(earlier in reported for earlier in range(index)):
        # Leading run of reported codes: take the code and the separator after it. A kept code
        # follows, so spans[index + 1] exists.
        return Edit(row, spans[index][1], row, spans[index + 1][1], "")
    # A kept code precedes: take the separator before the code, so fixes never overlap.
    return Edit(row, spans[index - 1][2], row, spans[index][2], "")
