"""Staff broadcasts through the recording channels, on SQLite and PostgreSQL: the /broadcast
flow and its preview (the exact message, the audience by channel), send now down to each
citizen's screen in their language — and citizens refused everywhere. The scheduler's tick is
called by the test (its clock, no waiting)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from PIL import Image
from sqlmodel import select

from bot.core.messages import IncomingMessage, Kind
from storage.db import Database
from storage.models import Notice
from storage.repos import citizens, moderation
from tests.steps import labels, onboard
from tests.steps.notices import (
    BG_TEXT,
    EN_TEXT,
    WHOLE_CITY,
    City,
    compose,
    outbox_rows,
    subscribe,
    the_notice,
)

REFUSED = "This command is for municipal staff only."
MLADOST = (42.6497, 23.3790)


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
    rows = await outbox_rows(db)
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
    (row,) = await outbox_rows(db)
    assert (row.user_id, row.urgent, row.held) == ("near", True, None)
    await city.app.delivery.drain()
    (got,) = console.pop("near")
    assert got.text == BG_TEXT and got.image == replies[1].image
    # The sender's progress message (the delivery engine's), in the sender's chat.
    progress = [r.text for r in console.pop("admin")]
    progress += [reply.text for _, reply in console.edits.get(console.address("admin"), [])]
    assert progress and progress[-1].startswith("✅ Notice #1 is out: 1 of 1 sent")


async def test_emergencies_topic_defaults_to_emergency(city: City):
    console = city.console
    await onboard(console, "admin")
    await console.say("/broadcast", user="admin")
    await console.tap("🚨 Emergencies", user="admin")
    (urgency,) = await console.tap(WHOLE_CITY, user="admin")
    assert labels(urgency) == ["Normal", "✅ 🚨 Emergency", "✖️ Cancel"]


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
