"""The audit log: every staff and admin action, who did it, when, on what. Entries are only
added, never changed; like every repo function these never commit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import AuditEntry, Report


async def record(
    session: AsyncSession,
    *,
    actor_id: int | None,
    actor_ref: str,
    action: str,
    object_type: str,
    object_id: str,
    detail: dict[str, Any] | None = None,
    now: datetime,
) -> AuditEntry:
    entry = AuditEntry(
        at=now,
        actor_id=actor_id,
        actor_ref=actor_ref[:64],  # a system actor named after an API key or a feed
        action=action,
        object_type=object_type,
        object_id=object_id,
        detail=dict(detail or {}),
    )
    session.add(entry)
    return entry


async def recent(
    session: AsyncSession,
    *,
    limit: int = 20,
    offset: int = 0,
    object_id: str | None = None,
    actor_id: int | None = None,
    actor_ref: str | None = None,
    reports_of: int | None = None,
) -> list[AuditEntry]:
    """The newest entries first, `limit` of them after skipping `offset`. With filters, the
    entries matching ANY of them: by that actor (its id, or its ref, which outlives a
    forgotten actor's row), on that object, or on a report that citizen (`reports_of`) filed."""
    conds: list[Any] = []
    if object_id is not None:
        conds.append(AuditEntry.object_id == object_id)
    if reports_of is not None:
        filed = select(Report.public_id).where(Report.reporter_id == reports_of)
        conds.append(
            (col(AuditEntry.object_type) == "report") & col(AuditEntry.object_id).in_(filed)
        )
    if actor_id is not None:
        conds.append(AuditEntry.actor_id == actor_id)
    if actor_ref is not None:
        conds.append(AuditEntry.actor_ref == actor_ref)
    stmt = select(AuditEntry)
    if conds:
        stmt = stmt.where(or_(*conds))
    stmt = stmt.order_by(col(AuditEntry.at).desc(), col(AuditEntry.id).desc())
    stmt = stmt.offset(offset).limit(limit)
    return list((await session.exec(stmt)).all())


async def search(
    session: AsyncSession,
    *,
    actor_ref: str | None = None,
    action: str | None = None,
    since: datetime | None = None,
    before: datetime | None = None,
    offset: int = 0,
    limit: int = 50,
) -> list[AuditEntry]:
    """The entries matching ALL the filters given (an actor's ref, an action, at or after
    `since`, before `before`), newest first, `limit` of them after skipping `offset`."""
    stmt = select(AuditEntry)
    if actor_ref is not None:
        stmt = stmt.where(AuditEntry.actor_ref == actor_ref)
    if action is not None:
        stmt = stmt.where(AuditEntry.action == action)
    if since is not None:
        stmt = stmt.where(col(AuditEntry.at) >= since)
    if before is not None:
        stmt = stmt.where(col(AuditEntry.at) < before)
    stmt = stmt.order_by(col(AuditEntry.at).desc(), col(AuditEntry.id).desc())
    return list((await session.exec(stmt.offset(offset).limit(limit))).all())
