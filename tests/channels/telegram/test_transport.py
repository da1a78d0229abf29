"""python-telegram-bot over our aiohttp transport: requests as the Bot API expects them
(checked by the fake against the spec), uploads as multipart, errors as PTB's own."""

from __future__ import annotations

import asyncio

import pytest
from aiohttp import web
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.channels.telegram.transport import AiohttpRequest
from tests.fakes.telegram_api import BotAPIError, FakeBotAPI

TOKEN = "123456:TRANSPORT-TEST"


@pytest.fixture
async def api():
    async with FakeBotAPI(token=TOKEN) as fake:
        yield fake


@pytest.fixture
async def bot(api: FakeBotAPI):
    async with Bot(TOKEN, base_url=api.base_url, request=AiohttpRequest()) as b:
        yield b


async def test_text_with_cyrillic_and_a_keyboard(api: FakeBotAPI, bot: Bot):
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Да ✅", callback_data="yes:1")]])
    sent = await bot.send_message(chat_id=42, text="Здравейте 👋", reply_markup=markup)
    assert sent.text == "Здравейте 👋"
    (call,) = api.calls_to("sendMessage")
    assert call.params["chat_id"] == 42
    assert call.params["text"] == "Здравейте 👋"
    assert call.params["reply_markup"] == {
        "inline_keyboard": [[{"text": "Да ✅", "callback_data": "yes:1"}]]
    }


async def test_a_call_without_files_is_one_json_document():
    received: list[tuple[str, object]] = []

    async def record(request: web.Request) -> web.Response:
        if request.path.endswith("/getMe"):
            me = {"id": 1, "is_bot": True, "first_name": "Bot", "username": "bot"}
            return web.json_response({"ok": True, "result": me})
        received.append((request.content_type, await request.json()))
        return web.json_response({"ok": True, "result": True})

    app = web.Application()
    app.router.add_post("/{tail:.*}", record)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        async with Bot(
            TOKEN, base_url=f"http://127.0.0.1:{port}/bot", request=AiohttpRequest()
        ) as bot:
            markup = InlineKeyboardMarkup([[InlineKeyboardButton("Да", callback_data="y")]])
            await bot.set_my_commands([("help", "Помощ")])
            await bot.edit_message_reply_markup(chat_id=42, message_id=7, reply_markup=markup)
    finally:
        await runner.cleanup()
    assert received == [
        ("application/json", {"commands": [{"command": "help", "description": "Помощ"}]}),
        (
            "application/json",
            {
                "chat_id": 42,
                "message_id": 7,
                "reply_markup": {"inline_keyboard": [[{"text": "Да", "callback_data": "y"}]]},
            },
        ),
    ]


async def test_an_upload_goes_as_multipart(api: FakeBotAPI, bot: Bot):
    await bot.send_document(
        chat_id=42, document=b'{"a": 1}', filename="мои-данни.json", caption="Вашите данни"
    )
    (call,) = api.calls_to("sendDocument")
    assert call.params["caption"] == "Вашите данни"
    assert list(call.files.values()) == [b'{"a": 1}']
    assert list(call.file_names.values()) == ["мои-данни.json"]


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (BotAPIError(403, "Forbidden: bot was blocked by the user"), Forbidden),
        (BotAPIError(400, "Bad Request: chat not found"), BadRequest),
        (BotAPIError(429, "Too Many Requests: retry after 7", retry_after=7), RetryAfter),
        (BotAPIError(502, "Bad Gateway"), NetworkError),
    ],
)
async def test_api_errors_become_ptb_errors(api: FakeBotAPI, bot: Bot, error, expected):
    def fail(call):
        raise error

    api.set_handler("sendMessage", fail)
    with pytest.raises(expected):
        await bot.send_message(chat_id=42, text="x")


async def test_a_server_that_does_not_answer_times_out():
    release = asyncio.Event()

    async def hang(request: web.Request) -> web.Response:
        await release.wait()
        return web.json_response({"ok": True, "result": True})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", hang)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    request = AiohttpRequest(read_timeout=0.2)
    await request.initialize()
    try:
        with pytest.raises(TimedOut):
            await request.post(f"http://127.0.0.1:{port}/bot{TOKEN}/getMe")
    finally:
        release.set()
        await request.shutdown()
        await runner.cleanup()


async def test_a_refused_connection_is_a_network_error():
    request = AiohttpRequest()
    await request.initialize()
    try:
        with pytest.raises(NetworkError):
            await request.post(f"http://127.0.0.1:9/bot{TOKEN}/getMe")
    finally:
        await request.shutdown()
