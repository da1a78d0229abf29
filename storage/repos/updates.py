"""Dedupe keys of processed platform updates."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import ProcessedUpdate


async def is_processed(session: AsyncSession, *, channel: str, external_id: str) -> bool:
    return await session.get(ProcessedUpdate, (channel, external_id)) is not None


async def claim(session: AsyncSession, *, channel: str, external_id: str, now: datetime) -> bool:
    """Write the dedupe key; False when it was already there (a redelivered update).

    One statement (INSERT … ON CONFLICT DO NOTHING; its row count says whether it was new)
    instead of a look-up and an insert: the key becomes durable with the message's
    transaction, or not at all.
    """
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    table = ProcessedUpdate.__table__  # type: ignore[attr-defined]
    stmt = (
        insert(table)
        .values(channel=channel, external_id=external_id, processed_at=now)
        .on_conflict_do_nothing(index_elements=["channel", "external_id"])
    )
    connection = await session.connection()
    return (await connection.execute(stmt)).rowcount == 1


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
