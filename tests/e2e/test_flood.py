"""Flood control counts each update once (issue 11, item 8).

While the database is down Telegram delivers the same updates again and again; none of that
may count as flooding. A real flood is dropped on purpose and counted in /metrics.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from bot.app import CitizenBot
from bot.channels.telegram.adapter import SECRET_HEADER, WEBHOOK_PATH
from tests.e2e.conftest import StartBot, database_down
from tests.fakes.telegram_api import FakeBotAPI

PUBLIC_URL = "https://bot.example.test/telegram/webhook"
SECRET = "flood-test-secret"
USER = 1_234_567
LIMIT = 10


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def flood_dropped(app: CitizenBot, http: aiohttp.ClientSession) -> float:
    """citizenbot_flood_dropped_total of the Telegram channel, as GET /metrics shows it."""
    async with http.get(f"{app.web.url}/metrics") as response:
        assert response.status == 200
        body = await response.text()
    found = re.search(r'^citizenbot_flood_dropped_total\{channel="telegram"\} (\S+)$', body, re.M)
    return float(found.group(1)) if found else 0.0


async def test_redeliveries_during_an_outage_are_not_a_flood_and_a_real_flood_is_counted(
    start_bot: StartBot, api: FakeBotAPI, http: aiohttp.ClientSession
):
    app = await start_bot(
        web=True,
        telegram_webhook_url=PUBLIC_URL,
        telegram_webhook_secret=SECRET,
        flood_messages_per_minute=LIMIT,
    )
    url = f"{app.web.url}{WEBHOOK_PATH}"

    async def post(update: dict[str, Any]) -> int:
        headers = {SECRET_HEADER: SECRET, "Content-Type": "application/json"}
        async with http.post(url, data=json.dumps(update), headers=headers) as response:
            return response.status

    def update(text: str) -> dict[str, Any]:
        payload = api.make_message_update(USER, text)
        return {"update_id": api.push_update(payload), **payload}

    updates = [update(text) for text in ("/start", "/help", "/menu", "/help", "/menu")]
    async with database_down(app.db):
        statuses = [await post(u) for _ in range(5) for u in updates]  # 25 deliveries
    assert statuses == [503] * 25, "each delivery must be refused, so Telegram keeps it"
    assert not api.sent_texts(USER)

    assert [await post(u) for u in updates] == [200] * 5  # the database is back
    answered = api.sent_texts(USER)
    assert len(answered) == 5 and answered[0].startswith("Здравейте!")
    notice = app.translator.translate("bg", "errors.flood", seconds=60)
    assert notice not in answered
    assert await flood_dropped(app, http) == 0

    # A real flood: more distinct messages in a minute than the limit.
    flood = [update("/help") for _ in range(LIMIT - 5 + 3)]
    assert [await post(u) for u in flood] == [200] * len(flood)
    replies = api.sent_texts(USER)[5:]
    assert replies[-1] == notice and replies.count(notice) == 1
    assert len(replies) == LIMIT - 5 + 1  # five answered, then the notice, then silence
    assert await flood_dropped(app, http) == 3
    assert await post(flood[-1]) == 200  # Telegram delivers a dropped update again
    assert await flood_dropped(app, http) == 3, "a dropped update is counted once"
