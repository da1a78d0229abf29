"""The fake Viber API refuses what Viber refuses (so a test passing against it means something)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from tests.fakes.viber_api import TOKEN_HEADER, FakeViberAPI

SENDER = {"name": "Столична община"}


@pytest.fixture
async def api() -> AsyncIterator[FakeViberAPI]:
    async with FakeViberAPI() as fake:
        yield fake


async def call(
    api: FakeViberAPI, method: str, body: Any, *, token: str | None = ""
) -> dict[str, Any]:
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers[TOKEN_HEADER] = token or api.token
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{api.base_url}/{method}", data=json.dumps(body), headers=headers) as resp,
    ):
        assert resp.status == 200
        return await resp.json()


def message(**fields: Any) -> dict[str, Any]:
    return {"receiver": "abc==", "sender": SENDER, "type": "text", "text": "Здравейте", **fields}


def keyboard(*buttons: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"Type": "keyboard", "Buttons": list(buttons), **fields}


def button(**fields: Any) -> dict[str, Any]:
    return {
        "Columns": 6,
        "Rows": 1,
        "ActionType": "reply",
        "ActionBody": "x:1",
        "Text": "Б",
        **fields,
    }


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (message(type="sticker"), "a sticker message needs sticker_id"),
        (message(type="gif"), "type must be one of"),
        (message(text=""), "a text message needs a non-empty text"),
        (message(text="я" * 7001), "text is 7001 characters; at most 7000"),
        (message(sender={"name": "Я" * 29}), "sender.name must be 1-28 characters"),
        (message(sender={}), "sender.name is required"),
        (message(media="https://x.org/a.jpg"), "unexpected field 'media' for a text message"),
        (message(type="picture", text="я" * 121, media="https://x.org/a.jpg"), "at most 120"),
        (message(type="picture", text=""), "a picture needs a media URL"),
        (message(receiver=""), "missing receiver"),
        (message(tracking_data="x" * 4001), "tracking_data must be a string of at most 4000"),
        (message(keyboard=keyboard()), "keyboard.Buttons must be a non-empty list"),
        (message(keyboard=keyboard(button(Columns=7))), "Columns must be 1-6"),
        (
            message(keyboard=keyboard(button(Columns=4), ButtonsGroupColumns=3)),
            "Columns must be 1-3",
        ),
        (
            message(keyboard=keyboard(button(), ButtonsGroupColumns=7)),
            "ButtonsGroupColumns must be 1-6",
        ),
        (message(keyboard=keyboard(button(Rows=3))), "Rows must be 1-2 in a keyboard"),
        (message(keyboard=keyboard(button(ActionType="call"))), "ActionType must be one of"),
        (message(keyboard=keyboard(button(ActionBody=""))), "ActionBody must be 1-4000"),
        (message(keyboard=keyboard(button(ActionBody="x" * 4001))), "ActionBody must be 1-4000"),
        (message(keyboard=keyboard(button(ActionType="open-url"))), "ActionBody of open-url"),
        (message(keyboard=keyboard(button(Text="я" * 251))), "Text must be a string of at most"),
        (message(keyboard=keyboard(button(Colour="red"))), "unexpected field 'Colour'"),
        (message(keyboard=keyboard(button(Silent=True))), "need min_api_version >= 3"),
        (message(keyboard=keyboard(button(), InputFieldState="big")), "InputFieldState must be"),
        (
            message(keyboard=keyboard(*[button(Columns=3)] * 50)),
            "the keyboard is 25 rows high; at most 24",
        ),
    ],
)
async def test_bad_messages_are_refused(api: FakeViberAPI, body: dict[str, Any], problem: str):
    answer = await call(api, "send_message", body)
    assert answer["status"] == 3
    assert any(problem in violation for violation in api.violations), api.violations
    assert not api.calls


async def test_a_good_message_to_someone_subscribed(api: FakeViberAPI):
    api.subscribed.add("abc==")
    board = keyboard(*[button(Columns=3, Silent=True)] * 48, InputFieldState="regular")
    answer = await call(api, "send_message", message(keyboard=board, min_api_version=7))
    assert answer["status"] == 0 and isinstance(answer["message_token"], int)
    assert api.violations == []


async def test_not_subscribed_and_tokens(api: FakeViberAPI):
    assert (await call(api, "send_message", message()))["status"] == 6
    assert (await call(api, "send_message", message(), token="nope"))["status"] == 2
    assert (await call(api, "get_account_info", {}, token=None))["status"] == 2
    assert api.violations == ["get_account_info: no X-Viber-Auth-Token header"]


async def test_broadcast_lists_are_bounded(api: FakeViberAPI):
    body = {"sender": SENDER, "type": "text", "text": "Известие"}
    assert (await call(api, "broadcast_message", {**body, "broadcast_list": ["a"] * 300}))[
        "status"
    ] == 0
    assert (await call(api, "broadcast_message", {**body, "broadcast_list": ["a"] * 301}))[
        "status"
    ] == 3
    assert api.violations == ["broadcast_message: broadcast_list has 301 receivers; 1-300"]


async def test_webhooks_are_https(api: FakeViberAPI):
    answer = await call(api, "set_webhook", {"url": "http://bot.example.org/viber/webhook"})
    assert answer["status"] == 3
    answer = await call(api, "set_webhook", {"url": "https://x.org/h", "event_types": ["typing"]})
    assert answer["status"] == 3
    assert len(api.violations) == 2
