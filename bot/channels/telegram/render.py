"""Neutral `Reply` → the Bot API calls that show it (sendMessage / sendPhoto arguments).

* Text longer than 4096 characters is split (paragraphs first); buttons go on the last part.
* Payload and URL buttons become an inline keyboard.
* A reply that asks for a location gets a *reply keyboard* instead (Telegram can request a
  location only from there): the location button plus the payload buttons as text buttons
  (URL buttons cannot live on a reply keyboard, so they are written under the text). A tap on
  such a text button arrives as a plain message with the label, so the adapter remembers the
  labels (`ReplyKeyboards`) to turn those taps back into BUTTON messages.
* Inline markup and the removal of a reply keyboard cannot share one message. The reply
  keyboard is one-time (it folds away after a tap) and is removed with the next reply that has
  no buttons; until then its labels keep working.
* An image is sent with sendPhoto, the text as its caption when it fits (1024 characters),
  otherwise the photo goes first and the text follows as messages.
* A document is uploaded with sendDocument (multipart), the text and the buttons as its caption
  when they fit (and there is no image); otherwise it follows the photo and text messages.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

from cachetools import LRUCache
from telegram import InputFile

from bot.core.messages import Address, Button, Document, MediaRef, Reply, Rows
from bot.core.text import split_text

log = logging.getLogger(__name__)

MAX_TEXT = 4096
MAX_CAPTION = 1024

# The reply markup as its Bot API JSON (a dict PTB sends as it is): built from PTB's
# InlineKeyboardMarkup & co. it was turned back into this dict on every send (issue 16).
# The dicts are shared by the replies with the same buttons (cached): never changed.
Markup = dict[str, Any]
REMOVE_KEYBOARD: Markup = {"remove_keyboard": True}


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One Bot API call: the `telegram.Bot` method and its arguments (chat_id added later)."""

    method: Literal["send_message", "send_photo", "send_document"]
    kwargs: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Rendered:
    messages: tuple[Outgoing, ...]
    keyboard_changed: bool = False
    # When changed: the labels → payloads of the reply keyboard now on screen, None if removed.
    keyboard: dict[str, str] | None = None


def render(reply: Reply, *, keyboard_shown: bool = False) -> Rendered:
    """The calls for `reply`. `keyboard_shown`: a reply keyboard of ours is on screen."""
    text = reply.text.strip()
    if reply.asks_location:
        markup, labels, links = _reply_keyboard(reply)
        text = "\n\n".join(filter(None, (text, links)))
        return Rendered(_messages(reply, text, markup), keyboard_changed=True, keyboard=labels)
    if reply.buttons:
        return Rendered(_messages(reply, text, inline_keyboard(reply.buttons)))
    if keyboard_shown:
        messages = _messages(reply, text, REMOVE_KEYBOARD)
        return Rendered(messages, keyboard_changed=True, keyboard=None)
    return Rendered(_messages(reply, text, None))


def _messages(reply: Reply, text: str, markup: Markup | None) -> tuple[Outgoing, ...]:
    photo = _photo(reply.image)
    if reply.document is None:
        return _photo_and_text(photo, text, markup)
    document = _document(reply.document)
    if photo is None and len(text) <= MAX_CAPTION:
        kwargs: dict[str, Any] = {"document": document}
        if text:
            kwargs["caption"] = text
        _add_markup(kwargs, markup)
        return (Outgoing("send_document", kwargs),)
    return (
        *_photo_and_text(photo, text, markup),
        Outgoing("send_document", {"document": document}),
    )


def _document(document: Document) -> InputFile:
    # Uploaded as a multipart part named after the file; Telegram shows the file name.
    return InputFile(document.data, filename=document.filename)


def _photo_and_text(
    photo: bytes | str | None, text: str, markup: Markup | None
) -> tuple[Outgoing, ...]:
    out: list[Outgoing] = []
    if photo is not None:
        kwargs: dict[str, Any] = {"photo": photo}
        if len(text) <= MAX_CAPTION:
            if text:
                kwargs["caption"] = text
            _add_markup(kwargs, markup)
            return (Outgoing("send_photo", kwargs),)
        out.append(Outgoing("send_photo", kwargs))
    chunks = split_text(text, MAX_TEXT) if text else []
    for index, chunk in enumerate(chunks):
        kwargs = {"text": chunk}
        if index == len(chunks) - 1:
            _add_markup(kwargs, markup)
        out.append(Outgoing("send_message", kwargs))
    return tuple(out)


def _add_markup(kwargs: dict[str, Any], markup: Markup | None) -> None:
    if markup is not None:
        kwargs["reply_markup"] = markup


def _photo(image: bytes | MediaRef | None) -> bytes | str | None:
    if image is None or isinstance(image, bytes):
        return image
    if image.channel == "telegram":
        return image.file_id  # a file Telegram already has is re-sent by its id
    log.warning("cannot send a %s file on telegram; the image is left out", image.channel)
    return None


def _inline_button(button: Button) -> dict[str, str]:
    if button.url is not None:
        return {"text": button.label, "url": button.url}
    return {"text": button.label, "callback_data": button.payload or ""}


def inline_keyboard(buttons: Rows) -> Markup:
    """An InlineKeyboardMarkup's JSON; the same buttons (the menu) are built once."""
    try:
        hash(buttons)
    except TypeError:  # rows given as lists
        return _inline_keyboard(buttons)
    return _cached_inline_keyboard(buttons)


def _inline_keyboard(buttons: Rows) -> Markup:
    rows = [[_inline_button(b) for b in row if not b.request_location] for row in buttons]
    return {"inline_keyboard": [row for row in rows if row]}


_cached_inline_keyboard = lru_cache(maxsize=512)(_inline_keyboard)


def _reply_keyboard(reply: Reply) -> tuple[Markup, dict[str, str], str]:
    rows: list[list[dict[str, Any]]] = []
    labels: dict[str, str] = {}
    links: list[str] = []
    for row in reply.buttons:
        keys: list[dict[str, Any]] = []
        for button in row:
            if button.url is not None:
                links.append(f"{button.label}: {button.url}")
            elif button.request_location:
                keys.append({"text": button.label, "request_location": True})
            else:
                keys.append({"text": button.label})
                labels.setdefault(button.label, button.payload or "")
        if keys:
            rows.append(keys)
    markup = {"keyboard": rows, "resize_keyboard": True, "one_time_keyboard": True}
    return markup, labels, "\n".join(links)


@dataclass
class ReplyKeyboards:
    """Which addresses have our reply keyboard on screen, so the next reply that needs none
    removes it. (A tap on it arrives as its label in text; the dispatcher, which keeps the
    labels last shown with the conversation state, turns it into a BUTTON.)

    Kept in memory, bounded (least recently used addresses are forgotten) and per process:
    after a restart a keyboard may stay on screen until the next reply that shows one.
    """

    limit: int = 10_000
    _shown: LRUCache[Address, dict[str, str]] = field(init=False)

    def __post_init__(self) -> None:
        self._shown = LRUCache(self.limit)

    def shown(self, address: Address) -> bool:
        return address in self._shown

    def update(self, address: Address, rendered: Rendered) -> None:
        """Record what a sent reply did to the keyboard on screen."""
        if not rendered.keyboard_changed:
            return
        if rendered.keyboard is None:
            self.forget(address)
            return
        self._shown[address] = dict(rendered.keyboard)

    def forget(self, address: Address) -> None:
        self._shown.pop(address, None)
