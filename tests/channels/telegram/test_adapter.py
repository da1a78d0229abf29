"""The channel's configuration and its Update → message step (no network)."""

from __future__ import annotations

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from telegram import Update

from bot.channels.telegram import TelegramChannel
from bot.channels.telegram.adapter import SECRET_HEADER, WEBHOOK_PATH, file_base_url
from bot.config import ConfigError
from bot.core.messages import Address, Kind
from bot.i18n import Translator
from tests.channels.telegram.conftest import load_update
from tests.conftest import make_settings

TOKEN = "123456:TEST-TOKEN"
IVAN = Address("telegram", "284716934")


def channel(**overrides: object) -> TelegramChannel:
    settings = make_settings("sqlite+aiosqlite:///:memory:", telegram_bot_token=TOKEN, **overrides)
    return TelegramChannel(settings, Translator())


@pytest.mark.parametrize(
    ("api", "files"),
    [
        ("https://api.telegram.org/bot", "https://api.telegram.org/file/bot"),
        ("http://127.0.0.1:8081/bot/", "http://127.0.0.1:8081/file/bot"),
        ("https://tg.example.org/proxy/bot", "https://tg.example.org/proxy/file/bot"),
    ],
)
def test_file_base_url_is_derived_from_the_api_base_url(api: str, files: str):
    assert file_base_url(api) == files


def test_api_base_url_must_end_with_bot():
    with pytest.raises(ConfigError, match="TELEGRAM_API_BASE_URL"):
        file_base_url("https://api.telegram.org/")


def test_polling_mode_has_no_routes_and_a_long_poll():
    polling = channel()
    assert polling.routes() == []
    assert polling.poll is not None
    assert polling.bot.base_url == f"https://api.telegram.org/bot{TOKEN}"
    assert polling.bot.base_file_url == f"https://api.telegram.org/file/bot{TOKEN}"


def test_webhook_mode_has_the_webhook_route_and_no_long_poll():
    webhook = channel(
        telegram_webhook_url="https://bot.example.org/telegram/webhook",
        telegram_webhook_secret="s3cret",
    )
    (route,) = webhook.routes()
    assert (route.method, route.path) == ("POST", WEBHOOK_PATH)  # type: ignore[attr-defined]
    assert webhook.poll is None


def test_webhook_mode_needs_a_secret():
    with pytest.raises(ConfigError, match="TELEGRAM_WEBHOOK_SECRET"):
        channel(telegram_webhook_url="https://bot.example.org/telegram/webhook")


def test_text_stays_text():
    # A tap on a reply keyboard arrives as its label; the dispatcher, which keeps the labels
    # last shown with the conversation state, makes it a button (tests/core/test_dispatcher.py).
    msg = channel().to_message(Update.de_json(load_update("text"), None))
    assert msg is not None and msg.kind is Kind.TEXT and msg.payload is None


async def test_webhook_before_the_channel_started_is_unavailable():
    tg = channel(
        telegram_webhook_url="https://bot.example.org/telegram/webhook",
        telegram_webhook_secret="s3cret",
    )
    app = web.Application()
    app.add_routes(tg.routes())
    async with TestServer(app) as server, aiohttp.ClientSession() as http:
        url = server.make_url(WEBHOOK_PATH)
        body = load_update("text")
        async with http.post(url, json=body, headers={SECRET_HEADER: "s3cret"}) as response:
            assert response.status == 503  # Telegram delivers it again later
        async with http.post(url, json=body, headers={SECRET_HEADER: "s3cre"}) as response:
            assert response.status == 403
