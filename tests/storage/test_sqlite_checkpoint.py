"""The WAL is copied into the database file by a thread every so many commits, not by a
commit on the event loop."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from storage.db import Database

PAGES = 1_200


async def test_every_n_commits_the_log_reaches_the_database_file(tmp_path: Path):
    path = tmp_path / "c.db"
    db = Database(f"sqlite+aiosqlite:///{path}", checkpoint_every=3)
    assert db.checkpointer is not None
    big = text(
        "INSERT INTO t (v) SELECT printf('%.4000c', 'x') FROM ("
        f"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {PAGES})"
        " SELECT i FROM n)"
    )
    try:
        async with db.engine.begin() as conn:  # commit 1
            await conn.execute(text("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT NOT NULL)"))
        async with db.sessions() as session:
            async with db.point_statements(), session.begin():  # commit 2
                await session.exec(big)
            await db.checkpointer.settle()
            assert path.stat().st_size < 100 * 4096  # the rows are only in the log
            async with db.point_statements(), session.begin():  # commit 3: a checkpoint
                await session.exec(text("INSERT INTO t (v) VALUES ('small')"))
            await db.checkpointer.settle()
            assert path.stat().st_size > PAGES * 4000
            async with session.begin():
                count = (await session.exec(text("SELECT count(*) FROM t"))).scalar()
            assert count == PAGES + 1
    finally:
        await db.dispose()
