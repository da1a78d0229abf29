"""Flood control per address: past a number of messages a minute, one notice, then the
address is ignored for a cooldown. In memory, per process (several instances each apply it)."""

from __future__ import annotations

import enum
from collections import OrderedDict, deque

from bot.core.messages import Address


class Verdict(enum.Enum):
    OK = "ok"
    NOTIFY = "notify"  # the first message past the limit: tell the citizen once
    IGNORE = "ignore"


class FloodGuard:
    def __init__(
        self,
        *,
        limit: int,
        window_s: float = 60.0,
        cooldown_s: float = 60.0,
        max_addresses: int = 100_000,
    ) -> None:
        self.limit = limit
        self.window_s = window_s
        self.cooldown_s = cooldown_s
        self.max_addresses = max_addresses
        self._recent: OrderedDict[Address, deque[float]] = OrderedDict()
        self._cooling: dict[Address, float] = {}

    def check(self, address: Address, now: float) -> Verdict:
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
            if len(self._recent) > self.max_addresses:
                self._recent.popitem(last=False)
        else:
            self._recent.move_to_end(address)
        return times
