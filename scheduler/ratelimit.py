"""A per-channel token bucket for bulk sending, with pauses for the platform's 429s.

The bucket refills at `rate` tokens a second and holds at most `burst` tokens: by default
what 10 ms of sending earns (at least 1), just enough to catch up after the event loop wakes a
timer late (epoll sleeps in whole milliseconds), not enough to matter to the platform. Waiters
take their turn in arrival order, one at a time (virtual scheduling, as in GCRA), so many
concurrent senders together keep to the rate, none starves, and a reply charged meanwhile
delays the very next bulk send.

* `acquire()` waits for a token: bulk sends.
* `charge()` takes a token without waiting, going into debt if need be: sends that must not
  wait (replies to citizens, a report's status news). The debt slows the bulk senders down, so
  the channel's total stays within the limit; it is capped (`max_debt` seconds of sending).
* `pause(seconds)` stops the bulk senders for that long (a 429 with retry_after).

The platform counts requests when they arrive, we count them when they leave; network and
event-loop jitter between the two would let a bucket paced at exactly the limit overrun it
now and then. `headroom` keeps the pace that fraction below the configured limit.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

DEFAULT_HEADROOM = 0.03
DEFAULT_BURST_SECONDS = 0.01
DEFAULT_MAX_DEBT = 1.0


def rate_limit(settings: object, channel: str) -> float | None:
    """<CHANNEL>_RATE_LIMIT (e.g. TELEGRAM_RATE_LIMIT) if there is one; None: no limit.
    The budget of the channel's replies and bulk sends together."""
    value = getattr(settings, f"{channel}_rate_limit", None)
    return float(value) if isinstance(value, int | float) else None


class TokenBucket:
    def __init__(
        self,
        rate: float | None,
        *,
        burst: int | None = None,
        headroom: float = DEFAULT_HEADROOM,
        max_debt: float = DEFAULT_MAX_DEBT,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if rate is not None and rate <= 0:
            raise ValueError("rate must be positive (or None for no limit)")
        if not 0 <= headroom < 1:
            raise ValueError("headroom must be in [0, 1)")
        self.limit = rate
        self.rate = rate * (1 - headroom) if rate is not None else None
        if burst is None:
            burst = max(1, int(self.rate * DEFAULT_BURST_SECONDS)) if self.rate else 1
        if burst < 1:
            raise ValueError("burst must be at least 1")
        self.burst = burst
        self.max_debt = max_debt
        self.clock = clock
        self.sleep = sleep
        self._tat = 0.0  # theoretical arrival time of the next token (GCRA)
        self._paused_until = 0.0
        self._turn = asyncio.Lock()

    @property
    def interval(self) -> float:
        return 1.0 / self.rate if self.rate else 0.0

    @property
    def paused_for(self) -> float:
        """Seconds left of the current pause (0 when not paused)."""
        return max(0.0, self._paused_until - self.clock())

    def pause(self, seconds: float) -> None:
        """No bulk sends for `seconds` from now (a longer pause already running wins)."""
        self._paused_until = max(self._paused_until, self.clock() + max(0.0, seconds))

    def _reserve(self, now: float) -> float:
        """Reserve the next token; returns when it may be used."""
        start = max(now, self._paused_until)
        if not self.rate:
            return start
        tolerance = (self.burst - 1) * self.interval
        at = max(start, self._tat - tolerance)
        self._tat = max(self._tat, at) + self.interval
        return at

    async def acquire(self) -> None:
        """Wait for a token (and for a pause to end)."""
        if not self.rate and not self._paused_until:
            return
        async with self._turn:
            while True:
                now = self.clock()
                at = self._reserve(now)
                if at <= now:
                    return
                await self.sleep(at - now)
                if self._paused_until <= self.clock() + 1e-9:
                    return
                # A pause began while we slept: our slot is void, queue again behind it.

    def charge(self) -> None:
        """Account for a send that did not wait (a reply); later bulk sends wait longer."""
        if not self.rate:
            return
        now = self.clock()
        self._tat = min(max(self._tat, now) + self.interval, now + self.max_debt)
