"""Flood control per address: past a number of messages a minute, one notice, then the
address is ignored for a cooldown. In memory, per process (several instances each apply it).

Each update is counted once, by its platform id: the platform delivering it again (Telegram
and Viber do while the database is down) gets the verdict the update got the first time, so
an outage never turns one citizen's few messages into a flood, and a message let through
stays let through even if the chat is cooling down by the time it comes back.
"""

from __future__ import annotations

import enum
from collections import deque

from cachetools import LRUCache

from bot.core.messages import Address


class Verdict(enum.Enum):
    OK = "ok"
    NOTIFY = "notify"  # the first message past the limit: tell the citizen once
    IGNORE = "ignore"
    REPEAT = "repeat"  # an update dropped before, delivered again: ignored, not counted again


class FloodGuard:
    def __init__(
        self,
        *,
        limit: int,
        window_s: float = 60.0,
        cooldown_s: float = 60.0,
        max_addresses: int = 100_000,
        max_updates: int = 100_000,
    ) -> None:
        self.limit = limit
        self.window_s = window_s
        self.cooldown_s = cooldown_s
        self.max_addresses = max_addresses
        self._recent: LRUCache[Address, deque[float]] = LRUCache(max_addresses)
        self._cooling: dict[Address, float] = {}
        self.max_updates = max_updates
        self._verdicts: LRUCache[tuple[Address, str], bool] = LRUCache(max_updates)  # → let through

    def check(self, address: Address, now: float, *, update_id: str | None = None) -> Verdict:
        """The verdict on a message from `address` at `now` (seconds); `update_id`: the
        platform's id of the update, to recognise its redeliveries."""
        if update_id is None:
            return self._count(address, now)
        key = (address, update_id)
        admitted = self._verdicts.get(key)
        if admitted is not None:
            return Verdict.OK if admitted else Verdict.REPEAT
        verdict = self._count(address, now)
        self._verdicts[key] = verdict is Verdict.OK
        return verdict

    def _count(self, address: Address, now: float) -> Verdict:
        until = self._cooling.get(address)
        if until is not None:
            if now < until:
                return Verdict.IGNORE
            del self._cooling[address]
            self._recent.pop(address, None)
        times = self._times(address)
        while times and times[0] <= now - self.window_s:
            times.popleft()
        times.append(now)
        if len(times) <= self.limit:
            return Verdict.OK
        self._cooling[address] = now + self.cooldown_s
        return Verdict.NOTIFY

    def _times(self, address: Address) -> deque[float]:
        times = self._recent.get(address)
        if times is None:
            times = deque(maxlen=self.limit + 1)
            self._recent[address] = times
        return times
