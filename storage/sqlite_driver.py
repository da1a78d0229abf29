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
"""

from __future__ import annotations

import sqlite3
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)

_Result = tuple[Any, list[Any], int | None, int]

BEGIN = "BEGIN IMMEDIATE"


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
        run = _begin_and_execute if adapted.begin_pending else _execute
        adapted.begin_pending = False
        try:
            description, rows, lastrowid, rowcount = self.await_(
                connection._execute(run, connection._conn, operation, parameters)
            )
        except Exception as error:
            self._adapt_connection._handle_exception(error)
        self.description = description
        self.lastrowid = lastrowid
        self.rowcount = rowcount
        self._rows.clear()
        self._rows.extend(rows)

    def executemany(self, operation: Any, seq_of_parameters: Any) -> Any:
        self._adapt_connection.send_pending_begin()  # type: ignore[attr-defined]
        return super().executemany(operation, seq_of_parameters)


class _OneHopConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ("begin_pending",)

    def __init__(self, dbapi: Any, connection: Any) -> None:
        super().__init__(dbapi, connection)
        self.begin_pending = False

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
        super().commit()

    def rollback(self) -> None:
        if self.begin_pending:
            self.begin_pending = False
            return
        super().rollback()

    @property
    def in_transaction(self) -> bool:
        return self.begin_pending or bool(self._connection._conn.in_transaction)


class OneHopDBAPI(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *arg: Any, **kw: Any) -> AsyncAdapt_aiosqlite_connection:
        adapted = super().connect(*arg, **kw)
        if type(adapted) is AsyncAdapt_aiosqlite_connection:
            return _OneHopConnection(self, adapted._connection)
        return adapted  # the sync "fallback" mode keeps SQLAlchemy's own adapter


def dbapi() -> OneHopDBAPI:
    return OneHopDBAPI(aiosqlite, sqlite3)
