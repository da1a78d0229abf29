"""Pruning the outbox: OUTBOX_RETENTION_DAYS after a run finished its rows are folded into
its tally (notice_run_tally) and deleted in batches; old finished direct rows are deleted with
their counts added to outbox_direct_tally (scheduler/pruning.py runs it daily)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import ColumnElement, case, delete, exists, func, insert, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.dialects import pg_insert
from storage.models import OutboxStatus
from storage.repos.outbox import (
    DIRECT_TALLY,
    FINAL,
    FINISHED_RUNS,
    INFLIGHT,
    INSERT_CHUNK,
    OUTBOX,
    PENDING,
    RUN,
    TALLY,
    dialect,
)


async def prunable_runs(
    session: AsyncSession, *, finished_before: datetime, after: int = 0, limit: int = 100
) -> list[int]:
    """Runs finished before `finished_before` whose rows are not pruned yet, by id."""
    stmt = (
        select(RUN.c.id)
        .where(
            RUN.c.status.in_(FINISHED_RUNS),
            RUN.c.finished_at < finished_before,
            RUN.c.pruned_at.is_(None),
            RUN.c.id > after,
        )
        .order_by(RUN.c.id)
        .limit(limit)
    )
    return list((await session.exec(stmt)).scalars().all())  # type: ignore[call-overload]


TALLY_KEYS = (
    "sent",
    "failed",
    "blocked",
    "cancelled",
    "transmitted",
    "delivered",
    "seen",
    "messages",
)
Tallies = dict[str, dict[str, int]]  # channel → TALLY_KEYS → count


async def run_id_span(session: AsyncSession, *, run_id: int) -> tuple[int, int] | None:
    """The lowest and highest outbox row id of a run (None: it has no rows)."""
    stmt = select(func.min(OUTBOX.c.id), func.max(OUTBOX.c.id)).where(OUTBOX.c.run_id == run_id)
    low, high = (await session.exec(stmt)).one()  # type: ignore[call-overload]
    return None if low is None else (int(low), int(high))


async def tally_rows(session: AsyncSession, *, run_id: int, low: int, high: int) -> Tallies:
    """A run's counts per channel over its rows with low <= id < high (a primary key range,
    so a large run is counted in short reads)."""

    def count(status: OutboxStatus) -> ColumnElement[int]:
        return func.count(case((OUTBOX.c.status == status.value, 1)))

    stmt = (
        select(
            OUTBOX.c.channel,
            count(OutboxStatus.SENT),
            count(OutboxStatus.FAILED),
            count(OutboxStatus.BLOCKED),
            count(OutboxStatus.CANCELLED),
            func.count(OUTBOX.c.sent_at),
            func.count(OUTBOX.c.delivered_at),
            func.count(OUTBOX.c.seen_at),
            func.coalesce(func.sum(OUTBOX.c.messages), 0),
        )
        .where(OUTBOX.c.id >= low, OUTBOX.c.id < high, OUTBOX.c.run_id == run_id)
        .group_by(OUTBOX.c.channel)
    )
    rows = (await session.exec(stmt)).all()  # type: ignore[call-overload]
    return {
        channel: dict(zip(TALLY_KEYS, map(int, figures), strict=True)) for channel, *figures in rows
    }


def add_tallies(total: Tallies, more: Tallies) -> Tallies:
    for channel, figures in more.items():
        into = total.setdefault(channel, dict.fromkeys(TALLY_KEYS, 0))
        for key, n in figures.items():
            into[key] += n
    return total


async def fold_run(
    session: AsyncSession, *, run_id: int, tallies: Mapping[str, Mapping[str, int]], now: datetime
) -> bool:
    """Claim a finished run for pruning and keep its counts (`tally_rows`, summed) in
    RunTally; from then on its figures are read there and its rows may be deleted. One
    caller wins (the conditional UPDATE); a run with rows still pending or in flight is left
    alone. A short write: the counting was done before, in reads."""
    left = exists().where(OUTBOX.c.run_id == RUN.c.id, OUTBOX.c.status.in_((PENDING, INFLIGHT)))
    claim = (
        update(RUN)
        .where(
            RUN.c.id == run_id,
            RUN.c.pruned_at.is_(None),
            RUN.c.status.in_(FINISHED_RUNS),
            ~left,
        )
        .values(pruned_at=now)
    )
    if (await session.exec(claim)).rowcount != 1:  # type: ignore[call-overload]
        return False
    if tallies:
        values = [
            {"run_id": run_id, "channel": channel, **figures}
            for channel, figures in sorted(tallies.items())
        ]
        await session.exec(insert(TALLY).values(values))  # type: ignore[call-overload]
    return True


async def runs_to_clear(session: AsyncSession, *, after: int = 0, limit: int = 100) -> list[int]:
    """Pruned runs that still have outbox rows (a crash between folding and deleting, or
    rows another process is deleting), by id."""
    rows_left = exists().where(OUTBOX.c.run_id == RUN.c.id)
    stmt = (
        select(RUN.c.id)
        .where(RUN.c.pruned_at.is_not(None), RUN.c.id > after, rows_left)
        .order_by(RUN.c.id)
        .limit(limit)
    )
    return list((await session.exec(stmt)).scalars().all())  # type: ignore[call-overload]


async def delete_run_rows(session: AsyncSession, *, run_id: int, limit: int) -> int:
    """Delete up to `limit` outbox rows of a pruned run (rows locked by another process's
    delete are skipped on PostgreSQL). Returns how many."""
    picked = select(OUTBOX.c.id).where(OUTBOX.c.run_id == run_id).limit(limit)
    if dialect(session) == "postgresql":
        # Picked once, in a materialised CTE (see _claim_where). SQLite needs none, and its
        # driver reports no rowcount for a statement that starts with WITH.
        cte = picked.with_for_update(skip_locked=True).cte("picked").prefix_with("MATERIALIZED")
        picked = select(cte.c.id)
    stmt = delete(OUTBOX).where(OUTBOX.c.id.in_(picked))
    return max((await session.exec(stmt)).rowcount, 0)  # type: ignore[call-overload]


async def prune_direct(session: AsyncSession, *, created_before: datetime, limit: int) -> int:
    """Delete up to `limit` direct messages (no run: report news, digests, survey
    invitations) created before `created_before` that are finished (sent, failed, blocked,
    cancelled), adding their counts to DirectTally in the same transaction (rows another
    process holds are skipped on PostgreSQL). Returns how many were deleted."""
    picked = (
        select(
            OUTBOX.c.id,
            OUTBOX.c.channel,
            OUTBOX.c.status,
            OUTBOX.c.sent_at.is_not(None),
            OUTBOX.c.delivered_at.is_not(None),
            OUTBOX.c.seen_at.is_not(None),
            OUTBOX.c.messages,
        )
        .where(
            OUTBOX.c.run_id.is_(None),
            OUTBOX.c.status.in_(FINAL),
            OUTBOX.c.created_at < created_before,
        )
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    rows = (await session.exec(picked)).all()  # type: ignore[call-overload]
    if not rows:
        return 0
    keys = ("sent", "failed", "blocked", "cancelled", "transmitted", "delivered", "seen")
    sums: dict[str, dict[str, int]] = {}
    for _, channel, status, transmitted, delivered, seen, messages in rows:
        tally = sums.setdefault(channel, dict.fromkeys((*keys, "messages"), 0))
        tally[status] += 1
        tally["transmitted"] += bool(transmitted)
        tally["delivered"] += bool(delivered)
        tally["seen"] += bool(seen)
        tally["messages"] += messages or 0
    insert_ = pg_insert if dialect(session) == "postgresql" else sqlite_insert
    for channel, tally in sorted(sums.items()):
        stmt = insert_(DIRECT_TALLY).values(channel=channel, **tally)
        stmt = stmt.on_conflict_do_update(
            index_elements=["channel"],
            set_={k: DIRECT_TALLY.c[k] + stmt.excluded[k] for k in tally},
        )
        await session.exec(stmt)  # type: ignore[call-overload]
    ids = [row[0] for row in rows]
    for start in range(0, len(ids), INSERT_CHUNK):
        chunk = ids[start : start + INSERT_CHUNK]
        await session.exec(delete(OUTBOX).where(OUTBOX.c.id.in_(chunk)))  # type: ignore[call-overload]
    return len(ids)
