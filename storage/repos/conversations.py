"""Conversation state per address."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, bindparam
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import ChannelIdentity, Citizen, ConversationState
from storage.types import utcnow


async def load(
    session: AsyncSession, *, channel: str, user_id: str, for_update: bool = False
) -> ConversationState:
    """The address's state row, locked for this transaction when `for_update` (PostgreSQL).

    A first-time address gets a fresh, not yet persisted row.
    """
    stmt = select(ConversationState).where(
        ConversationState.channel == channel, ConversationState.user_id == user_id
    )
    if for_update:
        stmt = stmt.with_for_update()
    row = (await session.exec(stmt)).first()
    if row is None:
        row = ConversationState(channel=channel, user_id=user_id, data={})
    return row


async def load_with_citizen(
    session: AsyncSession, *, channel: str, user_id: str
) -> tuple[Citizen | None, ConversationState]:
    """The citizen behind the address (None when new) and its state row, in one query."""
    found = (
        await session.exec(_WITH_CITIZEN, params={"channel": channel, "user_id": user_id})
    ).first()
    citizen, row = found if found is not None else (None, None)
    if row is None:
        row = ConversationState(channel=channel, user_id=user_id, data={})
    return citizen, row


# Built once: constructing the statement cost more than running it on the hot path.
_WITH_CITIZEN = (
    select(Citizen, ConversationState)
    .select_from(ChannelIdentity)
    .join(Citizen, col(Citizen.id) == col(ChannelIdentity.citizen_id))
    .outerjoin(
        ConversationState,
        and_(
            col(ConversationState.channel) == col(ChannelIdentity.channel),
            col(ConversationState.user_id) == col(ChannelIdentity.user_id),
        ),
    )
    .where(
        col(ChannelIdentity.channel) == bindparam("channel"),
        col(ChannelIdentity.user_id) == bindparam("user_id"),
    )
)


async def save(
    session: AsyncSession,
    *,
    row: ConversationState,
    state: str | None,
    data: dict,
    now: datetime | None = None,
) -> None:
    if row.state == state and row.data == data and row.version > 0:
        return
    row.state = state
    row.data = dict(data)
    row.version += 1
    row.updated_at = now or utcnow()
    session.add(row)


async def clear(session: AsyncSession, *, channel: str, user_id: str) -> None:
    row = await session.get(ConversationState, (channel, user_id))
    if row is not None:
        await session.delete(row)
