"""Staff's bodies (staff_body) and bodies' team chats (body_chat). Keyword-only; never commits."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import and_, delete, func, or_, true, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import (
    OPEN_STATUSES,
    BodyChat,
    ChannelIdentity,
    Citizen,
    Report,
    ReportNote,
    StaffBody,
    StaffNotify,
)
from storage.repos import deadlines
from storage.repos.reports import Recipient

NOTIFY_DEFAULT = "every"
"""A staff member without a StaffNotify row hears of every report."""


async def of_staff(session: AsyncSession, *, citizen_id: int) -> list[str]:
    """The codes of the bodies the citizen works for, sorted."""
    stmt = select(StaffBody.body_code).where(StaffBody.citizen_id == citizen_id)
    return sorted((await session.exec(stmt)).all())


async def members(session: AsyncSession, *, body_code: str) -> list[int]:
    """The citizen ids of the body's staff."""
    stmt = select(StaffBody.citizen_id).where(StaffBody.body_code == body_code)
    return sorted((await session.exec(stmt)).all())


async def is_member(session: AsyncSession, *, citizen_id: int, body_code: str) -> bool:
    return await session.get(StaffBody, (citizen_id, body_code)) is not None


async def add(session: AsyncSession, *, citizen_id: int, body_codes: Iterable[str]) -> list[str]:
    """Adds the memberships the citizen does not have yet; returns those added."""
    have = set(await of_staff(session, citizen_id=citizen_id))
    added = [code for code in dict.fromkeys(body_codes) if code not in have]
    for code in added:
        session.add(StaffBody(citizen_id=citizen_id, body_code=code))
    await session.flush()
    return added


async def remove(
    session: AsyncSession, *, citizen_id: int, body_codes: Iterable[str] | None = None
) -> int:
    """Removes the citizen's memberships of `body_codes` (all of them when None); how many."""
    stmt = delete(StaffBody).where(col(StaffBody.citizen_id) == citizen_id)
    if body_codes is not None:
        stmt = stmt.where(col(StaffBody.body_code).in_(list(body_codes)))
    result = await session.exec(stmt)  # type: ignore[call-overload]
    return result.rowcount or 0


async def chat_of(session: AsyncSession, *, body_code: str) -> BodyChat | None:
    return await session.get(BodyChat, body_code)


async def link_chat(
    session: AsyncSession, *, body_code: str, channel: str, chat_id: str, linked_by: int | None
) -> BodyChat:
    """The body's team chat is now (channel, chat_id), replacing any earlier link."""
    link = await session.get(BodyChat, body_code)
    if link is None:
        link = BodyChat(body_code=body_code, channel=channel, chat_id=chat_id, linked_by=linked_by)
        session.add(link)
    else:
        link.channel, link.chat_id, link.linked_by = channel, chat_id, linked_by
        link.broken_at = None
    await session.flush()
    return link


async def move_chat(session: AsyncSession, *, channel: str, old_id: str, new_id: str) -> list[str]:
    """Every link to (channel, old_id) now points at new_id (a working chat again); the body
    codes moved, sorted."""
    codes = await bodies_of_chat(session, channel=channel, chat_id=old_id)
    if codes:
        await session.exec(  # type: ignore[call-overload]
            update(BodyChat)
            .where(col(BodyChat.channel) == channel, col(BodyChat.chat_id) == old_id)
            .values(chat_id=new_id, broken_at=None)
        )
    return codes


async def mark_broken(
    session: AsyncSession, *, channel: str, chat_id: str, now: datetime
) -> list[str]:
    """The links to (channel, chat_id) not marked broken yet are now; their body codes."""
    stmt = select(BodyChat.body_code).where(
        BodyChat.channel == channel, BodyChat.chat_id == chat_id, col(BodyChat.broken_at).is_(None)
    )
    codes = sorted((await session.exec(stmt.with_for_update())).all())
    if codes:
        await session.exec(  # type: ignore[call-overload]
            update(BodyChat)
            .where(col(BodyChat.body_code).in_(codes), col(BodyChat.broken_at).is_(None))
            .values(broken_at=now)
        )
    return codes


async def unlink_chat(session: AsyncSession, *, body_code: str) -> bool:
    """The body has no team chat any more; False when it had none."""
    stmt = delete(BodyChat).where(col(BodyChat.body_code) == body_code)
    result = await session.exec(stmt)  # type: ignore[call-overload]
    return bool(result.rowcount)


async def bodies_of_chat(session: AsyncSession, *, channel: str, chat_id: str) -> list[str]:
    """The codes of the bodies whose team chat is (channel, chat_id), sorted."""
    stmt = select(BodyChat.body_code).where(
        BodyChat.channel == channel, BodyChat.chat_id == chat_id
    )
    return sorted((await session.exec(stmt)).all())


async def notify_mode(session: AsyncSession, *, citizen_id: int) -> str:
    row = await session.get(StaffNotify, citizen_id)
    return NOTIFY_DEFAULT if row is None else row.mode


async def set_notify_mode(
    session: AsyncSession, *, citizen_id: int, mode: str, now: datetime
) -> None:
    row = await session.get(StaffNotify, citizen_id)
    if row is None:
        session.add(StaffNotify(citizen_id=citizen_id, mode=mode, updated_at=now))
    else:
        row.mode, row.updated_at = mode, now
    await session.flush()


async def member_recipients(
    session: AsyncSession,
    *,
    body_codes: Iterable[str],
    mode: str | None,
    admin_ids: Iterable[int] = (),
) -> list[tuple[Recipient, str]]:
    """The staff of `body_codes` whose choice is `mode` (no row: NOTIFY_DEFAULT; None: any
    choice), on each of their channels, with the body code; staff who left the role are not
    included, the citizens `admin_ids` (admins by the ADMINS setting) are, whatever their
    stored role."""
    chosen = func.coalesce(StaffNotify.mode, NOTIFY_DEFAULT)
    stmt = (
        select(
            Citizen.id,
            Citizen.language,
            ChannelIdentity.channel,
            ChannelIdentity.user_id,
            StaffBody.body_code,
        )
        .join(Citizen, col(Citizen.id) == col(StaffBody.citizen_id))
        .join(ChannelIdentity, col(ChannelIdentity.citizen_id) == col(Citizen.id))
        .outerjoin(StaffNotify, col(StaffNotify.citizen_id) == col(Citizen.id))
        .where(
            col(StaffBody.body_code).in_(list(body_codes)),
            or_(
                col(Citizen.role).in_(["staff", "admin"]),
                col(Citizen.id).in_(list(admin_ids)),
            ),
            true() if mode is None else chosen == mode,
        )
        .order_by(col(Citizen.id), col(ChannelIdentity.channel), col(StaffBody.body_code))
    )
    return [
        (Recipient(cid, language, channel, user_id), body)
        for cid, language, channel, user_id, body in (await session.exec(stmt)).all()
    ]


async def reached_since(
    session: AsyncSession, *, body_codes: Iterable[str], since: datetime, limit: int
) -> tuple[int, list[Report]]:
    """The open, visible reports of `body_codes` that reached them since `since` (filed, or
    reassigned to them): how many, and the first `limit` (oldest first)."""
    codes = list(body_codes)
    reassigned = select(ReportNote.report_id).where(
        ReportNote.kind == "reassigned",
        col(ReportNote.body_code).in_(codes),
        col(ReportNote.at) >= since,
    )
    where = and_(
        col(Report.body_code).in_(codes),
        col(Report.status).in_([s.value for s in OPEN_STATUSES]),
        or_(col(Report.created_at) >= since, col(Report.id).in_(reassigned)),
    )
    return await _count_and_first(session, where, col(Report.id), limit)


async def overdue(
    session: AsyncSession, *, body_code: str, now: datetime, limit: int
) -> tuple[int, list[Report]]:
    """The body's open reports past a deadline (not acknowledged by `ack_due_at`, or not
    resolved by `resolve_due_at`: storage/repos/deadlines.py): how many, and
    the first `limit`, the longest overdue first."""
    where = and_(Report.body_code == body_code, deadlines.overdue(now))
    order = deadlines.most_overdue_first()[0]
    return await _count_and_first(session, where, order, limit)


async def _count_and_first(
    session: AsyncSession, where: object, order: object, limit: int
) -> tuple[int, list[Report]]:
    count = (await session.exec(select(func.count()).select_from(Report).where(where))).one()
    rows = (await session.exec(select(Report).where(where).order_by(order).limit(limit))).all()
    return int(count), list(rows)
