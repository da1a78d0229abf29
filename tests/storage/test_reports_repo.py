from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from storage.db import Database
from storage.models import Citizen, Report, ReportStatus
from storage.repos import api_keys, citizens, reports

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


async def file_one(db: Database, **kw) -> str:
    async with db.sessions() as session, session.begin():
        report = await reports.create(
            session,
            city="sofia",
            prefix="SOF",
            category=kw.pop("category", "28"),
            description="Лампата не свети от седмица",
            source="console",
            now=kw.pop("now", NOW),
            **kw,
        )
        return report.public_id


async def test_public_ids_are_sequential_per_city_and_year(db: Database):
    assert await file_one(db) == "SOF-2026-000001"
    assert await file_one(db) == "SOF-2026-000002"
    assert await file_one(db, now=datetime(2027, 1, 1, tzinfo=UTC)) == "SOF-2027-000001"


async def test_public_ids_are_unique_under_concurrency(db: Database):
    ids = await asyncio.gather(*(file_one(db) for _ in range(12)))
    assert sorted(ids) == [f"SOF-2026-{n:06d}" for n in range(1, 13)]


async def test_status_workflow_and_history(db: Database):
    public_id = await file_one(db)
    async with db.sessions() as session, session.begin():
        report = await reports.get_by_public_id(session, public_id=public_id.lower())
        await reports.change_status(
            session,
            report=report,
            to=ReportStatus.RESOLVED,
            actor_id=None,
            actor_role="staff",
            note="Сменена лампа",
            now=NOW + timedelta(days=1),
        )
        assert report.closed_at == NOW + timedelta(days=1)
        await reports.reopen(
            session,
            report=report,
            citizen_id=None,
            comment="Пак не свети",
            now=NOW + timedelta(days=2),
        )
        assert (report.status, report.reopened, report.closed_at) == ("acknowledged", 1, None)
        events = await reports.history(session, report_id=report.id)
    assert [(e.kind, e.from_status, e.to_status) for e in events] == [
        ("created", None, "new"),
        ("status", "new", "resolved"),
        ("reopened", "resolved", "acknowledged"),
    ]


async def ana_ben_and_anas_report(session: AsyncSession) -> tuple[Citizen, Citizen, Report]:
    ana, _ = await citizens.get_or_create_by_identity(
        session, channel="telegram", user_id="1", language="bg"
    )
    ben, _ = await citizens.get_or_create_by_identity(
        session, channel="console", user_id="2", language="en"
    )
    own = await reports.create(
        session,
        city="sofia",
        prefix="SOF",
        category="1",
        description="x" * 20,
        source="telegram",
        reporter_id=ana.id,
        now=NOW,
    )
    return ana, ben, own


async def test_my_reports_keep_the_own_hidden_ones_but_not_hidden_followed_ones(db: Database):
    async with db.sessions() as session, session.begin():
        ana, ben, own = await ana_ben_and_anas_report(session)
        await reports.follow(session, report_id=own.id, citizen_id=ben.id)
        await reports.set_hidden(
            session, report=own, hidden=True, actor_id=None, actor_role="staff", note="Спам"
        )
        assert await reports.visible_for_citizen(session, citizen_id=ana.id) == ([own], 1)
        assert await reports.visible_for_citizen(session, citizen_id=ben.id) == ([], 0)
        assert await reports.hide_note(session, report_id=own.id) == "Спам"


async def test_followed_and_own_reports_and_recipients(db: Database):
    async with db.sessions() as session, session.begin():
        _ana, ben, own = await ana_ben_and_anas_report(session)
        assert await reports.follow(session, report_id=own.id, citizen_id=ben.id)
        assert not await reports.follow(session, report_id=own.id, citizen_id=ben.id)
        listed, total = await reports.for_citizen(session, citizen_id=ben.id)
        assert total == 1 and listed[0].id == own.id
        who = await reports.recipients(session, report=own)
    assert [(r.channel, r.user_id, r.language) for r in who] == [
        ("telegram", "1", "bg"),
        ("console", "2", "en"),
    ]


async def test_nearby_candidates_and_hidden_reports(db: Database):
    await file_one(db, lat=42.6500, lon=23.3800)
    far = await file_one(db, lat=42.7000, lon=23.3000)
    async with db.sessions() as session, session.begin():
        found = await reports.open_in_box(
            session, category="28", box=(42.649, 23.379, 42.651, 23.381), since=NOW - timedelta(30)
        )
        assert [r.public_id for r in found] == ["SOF-2026-000001"]
        hidden = await reports.get_by_public_id(session, public_id=far)
        await reports.set_hidden(
            session, report=hidden, hidden=True, actor_id=None, actor_role="staff"
        )
        public = await reports.public_reports(session)
    assert [r.public_id for r in public] == ["SOF-2026-000001"]


async def test_api_keys_store_only_a_hash(db: Database):
    async with db.sessions() as session, session.begin():
        row, key = await api_keys.create(session, name="city-crm")
        assert key not in (row.key_hash, row.prefix + "x") and len(key) >= 40
    async with db.sessions() as session, session.begin():
        assert (await api_keys.verify(session, key=key)).name == "city-crm"
        assert await api_keys.verify(session, key=key + "x") is None
        assert await api_keys.revoke(session, name="city-crm")
    async with db.sessions() as session, session.begin():
        assert await api_keys.verify(session, key=key) is None
