"""aiosqlite with one thread hop per statement.

SQLAlchemy's aiosqlite adapter makes three or four trips to aiosqlite's thread for each
statement (open a cursor, execute, fetch, close). Each trip waits for the event loop, and on
SQLite the one connection is held meanwhile, so under load those waits, not SQLite, bounded
the whole bot (bench/inbound.py). Here the cursor's work runs as one function in aiosqlite's
thread, through the same queue aiosqlite uses for every call. Passed to create_async_engine as
its DBAPI `module`; everything else is SQLAlchemy's own adapter.

A transaction's BEGIN (storage/db.py issues BEGIN IMMEDIATE) makes no trip of its own: it is
held back and sent in the trip of the transaction's first statement, and a transaction that
ran no statement ends without a trip at all. A message's transaction is then three trips, not
four (begin + claim, the sender's rows, commit).

Point statements on the event loop's thread. Inside `point_statements()` (the dispatcher's
transaction for one message) statements run on the calling thread, with no trip at all: the
claim, the sender's rows and the handler's few statements take microseconds, while a trip
costs a wake-up of aiosqlite's thread and a scheduling round (most of the CPU of a message on a
busy machine, bench/README.md). Nothing there may block the loop for long, so:

- BEGIN IMMEDIATE is first tried without waiting (busy timeout 0); when another process holds
  the write lock it is sent through the thread instead, with the usual busy timeout.
- A SELECT runs with a budget of SQLite VM steps (about a millisecond); one that needs more
  is interrupted and run again through the thread (a read changes nothing, so running it
  again is safe). Writes run as they are: in a message's transaction they touch the sender's
  own rows.
- COMMIT runs here too, when the engine checkpoints the WAL from a thread of its own
  (storage/sqlite_checkpoint.py): with the WAL and synchronous=NORMAL a commit appends the
  transaction's pages to the log, in the operating system's cache, with no fsync; SQLite's
  automatic checkpoint, which would write and sync the database file inside the commit, is
  off on such a connection. A message's transaction then makes no trip at all: the trip was
  the wait that held the one connection (bench/README.md). ROLLBACK goes through the thread.

Everything else (the scheduler, delivery, pruning, the web consoles) keeps one trip per
statement. The connection is opened with check_same_thread=False for this; it is never used by
two threads at once, since SQLAlchemy awaits each call before the next.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)

if TYPE_CHECKING:
    from storage.sqlite_checkpoint import WalCheckpointer

_Result = tuple[Any, list[Any], int | None, int]

BEGIN = "BEGIN IMMEDIATE"
# How many times SQLite may call the progress handler (every PROGRESS_STEPS VM instructions)
# before an inline SELECT is interrupted and sent to the thread: about a millisecond.
PROGRESS_STEPS = 1000
INLINE_BUDGET = 50

_inline: ContextVar[bool] = ContextVar("sqlite_point_statements", default=False)


@contextlib.contextmanager
def point_statements() -> Iterator[None]:
    """Statements inside run on the event loop's thread (see the module's docstring)."""
    token = _inline.set(True)
    try:
        yield
    finally:
        _inline.reset(token)


class _Budget:
    __slots__ = ("left",)

    def __init__(self) -> None:
        self.left = INLINE_BUDGET

    def __call__(self) -> int:
        self.left -= 1
        return self.left < 0


def _is_read(operation: str) -> bool:
    return operation[:6].upper() == "SELECT"


def _begin_now(conn: sqlite3.Connection, busy_timeout_ms: int) -> bool:
    """BEGIN IMMEDIATE without waiting for the write lock; False when it is taken."""
    conn.execute("PRAGMA busy_timeout=0")
    try:
        conn.execute(BEGIN)
        return True
    except sqlite3.OperationalError as error:
        if conn.in_transaction or "locked" not in str(error):
            raise  # not SQLITE_BUSY ("database is locked")
        return False
    finally:
        conn.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")


def _execute_inline(conn: sqlite3.Connection, operation: str, parameters: Any) -> _Result | None:
    """The statement run here, or None when it must go to the thread (a long read)."""
    if not _is_read(operation):
        return _execute(conn, operation, parameters)
    conn.set_progress_handler(_Budget(), PROGRESS_STEPS)
    try:
        return _execute(conn, operation, parameters)
    except sqlite3.OperationalError as error:
        if str(error) != "interrupted":
            raise
        return None
    finally:
        conn.set_progress_handler(None, PROGRESS_STEPS)


def _execute(conn: sqlite3.Connection, operation: str, parameters: Any) -> _Result:
    cursor = conn.cursor()
    try:
        cursor.execute(operation, () if parameters is None else parameters)
        if cursor.description:
            return cursor.description, cursor.fetchall(), -1, -1
        return None, [], cursor.lastrowid, cursor.rowcount
    finally:
        cursor.close()


def _begin_and_execute(conn: sqlite3.Connection, operation: str, parameters: Any) -> _Result:
    conn.execute(BEGIN)
    return _execute(conn, operation, parameters)


class _OneHopCursor(AsyncAdapt_aiosqlite_cursor):
    __slots__ = ()

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        connection = self._connection
        adapted: _OneHopConnection = self._adapt_connection  # type: ignore[assignment]
        if operation == BEGIN and not adapted.begin_pending and not parameters:
            adapted.begin_pending = True  # sent with the first statement
            self.description = None
            self.lastrowid = None
            self.rowcount = -1
            self._rows.clear()
            return
        try:
            result = adapted.execute_inline(operation, parameters) if _inline.get() else None
            if result is None:
                run = _begin_and_execute if adapted.begin_pending else _execute
                adapted.begin_pending = False
                result = self.await_(
                    connection._execute(run, connection._conn, operation, parameters)
                )
        except Exception as error:
            self._adapt_connection._handle_exception(error)
        description, rows, lastrowid, rowcount = result
        self.description = description
        self.lastrowid = lastrowid
        self.rowcount = rowcount
        self._rows.clear()
        self._rows.extend(rows)

    def executemany(self, operation: Any, seq_of_parameters: Any) -> Any:
        self._adapt_connection.send_pending_begin()  # type: ignore[attr-defined]
        return super().executemany(operation, seq_of_parameters)


class _OneHopConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ("begin_pending", "busy_timeout_ms", "checkpointer")

    def __init__(
        self, dbapi: Any, connection: Any, checkpointer: WalCheckpointer | None = None
    ) -> None:
        super().__init__(dbapi, connection)
        self.begin_pending = False
        self.busy_timeout_ms: int | None = None
        self.checkpointer = checkpointer

    def execute_inline(self, operation: str, parameters: Any) -> _Result | None:
        """Run on this thread; None: send it through aiosqlite's thread instead (a BEGIN
        that would wait, or a long read)."""
        conn: sqlite3.Connection = self._connection._conn
        if self.begin_pending:
            if self.busy_timeout_ms is None:
                self.busy_timeout_ms = int(conn.execute("PRAGMA busy_timeout").fetchone()[0])
            if not _begin_now(conn, self.busy_timeout_ms):
                return None  # the thread sends BEGIN, waiting for the lock as usual
            self.begin_pending = False
        return _execute_inline(conn, operation, parameters)

    def send_pending_begin(self) -> None:
        """For the paths that do not go through _OneHopCursor.execute."""
        if self.begin_pending:
            self.begin_pending = False
            try:
                self.await_(self._connection._execute(self._connection._conn.execute, BEGIN))
            except Exception as error:
                self._handle_exception(error)

    def cursor(self, server_side: bool = False) -> AsyncAdapt_aiosqlite_cursor:
        if server_side:
            self.send_pending_begin()
            return super().cursor(server_side=True)
        return _OneHopCursor(self)

    def execute(self, *args: Any, **kw: Any) -> Any:
        self.send_pending_begin()
        return super().execute(*args, **kw)

    def create_function(self, *args: Any, **kw: Any) -> None:
        self.send_pending_begin()
        super().create_function(*args, **kw)

    def commit(self) -> None:
        if self.begin_pending:  # nothing ran: nothing to commit, no trip
            self.begin_pending = False
            return
        if self.checkpointer is None:
            super().commit()
            return
        if _inline.get():
            try:
                self._connection._conn.commit()
            except Exception as error:
                self._handle_exception(error)
        else:
            super().commit()
        self.checkpointer.committed()

    def rollback(self) -> None:
        if self.begin_pending:
            self.begin_pending = False
            return
        super().rollback()

    @property
    def in_transaction(self) -> bool:
        return self.begin_pending or bool(self._connection._conn.in_transaction)


class OneHopDBAPI(AsyncAdapt_aiosqlite_dbapi):
    def __init__(self, checkpointer: WalCheckpointer | None = None) -> None:
        super().__init__(aiosqlite, sqlite3)
        self.checkpointer = checkpointer

    def connect(self, *arg: Any, **kw: Any) -> AsyncAdapt_aiosqlite_connection:
        kw.setdefault("check_same_thread", False)  # for point_statements()
        adapted = super().connect(*arg, **kw)
        if type(adapted) is AsyncAdapt_aiosqlite_connection:
            return _OneHopConnection(self, adapted._connection, self.checkpointer)
        return adapted  # the sync "fallback" mode keeps SQLAlchemy's own adapter


def dbapi(checkpointer: WalCheckpointer | None = None) -> OneHopDBAPI:
    """With a checkpointer, the connections leave the WAL's checkpoints to it (their
    `wal_autocheckpoint` is set to 0 by storage/db.py) and commit point statements on the
    event loop's thread."""
    return OneHopDBAPI(checkpointer)


def checkpointer_of(dbapi_connection: Any) -> WalCheckpointer | None:
    return getattr(dbapi_connection, "checkpointer", None)
