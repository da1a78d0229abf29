"""A body's system moving a forwarded report (bot/domain/forwarding.py), on both databases:
their "open" acknowledges a new report, their "closed" resolves it (and asks "Is it
fixed?"), never backwards; as the system actor "open311:<body>"."""

from __future__ import annotations

import pytest
from sqlmodel import select

from bot.domain import forwarding
from bot.domain.work import Work
from storage.db import Database
from storage.models import AuditEntry, Report, ReportStatus
from storage.repos import reports
from tests.bot.domain.people import NOW, People, people

S = ReportStatus


async def move(them: People, report_id: int, remote: str, notes: str | None = None):
    async def act(work: Work, _: People):
        report = await reports.get_for_update(work.session, report_id=report_id)
        assert report is not None
        return await forwarding.apply_remote_status(work, report, remote, notes)

    them_actor = forwarding.actor("mladost")
    after: list = []
    async with them.db.sessions() as session, session.begin():
        result = await act(them.work(session, them_actor, after), them)
    for task in after:
        await task()
    return result


@pytest.fixture
async def filed(db: Database) -> tuple[People, int]:
    them = await people(db, "reporter")
    async with db.sessions() as session, session.begin():
        report = await reports.create(
            session,
            city="sofia",
            prefix="SOF",
            category="sofia-28",
            description="The street light is out",
            source="console",
            reporter_id=them.ids["reporter"],
            now=NOW,
        )
    assert report.id is not None
    return them, report.id


async def test_their_status_becomes_ours_forward_only(filed):
    them, report_id = filed
    assert await move(them, report_id, "open") is S.ACKNOWLEDGED
    assert await move(them, report_id, "open") is None  # already acknowledged
    assert await move(them, report_id, "pending") is None
    assert await move(them, report_id, "closed", "  Lamp \n replaced. ") is S.RESOLVED
    assert await move(them, report_id, "closed") is None
    assert await move(them, report_id, "open") is None  # never backwards
    async with them.db.sessions() as session:
        report = await session.get(Report, report_id)
        audit = (await session.exec(select(AuditEntry))).all()
        history = await reports.history(session, report_id=report_id)
    assert report is not None and report.status == S.RESOLVED.value
    assert [e.note for e in history if e.to_status == S.RESOLVED.value] == ["Lamp replaced."]
    assert {entry.actor_ref for entry in audit} == {"open311:mladost"}
