"""bot/core/waiting.py: a timed wait on an event that keeps a cancellation."""

from __future__ import annotations

import asyncio

from bot.core.waiting import wait_event


async def test_the_wait_ends_with_the_event_or_the_time():
    event = asyncio.Event()
    assert await wait_event(event, 0.01) is False
    event.set()
    assert await wait_event(event, 60) is True


async def test_a_cancellation_that_comes_with_the_event_is_kept():
    """As a stop does: set the event the loop sleeps on, and cancel the loop at once. With
    Python 3.11's wait_for the cancellation was lost and the loop spun on."""
    event = asyncio.Event()
    turns = 0

    async def loop() -> None:
        nonlocal turns
        while True:
            turns += 1
            await wait_event(event, 60)

    task = asyncio.create_task(loop())
    await asyncio.sleep(0)  # one turn of the event loop: the task runs until it waits
    assert turns == 1
    event.set()
    task.cancel()
    done, _ = await asyncio.wait({task}, timeout=5)
    assert task in done and task.cancelled()
    assert turns == 1
