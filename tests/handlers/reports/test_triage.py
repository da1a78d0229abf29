"""Staff triage through the recording console channel: the filtered list, the staff view
(contact only when shared), status changes with notes, reject reasons, duplicates, hiding,
stale buttons, and citizens refused everywhere — on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select

from bot.channels.console import RecordingChannel
from bot.core.messages import IncomingMessage, Kind, Reply
from storage.db import Database
from storage.models import Report
from storage.refs import public_ref
from storage.repos import citizens
from tests.conftest import recording_channel
from tests.steps import labels, onboard
from tests.steps.reports import (
    ADDRESS,
    DESCRIPTION,
    FILED,
    MLADOST,
    file_report,
    follow_report,
    public_ids,
    staff_hides,
    staff_sets,
)

REFUSED = "This command is for municipal staff only."
HIDE_REASONS = [
    "Personal data (faces, number plates, names)",
    "Offensive or abusive language",
    "Advertising or spam",
    "Publishing it could put someone at risk",
]
WORK = ["🙋 Assign to me", "👥 Assign to…", "🗒️ Internal note", "↪️ Move to another body"]
NEW_ACTIONS = [
    "👀 Acknowledge",
    "🛠️ In progress",
    "✅ Resolved",
    "⛔ Reject",
    "🔗 Duplicate of…",
    *WORK,
    "🙈 Hide",
]


def button(chat: RecordingChannel, user: str, payload: str) -> IncomingMessage:
    return IncomingMessage(chat.address(user), Kind.BUTTON, payload=payload)


async def staff_view(chat: RecordingChannel, public_id: str, user: str = "admin") -> Reply:
    return (await chat.say(f"/report {public_id}", user=user))[-1]


@pytest.fixture
async def staffed(chat: RecordingChannel) -> RecordingChannel:
    await onboard(chat, "u1")
    await onboard(chat, "admin")
    return chat


async def test_every_staff_command_and_button_is_refused_to_a_citizen(
    staffed: RecordingChannel, db: Database
):
    chat = staffed
    public_id = await file_report(chat)
    for command in ("/reports", "/reports open sofia-28", "/staffhelp"):
        assert [r.text for r in await chat.say(command, user="u1")] == [REFUSED]
    for payload in (
        "stp:1:0",
        "sto:1",
        "sts:1:acknowledged",
        "sts:1:rejected",
        "sts:1:duplicate",
        "sth:1:1",
        "sth:1:0",
        # Skip and Cancel belong to a staff question a citizen is never asked: the role is
        # checked before the step, so the citizen hears why, not "no longer active".
        "stk",
        "stn:fixed",
        "stx",
        "shy",
    ):
        assert [r.text for r in await chat.push(button(chat, "u1", payload))] == [REFUSED]
    # The reporter's /report shows the citizen view, without staff actions.
    (own,) = await chat.say(f"/report {public_id}", user="u1")
    assert not set(labels(own)) & set(NEW_ACTIONS)
    async with db.sessions() as session:
        report = (await session.exec(select(Report))).one()
    assert (report.status, report.hidden) == ("new", False)


async def test_staff_help_lists_the_report_commands(staffed: RecordingChannel):
    (reply,) = await staffed.say("/staffhelp", user="admin")
    assert "/reports [status] [category] [district]" in reply.text
    assert "/report [SOF-…] – the reports waiting, or one report" in reply.text


async def test_staff_view_shows_the_phone_only_when_shared(
    staffed: RecordingChannel,
    db: Database,
    jpeg: Path,
):
    chat = staffed
    shared = await file_report(chat, phone="+359888123456", photo=jpeg)
    private = await file_report(chat)

    photo, view = await chat.say(f"/report {shared}", user="admin")
    assert photo.image is not None
    assert "📞 Phone shared by the citizen for this report: +359888123456" in view.text
    assert "u1" not in view.text and "console" not in view.text

    (view,) = await chat.say(f"/report {private}", user="admin")
    reporter = await citizen_ref(db, chat, "u1")
    assert view.text == (
        f"Report {private} — New\n"
        "Category: Street lighting\n"
        f"Place: {ADDRESS}, Mladost\n"
        f"Filed: {FILED}\n"
        "\n"
        f"{DESCRIPTION}\n"
        "\n"
        f"Reported by: {reporter}\n"
        "Body: Mladost District Administration\n"
        "\n"
        "History:\n"
        f"{FILED} — filed (citizen)"
    )
    assert labels(view) == NEW_ACTIONS

    # The reporter's own view never shows the phone either (it is for staff).
    reporter_view = (await chat.say(f"/report {shared}", user="u1"))[-1]
    assert "+359" not in reporter_view.text


async def test_only_valid_next_statuses_and_stale_buttons(staffed: RecordingChannel):
    chat = staffed
    public_id = await file_report(chat)
    await staff_sets(chat, public_id, "🛠️ In progress")
    view = await staff_view(chat, public_id)
    assert labels(view) == ["✅ Resolved", "⛔ Reject", "🔗 Duplicate of…", *WORK, "🙈 Hide"]
    assert f"{FILED} — New → In progress (admin)" in view.text

    for payload in ("sts:1:acknowledged", "sts:1:in_progress", "sts:1:new", "sts:1:bogus"):
        (stale,) = await chat.push(button(chat, "admin", payload))
        assert stale.text.startswith(
            "That action is out of date — the report has changed. Here it is now:\n\n"
            f"Report {public_id} — In progress"
        )
    for payload in ("sts:999:resolved", "sto:999"):
        (gone,) = await chat.push(button(chat, "admin", payload))
        assert gone.text == "There is no such report."
    for payload in ("sto:x", "sth:1:2"):  # forged: they parse as no button of ours
        (forged,) = await chat.push(button(chat, "admin", payload))
        assert forged.text == "That button is no longer active. Here is the menu:"
    (nothing,) = await chat.push(button(chat, "admin", "stk"))
    assert nothing.text == "That button is no longer active. Here is the menu:"

    await staff_sets(chat, public_id, "✅ Resolved")
    assert labels(await staff_view(chat, public_id)) == ["🙈 Hide"]


async def test_a_change_made_meanwhile_by_someone_else_wins(bot_factory, db: Database):
    chat = recording_channel()
    await bot_factory([chat], admins="console:admin,console:admin2")
    await onboard(chat, "u1")
    await onboard(chat, "admin")
    await onboard(chat, "admin2")
    public_id = await file_report(chat)
    await staff_view(chat, public_id)
    await chat.tap("✅ Resolved", user="admin")  # …and admin is writing the note
    await staff_view(chat, public_id, user="admin2")
    await chat.tap("⛔ Reject", user="admin2")
    await chat.say("Not municipal property.", user="admin2")
    stale = (await chat.say("Fixed today.", user="admin"))[-1]
    assert stale.text.startswith("That action is out of date")
    async with db.sessions() as session:
        report = (await session.exec(select(Report))).one()
    assert report.status == "rejected"


async def test_reject_needs_a_reason(staffed: RecordingChannel):
    chat = staffed
    public_id = await file_report(chat)
    await staff_view(chat, public_id)
    (ask,) = await chat.tap("⛔ Reject", user="admin")
    assert ask.text == (
        f"Choose a ready reason or write your own for rejecting {public_id}. The citizen will "
        "see it (a ready one in their language).\n"
        "\n"
        "💬 Outside our remit: This is not the municipality's responsibility. Please contact the "
        "body in charge.\n"
        "💬 Private property: The place is private property, where the municipality cannot "
        "carry out work."
    )
    assert labels(ask) == ["💬 Outside our remit", "💬 Private property", "✖️ Cancel"]
    reason_needed = "Rejecting needs a reason (at least 3 characters). Please write it."
    (forged_skip,) = await chat.push(button(chat, "admin", "stk"))
    assert forged_skip.text == reason_needed
    (short,) = await chat.say("no", user="admin")
    assert short.text == reason_needed
    assert chat.pop("u1") == []
    (done,) = await chat.say("The lamp belongs to a private parking lot.", user="admin")
    assert done.text == f"✅ {public_id} is now “Rejected”. Citizens told: 1."
    (news,) = chat.pop("u1")
    assert "Reason: The lamp belongs to a private parking lot." in news.text


async def test_a_note_can_be_skipped_or_cancelled(staffed: RecordingChannel):
    chat = staffed
    public_id = await file_report(chat)
    await staff_view(chat, public_id)
    (ask,) = await chat.tap("👀 Acknowledge", user="admin")
    assert ask.text.startswith(
        f"{public_id} → “Acknowledged”. Choose a ready note or write your own for the citizens "
        "(the reporter and followers get it), or tap Skip. A ready note reaches each citizen in "
        "their language.\n\n💬 Team sent: We have sent a team."
    )
    assert labels(ask) == ["💬 Team sent", "💬 In our plan", "⏭️ Skip", "✖️ Cancel"]
    (cancelled,) = await chat.tap("✖️ Cancel", user="admin")
    assert cancelled.text == "Cancelled. Nothing was changed."
    assert chat.pop("u1") == []
    await staff_view(chat, public_id)
    await chat.tap("👀 Acknowledge", user="admin")
    (done,) = await chat.tap("⏭️ Skip", user="admin")
    assert done.text == f"✅ {public_id} is now “Acknowledged”. Citizens told: 1."
    assert labels(done) == [f"📄 {public_id}"]
    (news,) = chat.pop("u1")
    assert news.text == f"🔔 Report {public_id} (Street lighting) — new status: Acknowledged."


async def test_a_note_template_reaches_each_citizen_in_their_language(
    chat: RecordingChannel, db: Database
):
    await onboard(chat, "u1")  # the reporter reads English
    await onboard(chat, "f1", "Български")  # a follower, Bulgarian
    await onboard(chat, "admin", "Български")  # staff work in Bulgarian
    public_id = await file_report(chat, where=MLADOST)
    await follow_report(chat, "f1", public_id)
    await staff_view(chat, public_id)
    (ask,) = await chat.tap("✅ Решен", user="admin")
    # Only the templates that suit "resolved", in the staff member's language, words listed.
    assert ask.text.endswith("\n\n💬 Отстранен: Проблемът е отстранен. Благодарим Ви за сигнала!")
    assert labels(ask) == ["💬 Отстранен", "⏭️ Без бележка", "✖️ Откажи"]
    # A template that does not suit the status (a forged or an old button) does nothing.
    (stale,) = await chat.push(button(chat, "admin", "stn:team-sent"))
    assert stale.text.startswith("Този бутон вече не е активен.")
    assert chat.pop("u1") == [] and chat.pop("f1") == []

    await staff_view(chat, public_id)
    await chat.tap("✅ Решен", user="admin")
    (done,) = await chat.tap("💬 Отстранен", user="admin")
    assert done.text == f"✅ {public_id} вече е „Решен“. Уведомени граждани: 2."
    (news,) = chat.pop("u1")
    assert "The problem has been fixed. Thank you for reporting it!" in news.text
    assert "Проблемът" not in news.text
    (followed,) = chat.pop("f1")
    assert "Проблемът е отстранен. Благодарим Ви за сигнала!" in followed.text
    # The history reads it in each reader's language too.
    (details,) = await chat.say(f"/report {public_id}", user="u1")
    assert "The problem has been fixed." in details.text


async def test_duplicate_of_flow(staffed: RecordingChannel):
    chat = staffed
    await onboard(chat, "u2", "Български")
    original = await file_report(chat, "u1")
    duplicate = await file_report(chat, "u2")
    await staff_view(chat, duplicate)
    (ask,) = await chat.tap("🔗 Duplicate of…", user="admin")
    assert ask.text == (
        f"Which report does {duplicate} duplicate? Send the original's number, "
        "e.g. SOF-2026-000123."
    )
    (missing,) = await chat.say("SOF-2026-000099", user="admin")
    assert missing.text.startswith("We could not find report SOF-2026-000099.")
    (itself,) = await chat.say(duplicate, user="admin")
    assert itself.text == "That is this same report. Send the number of the original."
    (note,) = await chat.say(original.lower(), user="admin")
    assert note.text.startswith(f"{duplicate} → “Duplicate”.")
    (done,) = await chat.tap("⏭️ Skip", user="admin")
    assert done.text == f"✅ {duplicate} is now “Duplicate”. Citizens told: 1."
    (news,) = chat.pop("u2")
    assert news.text == (
        f"🔔 Сигнал {duplicate} (Улично осветление) — нов статус: Дубликат.\n"
        f"Същият проблем е подаден като сигнал {original}; оттук нататък ще получавате "
        "новините по него."
    )
    assert chat.pop("u1") == []

    view = await staff_view(chat, duplicate)
    assert f"🔗 The same problem as report {original}." in view.text
    assert labels(view) == ["🙈 Hide"]
    # The duplicate's reporter now follows the original…
    (listing,) = await chat.say("/myreports", user="u2")
    assert f"👁️ {original} — Нов (следите го)" in listing.text
    await staff_sets(chat, original, "🛠️ In progress")
    assert len(chat.pop("u1")) == 1 and len(chat.pop("u2")) == 1
    # …and the original cannot be made a duplicate of its own duplicate.
    await staff_view(chat, original)
    await chat.tap("🔗 Duplicate of…", user="admin")
    (cycle,) = await chat.say(duplicate, user="admin")
    assert cycle.text == (
        f"{duplicate} is already marked as a duplicate of this report. Send another number."
    )
    (cancelled,) = await chat.tap("✖️ Cancel", user="admin")
    assert cancelled.text == "Cancelled. Nothing was changed."


async def test_hiding_asks_a_reason_then_a_yes_and_tells_only_the_reporter(
    staffed: RecordingChannel, db: Database
):
    chat = staffed
    await onboard(chat, "f1", "Български")
    public_id = await file_report(chat, where=MLADOST)
    await follow_report(chat, "f1", public_id)
    await staff_view(chat, public_id)
    (ask,) = await chat.tap("🙈 Hide", user="admin")
    assert ask.text == (
        f"Why hide {public_id} from the public? The reporter will see the reason. "
        "Choose one or write your own."
    )
    assert labels(ask) == [*HIDE_REASONS, "✖️ Cancel"]
    (short,) = await chat.say("no", user="admin")
    assert short.text == ("Hiding needs a reason (at least 3 characters). Choose one or write it.")
    (confirm,) = await chat.tap("Personal data (faces, number plates, names)", user="admin")
    assert confirm.text == (
        f"Hide {public_id} from the public (open data, Open311, other citizens)?\n"
        "Reason: Personal data (faces, number plates, names)\n"
        "The reporter will read this reason and can still follow the report."
    )
    assert labels(confirm) == ["🙈 Yes, hide it", "✖️ Cancel"]
    # Nothing is hidden and nobody told before the yes.
    assert await public_ids(db) == [public_id] and chat.pop("u1") == []
    (hidden,) = await chat.tap("🙈 Yes, hide it", user="admin")
    assert hidden.text == f"🙈 {public_id} is hidden from public data. The reporter was told."
    assert await public_ids(db) == []
    (told,) = chat.pop("u1")
    assert told.text == (
        f"ℹ️ Report {public_id} was reviewed and will not be shown publicly.\n"
        "Reason: Personal data (faces, number plates, names)\n"
        "You can still follow it in “📋 My reports”; only you see it there."
    )
    assert labels(told) == ["📄 Details"]
    assert chat.pop("f1") == []

    # The reporter still has it in /myreports, marked, with the reason in the details.
    (mine,) = await chat.say("/myreports", user="u1")
    assert f"{public_id} — New · 🙈 not public\n" in mine.text
    (details,) = await chat.tap(f"📄 {public_id}", user="u1")
    assert (
        "🙈 Not shown publicly: only you and the municipality see this report.\n"
        "Reason: Personal data (faces, number plates, names)"
    ) in details.text
    assert "/ban" not in details.text
    # Followers and other citizens no longer see it.
    (none,) = await chat.say("/myreports", user="f1")
    assert none.text.startswith("Все още нямате сигнали.")
    (gone,) = await chat.say(f"/report {public_id}", user="f1")
    assert public_id in gone.text and "Уличната лампа" not in gone.text  # "not found"
    # Staff see it marked, with the moderation and its reason in the history.
    view = await staff_view(chat, public_id)
    assert "🙈 Hidden: not shown in public data." in view.text
    assert "— 🙈 hidden (admin)\n   “Personal data (faces, number plates, names)”" in view.text
    assert labels(view)[-1] == "👁️ Unhide"
    (listing,) = await chat.say("/reports", user="admin")
    assert listing.text.endswith("· 🙈")

    # Status news of a hidden report go to the reporter only, who can open it.
    await staff_sets(chat, public_id, "👀 Acknowledge")
    (news,) = chat.pop("u1")
    assert labels(news) == ["📄 Details"] and chat.pop("f1") == []

    await staff_view(chat, public_id)
    (shown,) = await chat.tap("👁️ Unhide", user="admin")
    assert shown.text == f"👁️ {public_id} is public again."
    assert chat.pop("u1") == []
    assert "— 👁️ shown again (admin)" in (await staff_view(chat, public_id)).text
    (citizen_view,) = await chat.say(f"/report {public_id}", user="u1")
    assert "hidden" not in citizen_view.text and "publicly" not in citizen_view.text


async def test_hiding_can_be_cancelled_and_takes_a_written_reason(
    staffed: RecordingChannel, db: Database
):
    chat = staffed
    await onboard(chat, "u2", "Български")
    public_id = await file_report(chat, "u2")
    await staff_view(chat, public_id)
    await chat.tap("🙈 Hide", user="admin")
    (confirm,) = await chat.tap("Advertising or spam", user="admin")
    (again,) = await chat.say("yes", user="admin")  # only the button hides it
    assert again.text == confirm.text
    (cancelled,) = await chat.tap("✖️ Cancel", user="admin")
    assert cancelled.text == "Cancelled. Nothing was changed."
    assert await public_ids(db) == [public_id] and chat.pop("u2") == []
    (stale,) = await chat.push(button(chat, "admin", "shy"))
    assert stale.text == "That button is no longer active. Here is the menu:"
    assert await public_ids(db) == [public_id]

    # A written reason reaches the reporter as written; a preset one in their language.
    await staff_hides(chat, public_id, "The photo shows a neighbour's window.")
    (told,) = chat.pop("u2")
    assert told.text == (
        f"ℹ️ Сигнал {public_id} беше прегледан и няма да бъде показван публично.\n"
        "Причина: The photo shows a neighbour's window.\n"
        "Можете да продължите да го следите в „📋 Моите сигнали“; там го виждате само Вие."
    )
    await staff_view(chat, public_id)
    await chat.tap("👁️ Unhide", user="admin")
    await staff_hides(chat, public_id, "Offensive or abusive language")
    (told,) = chat.pop("u2")
    assert "Причина: Обидни или груби изрази\n" in told.text


async def test_report_without_an_id_offers_staff_the_reports_waiting(
    staffed: RecordingChannel, clock
):
    chat = staffed
    (none,) = await chat.say("/report", user="admin")
    assert none.text == (
        "No reports are waiting (none new or reopened). /reports lists them all; "
        "/report SOF-… opens one."
    )
    assert labels(none) == ["📝 File a report myself"]
    first = await file_report(chat)
    handled = await file_report(chat)
    reopened = await file_report(chat)
    await staff_sets(chat, handled, "👀 Acknowledge")
    await staff_sets(chat, reopened, "✅ Resolved")
    clock.advance(hours=1)
    await chat.say("/myreports", user="u1")
    await chat.tap(f"📄 {reopened}", user="u1")
    await chat.tap("🔁 Not fixed", user="u1")
    await chat.say("Still dark at night.", user="u1")

    (pick,) = await chat.say("/report", user="admin")
    assert pick.text.splitlines() == [
        "Which report? The newest waiting for us (new or reopened):",
        f"{reopened} · Acknowledged · Street lighting · Mladost · 1 h · 🔁 reopened 1×",
        f"{first} · New · Street lighting · Mladost · 1 h",
    ]
    assert labels(pick) == [reopened, first, "📝 File a report myself"]
    (view,) = await chat.tap(first, user="admin")
    assert view.text.startswith(f"Report {first} — New")
    await chat.say("/report", user="admin")
    (category,) = await chat.tap("📝 File a report myself", user="admin")
    assert category.text == "What is the problem about? Choose a category:"
    # A citizen's /report still files one straight away.
    (citizen,) = await chat.say("/report", user="u1")
    assert citizen.text == "What is the problem about? Choose a category:"


async def test_staff_are_not_told_about_their_own_changes(staffed: RecordingChannel):
    chat = staffed
    public_id = await file_report(chat, "admin")
    done = await staff_sets(chat, public_id, "🛠️ In progress")
    assert done.text.endswith("Citizens told: 0.")
    assert chat.pop("admin") == []


async def test_staff_list_filters_and_pages(bot_factory, clock):
    chat = recording_channel()
    await bot_factory([chat], reports_per_day=30)
    await onboard(chat, "u1")
    await onboard(chat, "admin")
    for _ in range(11):
        await file_report(chat)
    roads = await file_report(chat, category="sofia-3", district="01")
    await staff_sets(chat, roads, "🛠️ In progress")
    clock.advance(hours=3)

    (page1,) = await chat.say("/reports", user="admin")
    lines = page1.text.split("\n")
    assert lines[0] == "📋 Reports — all: 12. Page 1 of 2."
    assert lines[1] == f"{roads} · In progress · Roads and pavements · Sredets · 3 h"
    assert lines[2] == "SOF-2026-000011 · New · Street lighting · Mladost · 3 h"
    assert len(lines) == 11
    assert labels(page1)[:2] == [roads, "SOF-2026-000011"] and labels(page1)[-1] == "▶️"
    (page2,) = await chat.tap("▶️", user="admin")
    assert page2.text.split("\n")[0] == "📋 Reports — all: 12. Page 2 of 2."
    assert labels(page2) == ["SOF-2026-000002", "SOF-2026-000001", "◀️"]
    (opened,) = await chat.tap("SOF-2026-000001", user="admin")
    assert opened.text.startswith("Report SOF-2026-000001 — New")

    clock.advance(days=2)
    (progress,) = await chat.say("/reports in_progress", user="admin")
    assert progress.text == (
        "📋 Reports — In progress: 1. Page 1 of 1.\n"
        f"{roads} · In progress · Roads and pavements · Sredets · 2 d"
    )
    (mixed,) = await chat.say("/reports 15 OPEN sofia-28", user="admin")
    assert mixed.text.startswith("📋 Reports — open, Street lighting, Mladost: 11. Page 1 of 2.")
    (district,) = await chat.say("/reports 1 sofia-3", user="admin")
    assert district.text.startswith("📋 Reports — Roads and pavements, Sredets: 1.")
    (empty,) = await chat.say("/reports closed", user="admin")
    assert empty.text == "No reports for “closed”."
    (bad,) = await chat.say("/reports bogus 99 sofia-28", user="admin")
    assert bad.text.startswith(
        "We did not understand: bogus, 99. Filters in any order: a status (new, acknowledged, "
        "in_progress, resolved, rejected, duplicate, open, closed), a category (code or name: "
        "sofia-1, "
    )
    assert "a district (number, code or name: 01–24)" in bad.text

    # The old list's page buttons belong to the old filters.
    (stale,) = await chat.push(button(chat, "admin", "stp:1:1"))
    assert stale.text == "This list is out of date. Send /reports again."
    (forged,) = await chat.push(button(chat, "admin", "stp:x"))
    assert forged.text == "That button is no longer active. Here is the menu:"


async def test_staff_filter_by_bulgarian_words_and_district_names(bot_factory):
    chat = recording_channel()
    await bot_factory([chat], reports_per_day=30)
    await onboard(chat, "u1")
    await onboard(chat, "admin", "Български")
    await file_report(chat)  # street lighting, Mladost
    await file_report(chat, category="sofia-3", district="21")  # roads, Novi Iskar
    roads = await file_report(chat, category="sofia-3", district="01")  # roads, Sredets
    await staff_sets(chat, roads, "🛠️ В работа")

    async def listing(args: str) -> str:
        (reply,) = await chat.say(f"/reports {args}", user="admin")
        return reply.text.split("\n")[0]

    assert await listing("нови") == "📋 Сигнали — Нов: 2. Страница 1 от 1."
    assert await listing("В работа средец") == "📋 Сигнали — В работа, Средец: 1. Страница 1 от 1."
    assert (
        await listing("отворени МЛАДОСТ") == "📋 Сигнали — отворени, Младост: 1. Страница 1 от 1."
    )
    # The longest name wins: "Нови Искър" is a district, not "new" and a stray word.
    assert await listing("нови искър") == "📋 Сигнали — Нови Искър: 1. Страница 1 от 1."
    assert await listing("new Novi Iskar") == "📋 Сигнали — Нов, Нови Искър: 1. Страница 1 от 1."
    assert await listing("Пътища и тротоари krasno selo") == (
        "Няма сигнали за „Пътища и тротоари, Красно село“."
    )
    assert await listing("пътища и тротоари") == (
        "📋 Сигнали — Пътища и тротоари: 2. Страница 1 от 1."
    )
    assert await listing("решени") == "Няма сигнали за „Решен“."
    (bad,) = await chat.say("/reports нещо", user="admin")
    assert bad.text.startswith(
        "Не разбрахме: нещо. Филтри в произволен ред: статус (нови, приети, в работа, решени, "
        "отхвърлени, дубликати, отворени, приключени), категория (код или име: sofia-1, "
    )


async def citizen_ref(db: Database, chat: RecordingChannel, user: str) -> str:
    """The public ref staff see for `user` of this chat."""
    address = chat.address(user)
    async with db.sessions() as session:
        citizen = await citizens.find_by_identity(
            session, channel=address.channel, user_id=address.user_id
        )
    assert citizen is not None and citizen.id is not None
    return public_ref(citizen.id)
