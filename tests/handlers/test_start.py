"""Onboarding, language, help, menu and /cancel, through the recording console channel."""

from __future__ import annotations

from sqlmodel import select

from bot.channels.console import RecordingChannel
from bot.core.messages import IncomingMessage, Kind
from storage.db import Database
from storage.models import Citizen
from tests.steps import labels


async def test_start_greets_in_bulgarian_and_offers_both_languages(chat: RecordingChannel):
    replies = await chat.say("/start")
    assert len(replies) == 1
    assert "Здравейте" in replies[0].text
    assert "Столична община" in replies[0].text
    assert labels(replies[0]) == ["Български", "English"]


async def test_choosing_english_shows_privacy_notice_then_english_menu(chat: RecordingChannel):
    await chat.say("/start")
    notice, menu = await chat.tap("English")
    assert "About your data" in notice.text
    assert "/forget" in notice.text
    assert menu.text == "What would you like to do?"
    assert labels(menu) == [
        "📍 Report a problem",
        "📋 My reports",
        "🔔 Alerts",
        "📡 Now",
        "📊 Surveys",
        "❓ Help",
        "🌐 Language",
    ]
    (help_reply,) = await chat.say("/help")
    assert "Here is what you can do" in help_reply.text


async def test_typing_the_button_number_picks_it(chat: RecordingChannel):
    await chat.say("/start")
    replies = await chat.say("1")
    assert "За личните данни" in replies[0].text
    assert replies[1].text == "Какво искате да направите?"


async def test_first_message_of_someone_new_starts_onboarding(chat: RecordingChannel):
    (reply,) = await chat.say("здравейте", user="newcomer")
    assert labels(reply) == ["Български", "English"]
    # Anything but a language choice during onboarding asks again.
    (again,) = await chat.say("какво?", user="newcomer")
    assert "Изберете език" in again.text


async def test_language_hint_of_the_client_is_used_until_chosen(chat: RecordingChannel):
    msg = IncomingMessage(address=chat.address("en-user"), kind=Kind.STARTED, language="en-GB")
    (reply,) = await chat.push(msg)
    assert reply.text.startswith("Hello!")


async def test_language_can_be_changed_later(chat: RecordingChannel):
    await chat.say("/start")
    await chat.tap("Български")
    (choice,) = await chat.say("/language")
    assert [b.payload for b in choice.all_buttons] == ["lang:bg", "lang:en"]
    (done,) = await chat.tap("English")
    assert done.text == "Done, we will write to you in English."
    assert "❓ Help" in labels(done)


async def test_unknown_text_command_and_stale_button_get_help(chat: RecordingChannel):
    await chat.say("/start")
    await chat.tap("English")
    (text,) = await chat.say("asdf")
    assert "did not understand" in text.text and labels(text)
    (cmd,) = await chat.say("/frobnicate now")
    assert "/frobnicate" in cmd.text and labels(cmd)
    stale = IncomingMessage(address=chat.address("u1"), kind=Kind.BUTTON, payload="gone:42")
    (button,) = await chat.push(stale)
    assert "no longer active" in button.text


async def test_location_outside_any_flow_is_answered(chat: RecordingChannel):
    await chat.say("/start")
    await chat.tap("English")
    (reply,) = await chat.say("/loc 42.69 23.32")
    assert "not expecting that" in reply.text


async def test_cancel_leaves_a_flow(chat: RecordingChannel):
    await chat.say("/start")
    await chat.tap("Български")
    await chat.say("/report")
    (reply,) = await chat.say("/cancel")
    assert "прекратено" in reply.text
    (nothing,) = await chat.say("/cancel")
    assert "Няма нищо за прекратяване" in nothing.text


async def test_consent_and_language_are_stored(chat: RecordingChannel, db: Database):
    await chat.say("/start", user="c1")
    await chat.tap("English", user="c1")
    async with db.sessions() as session:
        citizen = (await session.exec(select(Citizen))).one()
    assert citizen.language == "en"
    assert citizen.consent_version == 2
    assert citizen.consented_at is not None and citizen.consented_at.tzinfo is not None


async def test_staff_command_refused_to_citizen_with_log(chat: RecordingChannel, caplog):
    await chat.say("/start")
    await chat.tap("English")
    (reply,) = await chat.say("/stats")
    assert reply.text == "This command is for municipal staff only."
    assert any("refused command:stats" in r.getMessage() for r in caplog.records)


async def test_admin_from_settings_gets_stats(chat: RecordingChannel):
    await chat.say("/start", user="someone")
    await chat.say("/start", user="admin")
    await chat.tap("English", user="admin")
    reply, chart = await chat.say("/stats", user="admin")
    assert chart.image is not None
    assert "Citizens: 2" in reply.text
    assert f"{chat.name.capitalize()} 2" in reply.text
