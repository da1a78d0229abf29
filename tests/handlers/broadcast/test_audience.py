"""The composer's audience step: typed coordinates, a point outside the city, wrong input
explained, and a stale button after Cancel."""

from __future__ import annotations

from bot.core.messages import IncomingMessage, Kind
from tests.steps import labels, onboard
from tests.steps.notices import (
    City,
)

REFUSED = "This command is for municipal staff only."
MLADOST = (42.6497, 23.3790)


async def test_typed_coordinates_outside_and_wrong_input_are_explained(city: City):
    console = city.console
    await onboard(console, "admin")
    await console.say("/broadcast", user="admin")
    await console.tap("💧 Water supply", user="admin")
    (again,) = await console.say("all of it", user="admin")
    assert again.text.startswith("Please choose with the buttons.\n\nWho is it for?")
    await console.tap("📍 Around a point", user="admin")
    (bad,) = await console.say("somewhere", user="admin")
    assert bad.text.startswith("Please send a location, or coordinates like 42.6977, 23.3219.")
    (outside,) = await console.say("/loc 42.1354 24.7453", user="admin")
    assert outside.text.startswith("That point is outside Sofia Municipality.")
    (radius,) = await console.say(f"/loc {MLADOST[0]} {MLADOST[1]}", user="admin")
    assert labels(radius) == ["500 m", "1 km", "2 km", "5 km", "✖️ Cancel"]
    (urgency,) = await console.tap("500 m", user="admin")
    assert labels(urgency) == ["✅ Normal", "🚨 Emergency", "✖️ Cancel"]
    await console.tap("✅ Normal", user="admin")
    (long,) = await console.say("я" * 3001, user="admin")
    assert long.text == "The text has 3001 characters; the limit is 3000. Please shorten it."
    (cancelled,) = await console.tap("✖️ Cancel", user="admin")
    assert cancelled.text == "Cancelled. Nothing was sent."
    (stale,) = await console.push(
        IncomingMessage(console.address("admin"), Kind.BUTTON, payload="bw:now")
    )
    assert stale.text == "That button is no longer active. Here is the menu:"
