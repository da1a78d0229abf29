"""Staff broadcasts through the recording channels, on SQLite and PostgreSQL: the /broadcast
flow and its preview (the exact message, the audience by channel), send now down to each
citizen's screen in their language, dates, times and recurrences typed and explained,
/notices and /notice with pause, resume and cancel — and citizens refused everywhere. The
scheduler's tick is called by the test (its clock, no waiting)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PIL import Image
from sqlmodel import col, select

from bot.app import CitizenBot
from bot.channels.console import RecordingChannel
from bot.core.messages import IncomingMessage, Kind
from storage.db import Database
from storage.models import Notice, NoticeRun, Outbox
from storage.repos import citizens, moderation
from tests.conftest import Clock, recording_channel
from tests.steps import labels, onboard
from tests.steps.notices import BG_TEXT, EN_TEXT, WHOLE_CITY, compose, subscribe

REFUSED = "This command is for municipal staff only."
TZ = ZoneInfo("Europe/Sofia")
MLADOST = (42.6497, 23.3790)


class City:
    """The bot with a console and a second ("viber") recording channel; the notices tick is
    the test's to call."""

    def __init__(self, app: CitizenBot, console: RecordingChannel, viber: RecordingChannel):
        self.app, self.console, self.viber = app, console, viber

    async def tick(self) -> None:
        await self.app.notices.tick()


@pytest.fixture
async def city(bot_factory, clock: Clock) -> City:
    console, viber = recording_channel(), recording_channel("viber")
    app = await bot_factory([console, viber], notice_tick_seconds=0)
    assert app.city.timezone == TZ
    return City(app, console, viber)


def sofia(month: int, day: int, hour: int, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=TZ).astimezone(UTC)


async def rows_of(db: Database) -> list[Outbox]:
    async with db.sessions() as session:
        stmt = select(Outbox).order_by(col(Outbox.citizen_id), col(Outbox.channel))
        return list((await session.exec(stmt)).all())


async def the_notice(db: Database) -> Notice:
    async with db.sessions() as session:
        return (await session.exec(select(Notice))).one()


async def test_staff_commands_and_buttons_are_refused_to_citizens(city: City, db: Database):
    chat = city.console
    await onboard(chat, "u1")
    for command in ("/broadcast", "/notices", "/notice 1"):
        assert [r.text for r in await chat.say(command, user="u1")] == [REFUSED]
    for payload in ("bt:water", "ba:all", "bu:1", "bw:now", "bx", "nl", "no:1", "np:1", "ny:1"):
        msg = IncomingMessage(chat.address("u1"), Kind.BUTTON, payload=payload)
        assert [r.text for r in await chat.push(msg)] == [REFUSED]
    async with db.sessions() as session:
        assert (await session.exec(select(Notice))).all() == []


async def test_preview_send_now_and_each_citizen_gets_their_language(city: City, db: Database):
    console, viber = city.console, city.viber
    await subscribe(console, "anna", district="Mladost")  # English, Mladost
    await subscribe(console, "boris", language="Български", topic="💧 Водоснабдяване")  # all
    await subscribe(viber, "vera", district="Mladost")
    await subscribe(console, "far", district="Lozenets")  # another district
    await subscribe(console, "hot", topic="🔥 Heating")  # another topic
    await onboard(console, "admin")
    (ask,) = await console.say("/broadcast", user="admin")
    assert ask.text == "📣 A new notice. What is it about?"
    assert len(ask.all_buttons) == 10  # 9 topics and Cancel

    replies = await compose(console)
    assert [r.text for r in replies[:4]] == [
        "👁️ Preview, Bulgarian:",
        BG_TEXT,
        "👁️ Preview, English:",
        EN_TEXT,
    ]
    summary = replies[4]
    assert summary.text == (
        "Topic: 💧 Water supply\n"
        "Audience: Mladost\n"
        "Urgency: normal\n"
        "👥 Recipients now: 3 (Console 2, Viber 1)"
    )
    assert labels(summary) == [
        "🚀 Send now",
        "🗓️ At a date and time",
        "🔁 Repeat",
        "✖️ Cancel",
    ]

    (going,) = await console.tap("🚀 Send now", user="admin")
    assert going.text.startswith("🚀 Notice #1 is going out now.")
    notice = await the_notice(db)
    assert (notice.progress_channel, notice.progress_user_id) == ("console", "admin")
    assert (notice.audience, notice.urgent, notice.recurrence) == (
        {"kind": "districts", "districts": ["15"]},
        False,
        None,
    )

    await city.tick()
    rows = await rows_of(db)
    assert sorted((r.channel, r.user_id, r.language) for r in rows) == [
        ("console", "anna", "en"),
        ("console", "boris", "bg"),
        ("viber", "vera", "en"),
    ]
    await city.app.delivery.drain()
    assert [r.text for r in console.pop("anna")] == [EN_TEXT]
    assert [r.text for r in console.pop("boris")] == [BG_TEXT]
    assert [r.text for r in viber.pop("vera")] == [EN_TEXT]
    assert console.pop("far") == [] and console.pop("hot") == []


async def test_an_emergency_around_a_pin_with_a_photo(city: City, db: Database, tmp_path: Path):
    console = city.console
    await subscribe(console, "near", topic="🔥 Heating", district="Mladost")
    await subscribe(console, "away", district="Lozenets")
    await onboard(console, "admin")
    photo = tmp_path / "flood.jpg"
    Image.new("RGB", (800, 600), (30, 60, 200)).save(photo, "JPEG")
    replies = await compose(
        console,
        audience=("📍 Around a point", "say:42.6497, 23.3790", "2 km"),
        urgent=True,
        english=None,
        photo=photo,
    )
    assert [r.text for r in replies[:2]] == ["👁️ Preview, Bulgarian:", BG_TEXT]
    assert replies[1].image is not None and replies[1].image[:2] == b"\xff\xd8"
    assert replies[2].text == (
        "Topic: 💧 Water supply\n"
        "Audience: 2 km around 42.64970, 23.37900 (Mladost)\n"
        "Urgency: 🚨 emergency\n"
        "👥 Recipients now: 1 (Console 1)\n"
        "Readers of English get the Bulgarian text."
    )
    await console.tap("🚀 Send now", user="admin")
    await city.tick()
    (row,) = await rows_of(db)
    assert (row.user_id, row.urgent, row.held) == ("near", True, None)
    await city.app.delivery.drain()
    (got,) = console.pop("near")
    assert got.text == BG_TEXT and got.image == replies[1].image
    # The sender's progress message (the delivery engine's), in the sender's chat.
    progress = [r.text for r in console.pop("admin")]
    progress += [reply.text for _, reply in console.edits.get(console.address("admin"), [])]
    assert progress and progress[-1].startswith("✅ Notice #1 is out: 1 of 1 sent")


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


async def test_emergencies_topic_defaults_to_emergency(city: City):
    console = city.console
    await onboard(console, "admin")
    await console.say("/broadcast", user="admin")
    await console.tap("🚨 Emergencies", user="admin")
    (urgency,) = await console.tap(WHOLE_CITY, user="admin")
    assert labels(urgency) == ["Normal", "✅ 🚨 Emergency", "✖️ Cancel"]


async def test_at_a_date_and_time(city: City, db: Database, clock: Clock):
    console = city.console
    await subscribe(console, "anna")
    await onboard(console, "admin")
    await compose(console, audience=(WHOLE_CITY,))
    (ask,) = await console.tap("🗓️ At a date and time", user="admin")
    assert ask.text.startswith("When should it go out? Type the date and time (city time)")
    (bad,) = await console.say("soon", user="admin")
    assert bad.text.startswith("We did not understand that.")
    (no_date,) = await console.say("31.02 10:00", user="admin")
    assert no_date.text == "There is no such date. Type it like 28.11 18:30."
    (past,) = await console.say("27.11 9:00", user="admin")
    assert past.text.startswith("That time has passed (it is 27 Nov 2026, 12:00 now).")
    (done,) = await console.say("утре 9:00", user="admin")
    assert done.text.startswith("🗓️ Notice #1 is scheduled for 28 Nov 2026, 09:00.")
    notice = await the_notice(db)
    assert notice.next_run_at == sofia(11, 28, 9) and notice.progress_channel is None

    await city.tick()
    assert await rows_of(db) == []
    clock.now = sofia(11, 28, 9)
    await city.tick()
    (row,) = await rows_of(db)
    assert row.user_id == "anna"


@pytest.mark.parametrize(
    ("choices", "typed", "cron", "first", "schedule"),
    [
        (("Every day",), "9:00", "0 9 * * *", (11, 28, 9), "every day at 09:00"),
        (
            ("Every week", "Monday"),
            "18:30",
            "30 18 * * 1",
            (11, 30, 18, 30),
            "every week on Monday at 18:30",
        ),
        (("Every month",), "15 8:00", "0 8 15 * *", (12, 15, 8), "every month on day 15 at 08:00"),
        (
            ("⌨️ Custom schedule",),
            "0 9 * * 1-5",
            "0 9 * * 1-5",
            (11, 30, 9),
            "on the schedule “0 9 * * 1-5”",
        ),
    ],
)
async def test_repeating_notices(
    city: City,
    db: Database,
    choices: tuple[str, ...],
    typed: str,
    cron: str,
    first: tuple[int, ...],
    schedule: str,
):
    console = city.console
    await onboard(console, "admin")
    await compose(console, audience=(WHOLE_CITY,))
    await console.tap("🔁 Repeat", user="admin")
    for choice in choices:
        await console.tap(choice, user="admin")
    (until,) = await console.say(typed, user="admin")
    assert until.text.startswith(f"🔁 {schedule}, the first on ")
    (early,) = await console.say("27.11.2026", user="admin")
    assert early.text == "That is before the first notice. Choose a later day."
    (done,) = await console.say("31.12.2026", user="admin")
    assert done.text.startswith(f"🔁 Notice #1: {schedule}. First: ")
    assert "Until: 31 Dec 2026." in done.text
    notice = await the_notice(db)
    assert (notice.recurrence, notice.next_run_at) == (cron, sofia(*first))
    assert notice.ends_at == sofia(1, 1, 0, year=2027)


async def test_repeating_input_is_checked(city: City, db: Database):
    console = city.console
    await onboard(console, "admin")
    await compose(console, audience=(WHOLE_CITY,))
    await console.tap("🔁 Repeat", user="admin")
    await console.tap("⌨️ Custom schedule", user="admin")
    (invalid,) = await console.say("every day", user="admin")
    assert invalid.text.startswith("That is not a valid schedule.")
    (often,) = await console.say("*/5 * * * *", user="admin")
    assert often.text.startswith("That would send more often than once an hour.")
    (never,) = await console.say("0 9 30 2 *", user="admin")
    assert never.text == "That schedule never comes true. Please check it."
    await console.say("0 12 * * 0,6", user="admin")
    (done,) = await console.tap("No end date", user="admin")
    assert done.text.startswith(
        "🔁 Notice #1: on the schedule “0 12 * * 0,6”. "
        "First: 28 Nov 2026, 12:00. Until: no end date."
    )


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
    (row,) = await rows_of(db)
    assert (row.held, row.next_attempt_at) == ("quiet", sofia(11, 28, 7))
    (details,) = await console.say("/notice 1", user="admin")
    assert "queued 0 · sent 0 · deferred 1" in details.text
    await console.tap("🛑 Cancel the notice", user="admin")
    (cancelled,) = await console.tap("🛑 Yes, cancel it", user="admin")
    assert cancelled.text.startswith("🛑 Cancelled. Messages withdrawn before sending: 1.")
    (row,) = await rows_of(db)
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


async def test_a_banned_citizen_keeps_the_public_alerts(city: City, db: Database):
    """Issue 11 #25: public information, emergencies above all, is for every resident."""
    console = city.console
    await subscribe(console, "anna")
    await onboard(console, "admin")
    async with db.sessions() as session, session.begin():
        anna = await citizens.find_by_identity(session, channel="console", user_id="anna")
        assert anna is not None
        await moderation.ban(session, citizen=anna, reason=None, now=datetime.now(UTC))
    for urgent in (False, True):
        await compose(console, audience=(WHOLE_CITY,), urgent=urgent)
        await console.tap("🚀 Send now", user="admin")
        await city.tick()
        await city.app.delivery.drain()
        assert [r.text for r in console.pop("anna")] == [EN_TEXT]
