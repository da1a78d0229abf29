"""One real bot per fuzz test (a fresh one per example would be far too slow), and the checks
every example ends with.

FUZZ_EXAMPLES=2000 .venv/bin/pytest tests/fuzz hunts longer (the default is 200 examples).
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from hypothesis import HealthCheck, settings

from bot.app import CitizenBot
from bot.channels.telegram.adapter import SECRET_HEADER, WEBHOOK_PATH
from tests.conftest import Clock
from tests.fakes.telegram_api import Call, FakeBotAPI
from tests.fakes.viber_api import FakeViberAPI
from tests.viber_chat import start_viber_bot, viber_settings

# The bot and its fakes live as long as the test function, across all its examples; the
# examples database stays off the disk.
FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "200")),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

SECRET = "fuzz-webhook-secret_0"
# Citizens who write to the bot again and again, so the fuzzer walks their conversations.
TELEGRAM_USERS = (700_100_001, 700_100_002, 700_100_003)


def problems_logged(records: Iterable[logging.LogRecord]) -> list[str]:
    """Errors and tracebacks: an exception nobody handled, or one handled as a bug."""
    return [
        f"{r.name} {r.levelname}: {r.getMessage()}"
        + (f" [{r.exc_info[0].__name__}: {r.exc_info[1]}]" if r.exc_info and r.exc_info[0] else "")
        for r in records
        if r.levelno >= logging.ERROR or r.exc_info
    ]


@dataclass
class TelegramBot:
    """The real bot in webhook mode against the fake Bot API."""

    api: FakeBotAPI
    app: CitizenBot
    http: aiohttp.ClientSession
    next_update_id: int = 500_000_000
    _marks: tuple[int, int, int] = field(default=(0, 0, 0))

    @property
    def url(self) -> str:
        return f"{self.app.web.url}{WEBHOOK_PATH}"

    def new_update_id(self) -> int:
        self.next_update_id += 1
        return self.next_update_id

    async def post(self, body: bytes, *, secret: str | None = SECRET) -> tuple[int, str]:
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers[SECRET_HEADER] = secret
        async with self.http.post(self.url, data=body, headers=headers) as response:
            return response.status, await response.text()

    def mark(self) -> None:
        api = self.api
        self._marks = (len(api.calls), len(api.failed_calls), len(api.violations))

    def calls_since_mark(self) -> list[Call]:
        """Requests the bot made since `mark()`, accepted or answered with an error."""
        calls, failed, _ = self._marks
        return self.api.calls[calls:] + self.api.failed_calls[failed:]

    def violations_since_mark(self) -> list[str]:
        return self.api.violations[self._marks[2] :]


@pytest.fixture
def db_url(one_backend_db_url: str) -> str:
    """One backend keeps the fuzzing quick (tests/conftest.py `one_backend_db_url`)."""
    return one_backend_db_url


@pytest.fixture
async def telegram_bot(bot_factory: Callable[..., Any], clock: Clock) -> AsyncIterator[TelegramBot]:
    async with FakeBotAPI() as api, aiohttp.ClientSession() as http:
        app: CitizenBot = await bot_factory(
            None,
            web=True,
            telegram_bot_token=api.token,
            telegram_api_base_url=api.base_url,
            telegram_webhook_url="https://bot.example.org/telegram/webhook",
            telegram_webhook_secret=SECRET,
        )
        yield TelegramBot(api, app, http)
        await app.stop()
        assert api.violations == []


@dataclass
class ViberBot:
    api: FakeViberAPI
    app: CitizenBot
    next_token: int = 6_000_000_000_000_000_000
    _marks: tuple[int, int, int] = field(default=(0, 0, 0))

    def new_token(self) -> int:
        self.next_token += 1
        return self.next_token

    def mark(self) -> None:
        api = self.api
        self._marks = (len(api.calls), len(api.failed_calls), len(api.violations))

    def calls_since_mark(self) -> list[Any]:
        calls, failed, _ = self._marks
        return self.api.calls[calls:] + self.api.failed_calls[failed:]

    def violations_since_mark(self) -> list[str]:
        return self.api.violations[self._marks[2] :]


@pytest.fixture
async def viber_bot(settings_factory: Callable[..., Any], clock: Clock) -> AsyncIterator[ViberBot]:
    async with FakeViberAPI() as api:
        app = await start_viber_bot(api, settings_factory(**viber_settings(api)), clock)
        try:
            yield ViberBot(api, app)
        finally:
            await app.stop()
        assert api.violations == []
