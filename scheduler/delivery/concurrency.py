"""How many sends of one channel are on the wire at once (adaptive).

As many as the rate needs to hide the round trip (Little's law), no more: every extra
connection costs CPU on each request. The round trip is the fastest recent send: averages
would count our own CPU queueing as network and feed back into more concurrency.
"""

from __future__ import annotations

import asyncio
import math
import statistics
import time
from collections import deque
from collections.abc import Callable

MIN_CONCURRENCY = 2
UNLIMITED_PACE = 1000.0  # sends a second assumed for an unlimited channel until measured
WINDOW = 64  # sends measured before the concurrency is reconsidered


class Concurrency:
    """The sends allowed on the wire (`active`), between MIN_CONCURRENCY and `limit`; worker
    number i sends only while i < active (`turn`)."""

    def __init__(self, *, limit: int, rate: Callable[[], float | None]) -> None:
        self.limit = limit
        self._rate = rate  # the channel's bucket rate now (None: unlimited)
        self._latency = 0.01  # seconds: the fastest and the median of recent sends
        self._latency_median = 0.01
        self._throughput = UNLIMITED_PACE  # sends a second, measured (unlimited channels)
        self._recent: deque[float] = deque(maxlen=WINDOW)
        self._window_began = time.monotonic()
        self.active = self.wanted()
        self._more = asyncio.Event()

    def wanted(self) -> int:
        # Under a rate limit, enough sends in flight to keep its pace at the typical (median)
        # send time, with half again for jitter: by the fastest send time it stayed at 2 and
        # reached only 0.87 of a 1000/s limit (bench/broadcast.py). Without one, the pace we
        # achieve at the fastest send time, so concurrency grows while that helps, by half at
        # a time, and stops when something else (CPU, the server) is the limit.
        rate = self._rate()
        if rate:
            wanted = math.ceil(rate * self._latency_median * 1.5) + 1
        else:
            wanted = math.ceil(self._throughput * self._latency * 1.5) + 1
        return max(MIN_CONCURRENCY, min(self.limit, wanted))

    def observe(self, seconds: float) -> None:
        """One send took `seconds` on the wire."""
        self._recent.append(seconds)
        if len(self._recent) == self._recent.maxlen:
            now = time.monotonic()
            self._latency = min(self._recent)
            self._latency_median = statistics.median(self._recent)
            self._throughput = len(self._recent) / max(1e-6, now - self._window_began)
            self._window_began = now
            self._recent.clear()
            wanted = self.wanted()
            if wanted > self.active:
                self._more.set()
                self._more = asyncio.Event()
            self.active = wanted

    async def turn(self, index: int) -> None:
        """Until worker `index` may send."""
        while index >= self.active:
            await self._more.wait()
