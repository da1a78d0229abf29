"""Flood control: past the limit one notice, then silence for the cooldown; others and staff
are unaffected."""

from __future__ import annotations

from bot.core.flood import FloodGuard, Verdict
from bot.core.messages import Address
from tests.conftest import recording_channel

A, B = Address("console", "a"), Address("console", "b")


def test_guard_counts_a_sliding_window_then_cools_down():
    guard = FloodGuard(limit=3, window_s=60, cooldown_s=30)
    assert [guard.check(A, t).value for t in (0, 1, 2)] == ["ok"] * 3
    assert guard.check(A, 3) is Verdict.NOTIFY
    assert guard.check(A, 10) is Verdict.IGNORE
    assert guard.check(B, 10) is Verdict.OK
    assert guard.check(A, 33.5) is Verdict.OK  # cooled down: a fresh window
    slow = FloodGuard(limit=2, window_s=60, cooldown_s=30)
    assert [slow.check(A, t).value for t in (0, 61, 122, 183)] == ["ok"] * 4


def test_an_update_is_counted_once_however_often_it_is_delivered():
    guard = FloodGuard(limit=3, window_s=60, cooldown_s=30)
    for _ in range(5):  # the platform redelivering three updates (database down)
        assert [guard.check(A, 1, update_id=i).value for i in "123"] == ["ok"] * 3
    assert guard.check(A, 2, update_id="4") is Verdict.NOTIFY  # the fourth distinct one
    assert guard.check(A, 3, update_id="4") is Verdict.REPEAT  # dropped before: not again
    assert guard.check(A, 3, update_id="5") is Verdict.IGNORE
    assert guard.check(A, 4, update_id="2") is Verdict.OK  # let through before: still is
    assert guard.check(B, 4, update_id="1") is Verdict.OK  # ids are per chat


async def test_flooding_citizen_is_told_once_then_ignored(bot_factory, clock):
    chat = recording_channel()
    await bot_factory([chat], flood_messages_per_minute=3, flood_cooldown_seconds=60)
    for _ in range(3):
        assert await chat.say("/help", user="fast")
    (notice,) = await chat.say("/help", user="fast")
    assert notice.text == (
        "Изпращате съобщения твърде бързо. Ще Ви отговорим отново след 60 секунди."
    )
    assert await chat.say("/help", user="fast") == []
    assert await chat.say("/help", user="calm"), "other citizens are unaffected"
    clock.advance(seconds=61)
    assert await chat.say("/help", user="fast")


async def test_admins_are_exempt(bot_factory):
    chat = recording_channel()
    await bot_factory([chat], flood_messages_per_minute=2)
    for _ in range(5):
        assert await chat.say("/help", user="admin")
