"""scheduler.pruning on SQLite and PostgreSQL: only runs finished before the cutoff with
nothing left to send are pruned; two processes pruning at once fold each run once and delete
each row once, in batches; direct messages stay."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import update
from sqlmodel import col, func, select

from scheduler.pruning import OutboxPruning, Pruned
from storage.db import Database
from storage.models import NoticeRun, Outbox, RunTally
from storage.repos import outbox_pruning, run_figures, stats
from tests.scheduler.seed import add_citizens, add_notice, add_rows
from tests.scheduler.test_outbox_repo import direct

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


async def finished_run(
    db: Database, users: int, *, status: str, finished: datetime, rows: str = "sent"
) -> int:
    user_ids = [f"{status}-{rows}-{finished:%d}-{i}" for i in range(users)]
    citizen_ids = await add_citizens(db, user_ids, now=NOW)
    _, run_id = await add_notice(db, run_status=status, now=NOW)
    await add_rows(db, run_id, citizen_ids, user_ids, now=NOW)
    async with db.sessions() as session, session.begin():
        await session.exec(  # type: ignore[call-overload]
            update(Outbox).where(col(Outbox.run_id) == run_id).values(status=rows, sent_at=NOW)
        )
        await session.exec(  # type: ignore[call-overload]
            update(NoticeRun).where(col(NoticeRun.id) == run_id).values(finished_at=finished)
        )
    return run_id


async def rows_of(db: Database) -> dict[int | None, int]:
    async with db.sessions() as session:
        stmt = select(Outbox.run_id, func.count()).group_by(col(Outbox.run_id))
        return {run_id: n for run_id, n in (await session.exec(stmt)).all()}


async def test_only_old_finished_runs_are_pruned_once_even_by_two_processes(db: Database):
    old = NOW - timedelta(days=31)
    done = await finished_run(db, 7, status="done", finished=old)
    cancelled = await finished_run(db, 2, status="cancelled", finished=old, rows="cancelled")
    recent = await finished_run(db, 2, status="done", finished=NOW - timedelta(days=29))
    sending = await finished_run(db, 2, status="sending", finished=old, rows="pending")
    unsent = await finished_run(db, 1, status="cancelled", finished=old, rows="inflight")
    await direct(db, "someone")  # pending: kept
    for user, status in (("a", "sent"), ("b", "sent"), ("c", "failed"), ("d", "blocked")):
        row_id = await direct(db, user, channel="viber")
        async with db.sessions() as session, session.begin():
            await session.exec(  # type: ignore[call-overload]
                update(Outbox)
                .where(col(Outbox.id) == row_id)
                .values(status=status, created_at=old, messages=2, seen_at=NOW)
            )
    before = {run_id: await counts(db, run_id) for run_id in (done, cancelled)}
    async with db.sessions() as session:
        figures = await stats.outbox_by_channel(session)
    assert figures[("viber", "sent")] == 2

    def pruning() -> OutboxPruning:
        return OutboxPruning(db=db, days=30, clock=lambda: NOW, batch_size=3, span=2)

    first, second = await asyncio.gather(pruning().run(), pruning().run())
    assert first.runs + second.runs == 2
    assert first.rows + second.rows == 9 + 4
    async with db.sessions() as session:
        assert await stats.outbox_by_channel(session) == figures
    assert await rows_of(db) == {recent: 2, sending: 2, unsent: 1, None: 1}
    assert {run_id: await counts(db, run_id) for run_id in (done, cancelled)} == before
    async with db.sessions() as session:
        tallies = (await session.exec(select(RunTally.run_id, RunTally.sent))).all()
    assert sorted(tallies) == [(done, 7), (cancelled, 0)]
    assert await pruning().run() == Pruned(0, 0)


async def counts(db: Database, run_id: int) -> tuple[dict[str, int], dict[str, object]]:
    async with db.sessions() as session:
        figures = await run_figures.run_counts(session, run_id=run_id)
        receipts = await run_figures.run_receipts(session, run_id=run_id)
    return figures, dict(receipts)


async def test_a_crash_between_folding_and_deleting_is_finished_next_time(db: Database):
    run_id = await finished_run(db, 4, status="done", finished=NOW - timedelta(days=40))
    pruning = OutboxPruning(db=db, days=30, clock=lambda: NOW)
    tallies = await pruning._count(run_id)
    async with db.sessions() as session, session.begin():
        assert await outbox_pruning.fold_run(session, run_id=run_id, tallies=tallies, now=NOW)
    async with db.sessions() as session, session.begin():
        assert not await outbox_pruning.fold_run(session, run_id=run_id, tallies=tallies, now=NOW)
    assert await pruning.run() == Pruned(0, 4)
    assert await rows_of(db) == {}
    assert (await counts(db, run_id))[0]["sent"] == 4
