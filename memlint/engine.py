"""One file in, its diagnostics out: decode, pre-filter, parse once, run rules, suppress."""

from __future__ import annotations

import ast
import codecs
import io
import re
import sys
import tokenize
from collections.abc import Sequence
from dataclasses import dataclass, field

import libcst as cst
from libcst.metadata import MetadataWrapper

from memlint import registry
from memlint.diagnostics import Confidence, Diagnostic, Fix, Severity
from memlint.fixes import LineIndex, edits_for_replacements
from memlint.rule import FixSpec, Rule
from memlint.settings import Settings
from memlint.suppression import apply_suppressions, parse_suppressions, unused_noqa


@dataclass(frozen=True)
class Decoded:
    text: str  # without a BOM; line endings as in the file
    encoding: str
    bom: bool

    def encode(self, text: str) -> bytes:
        data = text.encode(self.encoding)
        return codecs.BOM_UTF8 + data if self.bom else data


class DecodeError(ValueError):
    def __init__(self, message: str, line: int = 1, column: int = 1) -> None:
        super().__init__(message)
        self.line = line
        self.column = column


def decode(data: bytes) -> Decoded:
    """Decode source bytes as Python does: a BOM, else a PEP 263 cookie, else UTF-8."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as err:
        if "invalid or missing encoding declaration" not in err.msg:
            raise DecodeError(f"cannot decode: {err.msg}", err.lineno or 1) from None
        # Line 1 or 2 is not UTF-8 and there is no cookie: decoding as UTF-8 below fails too,
        # and says where.
        encoding = "utf-8-sig" if data.startswith(codecs.BOM_UTF8) else "utf-8"
    bom = encoding == "utf-8-sig"
    body = data[len(codecs.BOM_UTF8) :] if bom else data
    codec = "utf-8" if bom else encoding
    try:
        text = body.decode(codec)
    except UnicodeDecodeError as err:
        # Everything before the bad byte decoded, so its position can be given in characters.
        line, column = _end_position(body[: err.start].decode(codec, "replace"))
        raise DecodeError(
            f"cannot decode: {err.reason} for {codec} at byte {len(data) - len(body) + err.start}",
            line,
            column,
        ) from None
    if "\x00" in text:
        line, column = _end_position(text[: text.index("\x00")])
        raise DecodeError("cannot analyse: the file contains NUL bytes (binary?)", line, column)
    return Decoded(text, codec, bom)


def _end_position(prefix: str) -> tuple[int, int]:
    """The 1-based line and character column just after `prefix` (\\r, \\n, \\r\\n end lines)."""
    return LineIndex(prefix).position(len(prefix))


@dataclass(frozen=True)
class FileResult:
    path: str
    diagnostics: tuple[Diagnostic, ...] = ()
    # Internal errors (a rule that crashed): reported, never fatal to the run.
    errors: tuple[str, ...] = ()
    parsed: bool = False


@dataclass
class FileContext:
    """What a rule instance sees of the file it is visiting."""

    path: str
    settings: Settings
    text: str
    module: cst.Module
    diagnostics: list[Diagnostic] = field(default_factory=list)
    _index: LineIndex | None = None

    @property
    def index(self) -> LineIndex:
        if self._index is None:
            self._index = LineIndex(self.text)
        return self._index

    def build_fix(self, spec: FixSpec) -> Fix:
        edits = edits_for_replacements(self.module, self.index, spec.replacements)
        return Fix(spec.applicability, spec.message, edits)


def parse_error(path: str, message: str, line: int = 1, column: int = 1) -> Diagnostic:
    rule = registry.rules_by_code()[registry.PARSE_ERROR_CODE]
    return Diagnostic(
        path=path,
        line=line,
        column=column,
        end_line=line,
        end_column=column,
        code=rule.code,
        name=rule.name,
        message=message,
        severity=Severity.ERROR,
        confidence=Confidence.HIGH,
        suggestion="Make the file valid Python in UTF-8 or its declared encoding, or exclude it",
    )


_TRIGGER_CACHE: dict[type[Rule], re.Pattern[str] | None] = {}


def _trigger(rule: type[Rule]) -> re.Pattern[str] | None:
    if rule not in _TRIGGER_CACHE:
        words = "|".join(re.escape(word) for word in rule.triggers)
        _TRIGGER_CACHE[rule] = re.compile(rf"\b(?:{words})\b") if words else None
    return _TRIGGER_CACHE[rule]


def candidate_rules(text: str, rules: Sequence[type[Rule]]) -> list[type[Rule]]:
    """The rules whose cheap evidence is in the text: the others cannot fire, so skip them."""
    found = []
    for rule in rules:
        trigger = _trigger(rule)
        if not rule.synthetic and (trigger is None or trigger.search(text)):
            found.append(rule)
    return found


def _parse(text: str, path: str) -> cst.Module | Diagnostic:
    try:
        return cst.parse_module(text)
    except cst.ParserSyntaxError as err:
        return _syntax_error(text, path, err)
    except RecursionError:
        return parse_error(path, "cannot analyse: the code is nested too deeply for the parser")
    except MemoryError:
        raise
    except Exception as err:  # libcst's native parser raises more than ParserSyntaxError
        return parse_error(path, f"cannot parse: {type(err).__name__}: {err}")


_LIBCST_AT = re.compile(r"error at (\d+):(\d+)")


def _syntax_error(text: str, path: str, err: cst.ParserSyntaxError) -> Diagnostic:
    """MEM000 in CPython's words and position, which beat libcst's; paid only on failure."""
    try:
        ast.parse(text)
    except SyntaxError as py_err:
        line = py_err.lineno or 1
        column = py_err.offset or 1
        return parse_error(path, f"SyntaxError: {py_err.msg}", line, max(column, 1))
    except (ValueError, RecursionError, MemoryError) as py_err:
        if isinstance(py_err, MemoryError):
            raise
    first = str(err.message).splitlines()[0] if err.message else "invalid syntax"
    found = _LIBCST_AT.search(first)
    line, column = (int(found[1]), int(found[2]) + 1) if found else (err.raw_line, 1)
    return parse_error(
        path,
        f"cannot parse with libcst (CPython {sys.version_info[0]}.{sys.version_info[1]} "
        f"accepts it): {first}",
        line,
        column,
    )


def lint_source(
    source: str | bytes,
    path: str,
    settings: Settings,
    *,
    module: cst.Module | None = None,
) -> FileResult:
    """Analyse one file's source. Never raises for bad input: that is a MEM000 diagnostic."""
    if isinstance(source, bytes):
        try:
            text = decode(source).text
        except DecodeError as err:
            return FileResult(path, (parse_error(path, str(err), err.line, err.column),))
    else:
        text = source[1:] if source.startswith("\ufeff") else source

    enabled = registry.enabled_codes(settings, path)
    rules = candidate_rules(text, registry.rules_for(enabled))
    diagnostics: list[Diagnostic] = []
    errors: list[str] = []
    parsed = False
    if rules:
        parsed_or_error = module if module is not None else _parse(text, path)
        if isinstance(parsed_or_error, Diagnostic):
            diagnostics.append(parsed_or_error)
        else:
            parsed = True
            diagnostics, errors = _run_rules(parsed_or_error, text, path, settings, rules)

    suppressions = parse_suppressions(text)
    diagnostics = [d for d in diagnostics if d.code in enabled]
    if not suppressions.is_empty():
        diagnostics, used = apply_suppressions(diagnostics, suppressions)
        if registry.UNUSED_NOQA_CODE in enabled:
            diagnostics += unused_noqa(
                suppressions,
                used,
                path=path,
                known_codes=registry.rules_by_code(),
                enabled_codes=enabled,
            )
    diagnostics.sort(key=lambda d: d.sort_key)
    return FileResult(path, tuple(diagnostics), tuple(errors), parsed)


def _run_rules(
    module: cst.Module,
    text: str,
    path: str,
    settings: Settings,
    rules: Sequence[type[Rule]],
) -> tuple[list[Diagnostic], list[str]]:
    context = FileContext(path, settings, text, module)
    instances = [rule(context) for rule in rules]
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    try:
        wrapper.visit_batched(instances)
    except RecursionError:
        return [parse_error(path, "cannot analyse: the code is nested too deeply")], []
    except MemoryError:
        raise
    except Exception as err:
        names = ", ".join(rule.code for rule in rules)
        return [], [f"{path}: internal error while running {names}: {type(err).__name__}: {err}"]
    return context.diagnostics, []
