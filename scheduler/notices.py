"""Scheduling notices: the database is the source of truth, APScheduler only ticks.

One periodic job ("notices_tick", every NOTICE_TICK_SECONDS, and once right at start-up) does
all of it, each step claimed in SQL so that several processes never do anything twice:

1. Due notices are claimed: an UPDATE … WHERE id = ? AND next_run_at = ? AND status =
   'scheduled' that one process wins, which moves the notice to its next occurrence and, in
   the same transaction, creates the NoticeRun (unique per notice and due time). An
   occurrence that fell due while the bot was down runs late if it is younger than the
   notice's expiry (12 h by default), else it is recorded as a missed run for staff to see.
2. Runs that are selecting their recipients advance batch by batch (storage.repos.notice_runs).
3. Notices held for a citizen's daily digest are merged into one message when it is due.

Sending is the delivery engine's (scheduler/delivery/): it claims the outbox rows, edits
the sender's progress message and marks runs done.

Recurrences are cron expressions in the city's time (Europe/Sofia), with cron's weekday
numbers (0 or 7 is Sunday). A wall time that happens twice when the clocks go back runs once
(the first); one that does not exist when they go forward runs as late as the clocks jumped.
Sending now is a notice due now: the domain wakes the tick (`wake`, injected as the services'
`wake_notices`) so it starts at once.

Everything reads the app's clock, so tests move time and call `tick()` directly.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.city import CityPack, bounding_box, haversine_m
from bot.core.messages import Reply
from bot.domain import quiet_hours
from bot.domain.recurrence import next_occurrence
from bot.i18n import Translator, format_when
from scheduler.payloads import direct_payload
from scheduler.ticks import Ticks
from storage.db import Database
from storage.models import Notice, NoticeRun, NoticeStatus, RunStatus
from storage.repos import digests, notice_runs, notices
from storage.repos.digests import DigestRace, HeldNotice
from storage.repos.notice_audience import MAX_PIN_RADIUS_M, Audience

log = logging.getLogger(__name__)

JOB_ID = "notices_tick"
MISSED_RECORDS = 5
"""At most this many missed occurrences are recorded per claim (after a long outage)."""
_SEARCH_LIMIT = 10_000

# -- audience -----------------------------------------------------------------------------


def resolve_audience(city: CityPack, raw: dict[str, Any]) -> Audience:
    """A notice's stored audience against the city's map."""
    kind = raw.get("kind")
    if kind == "districts":
        return Audience("districts", districts=frozenset(raw.get("districts") or ()))
    if kind == "radius":
        lat, lon, radius = float(raw["lat"]), float(raw["lon"]), int(raw["radius_m"])
        touched = city.district_index.touching_circle(lat, lon, radius)

        def reaches(pin_lat: float, pin_lon: float, pin_radius: int) -> bool:
            return haversine_m(lat, lon, pin_lat, pin_lon) <= radius + pin_radius

        return Audience(
            "radius",
            districts=frozenset(d.code for d in touched),
            lat=lat,
            lon=lon,
            radius_m=radius,
            pin_box=bounding_box(lat, lon, radius + MAX_PIN_RADIUS_M),
            reaches=reaches,
        )
    if kind == "area":
        return area_audience(city, raw.get("geometry"), raw.get("districts") or ())
    if kind == "told":
        return Audience(
            "told",
            told_notice=raw.get("notice_id"),
            watched_alert=raw.get("alert_id"),
        )
    return Audience("all")


def area_audience(
    city: CityPack, geometry: dict[str, Any] | None, districts: Iterable[str]
) -> Audience:
    """Everyone whose places meet a feed alert's area: districts it touches, pins whose circle
    meets it, the whole city (None: the area is the whole city)."""
    import shapely
    from shapely.geometry import shape

    from bot.feeds.parse import circle

    if geometry is None:
        return Audience("all")
    area = shape(geometry)
    shapely.prepare(area)
    min_lon, min_lat, max_lon, max_lat = area.bounds
    south = bounding_box(min_lat, min_lon, MAX_PIN_RADIUS_M)
    north = bounding_box(max_lat, max_lon, MAX_PIN_RADIUS_M)

    def reaches(pin_lat: float, pin_lon: float, pin_radius: int) -> bool:
        return bool(area.intersects(circle(pin_lat, pin_lon, max(pin_radius, 1))))

    return Audience(
        "radius",
        districts=frozenset(districts),
        pin_box=(south[0], south[1], north[2], north[3]),
        reaches=reaches,
    )


# -- the tick -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Claimed:
    """What claiming one due notice decided."""

    run_due: datetime | None  # the occurrence that runs now
    missed: tuple[datetime, ...]  # occurrences that expired unsent
    next_run_at: datetime | None
    status: NoticeStatus


def plan(notice: Notice, *, now: datetime, tz: ZoneInfo) -> Claimed:
    """What to do with a notice that is due: which occurrence runs, which were missed, and
    when it is due next."""
    assert notice.next_run_at is not None
    expiry = timedelta(seconds=notice.expires_after_s)
    due_times = [notice.next_run_at]
    following = None
    if notice.recurrence:
        following = next_occurrence(notice.recurrence, notice.next_run_at, tz)
        while following is not None and following <= now:
            due_times.append(following)
            if len(due_times) > _SEARCH_LIMIT:
                due_times = due_times[-MISSED_RECORDS - 1 :]
            following = next_occurrence(notice.recurrence, following, tz)
        if following is not None and notice.ends_at is not None and following > notice.ends_at:
            following = None
    if notice.ends_at is not None:
        due_times = [d for d in due_times if d <= notice.ends_at]
    live = [d for d in due_times if now - d <= expiry]
    run_due = live[-1] if live else None
    missed = tuple(d for d in due_times if d != run_due)[-MISSED_RECORDS:]
    if following is not None:
        status = NoticeStatus.SCHEDULED
    else:
        status = NoticeStatus.DONE if run_due is not None else NoticeStatus.MISSED
    return Claimed(run_due, missed, following, status)


class NoticeScheduler:
    def __init__(
        self,
        *,
        db: Database,
        city: CityPack,
        translator: Translator,
        clock: Callable[[], datetime],
        tick_seconds: int = 10,
        batch_size: int = 500,
        on_queued: Callable[[], None] | None = None,
    ) -> None:
        """`on_queued` is called when outbox rows were added (wakes the delivery engine)."""
        self.db = db
        self.city = city
        self.translator = translator
        self.clock = clock
        self.tick_seconds = tick_seconds
        self.batch_size = batch_size
        self.on_queued = on_queued
        self._scheduler: AsyncIOScheduler | None = None
        self._ticks = Ticks("notices", self.tick)

    @property
    def tz(self) -> ZoneInfo:
        return self.city.timezone

    # -- APScheduler ----------------------------------------------------------------------

    def install(self, scheduler: AsyncIOScheduler) -> None:
        """The periodic tick, first right at start-up (notices due while the bot was down).
        NOTICE_TICK_SECONDS=0 installs nothing: another process sends, or a test ticks."""
        if self.tick_seconds <= 0:
            return
        self._ticks.install(scheduler, job_id=JOB_ID, seconds=self.tick_seconds)
        self._scheduler = scheduler

    def wake(self) -> None:
        scheduler = self._scheduler
        if scheduler is None or not scheduler.running or self._ticks.closed:
            return
        with contextlib.suppress(LookupError):
            scheduler.modify_job(JOB_ID, next_run_time=datetime.now(UTC))

    async def close(self) -> None:
        """Let a tick in progress finish (before the database goes away)."""
        await self._ticks.close()

    # -- the work -------------------------------------------------------------------------

    async def tick(self) -> None:
        """Everything that is due now, by the app's clock."""
        await self.claim_due()
        queued = await self.select()
        queued += await self.send_digests()
        if queued and self.on_queued is not None:
            self.on_queued()

    async def claim_due(self) -> int:
        """Claim the notices that are due; returns how many runs were started."""
        now = self.clock()
        async with self.db.sessions() as session:
            due = await notices.due(session, now=now)
        started = 0
        for notice in due:
            try:
                started += await self._claim(notice, now)
            except Exception:  # one broken notice must not hold up the others
                log.exception("notice #%s could not be claimed", notice.id)
        return started

    async def _claim(self, notice: Notice, now: datetime) -> int:
        assert notice.id is not None and notice.next_run_at is not None
        decision = plan(notice, now=now, tz=self.tz)
        async with self.db.sessions() as session, session.begin():
            won = await notices.claim(
                session,
                notice_id=notice.id,
                due_at=notice.next_run_at,
                next_run_at=decision.next_run_at,
                status=decision.status,
                now=now,
            )
            if not won:
                return 0  # another process took it, or staff changed it meanwhile
            for missed in decision.missed:
                await notice_runs.add_run(
                    session, notice_id=notice.id, due_at=missed, status=RunStatus.MISSED, now=now
                )
            run = None
            if decision.run_due is not None:
                run = await notice_runs.add_run(
                    session,
                    notice_id=notice.id,
                    due_at=decision.run_due,
                    status=RunStatus.SELECTING,
                    now=now,
                )
        if decision.missed:
            log.warning(
                "notice #%s: %d occurrence(s) missed (expired while the bot was down)",
                notice.id,
                len(decision.missed),
            )
        if run is not None:
            log.info("notice #%s: run #%s started", notice.id, run.id)
        return int(run is not None)

    async def select(self) -> int:
        """Advance every run that is selecting its recipients; returns rows inserted."""
        async with self.db.sessions() as session:
            pending = await notice_runs.selecting_runs(session)
        inserted = 0
        for run, notice in pending:
            try:
                inserted += await self._select_run(run, notice)
            except Exception:  # one broken run must not hold up the others
                log.exception("notice run #%s: selecting recipients failed", run.id)
        return inserted

    async def _select_run(self, run: NoticeRun, notice: Notice) -> int:
        """Batch after batch until the run's recipients are all in the outbox."""
        assert run.id is not None
        audience = resolve_audience(self.city, notice.audience)
        inserted, done = 0, False
        while not done:
            now = self.clock()
            hold = partial(quiet_hours.hold, urgent=notice.urgent, now=now, tz=self.tz)
            async with self.db.sessions() as session, session.begin():
                batch = await notice_runs.select_batch(
                    session,
                    run_id=run.id,
                    topic=notice.topic,
                    urgent=notice.urgent,
                    audience=audience,
                    now=now,
                    hold=hold,
                    limit=self.batch_size,
                )
            inserted += batch.inserted
            done = batch.done
        if inserted:
            log.info("notice #%s: %d messages queued", notice.id, inserted)
        return inserted

    async def send_digests(self) -> int:
        """Merge each citizen's due digest notices into one message; returns how many."""
        now = self.clock()
        async with self.db.sessions() as session:
            groups = await digests.digests_due(session, now=now)
        made = 0
        for citizen_id, channel in groups:
            try:
                async with self.db.sessions() as session, session.begin():
                    last, held = await digests.take_digest(
                        session, citizen_id=citizen_id, channel=channel, now=now
                    )
                    if last is None or not held:
                        continue
                    payload = direct_payload(Reply(self.digest_text(last.language, held)))
                    await digests.merge_digest(
                        session, last=last, merged=held, payload=payload, now=now
                    )
                    made += 1
            except DigestRace:
                log.info("a digest was merged by another process; skipped")
        return made

    def digest_text(self, language: str, held: list[HeldNotice]) -> str:
        """The digest in the citizen's language: a title, then each notice with its topic
        and time (city time), oldest first."""
        parts = [self.translator.translate(language, "alerts.digest_title", count=len(held))]
        for item in held:
            topic = self.city.topic(item.topic)
            label = topic.short_name(language) if topic else item.topic
            when = format_when(item.due_at, language, self.tz, "day_time")
            text = item.text_en if language == "en" and item.text_en else item.text_bg
            parts.append(f"{label} · {when}\n{text}")
        return "\n\n".join(parts)
