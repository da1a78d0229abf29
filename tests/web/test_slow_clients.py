"""Bodies bounded in size and time, idle and slow connections closed: raw sockets against the
started bot's web server (Telegram and Viber webhooks, Open311 filing).

The timeouts are made tiny; no test sleeps to synchronise: each waits for what the server
does (its answer, or the end of the connection) with a generous upper bound.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import pytest

from bot.app import CitizenBot
from bot.channels.telegram.adapter import SECRET_HEADER
from bot.channels.viber.adapter import SIGNATURE_HEADER
from tests.fakes.telegram_api import FakeBotAPI
from tests.telegram_chat import SECRET

TIMEOUT = 0.5  # HTTP_IDLE_TIMEOUT_SECONDS and HTTP_BODY_TIMEOUT_SECONDS in these tests
BOUND = 10.0  # generous: what "closed within the timeout" must beat by far on a busy machine
LIMIT = 4096  # every route's *_MAX_BODY_BYTES in these tests

TELEGRAM = ("/telegram/webhook", {SECRET_HEADER: SECRET, "Content-Type": "application/json"})
VIBER = ("/viber/webhook", {SIGNATURE_HEADER: "0" * 64, "Content-Type": "application/json"})
OPEN311 = ("/open311/v2/requests.json", {"Content-Type": "application/x-www-form-urlencoded"})
ROUTES = {"telegram": TELEGRAM, "viber": VIBER, "open311": OPEN311}


@dataclass
class Server:
    app: CitizenBot

    @property
    def port(self) -> int:
        return self.app.web.port

    async def connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        return await asyncio.open_connection("127.0.0.1", self.port)

    def connections(self) -> int:
        runner = self.app.web._runner
        assert runner is not None and runner.server is not None
        return len(runner.server.connections)


@pytest.fixture
async def server(
    start_viber: Callable[..., Awaitable[CitizenBot]], db_url: str
) -> AsyncIterator[Server]:
    if not db_url.startswith("sqlite"):
        pytest.skip("the web server's limits do not depend on the database")
    async with FakeBotAPI() as telegram:
        app = await start_viber(
            telegram_bot_token=telegram.token,
            telegram_api_base_url=telegram.base_url,
            telegram_webhook_url="https://bot.example.org/telegram/webhook",
            telegram_webhook_secret=SECRET,
            http_idle_timeout_seconds=TIMEOUT,
            http_body_timeout_seconds=TIMEOUT,
            telegram_webhook_max_body_bytes=LIMIT,
            viber_webhook_max_body_bytes=LIMIT,
            open311_max_body_bytes=LIMIT,
        )
        yield Server(app)


def head(path: str, headers: dict[str, str], **more: str) -> bytes:
    lines = [
        f"POST {path} HTTP/1.1",
        "Host: bot.example.org",
        *(f"{k}: {v}" for k, v in {**headers, **more}.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


async def status_of(reader: asyncio.StreamReader) -> int:
    """The status of the server's answer (within BOUND seconds)."""
    line = await asyncio.wait_for(reader.readline(), BOUND)
    assert line.startswith(b"HTTP/1.1 "), line
    return int(line.split()[1])


async def closed_within(reader: asyncio.StreamReader) -> float:
    """Seconds until the server closed the connection (everything it sent is dropped)."""
    started = time.monotonic()
    # Closed while the client still sends, the connection is reset rather than ended.
    with contextlib.suppress(ConnectionResetError):
        async with asyncio.timeout(BOUND):
            while await reader.read(65536):
                pass
    return time.monotonic() - started


async def trickle(writer: asyncio.StreamWriter, data: bytes, pause: float = 0.05) -> None:
    """Send `data` a byte at a time, for as long as the server listens."""
    with contextlib.suppress(ConnectionError):
        for byte in data:
            writer.write(bytes([byte]))
            await writer.drain()
            await asyncio.sleep(pause)


@pytest.mark.parametrize("route", ROUTES)
async def test_a_body_declared_too_large_is_refused_before_it_is_sent(server: Server, route: str):
    path, headers = ROUTES[route]
    reader, writer = await server.connect()
    writer.write(head(path, headers, **{"Content-Length": str(1024 * 1024 * 1024)}))
    await writer.drain()
    # Not a byte of the gigabyte is sent: the answer comes from the Content-Length alone.
    assert await status_of(reader) == 413
    await closed_within(reader)
    writer.close()


@pytest.mark.parametrize("route", ROUTES)
async def test_a_chunked_body_past_the_limit_is_refused(server: Server, route: str):
    path, headers = ROUTES[route]
    reader, writer = await server.connect()
    writer.write(head(path, headers, **{"Transfer-Encoding": "chunked"}))
    chunk = b"a" * 1024
    for _ in range(LIMIT // len(chunk) + 2):
        writer.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
    await writer.drain()
    # The body never ends (no last chunk): the answer comes once the limit is passed.
    assert await status_of(reader) == 413
    await closed_within(reader)
    writer.close()


async def test_telegram_checks_its_secret_before_reading_the_body(server: Server):
    path, headers = TELEGRAM
    reader, writer = await server.connect()
    wrong = {**headers, SECRET_HEADER: "not-the-secret"}
    writer.write(head(path, wrong, **{"Content-Length": "1000"}))
    await writer.drain()
    assert await status_of(reader) == 403  # the 1000 bytes were never sent
    writer.close()


async def test_an_idle_connection_is_closed(server: Server):
    reader, writer = await server.connect()
    assert await closed_within(reader) < BOUND
    writer.close()


async def test_a_keep_alive_connection_is_closed_once_idle(server: Server):
    reader, writer = await server.connect()
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: bot.example.org\r\n\r\n")
    await writer.drain()
    assert await status_of(reader) == 200
    await closed_within(reader)
    writer.close()


@pytest.mark.parametrize("route", ROUTES)
async def test_headers_sent_a_byte_at_a_time_are_cut_off(server: Server, route: str):
    path, headers = ROUTES[route]
    reader, writer = await server.connect()
    endless = head(path, headers) * 1000  # what a slow client would keep sending
    sender = asyncio.create_task(trickle(writer, endless))
    try:
        await closed_within(reader)  # long before the headers could have ended
    finally:
        sender.cancel()
        writer.close()


@pytest.mark.parametrize("route", ROUTES)
async def test_a_body_sent_a_byte_at_a_time_is_408_and_closed(server: Server, route: str):
    path, headers = ROUTES[route]
    reader, writer = await server.connect()
    writer.write(head(path, headers, **{"Content-Length": str(LIMIT)}))
    await writer.drain()
    sender = asyncio.create_task(trickle(writer, b"{" * LIMIT))
    try:
        assert await status_of(reader) == 408
        await closed_within(reader)
    finally:
        sender.cancel()
        writer.close()


@pytest.mark.parametrize("route", ROUTES)
async def test_a_client_gone_mid_body_is_one_line_in_the_log(
    server: Server, route: str, caplog: pytest.LogCaptureFixture
):
    path, headers = ROUTES[route]
    _, writer = await server.connect()
    writer.write(head(path, headers, **{"Content-Length": "1000"}) + b'{"event": ')
    await writer.drain()
    caplog.set_level(logging.DEBUG, logger="aiohttp")
    caplog.clear()
    writer.close()
    await writer.wait_closed()
    # Until the server is done with the connection (aiohttp has no event to wait on).
    async with asyncio.timeout(BOUND):
        while server.connections():  # noqa: ASYNC110
            await asyncio.sleep(0.01)
    problems = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [(r.getMessage(), r.exc_info) for r in problems] == [
        (f"POST {path}: the client went away mid-body (ConnectionResetError)", None)
    ]
