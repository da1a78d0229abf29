"""Notices in the database and the scheduler's tick, on SQLite and PostgreSQL: who is selected
(districts, all, circles; stopped and opted-out left out; one message per channel), quiet
hours and digests, batches that resume, due and missed notices, recurrences across the
daylight-saving changes, and two processes claiming the same notice. Time is the test's
clock; nothing sleeps."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import col, select

from bot.city import load_city
from bot.domain import quiet_hours
from bot.domain.recurrence import check_recurrence, next_occurrence
from bot.i18n import Translator
from scheduler.notices import NoticeScheduler
from storage.db import Database
from storage.models import (
    ChannelIdentity,
    Notice,
    NoticeRun,
    Outbox,
    OutboxStatus,
)
from storage.repos import alerts, citizens, notice_audience, notice_runs, notices
from storage.repos.notice_audience import Audience
from tests.conftest import Clock

CITY = load_city("sofia")
TZ = CITY.timezone
NOON = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)  # 12:00 in Sofia
CENTRE = (42.6966, 23.3236)  # Sredets ("01")
KM_LAT = 1 / 111.195  # degrees of latitude in a kilometre


def north(km: float) -> tuple[float, float]:
    return CENTRE[0] + km * KM_LAT, CENTRE[1]


def sofia(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A wall-clock time in Sofia as a UTC instant."""
    return datetime(year, month, day, hour, minute, tzinfo=TZ).astimezone(UTC)


@pytest.fixture
def clock() -> Clock:
    return Clock(NOON)


def scheduler(db: Database, clock: Clock, batch_size: int = 500) -> NoticeScheduler:
    translator = Translator()
    return NoticeScheduler(
        db=db, city=CITY, translator=translator, clock=clock, tick_seconds=0, batch_size=batch_size
    )


async def subscriber(
    db: Database,
    user: str,
    *,
    language: str = "bg",
    topics: tuple[str, ...] = ("water",),
    places: tuple[tuple[Any, ...], ...] = (),
    channel: str = "console",
) -> int:
    """A citizen subscribed to `topics` in `places`: ("district", code), ("pin", lat, lon,
    metres) or nothing (all of the city)."""
    async with db.sessions() as session, session.begin():
        citizen, _ = await citizens.get_or_create_by_identity(
            session, channel=channel, user_id=user, language=language, now=NOON
        )
        assert citizen.id is not None
        for topic in topics:
            await alerts.set_topic(session, citizen_id=citizen.id, topic=topic, on=True, now=NOON)
        for place in places:
            if place[0] == "district":
                await alerts.set_district(
                    session, citizen_id=citizen.id, district=place[1], on=True, now=NOON
                )
            else:
                _, lat, lon, metres = place
                district = CITY.district_at(lat, lon)
                await alerts.add_pin(
                    session,
                    citizen_id=citizen.id,
                    lat=lat,
                    lon=lon,
                    radius_m=metres,
                    district=district.code if district else None,
                    now=NOON,
                )
        return citizen.id


async def notice(
    db: Database,
    *,
    audience: dict[str, Any] | None = None,
    topic: str = "water",
    urgent: bool = False,
    at: datetime = NOON,
    recurrence: str | None = None,
    ends_at: datetime | None = None,
    text_bg: str = "Спиране на водата",
    text_en: str | None = "Water cut",
) -> int:
    async with db.sessions() as session, session.begin():
        row = await notices.create(
            session,
            topic=topic,
            urgent=urgent,
            text_bg=text_bg,
            text_en=text_en,
            photo=None,
            audience=audience or {"kind": "all"},
            created_by=None,
            next_run_at=at,
            recurrence=recurrence,
            ends_at=ends_at,
            now=NOON,
        )
        assert row.id is not None
        return row.id


async def outbox_rows(db: Database) -> list[Outbox]:
    async with db.sessions() as session:
        stmt = select(Outbox).order_by(col(Outbox.citizen_id), col(Outbox.channel))
        return list((await session.exec(stmt)).all())


async def runs(db: Database, notice_id: int) -> list[NoticeRun]:
    async with db.sessions() as session:
        stmt = (
            select(NoticeRun)
            .where(NoticeRun.notice_id == notice_id)
            .order_by(col(NoticeRun.due_at))
        )
        return list((await session.exec(stmt)).all())


async def get_notice(db: Database, notice_id: int) -> Notice:
    async with db.sessions() as session:
        found = await notices.get(session, notice_id=notice_id)
        assert found is not None
        return found


# -- who is selected ----------------------------------------------------------------------


async def test_districts_audience(db: Database, clock: Clock):
    mladost = await subscriber(db, "mladost", places=(("district", "15"),))
    await subscriber(db, "sredets", places=(("district", "01"),))
    pin_in_mladost = await subscriber(db, "pin", places=(("pin", 42.6497, 23.3790, 500),))
    whole = await subscriber(db, "whole")
    await subscriber(db, "heating", topics=("heating",))
    await notice(db, audience={"kind": "districts", "districts": ["15"]})

    await scheduler(db, clock).tick()

    rows = await outbox_rows(db)
    assert [r.citizen_id for r in rows] == [mladost, pin_in_mladost, whole]
    assert all(r.kind == "notice" and r.held is None and r.next_attempt_at == NOON for r in rows)
    (run,) = await runs(db, 1)
    assert (run.status, run.total, run.due_at) == ("sending", 3, NOON)


async def test_circle_audience(db: Database, clock: Clock):
    in_touched_district = await subscriber(db, "d01", places=(("district", "01"),))
    await subscriber(db, "d15", places=(("district", "15"),))
    reaching_pin = await subscriber(db, "near", places=(("pin", *north(1.2), 1000),))
    await subscriber(db, "far", places=(("pin", *north(2.2), 500),))  # in the SQL box, too far
    whole = await subscriber(db, "whole")
    audience = {"kind": "radius", "lat": CENTRE[0], "lon": CENTRE[1], "radius_m": 500}
    assert {d.code for d in CITY.district_index.touching_circle(*CENTRE, 500)} >= {"01"}

    async with db.sessions() as session:
        from scheduler.notices import resolve_audience

        counted = await notice_audience.count_audience(
            session, topic="water", audience=resolve_audience(CITY, audience), urgent=False
        )
    await notice(db, audience=audience)
    await scheduler(db, clock).tick()

    rows = await outbox_rows(db)
    assert [r.citizen_id for r in rows] == [in_touched_district, reaching_pin, whole]
    assert counted == {"console": 3}


async def test_stopped_opted_out_and_other_topics_are_left_out_emergencies_reach_all(
    db: Database, clock: Clock
):
    water = await subscriber(db, "water")
    heating = await subscriber(db, "heating", topics=("heating",))
    stopped = await subscriber(db, "stopped")
    blocked = await subscriber(db, "blocked")
    await subscriber(db, "nothing", topics=())
    async with db.sessions() as session, session.begin():
        await alerts.stop(session, citizen_id=stopped, now=NOON)
        await citizens.set_opted_out(session, channel="console", user_id="blocked", opted_out=True)
    await notice(db)
    await notice(db, urgent=True)

    await scheduler(db, clock).tick()

    rows = await outbox_rows(db)
    by_run: dict[int | None, list[int | None]] = {}
    for row in rows:
        by_run.setdefault(row.run_id, []).append(row.citizen_id)
    assert by_run == {1: [water], 2: [water, heating]}
    assert all(r.urgent == (r.run_id == 2) for r in rows)
    assert blocked not in {r.citizen_id for r in rows}


async def test_one_message_per_channel_identity(db: Database, clock: Clock):
    both = await subscriber(db, "c1", language="en")
    async with db.sessions() as session, session.begin():
        session.add(ChannelIdentity(channel="telegram", user_id="555", citizen_id=both))
        session.add(ChannelIdentity(channel="telegram", user_id="556", citizen_id=both))
    other = await subscriber(db, "77", channel="telegram")
    await notice(db)
    async with db.sessions() as session:
        from scheduler.notices import resolve_audience

        counted = await notice_audience.count_audience(
            session, topic="water", audience=resolve_audience(CITY, {"kind": "all"}), urgent=False
        )

    await scheduler(db, clock).tick()

    rows = await outbox_rows(db)
    assert [(r.citizen_id, r.channel, r.user_id, r.language) for r in rows] == [
        (both, "console", "c1", "en"),
        (both, "telegram", "555", "en"),
        (other, "telegram", "77", "bg"),
    ]
    assert counted == {"console": 1, "telegram": 2}


async def test_selection_resumes_after_a_crash_and_never_duplicates(db: Database, clock: Clock):
    ids = [await subscriber(db, f"u{i}") for i in range(5)]
    notice_id = await notice(db)
    first = scheduler(db, clock, batch_size=2)
    await first.claim_due()
    (run,) = await runs(db, notice_id)
    assert run.id is not None
    # One batch is committed, then the process "dies".
    async with db.sessions() as session, session.begin():
        batch = await notice_runs.select_batch(
            session,
            run_id=run.id,
            topic="water",
            urgent=False,
            audience=Audience("all"),
            now=NOON,
            hold=lambda settings: quiet_hours.hold(settings, urgent=False, now=NOON, tz=TZ),
            limit=2,
        )
    assert (batch.inserted, batch.done) == (2, False)
    (run,) = await runs(db, notice_id)
    assert (run.cursor, run.status, run.total) == (ids[1], "selecting", 2)

    # Two processes take over at once: each batch goes to one of them.
    second, third = scheduler(db, clock, batch_size=2), scheduler(db, clock, batch_size=2)
    await asyncio.gather(second.select(), third.select())

    rows = await outbox_rows(db)
    assert [r.citizen_id for r in rows] == ids
    (run,) = await runs(db, notice_id)
    assert (run.cursor, run.status, run.total) == (ids[-1], "sending", 5)


# -- quiet hours and digests --------------------------------------------------------------


async def test_quiet_hours_hold_a_normal_notice_until_morning_but_not_an_emergency(
    db: Database, clock: Clock
):
    default = await subscriber(db, "default")
    night_owl = await subscriber(db, "owl")
    async with db.sessions() as session, session.begin():
        await alerts.set_quiet(session, citizen_id=night_owl, enabled=False, now=NOON)
    late = sofia(2026, 11, 27, 23, 0)
    clock.now = late
    await notice(db, at=late)
    await notice(db, at=late, urgent=True)

    await scheduler(db, clock).tick()

    rows = {(r.run_id, r.citizen_id): r for r in await outbox_rows(db)}
    held = rows[(1, default)]
    assert (held.held, held.next_attempt_at) == ("quiet", sofia(2026, 11, 28, 7, 0))
    assert held.next_attempt_at == datetime(2026, 11, 28, 5, 0, tzinfo=UTC)
    assert (rows[(1, night_owl)].held, rows[(1, night_owl)].next_attempt_at) == (None, late)
    assert all(rows[(2, c)].held is None for c in (default, night_owl))
    assert all(rows[(2, c)].next_attempt_at == late for c in (default, night_owl))


async def test_digest_merges_a_citizens_held_notices_into_one_message(db: Database, clock: Clock):
    reader = await subscriber(db, "reader", language="en", topics=("water", "roads"))
    instant = await subscriber(db, "instant", topics=("water", "roads"))
    async with db.sessions() as session, session.begin():
        await alerts.set_digest(
            session, citizen_id=reader, hour=18, next_digest_at=sofia(2026, 11, 27, 18), now=NOON
        )
    await notice(db)
    clock.advance(hours=1)
    await notice(db, topic="roads", at=clock.now, text_bg="Ремонт", text_en=None)
    await notice(db, urgent=True, at=clock.now, text_bg="Авария", text_en="Burst main")
    ticker = scheduler(db, clock)
    await ticker.tick()

    digest_time = sofia(2026, 11, 27, 18)
    rows = [r for r in await outbox_rows(db) if r.citizen_id == reader]
    assert [(r.run_id, r.held, r.next_attempt_at) for r in sorted(rows, key=lambda r: r.id)] == [
        (1, "digest", digest_time),
        (2, "digest", digest_time),
        (3, None, clock.now),  # the emergency is not held
    ]
    assert all(r.held is None for r in await outbox_rows(db) if r.citizen_id == instant)

    clock.now = digest_time - timedelta(seconds=1)
    await ticker.tick()
    assert not [r for r in await outbox_rows(db) if r.kind == "digest"]
    clock.now = digest_time
    await ticker.tick()
    await ticker.tick()  # nothing left to merge: still one digest

    rows = await outbox_rows(db)
    (digest,) = [r for r in rows if r.kind == "digest"]
    assert (digest.citizen_id, digest.channel, digest.user_id, digest.language) == (
        reader,
        "console",
        "reader",
        "en",
    )
    assert digest.run_id is None and digest.held is None and digest.next_attempt_at == digest_time
    assert digest.payload == {
        "text": "📰 Your alerts of the day (2)\n\n"
        "💧 Water supply · 27 Nov, 12:00\nWater cut\n\n"
        "🚧 Roads and traffic · 27 Nov, 13:00\nРемонт"
    }
    merged = [r for r in rows if r.citizen_id == reader and r.run_id in (1, 2)]
    merged_into = f"merged into digest {digest.id}"
    assert {(r.status, r.error) for r in merged} == {("cancelled", merged_into)}


async def test_changing_the_digest_moves_or_releases_what_it_holds(db: Database, clock: Clock):
    reader = await subscriber(db, "reader")
    async with db.sessions() as session, session.begin():
        await alerts.set_digest(
            session, citizen_id=reader, hour=18, next_digest_at=sofia(2026, 11, 27, 18), now=NOON
        )
    await notice(db)
    await scheduler(db, clock).tick()
    (row,) = await outbox_rows(db)
    assert (row.held, row.next_attempt_at) == ("digest", sofia(2026, 11, 27, 18))
    async with db.sessions() as session, session.begin():
        await alerts.set_digest(
            session, citizen_id=reader, hour=20, next_digest_at=sofia(2026, 11, 27, 20), now=NOON
        )
    (row,) = await outbox_rows(db)
    assert (row.held, row.next_attempt_at) == ("digest", sofia(2026, 11, 27, 20))
    clock.advance(minutes=5)
    async with db.sessions() as session, session.begin():
        await alerts.set_digest(
            session, citizen_id=reader, hour=None, next_digest_at=None, now=clock.now
        )
    (row,) = await outbox_rows(db)
    assert (row.held, row.next_attempt_at, row.status) == (None, clock.now, "pending")


async def test_stop_withdraws_what_is_queued(db: Database, clock: Clock):
    citizen = await subscriber(db, "c")
    clock.now = sofia(2026, 11, 27, 23)
    await notice(db, at=clock.now)
    await scheduler(db, clock).tick()
    (row,) = await outbox_rows(db)
    assert (row.status, row.held) == ("pending", "quiet")
    async with db.sessions() as session, session.begin():
        assert await alerts.stop(session, citizen_id=citizen, now=clock.now) == 1
    (row,) = await outbox_rows(db)
    assert row.status == OutboxStatus.CANCELLED


# -- due, late and missed notices ---------------------------------------------------------


async def test_a_notice_runs_once_when_due(db: Database, clock: Clock):
    await subscriber(db, "c")
    later = NOON + timedelta(hours=2)
    notice_id = await notice(db, at=later)
    ticker = scheduler(db, clock)
    await ticker.tick()
    assert await runs(db, notice_id) == []
    clock.now = later
    await ticker.tick()
    await ticker.tick()
    (run,) = await runs(db, notice_id)
    assert (run.due_at, run.status, run.total) == (later, "sending", 1)
    found = await get_notice(db, notice_id)
    assert (found.status, found.next_run_at) == ("done", None)


async def test_after_downtime_sent_within_the_expiry_missed_beyond_it(db: Database, clock: Clock):
    await subscriber(db, "c")
    fresh = await notice(db, at=NOON)
    stale = await notice(db, at=NOON - timedelta(hours=2))
    clock.advance(hours=11, minutes=59)  # the bot comes back

    await scheduler(db, clock).tick()

    (sent,) = await runs(db, fresh)
    assert (sent.status, sent.total) == ("sending", 1)
    (missed,) = await runs(db, stale)
    assert (missed.status, missed.total, missed.finished_at) == ("missed", 0, clock.now)
    assert (await get_notice(db, stale)).status == "missed"
    assert [r.run_id for r in await outbox_rows(db)] == [sent.id]


async def test_a_recurring_notice_after_downtime(db: Database, clock: Clock):
    await subscriber(db, "c")
    first = sofia(2026, 11, 28, 9)
    notice_id = await notice(db, at=first, recurrence="0 9 * * *")
    clock.now = sofia(2026, 11, 30, 10)  # down from before Saturday 9:00 to Monday 10:00

    await scheduler(db, clock).tick()

    assert [(r.due_at, r.status) for r in await runs(db, notice_id)] == [
        (sofia(2026, 11, 28, 9), "missed"),
        (sofia(2026, 11, 29, 9), "missed"),
        (sofia(2026, 11, 30, 9), "sending"),  # an hour late: within the 12 h expiry
    ]
    found = await get_notice(db, notice_id)
    assert (found.status, found.next_run_at) == ("scheduled", sofia(2026, 12, 1, 9))


async def test_two_processes_claim_a_due_notice_once(db_url: str, clock: Clock):
    one, two = Database(db_url), Database(db_url)
    try:
        await subscriber(one, "c")
        notice_id = await notice(one)
        started = await asyncio.gather(
            scheduler(one, clock).claim_due(), scheduler(two, clock).claim_due()
        )
        assert sorted(started) == [0, 1]
        assert len(await runs(one, notice_id)) == 1
        await asyncio.gather(scheduler(one, clock).select(), scheduler(two, clock).select())
        assert len(await outbox_rows(one)) == 1
    finally:
        await one.dispose()
        await two.dispose()


async def test_an_ended_recurrence_is_done(db: Database, clock: Clock):
    first = sofia(2026, 11, 28, 9)
    notice_id = await notice(db, at=first, recurrence="0 9 * * *", ends_at=sofia(2026, 11, 30, 0))
    ticker = scheduler(db, clock)
    for day in (28, 29, 30):
        clock.now = sofia(2026, 11, day, 9)
        await ticker.tick()
    assert [r.due_at for r in await runs(db, notice_id)] == [first, sofia(2026, 11, 29, 9)]
    found = await get_notice(db, notice_id)
    assert (found.status, found.next_run_at) == ("done", None)


# -- recurrences and daylight saving ------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "cron", "expected"),
    [
        # Spring: 03:00 becomes 04:00 on Sunday 29 March. 03:30 does not exist that day and
        # comes out when the clocks have jumped (04:30 summer time), once.
        (
            sofia(2026, 3, 27, 12),
            "30 3 * * *",
            ["2026-03-28 01:30", "2026-03-29 01:30", "2026-03-30 00:30", "2026-03-31 00:30"],
        ),
        (
            sofia(2026, 3, 27, 12),
            "0 9 * * *",
            ["2026-03-28 07:00", "2026-03-29 06:00", "2026-03-30 06:00", "2026-03-31 06:00"],
        ),
        # Autumn: 04:00 becomes 03:00 on Sunday 25 October. 03:30 happens twice that day and
        # runs once, the first time.
        (
            sofia(2026, 10, 23, 12),
            "30 3 * * *",
            ["2026-10-24 00:30", "2026-10-25 00:30", "2026-10-26 01:30", "2026-10-27 01:30"],
        ),
        (
            sofia(2026, 10, 23, 12),
            "0 9 * * *",
            ["2026-10-24 06:00", "2026-10-25 07:00", "2026-10-26 07:00", "2026-10-27 07:00"],
        ),
        # Cron weekday numbers: 1 is Monday, 0 and 7 are Sunday.
        (sofia(2026, 11, 27, 12), "0 9 * * 1", ["2026-11-30 07:00", "2026-12-07 07:00"]),
        (sofia(2026, 11, 27, 12), "0 9 * * 7", ["2026-11-29 07:00", "2026-12-06 07:00"]),
        (sofia(2026, 11, 27, 12), "0 9 * * 1-5", ["2026-11-30 07:00", "2026-12-01 07:00"]),
    ],
)
def test_occurrences_in_city_time(start: datetime, cron: str, expected: list[str]):
    got, after = [], start
    for _ in expected:
        after = next_occurrence(cron, after, TZ)
        assert after is not None
        got.append(after.strftime("%Y-%m-%d %H:%M"))
    assert got == expected


@pytest.mark.parametrize(("cron", "at"), [("30 3 * * *", 3), ("0 9 * * *", 9)])
async def test_a_daily_notice_through_both_changes(db: Database, clock: Clock, cron: str, at: int):
    """The scheduler, ticking every hour of the test's clock from 27 March to 1 April and
    from 23 to 28 October, sends a daily notice once a day at its wall-clock time."""
    await subscriber(db, "c")
    days = 5
    for start in (datetime(2026, 3, 27, tzinfo=UTC), datetime(2026, 10, 23, tzinfo=UTC)):
        clock.now = start
        first = next_occurrence(cron, start, TZ)
        assert first is not None
        notice_id = await notice(db, at=first, recurrence=cron)
        ticker = scheduler(db, clock)
        while clock.now < start + timedelta(days=days):
            clock.advance(hours=1)
            await ticker.tick()
        local = [r.due_at.astimezone(TZ) for r in await runs(db, notice_id)]
        assert [d.day for d in local] == [start.day + i for i in range(days)]
        assert {r.status for r in await runs(db, notice_id)} == {"sending"}
        spring_gap = start.month == 3 and at == 3
        for day in local:
            expected = 4 if spring_gap and day.day == 29 else at
            assert (day.hour, day.minute) == (expected, 30 if cron.startswith("30") else 0)
        async with db.sessions() as session, session.begin():
            await notices.cancel(session, notice_id=notice_id, now=clock.now)


def test_recurrence_checks():
    now = NOON
    assert check_recurrence("0 9 * * 1-5", TZ, now) is None
    assert check_recurrence("0 */2 * * *", TZ, now) is None
    assert check_recurrence("*/30 * * * *", TZ, now) == "too_often"
    assert check_recurrence("0 9 31 2 *", TZ, now) == "never"
    assert check_recurrence("0 9 * *", TZ, now) == "invalid"
    assert check_recurrence("0 25 * * *", TZ, now) == "invalid"
    assert check_recurrence("0 9 * * 8", TZ, now) == "invalid"
    assert check_recurrence("every day", TZ, now) == "invalid"


async def test_the_tick_runs_at_start_up_and_a_nudge_brings_it_forward(db: Database, clock: Clock):
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    from scheduler.notices import JOB_ID

    aps = AsyncIOScheduler(timezone=TZ)
    off = scheduler(db, clock)  # NOTICE_TICK_SECONDS=0: nothing is installed
    off.install(aps)
    assert aps.get_job(JOB_ID) is None

    ticking = NoticeScheduler(
        db=db, city=CITY, translator=Translator(), clock=clock, tick_seconds=600
    )
    before = datetime.now(UTC)
    ticking.install(aps)
    aps.start(paused=True)
    try:
        job = aps.get_job(JOB_ID)
        assert job is not None and job.next_run_time <= datetime.now(UTC)  # at once
        aps.modify_job(JOB_ID, next_run_time=before + timedelta(minutes=10))
        ticking.wake()  # what the services' wake_notices calls
        job = aps.get_job(JOB_ID)
        assert job is not None and job.next_run_time <= datetime.now(UTC)
    finally:
        aps.shutdown(wait=False)
        await ticking.close()
