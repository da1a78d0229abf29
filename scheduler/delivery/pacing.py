"""Per-chat pacing: a platform's limit on messages to one chat, besides the channel's global
rate (scheduler/ratelimit.py's TokenBucket). Telegram takes at most 20 messages a minute in
one group (its Bot FAQ); a burst of reports for one body would post far more to its team chat.

The pacer gives each group chat evenly spaced slots (a little over 60/limit seconds apart):
a row whose slot is now is sent; any other is put back, due at its slot, which is kept for
it (by row id), so it is sent when it comes back and is not given a later slot. Slots are
kept in this process: two processes sending to one group each keep the pace on their own
(the group limit is then shared; one delivery process is the common case)."""

from __future__ import annotations

import time
from collections.abc import Callable

SPACING = 1.05  # a little slower than the limit: clocks and the platform's window differ


class ChatPacer:
    def __init__(self, per_minute: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = 60.0 / per_minute * SPACING
        self._clock = clock
        self._next: dict[str, float] = {}  # chat → its next free slot
        self._kept: dict[int, float] = {}  # row id → the slot kept for it

    def wait(self, chat: str, row_id: int) -> float:
        """Seconds until `row_id` may go to `chat`: 0 means send it now (its slot is taken)."""
        now = self._clock()
        kept = self._kept.pop(row_id, None)
        if kept is not None and kept <= now + 0.05:
            return 0.0
        slot = max(now, self._next.get(chat, 0.0))
        self._next[chat] = slot + self.interval
        if slot <= now:
            return 0.0
        self._kept[row_id] = slot
        return slot - now

    def forget(self, row_id: int) -> None:
        self._kept.pop(row_id, None)
