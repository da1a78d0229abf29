"""A started fake Telegram Bot API and the real bot wired to it (PTB over HTTP)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from bot.app import CitizenBot
from bot.channels.telegram import TelegramChannel
from bot.config import Settings
from storage.db import Database
from tests.conftest import Clock
from tests.fakes.telegram_api import FakeBotAPI

StartBot = Callable[..., Awaitable[CitizenBot]]


@pytest.fixture
async def api() -> AsyncIterator[FakeBotAPI]:
    """The fake Bot API; every request the bot made must have followed the published API."""
    async with FakeBotAPI() as fake:
        yield fake
        assert fake.violations == []


@pytest.fixture
async def start_bot(
    api: FakeBotAPI, settings_factory: Callable[..., Settings], clock: Clock
) -> AsyncIterator[StartBot]:
    """Start CitizenBot with its Telegram channel configured from settings, as in production."""
    started: list[CitizenBot] = []

    async def start(*, web: bool = False, **overrides: object) -> CitizenBot:
        settings = settings_factory(
            telegram_bot_token=api.token, telegram_api_base_url=api.base_url, **overrides
        )
        app = CitizenBot(settings, clock=clock)
        await app.start(web=web)
        started.append(app)
        return app

    yield start
    for app in reversed(started):
        await app.stop()


def telegram_of(app: CitizenBot) -> TelegramChannel:
    (channel,) = (c for c in app.channels if isinstance(c, TelegramChannel))
    return channel


@contextlib.asynccontextmanager
async def database_down(db: Database) -> AsyncIterator[None]:
    """The bot's database becomes unreachable (a PostgreSQL on a closed port), then returns.

    The outage is at the database level: the bot's engine is exchanged for one whose server
    refuses connections, exactly what a stopped database looks like to the driver.
    """
    dead = Database("postgresql+asyncpg://citizenbot@127.0.0.1:1/citizenbot")
    engine, sessions = db.engine, db.sessions
    db.engine, db.sessions = dead.engine, dead.sessions
    try:
        yield
    finally:
        db.engine, db.sessions = engine, sessions
        await dead.dispose()
