"""The webhook route with a stand-in dispatcher: what is answered for each outcome."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.channels.viber import ViberChannel
from bot.channels.viber.adapter import WEBHOOK_PATH
from bot.core.dispatcher import StorageUnavailable
from bot.core.messages import Address, IncomingMessage, Kind, Reply
from tests.conftest import make_settings
from tests.fakes.viber_api import FakeViberAPI
from tests.viber_chat import viber_settings

Handler = Callable[[IncomingMessage], Awaitable[None]]


class Bot:
    """The channel on a test server, dispatching to `handler`."""

    def __init__(self, channel: ViberChannel) -> None:
        self.channel = channel
        self.handler: Handler | None = None
        self.received: list[IncomingMessage] = []

    async def dispatch(self, msg: IncomingMessage) -> None:
        self.received.append(msg)
        if self.handler is not None:
            await self.handler(msg)


@pytest.fixture
async def api() -> AsyncIterator[FakeViberAPI]:
    async with FakeViberAPI() as fake:
        yield fake
        assert fake.violations == []


@pytest.fixture
async def bot(api: FakeViberAPI) -> AsyncIterator[Bot]:
    settings = make_settings("sqlite+aiosqlite:///:memory:", **viber_settings(api))
    channel = ViberChannel(settings, payload_prefixes=["lang"])
    app = web.Application()
    app.add_routes(channel.routes())
    async with TestServer(app) as server:
        api.callback_url = str(server.make_url(WEBHOOK_PATH))
        bot = Bot(channel)
        await channel.start(bot.dispatch)
        yield bot
        await channel.stop()


async def test_two_replies_to_someone_not_subscribed_yet(bot: Bot, api: FakeViberAPI):
    async def two(msg: IncomingMessage) -> None:
        await bot.channel.send(msg.address, Reply("Първо"))
        await bot.channel.send(msg.address, Reply("Второ"))

    bot.handler = two
    user = api.user("u1")
    delivery = await api.post(api.conversation_started(user))
    assert delivery.json == {"sender": {"name": api.account_name}, "type": "text", "text": "Първо"}
    assert not api.calls_to("send_message")  # the second cannot reach them yet


async def test_two_replies_to_a_subscriber_are_sent_in_order(bot: Bot, api: FakeViberAPI):
    async def two(msg: IncomingMessage) -> None:
        await bot.channel.send(msg.address, Reply("Първо"))
        await bot.channel.send(msg.address, Reply("Второ"))

    bot.handler = two
    user = api.user("u1")
    api.subscribed.add(user.id)
    delivery = await api.post(api.conversation_started(user, subscribed=True))
    assert (delivery.status, delivery.json) == (200, None)
    assert api.texts_to(user.id) == ["Първо", "Второ"]


async def test_replies_to_others_during_a_welcome_are_sent(bot: Bot, api: FakeViberAPI):
    staff = api.user("staff")
    api.subscribed.add(staff.id)

    async def notify(msg: IncomingMessage) -> None:
        await bot.channel.send(msg.address, Reply("Здравейте"))
        await bot.channel.send(Address("viber", staff.id), Reply("Нов абонат"))

    bot.handler = notify
    delivery = await api.post(api.conversation_started(api.user("u1")))
    assert delivery.json is not None and delivery.json["text"] == "Здравейте"
    assert api.texts_to(staff.id) == ["Нов абонат"]


async def test_outcomes_of_the_dispatcher(bot: Bot, api: FakeViberAPI):
    user = api.user("u1")

    async def down(msg: IncomingMessage) -> None:
        raise StorageUnavailable("OperationalError")

    bot.handler = down
    unavailable = await api.post(api.text(user, "здравейте"))
    assert unavailable.status == 503

    async def broken(msg: IncomingMessage) -> None:
        raise RuntimeError("a bug")

    bot.handler = broken
    assert (await api.post(api.text(user, "здравейте"))).status == 500
    assert (await api.post(api.conversation_started(user))).status == 500

    bot.handler = None
    assert (await api.post(api.text(user, "lang:en"))).status == 200
    assert bot.received[-1].kind is Kind.BUTTON and bot.received[-1].payload == "lang:en"


async def test_nothing_is_dispatched_for_status_events_or_the_webhook_check(
    bot: Bot, api: FakeViberAPI
):
    user = api.user("u1")
    for event in (
        api.webhook_event(),
        api.status_event("delivered", user, 1),
        api.status_event("seen", user, 1),
        api.status_event("failed", user, 1),
        {**api.webhook_event(), "event": "client_status"},
    ):
        assert (await api.post(event)).status == 200
    assert bot.received == []
