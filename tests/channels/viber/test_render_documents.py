"""A reply with a document → a Viber `file` message (media URL, size, file name) after the
picture and the text, carrying the keyboard; without a URL the document is left out."""

from __future__ import annotations

import logging

import pytest

from bot.channels.viber.render import MAX_FILE_NAME, Sender, render
from bot.core.messages import Button, Document, Reply

SENDER = Sender("Столична община")
WIRE_SENDER = {"name": "Столична община"}
EXPORT = Document("citizenbot-mydata-2026-11-27.json", b'{"citizen": {}}', "application/json")
FILE_URL = (
    "https://bot.example.org/media/files/1796292000-AbCdEfGhIjKlMnOpQrStUvWxYz012345/"
    "citizenbot-mydata-2026-11-27.json"
)
PHOTO_URL = "https://bot.example.org/media/photos/AbCdEfGhIjKlMnOpQrStUvWxYz012345.jpg"
FILE = {
    "sender": WIRE_SENDER,
    "type": "file",
    "media": FILE_URL,
    "size": 15,
    "file_name": "citizenbot-mydata-2026-11-27.json",
}


def test_the_text_comes_first_and_the_file_follows():
    messages = render(Reply("📄 Вашите данни", document=EXPORT), sender=SENDER, file_url=FILE_URL)
    assert messages == [
        {"sender": WIRE_SENDER, "type": "text", "text": "📄 Вашите данни"},
        FILE,
    ]


def test_the_keyboard_goes_on_the_file():
    reply = Reply("Файл", buttons=((Button("❓ Помощ", payload="menu:help"),),), document=EXPORT)
    text, file = render(reply, sender=SENDER, file_url=FILE_URL)
    assert "keyboard" not in text
    assert file["type"] == "file" and file["min_api_version"] == 7
    assert file["keyboard"]["Buttons"][0]["ActionBody"] == "menu:help"


def test_picture_text_and_file_in_that_order():
    reply = Reply("Снимка", image=b"jpeg", document=EXPORT)
    messages = render(reply, sender=SENDER, media_url=PHOTO_URL, file_url=FILE_URL)
    assert [m["type"] for m in messages] == ["picture", "file"]
    assert messages[0]["text"] == "Снимка"


def test_a_document_alone_is_one_file_message():
    assert render(Reply("", document=EXPORT), sender=SENDER, file_url=FILE_URL) == [FILE]


def test_without_a_url_the_document_is_left_out(caplog: pytest.LogCaptureFixture):
    with caplog.at_level(logging.WARNING):
        messages = render(Reply("Текст", document=EXPORT), sender=SENDER)
    assert [m["type"] for m in messages] == ["text"]
    assert "document" in caplog.text


def test_a_long_file_name_is_cut_keeping_its_extension():
    long = Document("д" * 300 + ".json", b"{}")
    (file,) = render(Reply("", document=long), sender=SENDER, file_url=FILE_URL)
    assert len(file["file_name"]) == MAX_FILE_NAME and file["file_name"].endswith(".json")
