"""The channel's configuration, signatures and its callback → message step (no network)."""

from __future__ import annotations

import pytest

from bot.channels.viber import ViberChannel
from bot.channels.viber.adapter import WEBHOOK_PATH, signature
from bot.config import ConfigError, load_settings
from bot.core.messages import Address, Button, IncomingMessage, Kind, Reply
from tests.channels.viber.conftest import load_event
from tests.conftest import make_settings

TOKEN = "44dafb7e0f40021e-61a47a1e6778d187-f2c5a676a07050b3"
MARIA = Address("viber", "Ox9/kXg3Vx4N0tQ2kL0hJw==")
VIBER = {
    "viber_auth_token": TOKEN,
    "viber_webhook_url": "https://bot.example.org/viber/webhook",
    "http_public_url": "https://bot.example.org",
}
PREFIXES = ("lang", "menu", "stk", "rc")


def channel(**overrides: object) -> ViberChannel:
    settings = make_settings("sqlite+aiosqlite:///:memory:", **{**VIBER, **overrides})
    return ViberChannel(settings, payload_prefixes=PREFIXES)


# -- signatures -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("token", "body", "expected"),
    [
        (  # the test vector of the issue
            TOKEN,
            b'{"event":"webhook","timestamp":4977069964384421269,"message_token":1478683725125}',
            "d21b343448c8aee33b8e93768ef6ceb64a6ba6163099973a2b8bd028fea510ef",
        ),
        (  # nyaruka/courier's test vector
            "44b935abea139fd6-53fa53b32559c4a6-12dbd3d883b06835",
            b'{"event":"unsubscribed","timestamp":1516678387902,"user_id":'
            b'"KMMqtlNTDxIm/5bZhdQ5uA==","message_token":5136431130449316903}',
            "d84d8648b402a2737838fea4da41d903d1af1aed92466b1758828ad27e31a9f9",
        ),
    ],
)
def test_signature_test_vectors(token: str, body: bytes, expected: str):
    assert signature(token, body) == expected


def test_verify_accepts_only_the_exact_signature():
    viber = channel()
    body = b'{"event":"webhook","timestamp":4977069964384421269,"message_token":1478683725125}'
    good = "d21b343448c8aee33b8e93768ef6ceb64a6ba6163099973a2b8bd028fea510ef"
    assert viber.verify(body, good)
    assert viber.verify(body, good.upper())  # hex is hex
    assert viber.verify(body, f" {good}\t")
    for bad in (None, "", good[:-1], good + "0", "0" * 64, "ж" * 64, good.replace("d", "e")):
        assert not viber.verify(body, bad)
    assert not viber.verify(body + b" ", good)


# -- configuration --------------------------------------------------------------------------


def test_routes_and_sender_before_start():
    viber = channel()
    (route,) = viber.routes()
    assert (route.method, route.path) == ("POST", WEBHOOK_PATH)  # type: ignore[attr-defined]
    assert viber.sender.name == "citizenbot"  # replaced by the account's name at start
    named = channel(viber_bot_name="Столична община", viber_bot_avatar="https://x.org/a.jpg")
    assert (named.sender.name, named.sender.avatar) == ("Столична община", "https://x.org/a.jpg")


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ("viber_auth_token", "VIBER_AUTH_TOKEN is required"),
        ("viber_webhook_url", "VIBER_WEBHOOK_URL is required"),
        ("http_public_url", "HTTP_PUBLIC_URL is required"),
    ],
)
def test_channel_needs_its_settings(missing: str, message: str):
    with pytest.raises(ConfigError, match=message):
        channel(**{missing: None})


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # no .env from the developer's checkout
    for name in ("TELEGRAM_BOT_TOKEN", "TELEGRAM_WEBHOOK_URL", "HTTP_PUBLIC_URL"):
        monkeypatch.delenv(name, raising=False)
    for name in [*VIBER, "viber_bot_name", "viber_broadcast_api", "viber_rate_limit"]:
        monkeypatch.delenv(name.upper(), raising=False)
    return monkeypatch


def test_settings_defaults(env: pytest.MonkeyPatch):
    s = load_settings()
    assert not s.viber_enabled
    assert s.viber_api_base_url == "https://chatapi.viber.com/pa"
    assert (s.viber_broadcast_api, s.viber_rate_limit, s.viber_bot_name) == (False, 20.0, None)


def test_settings_of_a_viber_bot(env: pytest.MonkeyPatch):
    for name, value in VIBER.items():
        env.setenv(name.upper(), value)
    env.setenv("VIBER_BROADCAST_API", "true")
    env.setenv("VIBER_RATE_LIMIT", "40")
    s = load_settings()
    assert s.viber_enabled and s.viber_broadcast_api and s.viber_rate_limit == 40.0


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"VIBER_BOT_NAME": "Я" * 29}, "VIBER_BOT_NAME: String should have at most 28 characters"),
        ({"VIBER_WEBHOOK_URL": "http://bot.example.org/viber/webhook"}, "VIBER_WEBHOOK_URL: must"),
        ({"VIBER_RATE_LIMIT": "0"}, "VIBER_RATE_LIMIT: Input should be greater than 0"),
        ({"VIBER_BOT_AVATAR": "avatar.jpg"}, "VIBER_BOT_AVATAR: must be an http(s) URL"),
        ({"VIBER_AUTH_TOKEN": ""}, "VIBER_WEBHOOK_URL is set but VIBER_AUTH_TOKEN is not"),
        ({"VIBER_WEBHOOK_URL": ""}, "VIBER_WEBHOOK_URL is required with VIBER_AUTH_TOKEN"),
        ({"HTTP_PUBLIC_URL": ""}, "HTTP_PUBLIC_URL is required with VIBER_AUTH_TOKEN"),
    ],
)
def test_invalid_viber_settings_name_the_variable(
    env: pytest.MonkeyPatch, values: dict[str, str], expected: str
):
    for name, value in {**{k.upper(): v for k, v in VIBER.items()}, **values}.items():
        env.setenv(name, value)
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert str(info.value).startswith(expected)
    assert "\n" not in str(info.value)


# -- callbacks → messages -------------------------------------------------------------------


def test_a_keyboard_tap_becomes_a_button():
    assert channel().to_message(load_event("keyboard_tap")) == IncomingMessage(
        MARIA,
        Kind.BUTTON,
        payload="lang:en",
        language="en",
        external_id="5741311803571721094",
    )


@pytest.mark.parametrize(
    ("text", "payload"),
    [
        ("menu:help", "menu:help"),
        (" menu:help\n", "menu:help"),
        ("stk:", "stk"),  # a payload without an argument travels with a colon
        ("rc:sofia-28", "rc:sofia-28"),
        ("stk", None),  # a bare word, even one that is a prefix: typed text
        ("menu", None),
        ("no", None),
        ("menu:help me", None),  # has a space: typed text
        ("xyz:help", None),  # not one of our prefixes
        ("Menu:help", None),
        (":", None),
        ("lang:" + "x" * 60, None),  # longer than a payload can be
        ("Има дупка", None),
    ],
)
def test_only_texts_equal_to_one_of_our_payloads_are_buttons(text: str, payload: str | None):
    event = load_event("keyboard_tap")
    event["message"]["text"] = text
    msg = channel().to_message(event)
    assert msg is not None
    if payload is None:
        assert (msg.kind, msg.text) == (Kind.TEXT, text)
    else:
        assert (msg.kind, msg.payload, msg.text) == (Kind.BUTTON, payload, "")


def test_message_count_is_what_one_recipient_costs():
    viber = channel()
    help_button = ((Button("❓", payload="menu:help"),),)
    assert viber.message_count(Reply("Известие")) == 1
    assert viber.message_count(Reply("Известие", buttons=help_button)) == 1
    assert viber.message_count(Reply("д" * 7001)) == 2
    assert viber.message_count(Reply("кратко", image=b"jpeg")) == 1
    assert viber.message_count(Reply("д" * 121, image=b"jpeg")) == 2
    assert viber.message_count(Reply(" ")) == 0
