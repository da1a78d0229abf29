"""Dedupe keys of processed platform updates."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, delete, text
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import ProcessedUpdate
from storage.types import UTCDateTime


async def is_processed(session: AsyncSession, *, channel: str, external_id: str) -> bool:
    return await session.get(ProcessedUpdate, (channel, external_id)) is not None


async def claim(session: AsyncSession, *, channel: str, external_id: str, now: datetime) -> bool:
    """Write the dedupe key; False when it was already there (a redelivered update).

    One statement (INSERT … ON CONFLICT DO NOTHING; its row count says whether it was new)
    instead of a look-up and an insert: the key becomes durable with the message's
    transaction, or not at all.
    """
    params = {"c": channel, "e": external_id, "t": now}
    result = await session.exec(_CLAIM, params=params)  # type: ignore[call-overload]
    return bool(result.rowcount == 1)


# Plain SQL that both SQLite and PostgreSQL speak: a dialect's insert() with ON CONFLICT is not
# cacheable in SQLAlchemy and was compiled again for every message.
_CLAIM = text(
    "INSERT INTO processed_update (channel, external_id, processed_at) VALUES (:c, :e, :t) "
    "ON CONFLICT (channel, external_id) DO NOTHING"
).bindparams(bindparam("t", type_=UTCDateTime()))


async def mark_processed(
    session: AsyncSession, *, channel: str, external_id: str, now: datetime | None = None
) -> None:
    row = ProcessedUpdate(channel=channel, external_id=external_id)
    if now is not None:
        row.processed_at = now
    session.add(row)


async def prune(session: AsyncSession, *, before: datetime) -> int:
    result = await session.exec(  # type: ignore[call-overload]
        delete(ProcessedUpdate).where(ProcessedUpdate.processed_at < before)  # type: ignore[arg-type]
    )
    return result.rowcount or 0
