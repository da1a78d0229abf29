"""Citizens' data rights end to end, through the console and the real Telegram path, on SQLite
and PostgreSQL: /mydata sends everything stored about the citizen (and nothing of anyone
else), /forget deletes it (proved by reading every table), keeping reports and survey answers
for the city without a link; the changed privacy notice is shown once."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select as sa_select
from sqlmodel import SQLModel, select

from bot.channels.console import RecordingChannel
from bot.media.store import PhotoStore
from handlers.start import PRIVACY_VERSION
from storage.db import Database
from storage.models import Citizen, Report, ReportPhoto, SurveyAnswer, SurveyResponse
from storage.refs import public_ref
from storage.repos import citizens
from tests.bot.surveys.seed import add_survey
from tests.conftest import Clock
from tests.steps import labels, onboard
from tests.steps.reports import to_description

ME = "forget-me-7731"  # distinctive, so finding it in a table is never a coincidence
OTHER = "someone-else-4402"
PHONE = "+359888112233"
MLADOST = (42.6497, 23.3790)
LOZENETS = (42.668, 23.315)
MY_TEXT = "Дупка на тротоара пред входа на блок 7, опасно вечер."
OTHER_TEXT = "Уличната лампа пред блок 12 не свети от седмица."


async def send(chat: RecordingChannel, user: str) -> str:
    replies = await chat.tap("✅ Send", user=user)
    return replies[-1].text.split("registered as ")[1].split(".")[0]


async def citizen_of(db: Database, chat: RecordingChannel, user: str) -> Citizen | None:
    address = chat.address(user)
    async with db.sessions() as session:
        return await citizens.find_by_identity(
            session, channel=address.channel, user_id=address.user_id
        )


async def answer_survey(chat: RecordingChannel, user: str, idea: str) -> None:
    await chat.say("/surveys", user=user)
    await chat.tap("📝 The parks", user=user)
    await chat.tap("No", user=user)
    await chat.tap("4️⃣", user=user)
    await chat.tap("⏭️ Skip", user=user)
    await chat.say(idea, user=user)


async def busy_citizens(
    chat: RecordingChannel, db: Database, jpeg: Path, *, my_survey: bool = True
) -> dict[str, str]:
    """ME and OTHER with alerts, reports and survey answers (ME's only if `my_survey`); ME
    follows OTHER's report and filed one with a photo and a phone number. The public ids of
    both reports."""
    await add_survey(db)
    for user in (OTHER, ME):
        await onboard(chat, user)
        await chat.say("/alerts", user=user)
        await chat.tap("💧 Water supply", user=user)
    await to_description(chat, OTHER, MLADOST)
    await chat.say(OTHER_TEXT, user=OTHER)
    await chat.tap("⏭️ No photos", user=OTHER)
    theirs = await send(chat, OTHER)
    # ME starts a report at the same place and follows OTHER's instead.
    await to_description(chat, ME, MLADOST)
    await chat.say(MY_TEXT, user=ME)
    (offer,) = await chat.tap("⏭️ No photos", user=ME)
    assert "already reported" in offer.text
    await chat.tap(offer.all_buttons[0].label, user=ME)  # follow it
    await to_description(chat, ME, LOZENETS)
    await chat.say(MY_TEXT, user=ME)
    await chat.say(f"/photo {jpeg}", user=ME)
    await chat.say(f"/contact {PHONE}", user=ME)
    await chat.tap("✅ Done", user=ME)
    mine = await send(chat, ME)
    await answer_survey(chat, OTHER, "Fewer cars")
    if my_survey:
        await answer_survey(chat, ME, "More benches")
    return {"mine": mine, "theirs": theirs}


async def test_mydata_is_a_json_file_of_everything_about_the_citizen(
    chat: RecordingChannel, db: Database, jpeg: Path
):
    ids = await busy_citizens(chat, db, jpeg)
    (reply,) = await chat.say("/mydata", user=ME)
    assert reply.text.startswith("📄 Here is everything we keep about you, as a JSON file")
    document = reply.document
    assert document is not None
    assert document.filename == "citizenbot-mydata-2026-11-27.json"
    assert document.mime_type == "application/json"
    data = json.loads(document.data)

    me = await citizen_of(db, chat, ME)
    assert me is not None and me.id is not None
    address = chat.address(ME)
    assert data["about"]["generated_at"] == "2026-11-27T10:00:00+00:00"
    assert data["citizen"]["ref"] == public_ref(me.id)
    assert data["citizen"]["language"] == "en" and data["citizen"]["role"] == "citizen"
    assert data["citizen"]["consent"]["version"] == PRIVACY_VERSION
    assert data["citizen"]["ban"]["banned"] is False
    assert [(i["channel"], i["user_id"]) for i in data["identities"]] == [
        (address.channel, address.user_id)
    ]
    assert [t["topic"] for t in data["alerts"]["topics"]] == ["water"]
    assert [p["kind"] for p in data["alerts"]["places"]] == ["all"]
    (report,) = data["reports"]
    assert report["public_id"] == ids["mine"] and report["description"] == MY_TEXT
    assert report["contact_phone"] == PHONE and report["photos"] == 1
    assert report["category"] == "sofia-28" and report["category_name"]
    assert report["location"]["lat"] == LOZENETS[0] and report["location"]["district"]
    assert [(e["kind"], e["by"]) for e in report["events"]] == [("created", "you")]
    assert [f["public_id"] for f in data["followed_reports"]] == [ids["theirs"]]
    (response,) = data["surveys"]["responses"]
    assert response["survey"] == "parks"
    assert {"question": "idea", "value": None, "text": "More benches"} in response["answers"]
    # Nothing of anyone else.
    text = document.data.decode()
    for foreign in (chat.address(OTHER).user_id, OTHER_TEXT, "Fewer cars"):
        assert foreign not in text


async def rows_about(db: Database, citizen_id: int, *secrets: str) -> list[str]:
    """Every row in every table that points at the citizen or contains one of `secrets`."""
    found = []
    async with db.engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            pointers = [
                c.name
                for c in table.columns
                if any(fk.column.table.name == "citizen" for fk in c.foreign_keys)
            ]
            if table.name == "citizen":
                pointers.append("id")
            for row in (await conn.execute(sa_select(table))).mappings():
                for name in pointers:
                    if row[name] == citizen_id:
                        found.append(f"{table.name}.{name} = {citizen_id}")
                for name, value in row.items():
                    dumped = json.dumps(value, default=str, ensure_ascii=False)
                    found += [f"{table.name}.{name} has {s!r}" for s in secrets if s in dumped]
    return found


async def test_forget_deletes_the_citizen_and_keeps_the_city_work_unlinked(
    chat: RecordingChannel, db: Database, jpeg: Path, data_dir: str
):
    ids = await busy_citizens(chat, db, jpeg, my_survey=False)
    me = await citizen_of(db, chat, ME)
    assert me is not None and me.id is not None
    user_id = chat.address(ME).user_id
    assert await rows_about(db, me.id, user_id, PHONE)  # the check finds them before

    (question,) = await chat.say("/forget", user=ME)
    assert question.text.startswith("🗑 Delete your data?")
    assert labels(question) == ["🗑 Yes, delete", "No, keep them"]
    (done,) = await chat.tap("🗑 Yes, delete", user=ME)
    assert done.text == (
        "✅ Done, your data is deleted.\n"
        "Deleted: chat accounts: 1, alert subscriptions: 2, followed reports: 1.\n"
        "Kept with no link to you: reports: 1, survey responses: 0.\n"
        "If you write to us again, we start afresh."
    )

    assert await rows_about(db, me.id, user_id, PHONE) == []
    async with db.sessions() as session:
        report = (await session.exec(select(Report).where(Report.public_id == ids["mine"]))).one()
        photo = (await session.exec(select(ReportPhoto))).one()
    assert report.reporter_id is None and report.contact_phone is None
    assert report.description == MY_TEXT
    assert PhotoStore(data_dir).exists(photo.name)  # the photo stays with the report
    # The other citizen is untouched.
    other = await citizen_of(db, chat, OTHER)
    assert other is not None
    (mine,) = await chat.say("/mysubs", user=OTHER)
    assert "Water supply" in mine.text


async def test_forget_keeps_survey_answers_unlinked(chat: RecordingChannel, db: Database):
    await add_survey(db)
    for user, idea in ((ME, "More benches"), (OTHER, "Fewer cars")):
        await onboard(chat, user)
        await answer_survey(chat, user, idea)
    me = await citizen_of(db, chat, ME)
    assert me is not None and me.id is not None
    await chat.say("/forget", user=ME)
    (done,) = await chat.tap("🗑 Yes, delete", user=ME)
    assert "survey responses: 1." in done.text
    assert await rows_about(db, me.id, chat.address(ME).user_id) == []
    async with db.sessions() as session:
        responses = (await session.exec(select(SurveyResponse))).all()
        answers = (await session.exec(select(SurveyAnswer.text))).all()
    assert sorted(r.citizen_id is None for r in responses) == [False, True]
    assert {"More benches", "Fewer cars"} <= set(answers)


async def test_after_forget_a_new_message_starts_afresh(chat: RecordingChannel, db: Database):
    await onboard(chat, ME)
    await chat.say("/forget", user=ME)
    await chat.tap("🗑 Yes, delete", user=ME)
    assert await citizen_of(db, chat, ME) is None
    (hello,) = await chat.say("hello", user=ME)
    assert labels(hello) == ["Български", "English"]
    fresh = await citizen_of(db, chat, ME)
    assert fresh is not None and fresh.consent_version is None


async def test_keep_keeps_everything(chat: RecordingChannel, db: Database):
    await onboard(chat, ME)
    await chat.say("/alerts", user=ME)
    await chat.tap("💧 Water supply", user=ME)
    before = await citizen_of(db, chat, ME)
    await chat.say("/forget", user=ME)
    (kept,) = await chat.tap("No, keep them", user=ME)
    assert kept.text == "All right, nothing was deleted."
    assert "❓ Help" in labels(kept)
    after = await citizen_of(db, chat, ME)
    assert before is not None and after is not None and after.id == before.id
    (mine,) = await chat.say("/mysubs", user=ME)
    assert "Water supply" in mine.text


async def test_forget_in_the_middle_of_a_report_deletes_the_draft_photo(
    chat: RecordingChannel, db: Database, jpeg: Path, data_dir: str
):
    await onboard(chat, ME)
    await to_description(chat, ME, MLADOST)
    await chat.say(MY_TEXT, user=ME)
    await chat.say(f"/photo {jpeg}", user=ME)
    store = PhotoStore(data_dir)
    assert len(list(store.dir.glob("*.jpg"))) == 1
    await chat.say("/forget", user=ME)
    await chat.tap("🗑 Yes, delete", user=ME)
    assert list(store.dir.glob("*.jpg")) == []
    async with db.sessions() as session:
        assert (await session.exec(select(Report))).all() == []


async def test_staff_must_give_up_the_role_first(chat: RecordingChannel, db: Database):
    await onboard(chat, "admin")
    (reply,) = await chat.say("/forget", user="admin")
    assert reply.text == (
        "You have a staff role. Ask an admin to remove it first, then delete your data."
    )
    assert await citizen_of(db, chat, "admin") is not None


async def test_mydata_and_forget_are_in_the_help_and_the_notice(chat: RecordingChannel):
    await chat.say("/start", user=ME)
    notice, _menu = await chat.tap("English", user=ME)
    assert "/mydata" in notice.text and "/forget" in notice.text
    assert "24 months" in notice.text
    (help_reply,) = await chat.say("/help", user=ME)
    assert "/mydata – your data with us" in help_reply.text
    assert "/forget – delete your data" in help_reply.text


async def set_consent(db: Database, citizen_id: int, version: int) -> None:
    async with db.sessions() as session, session.begin():
        citizen = await session.get(Citizen, citizen_id)
        assert citizen is not None
        citizen.consent_version = version
        session.add(citizen)


async def test_a_changed_notice_is_shown_once_before_the_answer(
    chat: RecordingChannel, db: Database, clock: Clock
):
    await onboard(chat, ME)
    me = await citizen_of(db, chat, ME)
    assert me is not None and me.id is not None
    await set_consent(db, me.id, PRIVACY_VERSION - 1)
    clock.advance(days=3)
    notice, help_reply = await chat.say("/help", user=ME)
    assert notice.text.startswith("ℹ️ We have updated how we handle your data:\n\n🔒 About")
    assert "/mydata" in notice.text
    assert "Here is what you can do" in help_reply.text
    after = await citizen_of(db, chat, ME)
    assert after is not None
    assert after.consent_version == PRIVACY_VERSION and after.consented_at == clock.now
    (again,) = await chat.say("/help", user=ME)
    assert "Here is what you can do" in again.text


async def test_no_changed_notice_during_onboarding(chat: RecordingChannel, db: Database):
    (welcome,) = await chat.say("hi", user=ME)
    assert labels(welcome) == ["Български", "English"]
    notice, menu = await chat.tap("English", user=ME)
    assert notice.text.startswith("🔒 About your data")
    assert menu.text == "What would you like to do?"
