"""One file in, its diagnostics out: decode, pre-filter, parse once, run rules, suppress."""

from __future__ import annotations

import ast
import codecs
import dataclasses
import io
import re
import sys
import threading
import tokenize
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Callable, TypeVar

import libcst as cst
from libcst.metadata import MetadataWrapper

from memlint import regions, registry
from memlint.deepframe import call_deep
from memlint.diagnostics import Confidence, Diagnostic, Fix, Severity
from memlint.fixes import LineIndex, edits_for_replacements
from memlint.positions import Positions, StatementTracker, render_pieces
from memlint.rule import FixSpec, Rule
from memlint.semantic import names
from memlint.settings import Settings
from memlint.suppression import apply_suppressions, parse_suppressions, unused_noqa

T = TypeVar("T")


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
    except LookupError:
        # The cookie names a codec that is not a text encoding (`rot13`, `hex`, `zlib`):
        # `detect_encoding` only checks that the codec exists. CPython refuses the file too.
        raise DecodeError(f"cannot decode: `{codec}` is not a text encoding") from None
    except UnicodeError as err:
        # A codec that fails without a position (`punycode`, `undefined`).
        raise DecodeError(f"cannot decode as {codec}: {_one_line(str(err))}") from None
    if "\x00" in text:
        line, column = _end_position(text[: text.index("\x00")])
        raise DecodeError("cannot analyse: the file contains NUL bytes (binary?)", line, column)
    return Decoded(text, codec, bom)


def _one_line(message: str) -> str:
    """A codec's message fit for one diagnostic line (some quote the newline they choked on)."""
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in message)


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
    # CPython's tree of the same text, when it parses (not for syntax newer than this Python).
    tree: ast.Module | None = None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    _index: LineIndex | None = None
    _slices: list[tuple[int, int] | None] | None = None
    _imports: names.Imports | None = None
    # What shared analyses compute once per file (keyed by "module.what").
    memo: dict[str, object] = field(default_factory=dict)
    # libcst's positions, a top-level statement at a time, for the batch visiting `module`.
    positions: Positions | None = None

    @property
    def imports(self) -> names.Imports | None:
        """The module's imports, for deciding names without scope analysis (None: unknown)."""
        if self._imports is None and self.tree is not None:
            self._imports = names.Imports.of(self.tree)
        return self._imports

    @property
    def index(self) -> LineIndex:
        if self._index is None:
            # Edits are computed against libcst's rendering, which differs from the text
            # only where libcst does not round-trip (a final lone CR): use the same string.
            self._index = LineIndex(self.module.code)
        return self._index

    def build_fix(self, spec: FixSpec, positions: Positions | None = None) -> Fix:
        """The fix's edits; `positions` lets each replacement be rendered through the
        top-level statement around it rather than the whole module."""

        def locate(node: cst.CSTNode) -> tuple[int, int, cst.CSTNode] | None:
            assert positions is not None
            at = positions.statement_of(node)
            found = None if at is None else self._statement_slices()[at]
            return None if at is None or found is None else (*found, self.module.body[at])

        edits = edits_for_replacements(
            self.module, self.index, spec.replacements, locate if positions is not None else None
        )
        return Fix(spec.applicability, spec.message, edits)

    def _statement_slices(self) -> list[tuple[int, int] | None]:
        """Where each top-level statement's rendering lies in the module's code (None for one
        that does not render alone as it does there: the last one, without a final newline)."""
        found = self._slices
        if found is None:
            code = self.index.text
            positions = self.positions
            pieces = positions.pieces() if positions is not None else render_pieces(self.module)
            header, statements = pieces
            cursor = len(header)
            found = []
            for piece in statements:
                same = code.startswith(piece, cursor)
                found.append((cursor, cursor + len(piece)) if same else None)
                cursor += len(piece)
            self._slices = found
        return found


def parse_error(path: str, message: str, line: int = 1, column: int = 1) -> Diagnostic:
    rule = registry.catalog()[registry.PARSE_ERROR_CODE]
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


@dataclass(frozen=True)
class _Trigger:
    literals: tuple[str, ...]  # one of them is in every text the pattern matches (or none)
    pattern: re.Pattern[str]
    shapes: bool  # the rule also checks CPython's tree (`ast_places`)


# One entry per rule class: bounded by the catalog.
_TRIGGER_CACHE: dict[type[Rule], _Trigger | None] = {}  # noqa: MEM203


def _trigger(rule: type[Rule]) -> _Trigger | None:
    if rule not in _TRIGGER_CACHE:
        found = None
        if rule.trigger_pattern is not None:
            pattern = re.compile(rule.trigger_pattern, re.MULTILINE)
            found = _Trigger(rule.trigger_literals, pattern, rule.has_ast_filter())
        elif rule.triggers:
            words = "|".join(re.escape(word) for word in rule.triggers)
            found = _Trigger(rule.triggers, re.compile(rf"\b(?:{words})\b"), False)
        _TRIGGER_CACHE[rule] = found
    return _TRIGGER_CACHE[rule]


def candidate_rules(
    text: str, rules: Sequence[type[Rule]], *, tree_anyway: bool = False
) -> list[type[Rule]]:
    """The rules whose cheap evidence is in the text: the others cannot fire, so skip them.

    A substring test (a C scan) comes before each regular expression. With `tree_anyway`
    (some rule has no text evidence, so CPython parses the file whatever it holds), a rule
    that also checks CPython's tree skips its pattern: the tree check is the stricter one,
    and cheaper than a pattern scanned over the whole text (measured over the standard
    library: 0.2 s for MEM401's and MEM402's tree checks, 2.8 s for their patterns).
    """
    found = []
    for rule in rules:
        if rule.synthetic:
            continue
        trigger = _trigger(rule)
        if trigger is not None:
            if trigger.literals and not any(literal in text for literal in trigger.literals):
                continue
            if not (tree_anyway and trigger.shapes) and not trigger.pattern.search(text):
                continue
        found.append(rule)
    return found


def needs_tree_anyway(rules: Sequence[type[Rule]]) -> bool:
    """Whether some rule has no text evidence: every file then goes through CPython's parser."""
    return any(not rule.synthetic and _trigger(rule) is None for rule in rules)


def ast_candidate_rules(
    tree: ast.Module, rules: Sequence[type[Rule]], settings: Settings | None = None
) -> list[type[Rule]]:
    """The rules whose `ast`-level evidence is in CPython's tree (those that declare one).

    CPython's parser is about ten times faster than libcst's: a rule with no telling word
    (MEM601) still spares most files the libcst parse and its metadata.
    """
    settings = settings if settings is not None else Settings()
    return [rule for rule in rules if _places(rule, tree, settings)]


def _places(rule: type[Rule], tree: ast.Module, settings: Settings) -> bool | Sequence[ast.AST]:
    """Where the rule may report in the tree (see `Rule.ast_places`)."""
    if not rule.has_ast_filter():
        return True
    try:
        return rule.ast_places(tree, settings)
    except RecursionError:
        return True  # a tree too deep for the walk: let libcst and the rule decide


# CPython's parser refuses these depths with an error; libcst's native parser, given the
# same input, can overflow the C stack and kill the process. Measured: wherever CPython
# accepts a file, libcst does not crash.
_TOO_DEEP = ("too many nested parentheses", "too many statically nested blocks")
_NESTED_TOO_DEEPLY = "cannot analyse: the code is nested too deeply for Python's parser"


def _cpython_verdict(text: str, path: str) -> ast.Module | Diagnostic | SyntaxError:
    """Ask CPython's parser first: its tree, a MEM000 to report, or a SyntaxError to explain.

    A plain SyntaxError is not final: the code may use syntax newer than this Python, which
    libcst can still parse.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarnings about escapes are not ours
            return ast.parse(text)
    except SyntaxError as err:
        if any(reason in str(err.msg) for reason in _TOO_DEEP):
            return _cpython_error(path, err)
        return err
    except RecursionError:
        return parse_error(path, _NESTED_TOO_DEEPLY)
    except MemoryError:  # noqa: MEM501 CPython's parser signals deep nesting with it
        return parse_error(path, _NESTED_TOO_DEEPLY)
    except ValueError as err:  # NUL bytes in a str
        return parse_error(path, f"cannot analyse: {err}")


def _cpython_error(path: str, err: SyntaxError) -> Diagnostic:
    return parse_error(path, f"SyntaxError: {err.msg}", err.lineno or 1, max(err.offset or 1, 1))


def _parse(
    text: str,
    path: str,
    verdict: ast.Module | Diagnostic | SyntaxError,
    reduced: str | None = None,
) -> cst.Module | Diagnostic:
    if isinstance(verdict, Diagnostic):
        return verdict
    if reduced is not None:
        try:
            return cst.parse_module(reduced)
        except MemoryError:
            raise
        except Exception:
            pass  # the whole text decides, and names the error
    try:
        return cst.parse_module(text)
    except cst.ParserSyntaxError as err:
        if isinstance(verdict, SyntaxError):
            return _cpython_error(path, verdict)
        return _libcst_only_error(path, err)
    except RecursionError:
        return parse_error(path, _NESTED_TOO_DEEPLY)
    except MemoryError:
        raise
    except Exception as err:  # libcst's native parser raises more than ParserSyntaxError
        return parse_error(path, f"cannot parse: {type(err).__name__}: {err}")


_LIBCST_AT = re.compile(r"error at (\d+):(\d+)")


def _libcst_only_error(path: str, err: cst.ParserSyntaxError) -> Diagnostic:
    first = str(err.message).splitlines()[0] if err.message else "invalid syntax"
    found = _LIBCST_AT.search(first)
    line, column = (int(found[1]), int(found[2]) + 1) if found else (err.raw_line, 1)
    version = f"{sys.version_info[0]}.{sys.version_info[1]}"
    message = f"cannot parse with libcst (CPython {version} accepts it): {first}"
    return parse_error(path, message, line, column)


def _with_deep_stack(work: Callable[[], T]) -> T:
    """Run `work` with a high recursion limit on a thread with a large stack.

    libcst's visitors recurse once per level of the tree, and some real files are deep
    (`pydoc_data/topics.py`: thousands of implicitly concatenated strings). Only called
    after `work` hit the normal limit, so ordinary files never pay for the thread.
    """
    outcome: list[T] = []
    failure: list[BaseException] = []

    def target() -> None:
        try:
            outcome.append(work())
        except BaseException as err:  # handed to the calling thread below
            failure.append(err)

    previous_limit = sys.getrecursionlimit()
    previous_stack = threading.stack_size(_DEEP_STACK_BYTES)
    sys.setrecursionlimit(max(previous_limit, _DEEP_RECURSION_LIMIT))
    try:
        thread = threading.Thread(target=target, name="memlint-deep")
        thread.start()
        thread.join()
    finally:
        threading.stack_size(previous_stack)
        sys.setrecursionlimit(previous_limit)
    if failure:
        raise failure[0]
    return outcome[0]


_DEEP_STACK_BYTES = 512 * 1024 * 1024
_DEEP_RECURSION_LIMIT = 60_000


# Past this size a file is generated code, and analysing it would hold a worker for many
# minutes and gigabytes (measured on 20 MB of generated defs: CPython's parser alone takes
# 26 s and 2.8 GB, libcst's parse and metadata about a minute per MB). The largest file of
# the standard library and of a large site-packages is 4 MB (`moto`'s IAM policies).
MAX_CHARACTERS = 5_000_000


def _unanalysable(path: str, enabled: frozenset[str], diagnostic: Diagnostic) -> FileResult:
    """A file memlint cannot analyse: its MEM000 alone, unless that is ignored."""
    if registry.PARSE_ERROR_CODE not in enabled:
        return FileResult(path)
    return FileResult(path, (diagnostic,))


def lint_source(
    source: str | bytes,
    path: str,
    settings: Settings,
    *,
    module: cst.Module | None = None,
    line_noqa: bool = True,
    prefilter: bool = True,
    reduce: bool = True,
) -> FileResult:
    """Analyse one file's source. Never raises for bad input: that is a MEM000 diagnostic.

    `line_noqa=False` leaves `# noqa` comments to the caller (flake8 applies its own, and
    its `--disable-noqa` must work); `# memlint: disable-file` is applied either way.
    `prefilter=False` runs every enabled rule on every file, whatever its text and CPython
    tree hold: the reference the pre-filter is checked against (never faster).
    `reduce=False` keeps the pre-filter but has libcst parse the whole file rather than the
    regions around the rules' candidates (memlint/regions.py): the reference for those.
    """
    return call_deep(
        lambda: _lint_source(source, path, settings, module, line_noqa, prefilter, reduce)
    )


def _lint_source(
    source: str | bytes,
    path: str,
    settings: Settings,
    module: cst.Module | None,
    line_noqa: bool,
    prefilter: bool,
    reduce: bool,
) -> FileResult:
    enabled = registry.enabled_codes(settings, path)
    if isinstance(source, bytes):
        try:
            text = decode(source).text
        except DecodeError as err:
            return _unanalysable(path, enabled, parse_error(path, str(err), err.line, err.column))
    else:
        text = source[1:] if source.startswith("\ufeff") else source
    if len(text) > MAX_CHARACTERS:
        message = (
            f"cannot analyse: the file holds {len(text):,} characters, more than the "
            f"{MAX_CHARACTERS:,} memlint analyses (generated code belongs in `exclude`)"
        )
        return _unanalysable(path, enabled, parse_error(path, message))

    every_rule = [rule for rule in registry.rules_for(enabled) if not rule.synthetic]
    tree_anyway = needs_tree_anyway(every_rule)
    rules = candidate_rules(text, every_rule, tree_anyway=tree_anyway) if prefilter else every_rule
    diagnostics: list[Diagnostic] = []
    errors: list[str] = []
    parsed = False
    plan: regions.Plan | None = None
    if rules and module is None:
        verdict = _cpython_verdict(text, path)
        if isinstance(verdict, ast.Module) and prefilter:
            places = {rule: _places(rule, verdict, settings) for rule in rules}
            rules = [rule for rule in rules if places[rule]]
            if rules and reduce:
                wanted = {rule.code: (rule.reach, places[rule]) for rule in rules}
                plan = regions.plan(text, verdict, wanted)
        parsed_or_error: cst.Module | Diagnostic | None = (
            _parse(text, path, verdict, plan.text if plan else None) if rules else None
        )
    else:
        parsed_or_error = module if rules else None
    if parsed_or_error is not None:
        if isinstance(parsed_or_error, Diagnostic):
            diagnostics.append(parsed_or_error)
        else:
            parsed = True
            tree = verdict if module is None and isinstance(verdict, ast.Module) else None
            diagnostics, errors = _run_rules(parsed_or_error, text, path, settings, rules, tree)
            if plan is not None:
                # Each rule reports only where its regions hold all the code it needs.
                diagnostics = [d for d in diagnostics if plan.allows(d.code, d.line)]

    suppressions = parse_suppressions(text)
    if not line_noqa:
        suppressions = dataclasses.replace(suppressions, noqa={})
    diagnostics = [d for d in diagnostics if d.code in enabled]
    if not suppressions.is_empty():
        diagnostics, used = apply_suppressions(diagnostics, suppressions)
        if registry.UNUSED_NOQA_CODE in enabled:
            diagnostics += unused_noqa(
                suppressions,
                used,
                path=path,
                known_codes=registry.catalog(),
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
    tree: ast.Module | None = None,
) -> tuple[list[Diagnostic], list[str]]:
    def visit() -> list[Diagnostic]:
        context = FileContext(path, settings, text, module, tree)
        wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
        context.positions = Positions(wrapper)
        instances = [rule(context) for rule in rules]
        wrapper.visit_batched([StatementTracker(context.positions), *instances])
        return context.diagnostics

    try:
        try:
            return visit(), []
        except RecursionError:
            return _with_deep_stack(visit), []
    except RecursionError:
        return [parse_error(path, _NESTED_TOO_DEEPLY)], []
    except MemoryError:
        raise
    except Exception as err:
        names = ", ".join(rule.code for rule in rules)
        return [], [f"{path}: internal error while running {names}: {type(err).__name__}: {err}"]
