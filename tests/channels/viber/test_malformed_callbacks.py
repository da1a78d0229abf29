"""Callbacks the fuzzer (tests/fuzz) found the bot could not take: each is refused as
malformed (400) or converted sensibly, never a 500 or a traceback."""

from __future__ import annotations

import json
import logging
import math
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.channels.viber import ViberChannel
from bot.channels.viber.adapter import WEBHOOK_PATH
from bot.channels.viber.convert import MalformedEvent, to_incoming
from bot.config import Settings
from bot.core.messages import Address, IncomingMessage, Kind, Reply
from tests.channels.viber.conftest import load_event
from tests.conftest import Clock, make_settings
from tests.fakes.viber_api import FakeViberAPI
from tests.viber_chat import start_viber_bot, viber_settings

IVAN = Address("viber", "nv4TjPQhE+MC2Hj4T1hC5A==")
TOKEN = 5741311803571721000
Change = Callable[[dict[str, Any]], object]


def converted(name: str, change: Change) -> IncomingMessage | None:
    event = load_event(name)
    change(event)
    return to_incoming(event)


@pytest.mark.parametrize(
    "location",
    [
        {"lat": 10**400, "lon": 23.32},  # float(10**400) raised OverflowError: a 500
        {"lat": math.nan, "lon": 23.32},  # json.loads takes NaN and Infinity
        {"lat": 42.69, "lon": -math.inf},
        {"lat": 142.69, "lon": 23.32},
        {"lat": 42.69, "lon": 323.32},
    ],
)
def test_coordinates_that_are_none_are_unsupported(location: dict[str, float]):
    msg = converted("location", lambda e: e["message"].update(location=location))
    assert msg == IncomingMessage(
        IVAN, Kind.UNSUPPORTED, language="bg", external_id=str(TOKEN + 96)
    )


MALFORMED: list[tuple[str, Change]] = [
    # a lone surrogate is valid JSON ("\ud800") but no text: the deep link's size check
    # raised (a 500), the database and the Viber API refuse it
    ("conversation_started_deep_link", lambda e: e.update(context="survey_\ud800")),
    ("start_text_deep_link", lambda e: e["message"].update(text="/start \udc00")),
    ("text", lambda e: e["message"].update(text="Здравейте \ud83d")),
    ("picture", lambda e: e["message"].update(text="\udc00")),
    ("contact", lambda e: e["message"]["contact"].update(phone_number="+359\ud800")),
    ("text", lambda e: e["sender"].update(id="\ud800abc")),
    # an id with a NUL (PostgreSQL refuses it; without it, it would be someone else's)
    ("text", lambda e: e["sender"].update(id="nv4TjPQhE+MC2Hj4T1hC5A==\x00")),
    # an id longer than the storage keeps (the reply's receiver went over Viber's 30 KB)
    ("text", lambda e: e["sender"].update(id="я" * 65)),
    ("subscribed", lambda e: e["user"].update(id="x" * 65)),
    ("unsubscribed", lambda e: e.update(user_id="x" * 65)),
    # a message_token beyond 64 bits: longer than the dedupe key the storage keeps
    ("text", lambda e: e.update(message_token=10**200)),
]


@pytest.mark.parametrize(("name", "change"), MALFORMED)
def test_malformed_callbacks_are_refused(name: str, change: Change):
    with pytest.raises(MalformedEvent):
        converted(name, change)


def test_nul_characters_are_dropped_from_texts():
    # PostgreSQL refuses NUL in text: a description with one could never be filed.
    msg = converted("text", lambda e: e["message"].update(text="Дупка\x00 на пътя"))
    assert msg is not None and msg.text == "Дупка на пътя"
    start = converted("start_text_deep_link", lambda e: e["message"].update(text="/start \x00"))
    assert start is not None and start.kind is Kind.STARTED and start.payload is None


def test_the_longest_ids_the_storage_keeps_are_fine():
    msg = converted("text", lambda e: e["sender"].update(id="x" * 64))
    assert msg is not None and msg.address.user_id == "x" * 64


# -- through the webhook ----------------------------------------------------------------------


@pytest.fixture
async def api() -> AsyncIterator[FakeViberAPI]:
    async with FakeViberAPI() as fake:
        yield fake
        assert fake.violations == []


@pytest.fixture
async def received(api: FakeViberAPI) -> AsyncIterator[list[IncomingMessage]]:
    """What the channel dispatches, started against the fake on a test server."""
    messages: list[IncomingMessage] = []

    async def dispatch(msg: IncomingMessage) -> None:
        messages.append(msg)

    channel = ViberChannel(make_settings("sqlite+aiosqlite:///:memory:", **viber_settings(api)))
    app = web.Application()
    app.add_routes(channel.routes())
    async with TestServer(app) as server:
        api.callback_url = str(server.make_url(WEBHOOK_PATH))
        await channel.start(dispatch)
        yield messages
        await channel.stop()


async def test_huge_latitude_is_answered_not_a_server_error(
    api: FakeViberAPI, received: list[IncomingMessage]
):
    event = api.location(api.user("u1"), 42.69, 23.32)
    body = json.dumps(event).replace("42.69", "1" + "0" * 400).encode()
    delivery = await api.post(event, raw=body)
    assert delivery.status == 200
    assert [m.kind for m in received] == [Kind.UNSUPPORTED]


async def test_a_lone_surrogate_is_a_bad_request(
    api: FakeViberAPI, received: list[IncomingMessage], caplog: pytest.LogCaptureFixture
):
    event = api.conversation_started(api.user("u1"), context="survey_1")
    body = json.dumps(event).replace("survey_1", "survey_\\ud800").encode()
    delivery = await api.post(event, raw=body)
    assert delivery.status == 400
    assert received == []
    assert [r.levelname for r in caplog.records if r.name.startswith("bot.")] == ["WARNING"]


async def test_a_receipt_with_text_the_database_refuses_is_recorded(
    settings_factory: Callable[..., Settings], clock: Clock, caplog: pytest.LogCaptureFixture
):
    # A lone surrogate (valid JSON) or a NUL (PostgreSQL) in `desc` or `user_id` failed the
    # recording: 503 and a traceback, and Viber sent the receipt again for an hour.
    async with FakeViberAPI() as api:
        app = await start_viber_bot(api, settings_factory(**viber_settings(api)), clock)
        try:
            user = api.user("u1")
            api.subscribed.add(user.id)
            (channel,) = app.channels
            sent = await channel.send(Address("viber", user.id), Reply("Здравейте"))
            assert sent.message_id is not None
            receipt = api.status_event("failed", "\ud800", int(sent.message_id))
            receipt["desc"] = "bad\x00 \udc00"
            delivery = await api.post({}, raw=json.dumps(receipt).encode())  # "\ud800" escapes
        finally:
            await app.stop()
    assert delivery.status == 200
    assert [r for r in caplog.records if r.levelno >= logging.WARNING or r.exc_info] == []
