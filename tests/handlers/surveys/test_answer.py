"""Citizens answer surveys, through the console and the real Telegram path, on SQLite and
PostgreSQL: every question type, show_if, resume, changes, closing, targeting, deep links."""

from __future__ import annotations

import pytest
from sqlmodel import select

from bot.channels.console import RecordingChannel
from bot.core.messages import IncomingMessage, Kind
from storage.db import Database
from storage.models import AlertPlace, PlaceKind, SurveyAnswer, SurveyOptIn, SurveyResponse
from storage.repos import citizens
from tests.bot.surveys.seed import PARKS, add_survey, variant
from tests.conftest import Clock
from tests.steps import labels, onboard
from tests.steps.surveys import answer_all


async def stored(db: Database) -> dict[str, list[tuple[str | None, str | None]]]:
    """question → [(value, text)] of the one response in the database."""
    async with db.sessions() as session:
        rows = (await session.exec(select(SurveyAnswer).order_by(SurveyAnswer.id))).all()
    out: dict[str, list[tuple[str | None, str | None]]] = {}
    for row in rows:
        out.setdefault(row.question, []).append((row.value, row.text))
    return out


async def response(db: Database) -> SurveyResponse:
    async with db.sessions() as session:
        return (await session.exec(select(SurveyResponse))).one()


async def test_every_question_type_with_show_if(chat: RecordingChannel, db: Database):
    survey_id = await add_survey(db)
    await onboard(chat)
    (listing,) = await chat.say("/surveys")
    assert "📊 Open surveys:" in listing.text and "The parks" in listing.text
    assert "open until 31 Dec 2026" in listing.text
    assert labels(listing) == ["📝 The parks", "🔔 Tell me about new surveys"]
    (first,) = await chat.tap("📝 The parks")
    assert first.text.startswith("📝 The parks\nThree questions.\nOpen until 31 Dec 2026.")
    assert "Question 1/4" in first.text and "Do you go to the park?" in first.text
    assert labels(first) == ["Yes", "No", "⏸️ Later"]
    (which,) = await chat.tap("Yes")
    assert "Question 2/5" in which.text and "Which parks?" in which.text
    assert "Tick up to 2, then tap Done." in which.text
    assert labels(which) == ["Borisova Garden", "South Park", "West Park", "✔️ Done", "⏸️ Later"]
    (ticked,) = await chat.tap("Borisova Garden")
    assert labels(ticked)[:3] == ["✅ Borisova Garden", "South Park", "West Park"]
    (ticked,) = await chat.tap("West Park")
    assert labels(ticked)[:3] == ["✅ Borisova Garden", "South Park", "✅ West Park"]
    (full,) = await chat.tap("South Park")
    assert full.text.startswith("You can tick at most 2.")
    (unticked,) = await chat.tap("✅ West Park")
    assert labels(unticked)[:3] == ["✅ Borisova Garden", "South Park", "West Park"]
    await chat.tap("South Park")
    (clean,) = await chat.tap("✔️ Done")
    assert "Question 3/5" in clean.text and "1 = dirty · 5 = clean" in clean.text
    assert labels(clean) == ["1️⃣", "2️⃣", "3️⃣", "4️⃣", "5️⃣", "⏸️ Later"]
    (nps,) = await chat.tap("4️⃣")
    assert "Question 4/5" in nps.text
    assert labels(nps)[:11] == ["0️⃣", "1️⃣", "2️⃣", "3️⃣", "4️⃣", "5️⃣", "6️⃣", "7️⃣", "8️⃣", "9️⃣", "🔟"]
    assert labels(nps)[11:] == ["⏭️ Skip", "⏸️ Later"]
    (idea,) = await chat.tap("7️⃣")
    assert "Question 5/5" in idea.text and "up to 50 characters" in idea.text
    (too_long,) = await chat.say("x" * 51)
    assert too_long.text.startswith("That is 51 characters; the limit is 50.")
    (thanks,) = await chat.say("More benches, please")
    assert thanks.text.startswith("🙏 Thank you! Your answers are saved.")
    assert "You can change your answers until 31 Dec 2026" in thanks.text
    assert await stored(db) == {
        "go": [("yes", None)],
        "which": [("borisova", None), ("south", None)],
        "clean": [("4", None)],
        "nps": [("7", None)],
        "idea": [(None, "More benches, please")],
    }
    done = await response(db)
    assert done.survey_id == survey_id and done.completed_at is not None
    assert 100_000 <= done.respondent <= 999_999


async def test_a_hidden_question_is_not_asked_and_skips_are_saved(
    chat: RecordingChannel, db: Database
):
    await add_survey(db)
    await onboard(chat)
    await chat.say("/surveys")
    await chat.tap("📝 The parks")
    (clean,) = await chat.tap("No")
    assert "Question 2/4" in clean.text and "How clean" in clean.text
    await chat.tap("1️⃣")
    await chat.tap("⏭️ Skip")
    (thanks,) = await chat.tap("⏭️ Skip")
    assert "Thank you" in thanks.text
    assert await stored(db) == {
        "go": [("no", None)],
        "clean": [("1", None)],
        "nps": [(None, None)],
        "idea": [(None, None)],
    }


async def test_a_citizen_who_leaves_continues_where_they_stopped(
    chat: RecordingChannel, db: Database
):
    await add_survey(db)
    await onboard(chat)
    await chat.say("/surveys")
    await chat.tap("📝 The parks")
    await chat.tap("No")
    (menu,) = await chat.tap("⏸️ Later")
    assert "Your answers so far are saved" in menu.text
    await chat.say("/menu")
    (listing,) = await chat.say("/surveys")
    assert "▶️ 1/4 answered" in listing.text
    (offer,) = await chat.tap("📝 The parks")
    assert "You have answered 1 of 4 questions" in offer.text
    assert labels(offer) == ["▶️ Continue", "🔄 Start over"]
    (clean,) = await chat.tap("▶️ Continue")
    assert "Question 2/4" in clean.text and "How clean" in clean.text
    # Starting over forgets the answers given.
    await chat.say("/surveys")
    await chat.tap("📝 The parks")
    (first,) = await chat.tap("🔄 Start over")
    assert "Question 1/4" in first.text
    assert await stored(db) == {}


async def test_changing_an_answer_shows_and_drops_questions(chat: RecordingChannel, db: Database):
    await add_survey(db)
    await onboard(chat)
    await answer_all(chat, go="No")
    (summary,) = await chat.say("/surveys")
    assert "✅ answered" in summary.text
    (mine,) = await chat.tap("📝 The parks")
    assert mine.text.startswith("✅ Your answers to “The parks”:")
    assert "1. Do you go to the park?\n   → No" in mine.text
    assert "3. Would you recommend them?\n   → (skipped)" in mine.text
    assert labels(mine) == ["✏️ 1", "✏️ 2", "✏️ 3", "✏️ 4", "📋 Surveys"]
    (change,) = await chat.tap("✏️ 1")
    assert "Your answer now: No" in change.text
    (which,) = await chat.tap("Yes")  # shows "which", so it is asked now
    assert "Which parks?" in which.text and "Question 2/5" in which.text
    await chat.tap("West Park")
    (changed,) = await chat.tap("✔️ Done")
    assert changed.text.startswith("✔️ Your answer is changed.")
    assert "2. Which parks?\n   → West Park" in changed.text
    # And back: "which" is hidden again, its answer dropped.
    await chat.tap("✏️ 1")
    (again,) = await chat.tap("No")
    assert "Which parks?" not in again.text
    answers = await stored(db)
    assert "which" not in answers and answers["go"] == [("no", None)]
    assert (await response(db)).completed_at is not None


async def test_a_closed_survey_takes_no_more_answers(
    chat: RecordingChannel, db: Database, clock: Clock
):
    await add_survey(db)
    await onboard(chat)
    await chat.say("/surveys")
    await chat.tap("📝 The parks")
    clock.advance(days=40)  # past 31.12.2026
    (closed,) = await chat.tap("Yes")
    assert closed.text.startswith("The survey “The parks” is closed.")
    (listing,) = await chat.say("/surveys")
    assert "No surveys are open for you right now." in listing.text
    (typed,) = await chat.say("/start survey_1")
    assert "is closed" in typed.text
    assert await stored(db) == {}


async def test_stale_buttons_and_double_taps(chat: RecordingChannel, db: Database):
    await add_survey(db)
    await onboard(chat)
    await chat.say("/surveys")
    await chat.tap("📝 The parks")
    await chat.tap("No")
    # The same answer again (a double tap): acknowledged, nothing else happens.
    again = IncomingMessage(address=chat.address("u1"), kind=Kind.BUTTON, payload="sv:1:go:no")
    (ack,) = await chat.push(again)
    assert ack.text == "✔️ That answer is already saved."
    # Another answer to a question already passed: back to the current question.
    other = IncomingMessage(address=chat.address("u1"), kind=Kind.BUTTON, payload="sv:1:go:yes")
    (back,) = await chat.push(other)
    assert back.text.startswith("Those buttons are from an earlier question.")
    assert "How clean" in back.text
    # Forged: unknown question, option, survey.
    for payload in ("sv:1:nope:1", "sv:1:clean:9", "svm:1:which:west:1", "sv:99:go:no", "svo:x"):
        forged = IncomingMessage(address=chat.address("u1"), kind=Kind.BUTTON, payload=payload)
        replies = await chat.push(forged)
        assert replies, payload
        assert "Traceback" not in replies[-1].text
    (clean,) = await chat.push(
        IncomingMessage(address=chat.address("u1"), kind=Kind.BUTTON, payload="sv:1:clean:9")
    )
    assert "How clean" in clean.text
    (gone,) = await chat.push(
        IncomingMessage(address=chat.address("u1"), kind=Kind.BUTTON, payload="svo:99")
    )
    assert gone.text == "There is no such survey."
    assert await stored(db) == {"go": [("no", None)]}


async def test_typing_instead_of_tapping(chat: RecordingChannel, db: Database):
    await add_survey(db)
    await onboard(chat)
    await chat.say("/surveys")
    await chat.tap("📝 The parks")
    (again,) = await chat.say("maybe")
    assert again.text.startswith("Please answer with the buttons.")
    assert "Do you go to the park?" in again.text
    (loc,) = await chat.say("/loc 42.69 23.32")
    assert loc.text.startswith("Please answer with the buttons.")


async def test_district_targeting_asks_once_and_remembers(chat: RecordingChannel, db: Database):
    await add_survey(db, variant(districts='["15", "16"]'))
    await onboard(chat)
    (listing,) = await chat.say("/surveys")
    assert "The parks" in listing.text  # no district known: it may be theirs
    (ask,) = await chat.tap("📝 The parks")
    assert "Which district do you live in?" in ask.text
    assert "Mladost" in labels(ask) and "Sredets" in labels(ask)
    (elsewhere,) = await chat.tap("Sredets")
    assert elsewhere.text == "Thank you! This survey is for residents of Mladost, Studentski."
    await chat.say("/surveys")
    await chat.tap("📝 The parks")
    (first,) = await chat.tap("Mladost")
    assert "Question 1/4" in first.text
    assert (await response(db)).district == "15"
    await chat.tap("⏸️ Later")
    await chat.say("/surveys")
    (again,) = await chat.tap("📝 The parks")  # the district is not asked again
    assert "Question 1/4" in again.text and "district" not in again.text


async def test_district_from_alert_places(chat: RecordingChannel, db: Database):
    await add_survey(db, variant(districts='["15"]'))
    await onboard(chat)
    await onboard(chat, user="u2")
    async with db.sessions() as session, session.begin():
        for user, district in (("u1", "15"), ("u2", "01")):
            who = await citizens.find_by_identity(
                session, channel=chat.name, user_id=chat.address(user).user_id
            )
            assert who is not None
            session.add(
                AlertPlace(citizen_id=who.id, kind=PlaceKind.DISTRICT.value, district=district)
            )
    await chat.say("/surveys")
    (first,) = await chat.tap("📝 The parks")
    assert "Question 1/4" in first.text  # not asked: Mladost is on record
    assert (await response(db)).district == "15"
    (other,) = await chat.say("/surveys", user="u2")
    assert "No surveys are open for you right now." in other.text
    # The district on the response counts, whatever the alerts follow later.
    async with db.sessions() as session, session.begin():
        place = (await session.exec(select(AlertPlace).where(AlertPlace.district == "15"))).one()
        place.district = "01"
        session.add(place)
    (listing,) = await chat.say("/surveys")
    assert "The parks" in listing.text and "▶️ 0/4 answered" in listing.text


async def test_language_targeting(chat: RecordingChannel, db: Database):
    await add_survey(db, variant(languages="[bg]"))
    await onboard(chat)
    (listing,) = await chat.say("/surveys")
    assert "No surveys are open" in listing.text
    (link,) = await chat.say("/start survey_1")
    assert link.text == "This survey is not offered in your language."
    await onboard(chat, user="u2", language="Български")
    (bg,) = await chat.say("/surveys", user="u2")
    assert "Парковете" in bg.text


async def test_a_deep_link_opens_the_survey(chat: RecordingChannel, db: Database):
    await add_survey(db)
    await onboard(chat)
    (opened,) = await chat.say("/start survey_1")
    assert opened.text.startswith("📝 The parks") and "Question 1/4" in opened.text
    # A new citizen: language first, then the survey.
    (welcome,) = await chat.say("/start survey_1", user="new")
    assert "English" in labels(welcome)
    privacy, survey = await chat.tap("English", user="new")
    assert privacy.text.startswith("🔒 About your data")
    assert survey.text.startswith("📝 The parks") and "Question 1/4" in survey.text
    (unknown,) = await chat.say("/start survey_77")
    assert unknown.text == "There is no such survey."


async def test_a_scheduled_or_draft_survey_is_not_open(chat: RecordingChannel, db: Database):
    await add_survey(db, variant(opens_at='"2026-12-05 10:00"'))
    await add_survey(db, variant(id="draft-one", status="draft"))
    await onboard(chat)
    (listing,) = await chat.say("/surveys")
    assert "No surveys are open" in listing.text
    (later,) = await chat.say("/start survey_1")
    assert later.text == "The survey “The parks” opens on 5 Dec 2026, 10:00. Come back then!"
    (draft,) = await chat.say("/start survey_2")
    assert draft.text == "There is no such survey."


async def test_tell_me_about_new_surveys(chat: RecordingChannel, db: Database):
    await onboard(chat)
    await chat.say("/surveys")
    (on,) = await chat.tap("🔔 Tell me about new surveys")
    assert on.text.startswith("🔔 We will tell you when a new survey opens.")
    assert labels(on) == ["🔕 Stop telling me about new surveys"]
    async with db.sessions() as session:
        assert len((await session.exec(select(SurveyOptIn))).all()) == 1
    (off,) = await chat.tap("🔕 Stop telling me about new surveys")
    assert off.text.startswith("🔕 You will not be told about new surveys.")
    async with db.sessions() as session:
        assert (await session.exec(select(SurveyOptIn))).all() == []


async def test_the_menu_opens_the_surveys(chat: RecordingChannel, db: Database):
    await add_survey(db)
    await onboard(chat)
    (listing,) = await chat.tap("📊 Surveys")
    assert "The parks" in listing.text


@pytest.mark.parametrize("text", [PARKS])
async def test_bulgarian_texts_are_shown_to_bulgarian_citizens(
    chat: RecordingChannel, db: Database, text: str
):
    await add_survey(db, text)
    await onboard(chat, language="Български")
    await chat.say("/surveys")
    (first,) = await chat.tap("📝 Парковете")
    assert "Въпрос 1/4" in first.text and "Ходите ли в парка?" in first.text
    assert labels(first) == ["Да", "Не", "⏸️ По-късно"]
