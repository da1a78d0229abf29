"""Neutral replies in → the exact send_message bodies out (receiver added by the channel)."""

from __future__ import annotations

from typing import Any

import pytest

from bot.channels.viber.render import (
    MAX_KEYBOARD_ROWS,
    Sender,
    action_body,
    button_text,
    keyboard_of,
    label_of,
    payload_of,
    render,
)
from bot.core.messages import Button, Reply, rows

SENDER = Sender("Столична община", "https://bot.example.org/avatar.jpg")
WIRE_SENDER = {"name": "Столична община", "avatar": "https://bot.example.org/avatar.jpg"}
HELP = Button("❓ Помощ", payload="menu:help")
REPORT = Button("📍 Сигнал", payload="menu:report")
SITE = Button("🌐 sofia.bg", url="https://www.sofia.bg")
LOCATION = Button("📍 Изпрати местоположение", request_location=True)
SKIP = Button("Пропусни", payload="report:skip")
PHOTO_URL = "https://bot.example.org/media/photos/AbCdEfGhIjKlMnOpQrStUvWxYz012345.jpg"


def reply_key(button: Button, columns: int) -> dict[str, Any]:
    return {
        "Columns": columns,
        "Rows": 1,
        "ActionType": "reply",
        "ActionBody": button.payload,
        "Silent": True,
        "Text": button.label,
        "TextSize": "regular",
    }


def keyboard(*buttons: dict[str, Any]) -> dict[str, Any]:
    return {
        "Type": "keyboard",
        "DefaultHeight": False,
        "InputFieldState": "regular",
        "Buttons": list(buttons),
    }


def test_plain_text():
    assert render(Reply("Здравейте!"), sender=SENDER) == [
        {"sender": WIRE_SENDER, "type": "text", "text": "Здравейте!"}
    ]


def test_sender_without_avatar():
    (message,) = render(Reply("Здравейте!"), sender=Sender("citizenbot"))
    assert message["sender"] == {"name": "citizenbot"}


def test_keyboard_with_payload_location_and_url_buttons():
    reply = Reply("Къде е проблемът?", buttons=((LOCATION,), (SKIP, SITE)))
    assert render(reply, sender=SENDER) == [
        {
            "sender": WIRE_SENDER,
            "type": "text",
            "text": "Къде е проблемът?",
            "keyboard": keyboard(
                {
                    "Columns": 6,
                    "Rows": 1,
                    "ActionType": "location-picker",
                    "ActionBody": "location",
                    "Text": "📍 Изпрати местоположение",
                    "TextSize": "regular",
                },
                reply_key(SKIP, 3),
                {
                    "Columns": 3,
                    "Rows": 1,
                    "ActionType": "open-url",
                    "ActionBody": "https://www.sofia.bg",
                    "Text": "🌐 sofia.bg",
                    "TextSize": "regular",
                },
            ),
            "min_api_version": 7,
        }
    ]


@pytest.mark.parametrize(
    ("count", "widths"),
    [
        (1, [6]),
        (2, [3, 3]),
        (3, [2, 2, 2]),
        (4, [3, 3, 3, 3]),
        (5, [2, 2, 2, 3, 3]),
        (6, [2, 2, 2, 2, 2, 2]),
        (7, [2, 2, 2, 3, 3, 3, 3]),
    ],
)
def test_a_row_fills_the_six_columns_with_at_most_three_buttons(count: int, widths: list[int]):
    row = tuple(Button(f"Б{i}", payload=f"x:{i}") for i in range(count))
    board = keyboard_of((row,))
    assert board is not None
    assert [b["Columns"] for b in board["Buttons"]] == widths
    assert [b["ActionBody"] for b in board["Buttons"]] == [f"x:{i}" for i in range(count)]


def test_the_menu_keeps_its_rows_and_order():
    menu = rows(*(Button(f"М{i}", payload=f"menu:{i}") for i in range(6)), per_row=2)
    board = keyboard_of(menu)
    assert board is not None
    assert [(b["Text"], b["Columns"]) for b in board["Buttons"]] == [(f"М{i}", 3) for i in range(6)]


def test_too_many_rows_are_packed_three_to_a_row():
    # 25 one-button rows (24 districts and Cancel) would be 25 grid rows: over the limit.
    buttons = [Button(f"Район {i}", payload=f"rd:{i:02d}") for i in range(25)]
    board = keyboard_of(rows(*buttons))
    assert board is not None
    assert len(board["Buttons"]) == 25
    assert [b["Columns"] for b in board["Buttons"]] == [2] * 24 + [6]
    assert [b["ActionBody"] for b in board["Buttons"]] == [f"rd:{i:02d}" for i in range(25)]


def test_a_keyboard_that_cannot_fit_is_cut_to_the_grid():
    buttons = [Button(f"{i}", payload=f"x:{i}") for i in range(3 * MAX_KEYBOARD_ROWS + 5)]
    board = keyboard_of(rows(*buttons))
    assert board is not None and len(board["Buttons"]) == 3 * MAX_KEYBOARD_ROWS


@pytest.mark.parametrize("payload", ["menu:help", "stk", "sts:12:in_progress", "я:" + "ж" * 30])
def test_every_action_body_has_a_colon_and_reads_back_as_its_payload(payload: str):
    body = action_body(payload)
    assert ":" in body and payload_of(body) == payload
    board = keyboard_of(((Button("Б", payload=payload),),))
    assert board is not None and board["Buttons"][0]["ActionBody"] == body


@pytest.mark.parametrize("text", ["no", "stk", "menu help", "a: b", ":", "x:" + "y" * 63, ""])
def test_texts_that_no_button_sends(text: str):
    assert payload_of(text) is None


def test_labels_are_escaped_and_cut_to_250_characters():
    assert button_text("Пътища & <тротоари>") == "Пътища &amp; &lt;тротоари&gt;"
    assert label_of(button_text("Пътища & <тротоари>")) == "Пътища & <тротоари>"
    long = button_text("я" * 300)
    assert len(long) == 250 and long.endswith("…") and long.startswith("я" * 249)
    # An entity is never cut in half.
    cut = button_text("&" * 100)
    assert len(cut) <= 250 and cut.endswith("&amp;…")
    assert button_text("я" * 250) == "я" * 250


def test_url_longer_than_an_action_body_is_left_out():
    long = Button("Линк", url="https://example.org/" + "a" * 4000)
    board = keyboard_of(((long, HELP),))
    assert board is not None and [b["ActionBody"] for b in board["Buttons"]] == ["menu:help"]
    assert keyboard_of(((long,),)) is None


def test_long_text_is_split_and_the_keyboard_goes_on_the_last_part():
    first = "Първи абзац. " * 500  # 6500 characters
    second = "Втори абзац. " * 100
    reply = Reply(f"{first.strip()}\n\n{second.strip()}", buttons=((HELP, REPORT),))
    assert render(reply, sender=SENDER) == [
        {"sender": WIRE_SENDER, "type": "text", "text": first.strip()},
        {
            "sender": WIRE_SENDER,
            "type": "text",
            "text": second.strip(),
            "keyboard": keyboard(reply_key(HELP, 3), reply_key(REPORT, 3)),
            "min_api_version": 7,
        },
    ]


def test_text_of_exactly_the_limit_is_one_message():
    assert [len(m["text"]) for m in render(Reply("я" * 7000), sender=SENDER)] == [7000]
    assert [len(m["text"]) for m in render(Reply("я" * 7001), sender=SENDER)] == [7000, 1]


def test_picture_with_its_text_and_keyboard():
    reply = Reply("📷 SOF-2026-000001 (1/1)", buttons=((HELP,),), image=b"jpeg")
    assert render(reply, sender=SENDER, media_url=PHOTO_URL) == [
        {
            "sender": WIRE_SENDER,
            "type": "picture",
            "text": "📷 SOF-2026-000001 (1/1)",
            "media": PHOTO_URL,
            "keyboard": keyboard(reply_key(HELP, 6)),
            "min_api_version": 7,
        }
    ]


def test_picture_text_of_120_characters_stays_on_the_picture():
    (picture,) = render(Reply("д" * 120, image=b"jpeg"), sender=SENDER, media_url=PHOTO_URL)
    assert picture["text"] == "д" * 120


def test_longer_text_follows_the_picture():
    text = "д" * 121
    reply = Reply(text, buttons=((HELP,),), image=b"jpeg")
    assert render(reply, sender=SENDER, media_url=PHOTO_URL) == [
        {"sender": WIRE_SENDER, "type": "picture", "text": "", "media": PHOTO_URL},
        {
            "sender": WIRE_SENDER,
            "type": "text",
            "text": text,
            "keyboard": keyboard(reply_key(HELP, 6)),
            "min_api_version": 7,
        },
    ]


def test_picture_without_text():
    assert render(Reply("", image=b"jpeg"), sender=SENDER, media_url=PHOTO_URL) == [
        {"sender": WIRE_SENDER, "type": "picture", "text": "", "media": PHOTO_URL}
    ]


def test_empty_reply_renders_nothing():
    assert render(Reply("  "), sender=SENDER) == []
    assert render(Reply("", buttons=((HELP,),)), sender=SENDER) == []
