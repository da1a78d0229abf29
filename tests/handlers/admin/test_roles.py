"""Admins give and take roles by a citizen's public reference: /grant, /revoke, /staff —
through the console and the real Telegram path, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from bot.channels.console import RecordingChannel
from storage.db import Database
from storage.refs import public_ref
from tests.steps import onboard, texts
from tests.steps.admin import ref_of
from tests.steps.notices import subscribe
from tests.steps.reports import file_report

REFUSED = "This command is for municipal staff only."
ADMINS_ONLY = "This command is for administrators only."
STAFF_HELP = "Staff commands:\n"
ADMIN_HELP = "Admin commands:\n"
REVOKE_USAGE = "Usage: /revoke C-7F3K2 (back to citizen) or " + (
    "/revoke BODY C-7F3K2 (no longer staff of that body)"
)


@pytest.fixture
async def people(chat: RecordingChannel) -> RecordingChannel:
    """The admin (ADMINS setting, English), u1 (English) and f1 (Bulgarian)."""
    await onboard(chat, "admin")
    await onboard(chat, "u1")
    await onboard(chat, "f1", "Български")
    return chat


async def test_grant_staff_works_from_the_next_message_and_revoke_takes_it_back(
    people: RecordingChannel, db: Database
):
    chat = people
    ref = await ref_of(chat, db, "u1")
    assert texts(await chat.say("/staffhelp", user="u1")) == [REFUSED]

    (done,) = await chat.say(f"/grant staff {ref}", user="admin")
    assert done.text == f"✅ {ref} is now staff (from their next message). They have been told."
    assert texts(chat.pop("u1")) == [
        "You are now municipal staff in this bot. /staffhelp lists your commands."
    ]
    (help_text,) = await chat.say("/staffhelp", user="u1")
    assert help_text.text.startswith(STAFF_HELP) and ADMIN_HELP not in help_text.text
    assert texts(await chat.say("/staff", user="u1")) == [ADMINS_ONLY]  # staff, not admin

    (again,) = await chat.say(f"/grant staff {ref.lower()}", user="admin")
    assert again.text == f"{ref} is already staff."

    (revoked,) = await chat.say(f"/revoke {ref}", user="admin")
    assert revoked.text == (
        f"✅ {ref} is a citizen again (from their next message). They have been told."
    )
    assert texts(chat.pop("u1")) == [
        "Your staff access to this bot has ended. You can go on using it as a citizen."
    ]
    assert texts(await chat.say("/staffhelp", user="u1")) == [REFUSED]
    (nothing,) = await chat.say(f"/revoke {ref}", user="admin")
    assert nothing.text == f"{ref} has no staff or admin role."


async def test_grant_admin_tells_the_citizen_in_their_language(
    people: RecordingChannel, db: Database
):
    chat = people
    ref = await ref_of(chat, db, "f1")
    (done,) = await chat.say(f"/grant {ref} admin", user="admin")  # either order
    assert done.text == f"✅ {ref} is now admin (from their next message). They have been told."
    assert texts(chat.pop("f1")) == [
        "Вече сте администратор на този бот. /staffhelp показва командите Ви."
    ]
    (help_text,) = await chat.say("/staffhelp", user="f1")
    assert "Команди за администратори:\n" in help_text.text
    assert "/grant staff|admin C-…" in help_text.text and "/audit [C-…]" in help_text.text
    # The new admin can use the admin commands, but not on the ADMINS setting's admins.
    admin_ref = await ref_of(chat, db, "admin")
    (setting,) = await chat.say(f"/revoke {admin_ref}", user="f1")
    assert (
        setting.text == f"{admin_ref} е администратор чрез настройката ADMINS; това се променя там."
    )


async def test_staff_lists_admins_and_staff_by_reference(people: RecordingChannel, db: Database):
    chat = people
    u1, f1, admin = [await ref_of(chat, db, user) for user in ("u1", "f1", "admin")]
    (alone,) = await chat.say("/staff", user="admin")
    assert alone.text.splitlines()[:2] == [
        "Staff and admins (1):",
        f"{admin} — admin · last active 27 Nov 2026, 12:00 (ADMINS setting)",
    ]
    await chat.say(f"/grant staff {u1}", user="admin")
    await chat.say(f"/grant admin {f1}", user="admin")
    (listing,) = await chat.say("/staff", user="admin")
    lines = listing.text.splitlines()
    assert lines[:4] == [
        "Staff and admins (3):",
        f"{admin} — admin · last active 27 Nov 2026, 12:00 (ADMINS setting)",
        f"{f1} — admin · last active 27 Nov 2026, 12:00",
        f"{u1} — staff · last active 27 Nov 2026, 12:00",
    ]
    # The Telegram variant's ADMINS also lists console:admin, who never wrote: no ref yet.
    unseen = ["Admins in the ADMINS setting who have not written to the bot yet: 1"]
    assert lines[4:] == (unseen if chat.name == "telegram" else [])
    assert "telegram" not in listing.text and "console" not in listing.text


async def test_usage_errors_get_the_usage_line(people: RecordingChannel, db: Database):
    chat = people
    u1, admin = await ref_of(chat, db, "u1"), await ref_of(chat, db, "admin")
    usage = (
        "Usage: /grant staff BODY C-7F3K2 (staff of a body, e.g. district-01), "
        "/grant staff C-7F3K2 (staff of every body) or /grant admin C-7F3K2"
    )
    cases = {
        "/grant": usage,
        f"/grant staff {u1} {admin}": usage,
        f"/grant boss {u1}": f"The role can be staff or admin, not “boss”.\n\n{usage}",
        "/grant staff": f"Which citizen? Add their reference, e.g. C-7F3K2.\n\n{usage}",
        "/grant staff XYZ": (
            f"“XYZ” is not a citizen reference (they look like C-7F3K2).\n\n{usage}"
        ),
        f"/grant staff {public_ref(31_337)}": (
            f"There is no citizen {public_ref(31_337)}.\n\n{usage}"
        ),
        f"/grant staff {admin}": "You cannot change your own role.",
        f"/revoke {admin}": "You cannot change your own role.",
        "/revoke": "Which citizen? Add their reference, e.g. C-7F3K2.\n\n" + REVOKE_USAGE,
        f"/revoke {u1} {admin}": REVOKE_USAGE,
    }
    for command, answer in cases.items():
        assert texts(await chat.say(command, user="admin")) == [answer], command
    assert chat.pop("u1") == []


async def test_a_citizen_cannot_grant_or_list(people: RecordingChannel, db: Database):
    chat = people
    u1 = await ref_of(chat, db, "u1")
    for command in (f"/grant admin {u1}", f"/revoke {u1}", "/staff"):
        assert texts(await chat.say(command, user="u1")) == [ADMINS_ONLY], command
    assert texts(await chat.say("/staffhelp", user="u1")) == [REFUSED]


async def test_find_shows_a_card_without_personal_data(people: RecordingChannel, db: Database):
    chat = people
    await subscribe(chat, "u1")
    await file_report(chat, phone="+359888123456")
    ref = await ref_of(chat, db, "u1")
    (card,) = await chat.say(f"/find {ref}", user="admin")
    assert card.text == (
        f"👤 {ref}\n"
        f"Channels: {chat.name.capitalize()}\n"
        "Language: English\n"
        "Role: citizen\n"
        "Joined: 27 Nov 2026, 12:00\n"
        "Last active: 27 Nov 2026, 12:00\n"
        "Messages from the bot: on\n"
        "Ban: no\n"
        "Reports: 1 (hidden: 0)\n"
        "Alerts: topics 1, places 1\n"
        "Survey responses: 0"
    )
    assert "+359" not in card.text and chat.address("u1").user_id not in card.text
    admin = await ref_of(chat, db, "admin")
    (own,) = await chat.say(f"/find {admin}", user="admin")
    assert "Role: admin (ADMINS setting)\n" in own.text
    (usage,) = await chat.say("/find", user="admin")
    assert usage.text.endswith("\n\nUsage: /find C-7F3K2")
