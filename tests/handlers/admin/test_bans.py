"""Admins ban and unban citizens: the banned citizen is told once and then ignored, their
reports leave public view and come back with the unban (those staff hid on their own stay
hidden) — through the console and the real Telegram path, on SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest
from sqlmodel import select

from bot.channels.console import RecordingChannel
from bot.core.messages import IncomingMessage, Kind
from storage.db import Database
from storage.models import AuditEntry
from storage.refs import parse_ref
from tests.steps import labels, onboard, texts
from tests.steps.admin import ban, ref_of
from tests.steps.reports import file_report, public_ids, staff_hides

BANNED = (
    "An administrator has suspended your access to this bot. If you think this is a mistake, "
    "please contact the municipality in the usual way."
)


@pytest.fixture
async def people(chat: RecordingChannel) -> RecordingChannel:
    await onboard(chat, "admin")
    await onboard(chat, "u1")
    return chat


async def test_ban_tells_once_then_silence_and_hides_reports_until_unban(
    people: RecordingChannel, db: Database
):
    chat = people
    public_id = await file_report(chat)
    ref = await ref_of(chat, db, "u1")
    assert await public_ids(db) == [public_id]

    banned = await ban(chat, f"/ban {ref} insults   in   every report")
    assert banned.text == (
        f"🚫 {ref} is banned. They will be told once, at their next message; after that the "
        "bot ignores them.\n"
        "They still receive the public alerts they subscribed to (emergencies above all), but no "
        "survey invitations, and they cannot take part in surveys.\n"
        "Reports hidden from the public: 1.\n"
        f"/unban {ref} lifts the ban and shows those reports again."
    )
    assert chat.pop("u1") == []  # no news about the hidden report: the ban notice says it
    async with db.sessions() as session:
        entry = (await session.exec(select(AuditEntry))).one()
    assert (entry.action, entry.object_id, entry.detail) == (
        "ban",
        ref,
        {"reason": "insults in every report", "hidden": 1, "alerts": "kept", "surveys": "none"},
    )
    assert texts(await chat.say("/menu", user="u1")) == [BANNED]
    assert await chat.say("/report", user="u1") == []
    assert await chat.say("hello?", user="u1") == []
    # Their right of access stays: /mydata still answers, with the ban in the file.
    (export,) = await chat.say("/mydata", user="u1")
    assert export.document is not None
    assert json.loads(export.document.data)["citizen"]["ban"]["banned"] is True

    assert await public_ids(db) == []
    (listing,) = await chat.say("/reports", user="admin")
    assert listing.text.splitlines()[1].endswith(" · 🙈")
    (card,) = await chat.say(f"/find {ref}", user="admin")
    assert "Ban: since 27 Nov 2026, 12:00 — “insults in every report”\n" in card.text
    assert "Reports: 1 (hidden: 1)\n" in card.text

    (unbanned,) = await chat.say(f"/unban {ref}", user="admin")
    assert unbanned.text == (
        f"✅ The ban on {ref} is lifted; they have been told.\n"
        "Reports shown again: 1 (the ones the ban hid; reports staff hid one by one stay hidden)."
    )
    assert texts(chat.pop("u1")) == [
        "Your access to this bot is restored. Welcome back! /menu shows what you can do."
    ]
    (menu,) = await chat.say("/menu", user="u1")
    assert menu.text == "What would you like to do?"
    assert await public_ids(db) == [public_id]

    # A second ban is told again, once.
    await ban(chat, f"/ban {ref}")
    assert texts(await chat.say("/menu", user="u1")) == [BANNED]
    assert await chat.say("/menu", user="u1") == []


async def test_unban_leaves_reports_staff_hid_on_their_own_hidden(
    people: RecordingChannel, db: Database
):
    chat = people
    first = await file_report(chat)
    second = await file_report(chat)
    await staff_hides(chat, first)
    chat.pop("u1")  # the reporter is told about a staff hide
    ref = await ref_of(chat, db, "u1")

    banned = await ban(chat, f"/ban {ref}")
    assert "Reports hidden from the public: 1.\n" in banned.text
    assert await public_ids(db) == []
    view = (await chat.say(f"/report {second}", user="admin"))[-1]
    assert f"27 Nov 2026, 12:00 — 🙈 hidden (admin)\n   “/ban {ref}”" in view.text
    (unbanned,) = await chat.say(f"/unban {ref}", user="admin")
    assert "Reports shown again: 1 " in unbanned.text
    assert await public_ids(db) == [second]
    view = (await chat.say(f"/report {first}", user="admin"))[-1]
    assert "🙈 Hidden: not shown in public data." in view.text


async def test_who_cannot_be_banned_and_other_mistakes(people: RecordingChannel, db: Database):
    chat = people
    await onboard(chat, "s1")
    u1, s1, admin = [await ref_of(chat, db, user) for user in ("u1", "s1", "admin")]
    await chat.say(f"/grant staff {s1}", user="admin")
    usage = "Usage: /ban C-7F3K2 [reason]"
    cases = {
        "/ban": f"Which citizen? Add their reference, e.g. C-7F3K2.\n\n{usage}",
        "/ban nobody": (
            f"“nobody” is not a citizen reference (they look like C-7F3K2).\n\n{usage}"
        ),
        f"/ban {admin} test": "You cannot ban yourself.",
        f"/ban {s1}": (
            f"{s1} is staff; staff and admins cannot be banned. Revoke the role first: /revoke {s1}"
        ),
        f"/ban {u1} {'x' * 201}": "The reason is too long: 201 characters, at most 200.",
        f"/unban {u1}": f"{u1} is not banned.",
        "/unban": "Which citizen? Add their reference, e.g. C-7F3K2.\n\nUsage: /unban C-7F3K2",
    }
    for command, answer in cases.items():
        assert texts(await chat.say(command, user="admin")) == [answer], command[:20]

    await ban(chat, f"/ban {u1}")
    (again,) = await chat.say(f"/ban {u1}", user="admin")
    assert again.text == f"{u1} is already banned (since 27 Nov 2026, 12:00)."
    (grant,) = await chat.say(f"/grant staff {u1}", user="admin")
    assert grant.text == f"{u1} is banned. Lift the ban first: /unban {u1}"
    # Only admins ban: staff are told it is for administrators.
    chat.pop("s1")  # told they are staff
    assert texts(await chat.say(f"/ban {u1}", user="s1")) == [
        "This command is for administrators only."
    ]


async def test_ban_asks_first_and_no_changes_nothing(people: RecordingChannel, db: Database):
    chat = people
    public_id = await file_report(chat)
    ref = await ref_of(chat, db, "u1")
    (confirm,) = await chat.say(f"/ban {ref} spam in every report", user="admin")
    assert confirm.text == (
        f"🚫 Ban {ref}?\n"
        "They will be told once, at their next message; after that the bot ignores them "
        "(only /mydata still answers). Their reports still public (1) will be hidden from the "
        "public.\n"
        f"/unban {ref} lifts the ban later.\n"
        "Reason: “spam in every report”"
    )
    assert labels(confirm) == ["🚫 Yes, ban", "✖️ No"]
    (no,) = await chat.tap("✖️ No", user="admin")
    assert no.text == f"All right: {ref} is not banned."
    assert await public_ids(db) == [public_id]
    (menu,) = await chat.say("/menu", user="u1")
    assert menu.text == "What would you like to do?"
    # The old Yes button does nothing now.
    (stale,) = await chat.push(
        IncomingMessage(chat.address("admin"), Kind.BUTTON, payload=f"aby:{parse_ref(ref)}")
    )
    assert stale.text == "That button is no longer active. Here is the menu:"
    assert await public_ids(db) == [public_id]

    # Yes bans, with the reason given to /ban.
    done = await ban(chat, f"/ban {ref} spam")
    assert done.text.startswith(f"🚫 {ref} is banned.")
    (card,) = await chat.say(f"/find {ref}", user="admin")
    assert "Ban: since 27 Nov 2026, 12:00 — “spam”\n" in card.text
    assert labels(card) == []  # banned already: no ban button


async def test_the_ban_button_of_a_card_asks_the_same(people: RecordingChannel, db: Database):
    chat = people
    await onboard(chat, "s1")
    u1, s1, admin = [await ref_of(chat, db, user) for user in ("u1", "s1", "admin")]
    await chat.say(f"/grant staff {s1}", user="admin")
    for not_bannable in (s1, admin):
        (card,) = await chat.say(f"/find {not_bannable}", user="admin")
        assert labels(card) == []
    (card,) = await chat.say(f"/find {u1}", user="admin")
    assert labels(card) == [f"🚫 Ban {u1}"]
    (confirm,) = await chat.tap(f"🚫 Ban {u1}", user="admin")
    assert confirm.text.startswith(f"🚫 Ban {u1}?\nThey will be told once")
    assert labels(confirm) == ["🚫 Yes, ban", "✖️ No"]
    (done,) = await chat.tap("🚫 Yes, ban", user="admin")
    assert done.text.startswith(f"🚫 {u1} is banned.")
    assert texts(await chat.say("/menu", user="u1")) == [BANNED]
