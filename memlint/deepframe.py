"""Run a deep tree walk without CPython mapping and unmapping its frame stack at every turn.

From CPython 3.11, a thread's Python frames live on a stack of chunks of 16 KB, and the
call that pops the first frame of a chunk hands the chunk back to the system at once
(munmap). A walk over a libcst tree recurses through several frames per level, so it goes
up and down across a chunk's edge all the time, and every crossing maps and unmaps 16 KB:
measured on `test/test_asyncio/test_tasks.py`, 115,000 mmap/munmap pairs and 140,000 page
faults for one lint, a fifth of the process's CPU time spent in the kernel.

A new chunk is sized to the frame that needs it, rounded up to a power of two, and the
frames after it fill what is left. So the walk is called from a frame of about 250 KB
(a function with many unused local slots): its chunk is 512 KB, with about 260 KB free
after it, which holds the walk's whole depth (over a thousand frames) in one chunk that is
mapped once per call. Before 3.11 frames are not kept this way and the call is plain.
"""

from __future__ import annotations

import sys
import types
from typing import Callable, TypeVar

T = TypeVar("T")

# Local slots of the calling frame: 8 bytes each, with CPython's minimum of 1,000 words
# more per chunk, just over 256 KB, so CPython rounds the chunk up to 512 KB.
_SLOTS = 31_800
# Whether this interpreter keeps frames in chunks (CPython 3.11 and later).
_CHUNKED = sys.implementation.name == "cpython" and sys.version_info >= (3, 11)


def _plain(work: Callable[[], T]) -> T:
    return work()


def _on_a_deep_chunk() -> Callable[[Callable[[], T]], T]:
    if not _CHUNKED:
        return _plain
    code = _plain.__code__
    try:
        slots = tuple(f"_slot{i}" for i in range(_SLOTS))
        wide = code.replace(
            co_varnames=(*code.co_varnames, *slots), co_nlocals=code.co_nlocals + _SLOTS
        )
        call = types.FunctionType(wide, {}, "call_on_a_deep_chunk")
        if call(lambda: 42) != 42:  # pragma: no cover - a code object CPython did not take
            return _plain
    except (TypeError, ValueError):  # pragma: no cover - another interpreter's code objects
        return _plain
    return call


call_deep: Callable[[Callable[[], T]], T] = _on_a_deep_chunk()
"""`call_deep(work)` is `work()`, with the frames `work` pushes kept in one chunk."""
