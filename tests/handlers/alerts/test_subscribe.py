"""Citizens' alert subscriptions through the chat (the console and the real Telegram path):
topics as toggles, /mysubs, stale and forged buttons — checked in the replies and in the
database, on SQLite and PostgreSQL."""

from __future__ import annotations

from bot.core.messages import IncomingMessage, Kind
from storage.db import Database
from tests.e2e.conftest import StartBot, api, start_bot  # noqa: F401  (fixtures)
from tests.fakes.telegram_api import FakeBotAPI
from tests.steps import labels, onboard
from tests.steps.notices import Chat, citizen_id, places_of, topics_of

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
