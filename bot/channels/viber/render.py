"""Neutral `Reply` → the Viber messages that show it (send_message bodies, receiver added later).

* Text longer than 7000 characters is split (paragraphs first); the keyboard goes on the last
  message (Viber shows the keyboard of the last message it received; a message without one
  brings the native keyboard back, so nothing needs removing).
* Buttons become a keyboard on Viber's 6-column grid: each of our rows is one grid row with
  1-3 equally wide buttons (longer rows are split evenly), at most 24 grid rows. A payload
  button is a `reply` button whose ActionBody is the payload itself — with a ":" added to a
  payload that has none ("stk" → "stk:"), so that every ActionBody has a colon and a word
  typed by a citizen ("no", "am") is never taken for a tap. A tap arrives as a text message
  equal to the ActionBody, which the adapter turns back into a BUTTON (`payload_of`). It is
  `Silent`, so the payload is not shown in the chat as if the citizen had typed it.
  A location button is a `location-picker`, a URL button `open-url`.
* Labels are HTML-escaped (Viber renders a little HTML in button texts) and cut with "…" to
  Viber's 250 characters.
* An image is a `picture` message by URL (the adapter hosts bytes under /media/photos/...):
  the text is its description when it fits (120 characters), otherwise it follows as text.
* A document is a `file` message by URL (`file_url`: the adapter hosts the bytes for an hour
  under /media/files/..., see bot/media/files.py) with its size and file name, after the
  picture and the text; a file has no text of its own. Without a URL it is left out.
"""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass
from typing import Any, Final

from bot.core.messages import MAX_PAYLOAD_BYTES, Button, Document, Reply, Rows
from bot.core.text import split_text

log = logging.getLogger(__name__)

MAX_TEXT: Final = 7000
MAX_PICTURE_TEXT: Final = 120
MAX_FILE_NAME: Final = 256
MAX_FILE_BYTES: Final = 50 * 1024 * 1024
MAX_BUTTON_TEXT: Final = 250
MAX_ACTION_BODY: Final = 4000
GRID_COLUMNS: Final = 6
MAX_PER_ROW: Final = 3
MAX_KEYBOARD_ROWS: Final = 24
# Keyboards with location-picker, Silent and InputFieldState need recent clients; 7 is what
# every supported Viber version speaks.
MIN_API_VERSION: Final = 7
LOCATION_ACTION_BODY: Final = "location"
ELLIPSIS: Final = "…"

Message = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Sender:
    name: str
    avatar: str | None = None

    def as_json(self) -> dict[str, str]:
        sender = {"name": self.name}
        if self.avatar:
            sender["avatar"] = self.avatar
        return sender


def render(
    reply: Reply, *, sender: Sender, media_url: str | None = None, file_url: str | None = None
) -> list[Message]:
    """The messages for `reply`, in order. `media_url`: where Viber fetches the image;
    `file_url`: where it fetches the document."""
    text = reply.text.strip()
    keyboard = keyboard_of(reply.buttons)
    messages: list[Message] = []
    if media_url is not None:
        caption = text if len(text) <= MAX_PICTURE_TEXT else ""
        messages.append({"type": "picture", "text": caption, "media": media_url})
        if caption:
            text = ""
    if text:
        messages += [{"type": "text", "text": chunk} for chunk in split_text(text, MAX_TEXT)]
    if reply.document is not None:
        messages += _file(reply.document, file_url)
    if not messages:
        return []
    if keyboard is not None:
        messages[-1]["keyboard"] = keyboard
        messages[-1]["min_api_version"] = MIN_API_VERSION
    return [{"sender": sender.as_json(), **message} for message in messages]


def _file(document: Document, url: str | None) -> list[Message]:
    if url is None:
        log.warning("no URL to send a document on viber; it is left out")
        return []
    if len(document.data) > MAX_FILE_BYTES:
        log.warning(
            "a document of %d bytes is too big for viber; it is left out", len(document.data)
        )
        return []
    name = document.filename
    if len(name) > MAX_FILE_NAME:
        stem, dot, suffix = name.rpartition(".")
        keep = MAX_FILE_NAME - len(dot + suffix)
        name = stem[:keep] + dot + suffix if dot and keep > 0 else name[:MAX_FILE_NAME]
    return [{"type": "file", "media": url, "size": len(document.data), "file_name": name}]


def keyboard_of(rows: Rows) -> dict[str, Any] | None:
    grid = _layout(rows)
    if not grid:
        return None
    buttons = [_button(button, GRID_COLUMNS // len(row)) for row in grid for button in row]
    return {
        "Type": "keyboard",
        "DefaultHeight": False,
        "InputFieldState": "regular",  # typing stays possible: every step accepts text
        "Buttons": buttons,
    }


def _layout(rows: Rows) -> list[list[Button]]:
    usable = [[b for b in row if _usable(b)] for row in rows]
    grid = [chunk for row in usable for chunk in _even_chunks(row)]
    if len(grid) > MAX_KEYBOARD_ROWS:  # pack tighter, then keep what fits
        flat = [b for row in usable for b in row]
        grid = [flat[i : i + MAX_PER_ROW] for i in range(0, len(flat), MAX_PER_ROW)]
        if len(grid) > MAX_KEYBOARD_ROWS:
            log.warning("a keyboard of %d buttons is cut to fit Viber's grid", len(flat))
            grid = grid[:MAX_KEYBOARD_ROWS]
    return grid


def _usable(button: Button) -> bool:
    if button.url is not None and len(button.url) > MAX_ACTION_BODY:
        log.warning("a URL button longer than %d characters is left out", MAX_ACTION_BODY)
        return False
    return True


def _even_chunks(row: list[Button]) -> list[list[Button]]:
    """1-3 buttons stay one row; more are split into rows of as equal a size as possible."""
    if not row:
        return []
    count = -(-len(row) // MAX_PER_ROW)
    size, extra = divmod(len(row), count)
    chunks, start = [], 0
    for index in range(count):
        end = start + size + (1 if index < extra else 0)
        chunks.append(row[start:end])
        start = end
    return chunks


def _button(button: Button, columns: int) -> dict[str, Any]:
    key: dict[str, Any] = {"Columns": columns, "Rows": 1}
    if button.request_location:
        key |= {"ActionType": "location-picker", "ActionBody": LOCATION_ACTION_BODY}
    elif button.url is not None:
        key |= {"ActionType": "open-url", "ActionBody": button.url}
    else:
        assert button.payload is not None
        key |= {"ActionType": "reply", "ActionBody": action_body(button.payload), "Silent": True}
    key |= {"Text": button_text(button.label), "TextSize": "regular"}
    return key


def action_body(payload: str) -> str:
    """What a tap on the button of `payload` sends back: the payload, always with a colon."""
    return payload if ":" in payload else f"{payload}:"


def payload_of(text: str) -> str | None:
    """The payload a text would be if it came from one of our buttons, else None. (Whether
    its prefix is one of ours, the adapter checks.)"""
    text = text.strip()
    if ":" not in text or any(c.isspace() for c in text):
        return None
    payload = text[:-1] if text.endswith(":") and text.count(":") == 1 else text
    if not payload or len(payload.encode()) > MAX_PAYLOAD_BYTES:
        return None
    return payload


def button_text(label: str) -> str:
    """The label as Viber shows it: HTML-escaped, at most 250 characters (cut with "…")."""
    escaped = html.escape(label.strip(), quote=False)
    if len(escaped) <= MAX_BUTTON_TEXT:
        return escaped
    out, used = [], len(ELLIPSIS)
    for char in label.strip():
        piece = html.escape(char, quote=False)
        if used + len(piece) > MAX_BUTTON_TEXT:
            break
        out.append(piece)
        used += len(piece)
    return "".join(out).rstrip() + ELLIPSIS


def label_of(text: str) -> str:
    """A button text back as the label (for tests and drivers that read keyboards)."""
    return html.unescape(text)
