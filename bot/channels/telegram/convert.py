"""Telegram `Update` → channel-neutral `IncomingMessage`.

Only private chats are served: updates from groups, supergroups and channels are skipped
(`None`). Content the bot does not handle (stickers, voice, video, edits, someone else's
contact...) becomes an UNSUPPORTED message, which the bot answers without leaving the
conversation step the citizen is in. Service messages (pins, auto-delete
timers...) and live-location edits are skipped: they are not something the citizen said.
"""

from __future__ import annotations

from typing import Any

from telegram import CallbackQuery, ChatMemberUpdated, Message, MessageEntity, Update, User
from telegram.constants import ChatMemberStatus, ChatType

from bot.core.messages import Address, IncomingMessage, Kind, MediaRef

CHANNEL = "telegram"

# The update types the adapter maps; passed as allowed_updates to getUpdates / setWebhook.
ALLOWED_UPDATES = ("message", "edited_message", "callback_query", "my_chat_member")


def to_incoming(update: Update) -> IncomingMessage | None:
    """The neutral message for `update`, or None when there is nothing to dispatch."""
    if update.callback_query is not None:
        return _from_callback(update, update.callback_query)
    if update.my_chat_member is not None:
        return _from_membership(update, update.my_chat_member)
    if update.message is not None:
        return _from_message(update, update.message)
    if update.edited_message is not None:
        return _from_edit(update, update.edited_message)
    return None


def _make(update: Update, user: User, kind: Kind, **fields: Any) -> IncomingMessage:
    return IncomingMessage(
        address=Address(CHANNEL, str(user.id)),
        kind=kind,
        language=user.language_code,
        external_id=str(update.update_id),
        **fields,
    )


def _private_sender(message: Message) -> User | None:
    user = message.from_user
    if message.chat.type != ChatType.PRIVATE or user is None or user.is_bot:
        return None
    return user


def _from_message(update: Update, message: Message) -> IncomingMessage | None:
    user = _private_sender(message)
    if user is None:
        return None
    if message.text is not None:
        return _from_text(update, user, message)
    if message.location is not None:
        location = (message.location.latitude, message.location.longitude)
        return _make(update, user, Kind.LOCATION, location=location)
    photo = _photo(message)
    if photo is not None:
        return _make(update, user, Kind.PHOTO, photo=photo, text=message.caption or "")
    contact = message.contact
    if contact is not None and contact.user_id == user.id:
        return _make(update, user, Kind.CONTACT, phone=contact.phone_number)
    if message.effective_attachment is None:
        return None  # a service message (pinned message, auto-delete timer, ...)
    return _make(update, user, Kind.UNSUPPORTED)


def _from_text(update: Update, user: User, message: Message) -> IncomingMessage:
    text = message.text or ""
    command = _leading_command(message)
    if command is None:
        return _make(update, user, Kind.TEXT, text=text)
    name = command[1:].partition("@")[0].lower()
    args = text[len(command) :].strip()
    if name == "start":
        return _make(update, user, Kind.STARTED, payload=args or None)
    return _make(update, user, Kind.COMMAND, text=text, command=name, args=args)


def _leading_command(message: Message) -> str | None:
    for entity in message.entities:
        if entity.type == MessageEntity.BOT_COMMAND and entity.offset == 0:
            return message.parse_entity(entity)
    return None


def _photo(message: Message) -> MediaRef | None:
    if message.photo:
        largest = max(message.photo, key=lambda size: size.width * size.height)
        return MediaRef(CHANNEL, largest.file_id, size=largest.file_size)
    document = message.document
    if document is not None and (document.mime_type or "").startswith("image/"):
        return MediaRef(
            CHANNEL, document.file_id, size=document.file_size, mime_type=document.mime_type
        )
    return None


def _from_edit(update: Update, message: Message) -> IncomingMessage | None:
    user = _private_sender(message)
    if user is None or message.location is not None:
        return None  # live locations arrive as a stream of edits: not a new message
    return _make(update, user, Kind.UNSUPPORTED)


def _from_callback(update: Update, query: CallbackQuery) -> IncomingMessage | None:
    chat = query.message.chat if query.message is not None else None
    if query.data is None or (chat is not None and chat.type != ChatType.PRIVATE):
        return None
    return _make(update, query.from_user, Kind.BUTTON, payload=query.data)


def _from_membership(update: Update, change: ChatMemberUpdated) -> IncomingMessage | None:
    if change.chat.type != ChatType.PRIVATE:
        return None
    if change.new_chat_member.status != ChatMemberStatus.BANNED:  # "kicked": blocked the bot
        return None  # unblocking ("member") is followed by the citizen's own /start
    return _make(update, change.from_user, Kind.STOPPED)
