"""Citizens and their channel identities."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import and_, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import ChannelIdentity, Citizen
from storage.types import utcnow


async def find_by_identity(session: AsyncSession, *, channel: str, user_id: str) -> Citizen | None:
    stmt = (
        select(Citizen)
        .join(ChannelIdentity, ChannelIdentity.citizen_id == Citizen.id)  # type: ignore[arg-type]
        .where(ChannelIdentity.channel == channel, ChannelIdentity.user_id == user_id)
    )
    return (await session.exec(stmt)).first()


async def get_or_create_by_identity(
    session: AsyncSession,
    *,
    channel: str,
    user_id: str,
    language: str,
    now: datetime | None = None,
) -> tuple[Citizen, bool]:
    """The citizen behind (channel, user_id); a new one is created on first contact.

    Returns (citizen, created). Safe when two processes meet the same new user at once: the
    loser of the unique-constraint race rolls back its savepoint and reads the winner's row.
    """
    found = await find_by_identity(session, channel=channel, user_id=user_id)
    if found is not None:
        return found, False
    now = now or utcnow()
    try:
        async with session.begin_nested():
            citizen = Citizen(language=language, created_at=now, last_seen_at=now)
            session.add(citizen)
            await session.flush()
            assert citizen.id is not None
            session.add(
                ChannelIdentity(
                    channel=channel, user_id=user_id, citizen_id=citizen.id, created_at=now
                )
            )
            await session.flush()
    except IntegrityError:
        found = await find_by_identity(session, channel=channel, user_id=user_id)
        if found is None:
            raise
        return found, False
    return citizen, True


async def get(session: AsyncSession, *, citizen_id: int) -> Citizen | None:
    return await session.get(Citizen, citizen_id)


async def identities(session: AsyncSession, *, citizen_id: int) -> list[ChannelIdentity]:
    stmt = select(ChannelIdentity).where(ChannelIdentity.citizen_id == citizen_id)
    return list((await session.exec(stmt)).all())


async def set_opted_out(
    session: AsyncSession, *, channel: str, user_id: str, opted_out: bool
) -> Citizen | None:
    citizen = await find_by_identity(session, channel=channel, user_id=user_id)
    if citizen is not None:
        citizen.opted_out = opted_out
        session.add(citizen)
    return citizen


async def ids_by_identities(
    session: AsyncSession, *, addresses: Iterable[tuple[str, str]]
) -> list[int]:
    """The ids of the citizens behind any of these (channel, user_id) pairs, sorted."""
    pairs = [
        and_(col(ChannelIdentity.channel) == channel, col(ChannelIdentity.user_id) == user_id)
        for channel, user_id in addresses
    ]
    if not pairs:
        return []
    stmt = select(ChannelIdentity.citizen_id).where(or_(*pairs)).distinct()
    return sorted((await session.exec(stmt)).all())
