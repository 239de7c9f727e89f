"""Every rule memlint has, in code order."""

from __future__ import annotations

from memlint.rule import Rule
from memlint.rules.mem000_parse_error import ParseError
from memlint.rules.mem101_read_splitlines import ReadSplitlines
from memlint.rules.mem102_json_load_whole import JsonLoadWhole
from memlint.rules.mem103_whole_read_consumer import WholeReadConsumer
from memlint.rules.mem104_decompress_whole import DecompressWhole
from memlint.rules.mem105_http_body_buffered import HttpBodyBuffered
from memlint.rules.mem106_fetchall import Fetchall
from memlint.rules.mem201_unbounded_lru_cache import UnboundedLruCache
from memlint.rules.mem202_unbounded_queue import UnboundedQueue
from memlint.rules.mem203_unbounded_memo_dict import UnboundedMemoDict
from memlint.rules.mem204_grow_forever_loop import GrowForeverLoop
from memlint.rules.mem301_gather_unbounded import GatherUnbounded
from memlint.rules.mem302_executor_fanout import ExecutorFanout
from memlint.rules.mem303_create_task_loop import CreateTaskLoop
from memlint.rules.mem401_string_doubling import StringDoubling
from memlint.rules.mem402_concat_in_loop import ConcatInLoop
from memlint.rules.mem403_huge_allocation import HugeAllocation
from memlint.rules.mem404_materialized_comprehension import MaterializedComprehension
from memlint.rules.mem501_swallowed_memoryerror import SwallowedMemoryError
from memlint.rules.mem601_unbounded_recursion import UnboundedRecursion
from memlint.rules.mem900_unused_noqa import UnusedNoqa

ALL_RULES: tuple[type[Rule], ...] = (
    ParseError,
    ReadSplitlines,
    JsonLoadWhole,
    WholeReadConsumer,
    DecompressWhole,
    HttpBodyBuffered,
    Fetchall,
    UnboundedLruCache,
    UnboundedQueue,
    UnboundedMemoDict,
    GrowForeverLoop,
    GatherUnbounded,
    ExecutorFanout,
    CreateTaskLoop,
    StringDoubling,
    ConcatInLoop,
    HugeAllocation,
    MaterializedComprehension,
    SwallowedMemoryError,
    UnboundedRecursion,
    UnusedNoqa,
)
