"""The delivery engine inside the running bot, through the recording console channel, on
SQLite and PostgreSQL: rendering, blocked citizens, retries with backoff, progress messages,
graceful stop, restart recovery, and report news sent right after their commit."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlmodel import select

from bot.app import CitizenBot
from bot.channels.console import RecordingChannel
from bot.core.channel import SendResult, SendStatus
from bot.core.messages import Address, Button, Reply
from bot.domain import reports
from bot.domain.actors import Actor
from bot.domain.work import Work
from scheduler.instance import InstanceLock
from scheduler.payloads import BadPayload, direct_payload, reply_from_payload
from storage.db import Database
from storage.models import Citizen, NoticeRun, Outbox, Role
from storage.repos import bodies, citizens, outbox, run_figures, run_progress
from tests.conftest import Clock, open_telegram_chat, recording_channel
from tests.fakes.telegram_api import FakeBotAPI
from tests.scheduler.seed import seed_broadcast
from tests.steps import labels, onboard
from tests.steps.admin import ref_of
from tests.steps.reports import file_report, staff_sets

StartBot = Callable[..., object]
GROUP = -1001234567890


async def started(bot_factory: StartBot, channel: RecordingChannel, **settings: object):
    app = await bot_factory([channel], **settings)  # type: ignore[operator]
    assert isinstance(app, CitizenBot)
    return app


async def rows(db: Database, **where: object) -> list[Outbox]:
    async with db.sessions() as session:
        stmt = select(Outbox).order_by(Outbox.id)  # type: ignore[arg-type]
        for key, value in where.items():
            stmt = stmt.where(getattr(Outbox, key) == value)
        return list((await session.exec(stmt)).all())


def en_if_odd(i: int) -> str:
    return "en" if i % 2 else "bg"


def test_direct_payload_round_trip():
    reply = Reply(
        "🔔 News",
        buttons=((Button("📄 Details", payload="myo:1"), Button("Site", url="https://x.bg")),),
    )
    payload = direct_payload(reply)
    assert payload == {
        "text": "🔔 News",
        "buttons": [
            [{"label": "📄 Details", "payload": "myo:1"}, {"label": "Site", "url": "https://x.bg"}]
        ],
    }
    assert reply_from_payload(payload) == reply
    assert reply_from_payload({"text": "plain"}) == Reply("plain")
    with pytest.raises(ValueError, match="location"):
        direct_payload(Reply("?", buttons=((Button("📍", request_location=True),),)))
    for bad in (None, {}, {"text": 1}, {"text": "x", "buttons": [[{"payload": "p"}]]}):
        with pytest.raises(BadPayload):
            reply_from_payload(bad)


async def test_notice_goes_out_in_each_readers_language_with_its_photo(
    bot_factory: StartBot, db: Database, clock: Clock
):
    chat = recording_channel()
    app = await started(bot_factory, chat)
    photo = await app.photos.save(b"\xff\xd8 a jpeg")
    water = await seed_broadcast(
        db, 4, channel="console", language=en_if_odd, photo=photo, now=clock()
    )
    heat = await seed_broadcast(
        db,
        2,
        channel="console",
        first_user_id=7000,
        language=en_if_odd,
        text_bg="Без ток.",
        text_en=None,
        now=clock(),
    )
    await app.delivery.drain()

    for i, user in enumerate(water.user_ids):
        (reply,) = chat.pop(user)
        assert reply.text == (
            "Water cut in Mladost tomorrow, 9:00-17:00."
            if i % 2
            else "Спиране на водата в Младост утре от 9 до 17 ч."
        )
        assert reply.image == b"\xff\xd8 a jpeg"
    for user in heat.user_ids:  # no English text: everyone reads the Bulgarian one
        assert [(r.text, r.image) for r in chat.pop(user)] == [("Без ток.", None)]
    assert {(r.status, r.sent_at, r.attempts) for r in await rows(db)} == {("sent", clock(), 0)}
    async with db.sessions() as session:
        runs = (await session.exec(select(NoticeRun))).all()
        assert {(r.status, r.finished_at) for r in runs} == {("done", clock())}
        assert await run_figures.run_counts(session, run_id=water.run_id) == {
            "queued": 0,
            "sent": 4,
            "deferred": 0,
            "failed": 0,
            "blocked": 0,
            "cancelled": 0,
        }


async def test_a_citizen_who_blocked_the_bot_is_opted_out_and_gets_nothing_more(
    bot_factory: StartBot, db: Database, clock: Clock
):
    chat = recording_channel()
    app = await started(bot_factory, chat)
    first = await seed_broadcast(db, 3, channel="console", now=clock())
    blocked_user = first.user_ids[1]
    chat.results[chat.address(blocked_user)] = SendResult(
        SendStatus.BLOCKED, error="Forbidden: bot was blocked by the user"
    )
    # The same citizen has news waiting for tomorrow morning (quiet hours).
    async with db.sessions() as session, session.begin():
        (row,) = await rows(db, user_id=blocked_user)
        later = await outbox.enqueue_direct(
            session,
            citizen_id=row.citizen_id,
            channel="console",
            user_id=blocked_user,
            language="bg",
            payload={"text": "утре"},
            now=clock(),
            next_attempt_at=clock() + timedelta(hours=9),
            held="quiet",
        )
    await app.delivery.drain()

    statuses = {(r.user_id, r.run_id): (r.status, r.error) for r in await rows(db)}
    assert statuses[(blocked_user, first.run_id)] == (
        "blocked",
        "Forbidden: bot was blocked by the user",
    )
    assert statuses[(blocked_user, None)] == ("cancelled", None)
    assert [statuses[(u, first.run_id)][0] for u in first.user_ids] == ["sent", "blocked", "sent"]
    async with db.sessions() as session:
        citizen = await session.get(Citizen, row.citizen_id)
        assert citizen.opted_out
        assert (await session.get(Outbox, later.id)).status == "cancelled"
    assert len(chat.pop(first.user_ids[0])) == 1


async def test_transient_failures_back_off_and_give_up_after_max_attempts(
    bot_factory: StartBot, db: Database, clock: Clock
):
    chat = recording_channel()
    app = await started(bot_factory, chat, delivery_max_attempts=3)
    run = await seed_broadcast(db, 3, channel="console", now=clock())
    flaky, dead, fine = (chat.address(u) for u in run.user_ids)
    failure = SendResult(SendStatus.FAILED, error="NetworkError: chat 500000001 reset")
    chat.results[flaky] = chat.results[dead] = failure

    await app.delivery.drain()
    by_user = {r.user_id: r for r in await rows(db)}
    assert by_user[fine.user_id].status == "sent"
    for address in (flaky, dead):
        row = by_user[address.user_id]
        assert (row.status, row.attempts, row.claimed_by) == ("pending", 1, None)
        assert row.next_attempt_at == clock() + timedelta(seconds=2)
        assert row.error == "NetworkError: chat … reset"  # no ids in stored reasons

    del chat.results[flaky]
    clock.advance(seconds=2)
    await app.delivery.drain()
    by_user = {r.user_id: r for r in await rows(db)}
    assert (by_user[flaky.user_id].status, by_user[flaky.user_id].attempts) == ("sent", 1)
    assert by_user[dead.user_id].next_attempt_at == clock() + timedelta(seconds=4)

    clock.advance(seconds=3)
    await app.delivery.drain()  # not due yet: nothing happens
    assert {r.user_id: r.attempts for r in await rows(db)}[dead.user_id] == 2
    clock.advance(seconds=1)
    await app.delivery.drain()
    row = {r.user_id: r for r in await rows(db)}[dead.user_id]
    assert (row.status, row.attempts, row.error) == ("failed", 3, "NetworkError: chat … reset")
    assert len(chat.sent[dead]) == 3 and len(chat.sent[flaky]) == 2 and len(chat.sent[fine]) == 1
    async with db.sessions() as session:
        assert (await session.get(NoticeRun, run.run_id)).status == "done"


async def test_the_sender_sees_progress_then_the_final_figures(
    bot_factory: StartBot, db: Database, clock: Clock
):
    chat = recording_channel()
    app = await started(bot_factory, chat)
    await onboard(chat, "admin")  # English
    run = await seed_broadcast(db, 3, channel="console", progress=("console", "admin"), now=clock())
    slow = chat.address(run.user_ids[0])
    chat.results[slow] = SendResult(SendStatus.FAILED, error="TimedOut")
    await app.delivery.drain()
    await app.delivery.progress.tick()

    admin = chat.address("admin")
    (progress,) = chat.pop("admin")
    assert progress.text == f"📣 Notice #{run.notice_id}: 2 of 3 sent…"
    async with db.sessions() as session:
        (shown,) = await run_progress.progress_runs(session)
    assert shown.message_id is not None and shown.message_id != ""

    del chat.results[slow]
    clock.advance(seconds=2)
    await app.delivery.drain()
    assert chat.pop("admin") == []  # edited, not sent again
    message_id, final = chat.edits[admin][-1]
    assert message_id == shown.message_id
    assert final.text == f"✅ Notice #{run.notice_id} is out: 3 of 3 sent in 2 s."


async def test_graceful_stop_waits_for_sends_on_the_wire_and_returns_the_rest(
    bot_factory: StartBot, db: Database, clock: Clock
):
    class SlowChannel(RecordingChannel):
        """A network that takes a while: every send is on the wire for 0.2 s."""

        entered = 0
        wire_full = asyncio.Event()

        async def send(self, to: Address, reply: Reply) -> SendResult:
            type(self).entered += 1
            if type(self).entered == app.delivery.senders["console"].concurrency:
                type(self).wire_full.set()
            await asyncio.sleep(0.2)
            return await super().send(to, reply)

    chat = SlowChannel(t=lambda key, **kw: key)
    app = await started(bot_factory, chat)
    await seed_broadcast(db, 100, channel="console", now=clock())
    app.delivery.wake()
    await SlowChannel.wire_full.wait()
    on_the_wire = SlowChannel.entered
    await app.delivery.stop(timeout=30)

    statuses = [r.status for r in await rows(db)]
    assert 2 <= on_the_wire < 100
    assert statuses.count("sent") == on_the_wire == sum(len(v) for v in chat.sent.values())
    assert statuses.count("pending") == 100 - on_the_wire
    assert "inflight" not in statuses


async def test_stop_timeout_returns_rows_still_on_the_wire_to_pending(
    bot_factory: StartBot, db: Database, clock: Clock
):
    class StuckChannel(RecordingChannel):
        entered = asyncio.Event()

        async def send(self, to: Address, reply: Reply) -> SendResult:
            self.entered.set()
            await asyncio.Event().wait()  # never answers
            raise AssertionError("unreachable")

    chat = StuckChannel(t=lambda key, **kw: key)
    app = await started(bot_factory, chat)
    await seed_broadcast(db, 10, channel="console", now=clock())
    app.delivery.wake()
    await chat.entered.wait()
    await app.delivery.stop(timeout=0.01)
    assert {r.status for r in await rows(db)} == {"pending"}
    assert {r.attempts for r in await rows(db)} == {0}


async def test_a_restart_takes_back_its_own_rows_and_expired_leases(
    bot_factory: StartBot, db: Database, clock: Clock, data_dir: str
):
    lock = InstanceLock(data_dir)
    me = lock.acquire()  # the id the bot will have: the same data dir, the first free slot
    lock.release()
    run = await seed_broadcast(db, 6, channel="console", now=clock())
    claims = [
        (me, clock()),
        (me, clock()),
        ("elsewhere:x:0", clock()),
        ("elsewhere:x:0", clock() - timedelta(seconds=121)),
    ]
    async with db.sessions() as session, session.begin():
        for row, (by, at) in zip(await rows(db), claims, strict=False):
            row.status, row.claimed_by, row.claimed_at = "inflight", by, at
            session.add(row)

    chat = recording_channel()
    app = await started(bot_factory, chat)
    assert app.delivery.instance_id == me
    await app.delivery.drain()
    statuses = [(r.status, r.claimed_by) for r in await rows(db)]
    assert statuses == [("sent", me)] * 2 + [("inflight", "elsewhere:x:0")] + [("sent", me)] * 3
    assert sum(len(v) for v in chat.sent.values()) == 5
    async with db.sessions() as session:
        assert (await session.get(NoticeRun, run.run_id)).status == "sending"  # one still out


async def test_report_news_are_outbox_rows_sent_right_after_the_commit(
    bot_factory: StartBot, db: Database
):
    chat = recording_channel()
    await started(bot_factory, chat)
    await onboard(chat, "u1")
    await onboard(chat, "admin")
    public_id = await file_report(chat)
    await staff_sets(chat, public_id, "👀 Acknowledge")
    (news,) = chat.pop("u1")  # already delivered when the staff member got the answer
    (row,) = await rows(db, kind="direct")
    assert (row.status, row.urgent, row.channel, row.user_id, row.language) == (
        "sent",
        True,
        "console",
        "u1",
        "en",
    )
    assert reply_from_payload(row.payload) == news


async def test_a_team_chat_that_moved_or_cannot_be_reached(bot_factory: StartBot, db: Database):
    """A send to a body's team chat answered with a new id (a group became a supergroup) is
    sent there, with the rows waiting for the old id, and the link follows. A send refused
    (the bot removed from the group) marks the link broken and tells the body's members once
    in private; nobody is opted out, and nothing more is posted there."""
    chat = recording_channel()
    app = await started(bot_factory, chat)
    await onboard(chat, "u1")
    await onboard(chat, "admin")
    await onboard(chat, "clerk")
    (granted,) = await chat.say(
        f"/grant staff district-15 {await ref_of(chat, db, 'clerk')}", user="admin"
    )
    assert "is now staff" in granted.text
    chat.pop("clerk")
    async with db.sessions() as session, session.begin():
        await bodies.link_chat(
            session, body_code="district-15", channel="console", chat_id="-4001", linked_by=None
        )
    chat.results[chat.address("-4001")] = SendResult(
        SendStatus.FAILED, error="ChatMigrated", moved_to="-1004001"
    )
    first = await file_report(chat)
    await app.delivery.drain()
    assert len(chat.pop("-4001")) == 1  # refused: the group has a new id
    (posted,) = chat.pop("-1004001")
    assert first in posted.text
    async with db.sessions() as session:
        link = await bodies.chat_of(session, body_code="district-15")
        assert link is not None and (link.chat_id, link.broken_at) == ("-1004001", None)
    (news,) = chat.pop("clerk")
    assert first in news.text

    chat.results[chat.address("-1004001")] = SendResult(
        SendStatus.BLOCKED, error="Forbidden: bot was kicked from the group chat"
    )
    second = await file_report(chat)
    await app.delivery.drain()
    assert len(chat.pop("-1004001")) == 1
    told = [r.text for r in chat.pop("clerk")]
    assert any(second in text for text in told)
    (lost,) = [text for text in told if text.startswith("⚠️")]
    assert "Mladost" in lost and "/linkbody district-15" in lost
    async with db.sessions() as session:
        link = await bodies.chat_of(session, body_code="district-15")
        assert link is not None and link.broken_at is not None
        assert not any(c.opted_out for c in (await session.exec(select(Citizen))).all())

    third = await file_report(chat)
    await app.delivery.drain()
    assert chat.pop("-1004001") == []  # broken: not posted to
    assert [r.text for r in chat.pop("clerk") if third in r.text]


async def test_a_burst_of_reports_reaches_the_team_chat_combined_within_the_group_limit(
    bot_factory: StartBot, db: Database, clock: Clock
):
    """Telegram takes 20 messages a minute into a group. A single new report goes to the
    body's team chat alone, with its buttons; a burst of 60 is paced, and as more wait than
    a minute's worth the waiting ones go combined, 20 named in a message: every report named
    once, nothing sent twice, at most 20 messages in any minute by the engine's clock; the
    rows so carried are marked sent, naming the message that carried them."""
    async with FakeBotAPI() as api:
        tg, app = await open_telegram_chat(api, bot_factory, db, reports_per_day=1000)
        await onboard(tg, "admin")
        await onboard(tg, "clerk")
        await tg.say(f"/grant staff district-15 {await ref_of(tg, db, 'clerk')}", user="admin")
        tg.pop("clerk")
        (linked,) = await tg.say_in_group(GROUP, "/linkbody district-15", user="admin")
        assert "Mladost" in linked.text
        await tg.say("/notify", user="clerk")
        await tg.tap("No notifications", user="clerk")  # the team chat is enough
        tg.pop("clerk")
        async with db.sessions() as session, session.begin():
            citizen, _ = await citizens.get_or_create_by_identity(
                session, channel="telegram", user_id="700000001", language="bg"
            )

        async def file_at_once(n: int) -> list[str]:
            """`n` reports filed through the domain, each delivered after its commit."""
            filed = []
            for i in range(n):
                async with app.db.sessions() as session:
                    work = Work(
                        session=session,
                        actor=Actor.person(citizen.id, Role.CITIZEN),
                        settings=app.settings,
                        translator=app.translator,
                        city=app.city,
                        clock=clock,
                        deliver=app.delivery.deliver,
                    )
                    report = await reports.file(
                        work,
                        reports.NewReport(
                            category="sofia-28",
                            description=f"Lamp {i} is out.",
                            source="telegram",
                            address=f"ул. „Шипка“ {i + 1}",
                            district="15",
                        ),
                    )
                    await session.commit()
                for task in work.after_commit:
                    await task()
                filed.append(report.public_id)
            return filed

        (single,) = await file_at_once(1)
        (posted,) = tg.pop_by_id(GROUP)
        assert posted.text.startswith(f"🆕 Нов сигнал {single} за Район „Младост“")
        assert labels(posted) == ["Приет", "Поемам го", "Възложи на…", "Отвори"]

        began = clock()
        burst = await file_at_once(60)
        assert tg.pop_by_id(GROUP) == []  # the group's next slot is seconds away
        sent: list[tuple[float, Reply]] = []
        while (
            clock() - began < timedelta(minutes=3)
            and sum(r.text.count("SOF-") for _, r in sent) < 60
        ):
            clock.advance(seconds=1)
            await app.delivery.drain()
            at = (clock() - began).total_seconds()
            sent += [(at, reply) for reply in tg.pop_by_id(GROUP)]
        assert sum(1 for at, _ in sent if at <= 60) <= 20
        named = [id_ for _, reply in sent for id_ in re.findall(r"SOF-\d{4}-\d{6}", reply.text)]
        assert sorted(named) == sorted(burst)  # every one named, none twice
        first = sent[0][1]
        assert first.text.startswith("🆕 20 нови сигнала\n\n• ")
        assert f"• {burst[0]} – Улично осветление, ул. „Шипка“ 1, срок: " in first.text
        assert labels(first) == [f"Отвори {i}" for i in burst[:4]] + ["📋 Нови сигнали"]
        assert [at for at, _ in sent] == [4, 8, 12]  # the last report out within seconds

        by_id = {r.id: r for r in await rows(db)}
        news = [r for r in by_id.values() if r.kind == "body_news"]
        assert len(news) == 61 and {r.status for r in news} == {"sent"}
        carriers = {int(r.error.removeprefix("combined into ")) for r in news if r.error}
        assert len(carriers) == 3 and {by_id[c].status for c in carriers} == {"sent"}
        assert app.delivery.stats()["telegram"]["combined"] == 60

        # The list button: the new reports, in the tapper's private chat.
        assert await tg.tap_in_group(GROUP, "📋 Нови сигнали", user="clerk") == []
        (listed,) = tg.pop("clerk")
        assert "61" in listed.text and burst[-1] in listed.text
        await app.stop()
        assert api.violations == []
