"""/notices and /notice with pause, resume and cancel, and one state told by both."""

from __future__ import annotations

from sqlmodel import select

from bot.core.messages import IncomingMessage, Kind
from storage.db import Database
from storage.models import NoticeRun
from tests.conftest import Clock
from tests.steps import labels, onboard
from tests.steps.notices import (
    BG_TEXT,
    EN_TEXT,
    WHOLE_CITY,
    City,
    compose,
    outbox_rows,
    sofia,
    subscribe,
)

REFUSED = "This command is for municipal staff only."
MLADOST = (42.6497, 23.3790)


async def test_notices_list_details_pause_resume_cancel(city: City, db: Database, clock: Clock):
    console = city.console
    await subscribe(console, "anna")
    await onboard(console, "admin")
    (empty,) = await console.say("/notices", user="admin")
    assert empty.text == "There are no notices yet. Create one with /broadcast."
    await compose(console, audience=(WHOLE_CITY,))
    await console.tap("🔁 Repeat", user="admin")
    await console.tap("Every day", user="admin")
    await console.say("9:00", user="admin")
    await console.tap("No end date", user="admin")
    await compose(console, audience=(WHOLE_CITY,))
    await console.tap("🚀 Send now", user="admin")
    await city.tick()
    await city.app.delivery.drain()
    console.pop("admin")  # the progress message

    (listing,) = await console.say("/notices", user="admin")
    assert listing.text == (
        "📋 Notices\n"
        "\n"
        "Scheduled:\n"
        "#1 💧 Water supply — 28 Nov 2026, 09:00 · 🔁 every day at 09:00\n"
        "\n"
        "The last 7 days:\n"
        "#2 💧 Water supply — 27 Nov 2026, 12:00 · done · 1 of 1 sent"
    )
    assert labels(listing) == ["#1", "#2"]
    (sent,) = await console.tap("#2", user="admin")
    assert sent.text.startswith("📣 Notice #2 · 💧 Water supply\nStatus: done\n")
    assert "27 Nov 2026, 12:00 — done · 1 of 1 sent\n   queued 0 · sent 1 · deferred 0" in (
        sent.text
    )
    assert labels(sent) == ["🔄 Refresh", "📋 All notices"]

    (details,) = await console.say("/notice 1", user="admin")
    assert "Schedule: every day at 09:00\nNext: 28 Nov 2026, 09:00" in details.text
    assert f"Text in Bulgarian:\n{BG_TEXT}\nText in English:\n{EN_TEXT}" in details.text
    (paused,) = await console.tap("⏸️ Pause", user="admin")
    assert paused.text.startswith("⏸️ Paused. Nothing is sent until you resume it.")
    assert "Status: paused" in paused.text
    clock.now = sofia(11, 29, 10)  # two occurrences pass while it is paused
    await city.tick()
    async with db.sessions() as session:
        assert (await session.exec(select(NoticeRun).where(NoticeRun.notice_id == 1))).all() == []
    (resumed,) = await console.tap("▶️ Resume", user="admin")
    assert resumed.text.startswith("▶️ Resumed.")
    assert "Next: 30 Nov 2026, 09:00" in resumed.text
    (confirm,) = await console.tap("🛑 Cancel the notice", user="admin")
    assert confirm.text.startswith("Cancel notice #1?")
    (cancelled,) = await console.tap("🛑 Yes, cancel it", user="admin")
    assert cancelled.text.startswith("🛑 Cancelled. Messages withdrawn before sending: 0.")
    assert "Status: cancelled" in cancelled.text
    (stale,) = await console.push(
        IncomingMessage(console.address("admin"), Kind.BUTTON, payload="ny:1")
    )
    assert stale.text.startswith("That action is out of date.")
    (missing,) = await console.say("/notice 99", user="admin")
    assert missing.text == "There is no such notice."


async def test_cancelling_a_sending_notice_withdraws_what_is_held(
    city: City, db: Database, clock: Clock
):
    console = city.console
    await subscribe(console, "anna")
    await onboard(console, "admin")
    clock.now = sofia(11, 27, 23)  # quiet hours: the message waits for 07:00
    await compose(console, audience=(WHOLE_CITY,))
    await console.tap("🚀 Send now", user="admin")
    await city.tick()
    (row,) = await outbox_rows(db)
    assert (row.held, row.next_attempt_at) == ("quiet", sofia(11, 28, 7))
    (details,) = await console.say("/notice 1", user="admin")
    assert "queued 0 · sent 0 · deferred 1" in details.text
    await console.tap("🛑 Cancel the notice", user="admin")
    (cancelled,) = await console.tap("🛑 Yes, cancel it", user="admin")
    assert cancelled.text.startswith("🛑 Cancelled. Messages withdrawn before sending: 1.")
    (row,) = await outbox_rows(db)
    assert row.status == "cancelled"
    clock.now = sofia(11, 28, 7)
    await city.app.delivery.drain()
    assert console.pop("anna") == []


async def test_notice_and_notices_tell_one_state(city: City, db: Database, clock: Clock):
    """Issue 11 #21: /notice said "done" while /notices said "sending 0 of 1"."""
    console = city.console
    await subscribe(console, "anna")
    await onboard(console, "admin")
    clock.now = sofia(11, 27, 23)  # quiet hours: the one message waits for 07:00
    await compose(console, audience=(WHOLE_CITY,))
    await console.tap("🚀 Send now", user="admin")
    await city.tick()
    console.pop("admin")

    (listing,) = await console.say("/notices", user="admin")
    assert "#1 💧 Water supply — 27 Nov 2026, 23:00 · sending · 0 of 1 sent" in listing.text
    (details,) = await console.say("/notice 1", user="admin")
    assert "Status: sending\n" in details.text
    assert "27 Nov 2026, 23:00 — sending · 0 of 1 sent\n" in details.text

    clock.now = sofia(11, 28, 7)
    await city.app.delivery.drain()
    assert [r.text for r in console.pop("anna")] == [EN_TEXT]
    console.pop("admin")
    (listing,) = await console.say("/notices", user="admin")
    assert "#1 💧 Water supply — 27 Nov 2026, 23:00 · done · 1 of 1 sent" in listing.text
    (details,) = await console.say("/notice 1", user="admin")
    assert "Status: done\n" in details.text
    assert "27 Nov 2026, 23:00 — done · 1 of 1 sent\n" in details.text


async def test_notice_without_a_number_offers_the_list(city: City, db: Database):
    console = city.console
    await subscribe(console, "anna")
    await onboard(console, "admin")
    (none,) = await console.say("/notice", user="admin")
    assert none.text == "There are no notices yet. Create one with /broadcast."
    await compose(console, audience=(WHOLE_CITY,))
    await console.tap("🚀 Send now", user="admin")
    await city.tick()
    await city.app.delivery.drain()
    console.pop("admin")
    (pick,) = await console.say("/notice", user="admin")
    assert pick.text.startswith("Which notice? Tap its number.\n\n📋 Notices\n")
    assert labels(pick) == ["#1"]
    (details,) = await console.tap("#1", user="admin")
    assert details.text.startswith("📣 Notice #1 · 💧 Water supply\nStatus: done\n")
