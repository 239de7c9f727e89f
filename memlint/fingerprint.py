"""Fingerprints of findings that survive unrelated edits: no line numbers, only what was flagged.

A finding's fingerprint hashes its code, the file's path, the flagged line's source with
whitespace and any trailing comment normalised away, and the qualified name of the
innermost `def` or `class` around it. Moving code, adding lines above it or reformatting
the indentation keeps the fingerprint; changing the flagged line, renaming its function or
moving it to another function or file does not. Baselines and SARIF's
`partialFingerprints` both use it.
"""

from __future__ import annotations

import ast
import hashlib
import io
import tokenize
import warnings
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from memlint.diagnostics import Diagnostic
from memlint.sourcetext import source_lines

PARSE_ERROR_CODE = "MEM000"
_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def normalise(line: str) -> str:
    """The line's code with runs of whitespace made one space and a trailing comment dropped."""
    try:
        for token in tokenize.generate_tokens(io.StringIO(line).readline):
            if token.type == tokenize.COMMENT:
                line = line[: token.start[1]]
                break
    except (tokenize.TokenError, SyntaxError):
        pass  # an open bracket or string runs on to the next line: its comment came first
    return " ".join(line.split())


@dataclass(frozen=True)
class _Scope:
    start: int  # the first decorator's line, else the `def` / `class` line
    end: int
    name: str  # qualified through enclosing defs and classes: `Pipeline.submit`


def _scopes(source: str) -> list[_Scope]:
    """Every def and class of the source, outermost first; none when CPython cannot parse it."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarnings about escapes are not ours
            tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError):
        return []
    found: list[_Scope] = []
    # An explicit stack: a deeply nested expression must not exhaust Python's own.
    stack: list[tuple[ast.AST, str]] = [(tree, "")]
    while stack:
        node, prefix = stack.pop()
        for child in ast.iter_child_nodes(node):
            if not isinstance(child, _DEFS):
                stack.append((child, prefix))
                continue
            name = f"{prefix}.{child.name}" if prefix else child.name
            start = min([child.lineno, *(d.lineno for d in child.decorator_list)])
            found.append(_Scope(start, child.end_lineno or child.lineno, name))
            stack.append((child, name))
    return found


class FileFingerprints:
    """Fingerprints of one file's findings; parses the file (with CPython) at most once.

    The path is given with each question, as the caller records it (relative, with `/`):
    a baseline measures it from its own folder, SARIF from the repository root.
    """

    def __init__(self, source: str | None) -> None:
        self.source = source
        self.lines = source_lines(source) if source is not None else []
        self._scopes: list[_Scope] | None = None

    def scope(self, line: int) -> str:
        """The qualified name of the innermost def or class holding `line` ("" at module level).

        A decorator's line belongs to the function it decorates.
        """
        if self._scopes is None:
            self._scopes = _scopes(self.source) if self.source is not None else []
        inner = ""
        innermost_start = 0
        for scope in self._scopes:
            if scope.start <= line <= scope.end and scope.start >= innermost_start:
                inner, innermost_start = scope.name, scope.start
        return inner

    def line_text(self, line: int) -> str:
        return normalise(self.lines[line - 1]) if 1 <= line <= len(self.lines) else ""

    def scope_of(self, diagnostic: Diagnostic) -> str:
        # A file that could not be parsed has no defs to find, and parsing it again is wasted.
        return "" if diagnostic.code == PARSE_ERROR_CODE else self.scope(diagnostic.line)

    def of(self, diagnostic: Diagnostic, path: str) -> str:
        """The finding's fingerprint: 20 hex digits of a SHA-256."""
        parts = (
            diagnostic.code,
            path,
            self.scope_of(diagnostic),
            self.line_text(diagnostic.line),
        )
        return hashlib.sha256("\0".join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:20]

    def numbered(self, diagnostics: Iterable[Diagnostic], path: str) -> list[str]:
        """`fingerprint:n` for each finding, n counting the same fingerprint earlier in the file.

        Identical lines in one function (two `@cache` decorators) get distinct fingerprints,
        as GitHub's own `primaryLocationLineHash` numbers its duplicates.
        """
        seen: Counter[str] = Counter()
        numbered = []
        for diagnostic in diagnostics:
            fingerprint = self.of(diagnostic, path)
            numbered.append(f"{fingerprint}:{seen[fingerprint]}")
            seen[fingerprint] += 1
        return numbered
