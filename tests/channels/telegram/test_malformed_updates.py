"""Updates the fuzzer (tests/fuzz) found the bot could not take: each is answered as malformed
(dropped with a warning: the webhook answers 200 so Telegram does not send it again; polling
skips it) or converted sensibly, never a 500 or a traceback."""

from __future__ import annotations

import json
import logging
import math
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from telegram import Update

from bot.channels.telegram import TelegramChannel
from bot.channels.telegram.adapter import SECRET_HEADER, WEBHOOK_PATH
from bot.channels.telegram.convert import MalformedUpdate, to_incoming
from bot.core.messages import Address, IncomingMessage, Kind
from bot.i18n import Translator
from tests.channels.telegram.conftest import load_update
from tests.conftest import make_settings
from tests.fakes.telegram_api import FakeBotAPI

IVAN = Address("telegram", "284716934")
SECRET = "s3cret"
Change = Callable[[dict[str, Any]], object]


def converted(name: str, change: Change) -> IncomingMessage | None:
    data = load_update(name)
    change(data)
    return to_incoming(Update.de_json(data, None))


def text(update_id: int, value: str) -> IncomingMessage:
    return IncomingMessage(IVAN, Kind.TEXT, text=value, language="bg", external_id=str(update_id))


# -- commands -------------------------------------------------------------------------------


def test_command_entity_ending_inside_an_emoji_is_text():
    # UTF-16 length 1 ends inside the surrogate pair of 😀: decoding it raised (a 500).
    def change(data: dict[str, Any]) -> None:
        data["message"]["text"] = "😀/start"
        data["message"]["entities"] = [{"offset": 0, "length": 1, "type": "bot_command"}]

    assert converted("text", change) == text(813402101, "😀/start")


@pytest.mark.parametrize(("value", "length"), [("/", 1), ("/start", 0), ("/start", -3)])
def test_command_entity_over_no_name_is_text(value: str, length: int):
    def change(data: dict[str, Any]) -> None:
        data["message"]["text"] = value
        data["message"]["entities"] = [{"offset": 0, "length": length, "type": "bot_command"}]

    assert converted("text", change) == text(813402101, value)


def test_command_entity_longer_than_the_text_is_the_whole_text():
    def change(data: dict[str, Any]) -> None:
        data["message"]["text"] = "/help"
        data["message"]["entities"] = [{"offset": 0, "length": 99, "type": "bot_command"}]

    msg = converted("text", change)
    assert msg is not None and (msg.kind, msg.command) == (Kind.COMMAND, "help")


# -- missing fields, wrong types ------------------------------------------------------------


def _set(*path: str | int, value: object) -> Change:
    def change(data: dict[str, Any]) -> None:
        node = data
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value

    return change


def _drop(*path: str | int) -> Change:
    def change(data: dict[str, Any]) -> None:
        node = data
        for key in path[:-1]:
            node = node[key]
        del node[path[-1]]

    return change


MALFORMED: list[tuple[str, Change]] = [
    # python-telegram-bot leaves the field None or keeps the wrong type; convert, the
    # dispatcher or the photo preloader then raised: a 500 and a traceback
    ("text", _drop("message", "chat")),
    ("callback_query", _drop("callback_query", "from")),
    ("my_chat_member_kicked", _drop("my_chat_member", "from")),
    ("my_chat_member_kicked", _drop("my_chat_member", "new_chat_member")),
    ("text", _set("message", "from", "language_code", value=7)),
    ("command_args", _set("message", "entities", 0, "length", value="6")),
    ("photo", _set("message", "photo", 0, "width", value="wide")),
    ("photo", _set("message", "photo", -1, "file_size", value="big")),  # the largest
    ("document_image", _set("message", "document", "mime_type", value=5)),
    ("start_deep_link", _set("message", "text", value="/start \udc00x")),
    # passed on to the handlers: an apology with a traceback (the router split an int), or
    # errors further on (a lone surrogate, valid JSON, is no text the database or the Bot
    # API take; an 81-digit id does not fit the storage's user ids)
    ("callback_query", _set("callback_query", "data", value=5)),
    ("callback_query", _set("callback_query", "data", value=["lang:en"])),
    ("callback_query", _set("callback_query", "data", value="lang:\ud83d")),
    ("text", _set("message", "text", value=5)),
    ("text", _set("message", "text", value="Здравейте \ud800")),
    ("photo", _set("message", "caption", value={"text": "x"})),
    ("text", _set("message", "from", "id", value=10**80)),
    # passed on as if valid: a citizen with the id "1.5", coordinates that are none
    ("text", _set("message", "from", "id", value=1.5)),
    ("text", _set("message", "from", "id", value="284716934")),
    ("location", _set("message", "location", "latitude", value="42.69")),
    ("location", _set("message", "location", "latitude", value=10**400)),
    ("location", _set("message", "location", "latitude", value=math.nan)),
    ("location", _set("message", "location", "longitude", value=math.inf)),
    ("location", _set("message", "location", "latitude", value=91.0)),
    ("callback_query", _drop("callback_query", "message", "chat")),
    ("command_args", _set("message", "entities", 0, "offset", value=None)),
]


@pytest.mark.parametrize(("name", "change"), MALFORMED)
def test_malformed_updates_are_refused(name: str, change: Change):
    with pytest.raises(MalformedUpdate):
        converted(name, change)


def test_the_largest_ids_the_bot_api_has_are_fine():
    msg = converted("text", _set("message", "from", "id", value=2**52 - 1))
    assert msg is not None and msg.address.user_id == str(2**52 - 1)


def test_a_group_message_without_a_sender_is_skipped_not_malformed():
    assert converted("group_message", _drop("message", "from")) is None


# -- through the channel ----------------------------------------------------------------------


class Bot:
    """The channel started against the fake Bot API, dispatching into a list."""

    def __init__(self, channel: TelegramChannel, api: FakeBotAPI, url: str) -> None:
        self.channel, self.api, self.url = channel, api, url
        self.received: list[IncomingMessage] = []

    async def dispatch(self, msg: IncomingMessage) -> None:
        self.received.append(msg)

    async def post(self, update: dict[str, Any]) -> int:
        async with (
            aiohttp.ClientSession() as http,
            http.post(self.url, data=json.dumps(update), headers={SECRET_HEADER: SECRET}) as resp,
        ):
            return resp.status


@pytest.fixture
async def bot() -> AsyncIterator[Bot]:
    async with FakeBotAPI() as api:
        settings = make_settings(
            "sqlite+aiosqlite:///:memory:",
            telegram_bot_token=api.token,
            telegram_api_base_url=api.base_url,
            telegram_webhook_url="https://bot.example.org/telegram/webhook",
            telegram_webhook_secret=SECRET,
        )
        channel = TelegramChannel(settings, Translator())
        app = web.Application()
        app.add_routes(channel.routes())
        async with TestServer(app) as server:
            bot = Bot(channel, api, str(server.make_url(WEBHOOK_PATH)))
            await channel.start(bot.dispatch)
            yield bot
            await channel.stop()
        assert api.violations == []


async def test_a_malformed_update_is_dropped_and_its_query_is_answered(
    bot: Bot, caplog: pytest.LogCaptureFixture
):
    update = load_update("callback_query")
    del update["callback_query"]["from"]
    bot.api.push_update(update)  # Telegram knows the query: answering it is valid
    assert await bot.post(update) == 200
    assert bot.received == []
    (answer,) = bot.api.calls_to("answerCallbackQuery")
    assert answer.params == {"callback_query_id": update["callback_query"]["id"]}
    assert [r.levelname for r in caplog.records if r.name.startswith("bot.")] == ["WARNING"]


async def test_a_query_without_an_id_is_not_answered(bot: Bot):
    # answerCallbackQuery without its callback_query_id is a request the Bot API refuses.
    update = load_update("callback_query")
    update["callback_query"]["id"] = None
    assert await bot.post(update) == 200
    assert [m.payload for m in bot.received] == ["lang:en"]
    assert bot.api.calls_to("answerCallbackQuery") == []


@pytest.mark.parametrize("text", [5, "\ud83d"])  # read through PTB; read from the JSON
async def test_polling_drops_a_malformed_update_with_a_warning(
    bot: Bot, caplog: pytest.LogCaptureFixture, text: object
):
    data = load_update("text")
    data["message"]["text"] = text
    await bot.channel._on_polled(data)
    assert bot.received == []
    assert [r.levelno for r in caplog.records if r.name.startswith("bot.")] == [logging.WARNING]


def test_nul_characters_are_dropped_from_texts():
    # PostgreSQL refuses NUL in text: a description with one could never be filed.
    msg = converted("text", _set("message", "text", value="Дупка\x00 на пътя\x00"))
    assert msg == text(813402101, "Дупка на пътя")
    start = converted("start_deep_link", _set("message", "text", value="/start \x00"))
    assert start is not None and start.kind is Kind.STARTED and start.payload is None
