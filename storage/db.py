"""Engine and sessions. SQLite (aiosqlite) by default, PostgreSQL (asyncpg) to scale."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

from storage import sqlite_driver

SQLITE_BUSY_TIMEOUT_MS = 10_000


def make_engine(url: str, **kwargs: Any) -> AsyncEngine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            with contextlib.suppress(OSError):  # connecting will say what is wrong
                Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        # One connection: SQLite has one writer at a time anyway, and queueing for the
        # connection in asyncio is far cheaper than SQLite's busy-wait on a locked file.
        kwargs.setdefault("pool_size", 1)
        kwargs.setdefault("max_overflow", 0)
        kwargs.setdefault("pool_timeout", 60)
        one_hop = parsed.get_driver_name() == "aiosqlite" and "module" not in kwargs
        if one_hop:
            kwargs["module"] = sqlite_driver.dbapi()
            # The pool's reset is a ROLLBACK trip to the thread after every transaction that
            # already ended with COMMIT or ROLLBACK; _reset below rolls back only when needed.
            kwargs.setdefault("pool_reset_on_return", None)
        engine = create_async_engine(url, **kwargs)
        _tune_sqlite(engine)
        if one_hop:
            event.listen(engine.sync_engine.pool, "reset", _reset)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_async_engine(url, **kwargs)


def _reset(dbapi_connection: Any, _record: Any, _state: Any) -> None:
    if dbapi_connection.in_transaction:
        dbapi_connection.rollback()


def _tune_sqlite(engine: AsyncEngine) -> None:
    # Take the write lock when a transaction begins (BEGIN IMMEDIATE): every message
    # transaction writes, and a deferred transaction that upgrades late fails with
    # "database is locked" instead of waiting for busy_timeout.
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


class Database:
    """The engine plus a session factory; one per process."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        self.sessions = async_sessionmaker(self.engine, class_=AsyncSession, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()
