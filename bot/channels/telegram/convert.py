"""Telegram `Update` → channel-neutral `IncomingMessage`.

Private chats are served in full. From groups and supergroups (a body's team chat) only
commands, button taps and the news that the group moved to a new id (CHAT_MOVED) come
through, with `IncomingMessage.chat` set to the group's id and the address still the
sender's (their own role counts, not the group's); anything else from a group, and
everything from channels, is skipped (`None`). Content the bot does not handle
(stickers, voice, video, edits, someone else's contact...) becomes an UNSUPPORTED message,
which the bot answers without leaving the conversation step the citizen is in. Service
messages (pins, auto-delete timers...) and live-location edits are skipped: they are not
something the citizen said.

python-telegram-bot builds its objects without checking the types of their fields, so the
fields used here are checked: an update whose sender, chat, text, location, photo... is
missing or of the wrong type (or whose text is not valid Unicode) raises `MalformedUpdate`.
NUL characters are dropped from texts (PostgreSQL refuses them).

`text_message` reads the commonest update, a text a citizen typed in a private chat, straight
from its JSON: building PTB's `Update` only to read four fields of it was a tenth of the CPU a
message costs (bench/README.md). It takes only updates whose every key it knows and checks,
and gives exactly what `to_incoming(Update.de_json(data))` gives (a test compares the two on
generated updates); anything else goes through PTB's objects as before.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any, TypeVar

from telegram import (
    CallbackQuery,
    Chat,
    ChatMember,
    ChatMemberUpdated,
    Location,
    Message,
    MessageEntity,
    Update,
    User,
)
from telegram.constants import ChatMemberStatus, ChatType

from bot.channels.texts import storable
from bot.core.messages import Address, IncomingMessage, Kind, MediaRef

CHANNEL = "telegram"

# The update types the adapter maps; passed as allowed_updates to getUpdates / setWebhook.
ALLOWED_UPDATES = ("message", "edited_message", "callback_query", "my_chat_member")

# Bot API identifiers are signed 64-bit integers (user ids have at most 52 significant bits).
MAX_ID = 2**63

_T = TypeVar("_T")


class MalformedUpdate(ValueError):
    """An update with a field the bot uses missing or of the wrong type. The message names
    the field and the type, never a value (no personal data in logs)."""


def to_incoming(update: Update) -> IncomingMessage | None:
    """The neutral message for `update`, or None when there is nothing to dispatch."""
    msg = _to_incoming(update)
    return None if msg is None else _as_text(msg)


def _to_incoming(update: Update) -> IncomingMessage | None:
    if update.callback_query is not None:
        return _from_callback(update, update.callback_query)
    if update.my_chat_member is not None:
        return _from_membership(update, update.my_chat_member)
    if update.message is not None:
        return _from_message(update, update.message)
    if update.edited_message is not None:
        return _from_edit(update, update.edited_message)
    return None


# The keys of an update `text_message` reads without PTB; any other key sends it through PTB.
_FAST_MESSAGE_KEYS = frozenset({"message_id", "date", "chat", "from", "text", "entities"})
_FAST_ENTITY_KEYS = frozenset({"type", "offset", "length"})


def text_message(data: dict[str, Any]) -> IncomingMessage | None:
    """The neutral message for a plain private text update, read from its JSON; None when
    the update is anything else or unusual in any way (then: `to_incoming` over PTB's
    `Update`). Raises MalformedUpdate where `to_incoming` would."""
    if len(data) != 2:
        return None
    update_id = data.get("update_id")
    message = data.get("message")
    if type(update_id) is not int or type(message) is not dict:
        return None
    if not _FAST_MESSAGE_KEYS.issuperset(message) or type(message.get("message_id")) is not int:
        return None
    chat, user, text = message.get("chat"), message.get("from"), message.get("text")
    date = message.get("date")
    if type(date) is not int or not 0 <= date < 2**32:  # PTB makes it a datetime
        return None
    if type(chat) is not dict or type(user) is not dict:
        return None
    if "id" not in chat or type(chat.get("type")) is not str or type(text) is not str:
        return None
    if type(user.get("id")) is not int or user.get("is_bot") is not False:
        return None
    if "first_name" not in user or chat["type"] != ChatType.PRIVATE:
        return None
    entities = message.get("entities", ())
    if type(entities) is not list and entities != ():
        return None
    found: list[tuple[str, int, int]] = []
    for entity in entities:
        if type(entity) is not dict or entity.keys() != _FAST_ENTITY_KEYS:
            return None
        kind, offset, length = entity["type"], entity["offset"], entity["length"]
        if type(kind) is not str or type(offset) is not int or type(length) is not int:
            return None
        found.append((kind, offset, length))
    language = user.get("language_code")
    if language is not None and type(language) is not str:
        return None
    address = Address(CHANNEL, str(_id(user["id"], "user.id")))
    external_id = str(_id(update_id, "update_id"))
    command = _command_at_start(found, text)
    if command is None:
        fields: dict[str, Any] = {"kind": Kind.TEXT, "text": text}
    else:
        fields = _command_fields(command, text)
    msg = IncomingMessage(address=address, language=language, external_id=external_id, **fields)
    return _as_text(msg)


GROUPS = frozenset({ChatType.GROUP, ChatType.SUPERGROUP})


def _make(update: Update, user: User, kind: Kind, **fields: Any) -> IncomingMessage:
    return IncomingMessage(
        address=Address(CHANNEL, str(_id(user.id, "user.id"))),
        kind=kind,
        language=_maybe(user.language_code, str, "user.language_code"),
        external_id=str(_id(update.update_id, "update_id")),
        **fields,
    )


def _private_sender(message: Message) -> User | None:
    chat = _of(message.chat, Chat, "message.chat")
    user = _maybe(message.from_user, User, "message.from")
    if chat.type != ChatType.PRIVATE or user is None or user.is_bot:
        return None
    return user


def _group_sender(message: Message) -> tuple[User, str] | None:
    """The sender and the group's id of a message in a group; None for any other chat."""
    chat = _of(message.chat, Chat, "message.chat")
    user = _maybe(message.from_user, User, "message.from")
    if _of(chat.type, str, "message.chat.type") not in GROUPS or user is None or user.is_bot:
        return None
    return user, str(_id(chat.id, "message.chat.id"))


def _from_group(update: Update, message: Message) -> IncomingMessage | None:
    """A command in a group (a team chat's /linkbody), or the service message that says the
    group became a supergroup with a new id (`migrate_to_chat_id`: a team chat's link
    follows it); anything else said there is not for the bot."""
    found = _group_sender(message)
    if found is None:
        return None
    user, chat = found
    moved_to = _maybe(message.migrate_to_chat_id, int, "message.migrate_to_chat_id")
    if moved_to is not None:
        new_id = str(_id(moved_to, "message.migrate_to_chat_id"))
        return _make(update, user, Kind.CHAT_MOVED, chat=chat, payload=new_id)
    if message.text is None:
        return None
    msg = _from_text(update, user, message)
    return replace(msg, chat=chat) if msg.kind is Kind.COMMAND else None


def _from_message(update: Update, message: Message) -> IncomingMessage | None:
    user = _private_sender(message)
    if user is None:
        return _from_group(update, message)
    if message.text is not None:
        return _from_text(update, user, message)
    if message.location is not None:
        return _make(update, user, Kind.LOCATION, location=_coordinates(message.location))
    photo = _photo(message)
    if photo is not None:
        caption = _maybe(message.caption, str, "message.caption") or ""
        return _make(update, user, Kind.PHOTO, photo=photo, text=caption)
    contact = message.contact
    if contact is not None and contact.user_id == user.id:
        phone = _of(contact.phone_number, str, "contact.phone_number")
        return _make(update, user, Kind.CONTACT, phone=phone)
    if message.effective_attachment is None:
        return None  # a service message (pinned message, auto-delete timer, ...)
    return _make(update, user, Kind.UNSUPPORTED)


def _from_text(update: Update, user: User, message: Message) -> IncomingMessage:
    text = _of(message.text, str, "message.text")
    entities = [(entity.type, entity.offset, entity.length) for entity in message.entities]
    command = _command_at_start(entities, text)
    if command is None:
        return _make(update, user, Kind.TEXT, text=text)
    return _make(update, user, **_command_fields(command, text))


def _command_fields(command: str, text: str) -> dict[str, Any]:
    name = command[1:].partition("@")[0].lower()
    args = text[len(command) :].strip()
    if name == "start":
        return {"kind": Kind.STARTED, "payload": args or None}
    return {"kind": Kind.COMMAND, "text": text, "command": name, "args": args}


def _command_at_start(entities: list[tuple[object, object, object]], text: str) -> str | None:
    """The "/name[@bot]" a bot_command entity (type, offset, length) at offset 0 marks.
    Entity lengths count UTF-16 code units; one that ends inside a character or covers no
    "/name" is not a command."""
    for kind, offset, length in entities:
        if kind != MessageEntity.BOT_COMMAND:
            continue
        if _of(offset, int, "entity.offset") == 0:
            units = text.encode("utf-16-le", errors="surrogatepass")
            units = units[: 2 * max(_of(length, int, "entity.length"), 0)]
            command = units.decode("utf-16-le", errors="ignore")
            return command if len(command) > 1 and command.startswith("/") else None
    return None


def _coordinates(location: Location) -> tuple[float, float]:
    lat = _number(location.latitude, "location.latitude")
    lon = _number(location.longitude, "location.longitude")
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise MalformedUpdate("location is not on the globe")
    return lat, lon


def _photo(message: Message) -> MediaRef | None:
    if message.photo:
        largest = max(
            message.photo,
            key=lambda size: (
                _of(size.width, int, "photo.width") * _of(size.height, int, "photo.height")
            ),
        )
        return MediaRef(
            CHANNEL,
            _of(largest.file_id, str, "photo.file_id"),
            size=_maybe(largest.file_size, int, "photo.file_size"),
        )
    document = message.document
    if document is None:
        return None
    mime_type = _maybe(document.mime_type, str, "document.mime_type")
    if not (mime_type or "").startswith("image/"):
        return None
    return MediaRef(
        CHANNEL,
        _of(document.file_id, str, "document.file_id"),
        size=_maybe(document.file_size, int, "document.file_size"),
        mime_type=mime_type,
    )


def _from_edit(update: Update, message: Message) -> IncomingMessage | None:
    user = _private_sender(message)
    if user is None or message.location is not None:
        return None  # live locations arrive as a stream of edits: not a new message
    return _make(update, user, Kind.UNSUPPORTED)


def _from_callback(update: Update, query: CallbackQuery) -> IncomingMessage | None:
    user = _of(query.from_user, User, "callback_query.from")
    message = query.message
    chat = None if message is None else _of(message.chat, Chat, "callback_query.message.chat")
    data = _maybe(query.data, str, "callback_query.data")
    if data is None:
        return None
    kind = None if chat is None else _of(chat.type, str, "callback_query.message.chat.type")
    if chat is not None and kind in GROUPS:  # a tap in a team chat: the tapper's own
        group = str(_id(chat.id, "callback_query.message.chat.id"))
        return _make(update, user, Kind.BUTTON, payload=data, chat=group)
    if kind is not None and kind != ChatType.PRIVATE:
        return None
    return _make(update, user, Kind.BUTTON, payload=data)


def _from_membership(update: Update, change: ChatMemberUpdated) -> IncomingMessage | None:
    if _of(change.chat, Chat, "my_chat_member.chat").type != ChatType.PRIVATE:
        return None
    member = _of(change.new_chat_member, ChatMember, "my_chat_member.new_chat_member")
    if member.status != ChatMemberStatus.BANNED:  # "kicked": blocked the bot
        return None  # unblocking ("member") is followed by the citizen's own /start
    return _make(update, _of(change.from_user, User, "my_chat_member.from"), Kind.STOPPED)


# -- checking what python-telegram-bot did not ------------------------------------------------


def _of(value: object, kind: type[_T], what: str) -> _T:
    """`value` if it is a `kind` (a bool is no int), else the update is malformed."""
    if isinstance(value, kind) and (kind is bool or not isinstance(value, bool)):
        return value
    raise MalformedUpdate(f"{what} is {type(value).__name__}, not {kind.__name__}")


def _maybe(value: object, kind: type[_T], what: str) -> _T | None:
    return None if value is None else _of(value, kind, what)


def _id(value: object, what: str) -> int:
    number = _of(value, int, what)
    if not -MAX_ID <= number < MAX_ID:
        raise MalformedUpdate(f"{what} is not a 64-bit integer")
    return number


def _number(value: object, what: str) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
        if math.isfinite(number):
            return number
    raise MalformedUpdate(f"{what} is not a finite number")


def _as_text(msg: IncomingMessage) -> IncomingMessage:
    """`msg` with texts the database and the Bot API take. JSON may carry lone surrogates
    ("\\ud83d"): no text Telegram sends, so the update is malformed. NUL characters, which
    PostgreSQL refuses, are dropped from texts."""
    photo = msg.photo
    ids = (
        msg.language,
        photo.file_id if photo else None,
        photo.mime_type if photo else None,
    )
    return storable(msg, ids=ids, malformed=MalformedUpdate)
