"""The audit log: staff and admin actions are recorded where they are made, and /audit [REF]
lists them newest first in city time — through the console and the real Telegram path, on
SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from bot.channels.console import RecordingChannel
from bot.core.messages import IncomingMessage, Kind
from storage.db import Database
from storage.repos import audit as audit_repo
from tests.bot.surveys.seed import add_survey
from tests.steps import labels, onboard, texts
from tests.steps.admin import ban, ref_of
from tests.steps.notices import WHOLE_CITY, compose
from tests.steps.reports import file_report, staff_hides, staff_sets

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
    await ban(chat, f"/ban {u2} spam")
    await chat.say("/staffhelp", user="s1")  # s1's role takes effect
    await staff_hides(chat, second, user="s1")

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
        f"🧾 Audit log by or about {s1} and the reports they filed, newest first:",
        f"{AT} · {s1} · hid {second}",
        f"{AT} · {admin} · made {s1} staff",
    ]
    # About a citizen's reports too: u1 filed both reports (issue 11, item 22).
    (reporter,) = await chat.say(f"/audit {u1}", user="admin")
    assert reporter.text.splitlines() == [
        f"🧾 Audit log by or about {u1} and the reports they filed, newest first:",
        f"{AT} · {s1} · hid {second}",
        f"{AT} · {admin} · status of {first}: New → Acknowledged",
    ]
    assert reporter.buttons == ()  # one page: no paging buttons
    await onboard(chat, "u3")
    u3 = await ref_of(chat, db, "u3")
    (nothing,) = await chat.say(f"/audit {u3}", user="admin")
    assert nothing.text == f"Nothing in the audit log by or about {u3} or the reports they filed."
    usage = (
        "Usage: /audit, or /audit C-7F3K2 for the actions by or about one citizen and the "
        "reports they filed"
    )
    (wrong,) = await chat.say("/audit SOF-2026-000001", user="admin")
    assert wrong.text == (
        f"“SOF-2026-000001” is not a citizen reference (they look like C-7F3K2).\n\n{usage}"
    )
    assert texts(await chat.say("/audit", user="s1")) == [
        "This command is for administrators only."
    ]


async def test_broadcasts_surveys_and_roles_are_audited(chat: RecordingChannel, db: Database):
    await add_survey(db)
    await onboard(chat, "admin")
    await onboard(chat, "u1")
    admin, u1 = await ref_of(chat, db, "admin"), await ref_of(chat, db, "u1")
    await compose(chat, audience=(WHOLE_CITY,))
    await chat.tap("🚀 Send now", user="admin")
    await chat.say("/survey 1 close", user="admin")
    await chat.say(f"/grant admin {u1}", user="admin")
    await chat.say(f"/revoke {u1}", user="admin")
    await ban(chat, f"/ban {u1}")
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


async def test_audit_pages_newest_first(chat: RecordingChannel, db: Database, clock):
    await onboard(chat, "admin")
    admin = await ref_of(chat, db, "admin")
    async with db.sessions() as session:
        for n in range(1, 26):  # 25 status changes, a minute apart
            await audit_repo.record(
                session,
                actor_id=None,
                actor_ref=admin,
                action="status",
                object_type="report",
                object_id=f"SOF-2026-{n:06d}",
                detail={"was": "new", "to": "acknowledged"},
                now=clock() + timedelta(minutes=n),
            )
        await session.commit()
    (first,) = await chat.say("/audit", user="admin")
    lines = first.text.splitlines()
    assert lines[0] == "🧾 Audit log, newest first (20):"
    assert lines[1].endswith("status of SOF-2026-000025: New → Acknowledged")
    assert lines[20].endswith("status of SOF-2026-000006: New → Acknowledged")
    assert lines[21] == "Page 1."
    assert labels(first) == ["Next ▶️"]
    (second,) = await chat.tap("Next ▶️", user="admin")
    lines = second.text.splitlines()
    assert lines[0] == "🧾 Audit log, newest first (5):"
    assert lines[1].endswith("status of SOF-2026-000005: New → Acknowledged")
    assert lines[5].endswith("status of SOF-2026-000001: New → Acknowledged")
    assert lines[6] == "Page 2."
    assert labels(second) == ["◀️ Previous"]
    (back,) = await chat.tap("◀️ Previous", user="admin")
    assert back.text == first.text
    (forged,) = await chat.push(
        IncomingMessage(chat.address("admin"), Kind.BUTTON, payload="aup:*:9")
    )
    assert forged.text == "That page of the audit log is empty now. Send /audit again."
