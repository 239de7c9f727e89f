"""Fixes: node replacements to text edits, overlap handling, application, and the fix loop."""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from memlint.diagnostics import Applicability, Confidence, Diagnostic, Edit, Fix

# libcst (0.4 s to import) only where a fix is built or checked: a report that shows a
# cached fix's diff (`--format html`) applies its edits without it.
if TYPE_CHECKING:
    import libcst as cst

MAX_ROUNDS = 10
_NEWLINE = re.compile(r"\r\n|\r|\n")


class LineIndex:
    """Converts between 1-based (line, column) positions and offsets into one text."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0] + [m.end() for m in _NEWLINE.finditer(text)]

    def offset(self, line: int, column: int) -> int:
        """Offset of a 1-based line and 1-based column."""
        return self.starts[line - 1] + column - 1

    def position(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self.starts, offset)
        return line, offset - self.starts[line - 1] + 1


def _common_prefix(a: str, b: str) -> int:
    # Binary search with slice comparisons runs at C speed even for megabyte files.
    lo, hi = 0, min(len(a), len(b))
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[:mid] == b[:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _common_suffix(a: str, b: str, limit: int) -> int:
    lo, hi = 0, limit
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[len(a) - mid :] == b[len(b) - mid :]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def text_edit(
    index: LineIndex, new_text: str, start: int = 0, end: int | None = None
) -> Edit | None:
    """The smallest single edit that turns index.text into new_text (None if equal).

    With `start`/`end`, `new_text` replaces only `index.text[start:end]`.
    """
    old = index.text[start:end]
    if old == new_text:
        return None
    prefix = _common_prefix(old, new_text)
    suffix = _common_suffix(old, new_text, min(len(old), len(new_text)) - prefix)
    line, column = index.position(start + prefix)
    end_line, end_column = index.position(start + len(old) - suffix)
    return Edit(line, column, end_line, end_column, new_text[prefix : len(new_text) - suffix])


# Finds the slice of the module's code that a top-level statement holding a node renders
# to (start, end, statement); None when there is no such slice to render alone.
Locate = Callable[[Any], "tuple[int, int, Any] | None"]


def edits_for_replacements(
    module: cst.Module,
    index: LineIndex,
    replacements: Sequence[tuple[cst.CSTNode, Any]],
    locate: Locate | None = None,
) -> tuple[Edit, ...]:
    """One edit per node replacement, rendered through the top-level statement around it
    (`locate`), or else through the whole module.

    Rendering the replaced statement or module (rather than the new node alone) keeps
    indentation, parenthesised line breaks and the file's newline style exactly as the
    module has them; a top-level statement renders alone exactly as within its module, at
    the cost of its own size rather than the file's.
    """
    import libcst as cst

    edits = []
    for old, new in replacements:
        found = locate(old) if locate is not None else None
        if found is not None:
            start, end, statement = found
            replaced_statement = statement.deep_replace(old, new)
            if replaced_statement is not statement:
                edit = text_edit(index, module.code_for_node(replaced_statement), start, end)
                if edit is not None:
                    edits.append(edit)
                continue
        replaced = module.deep_replace(old, new)
        assert isinstance(replaced, cst.Module)
        edit = text_edit(index, replaced.code)
        if edit is not None:
            edits.append(edit)
    return tuple(sorted(edits, key=lambda e: (e.line, e.column)))


def apply_edits(text: str, edits: Sequence[Edit], index: LineIndex | None = None) -> str:
    index = index or LineIndex(text)
    spans = sorted(
        ((index.offset(e.line, e.column), index.offset(e.end_line, e.end_column), e.content))
        for e in edits
    )
    parts = []
    cursor = 0
    for start, end, content in spans:
        parts.append(text[cursor:start])
        parts.append(content)
        cursor = end
    parts.append(text[cursor:])
    return "".join(parts)


def _spans(index: LineIndex, fix: Fix) -> list[tuple[int, int]]:
    return [
        (index.offset(e.line, e.column), index.offset(e.end_line, e.end_column)) for e in fix.edits
    ]


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    # Two insertions at one point, or any shared character, conflict.
    return (a[0] < b[1] and b[0] < a[1]) or a[0] == b[0]


def non_overlapping(index: LineIndex, fixes: Sequence[Fix]) -> list[Fix]:
    """Fixes in order whose edits touch no edit of an earlier accepted fix; the rest wait."""
    accepted: list[Fix] = []
    taken: list[tuple[int, int]] = []
    for fix in fixes:
        spans = _spans(index, fix)
        if any(_overlaps(s, t) for s in spans for t in taken):
            continue
        accepted.append(fix)
        taken.extend(spans)
    return accepted


def allowed(fix: Fix | None, unsafe: bool) -> bool:
    return fix is not None and (unsafe or fix.applicability is Applicability.SAFE)


@dataclass
class FixOutcome:
    text: str
    fixed: list[Diagnostic] = field(default_factory=list)
    remaining: Sequence[Diagnostic] = ()
    errors: list[str] = field(default_factory=list)


def parses(text: str) -> bool:
    import libcst as cst

    try:
        cst.parse_module(text)
    except MemoryError:
        raise
    except Exception:
        return False
    return True


def fix_loop(
    text: str,
    lint: Callable[[str], Sequence[Diagnostic]],
    *,
    unsafe: bool,
    path: str = "<source>",
    min_confidence: Confidence = Confidence.LOW,
) -> FixOutcome:
    """Apply fixes round by round until none is left (at most MAX_ROUNDS rounds).

    A round whose result does not parse is discarded; the fixes that break it on their own
    are reported as internal errors naming their rule and never tried again. A text that
    does not parse to begin with is left as it is, with no error: it has its MEM000. Only
    the findings at or above `min_confidence` (those reported) are fixed; `remaining` holds
    the others too.
    """
    outcome = FixOutcome(text)
    broken: set[tuple[str, int, int, str]] = set()
    one_at_a_time = False
    known_to_parse = False  # the current text; asked only when a round's result does not parse
    diagnostics = lint(text)
    for _ in range(MAX_ROUNDS):
        candidates = [
            d
            for d in diagnostics
            if allowed(d.fix, unsafe)
            and d.confidence.at_least(min_confidence)
            and (d.code, d.line, d.column, d.message) not in broken
        ]
        if not candidates:
            break
        index = LineIndex(outcome.text)
        chosen = non_overlapping(index, [d.fix for d in candidates if d.fix is not None])
        if one_at_a_time:
            chosen = chosen[:1]
        chosen_ids = {id(f) for f in chosen}
        applied = [d for d in candidates if id(d.fix) in chosen_ids]
        new_text = apply_edits(outcome.text, [e for f in chosen for e in f.edits], index)
        if not parses(new_text):
            if not known_to_parse and not parses(outcome.text):
                # The file itself does not parse (its MEM000 says why; MEM900 still offers to
                # drop an unused `noqa`): no fix can be checked, so none is applied.
                break
            known_to_parse = True
            bad = [
                d
                for d in applied
                if d.fix and not parses(apply_edits(outcome.text, d.fix.edits, index))
            ]
            # Each fix parses alone but not together: go on one fix per round.
            one_at_a_time = not bad
            for d in bad:
                broken.add((d.code, d.line, d.column, d.message))
                outcome.errors.append(
                    f"{path}:{d.line}:{d.column}: internal error: the fix for {d.code} "
                    "produced code that does not parse; it was not applied"
                )
            continue
        if new_text == outcome.text:
            break
        outcome.text = new_text
        known_to_parse = True
        outcome.fixed.extend(applied)
        diagnostics = lint(new_text)
    outcome.remaining = diagnostics
    return outcome
