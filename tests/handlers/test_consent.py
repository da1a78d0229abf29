"""No one is served before they have seen the privacy notice and chosen a language, whatever
their first message is (issue 11 #12); their first request then continues. Through the
console and the real Telegram path, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from bot.channels.console import RecordingChannel
from bot.core.messages import IncomingMessage, Kind, Reply
from handlers.start import PRIVACY_VERSION
from storage.db import Database
from storage.repos import citizens
from tests.bot.surveys.seed import add_survey
from tests.steps import labels

NEW = "newcomer"


def asks_language(replies: list[Reply]) -> None:
    """The first screen of someone new: the greeting and the language choice, nothing else."""
    (welcome,) = replies
    assert "Здравейте" in welcome.text
    assert labels(welcome) == ["Български", "English"]


def is_notice(reply: Reply) -> None:
    assert reply.text.startswith("🔒 About your data") and "/forget" in reply.text


async def test_a_command_first_asks_language_then_the_command_continues(chat: RecordingChannel):
    asks_language(await chat.say("/report", user=NEW))
    notice, categories = await chat.tap("English", user=NEW)
    is_notice(notice)
    assert categories.text == "What is the problem about? Choose a category:"


@pytest.mark.parametrize(
    ("command", "answer"),
    [("/myreports", "You have no reports yet"), ("/alerts", "🔔 Alerts")],
)
async def test_other_commands_first_wait_for_the_notice_too(
    chat: RecordingChannel, command: str, answer: str
):
    asks_language(await chat.say(command, user=NEW))
    notice, served = await chat.tap("English", user=NEW)
    is_notice(notice)
    assert served.text.startswith(answer)


async def test_a_button_first_asks_language_then_the_button_continues(chat: RecordingChannel):
    tap = IncomingMessage(address=chat.address(NEW), kind=Kind.BUTTON, payload="menu:alerts")
    asks_language(await chat.push(tap))
    notice, alerts = await chat.tap("English", user=NEW)
    is_notice(notice)
    assert alerts.text.startswith("🔔 Alerts")


async def test_a_location_first_asks_language_then_offers_the_menu(chat: RecordingChannel):
    asks_language(await chat.say("/loc 42.6497 23.379", user=NEW))
    notice, menu = await chat.tap("English", user=NEW)
    is_notice(notice)
    assert menu.text == "What would you like to do?" and "📍 Report a problem" in labels(menu)


async def test_a_photo_first_asks_language_then_offers_the_menu(
    chat: RecordingChannel, tmp_path: Path
):
    photo = tmp_path / "hole.jpg"
    Image.new("RGB", (64, 48), (120, 90, 60)).save(photo, "JPEG")
    asks_language(await chat.say(f"/photo {photo}", user=NEW))
    notice, menu = await chat.tap("English", user=NEW)
    is_notice(notice)
    assert menu.text == "What would you like to do?"


async def test_until_the_choice_nothing_is_served_and_the_latest_request_waits(
    chat: RecordingChannel,
):
    asks_language(await chat.say("/report", user=NEW))
    (again,) = await chat.say("/mydata", user=NEW)
    assert again.text.startswith("Изберете език") and again.document is None
    (again,) = await chat.say("hello?", user=NEW)
    assert again.text.startswith("Изберете език")
    notice, mydata = await chat.tap("English", user=NEW)
    is_notice(notice)
    assert mydata.document is not None


async def test_a_deep_link_survives_onboarding(chat: RecordingChannel, db: Database):
    await add_survey(db)
    asks_language(await chat.say("/start survey_1", user=NEW))
    (again,) = await chat.say("what is this?", user=NEW)
    assert again.text.startswith("Изберете език")
    notice, survey = await chat.tap("English", user=NEW)
    is_notice(notice)
    assert survey.text.startswith("📝 The parks") and "Question 1/4" in survey.text


async def test_mydata_shows_the_consent_given_after_a_command_first(chat: RecordingChannel):
    await chat.say("/mydata", user=NEW)
    _, export = await chat.tap("English", user=NEW)
    assert export.document is not None
    consent = json.loads(export.document.data)["citizen"]["consent"]
    assert consent["version"] == PRIVACY_VERSION and consent["at"] is not None


async def test_after_forget_the_next_message_gets_the_notice_again(chat: RecordingChannel):
    await chat.say("/start", user=NEW)
    await chat.tap("English", user=NEW)
    await chat.say("/forget", user=NEW)
    (done,) = await chat.tap("🗑 Yes, delete", user=NEW)
    assert done.text.startswith("✅ Done, your data is deleted")
    asks_language(await chat.say("/myreports", user=NEW))
    notice, mine = await chat.tap("English", user=NEW)
    is_notice(notice)
    assert mine.text.startswith("You have no reports yet")


async def test_someone_in_a_conversation_without_consent_keeps_their_draft(
    chat: RecordingChannel, db: Database
):
    # A citizen from before consent was recorded, half-way through a report.
    await chat.say("/start", user=NEW)
    await chat.tap("English", user=NEW)
    await chat.say("/report", user=NEW)
    await chat.tap("💡 Street lighting", user=NEW)
    address = chat.address(NEW)
    async with db.sessions() as session, session.begin():
        citizen = await citizens.find_by_identity(
            session, channel=address.channel, user_id=address.user_id
        )
        assert citizen is not None
        citizen.consent_version = None
        session.add(citizen)
    (welcome,) = await chat.say("/loc 42.6497 23.379", user=NEW)
    assert labels(welcome) == ["Български", "English"]
    notice, got_it, description = await chat.tap("English", user=NEW)
    is_notice(notice)
    assert got_it.text == "📍 Mladost — got it."
    assert description.text.startswith("Describe the problem briefly")


async def test_an_old_or_forged_button_first_is_not_served_after_the_choice(
    chat: RecordingChannel,
):
    # Only main-menu buttons wait for the choice: any other was offered in a conversation
    # that is gone (a forgotten citizen's old keyboard) or never was (a forged payload).
    old = IncomingMessage(address=chat.address(NEW), kind=Kind.BUTTON, payload="myo:1")
    asks_language(await chat.push(old))
    notice, menu = await chat.tap("English", user=NEW)
    is_notice(notice)
    assert menu.text == "What would you like to do?"


async def test_start_in_the_middle_of_a_report_starts_over(chat: RecordingChannel):
    await chat.say("/start", user=NEW)
    await chat.tap("English", user=NEW)
    await chat.say("/report", user=NEW)
    await chat.tap("💡 Street lighting", user=NEW)
    await chat.say("/start", user=NEW)
    notice, menu = await chat.tap("English", user=NEW)
    is_notice(notice)
    assert menu.text == "What would you like to do?"
    (reply,) = await chat.say("/loc 42.6497 23.379", user=NEW)
    assert "not expecting that" in reply.text
