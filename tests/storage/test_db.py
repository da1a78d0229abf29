"""Every way a PostgreSQL server can refuse a connection is "the database is unavailable", and
a server that never answers is given up on after the connect timeout.

A tiny server on a free port speaks the first message of PostgreSQL's protocol: it declines
TLS, reads the startup packet and answers with the error a real server sends (or nothing);
asyncpg, SQLAlchemy and our engine are the real ones.
"""

from __future__ import annotations

import asyncio
import contextlib
import struct
import time
from collections.abc import AsyncIterator

import pytest
from sqlalchemy.exc import OperationalError

from storage.db import Database, is_unavailable

SSL_REQUEST = 80877103


async def _startup(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Read the client's startup packet, declining TLS if it asks first."""
    while True:
        (length,) = struct.unpack("!I", await reader.readexactly(4))
        packet = await reader.readexactly(length - 4)
        if struct.unpack("!I", packet[:4])[0] != SSL_REQUEST:
            return
        writer.write(b"N")
        await writer.drain()


def _error(sqlstate: str, message: str) -> bytes:
    fields = b"".join(
        key + value.encode() + b"\0"
        for key, value in ((b"S", "FATAL"), (b"V", "FATAL"), (b"C", sqlstate), (b"M", message))
    )
    body = fields + b"\0"
    return b"E" + struct.pack("!I", len(body) + 4) + body


@contextlib.asynccontextmanager
async def serving(answer: bytes | None) -> AsyncIterator[str]:
    """The URL of a server that answers every connection with `answer` (None: nothing)."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await _startup(reader, writer)
            if answer is None:
                await reader.read()  # never answers; waits for the client to give up
                return
            writer.write(answer)
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        yield f"postgresql+asyncpg://citizenbot@127.0.0.1:{port}/citizenbot"


@pytest.mark.parametrize(
    ("sqlstate", "message", "raised"),
    [
        ("57P03", "the database system is starting up", "CannotConnectNowError"),
        ("57P01", "terminating connection due to administrator command", "AdminShutdownError"),
        ("53300", "sorry, too many clients already", "TooManyConnectionsError"),
        ("3D000", 'database "citizenbot" does not exist', "InvalidCatalogNameError"),
        (
            "55000",
            'database "citizenbot" is not currently accepting connections',
            "ObjectNotInPrerequisiteStateError",
        ),
        ("28P01", 'password authentication failed for user "citizenbot"', "InvalidPasswordError"),
    ],
)
async def test_a_refused_connection_is_unavailable(sqlstate: str, message: str, raised: str):
    async with serving(_error(sqlstate, message)) as url:
        db = Database(url)
        try:
            with pytest.raises(OperationalError) as caught:
                await db.ping()
        finally:
            await db.dispose()
    assert is_unavailable(caught.value)
    assert type(caught.value.orig).__name__ == raised
    assert message in str(caught.value)


async def test_a_server_that_never_answers_is_given_up_on_after_the_connect_timeout():
    async with serving(None) as url:
        db = Database(url, connect_timeout=0.5)
        started = time.monotonic()
        try:
            with pytest.raises(OperationalError) as caught:
                await db.ping()
        finally:
            await db.dispose()
        elapsed = time.monotonic() - started
    assert is_unavailable(caught.value)
    assert elapsed < 5  # asyncpg's own default is 60 s
