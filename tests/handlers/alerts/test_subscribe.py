"""Citizens' alert subscriptions through the chat (the console and the real Telegram path):
topics as toggles, places (districts, all of the city, a circle around a pin), quiet hours,
the daily digest, /mysubs and /stop — checked in the replies and in the database, on SQLite
and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlmodel import col, select

from bot.channels.console import RecordingChannel
from bot.core.messages import IncomingMessage, Kind
from storage.db import Database
from storage.models import AlertPlace, AlertSettings, AlertTopic
from tests.e2e.conftest import StartBot, api, start_bot  # noqa: F401  (fixtures)
from tests.fakes.telegram_api import FakeBotAPI
from tests.steps import labels, onboard
from tests.telegram_chat import TelegramChat

Chat = RecordingChannel | TelegramChat

MLADOST = (42.6497, 23.3790)
LOZENETS = (42.668, 23.315)
PLOVDIV = (42.1354, 24.7453)
TOPIC_BUTTONS = [
    "💧 Water supply",
    "🔥 Heating",
    "⚡ Electricity",
    "🚧 Roads and traffic",
    "🚌 Public transport",
    "🌫️ Air quality",
    "🗑️ Waste collection",
    "🎭 Culture and events",
    "🚨 Emergencies",
    "📍 Places",
    "⚙️ My alerts",
]


async def citizen_id(db: Database, chat: Chat, user: str = "u1") -> int:
    from storage.repos import citizens

    address = chat.address(user)
    async with db.sessions() as session:
        found = await citizens.find_by_identity(
            session, channel=address.channel, user_id=address.user_id
        )
    assert found is not None and found.id is not None
    return found.id


async def topics_of(db: Database, cid: int) -> list[str]:
    async with db.sessions() as session:
        stmt = select(AlertTopic.topic).where(AlertTopic.citizen_id == cid)
        return sorted((await session.exec(stmt)).all())


async def places_of(db: Database, cid: int) -> list[tuple]:
    async with db.sessions() as session:
        stmt = select(AlertPlace).where(AlertPlace.citizen_id == cid).order_by(col(AlertPlace.id))
        return [
            (p.kind, p.district, p.lat, p.lon, p.radius_m) for p in (await session.exec(stmt)).all()
        ]


async def settings_of(db: Database, cid: int) -> AlertSettings | None:
    async with db.sessions() as session:
        return await session.get(AlertSettings, cid)


async def test_topics_are_toggles_and_the_first_brings_the_whole_city(chat: Chat, db: Database):
    await onboard(chat)
    (intro,) = await chat.say("/alerts")
    assert intro.text.startswith("🔔 Alerts\nTap a topic to turn it on or off (✅ = on).")
    assert labels(intro) == TOPIC_BUTTONS
    (on,) = await chat.tap("💧 Water supply")
    assert on.text.startswith("✅ Water supply: on.\n\n🔔 Alerts")
    assert labels(on)[0] == "✅ Water supply"
    await chat.tap("🔥 Heating")
    (off,) = await chat.tap("✅ Water supply")
    assert off.text.startswith("Water supply: off.")
    assert labels(off)[:2] == ["💧 Water supply", "✅ Heating"]

    cid = await citizen_id(db, chat)
    assert await topics_of(db, cid) == ["heating"]
    assert await places_of(db, cid) == [("all", None, None, None, None)]

    (mine,) = await chat.say("/mysubs")
    assert mine.text == (
        "🔔 Your alerts\n"
        "Topics: 🔥 Heating\n"
        "Places: all of Sofia Municipality\n"
        "Quiet hours: 22:00–07:00\n"
        "Daily digest: off, each alert comes at once\n"
        "\n"
        "Emergency warnings always come at once.\n"
        "\n"
        "📬 News about your reports and the ones you follow: on. We tell you when something"
        " changes, also after /stop."
    )
    assert labels(mine) == [
        "🗂️ Topics",
        "📍 Places",
        "🌙 Quiet hours",
        "📰 Daily digest",
        "🔕 Stop all",
        "🔕 No news about my reports",
    ]


async def test_the_menu_entry_opens_the_topics(chat: Chat):
    await onboard(chat)
    (reply,) = await chat.tap("🔔 Alerts")
    assert reply.text.startswith("🔔 Alerts")
    assert labels(reply) == TOPIC_BUTTONS


async def test_places_districts_and_a_circle_around_a_pin(chat: Chat, db: Database):
    await onboard(chat)
    await chat.say("/alerts")
    await chat.tap("🚧 Roads and traffic")
    (places,) = await chat.tap("📍 Places")
    assert "Now: all of Sofia Municipality." in places.text
    assert labels(places) == [
        "✅ 🏙️ All of Sofia Municipality",
        "🏘️ Districts",
        "📍 Around a point",
        "✅ Done",
    ]
    (districts,) = await chat.tap("🏘️ Districts")
    assert len(districts.all_buttons) == 25  # 24 districts and Back
    (chosen,) = await chat.tap("Mladost")
    assert "✅ Mladost" in labels(chosen)
    (places,) = await chat.tap("↩️ Back")
    assert "Now: Mladost." in places.text

    (ask,) = await chat.tap("📍 Around a point")
    assert ask.asks_location
    (outside,) = await chat.say(f"/loc {PLOVDIV[0]} {PLOVDIV[1]}")
    assert outside.text.startswith("This point is outside Sofia Municipality.")
    (radius,) = await chat.say(f"/loc {LOZENETS[0]} {LOZENETS[1]}")
    assert radius.text == "📍 A point in Lozenets. How far around it?"
    assert labels(radius) == ["500 m", "1 km", "2 km", "↩️ Back"]
    (added,) = await chat.tap("1 km")
    assert added.text.startswith("✅ Point added.\n\n📍 Where should your alerts be about?")
    assert "Now: Mladost; 1 km around a point in Lozenets." in added.text
    assert "✖️ 1 km around a point in Lozenets" in labels(added)

    cid = await citizen_id(db, chat)
    assert await places_of(db, cid) == [
        ("district", "15", None, None, None),
        ("radius", "09", LOZENETS[0], LOZENETS[1], 1000),
    ]
    (removed,) = await chat.tap("✖️ 1 km around a point in Lozenets")
    assert "Now: Mladost." in removed.text
    await chat.tap("🏘️ Districts")
    (none_left,) = await chat.tap("✅ Mladost")  # the last place: back to the whole city
    assert "✅ Mladost" not in labels(none_left)
    assert await places_of(db, cid) == [("all", None, None, None, None)]


async def test_quiet_hours_and_the_daily_digest(chat: Chat, db: Database):
    await onboard(chat)
    await chat.say("/alerts")
    await chat.tap("💧 Water supply")
    await chat.say("/mysubs")
    (quiet,) = await chat.tap("🌙 Quiet hours")
    assert quiet.text.startswith("🌙 Quiet hours: 22:00–07:00.")
    assert labels(quiet)[:4] == ["✅ 22:00–07:00", "23:00–07:00", "23:00–08:00", "00:00–06:00"]
    (saved,) = await chat.tap("23:00–08:00")
    assert saved.text.startswith("✅ Saved.\n\n🌙 Quiet hours: 23:00–08:00.")
    (ask,) = await chat.tap("⌨️ Other hours")
    assert ask.text == "Type the quiet hours as from–to, e.g. 22:30-06:30:"
    (bad,) = await chat.say("25:00-07:00")
    assert bad.text.startswith("We did not understand that.")
    (typed,) = await chat.say("22:30 - 6:15")
    assert "Quiet hours: 22:30–06:15." in typed.text
    cid = await citizen_id(db, chat)
    settings = await settings_of(db, cid)
    assert settings is not None
    assert (settings.quiet_enabled, settings.quiet_from, settings.quiet_to) == (True, 1350, 375)
    (off,) = await chat.tap("🔔 Turn off")
    assert "Quiet hours: off." in off.text and "🌙 Turn on" in labels(off)

    await chat.tap("↩️ Back")
    (digest,) = await chat.tap("📰 Daily digest")
    assert digest.text.startswith("📰 Daily digest: off, each alert comes at once.")
    (at_six,) = await chat.tap("18:00")
    assert "Daily digest: every day at 18:00." in at_six.text
    assert "✅ 18:00" in labels(at_six)
    settings = await settings_of(db, cid)
    assert settings is not None
    assert (settings.quiet_enabled, settings.digest_hour) == (False, 18)
    (mine,) = await chat.say("/mysubs")
    assert "Quiet hours: off\nDaily digest: every day at 18:00" in mine.text


async def test_stop_asks_first_and_subscribing_again_ends_it(chat: Chat, db: Database):
    await onboard(chat)
    await chat.say("/alerts")
    await chat.tap("💧 Water supply")
    (question,) = await chat.say("/stop")
    assert question.text.startswith(
        "Stop alerts? You will get no alerts, notices or survey invitations from us"
    )
    assert "News about your reports and the ones you follow still comes" in question.text
    assert labels(question) == ["🔕 Yes, stop", "No, keep them"]
    (kept,) = await chat.tap("No, keep them")
    assert kept.text == "All right, your alerts stay on."
    cid = await citizen_id(db, chat)
    assert await settings_of(db, cid) is None

    await chat.say("/stop")
    (stopped,) = await chat.tap("🔕 Yes, stop")
    assert stopped.text.startswith(
        "🔕 Done. You will get no more alerts, notices or survey invitations."
    )
    settings = await settings_of(db, cid)
    assert settings is not None and settings.stopped
    (again,) = await chat.say("/stop")
    assert again.text == "🔕 Alerts are already stopped."
    (mine,) = await chat.say("/mysubs")
    assert mine.text.startswith("🔕 Alerts are stopped")
    assert "🔔 Turn alerts back on" in labels(mine)

    (topics,) = await chat.say("/alerts")
    assert topics.text.startswith("🔕 Alerts are stopped")
    (resumed,) = await chat.tap("🔥 Heating")
    assert resumed.text.startswith("✅ Heating: on.\n🔔 Alerts are on again.")
    settings = await settings_of(db, cid)
    assert settings is not None and not settings.stopped
    assert await topics_of(db, cid) == ["heating", "water"]


async def test_resume_button_and_stale_or_forged_buttons(chat: Chat, db: Database):
    await onboard(chat)
    await chat.say("/alerts")
    await chat.tap("💧 Water supply")
    await chat.say("/stop")
    await chat.tap("🔕 Yes, stop")
    (resumed,) = await chat.tap("🔔 Turn alerts back on")
    assert resumed.text.startswith("🔔 Alerts are on again.\n\n🔔 Your alerts")

    def button(payload: str) -> IncomingMessage:
        return IncomingMessage(chat.address("u1"), Kind.BUTTON, payload=payload)

    (unknown,) = await chat.push(button("at:nosuch:1"))
    assert unknown.text.startswith("🔔 Alerts")
    (no_pin,) = await chat.push(button("ar:1000"))
    assert no_pin.text == "That button is no longer active. Here is the menu:"
    (not_mine,) = await chat.push(button("ax:999"))
    assert "Now: all of Sofia Municipality." in not_mine.text
    (bad_digest,) = await chat.push(button("ag:3"))
    assert bad_digest.text.startswith("📰 Daily digest: off")
    cid = await citizen_id(db, chat)
    assert await topics_of(db, cid) == ["water"]


async def test_alerts_toggle_on_telegram_with_callback_buttons(
    start_bot: StartBot,  # noqa: F811
    api: FakeBotAPI,  # noqa: F811
):
    """Long polling, as in production: /alerts, then a callback tap on a topic."""
    await start_bot()
    await api.wait_for_polling()
    user = 4242
    api.push_update(api.make_message_update(user, "/start"))
    await api.wait_for_calls("sendMessage", 1)
    api.push_update(api.make_callback_update(user, "lang:en"))
    await api.wait_for_calls("sendMessage", 3)

    api.push_update(api.make_message_update(user, "/alerts"))
    topics = (await api.wait_for_calls("sendMessage", 4))[-1]
    keyboard = topics.params["reply_markup"]["inline_keyboard"]
    assert keyboard[0] == [
        {"text": "💧 Water supply", "callback_data": "at:water:1"},
        {"text": "🔥 Heating", "callback_data": "at:heating:1"},
    ]
    tap = api.make_callback_update(user, "at:water:1")
    api.push_update(tap)
    toggled = (await api.wait_for_calls("sendMessage", 5))[-1]
    assert toggled.params["text"].startswith("✅ Water supply: on.")
    assert toggled.params["reply_markup"]["inline_keyboard"][0][0] == {
        "text": "✅ Water supply",
        "callback_data": "at:water:0",
    }
    answered = await api.wait_for_calls("answerCallbackQuery", 2)
    assert answered[-1].params == {"callback_query_id": tap["callback_query"]["id"]}


@pytest.mark.parametrize("text", ["22:00-07:00", "22.00–7.00", " 0:00 - 6:30 "])
def test_typed_quiet_hours(text: str):
    from handlers.alerts.hours import parse_quiet

    assert parse_quiet(text) is not None
    assert parse_quiet("22:00-22:00") is None
    assert parse_quiet("24:00-07:00") is None
    assert parse_quiet("evening") is None
