"""The per-group pacing of the delivery engine (scheduler/delivery/pacing.py): a burst to one
group is spread to Telegram's 20 messages a minute, a row put back keeps its slot, and other
chats are not held up."""

from __future__ import annotations

from scheduler.delivery.pacing import ChatPacer


def test_a_burst_to_one_group_is_spread_within_the_limit():
    now = [1000.0]
    pacer = ChatPacer(20, clock=lambda: now[0])
    waits = [pacer.wait("-100", row) for row in range(60)]
    assert waits[0] == 0 and all(w > 0 for w in waits[1:])
    assert pacer.wait("-200", 999) == 0  # another group: its own pace
    # Each row comes back at its slot and goes then, without taking a later one.
    sent = [1000.0]
    for row in range(1, 60):
        now[0] = 1000.0 + waits[row]
        assert pacer.wait("-100", row) == 0
        sent.append(now[0])
    for first in range(len(sent)):
        assert sum(1 for t in sent[first:] if t - sent[first] < 60.0) <= 20
    # Rows that come back late (a busy process) still keep the minute within the limit.
    late = [pacer.wait("-300", row) for row in range(100, 140)]
    times = [now[0]]
    waiting = {row: now[0] + w for row, w in zip(range(101, 140), late[1:], strict=True)}
    while waiting:
        row = min(waiting, key=waiting.__getitem__)
        now[0] = waiting.pop(row) + (9.0 if row % 3 == 0 else 0.0)
        wait = pacer.wait("-300", row)
        if wait:
            waiting[row] = now[0] + wait
        else:
            times.append(now[0])
    assert len(times) == 40
    for first in range(len(times)):
        assert sum(1 for t in times[first:] if t - times[first] < 60.0) <= 19
