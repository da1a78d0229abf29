"""Real callback payloads in → the exact neutral message out (or nothing)."""

from __future__ import annotations

import pytest

from bot.channels.viber.convert import MalformedEvent, to_incoming
from bot.core.messages import Address, IncomingMessage, Kind, MediaRef
from tests.channels.viber.conftest import fixture_names, load_event

IVAN = Address("viber", "nv4TjPQhE+MC2Hj4T1hC5A==")
MARIA = Address("viber", "Ox9/kXg3Vx4N0tQ2kL0hJw==")
TOKEN = 5741311803571721000  # the fixtures' message_tokens follow on from here
PICTURE = (
    "https://dl-media.viber.com/1/share/2/long/vibes/icon/image/0x0/95e0/"
    "5688fdffdaa81e1a3bb5e4d4d1ef0d4d2fb5e3f3e5bdfe1c3f5d7a3c8e7b9b5f.jpg"
)


def ivan(token: int, kind: Kind, **fields: object) -> IncomingMessage:
    return IncomingMessage(IVAN, kind, language="bg", external_id=str(TOKEN + token), **fields)


def maria(token: int, kind: Kind, **fields: object) -> IncomingMessage:
    return IncomingMessage(MARIA, kind, language="en", external_id=str(TOKEN + token), **fields)


EXPECTED: dict[str, IncomingMessage | None] = {
    "text": ivan(88, Kind.TEXT, text="Има дупка на пътя"),
    "text_cyrillic_emoji": maria(89, Kind.TEXT, text="Благодаря! 👍🏻 Работи 🇧🇬"),
    "command_args": ivan(
        91,
        Kind.COMMAND,
        text="/Report  ул. Граф Игнатиев 5 ",
        command="report",
        args="ул. Граф Игнатиев 5",
    ),
    "command_botname": ivan(92, Kind.COMMAND, text="/help@sofia_bot", command="help"),
    "start_text_deep_link": maria(93, Kind.STARTED, payload="poster-lozenets_42"),
    # At this level a keyboard tap is text; the channel knows our payloads (test_adapter).
    "keyboard_tap": maria(94, Kind.TEXT, text="lang:en"),
    "picture": ivan(
        95, Kind.PHOTO, text="Счупена пейка", photo=MediaRef("viber", PICTURE, size=164732)
    ),
    "location": ivan(96, Kind.LOCATION, location=(42.697708, 23.321868)),
    "contact": ivan(97, Kind.CONTACT, phone="+359888123456"),
    "conversation_started": maria(102, Kind.STARTED),
    "conversation_started_deep_link": ivan(103, Kind.STARTED, payload="survey_12"),
    "subscribed": maria(104, Kind.STARTED),
    "unsubscribed": IncomingMessage(IVAN, Kind.STOPPED, external_id=str(TOKEN + 105)),
    # Content the bot cannot use still reaches the dispatcher, so it gets an answer.
    "text_whitespace": ivan(90, Kind.UNSUPPORTED),
    "sticker": maria(98, Kind.UNSUPPORTED),
    "video": ivan(99, Kind.UNSUPPORTED),
    "file": ivan(100, Kind.UNSUPPORTED),
    "url": maria(101, Kind.UNSUPPORTED),
    # Nothing the citizen said.
    "delivered": None,
    "seen": None,
    "failed": None,
    "webhook": None,
}


def test_every_fixture_has_an_expectation():
    assert sorted(EXPECTED) == fixture_names()


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_callback_to_incoming_message(name: str):
    assert to_incoming(load_event(name)) == EXPECTED[name]


def test_unknown_event_is_nothing():
    event = load_event("webhook")
    event["event"] = "client_status"
    assert to_incoming(event) is None


def test_unknown_message_type_is_unsupported():
    event = load_event("text")
    event["message"] = {"type": "rich_media", "rich_media": {"Buttons": []}}
    assert to_incoming(event) == ivan(88, Kind.UNSUPPORTED)


def test_sender_without_language():
    event = load_event("text")
    del event["sender"]["language"]
    msg = to_incoming(event)
    assert msg is not None and msg.language is None


def test_deep_link_longer_than_a_payload_is_ignored():
    event = load_event("conversation_started_deep_link")
    event["context"] = "x" * 65
    assert to_incoming(event) == ivan(103, Kind.STARTED)
    event["context"] = "я" * 32  # 64 bytes
    assert to_incoming(event) == ivan(103, Kind.STARTED, payload="я" * 32)


def test_location_without_numbers_is_unsupported():
    event = load_event("location")
    event["message"]["location"] = {"lat": "42.69", "lon": None}
    assert to_incoming(event) == ivan(96, Kind.UNSUPPORTED)


def test_slash_alone_or_in_the_middle_is_text():
    event = load_event("text")
    for text in ("/", "see /help", "/ help", "/помощ"):
        event["message"]["text"] = text
        assert to_incoming(event) == ivan(88, Kind.TEXT, text=text)


def test_start_without_payload():
    event = load_event("text")
    event["message"]["text"] = "/START"
    assert to_incoming(event) == ivan(88, Kind.STARTED)


@pytest.mark.parametrize(
    ("name", "change"),
    [
        ("text", lambda e: e.pop("message_token")),
        ("text", lambda e: e.update(message_token="5741311803571721088")),
        ("text", lambda e: e.pop("sender")),
        ("text", lambda e: e["sender"].update(id="")),
        ("text", lambda e: e.update(message="hi")),
        ("conversation_started", lambda e: e.pop("user")),
        ("subscribed", lambda e: e["user"].pop("id")),
        ("unsubscribed", lambda e: e.pop("user_id")),
    ],
)
def test_malformed_callbacks_are_refused(name: str, change):
    event = load_event(name)
    change(event)
    with pytest.raises(MalformedEvent):
        to_incoming(event)
