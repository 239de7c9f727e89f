"""The Rule base class every check derives from, and the Valid / Invalid cases rules carry."""

from __future__ import annotations

import ast
import textwrap
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar, Union

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider, ProviderT

from memlint.diagnostics import Applicability, Confidence, Diagnostic, Fix, Severity, weakest
from memlint.positions import Positions
from memlint.regions import Reach
from memlint.semantic import provenance as provenance_of

if TYPE_CHECKING:
    from memlint.engine import FileContext
    from memlint.settings import Settings

Replacement = Union[cst.CSTNode, cst.RemovalSentinel, cst.FlattenSentinel[cst.CSTNode]]


def _overrides(rule: type[Rule], method: str) -> bool:
    """Whether a rule class (or a base of its other than Rule) defines `method`."""
    return any(
        method in vars(klass) for klass in rule.__mro__ if klass is not Rule and klass is not object
    )


def _default_settings() -> Settings:
    from memlint.settings import Settings

    return Settings()


def _dedent(code: str) -> str:
    return textwrap.dedent(code).lstrip("\n")


@dataclass(frozen=True)
class Valid:
    """Code the rule must not flag."""

    code: str
    settings: Mapping[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "code", _dedent(self.code))


@dataclass(frozen=True)
class Invalid:
    """Code the rule must flag exactly once, at `line`/`column` (1-based) when given.

    `fixed` is the exact source after every fix (safe and unsafe) is applied, or None when
    the diagnostic must carry no fix; `applicability` is the fix's applicability.
    `confidence`, when given, is the diagnostic's confidence, and `because` a text its
    message must end with (the provenance's reason).
    """

    code: str
    line: int | None = None
    column: int | None = None
    fixed: str | None = None
    applicability: Applicability | None = None
    settings: Mapping[str, object] = field(default_factory=dict)
    confidence: Confidence | None = None
    because: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "code", _dedent(self.code))
        if self.fixed is not None:
            object.__setattr__(self, "fixed", _dedent(self.fixed))
            if self.applicability is None:
                raise ValueError("an Invalid case with `fixed` must name its applicability")


@dataclass(frozen=True)
class FixSpec:
    """A fix as node replacements; turned into text edits while the tree is alive."""

    applicability: Applicability
    message: str
    replacements: Sequence[tuple[cst.CSTNode, Replacement]]


class LazyMetadata(Mapping[ProviderT, Mapping[cst.CSTNode, object]]):
    """A rule's metadata, each provider computed on first use and shared through the wrapper.

    libcst resolves every declared provider before the first node is visited; scope and
    qualified-name analysis cost about ten times the parse. Most files hold no candidate
    node for most rules, and guard clauses on shapes come first, so a provider is asked
    for only when some rule reaches a candidate: a file with none never pays for it. The
    wrapper caches each result, so every rule of the batch shares one computation.
    """

    def __init__(
        self,
        wrapper: MetadataWrapper,
        declared: frozenset[ProviderT],
        positions: Positions | None = None,
    ) -> None:
        self._wrapper = wrapper
        self._declared = declared
        self._positions = positions

    def __getitem__(self, provider: ProviderT) -> Mapping[cst.CSTNode, object]:
        if provider not in self._declared:
            raise KeyError(provider)
        if provider is PositionProvider and self._positions is not None:
            return self._positions  # a statement at a time (memlint/positions.py)
        return self._wrapper.resolve(provider)

    def __contains__(self, provider: object) -> bool:
        return provider in self._declared

    def __iter__(self) -> Iterator[ProviderT]:
        return iter(self._declared)

    def __len__(self) -> int:
        return len(self._declared)


class Rule(cst.BatchableCSTVisitor):
    """Base of every rule. The docstring holds the rule's documentation in fixed sections."""

    code: ClassVar[str]
    name: ClassVar[str]
    summary: ClassVar[str]
    fixable: ClassVar[bool] = False
    default_enabled: ClassVar[bool] = True
    severity: ClassVar[Severity] = Severity.WARNING
    # The confidence of a finding when the rule knows nothing more of it: MEDIUM, or HIGH
    # for a rule whose pattern grows by itself (an endless loop that appends, recursion
    # with no base case). `report` lowers it with the provenance of the data.
    confidence: ClassVar[Confidence] = Confidence.MEDIUM
    options: ClassVar[tuple[str, ...]] = ()
    # Words without which the rule cannot fire; a file containing none is never parsed
    # for this rule. Empty means the rule has no cheap evidence and always runs.
    triggers: ClassVar[tuple[str, ...]] = ()
    # For a rule with no telling word: a regular expression (MULTILINE) that every file the
    # rule can flag matches. Conservative by construction; tested by every case and fixture.
    trigger_pattern: ClassVar[str | None] = None
    # Substrings one of which every text `trigger_pattern` matches contains: a C-speed scan
    # that spares most files the pattern. Empty: none is known.
    trigger_literals: ClassVar[tuple[str, ...]] = ()
    cases: ClassVar[tuple[Valid | Invalid, ...]] = ()
    # Rules that the engine reports itself (MEM000, MEM900) and that have no visitor.
    synthetic: ClassVar[bool] = False

    @classmethod
    def ast_candidate(cls, tree: ast.Module) -> bool:
        """Whether CPython's tree of a file (which passed the text pre-filter) can hold a finding.

        A rule whose evidence is a shape rather than a word (a function calling itself)
        overrides this with a cheap `ast` walk, or `ast_places` to say where; the libcst
        parse is then paid only for files where some enabled rule's answer is True.
        Conservative by construction: tested on every case and fixture.
        """
        if _overrides(cls, "ast_places"):
            return bool(cls.ast_places(tree, _default_settings()))
        return True

    # How much code around a place `ast_places` names the rule needs (memlint/regions.py).
    reach: ClassVar[Reach] = Reach.MODULE

    @classmethod
    def ast_places(cls, tree: ast.Module, settings: Settings) -> bool | Sequence[ast.AST]:
        """Where in CPython's tree of a file (which passed the text pre-filter) the rule may
        report: nowhere (False or empty), anywhere (True), or around these nodes.

        A finding of the rule lies in the region (per `reach`) around one of the nodes, so
        libcst parses those regions only. Conservative by construction: the rule's shapes,
        tested on every case and fixture, and against a run with the pre-filter off. The
        default asks `ast_candidate`.
        """
        return cls.ast_candidate(tree)

    @classmethod
    def has_ast_filter(cls) -> bool:
        return _overrides(cls, "ast_candidate") or _overrides(cls, "ast_places")

    METADATA_DEPENDENCIES: ClassVar[tuple[ProviderT, ...]] = (PositionProvider,)

    def __init__(self, context: FileContext) -> None:
        super().__init__()
        self.context = context
        self.settings = context.settings

    @contextmanager
    def resolve(self, wrapper: MetadataWrapper) -> Iterator[None]:
        """Declared providers are resolved on first use (see LazyMetadata), not up front."""
        positions = self.context.positions
        self.metadata = LazyMetadata(
            wrapper,
            frozenset(self.get_inherited_dependencies()),
            positions if positions is not None and positions.wraps(wrapper) else None,
        )
        try:
            yield
        finally:
            self.metadata = {}

    def report(
        self,
        node: cst.CSTNode,
        message: str,
        *,
        suggestion: str | None = None,
        fix: FixSpec | None = None,
        confidence: Confidence | None = None,
        provenance: provenance_of.Provenance | None = None,
    ) -> None:
        """Record a finding at `node`.

        `confidence` is how sure the rule is of the pattern (the class's `confidence` when
        not given); `provenance`, where its data comes from (`semantic.provenance`): the
        finding gets the weaker of the two, and the provenance's reason is added to the
        message when it is known. Findings in test code and `setup.py` are low whatever
        they are about.
        """
        confidence = confidence if confidence is not None else self.confidence
        scaffolding = self._scaffolding()
        if scaffolding is not None and (
            provenance is None or provenance.kind is not provenance_of.Kind.BOUNDED
        ):
            provenance = scaffolding
        if provenance is not None:
            confidence = weakest(confidence, provenance.confidence)
            if provenance.known and provenance.reason:
                message = f"{message}; {provenance.reason}"
        position = self.get_metadata(PositionProvider, node)
        built: Fix | None = None
        if fix is not None:
            positions = self.metadata[PositionProvider]
            built = self.context.build_fix(
                fix, positions if isinstance(positions, Positions) else None
            )
        self.context.diagnostics.append(
            Diagnostic(
                path=self.context.path,
                line=position.start.line,
                column=position.start.column + 1,
                end_line=position.end.line,
                end_column=position.end.column + 1,
                code=self.code,
                name=self.name,
                message=message,
                severity=self.severity,
                confidence=confidence,
                fix=built,
                suggestion=suggestion if suggestion is not None or built is None else built.message,
            )
        )

    def _scaffolding(self) -> provenance_of.Provenance | None:
        """Bounded when the file is test code or a `setup.py` (worked out once per file)."""
        memo = self.context.memo
        if "provenance.scaffolding" not in memo:
            settings = self.settings
            memo["provenance.scaffolding"] = provenance_of.scaffolding(
                self.context.path, settings.root
            )
        found = memo["provenance.scaffolding"]
        assert found is None or isinstance(found, provenance_of.Provenance)
        return found

    @staticmethod
    def replace(
        old: cst.CSTNode,
        new: Replacement,
        message: str,
        *,
        unsafe: bool = False,
        also: Sequence[tuple[cst.CSTNode, Replacement]] = (),
    ) -> FixSpec:
        applicability = Applicability.UNSAFE if unsafe else Applicability.SAFE
        return FixSpec(applicability, message, ((old, new), *also))
