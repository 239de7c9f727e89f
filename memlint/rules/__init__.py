"""Every rule memlint has, in code order."""

from __future__ import annotations

from memlint.rule import Rule
from memlint.rules.mem000_parse_error import ParseError
from memlint.rules.mem201_unbounded_lru_cache import UnboundedLruCache
from memlint.rules.mem202_unbounded_queue import UnboundedQueue
from memlint.rules.mem501_swallowed_memoryerror import SwallowedMemoryError
from memlint.rules.mem900_unused_noqa import UnusedNoqa

ALL_RULES: tuple[type[Rule], ...] = (
    ParseError,
    UnboundedLruCache,
    UnboundedQueue,
    SwallowedMemoryError,
    UnusedNoqa,
)
