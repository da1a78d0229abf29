"""What an outbox row says: the one place the stored payload format is defined.

The kinds are storage.models.OutboxKind.

* kind "direct" / "digest" / "invite": `payload` is {"text": str, "buttons": [[{"label": str,
  "payload": str} | {"label": str, "url": str}, ...], ...]} ("buttons" optional). Write it
  with `direct_payload(reply)`, read it back with `reply_from_payload(payload)`. The domain,
  which may not import bot.core, writes the same plain data for a report's news
  (bot/domain/report_news.py; its test reads it back with `reply_from_payload`).
* kind "notice": no payload; the text (and photo) is the run's Notice, in the row's language.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.core.messages import Button, Reply
from storage.models import Notice


class BadPayload(ValueError):
    """A stored payload this code cannot turn into a message."""


def direct_payload(reply: Reply) -> dict[str, Any]:
    """The JSON-able payload of a text message with payload/URL buttons (no image, and no
    location request: those need a conversation, not a push)."""
    if reply.image is not None:
        raise ValueError("a direct message carries no image")
    rows = []
    for row in reply.buttons:
        out = []
        for button in row:
            if button.payload is not None:
                out.append({"label": button.label, "payload": button.payload})
            elif button.url is not None:
                out.append({"label": button.label, "url": button.url})
            else:
                raise ValueError("a direct message cannot ask for a location")
        rows.append(out)
    payload: dict[str, Any] = {"text": reply.text}
    if rows:
        payload["buttons"] = rows
    return payload


def reply_from_payload(payload: Mapping[str, Any] | None) -> Reply:
    if not payload or not isinstance(payload.get("text"), str):
        raise BadPayload("payload without text")
    try:
        buttons = tuple(
            tuple(Button(b["label"], payload=b.get("payload"), url=b.get("url")) for b in row)
            for row in payload.get("buttons") or ()
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise BadPayload(f"bad buttons: {type(exc).__name__}") from None
    return Reply(payload["text"], buttons=buttons)


def notice_text(notice: Notice, language: str) -> str:
    """text_en for English readers when there is one, otherwise the Bulgarian text."""
    if language == "en" and notice.text_en:
        return notice.text_en
    return notice.text_bg
