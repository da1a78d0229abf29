"""Each body's figures (bot/domain/body_figures.py) with the controllable clock, on both
databases: on time counts open-and-overdue reports as late, the medians, the citizens'
answers, and staff seeing only their bodies'."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.domain.actors import Actor
from bot.domain.body_figures import body_figures, overdue_reports
from bot.domain.work import Work
from storage.db import Database
from storage.models import Report, ReportEvent, ReportStatus, Role
from storage.repos import bodies, citizens, reports
from tests.bot.domain.people import CITY, SETTINGS, TRANSLATOR

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
DAY = timedelta(days=1)
S = ReportStatus


async def _report(
    session, body: str, filed: datetime, due: datetime, *steps: tuple[S, datetime]
) -> Report:
    report = await reports.create(
        session,
        city="sofia",
        prefix="SOF",
        category="sofia-28",
        description="Test report.",
        source="console",
        district="15",
        body_code=body,
        resolve_due_at=due,
        now=filed,
    )
    for status, at in steps:
        if status is S.ACKNOWLEDGED:
            report.acknowledged_at = at
        await reports.change_status(
            session, report=report, to=status, actor_id=None, actor_role="staff", now=at
        )
    return report


def _work(session, actor: Actor) -> Work:
    return Work(
        session=session,
        actor=actor,
        settings=SETTINGS,
        translator=TRANSLATOR,
        city=CITY,
        clock=lambda: NOW,
    )


async def test_figures_per_body_count_open_and_overdue_as_late(db: Database):
    start = NOW - 20 * DAY
    async with db.sessions() as session, session.begin():
        # Mladost: one resolved on time (acknowledged after 2 h), one resolved late
        # (acknowledged after 4 h), one open past its deadline, one open not yet due.
        on_time = await _report(
            session,
            "district-15",
            start,
            start + 5 * DAY,
            (S.ACKNOWLEDGED, start + timedelta(hours=2)),
            (S.RESOLVED, start + 3 * DAY),
        )
        await _report(
            session,
            "district-15",
            start,
            start + 5 * DAY,
            (S.ACKNOWLEDGED, start + timedelta(hours=4)),
            (S.RESOLVED, start + 7 * DAY),
        )
        overdue = await _report(session, "district-15", start, start + 5 * DAY)
        latest = await _report(session, "district-15", start, start + 2 * DAY)
        await _report(session, "district-15", NOW - DAY, NOW + 5 * DAY)
        # A rejected one counts neither way; a hidden one nowhere.
        await _report(session, "district-15", start, start + DAY, (S.REJECTED, start + 9 * DAY))
        hidden = await _report(session, "district-15", start, start + DAY)
        hidden.hidden = True
        # The inspectorate: one open, overdue.
        await _report(session, "inspectorate", start, start + DAY)
        for kind in ("not_fixed", "confirmed", "confirmed", "confirmed"):
            session.add(ReportEvent(report_id=on_time.id, at=NOW, actor_role="citizen", kind=kind))
        clerk, _ = await citizens.get_or_create_by_identity(
            session, channel="console", user_id="clerk", language="en"
        )
        assert clerk.id is not None
        await bodies.add(session, citizen_id=clerk.id, body_codes=["inspectorate"])
    async with db.sessions() as session:
        every = {f.code: f for f in await body_figures(_work(session, Actor.machine("test")))}
        assert [f.code for f in list(every.values())[:3]] == [
            b.code for b in CITY.bodies.bodies[:3]
        ]
        mladost = every["district-15"]
        assert (mladost.open, mladost.overdue) == (3, 2)
        assert (mladost.resolved_on_time, mladost.resolved_late, mladost.late) == (1, 1, 3)
        assert mladost.on_time_share == 1 / 4  # not 1/2: the two open past the deadline are late
        assert mladost.acknowledge_median == timedelta(hours=3)
        assert mladost.resolve_median == timedelta(days=5)
        assert (mladost.confirmed_fixed, mladost.not_fixed, mladost.confirmed_share) == (3, 1, 0.75)
        assert every["inspectorate"].on_time_share == 0.0
        assert every["district-01"].on_time_share is None and every["district-01"].open == 0

        staff = Actor.person(clerk.id, Role.STAFF)
        (theirs,) = await body_figures(_work(session, staff))
        assert theirs.code == "inspectorate" and theirs.overdue == 1

        admin = Actor.person(clerk.id, Role.ADMIN)
        found, total = await overdue_reports(_work(session, admin), offset=0, limit=10)
        assert total == 4  # the hidden one is still staff's work
        assert found[0].resolve_due_at == start + DAY and latest.id in {r.id for r in found}
        assert [r.resolve_due_at for r in found] == sorted(r.resolve_due_at for r in found)
        assert overdue.id in {r.id for r in found}
