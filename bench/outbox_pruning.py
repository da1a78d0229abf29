"""Outbox pruning: how fast the daily job deletes the rows of a finished notice run, and how
long its longest transaction holds the outbox.

    .venv/bin/python bench/outbox_pruning.py [--rows 200000] [--batch 1000,5000,20000]
                                             [--postgres URL]

For each batch size, a fresh migrated database (SQLite in a temporary directory, or a fresh
PostgreSQL database made from the test template) gets one notice run finished 40 days ago
with `--rows` sent outbox rows (a third delivered, a sixth seen), made in SQL. Then
scheduler.pruning.OutboxPruning folds and deletes it, as the daily job does. Figures printed
(none is pass/fail): seconds to fold the run into its tally, rows deleted per second, and
the longest delete transaction (on SQLite, how long other writers wait at most).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import platform
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

FIRST_CHAT = 500_000_000


@contextlib.asynccontextmanager
async def database(postgres: str | None) -> AsyncIterator[str]:
    from storage.migrate import upgrade

    if postgres:
        from tests.dbs import PostgresTemplates

        templates = PostgresTemplates(postgres)
        url = await templates.fresh()
        try:
            yield url
        finally:
            await templates.drop(url)
            await templates.drop_template()
        return
    with tempfile.TemporaryDirectory() as workdir:
        url = f"sqlite+aiosqlite:///{workdir}/bench.db"
        await upgrade(url)
        yield url


async def seed(db: object, rows: int, now: datetime) -> int:
    """A finished run with `rows` sent outbox rows (a third delivered, a sixth seen), made in
    SQL (a recursive count; the recipients need no citizens for this)."""
    from sqlalchemy import case, literal, select, update
    from sqlalchemy import func as f

    from storage.models import NoticeRun, RunStatus
    from storage.repos.outbox import OUTBOX
    from tests.scheduler.seed import add_notice

    _, run_id = await add_notice(db, now=now)  # type: ignore[arg-type]
    n = select(literal(1).label("i")).cte("n", recursive=True)
    n = n.union_all(select(n.c.i + 1).where(n.c.i < rows))
    source = select(
        literal(run_id),
        literal("telegram"),
        f.cast(n.c.i + FIRST_CHAT, OUTBOX.c.user_id.type),
        literal("bg"),
        literal("notice"),
        literal(False),
        literal("sent"),
        literal(1),
        literal(now),
        literal(now),
        literal(1),
        case((n.c.i % 3 == 0, literal(now))),
        case((n.c.i % 6 == 0, literal(now))),
        literal(now),
    )
    columns = [
        "run_id",
        "channel",
        "user_id",
        "language",
        "kind",
        "urgent",
        "status",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "messages",
        "delivered_at",
        "seen_at",
        "created_at",
    ]
    async with db.sessions() as session, session.begin():  # type: ignore[attr-defined]
        await session.exec(OUTBOX.insert().from_select(columns, source))
        await session.exec(
            update(NoticeRun)
            .where(NoticeRun.id == run_id)  # type: ignore[arg-type]
            .values(status=RunStatus.DONE.value, finished_at=now - timedelta(days=40))
        )
    return run_id


async def one(args: argparse.Namespace, batch: int) -> str:
    from scheduler.pruning import OutboxPruning
    from storage.db import Database
    from storage.repos import outbox_pruning, run_figures
    from storage.types import utcnow

    batches: list[float] = []
    reads: list[float] = []
    delete_rows, tally_rows = outbox_pruning.delete_run_rows, outbox_pruning.tally_rows

    async def timed(*a: object, **kw: object) -> int:
        t = time.perf_counter()
        n = await delete_rows(*a, **kw)  # type: ignore[arg-type]
        batches.append(time.perf_counter() - t)
        return n

    async def timed_read(*a: object, **kw: object) -> outbox_pruning.Tallies:
        t = time.perf_counter()
        found = await tally_rows(*a, **kw)  # type: ignore[arg-type]
        reads.append(time.perf_counter() - t)
        return found

    async with database(args.postgres) as url:
        db = Database(url)
        try:
            now = utcnow()
            started = time.perf_counter()
            run_id = await seed(db, args.rows, now)
            seeded = time.perf_counter() - started
            outbox_pruning.delete_run_rows = timed  # type: ignore[assignment]
            outbox_pruning.tally_rows = timed_read  # type: ignore[assignment]
            pruning = OutboxPruning(db=db, days=30, clock=utcnow, batch_size=batch)
            t0 = time.perf_counter()
            folded = await pruning._fold(utcnow() - timedelta(days=30))
            t1 = time.perf_counter()
            deleted = await pruning._delete()
            t2 = time.perf_counter()
            async with db.sessions() as session:
                counts = await run_figures.run_counts(session, run_id=run_id)
        finally:
            outbox_pruning.delete_run_rows = delete_rows  # type: ignore[assignment]
            outbox_pruning.tally_rows = tally_rows  # type: ignore[assignment]
            await db.dispose()
    return (
        f"batch {batch}: seeded in {seeded:.1f} s; fold {folded} run in {t1 - t0:.2f} s"
        f" ({len(reads)} reads, longest {max(reads) * 1000:.0f} ms; {counts['sent']} sent"
        f" kept); delete {deleted} rows in {t2 - t1:.2f} s ="
        f" {deleted / (t2 - t1):,.0f} rows/s, {len(batches)} transactions,"
        f" longest {max(batches) * 1000:.0f} ms"
    )


async def main(args: argparse.Namespace) -> None:
    backend = "PostgreSQL" if args.postgres else "SQLite"
    print(f"{backend}, {platform.python_version()}, {platform.machine()}, {args.rows} rows")
    for batch in (int(b) for b in args.batch.split(",")):
        print(await one(args, batch))


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--batch", default="1000,5000,20000", help="rows per delete transaction")
    parser.add_argument("--postgres", help="postgresql+asyncpg://… to use instead of SQLite")
    return parser.parse_args(argv)


if __name__ == "__main__":
    asyncio.run(main(parse()))
