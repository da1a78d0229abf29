"""Staff's bodies (staff_body) and bodies' team chats (body_chat). Keyword-only; never commits."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import BodyChat, StaffBody


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
    await session.flush()
    return link
