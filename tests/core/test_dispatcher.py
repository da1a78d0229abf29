"""The per-message pipeline on the real database: dedupe, one transaction, replies after the
commit, an apology with a reference on errors, StorageUnavailable when the database is down."""

from __future__ import annotations

import asyncio
import logging

import pytest
from sqlmodel import select

from bot.channels.console import RecordingChannel
from bot.city import load_city
from bot.config import Settings
from bot.core.context import Context, Services
from bot.core.dispatcher import Dispatcher, StorageUnavailable
from bot.core.messages import Address, Button, IncomingMessage, Kind
from bot.core.router import Router
from bot.i18n import Translator
from handlers import fallback_route
from storage.db import Database
from storage.models import ChannelIdentity, ConversationState, ProcessedUpdate
from tests.conftest import Clock, make_settings
from tests.dbs import unreachable_url


def build(db: Database, settings: Settings, clock: Clock) -> tuple[Dispatcher, RecordingChannel]:
    router = Router("test")
    translator = Translator()

    @router.command("count")
    async def count(msg: IncomingMessage, ctx: Context) -> None:
        n = int(ctx.state.data.get("n", 0)) + 1
        ctx.state.set("counting", n=n)
        ctx.reply(f"n={n}")

    @router.command("boom")
    async def boom(msg: IncomingMessage, ctx: Context) -> None:
        ctx.state.set("should-not-stay", n=999)
        ctx.reply("this reply must never leave")
        raise RuntimeError("handler bug")

    @router.command("ask")
    async def ask(msg: IncomingMessage, ctx: Context) -> None:
        ctx.reply("Where?", ((Button("Пропусни", payload="skip:now"),),))

    @router.button("skip")
    async def skip(msg: IncomingMessage, ctx: Context) -> None:
        ctx.reply(f"skipped ({msg.payload})")

    @router.command("slow")
    async def slow(msg: IncomingMessage, ctx: Context) -> None:
        await asyncio.sleep(0)  # yield to the other message of the same chat
        n = int(ctx.state.data.get("n", 0)) + 1
        ctx.state.set("counting", n=n)
        ctx.reply(f"n={n}")

    services = Services(
        settings=settings, translator=translator, city=load_city("sofia"), clock=clock
    )
    dispatcher = Dispatcher(db=db, router=router, services=services, fallback=fallback_route())
    channel = RecordingChannel(t=lambda key, **kw: translator.translate(None, key, **kw))
    dispatcher.add_channel(channel)
    return dispatcher, channel


def cmd(name: str, *, user: str = "u1", external_id: str | None = None) -> IncomingMessage:
    return IncomingMessage(
        Address("console", user), Kind.COMMAND, command=name, external_id=external_id
    )


@pytest.fixture
def pipeline(db: Database, db_url: str, clock: Clock) -> tuple[Dispatcher, RecordingChannel]:
    return build(db, make_settings(db_url), clock)


async def test_state_is_loaded_and_saved_per_address(pipeline, db: Database):
    dispatcher, channel = pipeline
    for _ in range(3):
        await dispatcher.dispatch(cmd("count"))
    await dispatcher.dispatch(cmd("count", user="u2"))
    assert [r.text for r in channel.pop("u1")] == ["n=1", "n=2", "n=3"]
    assert [r.text for r in channel.pop("u2")] == ["n=1"]
    async with db.sessions() as session:
        row = await session.get(ConversationState, ("console", "u1"))
    assert row.state == "counting" and row.data == {"n": 3} and row.version == 3


async def test_redelivered_update_has_no_second_effect(pipeline, db: Database):
    dispatcher, channel = pipeline
    await dispatcher.dispatch(cmd("count", external_id="upd-1"))
    await dispatcher.dispatch(cmd("count", external_id="upd-1"))
    assert [r.text for r in channel.pop("u1")] == ["n=1"]
    async with db.sessions() as session:
        keys = (await session.exec(select(ProcessedUpdate))).all()
    assert [(k.channel, k.external_id) for k in keys] == [("console", "upd-1")]


async def test_same_chat_messages_are_handled_one_at_a_time(pipeline):
    dispatcher, channel = pipeline
    await asyncio.gather(*(dispatcher.dispatch(cmd("slow")) for _ in range(5)))
    assert [r.text for r in channel.pop("u1")] == [f"n={i}" for i in range(1, 6)]


async def test_unexpected_error_rolls_back_and_apologises_with_a_reference(
    pipeline, db: Database, caplog: pytest.LogCaptureFixture
):
    dispatcher, channel = pipeline
    await dispatcher.dispatch(cmd("count"))
    channel.pop("u1")
    with caplog.at_level(logging.ERROR):
        await dispatcher.dispatch(cmd("boom", external_id="upd-9"))
    (reply,) = channel.pop("u1")
    assert reply.text.startswith("Съжаляваме, нещо се обърка")
    ref = reply.text.rsplit(" ", 1)[-1]
    assert len(ref) == 8
    (record,) = [r for r in caplog.records if ref in r.getMessage()]
    assert record.exc_info is not None and "handler bug" in str(record.exc_info[1])
    async with db.sessions() as session:
        row = await session.get(ConversationState, ("console", "u1"))
        processed = await session.get(ProcessedUpdate, ("console", "upd-9"))
    assert row.data == {"n": 1}, "the failed message's state change was rolled back"
    assert processed is None


async def test_new_citizen_is_created_once_even_when_two_messages_race(pipeline, db: Database):
    dispatcher, _ = pipeline
    await asyncio.gather(dispatcher.dispatch(cmd("count")), dispatcher.dispatch(cmd("count")))
    async with db.sessions() as session:
        identities = (await session.exec(select(ChannelIdentity))).all()
    assert len(identities) == 1


async def test_database_down_raises_storage_unavailable_and_sends_nothing(
    db_url: str, clock: Clock
):
    down = Database(unreachable_url(db_url))
    dispatcher, channel = build(down, make_settings(db_url), clock)
    with pytest.raises(StorageUnavailable):
        await dispatcher.dispatch(cmd("count", external_id="upd-1"))
    assert channel.sent == {}
    await down.dispose()


async def test_a_label_of_the_last_keyboard_sent_as_text_is_a_tap_on_any_instance(
    db: Database, db_url: str, clock: Clock
):
    first, channel = build(db, make_settings(db_url), clock)
    await first.dispatch(cmd("ask"))
    channel.pop("u1")
    text = IncomingMessage(Address("console", "u1"), Kind.TEXT, text="Пропусни")
    other_instance, other = build(db, make_settings(db_url), clock)
    await other_instance.dispatch(text)
    assert [r.text for r in other.pop("u1")] == ["skipped (skip:now)"]
    near_miss = IncomingMessage(Address("console", "u1"), Kind.TEXT, text="Пропусни това")
    await other_instance.dispatch(near_miss)
    assert "skipped" not in other.pop("u1")[0].text
