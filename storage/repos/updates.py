"""Dedupe keys of processed platform updates."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import ProcessedUpdate


async def is_processed(session: AsyncSession, *, channel: str, external_id: str) -> bool:
    return await session.get(ProcessedUpdate, (channel, external_id)) is not None


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
