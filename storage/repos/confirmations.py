"""The citizen's answers to "Is it fixed?" after a report is resolved: report_event rows of
kinds "confirmed" and "not_fixed" (bot/domain/confirmation.py decides who may answer)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Report, ReportEvent, ReportStatus
from storage.types import utcnow

ANSWER_KINDS = ("confirmed", "not_fixed")


async def latest_resolution(session: AsyncSession, *, report_id: int) -> ReportEvent | None:
    """The report's last move to "resolved": its id names the question asked after it."""
    stmt = (
        select(ReportEvent)
        .where(
            ReportEvent.report_id == report_id,
            ReportEvent.kind == "status",
            ReportEvent.to_status == ReportStatus.RESOLVED.value,
        )
        .order_by(col(ReportEvent.id).desc())
        .limit(1)
    )
    return (await session.exec(stmt)).first()


async def answer_to(
    session: AsyncSession, *, report_id: int, resolution_id: int
) -> ReportEvent | None:
    """The answer given to the question asked after the resolution `resolution_id`, if any."""
    stmt = (
        select(ReportEvent)
        .where(
            ReportEvent.report_id == report_id,
            col(ReportEvent.kind).in_(ANSWER_KINDS),
            col(ReportEvent.id) > resolution_id,
        )
        .order_by(col(ReportEvent.id))
        .limit(1)
    )
    return (await session.exec(stmt)).first()


async def record(
    session: AsyncSession,
    *,
    report: Report,
    citizen_id: int,
    fixed: bool,
    note: str | None = None,
    now: datetime | None = None,
) -> ReportEvent:
    """Write an answer: the event, and the answer kept on the report. The status is the
    caller's (a "not fixed" reopens through reports.reopen)."""
    now = now or utcnow()
    event = ReportEvent(
        report_id=report.id,
        at=now,
        actor_id=citizen_id,
        actor_role="citizen",
        kind="confirmed" if fixed else "not_fixed",
        note=note,  # no status: the answer changes none (figures count status events)
    )
    report.citizen_confirmed = fixed
    report.confirmed_at = now
    report.updated_at = now
    session.add(report)
    session.add(event)
    await session.flush()
    return event


async def counts(session: AsyncSession, *, report_ids: list[int]) -> dict[str, int]:
    """How many "confirmed" and "not_fixed" answers the reports got (a body's figures)."""
    if not report_ids:
        return {kind: 0 for kind in ANSWER_KINDS}
    stmt = select(ReportEvent.kind).where(
        col(ReportEvent.report_id).in_(report_ids), col(ReportEvent.kind).in_(ANSWER_KINDS)
    )
    found = {kind: 0 for kind in ANSWER_KINDS}
    for kind in (await session.exec(stmt)).all():
        found[kind] += 1
    return found
