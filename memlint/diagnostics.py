"""Plain, frozen data that leaves the engine: diagnostics, fixes and text edits."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Applicability(str, enum.Enum):
    SAFE = "safe"
    UNSAFE = "unsafe"


class Severity(str, enum.Enum):
    ERROR = "error"
    WARNING = "warning"


class Confidence(str, enum.Enum):
    """How sure a finding is that memory really grows: `--min-confidence` hides the lower."""

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    @property
    def level(self) -> int:
        """0 for low, 1 for medium, 2 for high: for comparing against a threshold."""
        return _LEVELS[self]

    def at_least(self, threshold: Confidence) -> bool:
        return self.level >= threshold.level


_LEVELS = {Confidence.LOW: 0, Confidence.MEDIUM: 1, Confidence.HIGH: 2}


def weakest(*confidences: Confidence) -> Confidence:
    """The lowest of the confidences given."""
    return min(confidences, key=_LEVELS.__getitem__)


@dataclass(frozen=True)
class Edit:
    """Replace the text from (line, column) up to, not including, (end_line, end_column).

    Lines and columns are 1-based; columns count characters.
    """

    line: int
    column: int
    end_line: int
    end_column: int
    content: str


@dataclass(frozen=True)
class Fix:
    applicability: Applicability
    message: str
    edits: tuple[Edit, ...]


@dataclass(frozen=True)
class Diagnostic:
    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    code: str
    name: str
    message: str
    severity: Severity = Severity.WARNING
    confidence: Confidence = Confidence.HIGH
    fix: Fix | None = None
    # What to do about it, in one imperative sentence (the fix's title when there is a fix).
    suggestion: str | None = None

    def __post_init__(self) -> None:
        if self.suggestion is None and self.fix is not None:
            object.__setattr__(self, "suggestion", self.fix.message)

    @property
    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.path, self.line, self.column, self.code)
