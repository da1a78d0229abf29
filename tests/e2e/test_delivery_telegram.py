"""The delivery engine sending through the real TelegramChannel (PTB over HTTP) to the fake Bot
API, on SQLite and PostgreSQL: the platform's rate limit, 429 retry_after, blocked users,
transient 5xx failures, the retry limit, and the sender's progress message."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

from sqlmodel import select

from storage.db import Database
from storage.models import Citizen, NoticeRun, Outbox
from tests.conftest import Clock
from tests.e2e.conftest import StartBot
from tests.fakes.telegram_api import FakeBotAPI
from tests.scheduler.seed import add_notice, seed_broadcast

STAFF = 4242


def per_chat(api: FakeBotAPI, method: str = "sendMessage") -> Counter[int]:
    return Counter(call.params["chat_id"] for call in api.calls_to(method))


async def outbox_rows(db: Database) -> list[Outbox]:
    async with db.sessions() as session:
        return list((await session.exec(select(Outbox))).all())


async def test_sends_at_the_configured_rate_without_a_single_429(
    start_bot: StartBot, api: FakeBotAPI, db: Database, clock: Clock
):
    api.set_rate_limit(200)
    app = await start_bot(telegram_rate_limit=200)
    run = await seed_broadcast(db, 400, now=clock())
    await app.delivery.drain()

    assert api.rate_limited == 0
    assert per_chat(api) == Counter({int(u): 1 for u in run.user_ids})
    assert {r.status for r in await outbox_rows(db)} == {"sent"}
    assert app.delivery.stats()["telegram"]["retry_after"] == 0


async def test_429_pauses_the_channel_and_the_message_goes_out_once(
    start_bot: StartBot, api: FakeBotAPI, db: Database, clock: Clock
):
    app = await start_bot()
    api.fail_next("sendMessage", 429, retry_after=1)
    run = await seed_broadcast(db, 5, now=clock())
    loop = asyncio.get_running_loop()
    began = loop.time()
    await app.delivery.drain()

    assert loop.time() - began >= 1.0  # nothing was sent during the pause
    assert [c.method for c in api.failed_calls] == ["sendMessage"]
    assert per_chat(api) == Counter({int(u): 1 for u in run.user_ids})
    rows = await outbox_rows(db)
    assert {(r.status, r.attempts) for r in rows} == {("sent", 0)}  # a 429 is no attempt
    assert app.delivery.stats()["telegram"]["retry_after"] == 1


async def test_a_user_who_blocked_the_bot_is_opted_out_and_skipped(
    start_bot: StartBot, api: FakeBotAPI, db: Database, clock: Clock
):
    app = await start_bot()
    first = await seed_broadcast(db, 10, now=clock())
    blocked = [int(u) for u in first.user_ids[::4]]  # three of ten
    api.blocked_users.update(blocked)
    # A second notice to the same people, not due yet (their quiet hours).
    _, second = await add_notice(db, now=clock())
    async with db.sessions() as session, session.begin():
        for row in await outbox_rows(db):
            session.add(
                Outbox(
                    run_id=second,
                    citizen_id=row.citizen_id,
                    channel="telegram",
                    user_id=row.user_id,
                    language="bg",
                    kind="notice",
                    held="quiet",
                    next_attempt_at=clock() + timedelta(hours=9),
                )
            )
    await app.delivery.drain()

    rows = await outbox_rows(db)
    status = {(r.run_id, int(r.user_id)): r.status for r in rows}
    for user in map(int, first.user_ids):
        if user in blocked:
            assert (status[first.run_id, user], status[second, user]) == (
                "blocked",
                "cancelled",
            )
        else:
            assert (status[first.run_id, user], status[second, user]) == (
                "sent",
                "pending",
            )
    assert set(per_chat(api)) == set(map(int, first.user_ids)) - set(blocked)
    async with db.sessions() as session:
        opted_out = (await session.exec(select(Citizen).where(Citizen.opted_out))).all()
    assert len(opted_out) == 3
    blocked_rows = [r for r in rows if r.status == "blocked"]
    assert {r.error for r in blocked_rows} == {"Forbidden: Forbidden: bot was blocked by the user"}


async def test_ten_percent_transient_failures_are_all_delivered_in_the_end(
    start_bot: StartBot, api: FakeBotAPI, db: Database, clock: Clock
):
    app = await start_bot(telegram_rate_limit=1000)
    api.fail_next("sendMessage", 500, times=40)
    run = await seed_broadcast(db, 400, now=clock())
    await app.delivery.drain()
    rows = await outbox_rows(db)
    assert Counter(r.status for r in rows) == Counter({"sent": 360, "pending": 40})
    retry = {r.next_attempt_at for r in rows if r.status == "pending"}
    assert retry == {clock() + timedelta(seconds=2)}  # backoff, not sent again at once

    clock.advance(seconds=2)
    await app.delivery.drain()
    rows = await outbox_rows(db)
    assert {r.status for r in rows} == {"sent"}
    assert Counter(r.attempts for r in rows) == Counter({0: 360, 1: 40})
    assert len(api.failed_calls) == 40
    assert per_chat(api) == Counter({int(u): 1 for u in run.user_ids})
    async with db.sessions() as session:
        assert (await session.get(NoticeRun, run.run_id)).status == "done"


async def test_a_message_that_keeps_failing_is_given_up_with_the_reason(
    start_bot: StartBot, api: FakeBotAPI, db: Database, clock: Clock
):
    app = await start_bot(delivery_max_attempts=2)
    api.fail_next("sendMessage", 502, times=2)
    await seed_broadcast(db, 1, now=clock())
    await app.delivery.drain()
    clock.advance(seconds=2)
    await app.delivery.drain()
    (row,) = await outbox_rows(db)
    assert (row.status, row.attempts) == ("failed", 2)
    assert row.error == "NetworkError: Bad Gateway"
    assert per_chat(api) == Counter()


async def test_progress_message_is_posted_then_edited_with_the_final_figures(
    start_bot: StartBot, api: FakeBotAPI, db: Database, clock: Clock
):
    app = await start_bot()
    api.fail_next("sendMessage", 500)
    run = await seed_broadcast(db, 3, progress=("telegram", str(STAFF)), now=clock())
    await app.delivery.drain()
    await app.delivery.progress.tick()
    (posted,) = [c for c in api.calls_to("sendMessage") if c.params["chat_id"] == STAFF]
    assert posted.params["text"] == f"📣 Известие №{run.notice_id}: изпратени 2 от 3…"

    clock.advance(seconds=2)
    await app.delivery.drain()
    (edit,) = api.calls_to("editMessageText")
    final = f"✅ Известие №{run.notice_id} е изпратено: 3 от 3 за 2 с."
    assert edit.params["text"] == final and edit.params["chat_id"] == STAFF
    assert api.message(STAFF, edit.params["message_id"])["text"] == final
