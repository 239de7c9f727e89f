"""When documents are analysed: after a pause in typing, one at a time, the latest first."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import Callable

log = logging.getLogger(__name__)


class Scheduler:
    """Debounces analysis requests per document and runs them one after another.

    A request waits `delay` seconds, and a newer request for the same document replaces a
    waiting one, so a burst of keystrokes costs one analysis. Due documents are taken
    most recent first: the one being edited goes before the rest of a freshly opened
    workspace. `analyse` takes a document's newest text when it starts, so an analysis
    never runs on a version that a later one has replaced while it waited.
    """

    def __init__(self, analyse: Callable[[str], Awaitable[None]]) -> None:
        self._analyse = analyse
        self._timers: dict[str, asyncio.TimerHandle] = {}
        # Insertion-ordered: the last key is the most recently requested document.
        self._due: dict[str, None] = {}
        self._consumer: asyncio.Task[None] | None = None
        self._wake: asyncio.Event | None = None

    def schedule(self, uri: str, delay: float) -> None:
        """Analyse `uri` after `delay` seconds (0: as soon as the analyses before it end)."""
        timer = self._timers.pop(uri, None)
        if timer is not None:
            timer.cancel()
        if delay > 0:
            loop = asyncio.get_running_loop()
            self._timers[uri] = loop.call_later(delay, self._make_due, uri)
        else:
            self._make_due(uri)

    def forget(self, uri: str) -> None:
        """Drop a waiting request (the document was closed)."""
        timer = self._timers.pop(uri, None)
        if timer is not None:
            timer.cancel()
        self._due.pop(uri, None)

    def pending(self, uri: str) -> bool:
        return uri in self._timers or uri in self._due

    def _make_due(self, uri: str) -> None:
        self._timers.pop(uri, None)
        self._due.pop(uri, None)
        self._due[uri] = None
        if self._wake is None:
            self._wake = asyncio.Event()
        self._wake.set()
        if self._consumer is None or self._consumer.done():
            self._consumer = asyncio.get_running_loop().create_task(self._consume())

    async def _consume(self) -> None:
        assert self._wake is not None
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._due:
                uri = next(reversed(self._due))
                del self._due[uri]
                try:
                    await self._analyse(uri)
                except asyncio.CancelledError:
                    raise
                except Exception:
                    # A bug in one analysis must not stop every later one.
                    log.exception("analysing %s failed", uri)

    def close(self) -> None:
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        self._due.clear()
        if self._consumer is not None:
            self._consumer.cancel()
