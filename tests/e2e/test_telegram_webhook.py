"""Webhook mode: Telegram posts updates to our aiohttp route; 200 only once durable."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from sqlmodel import select

from bot.app import CitizenBot
from bot.channels.telegram.adapter import SECRET_HEADER, WEBHOOK_PATH
from bot.channels.telegram.convert import ALLOWED_UPDATES
from storage.db import Database
from storage.models import Citizen
from tests.dbs import postgres_outage
from tests.e2e.conftest import StartBot, database_down
from tests.fakes.telegram_api import FakeBotAPI

USER = 1001
PUBLIC_URL = "https://bot.example.test/telegram/webhook"
SECRET = "s3cr3t-T0ken_for-tests"


@pytest.fixture
async def app(start_bot: StartBot) -> CitizenBot:
    return await start_bot(
        web=True, telegram_webhook_url=PUBLIC_URL, telegram_webhook_secret=SECRET
    )


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


class Poster:
    def __init__(self, app: CitizenBot, http: aiohttp.ClientSession, api: FakeBotAPI) -> None:
        self.url = f"http://127.0.0.1:{app.web.port}{WEBHOOK_PATH}"
        self.http = http
        self.api = api

    def update(self, payload: dict[str, Any]) -> dict[str, Any]:
        """`payload` (from the fake's make_*_update) with the update_id Telegram gave it.

        The fake records it as pending (it learns the user and the open callback query);
        in webhook mode nobody calls getUpdates, so Telegram's delivery is `post`.
        """
        return {"update_id": self.api.push_update(payload), **payload}

    async def post(
        self, body: dict[str, Any] | bytes, *, secret: str | None = SECRET
    ) -> tuple[int, str]:
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers[SECRET_HEADER] = secret
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        async with self.http.post(self.url, data=data, headers=headers) as response:
            return response.status, await response.text()


@pytest.fixture
def poster(app: CitizenBot, http: aiohttp.ClientSession, api: FakeBotAPI) -> Poster:
    return Poster(app, http, api)


async def test_webhook_is_set_at_start(app: CitizenBot, api: FakeBotAPI):
    (call,) = api.calls_to("setWebhook")
    assert call.params == {
        "url": PUBLIC_URL,
        "secret_token": SECRET,
        "allowed_updates": list(ALLOWED_UPDATES),
        "drop_pending_updates": False,
    }
    assert api.webhook_url == PUBLIC_URL
    assert not api.calls_to("getUpdates") and not api.calls_to("deleteWebhook")
    assert len(api.calls_to("setMyCommands")) == 3


async def test_update_is_answered_before_the_200(poster: Poster, api: FakeBotAPI, app: CitizenBot):
    status, _ = await poster.post(poster.update(api.make_message_update(USER, "/start")))
    assert status == 200
    # No waiting: the reply left before the webhook was acknowledged.
    assert api.sent_texts(USER) == [
        app.translator.translate("bg", "start.welcome", city=app.city.name("bg"))
    ]

    tap = poster.update(api.make_callback_update(USER, "lang:en"))
    assert (await poster.post(tap))[0] == 200
    assert [c.params for c in api.calls_to("answerCallbackQuery")] == [
        {"callback_query_id": tap["callback_query"]["id"]}
    ]
    assert api.sent_texts(USER)[1:] == [
        app.translator.translate("en", "privacy.notice", months=24),
        "What would you like to do?",
    ]


@pytest.mark.parametrize("secret", [None, "", "wrong-secret", SECRET + "x", SECRET[:-1]])
async def test_wrong_or_missing_secret_is_forbidden(
    poster: Poster, api: FakeBotAPI, secret: str | None
):
    update = poster.update(api.make_message_update(USER, "/start"))
    assert (await poster.post(update, secret=secret))[0] == 403
    assert not api.calls_to("sendMessage")
    # Nothing was processed or recorded: the genuine delivery is handled normally.
    assert (await poster.post(update))[0] == 200
    assert len(api.calls_to("sendMessage")) == 1


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b"[1, 2, 3]",
        b'"update"',
        b'{"message": {"text": "hi"}}',
        b'{"update_id": "12", "message": {}}',
        b'{"update_id": true}',
        b'{"update_id": 12, "message": {"text": "no sender, chat or date"}}',
        b"[" * 2000 + b"]" * 2000,  # deep enough for a RecursionError in json.loads
    ],
)
async def test_junk_is_a_bad_request(poster: Poster, api: FakeBotAPI, body: bytes):
    assert (await poster.post(body))[0] == 400
    assert not api.calls_to("sendMessage")


async def test_redelivered_update_is_answered_once(poster: Poster, api: FakeBotAPI):
    update = poster.update(api.make_message_update(USER, "/start"))
    assert (await poster.post(update))[0] == 200
    assert (await poster.post(update))[0] == 200
    assert len(api.calls_to("sendMessage")) == 1


async def test_database_down_is_503_and_telegram_retries(
    poster: Poster, api: FakeBotAPI, app: CitizenBot
):
    update = poster.update(api.make_message_update(USER, "/start"))
    tap = poster.update(api.make_callback_update(USER, "lang:en"))
    async with database_down(app.db):
        assert (await poster.post(update))[0] == 503
        assert (await poster.post(tap))[0] == 503
    assert not api.calls_to("sendMessage")
    # The callback query is answered even though the update could not be handled.
    assert len(api.calls_to("answerCallbackQuery")) == 1

    assert (await poster.post(update))[0] == 200  # Telegram's redelivery
    assert len(api.calls_to("sendMessage")) == 1
    assert api.sent_texts(USER)[0].startswith("Здравейте!")


@pytest.mark.parametrize("outage", ["renamed", "closed"])
async def test_a_database_renamed_or_closed_is_503_and_the_redelivery_answered(
    poster: Poster, api: FakeBotAPI, db_url: str, outage: str
):
    # Seen: /start got 200 and an apology, and the update was lost: asyncpg's
    # InvalidCatalogNameError and ObjectNotInPrerequisiteStateError were not "storage down".
    if db_url.startswith("sqlite"):
        pytest.skip("PostgreSQL's own ways of refusing connections")
    update = poster.update(api.make_message_update(USER, "/start"))
    async with postgres_outage(db_url, outage):
        started = time.monotonic()
        assert (await poster.post(update))[0] == 503
        assert time.monotonic() - started < 5  # at once, not after a pool timeout
    assert not api.calls_to("sendMessage")

    assert (await poster.post(update))[0] == 200  # Telegram's redelivery
    assert len(api.calls_to("sendMessage")) == 1
    assert api.sent_texts(USER)[0].startswith("Здравейте!")


async def test_blocking_the_bot_opts_the_citizen_out(poster: Poster, api: FakeBotAPI, db_url: str):
    assert (await poster.post(poster.update(api.make_message_update(USER, "/start"))))[0] == 200
    kicked = poster.update(api.make_my_chat_member_update(USER, "kicked"))
    assert (await poster.post(kicked))[0] == 200
    db = Database(db_url)
    try:
        async with db.sessions() as session:
            citizen = (await session.exec(select(Citizen))).one()
    finally:
        await db.dispose()
    assert citizen.opted_out is True
