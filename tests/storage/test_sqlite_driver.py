"""The one-hop aiosqlite adapter behaves like SQLAlchemy's own: results, row counts, errors,
and no transaction left open on a pooled connection."""

from __future__ import annotations

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
    trips: list[object] = []
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
