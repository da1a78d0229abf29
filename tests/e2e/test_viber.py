"""The real bot on Viber: signed callbacks to /viber/webhook, the fake REST API answering,
on SQLite and PostgreSQL. 200 only once an event is durable; forged callbacks change nothing.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import socket
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from PIL import Image
from sqlmodel import select

from bot.app import CitizenBot
from bot.channels.viber import ViberChannel
from bot.channels.viber.adapter import WEBHOOK_PATH
from bot.channels.viber.convert import EVENT_TYPES
from bot.channels.viber.render import Sender
from bot.config import ConfigError, Settings
from bot.core.channel import ChannelUnavailable, MediaTooLarge, SendResult, SendStatus
from bot.core.messages import Address, Button, MediaRef, Reply
from storage.db import Database
from storage.models import Citizen
from storage.repos import conversations
from tests.conftest import Clock
from tests.dbs import postgres_outage
from tests.e2e.conftest import database_down
from tests.fakes.viber_api import FakeViberAPI
from tests.viber_chat import PUBLIC_URL, ViberChat, viber_settings

StartBot = Callable[..., Awaitable[CitizenBot]]


@pytest.fixture
def api(viber_api: FakeViberAPI) -> FakeViberAPI:
    return viber_api


@pytest.fixture
def start(start_viber: StartBot) -> StartBot:
    return start_viber


@pytest.fixture
async def app(start: StartBot) -> CitizenBot:
    return await start()


@pytest.fixture
def chat(app: CitizenBot, api: FakeViberAPI) -> ViberChat:
    return ViberChat(api)


def viber_of(app: CitizenBot) -> ViberChannel:
    (channel,) = (c for c in app.channels if isinstance(c, ViberChannel))
    return channel


async def citizens_in(db_url: str) -> list[Citizen]:
    db = Database(db_url)
    try:
        async with db.sessions() as session:
            return list((await session.exec(select(Citizen))).all())
    finally:
        await db.dispose()


def jpeg_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(out, "JPEG")
    return out.getvalue()


def menu_keyboard(labels: list[tuple[str, str]]) -> dict[str, Any]:
    return {
        "Type": "keyboard",
        "DefaultHeight": False,
        "InputFieldState": "regular",
        "Buttons": [
            {
                "Columns": 3,
                "Rows": 1,
                "ActionType": "reply",
                "ActionBody": payload,
                "Silent": True,
                "Text": label,
                "TextSize": "regular",
            }
            for label, payload in labels
        ],
    }


LANGUAGES = menu_keyboard([("Български", "lang:bg"), ("English", "lang:en")])


# -- start-up -------------------------------------------------------------------------------


async def test_start_up_calls(app: CitizenBot, api: FakeViberAPI):
    assert [c.method for c in api.calls] == ["get_account_info", "set_webhook"]
    assert api.calls_to("set_webhook")[0].body == {
        "url": f"{PUBLIC_URL}{WEBHOOK_PATH}",
        "event_types": list(EVENT_TYPES),
        "send_name": False,
        "send_photo": False,
    }
    # Viber checked the webhook with a signed `webhook` event before accepting it.
    assert api.webhook == {"url": f"{PUBLIC_URL}{WEBHOOK_PATH}", "event_types": list(EVENT_TYPES)}
    assert viber_of(app).sender == Sender(api.account_name)


async def test_configured_sender_is_on_every_message(start: StartBot, api: FakeViberAPI):
    avatar = "https://bot.example.org/static/avatar.jpg"
    app = await start(viber_bot_name="Столична община", viber_bot_avatar=avatar)
    user = api.user("u1")
    api.subscribed.add(user.id)
    channel = viber_of(app)
    reply = Reply("д" * 7001, buttons=((Button("❓ Help", payload="menu:help"),),))
    result = await channel.send(Address("viber", user.id), reply)
    last = api.calls_to("send_message")[-1].message_token
    assert result == SendResult(SendStatus.OK, message_id=str(last), messages=2)
    senders = [m["sender"] for m in api.messages_to(user.id)]
    assert senders == [{"name": "Столична община", "avatar": avatar}] * 2


STRANGER_TOKEN = "0123456789abcdef-0123456789abcdef-0123456789abcdef"  # not the fake's


async def test_a_token_viber_refuses_is_a_config_error(start: StartBot, api: FakeViberAPI):
    with pytest.raises(ConfigError) as info:
        await start(viber_auth_token=STRANGER_TOKEN)
    assert str(info.value) == "VIBER_AUTH_TOKEN: Viber refused it (status 2: invalidAuthToken)"
    assert not api.calls


async def test_a_refused_webhook_is_a_config_error(start: StartBot, api: FakeViberAPI):
    api.fail_next("set_webhook", 1, message="invalidUrl")
    with pytest.raises(ConfigError, match=r"^VIBER_WEBHOOK_URL: Viber refused it \(status 1"):
        await start()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_a_viber_api_that_cannot_be_reached_stops_the_start(start: StartBot):
    unreachable = f"http://127.0.0.1:{_closed_port()}/pa"
    with pytest.raises(ChannelUnavailable) as info:
        await start(viber_api_base_url=unreachable)
    assert str(info.value).startswith("viber: could not start (get_account_info: ")


async def _run_cli(tmp_path: Path, api_base_url: str) -> tuple[int, str]:
    """`citizenbot run` with a Viber token the fake does not know; its exit code and stderr."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "VIBER_"))}
    env |= {
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/bot.db",
        "DATA_DIR": str(tmp_path / "data"),
        "HTTP_PORT": "0",
        "HTTP_PUBLIC_URL": PUBLIC_URL,
        "VIBER_AUTH_TOKEN": STRANGER_TOKEN,
        "VIBER_API_BASE_URL": api_base_url,
        "VIBER_WEBHOOK_URL": f"{PUBLIC_URL}{WEBHOOK_PATH}",
        "LOG_LEVEL": "ERROR",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, stderr.decode()


async def test_an_unreachable_viber_api_stops_the_command_line_with_one_line(tmp_path: Path):
    """Exit 1 (not a configuration error): systemd's Restart= tries again later."""
    code, stderr = await _run_cli(tmp_path, f"http://127.0.0.1:{_closed_port()}/pa")
    assert code == 1
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(
        "citizenbot: viber: could not start (get_account_info: "
    ), lines
    assert STRANGER_TOKEN not in stderr


async def test_bad_token_stops_the_command_line_with_one_line(api: FakeViberAPI, tmp_path: Path):
    code, stderr = await _run_cli(tmp_path, api.base_url)
    assert code == 2
    assert stderr.strip().splitlines() == [
        "citizenbot: configuration error: VIBER_AUTH_TOKEN: Viber refused it "
        "(status 2: invalidAuthToken)"
    ]
    assert STRANGER_TOKEN not in stderr


# -- onboarding -----------------------------------------------------------------------------


async def test_the_welcome_is_the_answer_to_conversation_started(
    app: CitizenBot, api: FakeViberAPI, chat: ViberChat
):
    t, city = app.translator.translate, app.city.name
    user = chat.user("u1")
    (reply,) = await chat.say("/start")  # conversation_started
    welcome = {
        "sender": {"name": api.account_name},
        "type": "text",
        "text": t("bg", "start.welcome", city=city("bg")),
        "keyboard": LANGUAGES,
        "min_api_version": 7,
    }
    assert api.welcomes == [welcome]
    assert reply.text == welcome["text"]
    assert [b.label for b in reply.all_buttons] == ["Български", "English"]
    assert not api.calls_to("send_message")  # not subscribed: only the welcome may be sent

    # The citizen taps English: a message, which subscribes them; the rest is sent.
    privacy, menu = await chat.tap("English")
    assert privacy.text == t("en", "privacy.notice", months=24)
    assert menu.text == "What would you like to do?"
    assert [b.label for b in menu.all_buttons][:2] == ["📍 Report a problem", "📋 My reports"]
    assert api.messages_to(user.id)[0] == {
        "receiver": user.id,
        "sender": {"name": api.account_name},
        "type": "text",
        "text": t("en", "privacy.notice", months=24),
    }

    # /start typed later is the same onboarding, now as a sent message.
    await api.post(api.text(user, "/start"))
    restart = api.messages_to(user.id)[-1]
    assert {k: v for k, v in restart.items() if k != "receiver"} == {
        **welcome,
        "text": t("en", "start.welcome", city=city("en")),
        "keyboard": LANGUAGES,
    }


async def test_deep_link_opens_the_flow_with_its_payload(
    app: CitizenBot, api: FakeViberAPI, chat: ViberChat, db_url: str
):
    user = chat.user("u1")
    delivery = await api.post(api.conversation_started(user, context="survey_12"))
    assert delivery.json is not None
    assert delivery.json["text"].startswith("Здравейте! 👋")
    db = Database(db_url)
    try:
        async with db.sessions() as session:
            row = await conversations.load(session, channel="viber", user_id=user.id)
    finally:
        await db.dispose()
    assert row.state == "onboarding" and row.data["deep_link"] == "survey_12"


async def test_subscribing_starts_the_onboarding(app: CitizenBot, api: FakeViberAPI):
    user = api.user("u1")
    assert (await api.post(api.subscribed_event(user))).status == 200
    (welcome,) = api.messages_to(user.id)
    assert welcome["text"].startswith("Здравейте! 👋") and welcome["keyboard"] == LANGUAGES


async def test_client_language_is_used_until_one_is_chosen(app: CitizenBot, api: FakeViberAPI):
    user = api.user("maria", language="en")
    delivery = await api.post(api.conversation_started(user))
    assert delivery.json is not None and delivery.json["text"].startswith("Hello! 👋")


# -- what arrives ---------------------------------------------------------------------------


async def test_keyboard_taps_typed_labels_and_payloads(
    app: CitizenBot, api: FakeViberAPI, chat: ViberChat
):
    await chat.say("/start")
    await chat.tap("English")
    help_text = app.translator.translate("en", "help.text", city=app.city.name("en"))
    (by_tap,) = await chat.tap("❓ Help")  # sends the payload menu:help
    assert by_tap.text == help_text
    (by_label,) = await chat.say("❓ Help")  # typed: the labels kept with the state
    assert by_label.text == help_text
    (unknown,) = await chat.say("xyz:help")  # not one of our payloads: just text
    assert unknown.text == "Sorry, we did not understand. Choose from the menu or type /help."


async def test_unsupported_content_gets_an_answer(api: FakeViberAPI, chat: ViberChat):
    await chat.say("/start")
    await chat.tap("English")
    user = chat.user("u1")
    sticker = api.message(user, {"type": "sticker", "sticker_id": 40133})
    assert (await api.post(sticker)).status == 200
    assert api.texts_to(user.id)[-1] == (
        "We cannot use this kind of message. Please send text, a photo or a location, "
        "or tap a button."
    )


async def test_redelivered_callback_is_answered_once(api: FakeViberAPI, chat: ViberChat):
    user = chat.user("u1")
    api.subscribed.add(user.id)
    event = api.text(user, "здравейте")
    assert (await api.post(event)).status == 200
    assert (await api.post(event)).status == 200
    assert len(api.messages_to(user.id)) == 1
    started = api.conversation_started(user)
    first, again = await api.post(started), await api.post(started)
    assert first.json is not None and again.status == 200 and again.json is None


async def test_delivery_statuses_are_acknowledged_and_change_nothing(
    app: CitizenBot, api: FakeViberAPI, db_url: str
):
    user = api.user("u1")
    for name in ("delivered", "seen", "failed"):
        assert (await api.post(api.status_event(name, user, 5741311803571721999))).status == 200
    assert await citizens_in(db_url) == []


# -- forged callbacks -----------------------------------------------------------------------


def _forgeries(api: FakeViberAPI, body: bytes) -> list[tuple[str | None, bytes]]:
    other_token = FakeViberAPI(token="44dafb7e0f40021e-61a47a1e6778d187-f2c5a676a07050b3")
    return [
        (None, body),  # unsigned
        ("", body),  # an empty header
        ("not hex at all", body),
        ("0" * 64, body),
        (api.sign(body)[:-1], body),
        (api.sign(body) + "0", body),
        (other_token.sign(body), body),  # signed with another bot's token
        (api.sign(body), body.replace(b"}", b',"x":1}', 1)),  # the body changed after signing
        (api.sign(b"{}"), body),
    ]


@pytest.mark.parametrize("case", range(9))
async def test_forged_or_unsigned_callbacks_are_refused(
    app: CitizenBot, api: FakeViberAPI, db_url: str, case: int
):
    user = api.user("u1")
    event = api.conversation_started(user)
    body = json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode()
    signature, raw = _forgeries(api, body)[case]
    delivery = await api.post(event, raw=raw, signature=signature, signed=False)
    assert delivery.status == 403
    assert await citizens_in(db_url) == []  # nothing processed or recorded
    assert not api.welcomes and not api.calls_to("send_message")
    # The genuine delivery is handled normally.
    genuine = await api.post(event)
    assert genuine.status == 200 and genuine.json is not None


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b"[1, 2, 3]",
        b'"message"',
        b'{"event": 5}',
        b'{"event": "message", "message_token": 1, "message": {"type": "text", "text": "hi"}}',
        b'{"event": "unsubscribed", "message_token": "1", "user_id": "x"}',
        b"[" * 2000 + b"]" * 2000,  # deep enough for a RecursionError in json.loads
    ],
)
async def test_signed_junk_is_a_bad_request(
    app: CitizenBot, api: FakeViberAPI, db_url: str, body: bytes
):
    assert (await api.post({}, raw=body, signature=api.sign(body))).status == 400
    assert await citizens_in(db_url) == []


# -- durability -----------------------------------------------------------------------------


async def test_database_down_is_503_and_viber_retries(
    app: CitizenBot, api: FakeViberAPI, chat: ViberChat
):
    user = chat.user("u1")
    started = api.conversation_started(user)
    text = api.text(user, "здравейте")
    async with database_down(app.db):
        assert (await api.post(started)).status == 503
        assert (await api.post(text)).status == 503
    assert not api.welcomes and not api.calls_to("send_message")
    delivery = await api.post(started)  # Viber's redelivery
    assert delivery.status == 200 and delivery.json is not None
    assert delivery.json["text"].startswith("Здравейте!")
    assert (await api.post(text)).status == 200
    assert api.texts_to(user.id) == [
        app.translator.translate("bg", "start.choose_language"),
    ]


@pytest.mark.parametrize("outage", ["renamed", "closed"])
async def test_a_database_renamed_or_closed_is_503_and_viber_retries(
    app: CitizenBot, api: FakeViberAPI, chat: ViberChat, db_url: str, outage: str
):
    if db_url.startswith("sqlite"):
        pytest.skip("PostgreSQL's own ways of refusing connections")
    user = chat.user("u1")
    started = api.conversation_started(user)
    async with postgres_outage(db_url, outage):
        assert (await api.post(started)).status == 503
    assert not api.welcomes
    delivery = await api.post(started)  # Viber's redelivery
    assert delivery.status == 200 and delivery.json is not None
    assert delivery.json["text"].startswith("Здравейте!")


async def test_callbacks_before_the_channel_started_are_unavailable(
    api: FakeViberAPI, settings_factory: Callable[..., Settings], clock: Clock
):
    app = CitizenBot(settings_factory(**viber_settings(api)), clock=clock)
    await app.web.start()
    api.callback_url = f"{app.web.url}{WEBHOOK_PATH}"
    try:
        user = api.user("u1")
        assert (await api.post(api.text(user, "здравейте"))).status == 503
        assert (await api.post(api.webhook_event())).status == 200
    finally:
        await app.stop()


async def test_unsubscribing_opts_the_citizen_out(api: FakeViberAPI, chat: ViberChat, db_url: str):
    await chat.say("/start")
    await chat.tap("English")
    sent = len(api.calls_to("send_message"))
    assert (await api.post(api.unsubscribed_event(chat.user("u1")))).status == 200
    (citizen,) = await citizens_in(db_url)
    assert citizen.opted_out is True
    assert len(api.calls_to("send_message")) == sent  # nothing is said to someone who left
    # Coming back: a message subscribes again; /start (or `subscribed`) opts back in.
    await chat.say("/start")
    (citizen,) = await citizens_in(db_url)
    assert citizen.opted_out is False


async def test_no_news_reaches_someone_who_unsubscribed(
    start: StartBot, api: FakeViberAPI, tmp_path: Path
):
    chat = ViberChat(api)
    await start(admins=f"viber:{chat.user_id('admin')}")
    photo = tmp_path / "lamp.jpg"
    photo.write_bytes(jpeg_bytes())
    for user in ("u1", "admin"):
        await chat.say("/start", user=user)
        await chat.tap("English", user=user)
    await chat.say("/report")
    await chat.tap("💡 Street lighting")
    await chat.say("/loc 42.6497 23.3790")
    await chat.say("Уличната лампа пред блок 12 не свети от седмица.")
    await chat.say(f"/photo {photo}")
    await chat.tap("✅ Done")
    (filed,) = await chat.tap("✅ Send")
    public_id = filed.text.split("registered as ")[1].split(".")[0]
    assert (await api.post(api.unsubscribed_event(chat.user("u1")))).status == 200
    received = len(api.messages_to(chat.user_id("u1")))

    await chat.say(f"/report {public_id}", user="admin")
    await chat.tap("🛠️ In progress", user="admin")
    (done,) = await chat.say("A crew is on its way.", user="admin")
    assert done.text.endswith("Citizens told: 0.")
    assert len(api.messages_to(chat.user_id("u1"))) == received


# -- what leaves ----------------------------------------------------------------------------


async def test_send_results(app: CitizenBot, api: FakeViberAPI):
    channel = viber_of(app)
    user = api.user("u1")
    to = Address("viber", user.id)
    hello = Reply("Здравейте")

    assert await channel.send(to, hello) == SendResult(
        SendStatus.BLOCKED, error="status 6: receiverNotSubscribed", messages=0
    )
    api.subscribed.add(user.id)
    api.fail_next("send_message", 12)
    assert await channel.send(to, hello) == SendResult(
        SendStatus.RETRY_AFTER, error="status 12: tooManyRequests", messages=0
    )
    api.fail_next("send_message", 5)
    assert await channel.send(to, hello) == SendResult(
        SendStatus.FAILED, error="status 5: receiverNotRegistered", messages=0
    )
    assert len(api.failed_calls) == 3 and not api.calls_to("send_message")  # no hidden retries

    result = await channel.send(to, hello)
    (sent,) = api.calls_to("send_message")
    assert result == SendResult(SendStatus.OK, message_id=str(sent.message_token), messages=1)
    # The second part fails: the first one was sent (and counts).
    api.fail_next("send_message", 12, after=1)
    result = await channel.send(to, Reply("а" * 7000 + "\n\n" + "б" * 10))
    assert (result.status, result.messages) == (SendStatus.RETRY_AFTER, 1)


async def test_api_failure_is_a_failed_send(app: CitizenBot, api: FakeViberAPI):
    channel = viber_of(app)
    channel.client.base_url = f"{api.url}/nowhere"
    result = await channel.send(Address("viber", "x"), Reply("Здравейте"))
    assert (result.status, result.error) == (SendStatus.FAILED, "send_message: HTTP 404")
    await channel.stop()  # a reply still on its way when the bot stops
    result = await channel.send(Address("viber", "x"), Reply("Здравейте"))
    assert result.status is SendStatus.FAILED and "not open" in (result.error or "")


async def test_edit_sends_a_new_message(app: CitizenBot, api: FakeViberAPI):
    channel = viber_of(app)
    user = api.user("staff")
    api.subscribed.add(user.id)
    to = Address("viber", user.id)
    assert (await channel.send(to, Reply("Изпратени: 10 от 100"))).ok
    assert (await channel.edit(to, "5741311803571721090", Reply("Изпратени: 100 от 100"))).ok
    assert api.texts_to(user.id) == ["Изпратени: 10 от 100", "Изпратени: 100 от 100"]


async def test_pictures_are_hosted_under_unguessable_urls(app: CitizenBot, api: FakeViberAPI):
    channel = viber_of(app)
    user = api.user("u1")
    api.subscribed.add(user.id)
    content = jpeg_bytes()
    reply = Reply("📷 SOF-2026-000001 (1/1)", image=content)
    assert (await channel.send(Address("viber", user.id), reply)).ok
    (picture,) = api.messages_to(user.id)
    media = picture["media"]
    assert picture["type"] == "picture" and picture["text"] == "📷 SOF-2026-000001 (1/1)"
    prefix = f"{PUBLIC_URL}/media/photos/"
    assert media.startswith(prefix) and media.endswith(".jpg")
    assert len(media.removeprefix(prefix).removesuffix(".jpg")) == 32
    # Viber fetches it from our server (HTTP_PUBLIC_URL leads to it).
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{app.web.url}{media.removeprefix(PUBLIC_URL)}") as response,
    ):
        assert response.status == 200 and await response.read() == content
    # The same image again is the same file.
    assert (await channel.send(Address("viber", user.id), reply)).ok
    assert api.messages_to(user.id)[1]["media"] == media


async def test_photo_is_downloaded_through_the_channel(app: CitizenBot, api: FakeViberAPI):
    channel = viber_of(app)
    content = b"\xff\xd8\xff\xe0 a JPEG of a pothole"
    url = api.host(content)
    assert await channel.download(MediaRef("viber", url, size=len(content)), max_bytes=1024) == (
        content
    )
    with pytest.raises(MediaTooLarge):  # known size: refused without a request
        await channel.download(
            MediaRef("viber", "https://nowhere.invalid/x", size=10**9), max_bytes=1
        )
    with pytest.raises(MediaTooLarge):  # the size the server tells
        await channel.download(MediaRef("viber", url), max_bytes=len(content) - 1)
    with pytest.raises(ValueError):
        await channel.download(MediaRef("telegram", "AgACAgIAAxkBAAIB"), max_bytes=1024)


# -- bulk -----------------------------------------------------------------------------------


async def test_send_bulk_without_the_broadcast_api_sends_one_by_one(
    app: CitizenBot, api: FakeViberAPI
):
    channel = viber_of(app)
    users = [api.user(f"u{i}") for i in range(3)]
    api.subscribed |= {users[0].id, users[2].id}
    results = await channel.send_bulk([Address("viber", u.id) for u in users], Reply("Известие"))
    assert [(r.status, r.messages) for r in results] == [
        (SendStatus.OK, 1),
        (SendStatus.BLOCKED, 0),
        (SendStatus.OK, 1),
    ]
    assert channel.capabilities.bulk_size == 1
    assert [c.method for c in api.calls[2:]] == ["send_message"] * 2


async def test_send_bulk_with_the_broadcast_api(start: StartBot, api: FakeViberAPI):
    app = await start(viber_broadcast_api=True)
    channel = viber_of(app)
    users = [api.user(f"u{i}") for i in range(301)]
    api.subscribed |= {u.id for u in users}
    api.subscribed.discard(users[5].id)  # unsubscribed meanwhile
    api.fail_receiver(users[7].id, 5)  # no longer on Viber
    text = "🔔 Спиране на водата в кв. Лозенец утре от 9 до 17 ч. " * 3  # over 120 characters
    reply = Reply(text, image=jpeg_bytes())
    results = await channel.send_bulk([Address("viber", u.id) for u in users], reply)

    assert channel.capabilities.bulk_size == 300 and channel.message_count(reply) == 2
    broadcasts = api.calls_to("broadcast_message")
    # Two parts (the picture, then the text) for 300 receivers, then for the last one.
    assert [(c.body["type"], len(c.body["broadcast_list"])) for c in broadcasts] == [
        ("picture", 300),
        ("text", 298),
        ("picture", 1),
        ("text", 1),
    ]
    assert broadcasts[1].body["text"] == text.strip()
    assert results[5] == SendResult(
        SendStatus.BLOCKED, error="status 6: receiverNotSubscribed", messages=0
    )
    assert results[7] == SendResult(
        SendStatus.FAILED, error="status 5: receiverNotRegistered", messages=0
    )
    ok = [r for i, r in enumerate(results) if i not in (5, 7)]
    first, last = (str(broadcasts[i].message_token) for i in (1, 3))
    assert ok[:-1] == [SendResult(SendStatus.OK, message_id=first, messages=2)] * 298
    assert ok[-1] == SendResult(SendStatus.OK, message_id=last, messages=2)
    # What the notice cost: every Viber message accepted.
    assert sum(r.messages for r in results) == 598


async def test_a_refused_broadcast_fails_every_receiver(start: StartBot, api: FakeViberAPI):
    app = await start(viber_broadcast_api=True)
    channel = viber_of(app)
    users = [api.user(f"u{i}") for i in range(2)]
    api.fail_next("broadcast_message", 19)
    results = await channel.send_bulk([Address("viber", u.id) for u in users], Reply("Известие"))
    assert (
        results
        == [SendResult(SendStatus.FAILED, error="status 19: cannotSendBroadcast", messages=0)] * 2
    )
    api.fail_next("broadcast_message", 12)
    results = await channel.send_bulk([Address("viber", u.id) for u in users], Reply("Известие"))
    assert {r.status for r in results} == {SendStatus.RETRY_AFTER}
