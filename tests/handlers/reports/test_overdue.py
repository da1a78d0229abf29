"""Deadlines seen in the chat: `/reports overdue` for staff of a body and for an admin, the
reporter told once (in their language) when the resolve deadline passes, and /stats for
staff showing their bodies' figures."""

from __future__ import annotations

from collections.abc import Callable

from storage.db import Database
from tests.conftest import Clock, recording_channel
from tests.steps import last, onboard
from tests.steps.admin import ref_of
from tests.steps.reports import file_report


async def test_overdue_list_late_notice_once_and_staff_stats(
    bot_factory: Callable[..., object], db: Database, clock: Clock
):
    chat = recording_channel()
    app = await bot_factory([chat])  # type: ignore[operator]
    await onboard(chat, "u1", "Български")
    mladost = await file_report(chat, "u1")  # district 15: Mladost's administration
    sredets = await file_report(chat, "u1", district="01")
    for user in ("admin", "mladost", "sredets"):
        await onboard(chat, user)
    await chat.say(f"/grant staff district-15 {await ref_of(chat, db, 'mladost')}", user="admin")
    await chat.say(f"/grant staff district-01 {await ref_of(chat, db, 'sredets')}", user="admin")
    none = last(await chat.say("/reports overdue", user="mladost"))
    assert none.text.startswith("No overdue reports")
    assert await app.late_news.run() == 0  # type: ignore[attr-defined]
    chat.pop("u1")

    clock.advance(days=30)  # 12:00 in Sofia: not within the reporter's quiet hours
    assert await app.late_news.run() == 2  # type: ignore[attr-defined]
    assert await app.late_news.run() == 0  # type: ignore[attr-defined]  # told once
    told = chat.pop("u1")
    assert len(told) == 2
    for public_id, text in zip((mladost, sredets), sorted(r.text for r in told), strict=True):
        assert public_id in text and "срокът за решаване изтече" in text
        assert "все още се работи" in text
    assert "Отговорно звено: Район „Младост“" in sorted(r.text for r in told)[0]

    (theirs,) = await chat.say("/reports overdue", user="mladost")
    assert theirs.text.startswith("⏰ 1 overdue report") and mladost in theirs.text
    assert sredets not in theirs.text and "late by 15 d" in theirs.text
    (every,) = await chat.say("/reports просрочени", user="admin")
    assert every.text.startswith("⏰ 2 overdue reports")
    assert every.text.index(mladost) < every.text.index(sredets)  # filed first: later
    (stats,) = await chat.say("/stats", user="mladost")
    assert "Mladost" in stats.text and "Sredets" not in stats.text
    assert "Open: 1, overdue: 1 · On time: 0 %" in stats.text
