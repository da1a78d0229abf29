"""Steps about reports: filing one through the whole conversation, following one, a staff
member changing its status or hiding it, and seeding report histories directly."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

from bot.channels.console import RecordingChannel
from bot.city.pack import load_city
from bot.core.messages import Reply
from bot.i18n import Translator
from storage.db import Database
from storage.models import ReportStatus
from storage.models import ReportStatus as S
from storage.repos import reports
from tests.steps import labels, last

SOFIA = load_city("sofia")
TRANSLATOR = Translator()

MLADOST = (42.6497, 23.3790)

NEAR_MLADOST = (42.64985, 23.37915)  # about 21 m away

DESCRIPTION = "Уличната лампа пред блок 12 не свети от седмица."

ADDRESS = "бул. Александър Малинов 12"

FILED = "27 Nov 2026, 12:00"  # the test clock's start, in Sofia

FILE_MYSELF = "📝 File a report myself"  # staff are asked which report first


def button_of(reply: Reply, names: set[str]) -> str:
    """The label of the reply's button that reads one of `names` (as a person finds it)."""
    found = [label for label in labels(reply) if label in names]
    assert found, f"none of {sorted(names)} among {labels(reply)}"
    return found[0]


def said(key: str) -> set[str]:
    """A text of the catalogs in every language the bot speaks."""
    return {TRANSLATOR.translate(language, key) for language in TRANSLATOR.languages}


def category_button(reply: Reply, code: str) -> str:
    """The button of the category `code` (its label is in the reader's language)."""
    category = SOFIA.category(code)
    assert category is not None, code
    return button_of(reply, {category.short_name(lang) for lang in TRANSLATOR.languages})


def district_button(reply: Reply, code: str) -> str:
    district = SOFIA.district(code)
    assert district is not None, code
    return button_of(reply, {district.name(lang) for lang in TRANSLATOR.languages})


async def start_report(chat: RecordingChannel, user: str = "u1", category: str = "sofia-28"):
    """/report and a category: the place is asked next (its reply returned)."""
    ask = last(await chat.say("/report", user=user))
    if FILE_MYSELF in labels(ask):
        ask = last(await chat.tap(FILE_MYSELF, user=user))
    return last(await chat.tap(category_button(ask, category), user=user))


async def to_description(
    chat: RecordingChannel,
    user: str = "u1",
    where: tuple[float, float] = MLADOST,
    category: str = "sofia-28",
) -> None:
    """/report, a category and a pin: the description is asked next."""
    await start_report(chat, user, category)
    await chat.say(f"/loc {where[0]} {where[1]}", user=user)


def way_on_from_photos(keyboard: Reply) -> str:
    """The photo step's way on: "No photos", or "Done" once one was sent (any language)."""
    return button_of(keyboard, said("report.btn_skip_photos") | said("report.btn_photos_done"))


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
    ask_place = await start_report(chat, user, category)
    if where is None:
        await chat.tap(button_of(ask_place, said("report.btn_type_address")), user=user)
        (ask_district,) = await chat.say(ADDRESS, user=user)
        await chat.tap(district_button(ask_district, district), user=user)
    else:
        await chat.say(f"/loc {where[0]} {where[1]}", user=user)
    keyboard = last(await chat.say(DESCRIPTION, user=user))
    if photo is not None:
        keyboard = last(await chat.say(f"/photo {photo}", user=user))
    if phone is not None:
        (shared,) = await chat.say(f"/contact {phone}", user=user)
        assert shared.text.startswith("📞")
    replies = await chat.tap(way_on_from_photos(keyboard), user=user)
    if "already reported" in replies[-1].text:
        replies = await chat.tap(
            button_of(last(replies), said("report.btn_mine_is_different")), user=user
        )
    (filed,) = await chat.tap(button_of(last(replies), said("report.btn_send")), user=user)
    found = re.search(r"SOF-\d{4}-\d{6}", filed.text)
    assert found, filed.text
    return found.group()


async def follow_report(chat: RecordingChannel, user: str, public_id: str) -> None:
    """Start a report next to an existing one and follow it instead (the duplicate offer)."""
    await to_description(chat, user, NEAR_MLADOST)
    (photos,) = await chat.say(DESCRIPTION, user=user)
    (offer,) = await chat.tap(way_on_from_photos(photos), user=user)
    follow = next(b.label for b in offer.all_buttons if public_id in b.label)
    await chat.tap(follow, user=user)


async def staff_sets(
    chat: RecordingChannel, public_id: str, button: str, note: str | None = None
) -> Reply:
    """The admin (a staff member) opens the report, taps a status button and answers."""
    await chat.say(f"/report {public_id}", user="admin")
    (ask,) = await chat.tap(button, user="admin")
    if note is None:
        (done,) = await chat.tap(button_of(ask, said("staff.btn_skip")), user="admin")
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
