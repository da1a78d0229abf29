"""Shared fixtures: fresh databases on SQLite and PostgreSQL, and a bot with a recording
channel (push a message, pop the replies)."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp.web_app
import pytest
from PIL import Image

from bot.app import CitizenBot
from bot.channels.console import RecordingChannel
from bot.config import Settings
from bot.core.channel import Channel
from bot.i18n import Translator
from storage.db import Database
from tests.dbs import PostgresTemplates, SqliteTemplates, postgres_url
from tests.fakes.telegram_api import FakeBotAPI
from tests.fakes.viber_api import FakeViberAPI
from tests.telegram_chat import SECRET as TELEGRAM_SECRET
from tests.telegram_chat import TelegramChat
from tests.viber_chat import start_viber_bot, viber_settings

BACKENDS = ["sqlite", "postgresql"]


def pytest_collection_finish(session: pytest.Session) -> None:
    """The modules and test items loaded so far live as long as the process: the garbage
    collector need not walk them again after every test's bot is thrown away. Each test
    leaves a bot's worth of cycles behind, so the collector runs less often than its
    default (a worker's time in it: 25 s -> 2 s on tests/handlers and tests/bot/domain)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)


@pytest.fixture(autouse=True)
def _let_stopped_apps_go() -> Iterator[None]:
    """aiohttp caches each web app's middleware chain (up to 1,024, by app) and so keeps every
    stopped bot of a test process alive: each worker grew to 900,000 objects and spent a fifth
    of its time in the garbage collector. One app a process, as in production, never notices."""
    yield
    aiohttp.web_app._cached_build_middleware.cache_clear()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A conversation runs once per channel, and each database backend serves one channel:
    Telegram × SQLite and console × PostgreSQL (console × SQLite without PostgreSQL)."""
    console_backend = "sqlite" if postgres_url() is None else "postgresql"
    keep, drop = [], []
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        channel, backend = params.get("chat"), params.get("db_url")
        if channel is None or backend is None:
            keep.append(item)
        elif (channel, backend) in (("telegram", "sqlite"), ("console", console_backend)):
            keep.append(item)
        else:
            drop.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture(scope="session")
def sqlite_templates(tmp_path_factory: pytest.TempPathFactory) -> SqliteTemplates:
    return SqliteTemplates(tmp_path_factory.mktemp("db"))


@pytest.fixture(scope="session")
def postgres_templates() -> PostgresTemplates | None:
    url = postgres_url()
    if url is None:
        yield None
        return
    templates = PostgresTemplates(url)
    yield templates
    asyncio.run(templates.drop_template())


@pytest.fixture(params=BACKENDS)
async def db_url(
    request: pytest.FixtureRequest,
    sqlite_templates: SqliteTemplates,
    postgres_templates: PostgresTemplates | None,
) -> AsyncIterator[str]:
    """A fresh, migrated database; every test that uses it runs on both backends."""
    if request.param == "sqlite":
        yield await sqlite_templates.fresh()
        return
    if postgres_templates is None:
        pytest.skip("TEST_DATABASE_URL is not set: PostgreSQL tests skipped")
    url = await postgres_templates.fresh()
    yield url
    await postgres_templates.release(url)


@pytest.fixture
async def one_backend_db_url(
    sqlite_templates: SqliteTemplates, postgres_templates: PostgresTemplates | None
) -> AsyncIterator[str]:
    """A fresh database on one backend, for tests whose subject is not the database (a module
    overrides `db_url` with it): PostgreSQL where TEST_DATABASE_URL is set (as in CI: its
    column limits and text rules are the stricter), else SQLite."""
    if postgres_templates is None:
        yield await sqlite_templates.fresh()
        return
    url = await postgres_templates.fresh()
    yield url
    await postgres_templates.release(url)


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    database = Database(db_url)
    yield database
    await database.dispose()


class Clock:
    """A controllable clock for the bot (tests never sleep to move time)."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 11, 27, 10, 0, tzinfo=UTC))


def make_settings(db_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": db_url,
        "data_dir": "/nonexistent/citizenbot-tests-must-set-data_dir",
        "http_port": 0,
        "telegram_bot_token": None,
        "telegram_webhook_url": None,
        "admins": "console:admin",
        # Conversation tests run whole flows at a frozen clock; flood control has its own test.
        "flood_messages_per_minute": 10_000,
        # Feeds are polled only when a test calls the tick (no network in tests).
        "feed_tick_seconds": 0,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def data_dir(tmp_path) -> str:
    """Where the bot under test keeps files (photos)."""
    return str(tmp_path / "data")


@pytest.fixture
def settings_factory(db_url: str, data_dir: str) -> Callable[..., Settings]:
    return lambda **overrides: make_settings(db_url, **{"data_dir": data_dir, **overrides})


@pytest.fixture
async def bot_factory(
    settings_factory: Callable[..., Settings], clock: Clock
) -> AsyncIterator[Callable[..., object]]:
    """Start CitizenBot instances with given channels; all are stopped after the test."""
    started: list[CitizenBot] = []

    async def start(
        channels: list[Channel] | None, *, web: bool = False, **overrides: object
    ) -> CitizenBot:
        """`channels=None`: the channels the settings configure, as in production."""
        app = CitizenBot(settings_factory(**overrides), channels=channels, clock=clock)
        await app.start(web=web)
        started.append(app)
        return app

    yield start
    for app in reversed(started):
        await app.stop()


def recording_channel(name: str = "console") -> RecordingChannel:
    translator = Translator()
    return RecordingChannel(t=lambda key, **kw: translator.translate(None, key, **kw), name=name)


async def open_telegram_chat(
    api: FakeBotAPI, bot_factory: Callable[..., object], db: Database, **overrides: object
) -> tuple[TelegramChat, CitizenBot]:
    """The bot with its Telegram channel in webhook mode against `api`, and a chat with it."""
    telegram = TelegramChat(api, "", db)
    app = await bot_factory(  # type: ignore[operator]
        None,
        web=True,
        telegram_bot_token=api.token,
        telegram_api_base_url=api.base_url,
        telegram_webhook_url="https://bot.example.org/telegram/webhook",
        telegram_webhook_secret=TELEGRAM_SECRET,
        admins=f"console:admin,telegram:{telegram.user_id('admin')}",
        **overrides,
    )
    telegram.webhook_url = f"{app.web.url}/telegram/webhook"
    return telegram, app


@pytest.fixture(params=["console", "telegram"])
async def chat(
    request: pytest.FixtureRequest,
    bot_factory: Callable[..., object],
    db_url: str,
    db: Database,
) -> AsyncIterator[RecordingChannel | TelegramChat]:
    """The bot and a chat with it: `await chat.say("/start")` returns the replies.

    Every conversation test runs through the console channel and through the real Telegram
    path (webhook, python-telegram-bot, the fake Bot API), and on both databases: the
    Telegram variant on SQLite, the console variant on PostgreSQL when TEST_DATABASE_URL is
    set (else on SQLite too). The other pairs are not collected (`pytest_collection_modifyitems`).
    """
    if request.param == "console":
        channel = recording_channel()
        await bot_factory([channel])  # type: ignore[operator]
        yield channel
        return
    async with FakeBotAPI() as api:
        telegram, app = await open_telegram_chat(api, bot_factory, db)
        yield telegram
        await app.stop()
        assert api.violations == []


@pytest.fixture
async def viber_api() -> AsyncIterator[FakeViberAPI]:
    """The fake Viber API; every request the bot made must have followed the published API."""
    async with FakeViberAPI() as fake:
        yield fake
        assert fake.violations == []


@pytest.fixture
async def start_viber(
    viber_api: FakeViberAPI, settings_factory: Callable[..., Settings], clock: Clock
) -> AsyncIterator[Callable[..., Awaitable[CitizenBot]]]:
    """Start CitizenBot with its Viber channel configured from settings, as in production;
    every bot started is stopped after the test."""
    started: list[CitizenBot] = []

    async def start(**overrides: object) -> CitizenBot:
        settings = settings_factory(**{**viber_settings(viber_api), **overrides})
        app = await start_viber_bot(viber_api, settings, clock)
        started.append(app)
        return app

    yield start
    for app in reversed(started):
        await app.stop()


@pytest.fixture
def jpeg(tmp_path: Path) -> Path:
    """A photo a citizen would send: an 800 × 600 JPEG on disk (`/photo PATH` in the console)."""
    path = tmp_path / "photo.jpg"
    Image.new("RGB", (800, 600), (90, 90, 90)).save(path, "JPEG")
    return path
