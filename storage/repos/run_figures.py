"""A notice run's figures: how its rows stand and what the platforms reported of them, read
from the outbox while its rows are kept and from its tally once pruned (outbox_pruning.py),
so they never change."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.repos.outbox import (
    INFLIGHT,
    OUTBOX,
    PENDING,
    RUN,
    TALLY,
)

COUNT_KEYS = ("queued", "sent", "deferred", "failed", "blocked", "cancelled")


async def run_counts(session: AsyncSession, *, run_id: int) -> dict[str, int]:
    """How a run stands: queued (pending or being sent), sent, deferred (pending, held for
    quiet hours or a digest), failed, blocked, cancelled. A pruned run's from its tally."""
    counts = dict.fromkeys(COUNT_KEYS, 0)
    if await pruned(session, run_id):
        final = ("sent", "failed", "blocked", "cancelled")
        tallied = select(*(func.coalesce(func.sum(TALLY.c[k]), 0) for k in final)).where(
            TALLY.c.run_id == run_id
        )
        sums = (await session.exec(tallied)).one()  # type: ignore[call-overload]
        return counts | {k: int(n) for k, n in zip(final, sums, strict=True)}
    deferred = OUTBOX.c.held.is_not(None)
    stmt = (
        select(OUTBOX.c.status, deferred, func.count())
        .where(OUTBOX.c.run_id == run_id)
        .group_by(OUTBOX.c.status, deferred)
    )
    for status, is_deferred, n in (await session.exec(stmt)).all():  # type: ignore[call-overload]
        if status in (PENDING, INFLIGHT):
            key = "deferred" if status == PENDING and is_deferred else "queued"
        else:
            key = status
        if key in counts:
            counts[key] += n
    return counts


def sent_of(counts: Mapping[str, int]) -> tuple[int, int]:
    """(sent, total) of a run's counts (`run_counts`): the one "sent of total" everyone shows."""
    return counts.get("sent", 0), sum(counts.values())


@dataclass(frozen=True, slots=True)
class ChannelReceipts:
    """A run's rows on one channel: sent, how many of them the platform reported delivered
    and seen, and the platform messages they took (0 where not known)."""

    sent: int
    delivered: int
    seen: int
    messages: int


async def run_receipts(session: AsyncSession, *, run_id: int) -> dict[str, ChannelReceipts]:
    """Per channel of the run (channels with rows only); a pruned run's from its tally."""
    if await pruned(session, run_id):
        tallied = select(
            TALLY.c.channel, TALLY.c.transmitted, TALLY.c.delivered, TALLY.c.seen, TALLY.c.messages
        ).where(TALLY.c.run_id == run_id)
        found = (await session.exec(tallied)).all()  # type: ignore[call-overload]
        return {channel: ChannelReceipts(*map(int, figures)) for channel, *figures in found}
    was_sent = OUTBOX.c.sent_at.is_not(None)
    stmt = (
        select(
            OUTBOX.c.channel,
            func.count(case((was_sent, 1))),
            func.count(OUTBOX.c.delivered_at),
            func.count(OUTBOX.c.seen_at),
            func.coalesce(func.sum(OUTBOX.c.messages), 0),
        )
        .where(OUTBOX.c.run_id == run_id)
        .group_by(OUTBOX.c.channel)
    )
    rows = (await session.exec(stmt)).all()  # type: ignore[call-overload]
    return {channel: ChannelReceipts(*map(int, figures)) for channel, *figures in rows}


async def pruned(session: AsyncSession, run_id: int) -> bool:
    stmt = select(RUN.c.pruned_at).where(RUN.c.id == run_id)
    return (await session.exec(stmt)).scalar_one_or_none() is not None  # type: ignore[call-overload]
