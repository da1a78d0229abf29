"""Roles and bans: who is staff, and a banned citizen's reports (hidden by the ban, shown
again when it is lifted)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Citizen, Report, ReportEvent, Role
from storage.repos import outbox

MODERATION_EVENTS = ("hidden", "shown")


async def privileged(session: AsyncSession) -> list[Citizen]:
    """Citizens with a staff or admin role in the database (the ADMINS setting is not here)."""
    stmt = (
        select(Citizen)
        .where(col(Citizen.role).in_([Role.STAFF.value, Role.ADMIN.value]))
        .order_by(col(Citizen.id))
    )
    return list((await session.exec(stmt)).all())


async def set_role(session: AsyncSession, *, citizen: Citizen, role: Role) -> None:
    citizen.role = role.value
    session.add(citizen)


async def ban(
    session: AsyncSession, *, citizen: Citizen, reason: str | None, now: datetime
) -> None:
    citizen.banned_at = now
    citizen.ban_reason = reason
    citizen.ban_notified = False
    session.add(citizen)
    # Their public alerts keep coming; survey invitations not sent yet are withdrawn.
    if citizen.id is not None:
        await outbox.cancel_invitations(session, citizen_id=citizen.id)


async def unban(session: AsyncSession, *, citizen: Citizen) -> None:
    citizen.banned_at = None
    citizen.ban_reason = None
    citizen.ban_notified = False
    session.add(citizen)


async def visible_reports_of(session: AsyncSession, *, citizen_id: int) -> list[Report]:
    """The reports the citizen filed that the public can see, locked for this transaction."""
    stmt = (
        select(Report)
        .where(Report.reporter_id == citizen_id, col(Report.hidden).is_(False))
        .order_by(col(Report.id))
        .with_for_update()
    )
    return list((await session.exec(stmt)).all())


async def hidden_by_ban(session: AsyncSession, *, citizen_id: int, ban_note: str) -> list[Report]:
    """The citizen's hidden reports that a ban hid: those whose latest hiding or showing is a
    "hidden" event with the ban's note, and those filed hidden while banned (no such event at
    all). Reports staff hid one by one stay out of it. Locked for this transaction."""
    stmt = (
        select(Report)
        .where(Report.reporter_id == citizen_id, col(Report.hidden).is_(True))
        .order_by(col(Report.id))
        .with_for_update()
    )
    hidden = list((await session.exec(stmt)).all())
    if not hidden:
        return []
    events = (
        select(ReportEvent.report_id, ReportEvent.kind, ReportEvent.note)
        .where(
            col(ReportEvent.report_id).in_([r.id for r in hidden]),
            col(ReportEvent.kind).in_(MODERATION_EVENTS),
        )
        .order_by(col(ReportEvent.at), col(ReportEvent.id))
    )
    latest: dict[int, tuple[str, str | None]] = {}
    for report_id, kind, note in (await session.exec(events)).all():
        latest[report_id] = (kind, note)
    by_ban = ("hidden", ban_note)
    return [r for r in hidden if r.id not in latest or latest[r.id] == by_ban]
