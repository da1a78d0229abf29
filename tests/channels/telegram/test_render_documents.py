"""A reply with a document → sendDocument (a multipart upload named after the file): the text
and buttons as its caption when they fit, otherwise the text first and the file after it."""

from __future__ import annotations

from typing import Any

from telegram import InputFile, TelegramObject

from bot.channels.telegram.render import MAX_CAPTION, Outgoing, render
from bot.core.messages import Button, Document, Reply

EXPORT = Document("citizenbot-mydata-2026-11-27.json", b'{"citizen": {}}', "application/json")
HELP = Button("❓ Помощ", payload="menu:help")
LOCATION = Button("📍 Изпрати местоположение", request_location=True)


def call(outgoing: Outgoing) -> tuple[str, dict[str, Any]]:
    """The call with markup as its JSON and an upload as (file name, bytes, MIME type)."""

    def value(v: Any) -> Any:
        if isinstance(v, InputFile):
            return (v.filename, v.input_file_content, v.mimetype)
        return v.to_dict() if isinstance(v, TelegramObject) else v

    return outgoing.method, {k: value(v) for k, v in outgoing.kwargs.items()}


UPLOAD = ("citizenbot-mydata-2026-11-27.json", b'{"citizen": {}}', "application/json")
INLINE_HELP = {"inline_keyboard": [[{"text": "❓ Помощ", "callback_data": "menu:help"}]]}


def test_text_and_buttons_are_the_caption_of_the_document():
    rendered = render(Reply("📄 Вашите данни", buttons=((HELP,),), document=EXPORT))
    assert [call(o) for o in rendered.messages] == [
        (
            "send_document",
            {"document": UPLOAD, "caption": "📄 Вашите данни", "reply_markup": INLINE_HELP},
        )
    ]


def test_a_document_without_text_has_no_caption():
    rendered = render(Reply("", document=EXPORT))
    assert [call(o) for o in rendered.messages] == [("send_document", {"document": UPLOAD})]


def test_caption_of_exactly_1024_characters_stays_a_caption():
    text = "д" * MAX_CAPTION
    (only,) = render(Reply(text, document=EXPORT)).messages
    assert call(only) == ("send_document", {"document": UPLOAD, "caption": text})


def test_longer_text_goes_first_with_the_buttons_and_the_file_follows():
    text = "д" * (MAX_CAPTION + 1)
    rendered = render(Reply(text, buttons=((HELP,),), document=EXPORT))
    assert [call(o) for o in rendered.messages] == [
        ("send_message", {"text": text, "reply_markup": INLINE_HELP}),
        ("send_document", {"document": UPLOAD}),
    ]


def test_a_photo_keeps_the_caption_and_the_document_follows():
    rendered = render(Reply("Снимка и файл", image=b"jpeg", document=EXPORT))
    assert [call(o) for o in rendered.messages] == [
        ("send_photo", {"photo": b"jpeg", "caption": "Снимка и файл"}),
        ("send_document", {"document": UPLOAD}),
    ]


def test_a_reply_keyboard_rides_on_the_document():
    rendered = render(Reply("Къде?", buttons=((LOCATION,),), document=EXPORT))
    (only,) = rendered.messages
    method, kwargs = call(only)
    assert method == "send_document" and kwargs["caption"] == "Къде?"
    assert kwargs["reply_markup"]["keyboard"][0][0]["request_location"] is True
    assert rendered.keyboard_changed and rendered.keyboard == {}
