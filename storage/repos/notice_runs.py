"""A notice's runs (one per occurrence) and selecting a run's recipients into the outbox.

Each recipient gets one message on each channel they use (a citizen on Telegram and Viber
gets it on both: they may read either), never two on the same channel.

Selection runs in batches of citizens ordered by id. Each batch is one transaction that first
moves NoticeRun.cursor past the batch (a conditional UPDATE: a second selector of the same run
finds the cursor moved and stops) and then inserts the batch's outbox rows, so a crash resumes
after the last committed batch and the audience is never held in memory. Quiet hours and
the daily digest are applied as rows are inserted (the caller's `hold`); urgent rows are never
held.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.dialects import pg_insert
from storage.models import (
    AlertSettings,
    ChannelIdentity,
    Notice,
    NoticeRun,
    OutboxKind,
    RunStatus,
)
from storage.repos import notice_audience as audiences
from storage.repos import outbox
from storage.repos.notice_audience import Audience

# (held, next_attempt_at) of a recipient's row, given their alert settings (None: defaults).
Hold = Callable[[AlertSettings | None], tuple[str | None, datetime]]


@dataclass(frozen=True, slots=True)
class Batch:
    candidates: int  # citizens looked at
    inserted: int  # outbox rows written
    done: bool  # the run's selection is complete (or no longer this selector's to do)


async def add_run(
    session: AsyncSession,
    *,
    notice_id: int,
    due_at: datetime,
    status: RunStatus,
    now: datetime,
) -> NoticeRun | None:
    """The run of the occurrence due at `due_at`; None if that occurrence already has one."""
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    table = NoticeRun.__table__  # type: ignore[attr-defined]
    finished = now if status in (RunStatus.MISSED, RunStatus.DONE) else None
    stmt = (
        insert(table)
        .values(
            notice_id=notice_id,
            due_at=due_at,
            status=status.value,
            cursor=0,
            total=0,
            created_at=now,
            finished_at=finished,
        )
        .on_conflict_do_nothing(index_elements=["notice_id", "due_at"])
        .returning(table.c["id"])
    )
    run_id = (await session.exec(stmt)).scalar_one_or_none()  # type: ignore[call-overload]
    return None if run_id is None else await session.get(NoticeRun, run_id)


async def selecting_runs(session: AsyncSession) -> list[tuple[NoticeRun, Notice]]:
    stmt = (
        select(NoticeRun, Notice)
        .join(Notice, col(Notice.id) == col(NoticeRun.notice_id))
        .where(NoticeRun.status == RunStatus.SELECTING.value)
        .order_by(col(NoticeRun.id))
        .execution_options(populate_existing=True)
    )
    return [(run, notice) for run, notice in (await session.exec(stmt)).all()]


async def _outbox_rows(
    session: AsyncSession,
    *,
    run_id: int,
    recipients: dict[int, str],
    urgent: bool,
    hold: Hold,
) -> list[dict[str, Any]]:
    if not recipients:
        return []
    ids = sorted(recipients)
    settings_stmt = select(AlertSettings).where(col(AlertSettings.citizen_id).in_(ids))
    settings = {s.citizen_id: s for s in (await session.exec(settings_stmt)).all()}
    identities = (
        select(ChannelIdentity.citizen_id, ChannelIdentity.channel, ChannelIdentity.user_id)
        .where(col(ChannelIdentity.citizen_id).in_(ids))
        .order_by(col(ChannelIdentity.citizen_id), col(ChannelIdentity.id))
    )
    rows: list[dict[str, Any]] = []
    seen: set[tuple[int, str]] = set()
    for cid, channel, user_id in (await session.exec(identities)).all():
        if (cid, channel) in seen:
            continue  # one message per channel, even with two accounts on it
        seen.add((cid, channel))
        held, at = hold(settings.get(cid))
        rows.append(
            {
                "run_id": run_id,
                "citizen_id": cid,
                "channel": channel,
                "user_id": user_id,
                "language": recipients[cid],
                "kind": OutboxKind.NOTICE.value,
                "urgent": urgent,
                "held": held,
                "next_attempt_at": at,
            }
        )
    return rows


async def select_batch(
    session: AsyncSession,
    *,
    run_id: int,
    topic: str,
    urgent: bool,
    audience: Audience,
    now: datetime,
    hold: Hold,
    limit: int,
) -> Batch:
    """Select the next batch of the run's recipients into the outbox (the caller commits).
    `hold(settings)` says when each recipient's row may go (the quiet-hours and digest rule,
    bot/domain/quiet_hours.py). The last batch moves the run from selecting to sending."""
    run = await _fresh_run(session, run_id)
    if run is None or run.status != RunStatus.SELECTING.value:
        return Batch(0, 0, done=True)
    found = await audiences.candidates(
        session, topic=topic, urgent=urgent, audience=audience, after=run.cursor, limit=limit
    )
    done = len(found) < limit
    cursor = found[-1][0] if found else run.cursor
    if not await _advance(session, run_id=run_id, old=run.cursor, new=cursor, done=done):
        return Batch(0, 0, done=True)  # another process is selecting this run
    recipients = await audiences.recipients(session, found, audience)
    rows = await _outbox_rows(
        session, run_id=run_id, recipients=recipients, urgent=urgent, hold=hold
    )
    inserted = await outbox.enqueue_many(session, rows=rows, now=now)
    if inserted:
        await session.exec(  # type: ignore[call-overload]
            update(NoticeRun)
            .where(col(NoticeRun.id) == run_id)
            .values(total=col(NoticeRun.total) + inserted)
        )
    return Batch(len(found), inserted, done)


async def _advance(session: AsyncSession, *, run_id: int, old: int, new: int, done: bool) -> bool:
    status = RunStatus.SENDING if done else RunStatus.SELECTING
    result = await session.exec(  # type: ignore[call-overload]
        update(NoticeRun)
        .where(
            col(NoticeRun.id) == run_id,
            col(NoticeRun.cursor) == old,
            col(NoticeRun.status) == RunStatus.SELECTING.value,
        )
        .values(cursor=new, status=status.value)
    )
    return result.rowcount == 1


async def _fresh_run(session: AsyncSession, run_id: int) -> NoticeRun | None:
    stmt = select(NoticeRun).where(NoticeRun.id == run_id).execution_options(populate_existing=True)
    return (await session.exec(stmt)).first()
