"""/newsurvey: staff make a simple survey in chat, step by step, and publish it or keep it
as a draft."""

from __future__ import annotations

from sqlmodel import select

from bot.channels.console import RecordingChannel
from storage.db import Database
from storage.models import Survey
from tests.steps import labels, onboard


async def test_a_survey_made_in_chat(chat: RecordingChannel, db: Database):
    await onboard(chat, user="admin")
    (ask,) = await chat.say("/newsurvey", user="admin")
    assert "Send its title" in ask.text
    (q1,) = await chat.say("Градинката | The little garden", user="admin")
    assert q1.text.startswith("Question 1: send its text")
    (kind,) = await chat.say("Харесва ли Ви? | Do you like it?", user="admin")
    assert labels(kind) == [
        "🔘 One choice",
        "☑️ Several choices",
        "⭐ Scale 1–5",
        "🔟 Scale 0–10",
        "✍️ Free text",
        "✖️ Cancel",
    ]
    (options,) = await chat.tap("🔘 One choice", user="admin")
    assert "one per line" in options.text
    (few,) = await chat.say("Да | Yes", user="admin")
    assert few.text == "Send between 2 and 12 answers, one per line."
    (added,) = await chat.say("Да | Yes\nНе | No\nНе знам", user="admin")
    assert added.text == "✅ Question 1 added. Another one, or on to the dates?"
    await chat.tap("➕ Another question", user="admin")
    await chat.say("Оценка | Your rating", user="admin")
    await chat.tap("⭐ Scale 1–5", user="admin")
    (opens,) = await chat.tap("➡️ On to the dates", user="admin")
    assert "When does it open?" in opens.text
    (wrong,) = await chat.say("someday", user="admin")
    assert wrong.text.startswith("We did not understand that.")
    (closes,) = await chat.tap("▶️ Now", user="admin")
    assert labels(closes) == ["7 days", "14 days", "30 days", "✖️ Cancel"]
    (summary,) = await chat.tap("7 days", user="admin")
    assert summary.text.startswith("📝 The little garden")
    assert "1. Do you like it? (One choice)\n   • Yes\n   • No\n   • Не знам" in summary.text
    assert "2. Your rating (Scale 1–5)" in summary.text
    assert "now – 4 Dec 2026, 12:00" in summary.text
    (card,) = await chat.tap("✅ Publish", user="admin")
    assert card.text.startswith("✅ Survey #1 is published.")
    assert "Status: open" in card.text and "Questions: 2" in card.text
    assert "/start survey_1" in card.text
    # A citizen answers it.
    await onboard(chat)
    await chat.say("/surveys")
    (first,) = await chat.tap("📝 The little garden")
    assert labels(first) == ["Yes", "No", "Не знам", "⏸️ Later"]
    await chat.tap("No")
    (thanks,) = await chat.tap("2️⃣")
    assert "Thank you" in thanks.text
    async with db.sessions() as session:
        survey = (await session.exec(select(Survey))).one()
    assert survey.code == "chat-1" and survey.status == "published" and survey.source == "chat"


async def test_newsurvey_can_be_cancelled_and_saved_as_a_draft(
    chat: RecordingChannel, db: Database
):
    await onboard(chat, user="admin")
    await chat.say("/newsurvey", user="admin")
    (cancelled,) = await chat.tap("✖️ Cancel", user="admin")
    assert cancelled.text == "Cancelled."
    await chat.say("/newsurvey", user="admin")
    await chat.say("Идеи", user="admin")
    await chat.say("Какво да направим?", user="admin")
    await chat.tap("✍️ Free text", user="admin")
    await chat.tap("➡️ On to the dates", user="admin")
    await chat.say("01.12 9:00", user="admin")
    (closes_early,) = await chat.say("30.11 9:00", user="admin")
    assert "It has to close after it opens." in closes_early.text
    await chat.say("10.12 18:00", user="admin")
    (card,) = await chat.tap("💾 Save as a draft", user="admin")
    assert card.text.startswith("💾 Survey #1 is saved as a draft")
    assert "Status: draft" in card.text and "1 Dec 2026, 09:00 – 10 Dec 2026, 18:00" in card.text
    (published,) = await chat.say("/survey 1 publish", user="admin")
    assert (
        published.text.startswith("✅ Published")
        and "Status: published, not open yet" in published.text
    )
