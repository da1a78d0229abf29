"""Where alerts are about: districts, all of the city, a circle around a pin."""

from __future__ import annotations

from storage.db import Database
from tests.steps import labels, onboard
from tests.steps.notices import Chat, citizen_id, places_of

LOZENETS = (42.668, 23.315)
PLOVDIV = (42.1354, 24.7453)


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
