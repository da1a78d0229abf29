"""The audit log: staff and admin actions are recorded where they are made, and /audit [REF]
lists them newest first in city time — through the console and the real Telegram path, on
SQLite and PostgreSQL."""

from __future__ import annotations

from bot.channels.console import RecordingChannel
from storage.db import Database
from tests.bot.surveys.seed import add_survey
from tests.handlers.test_admin_roles import ref_of
from tests.handlers.test_broadcast import compose
from tests.handlers.test_report_followup import file_report, onboard, staff_sets, texts

AT = "27 Nov 2026, 12:00"  # the test clock, in Sofia


async def test_audit_lists_status_changes_grants_and_bans_with_their_actor(
    chat: RecordingChannel, db: Database
):
    for user in ("admin", "u1", "s1", "u2"):
        await onboard(chat, user)
    admin, u1, s1, u2 = [await ref_of(chat, db, user) for user in ("admin", "u1", "s1", "u2")]
    assert texts(await chat.say("/audit", user="admin")) == ["The audit log is empty."]

    first = await file_report(chat)
    second = await file_report(chat)
    await staff_sets(chat, first, "👀 Acknowledge")
    await chat.say(f"/grant staff {s1}", user="admin")
    await chat.say(f"/ban {u2} spam", user="admin")
    await chat.say("/staffhelp", user="s1")  # s1's role takes effect
    await chat.say(f"/report {second}", user="s1")
    await chat.tap("🙈 Hide", user="s1")

    (log,) = await chat.say("/audit", user="admin")
    assert log.text.splitlines() == [
        "🧾 Audit log, newest first (4):",
        f"{AT} · {s1} · hid {second}",
        f"{AT} · {admin} · banned {u2} — “spam”",
        f"{AT} · {admin} · made {s1} staff",
        f"{AT} · {admin} · status of {first}: New → Acknowledged",
    ]

    # By or about one citizen: s1 was made staff (object) and hid a report (actor).
    (about,) = await chat.say(f"/audit {s1.lower()}", user="admin")
    assert about.text.splitlines() == [
        f"🧾 Audit log by or about {s1}, newest first:",
        f"{AT} · {s1} · hid {second}",
        f"{AT} · {admin} · made {s1} staff",
    ]
    (nothing,) = await chat.say(f"/audit {u1}", user="admin")
    assert nothing.text == f"Nothing in the audit log by or about {u1}."
    usage = "Usage: /audit, or /audit C-7F3K2 for the actions by or about one citizen"
    (wrong,) = await chat.say("/audit SOF-2026-000001", user="admin")
    assert wrong.text == (
        f"“SOF-2026-000001” is not a citizen reference (they look like C-7F3K2).\n\n{usage}"
    )
    assert texts(await chat.say("/audit", user="s1")) == [
        "This command is for municipal staff only."
    ]


async def test_broadcasts_surveys_and_roles_are_audited(chat: RecordingChannel, db: Database):
    await add_survey(db)
    await onboard(chat, "admin")
    await onboard(chat, "u1")
    admin, u1 = await ref_of(chat, db, "admin"), await ref_of(chat, db, "u1")
    await compose(chat, audience=("ba:all",))
    await chat.tap("🚀 Send now", user="admin")
    await chat.say("/survey 1 close", user="admin")
    await chat.say(f"/grant admin {u1}", user="admin")
    await chat.say(f"/revoke {u1}", user="admin")
    await chat.say(f"/ban {u1}", user="admin")
    await chat.say(f"/unban {u1}", user="admin")

    (log,) = await chat.say("/audit", user="admin")
    assert log.text.splitlines()[1:] == [
        f"{AT} · {admin} · lifted the ban on {u1}",
        f"{AT} · {admin} · banned {u1}",
        f"{AT} · {admin} · made {u1} a citizen again",
        f"{AT} · {admin} · made {u1} admin",
        f"{AT} · {admin} · closed survey #1",
        f"{AT} · {admin} · sent notice #1",
    ]
