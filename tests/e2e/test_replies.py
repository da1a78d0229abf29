"""Every reply arrives, in order per chat, when the platform answers 429 (issue 11, item 6).

Many citizens write at once over the real webhook and python-telegram-bot; the fake Bot API
refuses sends beyond its rate (retry_after: the fraction of a second until it has room) and a
few more outright. Each citizen must receive exactly the replies a citizen gets when nothing
is refused, in the same order, and no reply may be logged as not delivered.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator

import aiohttp
import pytest

from bot.app import CitizenBot
from bot.channels.telegram.adapter import SECRET_HEADER, WEBHOOK_PATH
from bot.core.messages import Address, Reply
from tests.e2e.conftest import StartBot
from tests.fakes.telegram_api import FakeBotAPI
from tests.fakes.viber_api import FakeViberAPI
from tests.viber_chat import ViberChat

PUBLIC_URL = "https://bot.example.test/telegram/webhook"
SECRET = "replies-test-secret"
MESSAGES = ("/start", "/help", "what?", "/menu")
CITIZENS = 20
FIRST = 900_000_001


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def converse(
    app: CitizenBot, api: FakeBotAPI, http: aiohttp.ClientSession, user: int
) -> None:
    """The citizen writes MESSAGES one after the other, as a person would."""
    url = f"http://127.0.0.1:{app.web.port}{WEBHOOK_PATH}"
    for text in MESSAGES:
        payload = api.make_message_update(user, text)
        update = {"update_id": api.push_update(payload), **payload}
        headers = {SECRET_HEADER: SECRET, "Content-Type": "application/json"}
        async with http.post(url, data=json.dumps(update), headers=headers) as response:
            assert response.status == 200, await response.text()


def metric(app: CitizenBot, name: str, **labels: str) -> float:
    value = app.metrics.registry.get_sample_value(name, labels)
    return value or 0.0


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_every_reply_arrives_in_order_when_the_platform_answers_429(
    start_bot: StartBot,
    api: FakeBotAPI,
    http: aiohttp.ClientSession,
    caplog: pytest.LogCaptureFixture,
):
    app = await start_bot(
        web=True,
        telegram_webhook_url=PUBLIC_URL,
        telegram_webhook_secret=SECRET,
        telegram_rate_limit=1000,  # the bot's own pacing is not what is tested here
    )
    await converse(app, api, http, FIRST - 1)  # nothing refused: what every citizen must get
    expected = api.sent_texts(FIRST - 1)
    assert len(expected) >= len(MESSAGES)

    caplog.set_level(logging.INFO)
    api.set_rate_limit(100, window=0.02, exact=True)  # 2 sends per 20 ms
    api.fail_next("sendMessage", 429, retry_after=0.01, times=5)
    citizens = range(FIRST, FIRST + CITIZENS)
    await asyncio.gather(*(converse(app, api, http, user) for user in citizens))

    refused = api.rate_limited + 5  # the rate limit's refusals depend on the machine's speed
    for user in citizens:
        assert api.sent_texts(user) == expected, f"citizen {user} got other replies"
    assert not [r for r in caplog.records if "not delivered" in r.getMessage()]
    assert metric(app, "citizenbot_replies_total", channel="telegram", result="retried") == (
        refused
    )
    assert metric(app, "citizenbot_replies_total", channel="telegram", result="failed") == 0
    sent = len(expected) * (CITIZENS + 1)
    assert metric(app, "citizenbot_replies_total", channel="telegram", result="sent") == sent


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_a_reply_refused_midway_is_completed_not_repeated(
    start_bot: StartBot, api: FakeBotAPI
):
    """A long reply is two Telegram messages; the second is refused (429): only it is sent
    again."""
    app = await start_bot()
    first, second = "А" * 4000, "Б" * 100
    api.fail_next("sendMessage", 429, retry_after=0.01, after=1)
    result = await app.dispatcher.send(
        Address("telegram", str(FIRST)), Reply(f"{first}\n\n{second}")
    )
    assert result.ok
    assert api.sent_texts(FIRST) == [first, second]
    assert len(api.failed_calls) == 1


async def test_viber_replies_arrive_in_order_after_too_many_requests(
    start_viber: StartBot, viber_api: FakeViberAPI
):
    app = await start_viber()
    app.dispatcher.replies.unknown_retry_after = 0.01  # Viber's 429 names no wait: 1 s
    chat = ViberChat(viber_api)
    lines = ("/help", "what?", "/menu")

    async def converse(user: str) -> None:
        for line in lines:
            await chat.say(line, user=user)

    await converse("reference")
    expected = viber_api.texts_to(chat.user_id("reference"))
    assert len(expected) >= len(lines)

    viber_api.fail_next("send_message", 12, times=3, after=2)  # tooManyRequests
    users = [f"citizen{i}" for i in range(6)]
    await asyncio.gather(*(converse(user) for user in users))
    for user in users:
        assert viber_api.texts_to(chat.user_id(user)) == expected, user
    assert len(viber_api.failed_calls) == 3
    assert metric(app, "citizenbot_replies_total", channel="viber", result="retried") == 3

    # A long reply is two Viber messages; the second is refused: only it is sent again.
    to = Address("viber", chat.user_id(users[0]))
    viber_api.fail_next("send_message", 12, after=1)
    long = Reply("а" * 7000 + "\n\n" + "б" * 10)
    assert (await app.dispatcher.send(to, long)).ok
    assert viber_api.texts_to(to.user_id)[len(expected) :] == ["а" * 7000, "б" * 10]
