"""The token bucket on a virtual clock: pacing, the catch-up burst, pauses (429), replies
charged without waiting, and fairness between concurrent senders."""

from __future__ import annotations

import asyncio

import pytest

from scheduler.ratelimit import TokenBucket


class VirtualTime:
    """A clock that moves only when someone sleeps on it."""

    def __init__(self) -> None:
        self.now = 0.0
        self.on_sleep: list[object] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        assert seconds > 0
        self.now += seconds
        for hook in self.on_sleep:
            hook()  # type: ignore[operator]
        await asyncio.sleep(0)


def bucket(rate: float | None, t: VirtualTime, **kw: object) -> TokenBucket:
    return TokenBucket(rate, clock=t.clock, sleep=t.sleep, **kw)  # type: ignore[arg-type]


async def times(b: TokenBucket, t: VirtualTime, n: int) -> list[float]:
    out = []
    for _ in range(n):
        await b.acquire()
        out.append(round(t.now, 6))
    return out


async def test_sends_are_evenly_spaced_below_the_limit():
    t = VirtualTime()
    b = bucket(100, t, headroom=0.0)
    assert b.burst == 1
    assert await times(b, t, 4) == [0.0, 0.01, 0.02, 0.03]
    slower = bucket(100, VirtualTime(), headroom=0.2)
    assert slower.limit == 100 and slower.rate == pytest.approx(80)


async def test_a_fast_bucket_may_catch_up_ten_milliseconds_worth():
    t = VirtualTime()
    b = bucket(1000, t, headroom=0.0)
    assert b.burst == 10
    got = await times(b, t, 12)
    assert got[:10] == [0.0] * 10  # what was saved up while idle...
    assert got[10:] == [0.001, 0.002]  # ...then the pace
    t.now = 5.0  # a long idle time saves up no more than the burst
    assert await times(b, t, 11) == [5.0] * 10 + [5.001]


async def test_a_pause_holds_every_sender_and_a_pause_during_a_wait_voids_the_slot():
    t = VirtualTime()
    b = bucket(10, t, headroom=0.0)
    b.pause(1.5)
    assert b.paused_for == 1.5
    assert await times(b, t, 2) == [1.5, 1.6]
    t.on_sleep.append(lambda: b.pause(2.0) if t.now < 2 else None)
    await b.acquire()  # its slot at 1.7 falls inside the new pause: waits it out
    assert t.now == pytest.approx(3.7)


async def test_replies_are_charged_without_waiting_and_bulk_makes_room():
    t = VirtualTime()
    b = bucket(10, t, headroom=0.0, max_debt=0.5)
    for _ in range(3):
        b.charge()  # never waits
    assert t.now == 0.0
    assert await times(b, t, 1) == [0.3]
    for _ in range(100):
        b.charge()
    assert await times(b, t, 1) == [0.8]  # the debt is capped at max_debt


async def test_concurrent_senders_share_the_rate_in_arrival_order():
    t = VirtualTime()
    b = bucket(50, t, headroom=0.0)
    order: list[tuple[int, float]] = []

    async def sender(i: int) -> None:
        await b.acquire()
        order.append((i, round(t.now, 6)))

    await asyncio.gather(*(sender(i) for i in range(5)))
    assert order == [(0, 0.0), (1, 0.02), (2, 0.04), (3, 0.06), (4, 0.08)]


async def test_no_limit_never_waits():
    t = VirtualTime()
    b = bucket(None, t)
    assert await times(b, t, 1000) == [0.0] * 1000
    b.charge()
    with pytest.raises(ValueError):
        TokenBucket(0)
