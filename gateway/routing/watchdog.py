"""The timeout watchdog of a router: one timer that looks at every stream in progress.

Ours (gateway.router). ``timeout_s`` bounds the wait for the first chunk and for each next one,
with nothing done per chunk.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

WATCHDOG_STEPS = 4
"""The watchdog looks this many times per (shortest) ``timeout_s``: a stall is caught between
``timeout_s`` and ``timeout_s`` × (1 + 1/WATCHDOG_STEPS) after it began."""


class Watchdog:
    """One timer per router (shared by its views) that looks at every stream in progress.

    It costs nothing per delta and one set insertion per attempt: every ``tick_s`` (a quarter of
    the shortest timeout) it looks at each watched attempt's stream (the router's own generator).
    While that stream waits for the upstream, ``gen.ag_await`` is the pending step of the
    handler's stream, a new object for each step; at a ``yield`` (the caller's turn) it is
    ``None``. The same pending step seen for ``timeout`` is a stall: the caller's task, which
    waits in it, is cancelled (the handler's stream closes its connection as it unwinds) and the
    cancellation becomes an ``AttemptTimedOut``. A stall is caught between ``timeout`` and
    ``timeout + tick_s`` after it began.
    """

    def __init__(self, tick_s: float) -> None:
        self.tick_s = tick_s
        self.watched: set[Any] = set()  # the attempts, each with .check(now)
        self.timer: asyncio.TimerHandle | None = None
        self.loop: asyncio.AbstractEventLoop | None = None

    def watch(self, attempt: Any) -> None:
        self.watched.add(attempt)
        loop = asyncio.get_running_loop()
        if self.timer is None or self.loop is not loop:
            self.loop = loop
            self.timer = loop.call_later(self.tick_s, self._tick)

    def _tick(self) -> None:
        now = time.monotonic()
        for attempt in list(self.watched):
            attempt.check(now)
        if self.watched and self.loop is not None:
            self.timer = self.loop.call_later(self.tick_s, self._tick)
        else:
            self.timer = None
