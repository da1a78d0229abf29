"""Tests of the fake Bot API, driven by the real python-telegram-bot `Bot`."""

from __future__ import annotations

import asyncio
import datetime as dtm
import json
import warnings
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllPrivateChats,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.error import (
    BadRequest,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
)
from telegram.ext import Application, CommandHandler, ContextTypes

from .telegram_api import FakeBotAPI, SpecValidator

USER_ID = 5_550_001


@pytest.fixture
async def api() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI() as fake:
        yield fake


@pytest.fixture
async def bot(api: FakeBotAPI) -> AsyncIterator[Bot]:
    async with Bot(api.token, base_url=api.base_url, base_file_url=api.base_file_url) as real_bot:
        yield real_bot


async def post_raw(api: FakeBotAPI, method: str, **kwargs: Any) -> tuple[int, dict[str, Any]]:
    """POST to the fake directly (`json=` or `data=` kwargs); return status and JSON body."""
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{api.base_url}{api.token}/{method}", **kwargs) as response,
    ):
        return response.status, await response.json()


def retry_after_seconds(error: RetryAfter) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = error.retry_after
    return value.total_seconds() if isinstance(value, dtm.timedelta) else float(value)


def spec_problems(api: FakeBotAPI, value: Any, type_name: str) -> list[str]:
    return SpecValidator(api.spec).check_value(value, [type_name], type_name)


def inline_keyboard(*data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(f"b{i}", callback_data=d)] for i, d in enumerate(data)]
    )


# ---- basics ----------------------------------------------------------------------------------


async def test_get_me_describes_the_bot(api: FakeBotAPI, bot: Bot) -> None:
    me = await bot.get_me()

    assert me.id == 123456
    assert me.is_bot is True
    assert me.username == "citizen_test_bot"
    assert bot.username == "citizen_test_bot"  # set by `async with bot` (initialize)
    assert [call.method for call in api.calls] == ["getMe", "getMe"]
    assert api.violations == []


async def test_wrong_token_is_unauthorized(api: FakeBotAPI) -> None:
    other = Bot("999:WRONG", base_url=api.base_url, base_file_url=api.base_file_url)

    with pytest.raises(InvalidToken, match="Unauthorized"):
        await other.get_me()
    assert api.calls == []


async def test_method_names_are_case_insensitive(api: FakeBotAPI) -> None:
    status, body = await post_raw(api, "getme")

    assert status == 200
    assert body["result"]["username"] == api.bot_username
    assert [call.method for call in api.calls] == ["getMe"]


async def test_query_string_parameters_are_decoded(api: FakeBotAPI) -> None:
    url = f"{api.base_url}{api.token}/getUpdates"
    query = {"offset": "5", "timeout": "0", "allowed_updates": '["message"]'}
    async with aiohttp.ClientSession() as session, session.get(url, params=query) as response:
        assert response.status == 200

    params = api.calls_to("getUpdates")[0].params
    assert params == {"offset": 5, "timeout": 0, "allowed_updates": ["message"]}


# ---- sending -----------------------------------------------------------------------------


async def test_send_message_with_inline_keyboard(api: FakeBotAPI, bot: Bot) -> None:
    markup = inline_keyboard("report:new", "report:list")

    first = await bot.send_message(USER_ID, "Здравейте!", reply_markup=markup)
    second = await bot.send_message(USER_ID, "Второ")

    assert first.text == "Здравейте!"
    assert first.chat.id == USER_ID and first.chat.type == "private"
    assert first.from_user is not None and first.from_user.id == api.bot_id
    assert first.reply_markup == markup
    assert second.message_id > first.message_id
    call = api.calls_to("sendMessage")[0]
    assert call.params["chat_id"] == USER_ID
    assert call.params["reply_markup"] == markup.to_dict()
    assert api.sent_texts(USER_ID) == ["Здравейте!", "Второ"]
    assert api.sent_texts(USER_ID + 1) == []
    assert api.violations == []


async def test_send_message_with_reply_keyboard_requesting_location(
    api: FakeBotAPI, bot: Bot
) -> None:
    markup = ReplyKeyboardMarkup(
        [[KeyboardButton("Изпрати местоположение", request_location=True)]],
        resize_keyboard=True,
        one_time_keyboard=True,
    )

    message = await bot.send_message(USER_ID, "Къде е проблемът?", reply_markup=markup)

    assert message.reply_markup is None  # the Bot API only echoes inline keyboards
    sent = api.calls_to("sendMessage")[0].params["reply_markup"]
    assert sent["keyboard"][0][0] == {"text": "Изпрати местоположение", "request_location": True}
    assert sent["resize_keyboard"] is True
    assert api.violations == []


async def test_send_photo_uploads_bytes_that_can_be_downloaded_again(
    api: FakeBotAPI, bot: Bot
) -> None:
    content = b"\x89PNG\r\n\x1a\n fake image bytes"

    message = await bot.send_photo(USER_ID, content, caption="Снимка")

    call = api.calls_to("sendPhoto")[0]
    assert call.files == {"photo": content}
    assert "photo" not in call.params
    assert message.caption == "Снимка"
    assert api.sent_texts() == ["Снимка"]
    telegram_file = await bot.get_file(message.photo[-1].file_id)
    assert await telegram_file.download_as_bytearray() == bytearray(content)


async def test_send_photo_by_file_id(api: FakeBotAPI, bot: Bot) -> None:
    api.add_file("AgACAgIAAxkBAAIBZ2Known", b"jpeg bytes")
    message = await bot.send_photo(USER_ID, "AgACAgIAAxkBAAIBZ2Known")

    assert message.photo[-1].file_id == "AgACAgIAAxkBAAIBZ2Known"
    assert api.calls_to("sendPhoto")[0].params["photo"] == "AgACAgIAAxkBAAIBZ2Known"
    assert api.calls_to("sendPhoto")[0].files == {}


async def test_an_uploaded_photo_is_sent_again_by_its_file_id_and_unknown_ids_are_refused(
    api: FakeBotAPI, bot: Bot
) -> None:
    uploaded = await bot.send_photo(USER_ID, b"jpeg bytes")
    file_id = uploaded.photo[-1].file_id
    again = await bot.send_photo(USER_ID, file_id)
    assert again.photo[-1].file_id == file_id
    assert [bool(c.files) for c in api.calls_to("sendPhoto")] == [True, False]
    with pytest.raises(BadRequest, match=r"(?i)wrong file identifier"):
        await bot.send_photo(USER_ID, "AgACAgIAAxkBAAIBZ2Unknown")


async def test_get_file_and_download_registered_file(api: FakeBotAPI, bot: Bot) -> None:
    api.add_file("photo-1", b"jpeg bytes", file_path="photos/file_1.jpg")

    telegram_file = await bot.get_file("photo-1")

    assert telegram_file.file_size == len(b"jpeg bytes")
    assert telegram_file.file_path == f"{api.base_file_url}{api.token}/photos/file_1.jpg"
    assert await telegram_file.download_as_bytearray() == bytearray(b"jpeg bytes")
    assert api.downloads == ["photos/file_1.jpg"]


async def test_get_file_with_unknown_file_id_is_bad_request(api: FakeBotAPI, bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)invalid file_id"):
        await bot.get_file("nope")


async def test_edit_message_text_and_answer_callback_query(api: FakeBotAPI, bot: Bot) -> None:
    sent = await bot.send_message(USER_ID, "Меню", reply_markup=inline_keyboard("a"))
    update_id = api.push_update(api.make_callback_update(USER_ID, "a"))
    (update,) = await bot.get_updates(timeout=0)
    query = update.callback_query
    assert update.update_id == update_id
    assert query is not None and query.message is not None
    assert query.message.message_id == sent.message_id

    assert await query.answer("Готово") is True
    edited = await query.edit_message_text("Избрахте a")

    assert isinstance(edited, type(sent))
    assert edited.text == "Избрахте a" and edited.reply_markup is None
    assert edited.edit_date is not None
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await query.answer()
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await query.edit_message_text("Избрахте a")
    assert api.sent_texts(USER_ID) == ["Меню", "Избрахте a"]


async def test_edit_unknown_message_is_bad_request(api: FakeBotAPI, bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("x", chat_id=USER_ID, message_id=999)


# ---- updates -----------------------------------------------------------------------------


async def test_get_updates_honours_offset(api: FakeBotAPI, bot: Bot) -> None:
    first = api.push_update(api.make_message_update(USER_ID, "/start"))
    second = api.push_update(api.make_message_update(USER_ID, "здравей"))
    third = api.push_update(api.make_location_update(USER_ID, 42.69, 23.32))

    everything = await bot.get_updates(timeout=0)
    assert [u.update_id for u in everything] == [first, second, third]
    assert second == first + 1 and third == second + 1

    rest = await bot.get_updates(offset=second, timeout=0)
    assert [u.update_id for u in rest] == [second, third]
    await api.wait_for_confirmed(first, timeout=1)

    assert [u.update_id for u in await bot.get_updates(timeout=0)] == [second, third]
    assert await bot.get_updates(offset=third + 1, timeout=0) == ()
    assert api.pending_updates == []


async def test_get_updates_limit_and_negative_offset(api: FakeBotAPI, bot: Bot) -> None:
    ids = [api.push_update(api.make_message_update(USER_ID, str(i))) for i in range(4)]

    assert [u.update_id for u in await bot.get_updates(limit=2, timeout=0)] == ids[:2]
    assert [u.update_id for u in await bot.get_updates(offset=-1, timeout=0)] == ids[3:]
    await api.wait_for_confirmed(ids[2], timeout=1)


async def test_get_updates_filters_allowed_updates(api: FakeBotAPI, bot: Bot) -> None:
    api.push_update(api.make_message_update(USER_ID, "hi"))
    wanted = api.push_update(api.make_callback_update(USER_ID, "x"))

    updates = await bot.get_updates(timeout=0, allowed_updates=["callback_query"])

    assert [u.update_id for u in updates] == [wanted]


async def test_long_poll_returns_as_soon_as_an_update_is_pushed(api: FakeBotAPI, bot: Bot) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=30, read_timeout=40))
    await api.wait_for_polling(timeout=5)

    update_id = api.push_update(api.make_message_update(USER_ID, "/help"))

    updates = await asyncio.wait_for(poll, timeout=5)
    assert [u.update_id for u in updates] == [update_id]
    assert updates[0].message is not None and updates[0].message.text == "/help"


async def test_made_updates_are_valid_for_the_spec_and_ptb(api: FakeBotAPI, bot: Bot) -> None:
    made = {
        "message": api.make_message_update(USER_ID, "/start@citizen_test_bot payload"),
        "callback": api.make_callback_update(USER_ID, "menu:1", message_id=7),
        "location": api.make_location_update(USER_ID, 42.69, 23.32),
        "photo": api.make_photo_update(USER_ID, "AgAC-big", width=1280, height=960, file_size=9),
        "contact": api.make_contact_update(USER_ID, "+359888123456"),
        "blocked": api.make_my_chat_member_update(USER_ID),
    }
    for name, update in made.items():
        update_id = api.push_update(update)
        assert spec_problems(api, {"update_id": update_id, **update}, "Update") == [], name

    updates = {name: u for name, u in zip(made, await bot.get_updates(timeout=0), strict=True)}

    message = updates["message"].message
    assert message is not None
    assert message.chat.id == USER_ID and message.from_user is not None
    assert message.from_user.language_code == "bg"
    assert message.parse_entities() == {message.entities[0]: "/start@citizen_test_bot"}
    assert updates["callback"].callback_query.data == "menu:1"  # type: ignore[union-attr]
    assert updates["location"].message.location.latitude == 42.69  # type: ignore[union-attr]
    assert updates["photo"].message.photo[-1].file_id == "AgAC-big"  # type: ignore[union-attr]
    assert updates["contact"].message.contact.user_id == USER_ID  # type: ignore[union-attr]
    member = updates["blocked"].my_chat_member
    assert member is not None and member.new_chat_member.status == "kicked"
    assert all(isinstance(u, Update) for u in updates.values())


async def test_sent_messages_are_valid_for_the_spec(api: FakeBotAPI, bot: Bot) -> None:
    await bot.send_message(USER_ID, "hi", reply_markup=inline_keyboard("x"))
    status, body = await post_raw(api, "sendMessage", json={"chat_id": USER_ID, "text": "raw"})

    assert status == 200
    assert spec_problems(api, body["result"], "Message") == []


async def test_blocked_user_gets_forbidden(api: FakeBotAPI, bot: Bot) -> None:
    api.push_update(api.make_my_chat_member_update(USER_ID, "kicked"))

    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(USER_ID, "hello?")

    api.push_update(api.make_my_chat_member_update(USER_ID, "member"))
    assert (await bot.send_message(USER_ID, "welcome back")).text == "welcome back"


# ---- commands and webhook -------------------------------------------------------------------


async def test_set_my_commands_per_language(api: FakeBotAPI, bot: Bot) -> None:
    bulgarian = [BotCommand("start", "Начало"), BotCommand("report", "Подай сигнал")]
    english = [BotCommand("start", "Start")]

    await bot.set_my_commands(bulgarian, language_code="bg")
    await bot.set_my_commands(english)

    assert await bot.get_my_commands(language_code="bg") == tuple(bulgarian)
    assert await bot.get_my_commands() == tuple(english)
    assert await bot.get_my_commands(language_code="de") == ()
    assert await bot.get_my_commands(scope=BotCommandScopeAllPrivateChats()) == ()
    assert api.commands(language_code="bg") == [c.to_dict() for c in bulgarian]

    await bot.delete_my_commands(language_code="bg")
    assert await bot.get_my_commands(language_code="bg") == ()
    assert await bot.get_my_commands() == tuple(english)


async def test_invalid_bot_command_is_rejected(api: FakeBotAPI, bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand("Start", "Uppercase is not allowed")])
    assert len(api.violations) == 1


async def test_webhook_blocks_get_updates_until_deleted(api: FakeBotAPI, bot: Bot) -> None:
    assert await bot.set_webhook("https://city.example/tg", allowed_updates=["message"])
    info = await bot.get_webhook_info()
    assert info.url == "https://city.example/tg"
    assert info.allowed_updates == ("message",)

    with pytest.raises(Conflict, match="webhook is active"):
        await bot.get_updates(timeout=0)

    assert await bot.delete_webhook()
    assert (await bot.get_webhook_info()).url == ""
    assert await bot.get_updates(timeout=0) == ()


# ---- validation --------------------------------------------------------------------------


async def test_unknown_parameter_is_rejected(api: FakeBotAPI) -> None:
    status, body = await post_raw(
        api, "sendMessage", json={"chat_id": USER_ID, "text": "hi", "chatid": 1}
    )

    assert status == 400
    assert body["ok"] is False and body["error_code"] == 400
    assert body["description"].startswith("Bad Request: ")
    assert "unknown parameter 'chatid'" in body["description"]
    assert api.violations == ["sendMessage: unknown parameter 'chatid' (did you mean 'chat_id'?)"]
    assert api.calls == []


async def test_missing_required_parameter_is_rejected(api: FakeBotAPI) -> None:
    status, body = await post_raw(api, "sendMessage", data={"chat_id": str(USER_ID)})

    assert status == 400
    assert api.violations == ["sendMessage: missing required parameter 'text'"]
    assert "missing required parameter 'text'" in body["description"]


async def test_unknown_method_is_rejected(api: FakeBotAPI) -> None:
    status, _ = await post_raw(api, "sendMesage", json={"chat_id": USER_ID, "text": "hi"})

    assert status == 400
    assert api.violations == ["unknown method 'sendMesage'"]


@pytest.mark.parametrize(
    ("params", "problem"),
    [
        ({"chat_id": [1], "text": "x"}, "chat_id must be Integer or String"),
        ({"chat_id": 1, "text": "x", "disable_notification": "yes"}, "must be Boolean"),
        ({"chat_id": 1, "text": "x", "reply_markup": "[]"}, "reply_markup must be"),
        ({"chat_id": 1, "text": ""}, "message text is empty"),
        ({"chat_id": 1, "text": "x" * 4097}, "message is too long"),
    ],
)
async def test_wrongly_typed_or_sized_values_are_rejected(
    api: FakeBotAPI, params: dict[str, Any], problem: str
) -> None:
    status, body = await post_raw(api, "sendMessage", json=params)

    assert status == 400
    assert problem in body["description"]
    assert len(api.violations) == 1 and problem in api.violations[0]


async def test_integer_or_string_accepts_both_and_html_tags_do_not_count(
    api: FakeBotAPI,
) -> None:
    long_html = "<b>" + "я" * 4096 + "</b>"
    form = {"chat_id": "@city_channel", "text": long_html, "parse_mode": "HTML"}

    status, _ = await post_raw(api, "sendMessage", data=form)

    assert status == 200
    assert api.calls_to("sendMessage")[0].params["chat_id"] == "@city_channel"
    assert api.violations == []


async def test_callback_data_is_limited_to_64_bytes(api: FakeBotAPI, bot: Bot) -> None:
    await bot.send_message(USER_ID, "ok", reply_markup=inline_keyboard("x" * 64))
    assert api.violations == []

    with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
        await bot.send_message(USER_ID, "too long", reply_markup=inline_keyboard("ж" * 33))

    assert len(api.violations) == 1
    assert "inline_keyboard[0][0].callback_data must be 1-64 bytes, got 66" in api.violations[0]
    assert len(api.calls_to("sendMessage")) == 1


async def test_inline_button_needs_exactly_one_action(api: FakeBotAPI) -> None:
    no_action = {"inline_keyboard": [[{"text": "nothing"}]]}
    two_actions = {"inline_keyboard": [[{"text": "two", "url": "https://x", "callback_data": "y"}]]}

    for markup in (no_action, two_actions):
        status, _ = await post_raw(
            api,
            "sendMessage",
            data={"chat_id": "1", "text": "t", "reply_markup": json.dumps(markup)},
        )
        assert status == 400

    assert len(api.violations) == 2
    assert all("must use exactly one of" in violation for violation in api.violations)


async def test_answer_callback_query_text_is_limited(api: FakeBotAPI, bot: Bot) -> None:
    api.push_update(api.make_callback_update(USER_ID, "x"))
    (update,) = await bot.get_updates(timeout=0)
    assert update.callback_query is not None

    with pytest.raises(BadRequest, match="at most 200 characters"):
        await update.callback_query.answer("я" * 201)
    assert await update.callback_query.answer("я" * 200) is True


# ---- fault injection ---------------------------------------------------------------------


async def test_429_surfaces_as_retry_after(api: FakeBotAPI, bot: Bot) -> None:
    api.fail_next("sendMessage", 429, retry_after=7)

    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(USER_ID, "first try")

    assert retry_after_seconds(caught.value) == 7
    assert (await bot.send_message(USER_ID, "second try")).text == "second try"
    assert [call.params["text"] for call in api.failed_calls] == ["first try"]
    assert api.sent_texts() == ["second try"]


async def test_403_surfaces_as_forbidden(api: FakeBotAPI, bot: Bot) -> None:
    api.fail_next("sendMessage", 403, times=2)

    for _ in range(2):
        with pytest.raises(Forbidden, match="bot was blocked by the user"):
            await bot.send_message(USER_ID, "hi")
    assert (await bot.send_message(USER_ID, "hi")).text == "hi"


async def test_5xx_surfaces_as_network_error(api: FakeBotAPI, bot: Bot) -> None:
    api.fail_next("getMe", 502)

    with pytest.raises(NetworkError, match="Bad Gateway"):
        await bot.get_me()


async def test_rate_limit_answers_429_for_send_methods(api: FakeBotAPI, bot: Bot) -> None:
    now = 1000.0
    api.clock = lambda: now
    api.set_rate_limit(2)

    await bot.send_message(USER_ID, "1")
    api.add_file("file-id", b"jpeg bytes")
    await bot.send_photo(USER_ID, "file-id")
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(USER_ID, "3")
    await bot.send_chat_action(USER_ID, "typing")  # not a send method

    assert retry_after_seconds(caught.value) == 1
    assert api.rate_limited == 1
    now += 1.0
    assert (await bot.send_message(USER_ID, "3")).text == "3"


# ---- synchronisation ---------------------------------------------------------------------


async def test_wait_for_calls_resolves_when_calls_arrive(api: FakeBotAPI, bot: Bot) -> None:
    async def send_later() -> None:
        await api.wait_for_calls("getMe", 2)
        for text in ("a", "b"):
            await bot.send_message(USER_ID, text)

    sender = asyncio.create_task(send_later())
    await bot.get_me()

    calls = await api.wait_for_calls("sendMessage", 2, timeout=5)

    assert [call.params["text"] for call in calls] == ["a", "b"]
    await sender


async def test_wait_for_calls_times_out_with_a_helpful_message(api: FakeBotAPI, bot: Bot) -> None:
    await bot.send_message(USER_ID, "only one")

    with pytest.raises(TimeoutError, match=r"expected 2 call\(s\) to sendMessage.*got 1") as error:
        await api.wait_for_calls("sendmessage", 2, timeout=0.01)

    assert "text='only one'" in str(error.value)


async def test_helpers_reject_unknown_method_names(api: FakeBotAPI) -> None:
    with pytest.raises(ValueError, match="not a Bot API method"):
        api.fail_next("sendMesage", 500)


async def test_application_polling_end_to_end(api: FakeBotAPI) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_chat is not None
        await context.bot.send_message(update.effective_chat.id, f"echo {update.effective_chat.id}")

    application = (
        Application.builder()
        .token(api.token)
        .base_url(api.base_url)
        .base_file_url(api.base_file_url)
        .build()
    )
    application.add_handler(CommandHandler("start", start))
    update_id = api.push_update(api.make_message_update(USER_ID, "/start"))

    async with application:
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(timeout=30)
        await api.wait_for_calls("sendMessage", 1, timeout=5)
        await api.wait_for_confirmed(update_id, timeout=5)
        await application.updater.stop()
        await application.stop()

    assert api.sent_texts(USER_ID) == [f"echo {USER_ID}"]
    assert api.violations == []
