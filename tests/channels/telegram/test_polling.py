"""The channel's long poll (polling.py) against the fake Bot API: updates in, offsets
confirmed, failures retried."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from bot.channels.telegram import TelegramChannel
from bot.core.messages import IncomingMessage, Kind
from bot.i18n import Translator
from tests.conftest import make_settings
from tests.fakes.telegram_api import FakeBotAPI


class Polling:
    def __init__(self, channel: TelegramChannel, api: FakeBotAPI) -> None:
        self.channel, self.api = channel, api
        self.received: list[IncomingMessage] = []
        self.arrived = asyncio.Event()
        self.handler: Callable[[IncomingMessage], Awaitable[None]] | None = None

    async def dispatch(self, msg: IncomingMessage) -> None:
        self.received.append(msg)
        self.arrived.set()
        if self.handler is not None:
            await self.handler(msg)

    async def next(self) -> IncomingMessage:
        await asyncio.wait_for(self.arrived.wait(), 10)
        self.arrived.clear()
        return self.received[-1]


@pytest.fixture
async def polling() -> AsyncIterator[Polling]:
    async with FakeBotAPI() as api:
        settings = make_settings(
            "sqlite+aiosqlite:///:memory:",
            telegram_bot_token=api.token,
            telegram_api_base_url=api.base_url,
        )
        channel = TelegramChannel(settings, Translator())

        async def no_wait(_seconds: float) -> None:
            return None

        channel.sleep = no_wait  # the backoff between failed polls
        bot = Polling(channel, api)
        await channel.start(bot.dispatch)
        await api.wait_for_polling()
        yield bot
        await channel.stop()
        assert api.violations == []


async def test_texts_and_other_updates_arrive_and_are_confirmed(polling: Polling):
    api = polling.api
    text_id = api.push_update(api.make_message_update(7001, "Дупка"))
    assert (await polling.next()).text == "Дупка"
    query_id = api.push_update(api.make_callback_update(7001, "lang:en"))
    tap = await polling.next()
    assert (tap.kind, tap.payload) == (Kind.BUTTON, "lang:en")
    await api.wait_for_confirmed(max(text_id, query_id))


async def test_a_failed_poll_is_retried(polling: Polling):
    api = polling.api
    api.fail_next("getUpdates", 502, times=2)
    api.push_update(api.make_message_update(7002, "/help"))
    msg = await polling.next()
    assert (msg.kind, msg.command) == (Kind.COMMAND, "help")
    assert polling.channel.poll is not None and polling.channel.poll.running


async def test_stopping_confirms_what_was_fetched(polling: Polling):
    api = polling.api
    update_id = api.push_update(api.make_message_update(7003, "a"))
    await polling.next()
    await polling.channel.stop()
    await api.wait_for_confirmed(update_id)
    await polling.channel.start(polling.dispatch)  # the fixture stops it again


async def test_what_arrives_while_a_batch_is_handled_comes_in_one_poll(polling: Polling):
    """The next getUpdates waits for the batch's handlers: three updates that arrive while
    the first is handled (a Bot API round trip apart, as replies are) come in one response."""
    api, channel = polling.api, polling.channel
    assert channel.poll is not None
    channel.poll.batch_wait_s = 30  # the cap, far off: this test is about the wait itself
    polls_seen: dict[str, int] = {}
    handled = asyncio.Event()

    async def dispatch(msg: IncomingMessage) -> None:
        polls_seen[msg.text] = len(api.calls_to("getUpdates"))
        if msg.text == "first":
            for text in ("second", "third", "fourth"):
                api.push_update(api.make_message_update(7004, text))
                await channel.bot.get_me()
            polls_seen["first done"] = len(api.calls_to("getUpdates"))
        if msg.text == "fourth":
            handled.set()

    polling.handler = dispatch
    api.push_update(api.make_message_update(7004, "first"))
    await asyncio.wait_for(handled.wait(), 10)
    assert polls_seen["first done"] == polls_seen["first"], "polled during the batch"
    assert polls_seen["second"] == polls_seen["third"] == polls_seen["fourth"]
    assert polls_seen["second"] == polls_seen["first"] + 1


async def test_a_slow_handler_delays_the_next_poll_only_by_the_cap(polling: Polling):
    api, channel = polling.api, polling.channel
    assert channel.poll is not None
    channel.poll.batch_wait_s = 0.05
    release = asyncio.Event()
    arrived: list[str] = []
    fast_one = asyncio.Event()

    async def dispatch(msg: IncomingMessage) -> None:
        arrived.append(msg.text)
        if msg.text == "slow":
            api.push_update(api.make_message_update(7006, "fast"))
            await release.wait()
        else:
            fast_one.set()

    polling.handler = dispatch
    api.push_update(api.make_message_update(7005, "slow"))
    try:
        await asyncio.wait_for(fast_one.wait(), 10)
        assert arrived == ["slow", "fast"] and not release.is_set()
    finally:
        release.set()


class _Failures(logging.Handler):
    """Sets `seen` when the poll logs a failed getUpdates: the poll is then in its backoff."""

    def __init__(self) -> None:
        super().__init__()
        self.seen = asyncio.Event()
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        if "getUpdates failed" in record.getMessage():
            self.count += 1
            self.seen.set()


async def test_stopping_while_the_bot_api_is_down_ends_the_poll():
    """SIGTERM while Telegram is unreachable and the poll waits to retry: stopping ends that
    wait and the poll with it, instead of polling the dead server again and again."""
    failures = _Failures()
    logger = logging.getLogger("bot.channels.telegram.polling")
    logger.addHandler(failures)
    api = FakeBotAPI()
    await api.start()
    try:
        settings = make_settings(
            "sqlite+aiosqlite:///:memory:",
            telegram_bot_token=api.token,
            telegram_api_base_url=api.base_url,
        )
        channel = TelegramChannel(settings, Translator())  # the real backoff: 1 s, then more
        await channel.start(Polling(channel, api).dispatch)
        await api.wait_for_polling()
        await api.stop()
        await asyncio.wait_for(failures.seen.wait(), 10)
        stopping = asyncio.create_task(channel.stop())
        done, _ = await asyncio.wait({stopping}, timeout=10)
        assert stopping in done, "the poll went on after stop"
        assert channel.poll is not None and not channel.poll.running
        assert failures.count == 1
    finally:
        logger.removeHandler(failures)
