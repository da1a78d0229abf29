"""Engine and sessions. SQLite (aiosqlite) by default, PostgreSQL (asyncpg) to scale."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from sqlalchemy import event, exc, text
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

from storage import sqlite_driver
from storage.sqlite_checkpoint import CHECKPOINT_EVERY, WalCheckpointer

SQLITE_BUSY_TIMEOUT_MS = 10_000
# How long a session waits for a free pooled connection, and for a new connection to open,
# before the database counts as unavailable (DATABASE_POOL_TIMEOUT_SECONDS and
# DATABASE_CONNECT_TIMEOUT_SECONDS): a webhook answers 503 within seconds, not minutes.
POOL_TIMEOUT_S = 5.0
CONNECT_TIMEOUT_S = 5.0

UNAVAILABLE: tuple[type[BaseException], ...] = (
    exc.OperationalError,  # every failure to connect (see _connect), a lost connection
    exc.InterfaceError,
    exc.TimeoutError,  # no pooled connection came free within the pool timeout
    ConnectionError,  # refused, reset, broken: what a driver may let through as it is
    TimeoutError,
)
"""What "the database is unavailable" raises, as opposed to a statement that failed: the
work can be retried later (a webhook answers 503 and the platform delivers it again)."""


def is_unavailable(error: BaseException) -> bool:
    if isinstance(error, exc.DBAPIError) and error.connection_invalidated:
        return True
    return isinstance(error, UNAVAILABLE)


def make_engine(
    url: str,
    *,
    pool_timeout: float = POOL_TIMEOUT_S,
    connect_timeout: float = CONNECT_TIMEOUT_S,
    checkpoint_every: int = CHECKPOINT_EVERY,
    **kwargs: Any,
) -> AsyncEngine:
    """On a SQLite file with aiosqlite, `checkpoint_every` commits the WAL is checkpointed
    from a thread (storage/sqlite_checkpoint.py); 0 leaves it to SQLite's automatic
    checkpoint, in the commit."""
    parsed = make_url(url)
    kwargs.setdefault("pool_timeout", pool_timeout)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        on_file = (
            Path(database).expanduser()
            if database and database != ":memory:" and not database.startswith("file:")
            else None
        )
        if on_file is not None:
            with contextlib.suppress(OSError):  # connecting will say what is wrong
                on_file.parent.mkdir(parents=True, exist_ok=True)
        # One connection: SQLite has one writer at a time anyway, and queueing for the
        # connection in asyncio is far cheaper than SQLite's busy-wait on a locked file.
        kwargs.setdefault("pool_size", 1)
        kwargs.setdefault("max_overflow", 0)
        one_hop = parsed.get_driver_name() == "aiosqlite" and "module" not in kwargs
        if one_hop:
            checkpointer = (
                WalCheckpointer(str(on_file), every=checkpoint_every)
                if on_file is not None and checkpoint_every
                else None
            )
            kwargs["module"] = sqlite_driver.dbapi(checkpointer)
            # The pool's reset is a ROLLBACK trip to the thread after every transaction that
            # already ended with COMMIT or ROLLBACK; _reset below rolls back only when needed.
            kwargs.setdefault("pool_reset_on_return", None)
        engine = create_async_engine(url, **kwargs)
        _tune_sqlite(engine)
        if one_hop:
            event.listen(engine.sync_engine.pool, "reset", _reset)
    else:
        kwargs.setdefault("pool_pre_ping", True)
        kwargs["connect_args"] = {"timeout": connect_timeout, **kwargs.get("connect_args", {})}
        engine = create_async_engine(url, **kwargs)
    event.listen(engine.sync_engine, "do_connect", _connect)
    return engine


def _connect(dialect: Dialect, _record: Any, cargs: Any, cparams: Any) -> Any:
    """Open a DBAPI connection; any failure is an OperationalError.

    SQLAlchemy wraps the DBAPI's own errors, but asyncpg raises its server errors while
    connecting as they are: a database renamed or dropped (InvalidCatalogNameError), one
    not accepting connections (ObjectNotInPrerequisiteStateError), a server starting up
    or shutting down (CannotConnectNowError), too many clients, a wrong password.
    """
    try:
        return dialect.connect(*cargs, **cparams)
    except dialect.loaded_dbapi.Error:
        raise  # SQLAlchemy makes it an OperationalError (or another DBAPIError) itself
    except Exception as error:
        raise exc.OperationalError(None, None, error, connection_invalidated=True) from error


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
        if sqlite_driver.checkpointer_of(dbapi_conn) is not None:
            cursor.execute("PRAGMA wal_autocheckpoint=0")  # the checkpointer's thread does it
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


class Database:
    """The engine plus a session factory; one per process."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        """`engine_kwargs` go to make_engine: pool_timeout, connect_timeout (seconds) and
        create_async_engine's own."""
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        self.sessions = async_sessionmaker(self.engine, class_=AsyncSession, expire_on_commit=False)
        self._turn = asyncio.Lock() if self.dialect == "sqlite" else None

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextlib.asynccontextmanager
    async def point_statements(self) -> AsyncIterator[None]:
        """Around a transaction of a few short statements (a message's). On SQLite they run on
        the event loop's thread instead of one trip each to aiosqlite's thread
        (storage/sqlite_driver.py), and such transactions take the one connection in turn,
        in order of arrival. The pool's queue is not fair: a transaction that awaits only at
        its commit ends and starts again so fast that newcomers kept taking the connection
        ahead of a waiter until its pool timeout (bench/inbound.py, polling). On PostgreSQL
        nothing changes."""
        if self._turn is None:
            yield
            return
        async with self._turn:
            with sqlite_driver.point_statements():
                yield

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    @property
    def checkpointer(self) -> WalCheckpointer | None:
        """SQLite's WAL checkpoints, when a thread of their own runs them."""
        return getattr(self.engine.dialect.loaded_dbapi, "checkpointer", None)

    async def dispose(self) -> None:
        if self.checkpointer is not None:
            await self.checkpointer.settle()
        await self.engine.dispose()
