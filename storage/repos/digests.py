"""Daily digests: the notices held for a citizen's digest, folded into one outbox row when
its hour comes (scheduler/notices.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Held, Notice, NoticeRun, Outbox, OutboxKind, OutboxStatus


@dataclass(frozen=True, slots=True)
class HeldNotice:
    """A notice held for a citizen's digest."""

    outbox_id: int
    topic: str
    text_bg: str
    text_en: str | None
    due_at: datetime


async def digests_due(
    session: AsyncSession, *, now: datetime, limit: int = 200
) -> list[tuple[int, str]]:
    """(citizen id, channel) of everyone with notices held for a digest that is due."""
    stmt = (
        select(Outbox.citizen_id, Outbox.channel)
        .where(
            Outbox.status == OutboxStatus.PENDING.value,
            Outbox.held == Held.DIGEST.value,
            col(Outbox.next_attempt_at) <= now,
        )
        .group_by(col(Outbox.citizen_id), col(Outbox.channel))
        .order_by(col(Outbox.citizen_id), col(Outbox.channel))
        .limit(limit)
    )
    return [(cid, channel) for cid, channel in (await session.exec(stmt)).all() if cid]


async def take_digest(
    session: AsyncSession, *, citizen_id: int, channel: str, now: datetime
) -> tuple[Outbox | None, list[HeldNotice]]:
    """The citizen's due digest notices on `channel`, locked for this transaction (on
    PostgreSQL; a concurrent digest job skips them), oldest first, and the last such outbox
    row (its address and language are the digest's)."""
    stmt = (
        select(Outbox, Notice.topic, Notice.text_bg, Notice.text_en, NoticeRun.due_at)
        .join(NoticeRun, col(NoticeRun.id) == col(Outbox.run_id))
        .join(Notice, col(Notice.id) == col(NoticeRun.notice_id))
        .where(
            Outbox.citizen_id == citizen_id,
            Outbox.channel == channel,
            Outbox.status == OutboxStatus.PENDING.value,
            Outbox.held == Held.DIGEST.value,
            col(Outbox.next_attempt_at) <= now,
        )
        .order_by(col(NoticeRun.due_at), col(Outbox.id))
        .with_for_update(skip_locked=True, of=Outbox)  # type: ignore[arg-type]
        .execution_options(populate_existing=True)
    )
    found = (await session.exec(stmt)).all()
    held = [
        HeldNotice(row.id, topic, text_bg, text_en, due_at)  # type: ignore[arg-type]
        for row, topic, text_bg, text_en, due_at in found
    ]
    return (found[-1][0] if found else None), held


async def merge_digest(
    session: AsyncSession,
    *,
    last: Outbox,
    merged: Sequence[HeldNotice],
    payload: dict[str, Any],
    now: datetime,
) -> Outbox:
    """One "digest" outbox row (`payload` as scheduler.payloads writes it) instead of the
    `merged` rows, which are cancelled, their error naming the digest. Raises DigestRace if
    another process merged some of them first."""
    ids = [h.outbox_id for h in merged]
    digest = Outbox(
        run_id=None,
        citizen_id=last.citizen_id,
        channel=last.channel,
        user_id=last.user_id,
        language=last.language,
        kind=OutboxKind.DIGEST.value,
        payload=payload,
        urgent=False,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(digest)
    await session.flush()
    result = await session.exec(  # type: ignore[call-overload]
        update(Outbox)
        .where(col(Outbox.id).in_(ids), col(Outbox.status) == OutboxStatus.PENDING.value)
        .values(status=OutboxStatus.CANCELLED.value, error=f"merged into digest {digest.id}")
    )
    if (result.rowcount or 0) != len(ids):
        raise DigestRace
    return digest


class DigestRace(Exception):
    """Another process merged some of the same rows; roll back and try again later."""
