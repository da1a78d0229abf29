"""Per-chat pacing: a platform's limit on messages to one chat, besides the channel's global
rate (scheduler/ratelimit.py's TokenBucket). Telegram takes at most 20 messages a minute in
one group (its Bot FAQ); a burst of reports for one body would post far more to its team chat.

The pacer gives each group chat evenly spaced slots (a little over 60/limit seconds apart):
a row whose slot is now is sent; any other is put back, due at its slot, which is kept for
it (by row id), so it is sent when it comes back and is not given a later slot; and the
sends of the last minute are counted, so rows that come back late never make more than the
limit less one in any 60 s. Slots are
kept in this process: two processes sending to one group each keep the pace on their own
(the group limit is then shared; one delivery process is the common case).

When more than a minute's worth wait for one chat (`limit`), the sender combines them into
one message in the slot that came (bundling.py): `combined` then frees the slots kept for
the rows so carried, so the chat's next news is not queued behind slots nobody needs.

The clock is the delivery engine's (the wall clock; a test's controllable one), the one by
which a row put back is due again."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

WINDOW = 60.0
SPACING = 1.02  # a little slower than that: clocks and the platform's window differ


class ChatPacer:
    def __init__(self, per_minute: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = max(1, per_minute - 1)  # sends in any 60 s, one spare for the wire's jitter
        self.interval = WINDOW / self.limit * SPACING
        self._clock = clock
        self._next: dict[str, float] = {}  # chat → its next free slot
        self._kept: dict[int, float] = {}  # row id → the slot kept for it
        self._sent: dict[str, deque[float]] = {}  # chat → its sends of the last minute

    def wait(self, chat: str, row_id: int) -> float:
        """Seconds until `row_id` may go to `chat`: 0 means send it now (counted as sent).
        A row that comes back late does not make the minute's sends more than the limit: the
        sends of the last 60 s are counted too."""
        now = self._clock()
        sent = self._sent.setdefault(chat, deque())
        while sent and sent[0] <= now - WINDOW:
            sent.popleft()
        kept = self._kept.pop(row_id, None)
        if kept is None:
            kept = max(now, self._next.get(chat, 0.0))
            self._next[chat] = kept + self.interval
        if kept <= now + 0.05:
            if len(sent) < self.limit:
                sent.append(now)
                return 0.0
            kept = sent[0] + WINDOW  # the minute is full: when its first send leaves it
            self._next[chat] = max(self._next.get(chat, 0.0), kept + self.interval)
        self._kept[row_id] = kept
        return kept - now

    def forget(self, row_id: int) -> None:
        self._kept.pop(row_id, None)

    def combined(self, chat: str, row_ids: list[int]) -> None:
        """The rows `row_ids` to `chat` went out in one combined message, in the slot just
        given: their kept slots are free, and the chat's next free slot is the one after
        this send (the last minute's sends still count)."""
        for row_id in row_ids:
            self._kept.pop(row_id, None)
        self._next[chat] = self._clock() + self.interval
