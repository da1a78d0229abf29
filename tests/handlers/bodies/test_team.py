"""A body is told of its new reports at once and reminded of overdue ones: the team chat (a
Telegram group an admin links from inside it), each member's private chat by their own
/notify choice (Telegram and Viber), the buttons Acknowledge / Assign to me / Open checked
against the tapper's own role and body, the daily digest, and the overdue reminder on working
days only (the controllable clock across a weekend)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlmodel import select

from bot.core.messages import Reply
from storage.db import Database
from storage.models import BodyChat, Report, ReportStatus
from tests.conftest import Clock, open_telegram_chat, recording_channel
from tests.fakes.telegram_api import FakeBotAPI
from tests.fakes.viber_api import FakeViberAPI
from tests.steps import labels, onboard
from tests.steps.admin import ref_of
from tests.steps.reports import file_report
from tests.viber_chat import ViberChat

GROUP = -1001234567890
BUTTONS = ["Acknowledge", "Assign to me", "Assign to…", "Open"]


async def the_report(db: Database, public_id: str) -> Report:
    async with db.sessions() as session:
        found = (await session.exec(select(Report).where(Report.public_id == public_id))).one()
    return found


async def staff_of(chat, db: Database, user: str, body: str) -> str:
    await onboard(chat, user)
    ref = await ref_of(chat, db, user)
    await chat.say(f"/grant staff {body} {ref}", user="admin")
    (told,) = chat.pop(user)
    assert told.text.startswith("You are now municipal staff")
    return ref


async def team_link(db: Database) -> BodyChat:
    async with db.sessions() as session:
        return (await session.exec(select(BodyChat))).one()


def only(replies: list[Reply]) -> Reply:
    assert len(replies) == 1, [r.text for r in replies]
    return replies[0]


async def test_team_chat_and_members_on_telegram(
    bot_factory: Callable[..., object], db_url: str, db: Database
):
    if not db_url.startswith("sqlite"):
        pytest.skip("the Telegram path runs on SQLite")
    async with FakeBotAPI() as api:
        tg, app = await open_telegram_chat(api, bot_factory, db)
        await onboard(tg, "admin")
        clerk = await staff_of(tg, db, "clerk", "district-15")
        await staff_of(tg, db, "stranger", "district-01")  # staff of another body
        await onboard(tg, "citizen")

        # Linking: admins only, inside a group, a body of the pack.
        (refused,) = await tg.say_in_group(GROUP, "/linkbody district-15", user="clerk")
        assert refused.text == "This command is for administrators only."
        (private,) = await tg.say("/linkbody district-15", user="admin")
        assert "inside the group" in private.text
        (unknown,) = await tg.say_in_group(GROUP, "/linkbody nowhere", user="admin")
        assert "no body with the code “nowhere”" in unknown.text
        (linked,) = await tg.say_in_group(GROUP, "/linkbody district-15", user="admin")
        assert "Mladost District Administration" in linked.text
        assert await tg.say_in_group(GROUP, "hello everyone", user="citizen") == []
        assert await tg.say_in_group(GROUP, "/reports", user="clerk") == []  # not a team route

        # A citizen files a report: the group and the clerk are told at once.
        public_id = await file_report(tg, "citizen", district="15")
        posted = only(tg.pop_by_id(GROUP))
        told = only(tg.pop("clerk"))
        # The group in the city's language, the clerk in theirs.
        assert posted.text.startswith(f"🆕 Нов сигнал {public_id} за Район „Младост“")
        assert "Улично осветление" in posted.text and "Да бъде решен до: 11.12.2026" in posted.text
        assert labels(posted) == ["Приет", "Поемам го", "Възложи на…", "Отвори"]
        assert told.text.startswith(f"🆕 New report {public_id} for Mladost District")
        assert "Street lighting" in told.text and "Resolve by: 11 Dec 2026" in told.text
        assert labels(told) == BUTTONS
        assert tg.pop("stranger") == []

        # Taps in the group count the tapper's own role and body.
        (outsider,) = await tg.tap_in_group(GROUP, "Приет", user="citizen")
        assert outsider.text == "This command is for municipal staff only."
        (foreign,) = await tg.tap_in_group(GROUP, "Приет", user="stranger")
        assert "belongs to another body" in foreign.text
        assert (await the_report(db, public_id)).status == ReportStatus.NEW.value
        (done,) = await tg.tap_in_group(GROUP, "Приет", user="clerk")
        assert done.text == f"✅ {public_id} acknowledged by {clerk}."
        assert (await the_report(db, public_id)).status == ReportStatus.ACKNOWLEDGED.value
        (stale,) = await tg.tap_in_group(GROUP, "Приет", user="clerk")
        assert stale.text.startswith("Nothing changed")
        (mine,) = await tg.tap_in_group(GROUP, "Поемам го", user="clerk")
        assert mine.text == f"👤 {public_id} assigned to {clerk}."
        assert (await the_report(db, public_id)).assignee_id is not None
        # Open: the staff view in the tapper's private chat, never in the group.
        assert await tg.tap_in_group(GROUP, "Отвори", user="clerk") == []
        view = tg.pop("clerk")
        assert any(public_id in r.text and "History" in r.text for r in view)

        (unlinked,) = await tg.say_in_group(GROUP, "/unlinkbody", user="admin")
        assert "Mladost" in unlinked.text
        async with db.sessions() as session:
            assert (await session.exec(select(BodyChat))).all() == []
        (again,) = await tg.say_in_group(GROUP, "/unlinkbody", user="admin")
        assert again.text == "This group is not the team chat of such a body."

        # A plain group upgraded to a supergroup: Telegram's service message in the old group
        # takes the link along at once (nothing said there).
        await tg.say_in_group(-4001, "/linkbody district-15", user="admin")
        assert await tg.group_upgraded(-4001, -1004001, user="citizen") == []
        assert (await team_link(db)).chat_id == "-1004001"
        # That message missed: the send to the old id names the new one, and goes there.
        await tg.say_in_group(-4002, "/linkbody district-15", user="admin")
        api.move_group(-4002, -1004002)
        second = await file_report(tg, "citizen", district="15")
        await app.delivery.drain()
        assert second in only(tg.pop_by_id(-1004002)).text
        assert (await team_link(db)).chat_id == "-1004002"
        assert second in only(tg.pop("clerk")).text
        # The bot removed from a group (another one: a group's posts are paced): its members
        # are told in private, once.
        await tg.say_in_group(-1004003, "/linkbody district-15", user="admin")
        api.lose_chat(-1004003)
        third = await file_report(tg, "citizen", district="15")
        await app.delivery.drain()
        told = [r.text for r in tg.pop("clerk")]
        assert len(told) == 2 and third in told[0]
        assert told[1].startswith("⚠️ The team chat of Mladost District Administration")
        assert (await team_link(db)).broken_at is not None
        await app.stop()
        assert api.violations == []


async def test_a_member_on_viber_gets_the_buttons(
    start_viber, viber_api: FakeViberAPI, db: Database, db_url: str
):
    if not db_url.startswith("sqlite"):
        pytest.skip("the Viber path runs on SQLite; the digest test covers both databases")
    chat = ViberChat(viber_api)
    await start_viber(admins=f"viber:{chat.user_id('admin')}")
    await onboard(chat, "admin")
    clerk = await staff_of(chat, db, "clerk", "district-15")
    await onboard(chat, "citizen")
    public_id = await file_report(chat, "citizen", district="15")
    news = only(chat.pop("clerk"))
    assert public_id in news.text and labels(news) == BUTTONS
    (done,) = await chat.tap("Assign to me", user="clerk")
    assert done.text == f"👤 {public_id} assigned to {clerk}."
    (acknowledged,) = await chat.tap("Acknowledge", user="clerk")
    assert acknowledged.text == f"✅ {public_id} acknowledged by {clerk}."


async def test_digest_and_overdue_reminder_across_a_weekend(
    bot_factory: Callable[..., object], db: Database, clock: Clock
):
    chat = recording_channel()
    app = await bot_factory([chat])  # type: ignore[operator]
    await onboard(chat, "admin")
    await staff_of(chat, db, "every", "district-15")
    await staff_of(chat, db, "daily", "district-15")
    await staff_of(chat, db, "quiet", "district-15")
    for user, label in (("daily", "A daily summary"), ("quiet", "No notifications")):
        await chat.say("/notify", user=user)
        await chat.tap(label, user=user)
    await onboard(chat, "citizen")
    clock.advance(days=-1)  # Thursday 26 November 2026, 12:00 in Sofia
    public_id = await file_report(chat, "citizen", district="15")
    assert public_id in only(chat.pop("every")).text
    assert chat.pop("daily") == [] and chat.pop("quiet") == []

    # The digest (Friday morning): the report of the day before, with its Open button.
    clock.advance(hours=20)  # Friday 08:00
    assert await app.body_reminders.digests() == 1  # type: ignore[attr-defined]
    assert await app.body_reminders.digests() == 0  # type: ignore[attr-defined]  # once a day
    digest = only(chat.pop("daily"))
    assert digest.text.startswith("📋 Today's summary: 1 new report")
    assert labels(digest) == [f"Open {public_id}"]
    view = await chat.tap(f"Open {public_id}", user="daily")
    assert any("History" in r.text for r in view)
    assert chat.pop("every") == [] and chat.pop("quiet") == []

    # Its acknowledgement was due on Friday at 12:00; no reminders at the weekend.
    clock.advance(days=1, hours=1, minutes=30)  # Saturday 09:30
    assert await app.body_reminders.overdue() == 0  # type: ignore[attr-defined]
    clock.advance(days=1)  # Sunday
    assert await app.body_reminders.overdue() == 0  # type: ignore[attr-defined]
    clock.advance(days=1)  # Monday 30 November, 09:30
    assert await app.body_reminders.overdue() == 2  # type: ignore[attr-defined]
    for user in ("every", "daily"):
        reminder = only(chat.pop(user))
        assert reminder.text.startswith("⏰ Mladost District Administration: 1 report is overdue")
        assert public_id in reminder.text and labels(reminder) == [f"Open {public_id}"]
    assert chat.pop("quiet") == []
