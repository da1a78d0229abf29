"""Retention: once a day, the personal data of citizens not seen for RETENTION_MONTHS is
deleted the way /forget deletes it (storage/repos/personal_data.py), in batches of one
transaction each. Staff, admins and the ADMINS addresses are kept. Their reports and survey
answers stay for the city, unlinked. Only counts are logged.

The job also prunes expired shared files (bot/media/files.py) as a backstop, and deletes the
photos uploaded in the console's notice composer that no notice uses a day later (the notice
was never saved: bot/media/store.py's pending photos).
"""

from __future__ import annotations

import calendar
import logging
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.core.messages import Address
from bot.media.files import SharedFiles
from bot.media.store import PhotoStore
from scheduler.ticks import add_daily
from storage.db import Database
from storage.repos import notices, personal_data
from storage.repos.personal_data import Forgotten

log = logging.getLogger(__name__)

JOB_ID = "retention"
BATCH_SIZE = 200
RUN_AT = (3, 30)  # city time, when few people write
# How long an uploaded photo may wait for the notice that uses it (a composer left open).
PENDING_KEEP = timedelta(days=1)


def months_before(moment: datetime, months: int) -> datetime:
    """The same time `months` calendar months earlier (the day clamped to the month's end)."""
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


class Retention:
    def __init__(
        self,
        *,
        db: Database,
        months: int,
        clock: Callable[[], datetime],
        keep: Iterable[Address] = (),
        photos: PhotoStore | None = None,
        files: SharedFiles | None = None,
        batch_size: int = BATCH_SIZE,
    ) -> None:
        self.db = db
        self.months = months
        self.clock = clock
        self.keep = [(a.channel, a.user_id) for a in keep]
        self.photos = photos
        self.files = files
        self.batch_size = batch_size

    def install(self, scheduler: AsyncIOScheduler) -> None:
        add_daily(scheduler, self._scheduled_run, at=RUN_AT, job_id=JOB_ID)

    async def run(self) -> Forgotten:
        """Forget every citizen inactive since the cutoff; what was removed, in total."""
        before = months_before(self.clock(), self.months)
        total = Forgotten()
        while True:
            async with self.db.sessions() as session, session.begin():
                ids = await personal_data.inactive_citizens(
                    session, before=before, keep=self.keep, limit=self.batch_size
                )
                done = await personal_data.forget(session, citizen_ids=ids)
            await self._delete_photos(done.draft_photos)
            total += done
            if len(ids) < self.batch_size:
                break
        if self.files is not None:
            await self.files.prune()
        await self.prune_pending_photos()
        if total.citizens:
            log.info(
                "retention: forgot %d citizens not seen for %d months (%d reports and %d survey"
                " responses kept, unlinked)",
                total.citizens,
                self.months,
                total.reports_anonymised,
                total.survey_responses_unlinked,
            )
        return total

    async def prune_pending_photos(self) -> int:
        """Delete the pending photos older than PENDING_KEEP that no notice uses (settle the
        others); how many were deleted."""
        if self.photos is None:
            return 0
        names = await self.photos.pending(before=self.clock() - PENDING_KEEP)
        if not names:
            return 0
        async with self.db.sessions() as session:
            used = await notices.photos_in_use(session, names=names)
        for name in names:
            await self.photos.settle(name, keep=name in used)
        deleted = len(names) - len(used)
        if deleted:
            log.info("retention: deleted %d uploaded photos no notice uses", deleted)
        return deleted

    async def _scheduled_run(self) -> None:
        try:
            await self.run()
        except Exception:
            log.exception("retention: the daily run failed; it is tried again tomorrow")

    async def _delete_photos(self, names: Iterable[str]) -> None:
        if self.photos is None:
            return
        for name in names:
            try:
                await self.photos.delete(name)
            except ValueError:
                log.warning("retention: a draft held a malformed photo name; skipped")
