"""Every few minutes: the reporters of newly late reports are told (bot/domain/late_news.py),
a batch per transaction, as the system actor "scheduler:late"."""

from __future__ import annotations

import logging

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.core.context import Services
from bot.domain import late_news
from bot.domain.actors import Actor
from bot.domain.work import Work
from scheduler.ticks import Ticks
from storage.db import Database

log = logging.getLogger(__name__)

JOB_ID = "late_news"
TICK_SECONDS = 300.0
ACTOR = "scheduler:late"


class LateNews:
    def __init__(
        self, *, db: Database, services: Services, tick_seconds: float = TICK_SECONDS
    ) -> None:
        self.db = db
        self.services = services
        self.tick_seconds = tick_seconds
        self.ticks = Ticks(JOB_ID, self.run)

    def install(self, scheduler: AsyncIOScheduler) -> None:
        self.ticks.install(scheduler, job_id=JOB_ID, seconds=self.tick_seconds)

    async def close(self) -> None:
        await self.ticks.close()

    async def run(self) -> int:
        """Tell every newly late report's reporter; how many reports were told."""
        told = 0
        while True:
            services = self.services
            async with self.db.sessions() as session:
                work = Work(
                    session=session,
                    actor=Actor.machine(ACTOR),
                    settings=services.settings,
                    translator=services.translator,
                    city=services.city,
                    clock=services.clock,
                    deliver=services.deliver,
                )
                claimed = await late_news.tell_late(work)
                await session.commit()
            for task in work.after_commit:
                await task()
            told += claimed
            if claimed < late_news.BATCH:
                return told
