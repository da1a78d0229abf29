"""Fuzzing the Viber path: generated callbacks, signed as Viber signs them, POSTed to the real
bot's /viber/webhook; the bot answers through the fake Viber REST API, which checks each
request (and the welcome in the answer to conversation_started) against the published API.

What must hold for every callback:
* a signed one is answered 200 when well-formed, a 4xx when malformed, never a 5xx;
* nothing is logged at ERROR or with a traceback;
* the bot's requests follow the Viber API;
* a message, a conversation_started or a subscribed event of a citizen is answered, to that
  citizen; unsubscribed, receipts, the webhook check and unknown events get no message;
* without the right X-Viber-Content-Signature: 403 and nothing processed.
"""

from __future__ import annotations

import functools
import io
from typing import Any, TypeVar

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st
from PIL import Image

from bot.channels.viber.render import action_body
from tests.fakes.viber_api import Delivery, ViberUser
from tests.fuzz.conftest import FUZZ, ViberBot, problems_logged
from tests.fuzz.values import cut, dumps, integers, json_values, mutated, not_json, texts

JSONDict = dict[str, Any]
_T = TypeVar("_T")

USERS = ("v1", "v2", "v3")
CLOSED_PORT_URL = "http://127.0.0.1:9/closed.jpg"  # loopback, nothing listens: refused at once


# -- the harness --------------------------------------------------------------------------


class Harness:
    """The bot, and what it showed each citizen (to tap its buttons)."""

    def __init__(self, bot: ViberBot) -> None:
        self.bot = bot
        self.api = bot.api
        self.users = {
            key: self.api.user(key, language=("bg", "en", "de")[i % 3])
            for i, key in enumerate(USERS)
        }
        self.welcomes: dict[str, list[str]] = {}
        jpeg, png = io.BytesIO(), io.BytesIO()
        Image.new("RGB", (64, 48), (200, 30, 30)).save(jpeg, "JPEG")
        Image.new("RGBA", (40, 40), (0, 90, 200, 128)).save(png, "PNG")
        self.media = (
            self.api.host(jpeg.getvalue(), "photo.jpg"),
            self.api.host(png.getvalue(), "photo.png"),
            self.api.host(b"%PDF-1.4 not an image", "doc.jpg"),
            CLOSED_PORT_URL,
        )

    def shown(self, user_id: str) -> tuple[str, ...]:
        """The ActionBody of every button this citizen was shown (taps send it as text)."""
        bodies = list(self.welcomes.get(user_id, []))
        for call in self.api.calls:
            if call.method == "send_message" and call.body.get("receiver") == user_id:
                bodies += _action_bodies(call.body)
        return tuple(dict.fromkeys(bodies))

    def sent_tokens(self) -> tuple[int, ...]:
        return tuple(c.message_token for c in self.api.calls if c.message_token is not None)

    async def post(
        self,
        callback: JSONDict,
        *,
        raw: bytes | None = None,
        signature: str | None = None,
        signed: bool = True,
    ) -> Delivery:
        self.bot.mark()
        raw = dumps(callback) if raw is None else raw  # lone surrogates as JSON escapes
        delivery = await self.api.post(callback, raw=raw, signature=signature, signed=signed)
        if delivery.json is not None and isinstance(callback.get("user"), dict):
            self.welcomes[callback["user"].get("id")] = _action_bodies(delivery.json)
        return delivery

    def sends(self) -> list[tuple[str, Any]]:
        out = []
        for call in self.bot.calls_since_mark():
            if call.method == "send_message":
                out.append((call.method, call.body.get("receiver")))
            elif call.method == "broadcast_message":
                out += [(call.method, r) for r in call.body.get("broadcast_list", [])]
        return out


def _action_bodies(message: JSONDict) -> list[str]:
    keyboard = message.get("keyboard") or {}
    return [
        b["ActionBody"]
        for b in keyboard.get("Buttons", [])
        if b.get("ActionType", "reply") == "reply" and isinstance(b.get("ActionBody"), str)
    ]


@pytest.fixture
def harness(viber_bot: ViberBot) -> Harness:
    return Harness(viber_bot)


def pick(draw: st.DrawFn, shown: tuple[_T, ...], other: st.SearchStrategy[_T]) -> _T:
    """Mostly one of `shown` (what the bot showed: it changes as the conversation goes on),
    else one of `other`. The draws do not depend on `shown`, so Hypothesis can replay them."""
    index, value = draw(st.integers(0, 3 * 1024)), draw(other)
    return shown[index // 3 % len(shown)] if shown and index % 3 else value


# -- what Viber sends ---------------------------------------------------------------------


@functools.cache
def safe_strings() -> st.SearchStrategy[str]:
    """Texts that are no http(s) URL: the bot must never fetch anything off this machine."""
    return texts(huge=0, max_size=30).filter(lambda s: "://" not in s)


@functools.cache
def command_texts() -> st.SearchStrategy[str]:
    names = st.one_of(
        st.sampled_from(["start", "menu", "report", "help", "language", "cancel", "myreports"]),
        st.sampled_from(["alerts", "surveys", "mysubs", "stop", "reports", "stats", "START"]),
        st.from_regex(r"[A-Za-z0-9_]{1,33}", fullmatch=True),
    )
    args = st.one_of(
        st.just(""),
        st.sampled_from([" survey_1", " poster-lozenets_42", " SOF-2026-000001", "@sofia_bot"]),
        texts().map(lambda t: " " + t),
    )
    return st.builds(lambda name, rest: f"/{name}{rest}", names, args)


@functools.cache
def payload_texts() -> st.SearchStrategy[str]:
    """What a keyboard tap sends (an ActionBody) or something that looks like one."""
    prefixes = st.sampled_from(["lang", "menu", "rc", "rd", "sv", "sqa", "myo", "x", ""])
    return st.one_of(
        st.sampled_from(["lang:bg", "lang:en", "menu:report", "menu:help", "lang:", ":", "a:b c"]),
        st.builds(lambda p, rest: action_body(f"{p}:{rest}"), prefixes, texts(huge=0, max_size=70)),
    )


@functools.cache
def message_bodies(media: tuple[str, ...]) -> st.SearchStrategy[JSONDict]:
    urls = st.one_of(st.sampled_from(media), safe_strings())
    text = st.one_of(texts(), command_texts(), payload_texts())
    return st.one_of(
        st.fixed_dictionaries({"type": st.just("text"), "text": text}),
        st.fixed_dictionaries({"type": st.just("text"), "text": text}),
        st.fixed_dictionaries(
            {"type": st.just("picture"), "media": urls},
            optional={
                "text": texts(),
                "thumbnail": urls,
                "file_name": safe_strings(),
                "size": st.one_of(st.integers(0, 30_000_000), integers()),
            },
        ),
        st.fixed_dictionaries(
            {
                "type": st.just("location"),
                "location": st.fixed_dictionaries(
                    {
                        "lat": st.one_of(st.floats(42.6, 42.76), st.floats(-90, 90)),
                        "lon": st.one_of(st.floats(23.2, 23.45), st.floats(-180, 180)),
                    },
                    optional={"address": texts(huge=0)},
                ),
            }
        ),
        st.fixed_dictionaries(
            {
                "type": st.just("contact"),
                "contact": st.fixed_dictionaries(
                    {
                        "phone_number": st.one_of(
                            st.sampled_from(["+359888123456", " ", ""]), texts()
                        )
                    },
                    optional={"name": texts(huge=0), "avatar": safe_strings()},
                ),
            }
        ),
        st.fixed_dictionaries(
            {
                "type": st.sampled_from(["file", "video"]),
                "media": urls,
                "size": st.integers(0, 10**9),
            },
            optional={"file_name": safe_strings(), "duration": st.integers(0, 3600)},
        ),
        st.fixed_dictionaries({"type": st.just("sticker"), "sticker_id": st.integers(0, 10**9)}),
        st.fixed_dictionaries({"type": st.just("url"), "media": safe_strings()}),
        st.fixed_dictionaries(
            {"type": st.sampled_from(["rich_media", "carousel", "poll", "", "TEXT"])},
            optional={"text": texts(huge=0), "rich_media": json_values(max_leaves=4)},
        ),
    )


@st.composite
def realistic_callbacks(draw: st.DrawFn, harness: Harness) -> JSONDict:
    api = harness.api
    key = draw(st.sampled_from(USERS))
    user: ViberUser = harness.users[key]
    if draw(st.integers(0, 9)) == 0:  # someone else: a new citizen, another language
        user = ViberUser(
            draw(st.from_regex(r"[A-Za-z0-9+/]{22}==", fullmatch=True)),
            draw(texts(huge=0, max_size=28)),
            draw(st.sampled_from(["bg", "en", "en-US", "", "ru", "x" * 40])),
            api_version=draw(st.integers(1, 10)),
        )
    name = draw(
        st.sampled_from(
            ["message"] * 8
            + ["conversation_started", "conversation_started", "subscribed", "unsubscribed"]
            + ["delivered", "seen", "failed", "webhook", "client_status", "action"]
        )
    )
    tap = pick(draw, harness.shown(user.id), st.none())
    if name == "message":
        body = draw(message_bodies(harness.media))
        if tap is not None and body["type"] == "text":
            body["text"] = tap
        callback = api.message(user, body)
    elif name == "conversation_started":
        context = draw(
            st.one_of(
                st.none(),
                st.sampled_from(["survey_1", "poster-lozenets_42", " ", "x" * 65]),
                texts(),
            )
        )
        callback = api.conversation_started(user, context=context, subscribed=draw(st.booleans()))
    elif name == "subscribed":
        callback = api.subscribed_event(user)
    elif name == "unsubscribed":
        callback = api.unsubscribed_event(user)
    elif name in ("delivered", "seen", "failed"):
        token = pick(draw, harness.sent_tokens(), integers())
        callback = api.status_event(name, user, token)
    elif name == "webhook":
        callback = api.webhook_event()
    else:
        callback = {**api.webhook_event(), "event": name, "user_id": user.id}
    if draw(st.integers(0, 9)) == 0:  # fields Viber may add one day
        callback[draw(safe_strings())] = draw(json_values(max_leaves=3))
    return callback


def expected_receiver(callback: JSONDict) -> str | None:
    """Who must get an answer to a well-formed callback; None: nobody."""
    name = callback.get("event")
    if name == "message":
        return str(callback["sender"]["id"])
    if name in ("conversation_started", "subscribed"):
        return str(callback["user"]["id"])
    return None


def check_answered(harness: Harness, callback: JSONDict, delivery: Delivery, caplog: Any) -> None:
    assert delivery.status == 200, f"webhook answered {delivery.status}: {delivery.text}"
    assert problems_logged(caplog.records) == []
    assert harness.bot.violations_since_mark() == []
    receiver = expected_receiver(callback)
    sends = harness.sends()
    event(f"{callback.get('event')}: {'answered' if receiver else 'skipped'}")
    if receiver is None:
        assert sends == [] and delivery.json is None
        return
    assert delivery.json is not None or sends, "the citizen got no answer"
    assert {r for _, r in sends} <= {receiver}


# -- the properties -----------------------------------------------------------------------


@FUZZ
@given(data=st.data())
async def test_what_citizens_send_is_answered_and_the_rest_skipped(
    harness: Harness, caplog: pytest.LogCaptureFixture, data: st.DataObject
):
    callback = data.draw(realistic_callbacks(harness), label="callback")
    caplog.clear()
    delivery = await harness.post(callback)
    check_answered(harness, callback, delivery, caplog)


PLACEHOLDER_TOKEN = -7  # replaced by a fresh message_token when a mutation left it in place


def malformed_bodies(realistic: st.SearchStrategy[JSONDict]) -> st.SearchStrategy[Any]:
    names = ("message", "conversation_started", "subscribed", "unsubscribed", "delivered")
    events = st.sampled_from([*names, "seen", "failed", "webhook", "", "MESSAGE"])
    callbacks = realistic.map(lambda c: {**c, "message_token": PLACEHOLDER_TOKEN})
    return st.one_of(
        callbacks.flatmap(mutated),  # a field removed, of the wrong type, ...
        callbacks.flatmap(mutated),
        callbacks.flatmap(mutated).flatmap(mutated),
        st.builds(
            lambda name, rest: {**rest, "event": name},
            events,
            st.dictionaries(texts(huge=0, max_size=12), json_values(max_leaves=4), max_size=5),
        ),
        json_values(),
        not_json(),
        callbacks.map(dumps).flatmap(cut),  # a body cut off
    )


@settings(FUZZ, max_examples=FUZZ.max_examples * 3 // 2)
@given(data=st.data())
async def test_malformed_callbacks_are_refused_or_skipped_never_a_server_error(
    harness: Harness, caplog: pytest.LogCaptureFixture, data: st.DataObject
):
    body = data.draw(malformed_bodies(realistic_callbacks(harness)), label="body")
    if isinstance(body, dict) and body.get("message_token") == PLACEHOLDER_TOKEN:
        body["message_token"] = harness.bot.new_token()
    raw = body if isinstance(body, bytes) else dumps(body)
    caplog.clear()
    delivery = await harness.post({}, raw=raw)  # ({}: the fake cannot follow a broken one)
    event(f"status {delivery.status}")
    assert 200 <= delivery.status < 500 and delivery.status != 403, delivery.text
    assert problems_logged(caplog.records) == []
    assert harness.bot.violations_since_mark() == []
    if delivery.status != 200:
        assert harness.sends() == []


@st.composite
def forgeries(draw: st.DrawFn, harness: Harness, body: bytes) -> str | None:
    """A X-Viber-Content-Signature that is not the body's (None: no header at all)."""
    right = harness.api.sign(body)
    forged = draw(
        st.one_of(
            st.none(),
            st.sampled_from(["", right[:-1], right + "0", right[1:], "0" * 64]),
            st.from_regex(r"[0-9a-f]{64}", fullmatch=True),
            st.from_regex(r"[ -~]{0,80}", fullmatch=True),  # what an HTTP header can carry
            st.binary(min_size=1, max_size=40).map(lambda b: harness.api.sign(body + b)),
        )
    )
    if forged is not None and forged.strip().lower() == right:
        return "f" * 64 if right != "f" * 64 else "0" * 64
    return forged


@FUZZ
@given(data=st.data())
async def test_without_the_right_signature_nothing_is_processed(
    harness: Harness, caplog: pytest.LogCaptureFixture, data: st.DataObject
):
    callback = data.draw(realistic_callbacks(harness), label="callback")
    raw = data.draw(st.one_of(st.just(dumps(callback)), not_json()), label="raw")
    signature = data.draw(forgeries(harness, raw), label="signature")
    delivery = await harness.post(callback, raw=raw, signature=signature, signed=False)
    assert delivery.status == 403
    assert harness.bot.calls_since_mark() == []
    if raw == dumps(callback):  # the genuine delivery is then handled as new
        caplog.clear()
        check_answered(harness, callback, await harness.post(callback), caplog)
