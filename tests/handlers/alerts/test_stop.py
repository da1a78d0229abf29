"""/stop asks first; subscribing again ends it."""

from __future__ import annotations

from storage.db import Database
from tests.steps import labels, onboard
from tests.steps.notices import Chat, citizen_id, settings_of, topics_of

LOZENETS = (42.668, 23.315)
PLOVDIV = (42.1354, 24.7453)


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
