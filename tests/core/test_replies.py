"""The reply sender on a virtual clock: pacing within the channel's rate, 429s waited out in
order per chat without holding up other chats, a bounded retry that ends in a counted and
logged loss, and the shutdown grace. (End to end through the real channels:
tests/e2e/test_replies.py.)"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict

import pytest

from bot.core.channel import SENT, SendResult, SendStatus
from bot.core.messages import Address, Reply
from bot.core.replies import ReplySender
from tests.scheduler.test_ratelimit import VirtualTime

A, B = Address("fake", "a"), Address("fake", "b")


class ScriptedChannel:
    """Records what it sends (and when, on the virtual clock); answers from a script."""

    name = "fake"

    def __init__(self, time: VirtualTime) -> None:
        self.time = time
        self.sent: dict[Address, list[str]] = defaultdict(list)
        self.at: list[float] = []
        self.script: dict[Address, list[SendResult]] = defaultdict(list)

    async def send(self, to: Address, reply: Reply, *, skip: int = 0) -> SendResult:
        if self.script[to]:
            return self.script[to].pop(0)
        self.sent[to].append(reply.text)
        self.at.append(self.time.now)
        return SENT


def sender(time: VirtualTime, channel: ScriptedChannel, **kw: object) -> ReplySender:
    replies = ReplySender(
        channels={"fake": channel},  # type: ignore[dict-item]
        clock=time.clock,
        sleep=time.sleep,
        **kw,  # type: ignore[arg-type]
    )
    replies.on_outcome = lambda _, outcome: outcomes.append(outcome)
    outcomes.clear()
    return replies


outcomes: list[str] = []


def too_many(seconds: float | None) -> SendResult:
    return SendResult(SendStatus.RETRY_AFTER, retry_after=seconds, error="429")


async def test_replies_to_many_chats_keep_to_the_channel_rate():
    time = VirtualTime()
    channel = ScriptedChannel(time)
    replies = sender(time, channel, rate_limit=lambda _: 30.0)
    addresses = [Address("fake", str(i)) for i in range(120)]
    await replies.wait(replies.enqueue((a, Reply(f"to {a.user_id}")) for a in addresses))
    assert sum(len(texts) for texts in channel.sent.values()) == 120
    busiest = max(sum(1 for t in channel.at if s <= t < s + 1) for s in channel.at)
    assert busiest <= 30
    assert channel.at[-1] >= 3.5  # 120 at under 30 a second


async def test_a_429_is_waited_out_in_order_and_other_chats_go_on():
    time = VirtualTime()
    gate = asyncio.Event()
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        await gate.wait()

    channel = ScriptedChannel(time)
    replies = sender(time, channel)
    replies.sleep = sleep
    channel.script[A] = [too_many(3.0)]
    first = replies.enqueue([(A, Reply("a1")), (A, Reply("a2"))])
    (other,) = replies.enqueue([(B, Reply("b1"))])
    assert (await other).ok  # B is not held up by A's wait
    assert waits == [3.0] and channel.sent[A] == []
    gate.set()
    assert all(r.ok for r in await replies.wait(first))
    assert channel.sent[A] == ["a1", "a2"]
    assert outcomes.count("retried") == 1 and outcomes.count("sent") == 3


async def test_retrying_ends_after_the_retry_time_with_a_counted_logged_loss(
    caplog: pytest.LogCaptureFixture,
):
    time = VirtualTime()
    channel = ScriptedChannel(time)
    replies = sender(time, channel, retry_seconds=10)
    channel.script[A] = [too_many(4.0)] * 5 + [SENT]
    result = await replies.send(A, Reply("lost"))
    assert result.status is SendStatus.RETRY_AFTER
    assert time.now == 8.0  # tried at 0, 4 and 8; a wait to 12 is past the 10 s allowed
    assert outcomes == ["retried", "retried", "failed"]
    (record,) = [r for r in caplog.records if "not delivered" in r.getMessage()]
    assert record.levelno == logging.WARNING
    assert await replies.send(A, Reply("next")) is not None  # the lane goes on


async def test_a_429_without_retry_after_waits_a_second():
    time = VirtualTime()
    channel = ScriptedChannel(time)
    replies = sender(time, channel)
    channel.script[A] = [too_many(None)]
    assert (await replies.send(A, Reply("viber"))).ok
    assert time.now == 1.0


async def test_shutdown_flushes_within_the_grace_then_counts_what_is_left(
    caplog: pytest.LogCaptureFixture,
):
    time = VirtualTime()
    waiting, never = asyncio.Event(), asyncio.Event()

    async def sleep(_: float) -> None:
        waiting.set()
        await never.wait()

    channel = ScriptedChannel(time)
    replies = sender(time, channel)
    replies.sleep = sleep
    channel.script[A] = [too_many(30.0)]
    stuck = replies.enqueue([(A, Reply("a1")), (A, Reply("a2"))])
    await waiting.wait()  # a1 waits out its 429
    assert (await replies.send(B, Reply("b1"))).ok  # other chats go on meanwhile
    await replies.close(grace=0.05)
    results = await replies.wait(stuck)
    assert [r.error for r in results] == ["shutting down"] * 2
    assert outcomes.count("failed") == 2 and replies.pending == 0
    assert len([r for r in caplog.records if "not delivered" in r.getMessage()]) == 2


async def test_while_stopping_a_429_is_waited_out_only_within_the_grace():
    time = VirtualTime()
    channel = ScriptedChannel(time)
    replies = sender(time, channel)
    channel.script[A] = [too_many(30.0)]
    channel.script[B] = [too_many(0.5)]
    lost, kept = replies.enqueue([(A, Reply("a1")), (B, Reply("b1"))])
    await replies.close(grace=5.0)
    assert (await lost).status is SendStatus.RETRY_AFTER and (await kept).ok
    assert channel.sent == {B: ["b1"]}
