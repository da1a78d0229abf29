"""The staff console's sign-in links and sessions (storage/models/console.py). The rules
(how long a link or a session lives, who may have one) are bot/web/console/auth.py's and
sessions.py's; these only read and write rows, and never commit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import ConsoleLink, ConsoleSession


async def add_link(
    session: AsyncSession, *, token_hash: str, citizen_id: int, now: datetime, expires_at: datetime
) -> ConsoleLink:
    link = ConsoleLink(
        token_hash=token_hash, citizen_id=citizen_id, created_at=now, expires_at=expires_at
    )
    session.add(link)
    await session.flush()
    return link


async def use_link(session: AsyncSession, *, token_hash: str, now: datetime) -> int | None:
    """Mark the link used, if it is unused and not expired, in one conditional UPDATE (two
    browsers racing on one link: one wins). Returns its citizen's id, or None."""
    stmt = (
        update(ConsoleLink)
        .where(
            col(ConsoleLink.token_hash) == token_hash,
            col(ConsoleLink.used_at).is_(None),
            col(ConsoleLink.expires_at) > now,
        )
        .values(used_at=now)
        .returning(col(ConsoleLink.citizen_id))
    )
    return (await session.exec(stmt)).scalar_one_or_none()  # type: ignore[call-overload]


async def add_session(
    session: AsyncSession, *, key_hash: str, citizen_id: int, csrf: str, now: datetime
) -> ConsoleSession:
    row = ConsoleSession(
        key_hash=key_hash, citizen_id=citizen_id, csrf=csrf, created_at=now, seen_at=now
    )
    session.add(row)
    await session.flush()
    return row


async def live_session(
    session: AsyncSession, *, key_hash: str, seen_since: datetime
) -> ConsoleSession | None:
    """The session with that key, not ended, seen since `seen_since`."""
    stmt = select(ConsoleSession).where(
        col(ConsoleSession.key_hash) == key_hash,
        col(ConsoleSession.ended_at).is_(None),
        col(ConsoleSession.seen_at) >= seen_since,
    )
    return (await session.exec(stmt)).first()


async def touch_session(session: AsyncSession, *, session_id: int, now: datetime) -> None:
    await session.exec(  # type: ignore[call-overload]
        update(ConsoleSession).where(col(ConsoleSession.id) == session_id).values(seen_at=now)
    )


async def end_sessions(
    session: AsyncSession,
    *,
    now: datetime,
    session_id: int | None = None,
    citizen_id: int | None = None,
) -> int:
    """End one session, or every live session of a citizen. Returns how many ended."""
    stmt = update(ConsoleSession).where(col(ConsoleSession.ended_at).is_(None)).values(ended_at=now)
    if session_id is not None:
        stmt = stmt.where(col(ConsoleSession.id) == session_id)
    if citizen_id is not None:
        stmt = stmt.where(col(ConsoleSession.citizen_id) == citizen_id)
    result = await session.exec(stmt)  # type: ignore[call-overload]
    return result.rowcount or 0  # type: ignore[attr-defined]
