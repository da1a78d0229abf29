"""Jobs on APScheduler: a periodic tick that a shutdown waits for, and a daily job.

The database is the source of truth for what is due; these only say when to look."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

log = logging.getLogger(__name__)


class Ticks:
    """A periodic tick (`install`), plus the tasks it starts (`track`): `close` stops new
    ticks and waits for those in progress, so none outlives the database."""

    def __init__(self, name: str, tick: Callable[[], Awaitable[Any]]) -> None:
        self.name = name
        self.tick = tick
        self.closed = False
        self._running: set[asyncio.Task[Any]] = set()
        self._scheduler: AsyncIOScheduler | None = None
        self._job_id = ""
        self._ticking = False
        self._again = False

    def install(self, scheduler: AsyncIOScheduler, *, job_id: str, seconds: float) -> None:
        """Every `seconds`, the first right away (work that fell due while the bot was down)."""
        self._scheduler, self._job_id = scheduler, job_id
        scheduler.add_job(
            self._scheduled,
            "interval",
            seconds=seconds,
            id=job_id,
            next_run_time=datetime.now(UTC),
            coalesce=True,
            max_instances=1,
            misfire_grace_time=None,
            replace_existing=True,
        )

    def wake(self) -> None:
        """Tick now rather than at the next interval (new work was just committed). A tick in
        progress may have looked before that commit: it ticks once more when it ends."""
        scheduler = self._scheduler
        if scheduler is None or not scheduler.running or self.closed:
            return
        if self._ticking:
            self._again = True
            return
        with contextlib.suppress(LookupError):
            scheduler.modify_job(self._job_id, next_run_time=datetime.now(UTC))

    def track(self, task: asyncio.Future[Any]) -> None:
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def close(self) -> None:
        self.closed = True
        if self._running:
            await asyncio.gather(*self._running, return_exceptions=True)

    async def _scheduled(self) -> None:
        if self.closed:
            return
        task = asyncio.current_task()
        if task is not None:
            self.track(task)
        self._ticking = True
        try:
            while True:
                self._again = False
                try:
                    await self.tick()
                except Exception:
                    log.exception("the %s tick failed; the next tick retries", self.name)
                    break
                if not self._again or self.closed:
                    break
        finally:
            self._ticking = False


def add_daily(
    scheduler: AsyncIOScheduler,
    job: Callable[[], Awaitable[Any]],
    *,
    at: tuple[int, int],
    job_id: str,
) -> None:
    """`job` once a day at `at` (hour, minute) in the scheduler's time zone (the city's)."""
    hour, minute = at
    scheduler.add_job(
        job,
        "cron",
        hour=hour,
        minute=minute,
        id=job_id,
        coalesce=True,
        max_instances=1,
        replace_existing=True,
    )
