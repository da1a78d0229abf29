"""The real bot with PTB long polling against the fake Bot API, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import logging

import pytest
from sqlmodel import select
from telegram import Update

from bot.app import CitizenBot
from bot.channels.telegram.convert import ALLOWED_UPDATES
from bot.core.channel import MediaTooLarge, SendResult, SendStatus
from bot.core.messages import Address, Button, Kind, MediaRef, Reply
from storage.db import Database
from storage.models import Citizen
from tests.e2e.conftest import StartBot, database_down, telegram_of
from tests.fakes.telegram_api import FakeBotAPI

USER = 1001
ADDRESS = Address("telegram", str(USER))

MENU_EN = {
    "inline_keyboard": [
        [
            {"text": "📍 Report a problem", "callback_data": "menu:report"},
            {"text": "📋 My reports", "callback_data": "menu:myreports"},
        ],
        [
            {"text": "🔔 Alerts", "callback_data": "menu:alerts"},
            {"text": "📡 Now", "callback_data": "menu:now"},
        ],
        [
            {"text": "📊 Surveys", "callback_data": "menu:surveys"},
            {"text": "❓ Help", "callback_data": "menu:help"},
        ],
        [{"text": "🌐 Language", "callback_data": "menu:language"}],
    ]
}


async def started(start_bot: StartBot, api: FakeBotAPI) -> CitizenBot:
    app = await start_bot()
    await api.wait_for_polling()
    return app


def sent(api: FakeBotAPI, chat_id: int = USER) -> list[dict]:
    return [c.params for c in api.calls if c.params.get("chat_id") == chat_id]


async def onboard(api: FakeBotAPI, user: int = USER) -> None:
    """/start and choose English (three messages)."""
    before = len(api.calls_to("sendMessage"))
    api.push_update(api.make_message_update(user, "/start"))
    await api.wait_for_calls("sendMessage", before + 1)
    api.push_update(api.make_callback_update(user, "lang:en"))
    await api.wait_for_calls("sendMessage", before + 3)


async def test_start_language_choice_and_help(start_bot: StartBot, api: FakeBotAPI):
    app = await started(start_bot, api)
    t, city = app.translator.translate, app.city.name

    api.push_update(api.make_message_update(USER, "/start"))
    (welcome,) = await api.wait_for_calls("sendMessage", 1)
    assert welcome.params == {
        "chat_id": USER,
        "text": t("bg", "start.welcome", city=city("bg")),
        "reply_markup": {
            "inline_keyboard": [
                [
                    {"text": "Български", "callback_data": "lang:bg"},
                    {"text": "English", "callback_data": "lang:en"},
                ]
            ]
        },
    }
    assert welcome.params["text"].startswith("Здравейте! 👋 Това е официалният чат бот на ")

    tap = api.make_callback_update(USER, "lang:en")
    api.push_update(tap)
    (answer,) = await api.wait_for_calls("answerCallbackQuery", 1)
    assert answer.params == {"callback_query_id": tap["callback_query"]["id"]}
    _, privacy, menu = await api.wait_for_calls("sendMessage", 3)
    assert privacy.params == {"chat_id": USER, "text": t("en", "privacy.notice", months=24)}
    assert privacy.params["text"].startswith("🔒 About your data\n")
    assert menu.params == {
        "chat_id": USER,
        "text": "What would you like to do?",
        "reply_markup": MENU_EN,
    }

    api.push_update(api.make_message_update(USER, "/help"))
    help_call = (await api.wait_for_calls("sendMessage", 4))[-1]
    assert help_call.params == {
        "chat_id": USER,
        "text": t("en", "help.text", city=city("en")),
        "reply_markup": MENU_EN,
    }
    assert "Here is what you can do" in help_call.params["text"]


async def test_start_up_calls(start_bot: StartBot, api: FakeBotAPI):
    await started(start_bot, api)
    bg = [
        {"command": "start", "description": "Начало и избор на език"},
        {"command": "menu", "description": "Главното меню"},
        {"command": "report", "description": "Сигнал за проблем в града"},
        {"command": "myreports", "description": "Моите сигнали и какво става с тях"},
        {"command": "alerts", "description": "Известия за Вашия район"},
        {"command": "surveys", "description": "Анкети на общината"},
        {"command": "help", "description": "Какво може ботът"},
        {"command": "language", "description": "Смяна на езика"},
        {"command": "cancel", "description": "Прекратяване на текущото действие"},
        {"command": "mydata", "description": "Какви данни пазим за Вас"},
    ]
    en = [
        {"command": "start", "description": "Start and choose a language"},
        {"command": "menu", "description": "The main menu"},
        {"command": "report", "description": "Report a problem in the city"},
        {"command": "myreports", "description": "My reports and what happened to them"},
        {"command": "alerts", "description": "Alerts for your district"},
        {"command": "surveys", "description": "The municipality's surveys"},
        {"command": "help", "description": "What the bot can do"},
        {"command": "language", "description": "Change the language"},
        {"command": "cancel", "description": "Stop what you are doing"},
        {"command": "mydata", "description": "The data we keep about you"},
    ]
    assert api.commands() == bg  # the default: Bulgarian
    assert api.commands(language_code="bg") == bg
    assert api.commands(language_code="en") == en
    assert [c.params.get("language_code") for c in api.calls_to("setMyCommands")] == [
        None,
        "bg",
        "en",
    ]
    assert api.calls_to("getMe")
    assert api.calls_to("deleteWebhook")
    assert not api.calls_to("setWebhook")
    api.push_update(api.make_message_update(USER, "/start"))
    await api.wait_for_calls("sendMessage", 1)
    polls = api.calls_to("getUpdates")
    assert polls and all(p.params["allowed_updates"] == list(ALLOWED_UPDATES) for p in polls)


async def test_photo_is_downloaded_through_the_channel(start_bot: StartBot, api: FakeBotAPI):
    app = await started(start_bot, api)
    channel = telegram_of(app)
    content = b"\xff\xd8\xff\xe0 a JPEG of a pothole"
    api.add_file("AgACAgIAAxkBAAIBpothole", content, file_path="photos/file_7.jpg")
    update = api.make_photo_update(USER, "AgACAgIAAxkBAAIBpothole", file_size=len(content))
    update_id = api.push_update(update)
    await api.wait_for_calls("sendMessage", 1)  # answered (onboarding: choose a language)

    msg = channel.to_message(Update.de_json({"update_id": update_id, **update}, channel.bot))
    assert msg is not None and msg.kind is Kind.PHOTO and msg.photo is not None
    assert msg.photo == MediaRef("telegram", "AgACAgIAAxkBAAIBpothole", size=len(content))
    get_files, downloads = len(api.calls_to("getFile")), len(api.downloads)

    assert await channel.download(msg.photo, max_bytes=1024) == content
    assert api.calls_to("getFile")[get_files:][0].params == {"file_id": "AgACAgIAAxkBAAIBpothole"}
    assert api.downloads[downloads:] == ["photos/file_7.jpg"]

    with pytest.raises(MediaTooLarge):  # known size: refused without a request
        await channel.download(msg.photo, max_bytes=len(content) - 1)
    assert len(api.calls_to("getFile")) == get_files + 1
    unknown_size = MediaRef("telegram", "AgACAgIAAxkBAAIBpothole")
    with pytest.raises(MediaTooLarge):  # the size getFile tells
        await channel.download(unknown_size, max_bytes=len(content) - 1)
    assert len(api.calls_to("getFile")) == get_files + 2
    assert len(api.downloads) == downloads + 1


# PTB itself warns about the future type of RetryAfter.retry_after when it raises one.
IGNORE_PTB_DEPRECATION = pytest.mark.filterwarnings(
    "ignore::telegram.warnings.PTBDeprecationWarning"
)


@IGNORE_PTB_DEPRECATION
async def test_send_results(start_bot: StartBot, api: FakeBotAPI):
    channel = telegram_of(await started(start_bot, api))
    hello = Reply("Здравейте")

    api.fail_next("sendMessage", 429, retry_after=7)
    assert await channel.send(ADDRESS, hello) == SendResult(
        SendStatus.RETRY_AFTER, retry_after=7.0, error="Flood control exceeded. Retry in 7 seconds"
    )
    api.fail_next("sendMessage", 403)
    result = await channel.send(ADDRESS, hello)
    assert result.status is SendStatus.BLOCKED
    assert result.error == "Forbidden: Forbidden: bot was blocked by the user"
    api.fail_next("sendMessage", 500)
    result = await channel.send(ADDRESS, hello)
    assert (result.status, result.error) == (
        SendStatus.FAILED,
        "NetworkError: Internal Server Error",
    )
    api.fail_next("sendMessage", 502)
    assert (await channel.send(ADDRESS, hello)).status is SendStatus.FAILED
    api.fail_next("sendMessage", 400, description="Bad Request: chat not found")
    assert (await channel.send(ADDRESS, hello)).status is SendStatus.FAILED
    assert len(api.failed_calls) == 5 and not api.calls_to("sendMessage")  # no hidden retries

    assert (await channel.send(ADDRESS, hello)).ok
    assert sent(api) == [{"chat_id": USER, "text": "Здравейте"}]
    assert (await channel.send(Address("telegram", "not-a-number"), hello)).status is (
        SendStatus.FAILED
    )

    # Group chats: one upgraded to a supergroup names its new id (ChatMigrated); one the bot
    # was removed from (403) or that is gone (400 "chat not found") cannot be reached.
    api.move_group(-4001, -1004001)
    assert await channel.send(Address("telegram", "-4001"), hello) == SendResult(
        SendStatus.FAILED, error="ChatMigrated", moved_to="-1004001"
    )
    api.lose_chat(-1004001)
    assert await channel.send(Address("telegram", "-1004001"), hello) == SendResult(
        SendStatus.BLOCKED, error="Forbidden: Forbidden: bot was kicked from the group chat"
    )
    api.lose_chat(-4002, 400, "Bad Request: chat not found")
    assert (await channel.send(Address("telegram", "-4002"), hello)).status is SendStatus.BLOCKED


@IGNORE_PTB_DEPRECATION
async def test_rate_limit_of_the_api_is_reported(start_bot: StartBot, api: FakeBotAPI):
    channel = telegram_of(await started(start_bot, api))
    api.set_rate_limit(1)
    assert (await channel.send(ADDRESS, Reply("one"))).ok
    result = await channel.send(ADDRESS, Reply("two"))
    assert (result.status, result.retry_after) == (SendStatus.RETRY_AFTER, 1.0)
    assert api.rate_limited == 1


async def test_long_reply_and_photo_go_over_the_wire(start_bot: StartBot, api: FakeBotAPI):
    channel = telegram_of(await started(start_bot, api))
    first, second = "А" * 4000, "Б" * 100
    help_button = Button("❓ Help", payload="menu:help")
    assert (await channel.send(ADDRESS, Reply(f"{first}\n\n{second}", ((help_button,),)))).ok
    photo = Reply("Сигнал №12 е приет", ((help_button,),), image=b"\xff\xd8 jpeg bytes")
    assert (await channel.send(ADDRESS, photo)).ok
    markup = {"inline_keyboard": [[{"text": "❓ Help", "callback_data": "menu:help"}]]}
    assert sent(api) == [
        {"chat_id": USER, "text": first},
        {"chat_id": USER, "text": second, "reply_markup": markup},
        {"chat_id": USER, "caption": "Сигнал №12 е приет", "reply_markup": markup},
    ]
    (photo_call,) = api.calls_to("sendPhoto")
    assert photo_call.files == {"photo": b"\xff\xd8 jpeg bytes"}  # uploaded as multipart


async def test_reply_keyboard_taps_become_buttons(start_bot: StartBot, api: FakeBotAPI):
    app = await started(start_bot, api)
    channel = telegram_of(app)
    await onboard(api)
    ask = Reply(
        "Where is it?",
        buttons=(
            (Button("📍 Send my location", request_location=True),),
            (Button("❓ Help", payload="menu:help"),),
        ),
    )
    assert (await channel.send(ADDRESS, ask)).ok
    assert sent(api)[-1]["reply_markup"] == {
        "keyboard": [
            [{"text": "📍 Send my location", "request_location": True}],
            [{"text": "❓ Help"}],
        ],
        "resize_keyboard": True,
        "one_time_keyboard": True,
    }
    count = len(api.calls_to("sendMessage"))
    api.push_update(api.make_message_update(USER, "❓ Help", language_code="en"))
    help_call = (await api.wait_for_calls("sendMessage", count + 1))[-1]
    assert help_call.params["text"] == app.translator.translate(
        "en", "help.text", city=app.city.name("en")
    )
    # The next reply without buttons takes the reply keyboard away.
    assert (await channel.send(ADDRESS, Reply("Thank you!"))).ok
    assert sent(api)[-1] == {
        "chat_id": USER,
        "text": "Thank you!",
        "reply_markup": {"remove_keyboard": True},
    }
    assert (await channel.send(ADDRESS, Reply("Bye"))).ok
    assert sent(api)[-1] == {"chat_id": USER, "text": "Bye"}


async def test_unsupported_content_gets_an_answer(start_bot: StartBot, api: FakeBotAPI):
    await started(start_bot, api)
    await onboard(api)
    sticker = api.make_message_update(USER, "x")
    del sticker["message"]["text"]
    sticker["message"]["sticker"] = {
        "file_id": "CAACAgIAAxkBAAIBdWdHsticker",
        "file_unique_id": "AgADsticker",
        "type": "regular",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
        "emoji": "😂",
    }
    api.push_update(sticker)
    reply = (await api.wait_for_calls("sendMessage", 4))[-1]
    assert reply.params == {
        "chat_id": USER,
        "text": "We cannot use this kind of message. Please send text, a photo or a location, "
        "or tap a button.",
    }


async def test_group_messages_are_not_served(start_bot: StartBot, api: FakeBotAPI):
    app = await started(start_bot, api)
    group = api.make_message_update(USER, "/help@citizen_test_bot")
    group["message"]["chat"] = {"id": -1001234567890, "type": "supergroup", "title": "Квартал"}
    update_id = api.push_update(group)
    await api.wait_for_confirmed(update_id)
    await app.stop()  # stopping finishes every update already fetched
    assert not api.calls_to("sendMessage")


async def test_blocking_the_bot_opts_the_citizen_out(
    start_bot: StartBot, api: FakeBotAPI, db_url: str
):
    app = await started(start_bot, api)
    await onboard(api)
    update_id = api.push_update(api.make_my_chat_member_update(USER, "kicked"))
    await api.wait_for_confirmed(update_id)
    await app.stop()  # stopping finishes every update already fetched
    db = Database(db_url)
    try:
        async with db.sessions() as session:
            citizen = (await session.exec(select(Citizen))).one()
    finally:
        await db.dispose()
    assert citizen.opted_out is True
    assert len(api.calls_to("sendMessage")) == 3  # nothing is said to someone who blocked us


async def test_short_database_outage_loses_nothing(start_bot: StartBot, api: FakeBotAPI):
    app = await started(start_bot, api)
    channel = telegram_of(app)
    backing_off = asyncio.Event()
    resume = asyncio.Event()
    delays: list[float] = []

    async def controlled_sleep(seconds: float) -> None:
        delays.append(seconds)
        backing_off.set()
        await resume.wait()

    channel.sleep = controlled_sleep
    try:
        async with database_down(app.db):
            api.push_update(api.make_message_update(USER, "/start"))
            await asyncio.wait_for(backing_off.wait(), 10)
        assert not api.calls_to("sendMessage")

        # Meanwhile another chat is served: updates are handled concurrently.
        other = 2002
        api.push_update(api.make_message_update(other, "/start", language_code="en"))
        (reply,) = await api.wait_for_calls("sendMessage", 1)
        assert reply.params["chat_id"] == other
        assert reply.params["text"].startswith("Hello!")
    finally:
        resume.set()  # also when an assertion failed, so the bot can stop
    calls = await api.wait_for_calls("sendMessage", 2)
    assert calls[1].params["chat_id"] == USER
    assert calls[1].params["text"].startswith("Здравейте!")
    assert delays == [0.5]


async def test_long_database_outage_gives_up(
    start_bot: StartBot, api: FakeBotAPI, caplog: pytest.LogCaptureFixture
):
    app = await started(start_bot, api)
    channel = telegram_of(app)
    channel.retry_delays = (0.0, 0.0)
    gave_up = asyncio.Event()

    class Watch(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if "lost after" in record.getMessage():
                gave_up.set()

    watch = Watch()
    logging.getLogger("bot.channels.telegram.adapter").addHandler(watch)
    try:
        async with database_down(app.db):
            api.push_update(api.make_message_update(USER, "Здравейте, телефонът ми е 0888123456"))
            await asyncio.wait_for(gave_up.wait(), 10)
    finally:
        logging.getLogger("bot.channels.telegram.adapter").removeHandler(watch)
    messages = [r.getMessage() for r in caplog.records if r.name.startswith("bot.")]
    assert sum("retried in 0.0s" in m for m in messages) == 2
    assert any("lost after 3 attempts" in m for m in messages)
    assert not any("0888123456" in m or "Здравейте" in m for m in messages)
    assert not api.calls_to("sendMessage")
