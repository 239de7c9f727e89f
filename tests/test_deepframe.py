"""memlint.deepframe: a deep walk keeps its frames in one chunk, and nothing else changes."""

from __future__ import annotations

import resource
import sys

import pytest

from memlint.deepframe import call_deep


def _down(levels: int) -> int:
    return 0 if levels == 0 else 1 + _down(levels - 1)


def _walks() -> int:
    # 5,000 dives 400 frames deep: each crosses at least two 16 KB chunk edges of
    # CPython's frame stack, wherever the caller's frames end.
    return sum(_down(400) for _ in range(5_000))


def _faults(call: object) -> int:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    assert call() == 2_000_000  # type: ignore[operator]
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before


def test_returns_what_the_work_returns_and_raises_what_it_raises() -> None:
    assert call_deep(lambda: "done") == "done"
    with pytest.raises(KeyError, match="missing"):
        call_deep(lambda: {}["missing"])


def test_the_recursion_limit_still_holds() -> None:
    with pytest.raises(RecursionError):
        call_deep(lambda: _down(sys.getrecursionlimit() + 10))


@pytest.mark.skipif(
    sys.implementation.name != "cpython" or sys.version_info < (3, 11),
    reason="frames are kept in chunks from CPython 3.11 on",
)
def test_a_deep_walk_no_longer_maps_a_chunk_per_dive() -> None:
    plain = _faults(_walks)
    deep = _faults(lambda: call_deep(_walks))
    # Plainly, every dive maps and unmaps a chunk and touches its first page again.
    assert plain >= 5_000
    # From the wide frame, the whole walk lies in the chunk mapped once.
    assert deep < 500
