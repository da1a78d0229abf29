"""Closing the loop in the chat: a resolution's news ask the reporter and followers "Is it
fixed?"; ✅ closes the report for good, ❌ asks for a comment and an optional photo and
reopens it; one answer per question; forged and stale taps are answered and change nothing.
Through the recording console channel (SQLite and PostgreSQL) and the real Telegram path;
tests/e2e/test_parity.py runs both answers on Viber too."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import col, select

from bot.channels.console import RecordingChannel
from bot.core.messages import IncomingMessage, Kind
from storage.db import Database
from storage.models import Report, ReportEvent, ReportPhoto
from tests.steps import labels, onboard
from tests.steps.reports import FILED as FILED_AT
from tests.steps.reports import MLADOST, file_report, follow_report, staff_sets

YES, NO = "✅ Yes, it is fixed", "❌ No, it is not fixed"
YES_BG, NO_BG = "✅ Да, отстранен е", "❌ Не, не е отстранен"


@pytest.fixture
async def resolved(chat: RecordingChannel) -> tuple[RecordingChannel, str]:
    """A report by u1 (English), followed by f1 (Bulgarian), resolved by the admin; both
    were sent the news with the question."""
    await onboard(chat, "u1")
    await onboard(chat, "f1", "Български")
    await onboard(chat, "admin")
    public_id = await file_report(chat, where=MLADOST)
    await follow_report(chat, "f1", public_id)
    await staff_sets(chat, public_id, "✅ Resolved", "The lamp was replaced.")
    (news,) = chat.pop("u1")
    assert news.text.endswith(
        "❓ Is it fixed now? Please tell us with the buttons below. If it is not, you can say "
        "so within 14 days."
    )
    assert labels(news) == [YES, NO, "📄 Details"]
    (news_bg,) = chat.pop("f1")
    assert news_bg.text.endswith(
        "❓ Отстранен ли е проблемът? Моля, кажете ни с бутоните по-долу. Ако не е, можете да "
        "ни съобщите в срок от 14 дни."
    )
    assert labels(news_bg) == [YES_BG, NO_BG, "📄 Подробности"]
    return chat, public_id


async def answers(db: Database) -> list[tuple[str, str | None]]:
    async with db.sessions() as session:
        stmt = (
            select(ReportEvent)
            .where(col(ReportEvent.kind).in_(("confirmed", "not_fixed")))
            .order_by(col(ReportEvent.id))
        )
        return [(e.kind, e.note) for e in (await session.exec(stmt)).all()]


async def the_report(db: Database) -> Report:
    async with db.sessions() as session:
        return (await session.exec(select(Report))).one()


async def test_fixed_closes_the_report_for_good(resolved, db: Database):
    chat, public_id = resolved
    (thanks,) = await chat.tap(YES, user="u1")
    assert thanks.text == f"✅ Thank you for letting us know! Report {public_id} is now closed."
    yes = (await no_payload(db))[:-1] + "1"
    (again,) = await chat.push(IncomingMessage(chat.address("u1"), Kind.BUTTON, payload=yes))
    assert again.text == (
        f"Thank you, we already have an answer for report {public_id}: the problem is fixed."
    )
    (late,) = await chat.tap(NO_BG, user="f1")  # the follower, after the reporter answered
    assert late.text == (
        f"Благодарим Ви, вече имаме отговор за сигнал {public_id}: проблемът е отстранен."
    )
    report = await the_report(db)
    assert (report.status, report.citizen_confirmed) == ("resolved", True)
    assert await answers(db) == [("confirmed", None)]
    (card,) = await chat.say(f"/report {public_id}", user="u1")
    assert "🔁 Not fixed" not in labels(card)
    assert card.text.endswith(
        "— Resolved\n   “The lamp was replaced.”\n"
        + FILED_AT
        + " — ✅ confirmed fixed by a citizen"
    )
    assert chat.pop("f1") == []  # a confirmation is not news


async def test_a_follower_says_not_fixed_with_a_photo(resolved, db: Database, jpeg: Path):
    chat, public_id = resolved
    (ask,) = await chat.tap(NO_BG, user="f1")
    assert ask.text == (
        f"Какво още не е наред със сигнал {public_id}? Напишете кратък коментар (3–1000 знака)."
    )
    (short,) = await chat.say("не", user="f1")
    assert short.text == "Моля, напишете поне 3 знака."
    (photo_ask,) = await chat.say("Лампата пак не свети.", user="f1")
    assert photo_ask.text == (
        "📷 Можете да добавите снимка, която показва проблема, или да изпратите отговора си "
        "без снимка."
    )
    assert labels(photo_ask) == ["📨 Изпрати без снимка", "✖️ Откажи"]
    (done,) = await chat.say(f"/photo {jpeg}", user="f1")
    assert done.text == (
        f"🔁 Благодарим Ви! Сигнал {public_id} е отворен отново и ще го разгледаме пак."
    )
    (told,) = chat.pop("u1")
    assert told.text == (
        f"🔁 Report {public_id} (Street lighting) was reopened: someone who follows it says "
        "the problem is not fixed.\nStatus: Acknowledged."
    )
    report = await the_report(db)
    assert (report.status, report.reopened, report.citizen_confirmed) == (
        "acknowledged",
        1,
        False,
    )
    assert await answers(db) == [("not_fixed", "Лампата пак не свети.")]
    async with db.sessions() as session:
        assert len((await session.exec(select(ReportPhoto))).all()) == 1
    yes = (await no_payload(db))[:-1] + "1"  # the reporter's question was answered
    (refused,) = await chat.push(IncomingMessage(chat.address("u1"), Kind.BUTTON, payload=yes))
    assert refused.text == (
        f"We already have an answer for report {public_id}: the problem is not fixed, and we "
        "are looking at it again."
    )


async def test_not_fixed_without_a_photo_and_cancelling(resolved, db: Database):
    chat, public_id = resolved
    await chat.tap(NO, user="u1")
    (cancelled,) = await chat.tap("✖️ Cancel", user="u1")
    assert cancelled.text == "All right, the report stays as it is."
    assert await answers(db) == []
    await chat.say(f"/report {public_id}", user="u1")  # the question is still open
    news = await chat.push(
        IncomingMessage(chat.address("u1"), Kind.BUTTON, payload=await no_payload(db))
    )
    assert news[0].text.startswith(f"What is still wrong with report {public_id}?")
    await chat.say("Still dark at night.", user="u1")
    (wrong,) = await chat.say("here is more text", user="u1")
    assert wrong.text == "Please send a photo, or tap “📨 Send without a photo”."
    (done,) = await chat.tap("📨 Send without a photo", user="u1")
    assert done.text == (
        f"🔁 Thank you! Report {public_id} is open again and we will look at it once more."
    )
    assert await answers(db) == [("not_fixed", "Still dark at night.")]
    (told,) = chat.pop("f1")
    assert told.text.startswith(f"🔁 Сигнал {public_id} (Улично осветление) е отворен отново")


async def no_payload(db: Database) -> str:
    async with db.sessions() as session:
        report = (await session.exec(select(Report))).one()
        resolution = (
            await session.exec(
                select(ReportEvent).where(
                    ReportEvent.kind == "status", ReportEvent.to_status == "resolved"
                )
            )
        ).one()
    return f"cf:{report.id}:{resolution.id}:0"


async def test_forged_and_stale_answers_change_nothing(resolved, db: Database):
    chat, public_id = resolved
    await onboard(chat, "stranger")
    payload = await no_payload(db)

    async def tap(user: str, payload: str) -> str:
        (reply,) = await chat.push(
            IncomingMessage(chat.address(user), Kind.BUTTON, payload=payload)
        )
        return reply.text

    assert await tap("stranger", payload) == (
        f"Only the person who filed report {public_id} or follows it can answer this question."
    )
    report_id, resolution, _ = payload[3:].split(":")
    assert await tap("u1", f"cf:{report_id}:{int(resolution) + 99}:1") == (
        f"This question about report {public_id} is no longer current. You can see where it "
        "stands in “📋 My reports”."
    )
    assert await tap("u1", "cf:99999:1:1") == "That report is not available."
    for broken in ("cf:x:1:1", f"cf:{report_id}:{resolution}:2", "cf:1"):
        assert await tap("u1", broken) == "That button is no longer active. Here is the menu:"
    assert await tap("u1", "cfs") == "That button is no longer active. Here is the menu:"
    report = await the_report(db)
    assert (report.status, report.citizen_confirmed) == ("resolved", None)
    assert await answers(db) == []
