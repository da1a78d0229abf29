"""Steps about reports: filing one through the whole conversation, following one, a staff
member changing its status or hiding it, and seeding report histories directly."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

from bot.channels.console import RecordingChannel
from bot.core.messages import Reply
from storage.db import Database
from storage.models import ReportStatus
from storage.models import ReportStatus as S
from storage.repos import reports
from tests.steps import labels

MLADOST = (42.6497, 23.3790)

NEAR_MLADOST = (42.64985, 23.37915)  # about 21 m away

DESCRIPTION = "Уличната лампа пред блок 12 не свети от седмица."

ADDRESS = "бул. Александър Малинов 12"

FILED = "27 Nov 2026, 12:00"  # the test clock's start, in Sofia


async def file_report(
    chat: RecordingChannel,
    user: str = "u1",
    *,
    category: str = "sofia-28",
    district: str = "15",
    where: tuple[float, float] | None = None,
    photo: Path | None = None,
    phone: str | None = None,
) -> str:
    """File a report through the whole flow; returns its public id."""
    (first,) = await chat.say("/report", user=user)
    if "📝 File a report myself" in labels(first):  # staff are asked which report first
        await chat.tap("📝 File a report myself", user=user)
    await chat.tap(f"rc:{category}", user=user)
    if where is None:
        await chat.tap("rl:type", user=user)
        await chat.say(ADDRESS, user=user)
        await chat.tap(f"rd:{district}", user=user)
    else:
        await chat.say(f"/loc {where[0]} {where[1]}", user=user)
    await chat.say(DESCRIPTION, user=user)
    if photo is not None:
        await chat.say(f"/photo {photo}", user=user)
    if phone is not None:
        (shared,) = await chat.say(f"/contact {phone}", user=user)
        assert shared.text.startswith("📞")
    replies = await chat.tap("rph:done", user=user)
    if "already reported" in replies[-1].text:
        await chat.tap("rdup:new", user=user)
    (filed,) = await chat.tap("rs:send", user=user)
    found = re.search(r"SOF-\d{4}-\d{6}", filed.text)
    assert found, filed.text
    return found.group()


async def follow_report(chat: RecordingChannel, user: str, public_id: str) -> None:
    """Start a report next to an existing one and follow it instead (the duplicate offer)."""
    await chat.say("/report", user=user)
    await chat.tap("rc:sofia-28", user=user)
    await chat.say(f"/loc {NEAR_MLADOST[0]} {NEAR_MLADOST[1]}", user=user)
    await chat.say(DESCRIPTION, user=user)
    (offer,) = await chat.tap("rph:done", user=user)
    follow = next(b.label for b in offer.all_buttons if public_id in b.label)
    await chat.tap(follow, user=user)


async def staff_sets(
    chat: RecordingChannel, public_id: str, button: str, note: str | None = None
) -> Reply:
    """The admin (a staff member) opens the report, taps a status button and answers."""
    await chat.say(f"/report {public_id}", user="admin")
    await chat.tap(button, user="admin")
    if note is None:
        (done,) = await chat.tap("stk", user="admin")
    else:
        (done,) = await chat.say(note, user="admin")
    return done


async def staff_hides(
    chat: RecordingChannel,
    public_id: str,
    reason: str = "Advertising or spam",
    user: str = "admin",
) -> Reply:
    """A staff member opens the report, taps Hide, gives a reason (a button's label, or
    written) and confirms."""
    await chat.say(f"/report {public_id}", user=user)
    (ask,) = await chat.tap("🙈 Hide", user=user)
    if reason in labels(ask):
        await chat.tap(reason, user=user)
    else:
        await chat.say(reason, user=user)
    (done,) = await chat.tap("🙈 Yes, hide it", user=user)
    return done


async def public_ids(db: Database) -> list[str]:
    """What Open311 and the open data publish."""
    async with db.sessions() as session:
        return [r.public_id for r in await reports.public_reports(session)]


async def seed_report(
    session,
    category: str,
    district: str | None,
    filed: datetime,
    *steps: tuple[ReportStatus | str, datetime],
    reopener: int | None = None,
) -> None:
    """A report filed at `filed`, then moved through `steps` (a status or "reopened" by
    `reopener`, and when)."""
    report = await reports.create(
        session,
        city="sofia",
        prefix="SOF",
        category=category,
        description="Test report.",
        source="console",
        district=district,
        now=filed,
    )
    for step, at in steps:
        if step == "reopened":
            assert reopener is not None
            await reports.reopen(session, report=report, citizen_id=reopener, comment="No.", now=at)
            continue
        note = "Not ours." if step is S.REJECTED else None
        await reports.change_status(
            session, report=report, to=step, actor_id=None, actor_role="staff", note=note, now=at
        )
