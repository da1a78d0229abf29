"""Neutral replies in → the exact Bot API calls out (method and request parameters)."""

from __future__ import annotations

from typing import Any

from telegram import TelegramObject

from bot.channels.telegram.render import Outgoing, Rendered, ReplyKeyboards, render
from bot.core.messages import Address, Button, MediaRef, Reply

HELP = Button("❓ Помощ", payload="menu:help")
REPORT = Button("📍 Сигнал", payload="menu:report")
SITE = Button("🌐 sofia.bg", url="https://www.sofia.bg")
LOCATION = Button("📍 Изпрати местоположение", request_location=True)
SKIP = Button("Пропусни", payload="report:skip")


def wire(rendered: Rendered) -> list[tuple[str, dict[str, Any]]]:
    """The calls as they go over the wire: markup objects as their JSON."""

    def value(v: Any) -> Any:
        return v.to_dict() if isinstance(v, TelegramObject) else v

    return [(o.method, {k: value(v) for k, v in o.kwargs.items()}) for o in rendered.messages]


INLINE_HELP_REPORT = {
    "inline_keyboard": [
        [
            {"text": "❓ Помощ", "callback_data": "menu:help"},
            {"text": "📍 Сигнал", "callback_data": "menu:report"},
        ]
    ]
}


def test_plain_text():
    rendered = render(Reply("Здравейте!"))
    assert wire(rendered) == [("send_message", {"text": "Здравейте!"})]
    assert not rendered.keyboard_changed


def test_inline_keyboard_with_payload_and_url_buttons():
    rendered = render(Reply("Меню", buttons=((HELP, REPORT), (SITE,))))
    assert wire(rendered) == [
        (
            "send_message",
            {
                "text": "Меню",
                "reply_markup": {
                    "inline_keyboard": [
                        *INLINE_HELP_REPORT["inline_keyboard"],
                        [{"text": "🌐 sofia.bg", "url": "https://www.sofia.bg"}],
                    ]
                },
            },
        )
    ]


def test_long_text_is_split_at_paragraphs_and_buttons_go_on_the_last_part():
    first = "Първи абзац. " * 250  # 3250 characters
    second = "Втори абзац. " * 250
    rendered = render(Reply(f"{first.strip()}\n\n{second.strip()}", buttons=((HELP, REPORT),)))
    assert wire(rendered) == [
        ("send_message", {"text": first.strip()}),
        ("send_message", {"text": second.strip(), "reply_markup": INLINE_HELP_REPORT}),
    ]


def test_text_of_exactly_the_limit_is_one_message():
    rendered = render(Reply("я" * 4096))
    assert [len(kw["text"]) for _, kw in wire(rendered)] == [4096]


def test_location_request_becomes_a_one_time_reply_keyboard():
    reply = Reply("Къде е проблемът?", buttons=((LOCATION,), (SKIP, SITE)))
    rendered = render(reply)
    assert wire(rendered) == [
        (
            "send_message",
            {
                "text": "Къде е проблемът?\n\n🌐 sofia.bg: https://www.sofia.bg",
                "reply_markup": {
                    "keyboard": [
                        [{"text": "📍 Изпрати местоположение", "request_location": True}],
                        [{"text": "Пропусни"}],
                    ],
                    "resize_keyboard": True,
                    "one_time_keyboard": True,
                },
            },
        )
    ]
    assert rendered.keyboard_changed
    assert rendered.keyboard == {"Пропусни": "report:skip"}


def test_reply_keyboard_is_removed_by_the_next_reply_without_buttons():
    rendered = render(Reply("Благодаря!"), keyboard_shown=True)
    assert wire(rendered) == [
        ("send_message", {"text": "Благодаря!", "reply_markup": {"remove_keyboard": True}})
    ]
    assert rendered.keyboard_changed and rendered.keyboard is None


def test_inline_buttons_leave_a_shown_reply_keyboard_alone():
    rendered = render(Reply("Меню", buttons=((HELP, REPORT),)), keyboard_shown=True)
    assert wire(rendered) == [
        ("send_message", {"text": "Меню", "reply_markup": INLINE_HELP_REPORT})
    ]
    assert not rendered.keyboard_changed


def test_photo_with_caption_and_buttons():
    rendered = render(Reply("Сигнал №12", buttons=((HELP, REPORT),), image=b"\x89PNG"))
    assert wire(rendered) == [
        (
            "send_photo",
            {"photo": b"\x89PNG", "caption": "Сигнал №12", "reply_markup": INLINE_HELP_REPORT},
        )
    ]


def test_photo_without_text_has_no_caption():
    assert wire(render(Reply("", image=b"jpeg"))) == [("send_photo", {"photo": b"jpeg"})]


def test_photo_with_text_longer_than_a_caption_sends_the_text_after_it():
    text = "д" * 1025
    rendered = render(Reply(text, buttons=((HELP, REPORT),), image=b"jpeg"))
    assert wire(rendered) == [
        ("send_photo", {"photo": b"jpeg"}),
        ("send_message", {"text": text, "reply_markup": INLINE_HELP_REPORT}),
    ]


def test_caption_of_exactly_1024_characters_stays_a_caption():
    text = "д" * 1024
    assert wire(render(Reply(text, image=b"jpeg"))) == [
        ("send_photo", {"photo": b"jpeg", "caption": text})
    ]


def test_telegram_file_is_sent_again_by_its_id():
    ref = MediaRef("telegram", "AgACAgIAAxkBAAIB", size=10)
    assert wire(render(Reply("Снимка", image=ref))) == [
        ("send_photo", {"photo": "AgACAgIAAxkBAAIB", "caption": "Снимка"})
    ]


def test_file_of_another_channel_is_left_out():
    ref = MediaRef("viber", "https://media.viber.example/x.jpg")
    assert wire(render(Reply("Снимка", image=ref))) == [("send_message", {"text": "Снимка"})]


def test_empty_reply_renders_nothing():
    assert render(Reply("  ")).messages == ()


def test_outgoing_is_a_plain_value():
    assert Outgoing("send_message", {"text": "a"}) == Outgoing("send_message", {"text": "a"})


class TestReplyKeyboards:
    a = Address("telegram", "1")
    b = Address("telegram", "2")

    def test_shown_until_a_reply_without_buttons_removes_it(self):
        keyboards = ReplyKeyboards()
        keyboards.update(self.a, render(Reply("?", buttons=((LOCATION,), (SKIP,)))))
        assert keyboards.shown(self.a) and not keyboards.shown(self.b)
        keyboards.update(self.a, render(Reply("Меню", buttons=((HELP,),)), keyboard_shown=True))
        assert keyboards.shown(self.a)  # inline buttons cannot remove it
        keyboards.update(self.a, render(Reply("Готово"), keyboard_shown=True))
        assert not keyboards.shown(self.a)

    def test_location_only_keyboard_is_still_shown(self):
        keyboards = ReplyKeyboards()
        keyboards.update(self.a, render(Reply("?", buttons=((LOCATION,),))))
        assert keyboards.shown(self.a)

    def test_is_bounded(self):
        keyboards = ReplyKeyboards(limit=1)
        keyboards.update(self.a, render(Reply("?", buttons=((LOCATION, SKIP),))))
        keyboards.update(self.b, render(Reply("?", buttons=((LOCATION, SKIP),))))
        assert not keyboards.shown(self.a) and keyboards.shown(self.b)
