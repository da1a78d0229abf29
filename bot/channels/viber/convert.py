"""Viber callbacks (webhook events) → channel-neutral `IncomingMessage`.

* `message`: text (a leading /command becomes a COMMAND, /start a STARTED), picture (PHOTO),
  location, contact; stickers, videos, files, links and anything newer are UNSUPPORTED, so
  the citizen still gets an answer.
* `conversation_started` (the citizen opened the chat, perhaps through a deep link whose
  `context` becomes the payload) and `subscribed` → STARTED: both are where a Telegram
  citizen would send /start, and the answer is the same onboarding.
* `unsubscribed` → STOPPED (like blocking a Telegram bot): the citizen is opted out.
* `webhook`, `delivered`, `seen`, `failed` and unknown events carry nothing to dispatch.

The dedupe key is the callback's `message_token`.
"""

from __future__ import annotations

import math
import re
from typing import Any, Final

from bot.channels.texts import storable
from bot.core.messages import MAX_PAYLOAD_BYTES, Address, IncomingMessage, Kind, MediaRef

CHANNEL: Final = "viber"

# The events asked for in set_webhook (`message` and `webhook` always come). `delivered`,
# `seen` and `failed` are receipts of what the bot sent (the adapter records them).
EVENT_TYPES: Final = (
    "delivered",
    "seen",
    "failed",
    "subscribed",
    "unsubscribed",
    "conversation_started",
)

_COMMAND = re.compile(r"/([A-Za-z0-9_]{1,32})(?:@\S+)?(?:\s+(.*))?", re.DOTALL)
_DISPATCHED = frozenset({"message", "conversation_started", "subscribed", "unsubscribed"})
# Viber user ids are 24 characters; the storage keeps up to 64 (channel_identity.user_id).
MAX_USER_ID: Final = 64
MAX_TOKEN: Final = 2**64  # message tokens are 64-bit integers


class MalformedEvent(ValueError):
    """A signed callback of a known kind without the fields it must have (or with a text
    that is not valid Unicode). The message names the field, never its value. (NUL
    characters, which PostgreSQL refuses, are dropped from texts.)"""


def to_incoming(event: dict[str, Any]) -> IncomingMessage | None:
    """The neutral message for a callback, or None when there is nothing to dispatch."""
    msg = _to_incoming(event)
    return None if msg is None else _as_text(msg)


def _to_incoming(event: dict[str, Any]) -> IncomingMessage | None:
    name = event.get("event")
    if name not in _DISPATCHED:
        return None
    token = event.get("message_token")
    if type(token) is not int or not -MAX_TOKEN < token < MAX_TOKEN:
        raise MalformedEvent(f"{name} without a message_token")
    external_id = str(token)
    if name == "message":
        return _from_message(event, external_id)
    if name == "unsubscribed":
        user_id = _nonempty_str(event.get("user_id"), "unsubscribed without user_id")
        return IncomingMessage(Address(CHANNEL, user_id), Kind.STOPPED, external_id=external_id)
    user = _dict(event.get("user"), f"{name} without a user")
    address = Address(CHANNEL, _nonempty_str(user.get("id"), f"{name} without user.id"))
    payload = _deep_link(event.get("context")) if name == "conversation_started" else None
    return IncomingMessage(
        address,
        Kind.STARTED,
        payload=payload,
        language=_language(user),
        external_id=external_id,
    )


def _from_message(event: dict[str, Any], external_id: str) -> IncomingMessage:
    sender = _dict(event.get("sender"), "message without a sender")
    address = Address(CHANNEL, _nonempty_str(sender.get("id"), "message without sender.id"))
    message = _dict(event.get("message"), "message without a message")
    base = {"address": address, "language": _language(sender), "external_id": external_id}
    kind = message.get("type")
    if kind == "text":
        return _from_text(message.get("text"), base)
    if kind == "picture" and isinstance(message.get("media"), str) and message["media"]:
        size = message.get("size")
        photo = MediaRef(CHANNEL, message["media"], size=size if type(size) is int else None)
        caption = message.get("text") if isinstance(message.get("text"), str) else ""
        return IncomingMessage(kind=Kind.PHOTO, photo=photo, text=caption, **base)
    if kind == "location":
        location = _location(message.get("location"))
        if location is not None:
            return IncomingMessage(kind=Kind.LOCATION, location=location, **base)
    if kind == "contact":
        contact = message.get("contact")
        phone = contact.get("phone_number") if isinstance(contact, dict) else None
        if isinstance(phone, str) and phone.strip():
            return IncomingMessage(kind=Kind.CONTACT, phone=phone.strip(), **base)
    return IncomingMessage(kind=Kind.UNSUPPORTED, **base)


def _from_text(value: object, base: dict[str, Any]) -> IncomingMessage:
    text = value if isinstance(value, str) else ""
    if not text.strip():
        return IncomingMessage(kind=Kind.UNSUPPORTED, **base)
    match = _COMMAND.fullmatch(text.strip())
    if match is None:
        return IncomingMessage(kind=Kind.TEXT, text=text, **base)
    name, args = match.group(1).lower(), (match.group(2) or "").strip()
    if name == "start":
        return IncomingMessage(kind=Kind.STARTED, payload=_deep_link(args), **base)
    return IncomingMessage(kind=Kind.COMMAND, text=text, command=name, args=args, **base)


def _deep_link(value: object) -> str | None:
    """A deep link's context as the payload; anything longer than a button payload is
    ignored (Telegram's /start payloads have the same 64-byte bound)."""
    if not isinstance(value, str) or not value.strip():
        return None
    value = value.strip()
    size = len(value.encode(errors="surrogatepass"))  # a lone surrogate: _as_text
    return value if size <= MAX_PAYLOAD_BYTES else None


def _location(value: object) -> tuple[float, float] | None:
    if not isinstance(value, dict):
        return None
    lat, lon = value.get("lat"), value.get("lon")
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (lat, lon)):
        return None
    try:
        point = float(lat), float(lon)  # type: ignore[arg-type]
    except OverflowError:  # an integer beyond any float
        return None
    if not all(map(math.isfinite, point)) or abs(point[0]) > 90 or abs(point[1]) > 180:
        return None  # NaN, infinite, or off the globe
    return point


def _language(user: dict[str, Any]) -> str | None:
    language = user.get("language")
    return language if isinstance(language, str) and language else None


def _dict(value: object, problem: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise MalformedEvent(problem)
    return value


def _nonempty_str(value: object, problem: str) -> str:
    if not isinstance(value, str) or not value or len(value) > MAX_USER_ID:
        raise MalformedEvent(problem)
    return value


def _as_text(msg: IncomingMessage) -> IncomingMessage:
    """`msg` with texts the database and the Viber API take. JSON may carry lone surrogates
    ("\\ud83d"): no text a messenger sends, so the callback is malformed. NUL characters,
    which PostgreSQL refuses, are dropped from texts; an id with one is malformed (without
    it, it would be someone else's)."""
    if "\x00" in msg.address.user_id:
        raise MalformedEvent("a user id with a NUL character")
    photo = msg.photo
    ids = (
        msg.address.user_id,
        msg.language,
        photo.file_id if photo else None,
    )
    return storable(msg, ids=ids, malformed=MalformedEvent)
