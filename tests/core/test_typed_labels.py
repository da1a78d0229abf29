"""A button's label typed as text is a tap of that button, with or without its emoji, in any
case (a Viber or Telegram user who types "Report a problem"); a text that names no single
button stays text."""

from __future__ import annotations

from bot.channels.console import RecordingChannel
from bot.core.messages import IncomingMessage, Kind


def typed(chat: RecordingChannel, text: str) -> IncomingMessage:
    return IncomingMessage(address=chat.address("u1"), kind=Kind.TEXT, text=text)


async def test_a_label_typed_without_its_emoji_taps_the_button(chat: RecordingChannel):
    await chat.say("/start")
    await chat.tap("English")
    (categories,) = await chat.push(typed(chat, "report a problem"))
    assert categories.text == "What is the problem about? Choose a category:"
    (cancelled,) = await chat.push(typed(chat, "Cancel"))
    assert cancelled.text.startswith("Filing cancelled")


async def test_a_text_that_names_no_button_stays_text(chat: RecordingChannel):
    await chat.say("/start")
    await chat.tap("English")
    (reply,) = await chat.push(typed(chat, "report"))
    assert "did not understand" in reply.text
