"""The one-hop aiosqlite adapter behaves like SQLAlchemy's own: results, row counts, errors,
and no transaction left open on a pooled connection."""

from __future__ import annotations

import asyncio
import sqlite3

import aiosqlite
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from storage.db import Database


@pytest.fixture
async def lite(tmp_path):
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/t.db")
    async with db.engine.begin() as conn:
        await conn.execute(text("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT NOT NULL)"))
    yield db
    await db.dispose()


async def test_rows_rowcount_and_lastrowid(lite: Database):
    async with lite.engine.begin() as conn:
        inserted = await conn.execute(text("INSERT INTO t (v) VALUES ('а'), ('😀')"))
        assert inserted.rowcount == 2
        one = await conn.execute(text("INSERT INTO t (v) VALUES (:v)"), {"v": "x"})
        assert one.lastrowid == 3
        rows = (await conn.execute(text("SELECT k, v FROM t ORDER BY k"))).all()
        assert [tuple(r) for r in rows] == [(1, "а"), (2, "😀"), (3, "x")]
        updated = await conn.execute(text("UPDATE t SET v = 'y' WHERE k > 1"))
        assert updated.rowcount == 2


async def test_constraint_errors_surface_as_sqlalchemy_errors(lite: Database):
    with pytest.raises(IntegrityError):
        async with lite.engine.begin() as conn:
            await conn.execute(text("INSERT INTO t (k, v) VALUES (1, 'a'), (1, 'b')"))
    async with lite.engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM t"))).scalar() == 0


async def test_a_connection_returned_mid_transaction_is_rolled_back(lite: Database):
    # The pool skips its ROLLBACK after a finished transaction; one SQLAlchemy did not know
    # about must still be rolled back, or the write lock would stay taken and the write leak.
    def raw_write(sync_conn) -> None:
        cursor = sync_conn.connection.dbapi_connection.cursor()
        cursor.execute("BEGIN IMMEDIATE")
        cursor.execute("INSERT INTO t (v) VALUES ('uncommitted')")

    async with lite.engine.connect() as conn:
        await conn.run_sync(raw_write)
        await conn.commit()  # SQLAlchemy's own transaction ends; the raw one is still open
    async with lite.engine.begin() as conn:  # BEGIN IMMEDIATE: fails if a transaction is open
        assert (await conn.execute(text("SELECT count(*) FROM t"))).scalar() == 0


async def test_a_transaction_begins_in_the_trip_of_its_first_statement(
    lite: Database, monkeypatch: pytest.MonkeyPatch
):
    trips: Trips = []
    execute = aiosqlite.Connection._execute

    async def counted(self, fn, *args, **kwargs):  # type: ignore[no-untyped-def]
        trips.append(fn)
        return await execute(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    async with lite.engine.begin() as conn:
        await conn.execute(text("INSERT INTO t (v) VALUES ('a')"))
    assert len(trips) == 2  # BEGIN IMMEDIATE with the INSERT, then COMMIT
    trips.clear()
    async with lite.engine.begin():
        pass
    assert trips == []  # nothing ran: no BEGIN, no COMMIT
    async with lite.engine.connect() as conn:
        assert (await conn.execute(text("SELECT v FROM t"))).scalars().all() == ["a"]


async def test_the_write_lock_is_taken_with_the_first_statement(lite: Database, tmp_path):
    # Still BEGIN IMMEDIATE: a first statement that only reads takes the write lock, so
    # another writer waits (here, with no busy timeout, is refused) until the commit.
    other = sqlite3.connect(tmp_path / "t.db", timeout=0, isolation_level=None)
    try:
        async with lite.engine.begin() as conn:
            await conn.execute(text("SELECT count(*) FROM t"))
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("INSERT INTO t (v) VALUES ('other')")
        other.execute("INSERT INTO t (v) VALUES ('other')")
    finally:
        other.close()


class Trips(list[object]):
    """The functions sent to aiosqlite's thread."""

    def __init__(self) -> None:
        super().__init__()
        self.sent = asyncio.Event()


@pytest.fixture
def trips(monkeypatch: pytest.MonkeyPatch) -> Trips:
    sent = Trips()
    execute = aiosqlite.Connection._execute

    async def counted(self, fn, *args, **kwargs):  # type: ignore[no-untyped-def]
        sent.append(fn)
        sent.sent.set()
        return await execute(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    return sent


# Inside point_statements() an AsyncConnection's execute() refuses to run without an await
# (SQLAlchemy's check for a non-async driver); sessions, which the dispatcher uses, do not.


async def test_point_statements_and_their_commit_run_on_the_loop(
    lite: Database, trips: Trips, tmp_path
):
    async with lite.point_statements(), lite.sessions() as session, session.begin():
        await session.exec(text("INSERT INTO t (v) VALUES ('a')"))
        assert (await session.exec(text("SELECT v FROM t"))).scalars().all() == ["a"]
        await session.exec(text("UPDATE t SET v = 'b'"))
    assert trips == []
    # Committed: another connection, in another thread of control, sees it.
    other = sqlite3.connect(tmp_path / "t.db")
    try:
        assert other.execute("SELECT v FROM t").fetchall() == [("b",)]
    finally:
        other.close()


async def test_a_commit_outside_point_statements_still_travels(lite: Database, trips: Trips):
    async with lite.sessions() as session, session.begin():
        await session.exec(text("INSERT INTO t (v) VALUES ('a')"))
    assert len(trips) == 2  # BEGIN with the INSERT, then COMMIT


@pytest.mark.parametrize("checkpoint_every", [100, 0])
async def test_a_commit_checkpoints_the_wal_only_when_nothing_else_does(
    tmp_path, checkpoint_every: int
):
    # With a checkpointer (every 100 commits) SQLite's automatic checkpoint, which a commit
    # past 1,000 pages of log would run, is off: 1,200 pages stay in the log after a second
    # commit. Without one (0), the first commit copied them and the second started it again.
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/w.db", checkpoint_every=checkpoint_every)
    big = text(
        "INSERT INTO t (v) SELECT printf('%.4000c', 'x') FROM ("
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1200)"
        " SELECT i FROM n)"
    )
    try:
        async with db.engine.begin() as conn:
            await conn.execute(text("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT NOT NULL)"))
        async with db.sessions() as session:
            for statement in (big, text("INSERT INTO t (v) VALUES ('small')")):
                async with db.point_statements(), session.begin():
                    await session.exec(statement)
        other = sqlite3.connect(tmp_path / "w.db")
        try:
            _, frames, _ = other.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        finally:
            other.close()
    finally:
        await db.dispose()
    if checkpoint_every:
        assert frames > 1_200
    else:
        assert frames < 100


async def test_point_statements_keep_errors_and_rollback(lite: Database):
    with pytest.raises(IntegrityError):
        async with lite.point_statements(), lite.sessions() as session, session.begin():
            await session.exec(text("INSERT INTO t (k, v) VALUES (1, 'a')"))
            await session.exec(text("INSERT INTO t (k, v) VALUES (1, 'b')"))
    async with lite.engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM t"))).scalar() == 0


async def test_a_long_read_goes_to_the_thread(lite: Database, trips: Trips):
    # A recursive count to a million takes far more than the budget of VM steps.
    long_read = text(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000)"
        " SELECT count(*) FROM n"
    )
    async with lite.point_statements(), lite.sessions() as session, session.begin():
        assert (await session.exec(text("SELECT count(*) FROM t"))).scalar() == 0
        assert not trips
        # "WITH" is not a SELECT to the driver: prefix one so it gets the budget.
        result = await session.exec(text(f"SELECT * FROM ({long_read})"))
        assert result.scalar() == 1000000
    assert len(trips) == 1  # the read, run again in the thread; the COMMIT ran here


async def test_begin_waits_in_the_thread_while_another_process_writes(
    lite: Database, tmp_path, trips: Trips
):
    other = sqlite3.connect(tmp_path / "t.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO t (v) VALUES ('other')")

    async def write() -> list[str]:
        async with lite.point_statements():
            async with lite.sessions() as session, session.begin():
                await session.exec(text("INSERT INTO t (v) VALUES ('ours')"))
                return list((await session.exec(text("SELECT v FROM t ORDER BY k"))).scalars())

    writing = asyncio.create_task(write())
    await trips.sent.wait()  # the loop is free while BEGIN waits for the lock in the thread
    assert not writing.done()
    other.execute("COMMIT")
    other.close()
    assert await writing == ["other", "ours"]
    assert len(trips) == 1  # BEGIN with the INSERT; the COMMIT ran here
