"""Quiet hours (presets and typed) and the daily digest."""

from __future__ import annotations

import pytest

from storage.db import Database
from tests.steps import labels, onboard
from tests.steps.notices import Chat, citizen_id, settings_of

LOZENETS = (42.668, 23.315)
PLOVDIV = (42.1354, 24.7453)


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


@pytest.mark.parametrize("text", ["22:00-07:00", "22.00–7.00", " 0:00 - 6:30 "])
def test_typed_quiet_hours(text: str):
    from handlers.alerts.hours import parse_quiet

    assert parse_quiet(text) is not None
    assert parse_quiet("22:00-22:00") is None
    assert parse_quiet("24:00-07:00") is None
    assert parse_quiet("evening") is None
