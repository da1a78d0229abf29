"""Citizens following their reports up: /myreports, details with history and photos, status
news in each one's own language, "Not fixed" within 14 days, unfollowing — through the
recording console channel, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select

from bot.channels.console import RecordingChannel
from bot.core.messages import IncomingMessage, Kind
from storage.db import Database
from storage.models import Report, ReportEvent
from tests.conftest import recording_channel
from tests.steps import labels, onboard
from tests.steps.reports import (
    ADDRESS,
    DESCRIPTION,
    FILED,
    MLADOST,
    file_report,
    follow_report,
    staff_sets,
)


@pytest.fixture
async def people(chat: RecordingChannel) -> RecordingChannel:
    """A reporter (u1, English), a follower (f1, Bulgarian) and the admin (English)."""
    await onboard(chat, "u1")
    await onboard(chat, "f1", "Български")
    await onboard(chat, "admin")
    return chat


async def test_no_reports_yet(chat: RecordingChannel):
    await onboard(chat, "u1")
    (reply,) = await chat.say("/myreports", user="u1")
    assert reply.text.startswith("You have no reports yet.")
    assert "📋 My reports" in labels(reply)


async def test_myreports_is_paginated_newest_first_and_in_the_menu(bot_factory):
    chat = recording_channel()
    await bot_factory([chat], reports_per_day=20)
    await onboard(chat, "u1")
    ids = [await file_report(chat, where=None, district="15") for _ in range(6)]
    assert ids[0] == "SOF-2026-000001" and ids[-1] == "SOF-2026-000006"

    (page1,) = await chat.tap("📋 My reports", user="u1")
    assert page1.text.startswith("📋 Your reports and the ones you follow (6). Page 1 of 2:")
    assert "SOF-2026-000006 — New\nStreet lighting · Mladost · 27 Nov 2026, 12:00" in page1.text
    assert "SOF-2026-000001" not in page1.text
    assert labels(page1) == [f"📄 {i}" for i in reversed(ids[1:])] + ["▶️"]

    (page2,) = await chat.tap("▶️", user="u1")
    assert "Page 2 of 2" in page2.text and "SOF-2026-000001 — New" in page2.text
    assert labels(page2) == ["📄 SOF-2026-000001", "◀️"]
    (back,) = await chat.tap("◀️", user="u1")
    assert back.text == page1.text

    # A page past the end (an old button) shows the last page; a forged one is answered.
    (last,) = await chat.push(IncomingMessage(chat.address("u1"), Kind.BUTTON, payload="myp:9"))
    assert "Page 2 of 2" in last.text
    (forged,) = await chat.push(IncomingMessage(chat.address("u1"), Kind.BUTTON, payload="myp:x"))
    assert forged.text == "That button is no longer active. Here is the menu:"


async def test_details_with_photo_and_history(people: RecordingChannel, jpeg: Path):
    chat = people
    public_id = await file_report(chat, photo=jpeg)
    await staff_sets(chat, public_id, "🛠️ In progress", "A crew is on its way.")
    chat.pop("u1")
    await chat.say("/myreports", user="u1")
    photo, details = await chat.tap(f"📄 {public_id}", user="u1")
    assert photo.image is not None and photo.text == f"📷 {public_id} (1/1)"
    assert details.text == (
        f"Report {public_id} — In progress\n"
        "Category: Street lighting\n"
        f"Place: {ADDRESS}, Mladost\n"
        f"Filed: {FILED}\n"
        "Photos: 1\n"
        "\n"
        f"{DESCRIPTION}\n"
        "\n"
        "History:\n"
        f"{FILED} — New\n"
        f"{FILED} — In progress\n"
        "   “A crew is on its way.”"
    )
    assert labels(details) == ["📋 My reports"]  # no "Not fixed" while it is open


async def test_status_change_tells_reporter_and_follower_each_in_their_language(
    people: RecordingChannel, db: Database
):
    chat = people
    public_id = await file_report(chat, where=MLADOST)
    await follow_report(chat, "f1", public_id)
    done = await staff_sets(chat, public_id, "🛠️ In progress", "Екипът е изпратен.")
    assert done.text == f"✅ {public_id} is now “In progress”. Citizens told: 2."

    (to_reporter,) = chat.pop("u1")
    assert to_reporter.text == (
        f"🔔 Report {public_id} (Street lighting) — new status: In progress.\n"
        "💬 From the municipality: Екипът е изпратен."
    )
    assert labels(to_reporter) == ["📄 Details"]
    (to_follower,) = chat.pop("f1")
    assert to_follower.text == (
        f"🔔 Сигнал {public_id} (Улично осветление) — нов статус: В работа.\n"
        "💬 От общината: Екипът е изпратен."
    )
    assert chat.pop("admin") == []

    # The change is stored: who, when, from, to and the public note.
    async with db.sessions() as session:
        event = (await session.exec(select(ReportEvent).where(ReportEvent.kind == "status"))).one()
    assert (event.from_status, event.to_status, event.actor_role) == ("new", "in_progress", "admin")
    assert event.note == "Екипът е изпратен." and event.actor_id is not None


async def test_follower_sees_details_without_the_reporter_and_can_stop_following(
    people: RecordingChannel,
):
    chat = people
    public_id = await file_report(chat, where=MLADOST, phone="+359888123456")
    await follow_report(chat, "f1", public_id)
    (listing,) = await chat.say("/myreports", user="f1")
    assert f"👁️ {public_id} — Нов (следите го)" in listing.text
    (details,) = await chat.tap(f"📄 {public_id}", user="f1")
    assert "👁️ Следите този сигнал." in details.text
    assert "+359" not in details.text and "u1" not in details.text
    assert labels(details) == ["🔕 Спри следенето", "📋 Моите сигнали"]
    (stopped,) = await chat.tap("🔕 Спри следенето", user="f1")
    assert stopped.text == f"🔕 Вече не следите сигнал {public_id}."

    done = await staff_sets(chat, public_id, "👀 Acknowledge")
    assert done.text.endswith("Citizens told: 1.")
    assert chat.pop("f1") == []
    (none,) = await chat.say("/myreports", user="f1")
    assert none.text.startswith("Все още нямате сигнали.")
    (again,) = await chat.push(IncomingMessage(chat.address("f1"), Kind.BUTTON, payload="myuf:1"))
    assert again.text == "Този сигнал не е достъпен."


async def test_others_reports_stay_private(people: RecordingChannel):
    chat = people
    public_id = await file_report(chat)
    await onboard(chat, "stranger")
    (reply,) = await chat.say(f"/report {public_id.lower()}", user="stranger")
    assert reply.text == (
        f"We could not find report {public_id}. Please check the number, e.g. SOF-2026-000123."
    )
    answers = {
        "myo:1": "That report is not available.",
        "myo:999": "That report is not available.",
        "myo:abc": "That button is no longer active. Here is the menu:",  # names no report
        "mynf:1": "Only the person who filed the report can reopen it.",
    }
    for payload, answer in answers.items():
        (reply,) = await chat.push(
            IncomingMessage(chat.address("stranger"), Kind.BUTTON, payload=payload)
        )
        assert reply.text == answer
    (own,) = await chat.say(f"/report {public_id}", user="u1")
    assert own.text.startswith(f"Report {public_id} — New")


async def test_not_fixed_within_14_days_reopens(people: RecordingChannel, db: Database, clock):
    chat = people
    public_id = await file_report(chat, where=MLADOST)
    await follow_report(chat, "f1", public_id)
    await staff_sets(chat, public_id, "✅ Resolved", "The lamp was replaced.")
    (news,) = chat.pop("u1")
    assert news.text == (
        f"🔔 Report {public_id} (Street lighting) — new status: Resolved.\n"
        "💬 From the municipality: The lamp was replaced.\n"
        "❓ Is it fixed now? Please tell us with the buttons below. If it is not, you can say "
        "so within 14 days."
    )
    assert labels(news) == ["✅ Yes, it is fixed", "❌ No, it is not fixed", "📄 Details"]
    (follower_news,) = chat.pop("f1")
    assert labels(follower_news) == [
        "✅ Да, отстранен е",
        "❌ Не, не е отстранен",
        "📄 Подробности",
    ]

    # "Not fixed" from the report's card (the news ask "Is it fixed?": test_reports_confirm).
    clock.advance(days=13)
    await chat.say(f"/report {public_id}", user="u1")
    (ask,) = await chat.tap("🔁 Not fixed", user="u1")
    assert ask.text == (
        f"What is still wrong with report {public_id}? Write a short comment (3–1000 characters)."
    )
    (short,) = await chat.say("no", user="u1")
    assert short.text == "Please write at least 3 characters."
    (long,) = await chat.say("я" * 1001, user="u1")
    assert long.text == "The comment is 1001 characters long; the limit is 1000. Please shorten it."
    (done,) = await chat.say("The lamp is dark again.", user="u1")
    assert done.text == (
        f"🔁 Thank you! Report {public_id} is open again and the municipality will look at it "
        "once more."
    )
    (told,) = chat.pop("f1")
    assert told.text == (
        f"🔁 Сигнал {public_id} (Улично осветление) е отворен отново: подателят съобщи, "
        "че проблемът не е решен.\nСтатус: Приет."
    )
    async with db.sessions() as session:
        report = (await session.exec(select(Report))).one()
        event = (
            await session.exec(select(ReportEvent).where(ReportEvent.kind == "reopened"))
        ).one()
    assert (report.status, report.reopened, report.closed_at) == ("acknowledged", 1, None)
    assert event.note == "The lamp is dark again."

    # Staff see it was reopened, in the details and in the list.
    view = (await chat.say(f"/report {public_id}", user="admin"))[-1]
    assert "🔁 reopened 1×" in view.text
    assert "— 🔁 reopened by the reporter\n   “The lamp is dark again.”" in view.text
    (listing,) = await chat.say("/reports", user="admin")
    assert "· 🔁 reopened 1×" in listing.text


async def test_not_fixed_after_14_days_is_refused(people: RecordingChannel, clock):
    chat = people
    public_id = await file_report(chat)
    await staff_sets(chat, public_id, "✅ Resolved", "The lamp was replaced.")
    chat.pop("u1")
    await chat.say(f"/report {public_id}", user="u1")
    clock.advance(days=15)
    (refused,) = await chat.tap("🔁 Not fixed", user="u1")  # the card shown before
    assert refused.text == (
        f"The 14 days to reopen report {public_id} have passed. "
        "If the problem is still there, please file a new report."
    )
    (details,) = await chat.say(f"/report {public_id}", user="u1")
    assert "🔁 Not fixed" not in labels(details)


async def test_not_fixed_is_only_for_the_reporter_and_can_be_cancelled(
    people: RecordingChannel,
):
    chat = people
    public_id = await file_report(chat, where=MLADOST)
    await follow_report(chat, "f1", public_id)
    await staff_sets(chat, public_id, "✅ Resolved")
    chat.pop("f1")
    chat.pop("u1")
    (forged,) = await chat.push(IncomingMessage(chat.address("f1"), Kind.BUTTON, payload="mynf:1"))
    assert forged.text == "Само подателят на сигнала може да го отвори отново."
    (details,) = await chat.say(f"/report {public_id}", user="u1")
    assert labels(details) == ["🔁 Not fixed", "📋 My reports"]
    await chat.tap("🔁 Not fixed", user="u1")
    (cancelled,) = await chat.tap("✖️ Cancel", user="u1")
    assert cancelled.text == "All right, the report stays as it is."
    (menu,) = await chat.say("hello", user="u1")  # no longer taken as a comment
    assert "Open" not in menu.text and "Thank you" not in menu.text


async def test_after_stop_news_about_my_reports_still_comes_until_turned_off(
    people: RecordingChannel,
):
    # /stop stops alerts, notices and survey invitations; whoever filed or follows a report
    # keeps hearing about it unless they turn that off with its own switch.
    chat = people
    public_id = await file_report(chat, where=MLADOST)
    await follow_report(chat, "f1", public_id)
    for user in ("u1", "f1"):
        await chat.say("/stop", user=user)
    (stopped,) = await chat.tap("🔕 Yes, stop", user="u1")
    assert "News about your reports and the ones you follow still comes" in stopped.text
    assert labels(stopped) == ["🔔 Turn alerts back on", "🔕 No news about my reports"]
    await chat.tap("🔕 Да, спри", user="f1")
    done = await staff_sets(chat, public_id, "🛠️ In progress", "Екипът е изпратен.")
    assert done.text == f"✅ {public_id} is now “In progress”. Citizens told: 2."
    (news,) = chat.pop("u1")
    assert news.text.startswith(f"🔔 Report {public_id}")
    assert len(chat.pop("f1")) == 1

    (mine,) = await chat.say("/mysubs", user="u1")
    assert "📬 News about your reports and the ones you follow: on." in mine.text
    (off,) = await chat.tap("🔕 No news about my reports", user="u1")
    assert off.text.startswith("✅ Done: we will not write to you about your reports any more.")
    assert "📭 News about your reports and the ones you follow: off." in off.text
    assert "📬 News about my reports" in labels(off)
    done = await staff_sets(chat, public_id, "✅ Resolved", "Сменена е лампата.")
    assert done.text.endswith("Citizens told: 1.")
    assert chat.pop("u1") == [], "news about my reports is off"
    assert len(chat.pop("f1")) == 1

    (on,) = await chat.tap("📬 News about my reports", user="u1")
    assert "📬 News about your reports and the ones you follow: on." in on.text


async def test_a_rejected_report_shows_its_reason_and_offers_a_new_report(
    people: RecordingChannel, db: Database
):
    chat = people
    public_id = await file_report(chat)
    await staff_sets(chat, public_id, "⛔ Reject", "This is a private yard.")
    (news,) = chat.pop("u1")
    assert news.text == (
        f"🔔 Report {public_id} (Street lighting) — new status: Rejected.\n"
        "Reason: This is a private yard.\n"
        "If the problem is still there, you are welcome to file a new report."
    )
    assert labels(news) == ["📝 File a new report", "📄 Details"]
    (details,) = await chat.tap("📄 Details", user="u1")
    assert "⛔ Rejected. Reason: This is a private yard." in details.text
    assert labels(details) == ["📝 File a new report", "📋 My reports"]
    (new,) = await chat.tap("📝 File a new report", user="u1")
    assert new.text == "What is the problem about? Choose a category:"

    # An old or forged "Not fixed" button is refused, and the report stays rejected.
    (refused,) = await chat.push(IncomingMessage(chat.address("u1"), Kind.BUTTON, payload="mynf:1"))
    assert refused.text == (
        f"Report {public_id} was rejected, so it cannot be reopened. "
        "If the problem is still there, please file a new report."
    )
    assert labels(refused) == ["📝 File a new report"]
    async with db.sessions() as session:
        report = (await session.exec(select(Report))).one()
    assert (report.status, report.reopened) == ("rejected", 0)
