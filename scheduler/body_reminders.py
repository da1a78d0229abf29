"""Bodies' daily jobs in city time: the digest of new reports (BODY_DIGEST_TIME) and the
overdue reminder (OVERDUE_REMINDER_TIME; the domain skips days off). The rules are
bot/domain/body_reminders.py's; this runs them in one transaction each, as the system actor
"scheduler", and hands the queued rows to the delivery engine after the commit.

Safe with several processes: each job claims its day first, in the same transaction, with the
dedupe key ("scheduler", "<job>:<city date>") of storage/repos/updates.py (the key incoming
updates use; pruned after a week): one process sends a day's digests and reminders, once."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.city import CityPack
from bot.config import Settings
from bot.domain import body_reminders
from bot.domain.actors import Actor
from bot.domain.work import Work
from bot.i18n import Translator
from scheduler.ticks import add_daily
from storage.db import Database
from storage.models import Role
from storage.repos import updates

log = logging.getLogger(__name__)

ACTOR = "scheduler"


def _hhmm(value: str) -> tuple[int, int]:
    hour, _, minute = value.partition(":")
    return int(hour), int(minute)


class BodyReminders:
    def __init__(
        self,
        *,
        db: Database,
        city: CityPack,
        settings: Settings,
        translator: Translator,
        clock: Callable[[], datetime],
        deliver: Callable[[Sequence[int]], Awaitable[None]] | None = None,
    ) -> None:
        self.db = db
        self.city = city
        self.settings = settings
        self.translator = translator
        self.clock = clock
        self.deliver = deliver

    def install(self, scheduler: AsyncIOScheduler) -> None:
        add_daily(
            scheduler,
            self._scheduled(self.digests),
            at=_hhmm(self.settings.body_digest_time),
            job_id="body_digests",
        )
        add_daily(
            scheduler,
            self._scheduled(self.overdue),
            at=_hhmm(self.settings.overdue_reminder_time),
            job_id="overdue_reminders",
        )

    async def digests(self) -> int:
        """Queue and deliver the day's digests; how many messages."""
        return await self._run("body_digests", body_reminders.send_digests)

    async def overdue(self) -> int:
        """Queue and deliver the overdue reminders (none on a day off); how many messages."""
        return await self._run("overdue_reminders", body_reminders.remind_overdue)

    async def _run(self, job: str, action: Callable[..., Awaitable[list[int]]]) -> int:
        async with self.db.sessions() as session, session.begin():
            now = self.clock()
            day = now.astimezone(self.city.timezone).date().isoformat()
            if not await updates.claim(session, channel=ACTOR, external_id=f"{job}:{day}", now=now):
                log.info("%s of %s: done already", job, day)
                return 0
            work = Work(
                session=session,
                actor=Actor.machine(ACTOR, Role.STAFF),
                settings=self.settings,
                translator=self.translator,
                city=self.city,
                clock=lambda: now,
            )
            queued = await action(work, limit=self.settings.overdue_reminder_limit)
        if queued and self.deliver is not None:
            await self.deliver(queued)
        return len(queued)

    def _scheduled(self, run: Callable[[], Awaitable[int]]) -> Callable[[], Awaitable[None]]:
        async def job() -> None:
            try:
                await run()
            except Exception:
                log.exception("a body reminder job failed; it runs again tomorrow")

        return job
