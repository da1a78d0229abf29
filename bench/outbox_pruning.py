"""Outbox pruning: how fast the daily job deletes the rows of a finished notice run, and how
long its longest transaction holds the outbox.

    .venv/bin/python bench/outbox_pruning.py [--rows 200000] [--batch 5000] [--postgres URL]

A fresh migrated database (SQLite in a temporary directory, or a fresh PostgreSQL database
made from the test template) gets `--rows` citizens and one notice run with a row to each,
inserted through tests/scheduler/seed.py, all marked sent (a third delivered, a sixth seen)
and the run finished 40 days ago. Then scheduler.pruning.OutboxPruning runs once, as the
daily job does. Figures printed (none is pass/fail): seconds to fold the run into its tally,
seconds to delete, rows deleted per second, and the longest delete transaction.
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
from datetime import timedelta
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


async def main(args: argparse.Namespace) -> None:
    from sqlalchemy import case, update

    from scheduler.pruning import OutboxPruning
    from storage.db import Database
    from storage.models import NoticeRun, Outbox, RunStatus
    from storage.repos import outbox
    from storage.types import utcnow
    from tests.scheduler.seed import add_citizens, add_notice, add_rows

    async with database(args.postgres) as url:
        db = Database(url)
        try:
            now = utcnow()
            started = time.perf_counter()
            user_ids = [str(FIRST_CHAT + i) for i in range(args.rows)]
            citizen_ids = await add_citizens(db, user_ids)
            _, run_id = await add_notice(db)
            await add_rows(db, run_id, citizen_ids, user_ids)
            async with db.sessions() as session, session.begin():
                third = Outbox.id % 3 == 0  # type: ignore[operator]
                sixth = Outbox.id % 6 == 0  # type: ignore[operator]
                await session.exec(  # type: ignore[call-overload]
                    update(Outbox).values(
                        status="sent",
                        sent_at=now,
                        messages=1,
                        delivered_at=case((third, now)),
                        seen_at=case((sixth, now)),
                    )
                )
                await session.exec(  # type: ignore[call-overload]
                    update(NoticeRun)
                    .where(NoticeRun.id == run_id)  # type: ignore[arg-type]
                    .values(status=RunStatus.DONE.value, finished_at=now - timedelta(days=40))
                )
            seeded = time.perf_counter() - started

            batches: list[float] = []
            delete_rows = outbox.delete_run_rows

            async def timed(*a: object, **kw: object) -> int:
                t = time.perf_counter()
                n = await delete_rows(*a, **kw)  # type: ignore[arg-type]
                batches.append(time.perf_counter() - t)
                return n

            outbox.delete_run_rows = timed  # type: ignore[assignment]
            pruning = OutboxPruning(db=db, days=30, clock=utcnow, batch_size=args.batch)
            t0 = time.perf_counter()
            folded = await pruning._fold(utcnow() - timedelta(days=30))
            t1 = time.perf_counter()
            deleted = await pruning._delete()
            t2 = time.perf_counter()
            async with db.sessions() as session:
                counts = await outbox.run_counts(session, run_id=run_id)
                receipts = await outbox.run_receipts(session, run_id=run_id)
        finally:
            await db.dispose()
    backend = "PostgreSQL" if args.postgres else "SQLite"
    print(f"{backend}, {platform.python_version()}, {platform.machine()}")
    print(f"seeded {args.rows} rows in {seeded:.1f} s")
    print(f"fold: {folded} run in {t1 - t0:.2f} s -> {counts['sent']} sent, {receipts}")
    print(
        f"delete: {deleted} rows in {t2 - t1:.2f} s = {deleted / (t2 - t1):,.0f} rows/s;"
        f" {len(batches)} transactions of <= {args.batch} rows, longest {max(batches):.3f} s"
    )


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=5000, help="rows per delete transaction")
    parser.add_argument("--postgres", help="postgresql+asyncpg://… to use instead of SQLite")
    return parser.parse_args(argv)


if __name__ == "__main__":
    asyncio.run(main(parse()))
