"""Waiting for an event with a time limit, without losing a cancellation.

Python 3.11's `asyncio.wait_for` returns the awaited result when the task is cancelled just as
that result arrives, and the cancellation is lost (fixed in 3.12). A loop that sleeps on a
"stopping" event with it is cancelled exactly then: stop sets the event and cancels the task
together. The loop then went on with a sleep that no longer waited: a stopped bot polled a
dead Bot API hundreds of thousands of times until killed. `asyncio.timeout` keeps the
cancellation."""

from __future__ import annotations

import asyncio


async def wait_event(event: asyncio.Event, seconds: float | None) -> bool:
    """Until `event` is set (True) or `seconds` have passed (False)."""
    if event.is_set():
        return True
    try:
        async with asyncio.timeout(seconds):
            await event.wait()
    except TimeoutError:
        return False
    return True
