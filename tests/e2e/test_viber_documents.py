"""/mydata on Viber: the file goes as a `file` message whose URL the bot serves for an hour."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

import aiohttp
import pytest

from bot.app import CitizenBot
from tests.conftest import Clock
from tests.fakes.viber_api import FakeViberAPI
from tests.viber_chat import PUBLIC_URL, ViberChat


@pytest.fixture
def api(viber_api: FakeViberAPI) -> FakeViberAPI:
    return viber_api


@pytest.fixture
async def app(start_viber: Callable[..., Awaitable[CitizenBot]]) -> CitizenBot:
    return await start_viber()


async def test_mydata_is_a_file_served_for_an_hour(
    app: CitizenBot, api: FakeViberAPI, clock: Clock
):
    chat = ViberChat(api)
    await chat.say("/start")
    await chat.tap("English")
    replies = await chat.say("/mydata")
    assert replies[0].text.startswith("📄 Here is everything we keep about you")
    text, file = api.messages_to(chat.user_id("u1"))[-2:]
    assert text["type"] == "text" and file["type"] == "file"
    assert file["file_name"].startswith("citizenbot-mydata-2026-11-27")
    assert file["media"].startswith(f"{PUBLIC_URL}/media/files/")
    local = app.web.url + file["media"].removeprefix(PUBLIC_URL)
    async with aiohttp.ClientSession() as http:
        async with http.get(local) as resp:
            assert resp.status == 200
            body = await resp.read()
        assert len(body) == file["size"]
        data = json.loads(body)
        assert data["identities"][0]["user_id"] == chat.user_id("u1")
        clock.advance(hours=1)
        async with http.get(local) as resp:
            assert resp.status == 404
