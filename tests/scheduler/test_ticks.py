"""scheduler/ticks.py: `wake` brings a periodic tick forward, and a wake that comes while a
tick is running makes it tick once more (the running one may have looked before the commit
that woke it)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from scheduler.ticks import Ticks


async def test_a_wake_ticks_now_and_once_more_after_a_running_tick():
    calls: list[int] = []
    started, release, second = asyncio.Event(), asyncio.Event(), asyncio.Event()

    async def tick() -> None:
        calls.append(len(calls))
        if len(calls) == 1:
            started.set()
            await release.wait()
        else:
            second.set()

    ticks = Ticks("test", tick)
    scheduler = AsyncIOScheduler(timezone=UTC)
    ticks.install(scheduler, job_id="test", seconds=3600)
    scheduler.modify_job("test", next_run_time=datetime.now(UTC) + timedelta(hours=1))
    ticks.wake()  # not started yet: nothing to do
    scheduler.start()
    try:
        ticks.wake()
        await asyncio.wait_for(started.wait(), timeout=10)
        ticks.wake()  # during the tick
        release.set()
        await asyncio.wait_for(second.wait(), timeout=10)
        assert calls == [0, 1]
    finally:
        await ticks.close()
        scheduler.shutdown(wait=False)
