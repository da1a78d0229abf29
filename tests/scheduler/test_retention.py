"""Retention on SQLite and PostgreSQL: citizens not seen for RETENTION_MONTHS are forgotten
the way /forget does it, in batches; staff, admins and the ADMINS addresses stay; reports stay
anonymised; draft photos go; only counts are logged. Time is the test's clock."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import select

from bot.city import load_city
from bot.core.messages import Address
from bot.media.store import PhotoStore
from scheduler.retention import JOB_ID, Retention, months_before
from scheduler.setup import build_scheduler
from storage.db import Database
from storage.models import (
    AlertTopic,
    ChannelIdentity,
    Citizen,
    ConversationState,
    Outbox,
    Report,
    Role,
    SurveyAnswer,
    SurveyResponse,
)
from storage.repos import alerts, citizens, conversations, notices, outbox, reports, surveys
from storage.repos.personal_data import Forgotten
from tests.bot.surveys.seed import add_survey
from tests.conftest import Clock

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
LONG_AGO = datetime(2024, 11, 1, tzinfo=UTC)  # more than 24 months before NOW
LAST_YEAR = datetime(2025, 11, 30, tzinfo=UTC)
PHONE = "+359888445566"


@pytest.fixture
def photos(tmp_path: Path) -> PhotoStore:
    return PhotoStore(tmp_path / "data")


def retention(db: Database, clock: Clock, photos: PhotoStore, batch_size: int = 2) -> Retention:
    return Retention(
        db=db,
        months=24,
        clock=clock,
        keep=[Address("console", "admin")],
        photos=photos,
        batch_size=batch_size,
    )


async def citizen(
    db: Database, user: str, *, seen: datetime, role: Role = Role.CITIZEN, draft: str = ""
) -> int:
    """A citizen last seen at `seen` with an alert, a report with a phone, a queued message
    and a conversation (a report draft holding the photo `draft`)."""
    async with db.sessions() as session, session.begin():
        row, _ = await citizens.get_or_create_by_identity(
            session, channel="console", user_id=user, language="bg", now=seen
        )
        assert row.id is not None
        row.role = role.value
        session.add(row)
        await alerts.set_topic(session, citizen_id=row.id, topic="water", on=True, now=seen)
        await reports.create(
            session,
            city="sofia",
            prefix="SOF",
            category="sofia-28",
            description=f"Счупена лампа, сигнал от {user}",
            source="console",
            reporter_id=row.id,
            contact_phone=PHONE,
            now=seen,
        )
        await outbox.enqueue_direct(
            session,
            citizen_id=row.id,
            channel="console",
            user_id=user,
            language="bg",
            payload={"text": "Сигналът ви е приет."},
            now=seen,
        )
        state = await conversations.load(session, channel="console", user_id=user)
        data = {"photos": [{"name": draft}]} if draft else {}
        await conversations.save(session, row=state, state="report.photos", data=data, now=seen)
        return row.id


async def remaining(db: Database) -> dict[str, list]:
    async with db.sessions() as session:
        return {
            "users": sorted((await session.exec(select(ChannelIdentity.user_id))).all()),
            "citizens": sorted((await session.exec(select(Citizen.id))).all()),
            "topics": sorted((await session.exec(select(AlertTopic.citizen_id))).all()),
            "states": sorted((await session.exec(select(ConversationState.user_id))).all()),
            "outbox": sorted((await session.exec(select(Outbox.user_id))).all()),
            "reports": [
                (r.description.rsplit(" ", 1)[1], r.reporter_id, r.contact_phone)
                for r in (await session.exec(select(Report).order_by(Report.id))).all()
            ],
        }


def test_months_before_keeps_the_time_and_clamps_the_day():
    assert months_before(NOW, 24) == datetime(2024, 11, 27, 10, 0, tzinfo=UTC)
    assert months_before(datetime(2026, 3, 31, tzinfo=UTC), 1) == datetime(2026, 2, 28, tzinfo=UTC)
    assert months_before(datetime(2026, 1, 15, tzinfo=UTC), 13) == datetime(
        2024, 12, 15, tzinfo=UTC
    )


async def test_inactive_citizens_are_forgotten_in_batches(
    db: Database, clock: Clock, photos: PhotoStore, caplog: pytest.LogCaptureFixture
):
    draft = await photos.save(b"a draft photo")
    old = [
        await citizen(db, f"old-{i}", seen=LONG_AGO, draft=draft if i == 0 else "")
        for i in range(5)
    ]
    recent = await citizen(db, "recent", seen=LAST_YEAR)
    edge = await citizen(db, "edge", seen=months_before(NOW, 24))  # exactly at the limit
    staff = await citizen(db, "staff", seen=LONG_AGO, role=Role.STAFF)
    admin = await citizen(db, "admin", seen=LONG_AGO)  # an ADMINS address, role or not

    with caplog.at_level(logging.INFO):
        done = await retention(db, clock, photos).run()

    assert done.citizens == 5 and done.identities == 5 and done.reports_anonymised == 5
    assert done.conversations == 5 and done.queued_messages == 5 and done.subscriptions == 10
    assert not photos.exists(draft)
    left = await remaining(db)
    kept = ["admin", "edge", "recent", "staff"]
    assert left["users"] == kept and left["states"] == kept and left["outbox"] == kept
    assert left["citizens"] == sorted([recent, edge, staff, admin])
    assert left["topics"] == sorted([recent, edge, staff, admin])
    ids = dict(zip([f"old-{i}" for i in range(5)], old, strict=True))
    for user, reporter, phone in left["reports"]:
        if user in ids:
            assert (reporter, phone) == (None, None)  # anonymised, still there
        else:
            assert reporter is not None and phone == PHONE
    assert len(left["reports"]) == 9
    (line,) = [r.getMessage() for r in caplog.records if r.name == "scheduler.retention"]
    assert line.startswith("retention: forgot 5 citizens not seen for 24 months")
    assert "old-" not in caplog.text and PHONE not in caplog.text


async def test_nothing_to_do_is_quiet(
    db: Database, clock: Clock, photos: PhotoStore, caplog: pytest.LogCaptureFixture
):
    await citizen(db, "recent", seen=LAST_YEAR)
    with caplog.at_level(logging.INFO):
        done = await retention(db, clock, photos).run()
    assert done.citizens == 0
    assert not [r for r in caplog.records if r.name == "scheduler.retention"]
    clock.advance(days=370)  # now two years after LAST_YEAR
    assert (await retention(db, clock, photos).run()).citizens == 1


async def test_survey_answers_stay_unlinked(db: Database, clock: Clock, photos: PhotoStore):
    survey_id = await add_survey(db)
    old = await citizen(db, "old", seen=LONG_AGO)
    async with db.sessions() as session, session.begin():
        response = await surveys.start_response(
            session, survey_id=survey_id, citizen_id=old, district=None, now=LONG_AGO
        )
        await surveys.save_answer(
            session, response=response, question="idea", text="Повече пейки", now=LONG_AGO
        )
    done = await retention(db, clock, photos).run()
    assert done.survey_responses_unlinked == 1
    async with db.sessions() as session:
        (kept,) = (await session.exec(select(SurveyResponse))).all()
        answers = (await session.exec(select(SurveyAnswer.text))).all()
    assert kept.citizen_id is None and answers == ["Повече пейки"]


async def test_the_job_runs_daily_at_night_city_time(
    db: Database, clock: Clock, photos: PhotoStore
):
    tz = load_city("sofia").timezone
    job_scheduler = build_scheduler(db, tz, retention=retention(db, clock, photos))
    job = job_scheduler.get_job(JOB_ID)
    assert job is not None
    fields = {f.name: str(f) for f in job.trigger.fields}
    assert (fields["hour"], fields["minute"]) == ("3", "30")
    assert str(job.trigger.timezone) == "Europe/Sofia"


async def test_photos_uploaded_for_no_notice_are_deleted_after_a_day(
    db: Database, clock: Clock, photos: PhotoStore
):
    old_unused = await photos.save_pending(b"a", now=clock.now)
    old_used = await photos.save_pending(b"b", now=clock.now)
    async with db.sessions() as session, session.begin():
        await notices.create(
            session,
            topic="water",
            urgent=False,
            text_bg="Утре няма да има вода.",
            text_en=None,
            photo=old_used,
            audience={"kind": "all"},
            created_by=None,
            next_run_at=clock.now,
            now=clock.now,
        )
    clock.advance(hours=20)
    fresh = await photos.save_pending(b"c", now=clock.now)
    (photos.dir / "pending" / ("x" * 32)).write_text("not a time")  # a broken marker: old
    clock.advance(hours=5)
    assert await retention(db, clock, photos).run() == Forgotten()
    assert [photos.exists(n) for n in (old_unused, old_used, fresh)] == [False, True, True]
    assert await photos.pending(before=clock.now) == [fresh]
