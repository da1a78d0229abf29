"""Filing a report through the recording console channel: the whole conversation as a citizen
has it, on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PIL import Image
from sqlmodel import select

from bot.channels.console import RecordingChannel
from bot.core.messages import IncomingMessage, Kind, Reply
from bot.media.store import PhotoStore
from storage.db import Database
from storage.models import Report, ReportFollower, ReportPhoto
from storage.repos import reports
from tests.conftest import Clock, recording_channel
from tests.steps import labels, last, onboard
from tests.steps.reports import (
    DESCRIPTION,
    MLADOST,
    NEAR_MLADOST,
    file_report,
    start_report,
    to_description,
)

LOZENETS = (42.668, 23.315)
PLOVDIV = (42.1354, 24.7453)
DEFAULT_POINT = (42.6969, 23.33167)


async def test_the_summary_names_the_category_as_its_button_did(chat: RecordingChannel):
    await onboard(chat, language="Български")
    (ask,) = await chat.say("/report")
    assert "🕳️ Пътища и тротоари" in labels(ask)
    await chat.tap("🕳️ Пътища и тротоари")
    await chat.say(f"/loc {MLADOST[0]} {MLADOST[1]}")
    await chat.say(DESCRIPTION)
    summary = last(await chat.tap("⏭️ Без снимки"))
    assert "Категория: Пътища и тротоари\n" in summary.text
    filed = last(await chat.tap("✅ Изпрати"))
    public_id = re.search(r"SOF-\d{4}-\d{6}", filed.text).group()
    (card,) = await chat.say(f"/report {public_id}")
    assert "Категория: Пътища и тротоари\n" in card.text


@pytest.fixture
def wide_jpeg(tmp_path: Path) -> Path:
    """A photo larger than the bot keeps (it is scaled down to 2048 pixels)."""
    path = tmp_path / "pothole.jpg"
    Image.new("RGB", (3000, 1500), (120, 120, 120)).save(path, "JPEG")
    return path


async def test_happy_path_with_pin_and_photo(
    chat: RecordingChannel, db: Database, wide_jpeg: Path, data_dir: str
):
    await onboard(chat)
    (ask,) = await chat.say("/report")
    assert ask.text == "What is the problem about? Choose a category:"
    assert "💡 Street lighting" in labels(ask) and "✖️ Cancel" in labels(ask)
    (where,) = await chat.tap("💡 Street lighting")
    assert where.asks_location
    assert "⌨️ I will type an address" in labels(where)
    got_it, describe = await chat.say(f"/loc {MLADOST[0]} {MLADOST[1]}")
    assert got_it.text == "📍 Mladost — got it."
    assert describe.text.startswith("Describe the problem briefly (10–2000 characters)")
    (photos,) = await chat.say(DESCRIPTION)
    assert "send up to 3" in photos.text and "⏭️ No photos" in labels(photos)
    (added,) = await chat.say(f"/photo {wide_jpeg}")
    assert added.text == "📷 Photo 1 of 3 added."
    (summary,) = await chat.tap("✅ Done")
    assert "Category: Street lighting" in summary.text
    assert "Place: Mladost (42.64970, 23.37900)" in summary.text
    assert "Photos: 1" in summary.text and DESCRIPTION in summary.text
    assert labels(summary) == ["✅ Send", "✏️ Edit", "✖️ Cancel"]
    (filed,) = await chat.tap("✅ Send")
    # Routed at filing: Mladost's administration, 10 working days from Friday 27 Nov 2026.
    assert filed.text == (
        "✅ Thank you! Your report is registered as SOF-2026-000001.\n"
        "We have passed it to: Mladost District Administration. "
        "It should be resolved by 11 Dec 2026.\n"
        "We will write to you here when its status changes."
    )
    async with db.sessions() as session:
        report = (await session.exec(select(Report))).one()
        photo = (await session.exec(select(ReportPhoto))).one()
    assert (report.category, report.district, report.status) == ("sofia-28", "15", "new")
    assert report.body_code == "district-15"
    sofia = ZoneInfo("Europe/Sofia")
    assert report.resolve_due_at == datetime(2026, 12, 11, 17, 30, tzinfo=sofia)
    assert report.ack_due_at == datetime(2026, 11, 30, 11, 30, tzinfo=sofia)  # 8 working hours
    assert (report.lat, report.lon, report.address) == (MLADOST[0], MLADOST[1], None)
    assert report.source == chat.name and report.description == DESCRIPTION
    stored = PhotoStore(Path(data_dir)).path(photo.name)
    image = Image.open(io.BytesIO(stored.read_bytes()))
    assert image.format == "JPEG" and max(image.size) == 2048 and image.size == (2048, 1024)
    assert (photo.width, photo.height) == (2048, 1024)


async def test_pin_outside_the_city_gets_a_second_chance(chat: RecordingChannel):
    await onboard(chat)
    await start_report(chat)
    (again,) = await chat.say(f"/loc {PLOVDIV[0]} {PLOVDIV[1]}")
    assert again.text.startswith("This spot is outside Sofia Municipality.")
    assert again.asks_location
    got_it, _ = await chat.say(f"/loc {LOZENETS[0]} {LOZENETS[1]}")
    assert got_it.text == "📍 Lozenets — got it."


async def test_default_point_is_queried(chat: RecordingChannel):
    await onboard(chat)
    await start_report(chat)
    (query,) = await chat.say(f"/loc {DEFAULT_POINT[0]} {DEFAULT_POINT[1]}")
    assert "Is the problem really here?" in query.text
    got_it, _ = await chat.tap("✅ Yes, it is here")
    assert got_it.text == "📍 Oborishte — got it."


async def test_typed_address_and_district_buttons(chat: RecordingChannel, db: Database):
    await onboard(chat)
    await chat.say("/report")
    await chat.tap("🕳️ Roads and pavements")
    (ask,) = await chat.tap("⌨️ I will type an address")
    assert ask.text.startswith("Type the address or a landmark")
    (short,) = await chat.say("ab")
    assert "too short" in short.text
    (district,) = await chat.say("ул. Шипка 6")
    assert district.text == "Which district is it in?"
    assert len(district.all_buttons) == 25  # 24 districts and Cancel
    (describe,) = await chat.tap("Sredets")
    assert describe.text.startswith("Describe the problem")
    await chat.say("Дупка на пътя, опасна за колите.")
    (summary,) = await chat.tap("⏭️ No photos")
    assert "Place: ул. Шипка 6, Sredets" in summary.text
    await chat.tap("✅ Send")
    async with db.sessions() as session:
        report = (await session.exec(select(Report))).one()
    assert (report.address, report.district, report.lat, report.lon) == (
        "ул. Шипка 6",
        "01",
        None,
        None,
    )


async def test_description_length_is_explained(chat: RecordingChannel):
    await onboard(chat)
    await to_description(chat)
    (short,) = await chat.say("Лампа")
    assert "at least 10 letters or digits" in short.text
    (long,) = await chat.say("я" * 2001)
    assert (
        long.text
        == "The description is 2001 characters long; the limit is 2000. Please shorten it."
    )
    (ok,) = await chat.say("я" * 2000)
    assert ok.text.startswith("If you have photos")


async def test_not_an_image_is_explained_and_nothing_breaks(chat: RecordingChannel, tmp_path):
    await onboard(chat)
    await to_description(chat)
    await chat.say(DESCRIPTION)
    text_file = tmp_path / "notes.jpg"
    text_file.write_text("this is not a photo")
    (reply,) = await chat.say(f"/photo {text_file}")
    assert reply.text.startswith("That file is not a photo we can open.")
    (summary,) = await chat.tap("⏭️ No photos")
    assert "Photos: 0" in summary.text


async def test_duplicate_nearby_is_offered_and_followed(chat: RecordingChannel, db: Database):
    await onboard(chat, "first")
    first_id = await file_report(chat, "first", where=MLADOST)
    await onboard(chat, "second")
    await to_description(chat, "second", NEAR_MLADOST)
    await chat.say(DESCRIPTION, user="second")
    (offer,) = await chat.tap("⏭️ No photos", user="second")
    assert offer.text.startswith("Someone has already reported the same thing nearby.")
    assert f"{first_id} — New, 21 m away" in offer.text
    assert labels(offer) == [f"👁️ Follow {first_id}", "➕ Mine is different, send it"]
    (following,) = await chat.tap(f"👁️ Follow {first_id}", user="second")
    assert following.text.startswith(f"Done, you are following report {first_id}.")
    async with db.sessions() as session:
        assert len((await session.exec(select(Report))).all()) == 1
        assert len((await session.exec(select(ReportFollower))).all()) == 1


async def test_other_category_or_far_away_is_not_a_duplicate(chat: RecordingChannel):
    await onboard(chat)
    await file_report(chat, where=MLADOST)
    second = await file_report(chat, where=LOZENETS)
    assert second == "SOF-2026-000002"


async def test_edit_a_field_from_the_summary(chat: RecordingChannel):
    await onboard(chat)
    await to_description(chat)
    await chat.say(DESCRIPTION)
    await chat.tap("⏭️ No photos")
    (menu,) = await chat.tap("✏️ Edit")
    assert labels(menu) == ["Category", "Place", "Description", "Photos", "↩️ Back"]
    await chat.tap("Description")
    (summary,) = await chat.say("Нова лампа трябва, старата е счупена.")
    assert "Нова лампа трябва" in summary.text and labels(summary)[0] == "✅ Send"


async def test_abandoned_draft_is_offered_again(chat: RecordingChannel):
    await onboard(chat)
    await to_description(chat)
    await chat.say("/menu")
    (offer,) = await chat.say("/report")
    assert offer.text.startswith("You have a report you started but did not send.")
    (resumed,) = await chat.tap("▶️ Continue")
    assert resumed.text.startswith("Describe the problem briefly")
    await chat.say("/menu")
    await chat.say("/report")
    (fresh,) = await chat.tap("🔄 Start over")
    assert fresh.text == "What is the problem about? Choose a category:"


async def test_cancel_discards_the_draft(chat: RecordingChannel, db: Database):
    await onboard(chat)
    await to_description(chat)
    (cancelled,) = await chat.tap("✖️ Cancel")
    assert cancelled.text == "Filing cancelled; nothing was sent."
    (again,) = await chat.say("/report")
    assert again.text == "What is the problem about? Choose a category:"


async def test_daily_limit(bot_factory, clock):
    chat = recording_channel()
    await bot_factory([chat], reports_per_day=2)
    await onboard(chat)
    for _ in range(2):
        await file_report(chat, where=LOZENETS)
    (limit,) = await chat.say("/report")
    assert limit.text.startswith("You have already filed 2 reports today")
    clock.advance(days=1)
    (ask,) = await chat.say("/report")
    assert ask.text == "What is the problem about? Choose a category:"


async def test_stale_report_buttons_are_answered(chat: RecordingChannel):
    await onboard(chat)
    stale = IncomingMessage(chat.address("u1"), Kind.BUTTON, payload="rc:sofia-28")
    (reply,) = await chat.push(stale)
    assert reply.text == "That button is no longer active. Here is the menu:"


async def open311_report(db: Database, clock: Clock, where, category: str = "sofia-28") -> Report:
    """A report filed by an Open311 client (no reporter in the bot)."""
    async with db.sessions() as session, session.begin():
        return await reports.create(
            session,
            city="sofia",
            prefix="SOF",
            category=category,
            description="Не свети лампата на ъгъла.",
            source="open311",
            lat=where[0],
            lon=where[1],
            district="15",
            now=clock(),
        )


async def to_duplicates(chat, user: str = "u1", where=NEAR_MLADOST) -> Reply:
    await onboard(chat, user)
    await to_description(chat, user, where)
    await chat.say(DESCRIPTION, user=user)
    return last(await chat.tap("⏭️ No photos", user=user))


async def followers(db: Database) -> list[ReportFollower]:
    async with db.sessions() as session:
        return list((await session.exec(select(ReportFollower))).all())


async def test_two_reports_at_one_pin_are_both_offered(chat, db: Database, clock: Clock):
    # Two Open311 reports at the same pin are equally far: sorting them once compared
    # Report objects, and every citizen filing nearby got "Sorry, something went wrong".
    first = await open311_report(db, clock, MLADOST)
    second = await open311_report(db, clock, MLADOST)
    offer = await to_duplicates(chat)
    assert offer.text.startswith("Someone has already reported the same thing nearby.")
    assert f"{first.public_id} — New, 21 m away" in offer.text
    assert f"{second.public_id} — New, 21 m away" in offer.text
    assert labels(offer) == [
        f"👁️ Follow {first.public_id}",
        f"👁️ Follow {second.public_id}",
        "➕ Mine is different, send it",
    ]
    (summary,) = await chat.tap("➕ Mine is different, send it")
    assert summary.text.startswith("Please check your report before sending")


async def test_a_report_that_was_not_offered_cannot_be_followed(chat, db: Database, clock):
    near = await open311_report(db, clock, MLADOST)
    far = await open311_report(db, clock, LOZENETS)
    offer = await to_duplicates(chat)
    assert labels(offer)[0] == f"👁️ Follow {near.public_id}"
    # The attack: a forged "Follow" of a report elsewhere in the city.
    forged = IncomingMessage(chat.address("u1"), Kind.BUTTON, payload=f"rdup:{far.id}")
    replies = await chat.push(forged)
    assert [r.text for r in replies] == ["That button is no longer active. Here is the menu:"]
    assert far.public_id not in replies[0].text
    assert await followers(db) == []
    # The draft is intact: /report offers to continue it.
    (resume,) = await chat.say("/report")
    assert resume.text.startswith("You have a report you started but did not send.")


async def test_a_typed_payload_on_viber_is_refused(start_viber, viber_api, db: Database, clock):
    from tests.viber_chat import ViberChat

    await start_viber()
    chat = ViberChat(viber_api)
    await open311_report(db, clock, MLADOST)
    far = await open311_report(db, clock, LOZENETS)
    await chat.say("/start")
    await chat.tap("English")
    await to_description(chat, "u1", NEAR_MLADOST)
    await chat.say(DESCRIPTION)
    offer = last(await chat.tap("⏭️ No photos"))
    assert offer.text.startswith("Someone has already reported the same thing nearby.")
    # Anyone can type a payload on Viber; it arrives exactly like a button tap.
    (refused,) = await chat.say(f"rdup:{far.id}")
    assert refused.text == "That button is no longer active. Here is the menu:"
    assert await followers(db) == []
    async with db.sessions() as session:
        assert len((await session.exec(select(Report))).all()) == 2  # nothing else filed


async def test_resuming_twice_keeps_the_step_and_the_draft(chat):
    await onboard(chat)
    await to_description(chat)
    (photos,) = await chat.say(DESCRIPTION)
    assert "send up to 3" in photos.text
    (offer,) = await chat.say("/report")
    assert offer.text.startswith("You have a report you started but did not send.")
    (again,) = await chat.say("/report")
    assert again.text.startswith("You have a report you started but did not send.")
    (resumed,) = await chat.tap("▶️ Continue")
    assert "send up to 3" in resumed.text  # the photo step, not the categories
    (summary,) = await chat.tap("⏭️ No photos")
    assert "Category: Street lighting" in summary.text and DESCRIPTION in summary.text
    assert "Place: Mladost" in summary.text


async def test_a_description_must_have_ten_letters_or_digits(chat):
    await onboard(chat)
    await to_description(chat)
    (emoji,) = await chat.say("🕳️🕳️🕳️🕳️🕳️🕳️🕳️🕳️🕳️🕳️")
    assert emoji.text == (
        "A few more details, please — at least 10 letters or digits, so the team knows what to do."
    )
    (padded,) = await chat.say("Дупка !!! ... ??? ---")
    assert "at least 10 letters or digits" in padded.text
    (ok,) = await chat.say("Дупка 3 м!")  # Cyrillic letters and digits count: 5 + 1 + 1 = 7
    assert "at least 10 letters or digits" in ok.text
    (photos,) = await chat.say("Дупка на ул. 12")  # 5 + 2 + 2 + 2 = 11
    assert photos.text.startswith("If you have photos")


async def test_a_too_short_description_is_explained_in_bulgarian(chat):
    await onboard(chat, language="Български")
    await to_description(chat)
    (short,) = await chat.say("😀😀😀😀😀😀😀😀😀😀😀😀")
    assert "поне 10 букви или цифри" in short.text


async def summary_with_photos(chat, jpeg: Path, count: int) -> Reply:
    await onboard(chat)
    await to_description(chat)
    await chat.say(DESCRIPTION)
    for _ in range(count):
        await chat.say(f"/photo {jpeg}")
    return last(await chat.tap("✅ Done"))


def stored_photos(data_dir: str) -> list[Path]:
    return sorted(p for p in Path(data_dir).rglob("*.jpg"))


async def test_edit_photos_keeps_them_until_replaced(chat, jpeg: Path, data_dir: str, db):
    summary = await summary_with_photos(chat, jpeg, 2)
    assert "Photos: 2" in summary.text
    old = stored_photos(data_dir)
    assert len(old) == 2
    await chat.tap("✏️ Edit")
    (kept,) = await chat.tap("Photos")
    assert kept.text == (
        "Your report has 2 of 3 photos. They stay unless you replace or remove them."
    )
    assert labels(kept) == ["↩️ Keep them", "➕ Add photos", "🔄 Replace them", "🗑️ Remove them"]
    assert stored_photos(data_dir) == old  # nothing deleted on entry
    (summary,) = await chat.tap("↩️ Keep them")
    assert "Photos: 2" in summary.text
    # Replace, then change one's mind before sending a new one: the photos stay.
    await chat.tap("✏️ Edit")
    await chat.tap("Photos")
    (ask,) = await chat.tap("🔄 Replace them")
    assert ask.text.startswith("Send the new photos (up to 3); they will replace the current ones")
    assert labels(ask) == ["↩️ Keep them", "✖️ Cancel"]
    (summary,) = await chat.tap("↩️ Keep them")
    assert "Photos: 2" in summary.text and stored_photos(data_dir) == old
    # Replace for real: the first new photo replaces both; their files go after the commit.
    await chat.tap("✏️ Edit")
    await chat.tap("Photos")
    await chat.tap("🔄 Replace them")
    (added,) = await chat.say(f"/photo {jpeg}")
    assert added.text == "📷 Photo 1 of 3 added."
    new = stored_photos(data_dir)
    assert len(new) == 1 and new[0] not in old
    (summary,) = await chat.tap("✅ Done")
    assert "Photos: 1" in summary.text
    await chat.tap("✅ Send")
    async with db.sessions() as session:
        (photo,) = (await session.exec(select(ReportPhoto))).all()
    assert PhotoStore(Path(data_dir)).path(photo.name) == new[0]


async def test_edit_photos_add_and_remove(chat, jpeg: Path, data_dir: str):
    await summary_with_photos(chat, jpeg, 1)
    await chat.tap("✏️ Edit")
    await chat.tap("Photos")
    (ask,) = await chat.tap("➕ Add photos")
    assert ask.text == "You have 1 of 3 photos. Send more or tap “Done”."
    await chat.say(f"/photo {jpeg}")
    (summary,) = await chat.tap("✅ Done")
    assert "Photos: 2" in summary.text and len(stored_photos(data_dir)) == 2
    await chat.tap("✏️ Edit")
    await chat.tap("Photos")
    (removed,) = await chat.tap("🗑️ Remove them")
    assert removed.text.startswith("🗑️ The photos were removed.")
    assert "Photos: 0" in removed.text and stored_photos(data_dir) == []


async def test_cancelling_a_filled_in_report_asks_first(chat, jpeg: Path, data_dir: str, db):
    await summary_with_photos(chat, jpeg, 1)
    (confirm,) = await chat.tap("✖️ Cancel")
    assert confirm.text == "Discard this report? What you have filled in will be lost."
    assert labels(confirm) == ["🗑️ Yes, discard", "↩️ No, go back"]
    assert len(stored_photos(data_dir)) == 1
    (summary,) = await chat.tap("↩️ No, go back")
    assert "Photos: 1" in summary.text and DESCRIPTION in summary.text
    await chat.tap("✖️ Cancel")
    # Cancel tapped once more (on an older message) asks again; it does not discard.
    old_cancel = IncomingMessage(chat.address("u1"), Kind.BUTTON, payload="rs:cancel")
    (asked_again,) = await chat.push(old_cancel)
    assert asked_again.text == "Discard this report? What you have filled in will be lost."
    (cancelled,) = await chat.tap("🗑️ Yes, discard")
    assert cancelled.text == "Filing cancelled; nothing was sent."
    assert stored_photos(data_dir) == []
    async with db.sessions() as session:
        assert (await session.exec(select(Report))).all() == []
    (again,) = await chat.say("/report")
    assert again.text == "What is the problem about? Choose a category:"
