"""storage.repos.outbox on SQLite and PostgreSQL: idempotent batch inserts, claims (direct
first, digests never, disjoint under concurrency), guarded result recording, the crash
policy, blocked recipients, run counts and finishing."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import col, select

from storage.db import Database
from storage.models import Citizen, NoticeRun, Outbox
from storage.repos import outbox, run_figures, run_progress
from storage.repos.outbox import Blocked, Failure, Retry
from tests.scheduler.seed import add_citizens, add_notice, add_rows

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
ME, OTHER = "host:abc:0", "host:abc:1"


async def rows_by_id(db: Database) -> dict[int, Outbox]:
    async with db.sessions() as session:
        return {r.id: r for r in (await session.exec(select(Outbox))).all()}  # type: ignore[misc]


async def run_of(db: Database, users: int, *, status: str = "sending") -> tuple[int, list[int]]:
    user_ids = [str(1000 + i) for i in range(users)]
    citizen_ids = await add_citizens(db, user_ids, now=NOW)
    _, run_id = await add_notice(db, run_status=status, now=NOW)
    await add_rows(db, run_id, citizen_ids, user_ids, now=NOW)
    return run_id, citizen_ids


async def direct(db: Database, user_id: str, **kw: object) -> int:
    async with db.sessions() as session, session.begin():
        row = await outbox.enqueue_direct(
            session,
            citizen_id=None,
            channel=kw.pop("channel", "telegram"),  # type: ignore[arg-type]
            user_id=user_id,
            language="en",
            payload={"text": "hi"},
            urgent=True,
            now=NOW,
            **kw,  # type: ignore[arg-type]
        )
        assert row.id is not None
        return row.id


async def claim(db: Database, limit: int = 100, *, instance: str = ME, now: datetime = NOW):
    async with db.sessions() as session, session.begin():
        return await outbox.claim(
            session, channel="telegram", instance=instance, now=now, limit=limit
        )


async def test_enqueue_many_skips_recipients_already_there(db: Database):
    user_ids = ["1", "2", "3", "4"]
    citizen_ids = await add_citizens(db, user_ids, now=NOW)
    _, run_id = await add_notice(db, now=NOW)
    assert await add_rows(db, run_id, citizen_ids[:3], user_ids[:3], now=NOW) == 3
    # Selection re-run after a crash: the same three again, plus one new.
    assert await add_rows(db, run_id, citizen_ids, user_ids, now=NOW) == 1
    rows = await rows_by_id(db)
    assert sorted(r.user_id for r in rows.values()) == user_ids
    assert {(r.kind, r.status, r.attempts) for r in rows.values()} == {("notice", "pending", 0)}


async def test_claim_takes_direct_rows_first_and_never_digest_held_rows(db: Database):
    run_id, _ = await run_of(db, 5)
    later = NOW + timedelta(minutes=5)
    quiet = await direct(db, "q", held="quiet", next_attempt_at=NOW - timedelta(minutes=1))
    digest = await direct(db, "d", held="digest", next_attempt_at=NOW - timedelta(hours=1))
    not_due = await direct(db, "n", next_attempt_at=later)
    news = await direct(db, "r")
    other_channel = await direct(db, "v", channel="viber")

    first = await claim(db, 2)
    # Both direct rows that are due, although five notice rows are older.
    assert {r.id for r in first} == {quiet, news}
    rest = await claim(db)
    assert len(rest) == 5 and {r.run_id for r in rest} == {run_id}
    assert await claim(db) == []

    rows = await rows_by_id(db)
    assert rows[quiet].held is None  # sent now that quiet hours are over
    assert rows[digest].status == "pending" and rows[digest].held == "digest"
    assert rows[not_due].status == "pending" and rows[other_channel].status == "pending"
    inflight = [r for r in rows.values() if r.status == "inflight"]
    assert len(inflight) == 7 and {(r.claimed_by, r.claimed_at) for r in inflight} == {(ME, NOW)}
    # The row not due yet is claimed when its time comes.
    assert [r.id for r in await claim(db, now=later)] == [not_due]


async def test_concurrent_claims_are_disjoint(db: Database):
    await run_of(db, 300)
    other = Database(db.url)
    try:

        async def claim_with(database: Database, instance: str) -> list[int]:
            got: list[int] = []
            while True:
                async with database.sessions() as session, session.begin():
                    rows = await outbox.claim(
                        session, channel="telegram", instance=instance, now=NOW, limit=25
                    )
                if not rows:
                    return got
                got += [r.id for r in rows]

        a, b = await asyncio.gather(claim_with(db, ME), claim_with(other, OTHER))
    finally:
        await other.dispose()
    assert not set(a) & set(b)
    assert len(a) + len(b) == 300


async def test_results_are_recorded_only_for_rows_still_claimed_by_the_caller(db: Database):
    await run_of(db, 4)
    ids = [r.id for r in await claim(db)]
    async with db.sessions() as session, session.begin():
        assert await outbox.mark_sent(session, ids=ids[:1], instance=OTHER, now=NOW) == 0
        assert await outbox.mark_sent(session, ids=ids[:1], instance=ME, now=NOW) == 1
        assert await outbox.release(session, ids=ids[1:2], instance=ME) == 1
        again = NOW + timedelta(seconds=2)
        await outbox.retry_later(
            session, retries=[Retry(ids[2], 1, again, "TimedOut: 123456789 x")], instance=ME
        )
        await outbox.mark_failed(session, failures=[Failure(ids[3], 5, "boom")], instance=ME)
    rows = await rows_by_id(db)
    assert (rows[ids[0]].status, rows[ids[0]].sent_at, rows[ids[0]].claimed_by) == (
        "sent",
        NOW,
        ME,
    )
    assert (rows[ids[1]].status, rows[ids[1]].attempts, rows[ids[1]].claimed_by) == (
        "pending",
        0,
        None,
    )
    retried = rows[ids[2]]
    assert (retried.status, retried.attempts, retried.next_attempt_at) == ("pending", 1, again)
    assert (rows[ids[3]].status, rows[ids[3]].attempts, rows[ids[3]].error) == ("failed", 5, "boom")


async def test_crash_policy_takes_back_own_rows_and_expired_leases(db: Database):
    await run_of(db, 6)
    lease = timedelta(seconds=120)
    mine = [r.id for r in await claim(db, 2, instance=ME)]
    fresh = [r.id for r in await claim(db, 2, instance=OTHER)]
    stale = [r.id for r in await claim(db, 2, instance=OTHER)]
    async with db.sessions() as session, session.begin():  # claimed by a process long gone
        for row_id in stale:
            row = await session.get(Outbox, row_id)
            row.claimed_at = NOW - lease - timedelta(seconds=1)
            session.add(row)
    async with db.sessions() as session, session.begin():
        n = await outbox.recover(
            session, channels=["telegram"], instance=ME, lease_expired_before=NOW - lease
        )
    assert n == 4
    rows = await rows_by_id(db)
    assert {rows[i].status for i in mine + stale} == {"pending"}
    assert {rows[i].claimed_by for i in mine + stale} == {None}
    assert {(rows[i].status, rows[i].claimed_by) for i in fresh} == {("inflight", OTHER)}

    # Without an instance (the periodic sweep) only expired leases come back: the fresh
    # ones once their lease is over.
    async def sweep(at: datetime) -> int:
        async with db.sessions() as session, session.begin():
            return await outbox.recover(
                session, channels=["telegram"], instance=None, lease_expired_before=at - lease
            )

    assert await sweep(NOW + lease) == 0
    assert await sweep(NOW + lease + timedelta(seconds=1)) == 2


async def test_blocked_cancels_that_address_pending_rows_only(db: Database):
    run_id, _ = await run_of(db, 3)
    news = await direct(db, "1000", next_attempt_at=NOW + timedelta(hours=1))
    elsewhere = await direct(db, "1000", channel="viber")
    (first, *_) = await claim(db, 1)
    assert first.user_id == "1000"
    async with db.sessions() as session, session.begin():
        cancelled = await outbox.mark_blocked(
            session,
            blocked=Blocked(first.id, "telegram", "1000"),
            instance=ME,
            reason="Forbidden: bot was blocked by the user",
        )
    assert cancelled == 1
    rows = await rows_by_id(db)
    assert (rows[first.id].status, rows[first.id].error) == (
        "blocked",
        "Forbidden: bot was blocked by the user",
    )
    assert rows[news].status == "cancelled"
    assert rows[elsewhere].status == "pending"  # the citizen's Viber is another address
    others = [r for r in rows.values() if r.run_id == run_id and r.user_id != "1000"]
    assert {r.status for r in others} == {"pending"}


async def test_run_counts_and_finishing(db: Database):
    run_id, _ = await run_of(db, 6, status="selecting")
    async with db.sessions() as session, session.begin():
        for row in (await session.exec(select(Outbox).where(Outbox.run_id == run_id))).all()[:1]:
            row.held = "quiet"
            row.next_attempt_at = NOW + timedelta(hours=8)
            session.add(row)
    claimed = await claim(db, 5)
    async with db.sessions() as session, session.begin():
        await outbox.mark_sent(session, ids=[r.id for r in claimed[:2]], instance=ME, now=NOW)
        await outbox.mark_failed(session, failures=[Failure(claimed[2].id, 5, "x")], instance=ME)
        await outbox.mark_blocked(
            session,
            blocked=Blocked(claimed[3].id, "telegram", claimed[3].user_id),
            instance=ME,
            reason="Forbidden",
        )
        counts = await run_figures.run_counts(session, run_id=run_id)
    assert counts == {
        "queued": 1,  # in flight
        "sent": 2,
        "deferred": 1,
        "failed": 1,
        "blocked": 1,
        "cancelled": 0,
    }

    async def finish() -> list[int]:
        async with db.sessions() as session, session.begin():
            return await outbox.finish_runs(session, now=NOW)

    assert await finish() == []  # still selecting
    async with db.sessions() as session, session.begin():
        run = await session.get(NoticeRun, run_id)
        run.status = "sending"
        session.add(run)
    assert await finish() == []  # one in flight, one deferred
    async with db.sessions() as session, session.begin():
        await outbox.mark_sent(session, ids=[claimed[4].id], instance=ME, now=NOW)
        assert await outbox.cancel_run(session, run_id=run_id) == 1  # the deferred one
    assert await finish() == [run_id]
    assert await finish() == []  # flipped once
    async with db.sessions() as session:
        run = await session.get(NoticeRun, run_id)
        assert (run.status, run.finished_at) == ("done", NOW)
        assert (await run_figures.run_counts(session, run_id=run_id))["cancelled"] == 1


async def test_progress_message_is_claimed_once(db: Database):
    notice_id, run_id = await add_notice(db, progress=("telegram", "42"), now=NOW)
    async with db.sessions() as session, session.begin():
        (run,) = await run_progress.progress_runs(session)
        assert (run.run_id, run.channel, run.user_id, run.message_id) == (
            run_id,
            "telegram",
            "42",
            None,
        )
        assert await run_progress.claim_progress_message(session, notice_id=notice_id)
        assert not await run_progress.claim_progress_message(session, notice_id=notice_id)
        await run_progress.set_progress_message(session, notice_id=notice_id, message_id="77")
    async with db.sessions() as session:
        (run,) = await run_progress.progress_runs(session)
        assert run.message_id == "77"
        assert (await session.exec(select(Citizen).where(col(Citizen.id) > 0))).all() == []


async def test_combining_a_chats_news_marks_them_all_in_one_transaction_or_none(db: Database):
    """The combined row (claimed by its instance) and the marking of the rows it carries are
    one transaction: a row taken meanwhile rolls it all back; `waiting` finds the chat's
    pending news of that kind only."""
    news = [await direct(db, "-100", kind="body_news") for _ in range(4)]
    other_chat = await direct(db, "-200", kind="body_news")
    plain = await direct(db, "-100")
    async with db.sessions() as session, session.begin():
        (mine,) = await outbox.claim_ids(session, ids=[news[0]], instance=ME, now=NOW)
    async with db.sessions() as session:
        found = await outbox.waiting(
            session, channel="telegram", user_id="-100", kind="body_news", limit=10
        )
    assert [r.id for r in found] == news[1:]
    combine = dict(payload={"text": "4 new reports"}, instance=ME, now=NOW)
    with pytest.raises(outbox.CombineRace):  # a row not pending: nothing combined
        async with db.sessions() as session, session.begin():
            await outbox.combine(
                session, like=mine, mine=[mine.id], others=[*news[1:], plain + 99], **combine
            )
    before = await rows_by_id(db)
    assert len(before) == 6 and before[mine.id].status == "inflight"
    assert {before[i].status for i in news[1:]} == {"pending"}

    async with db.sessions() as session, session.begin():
        row = await outbox.combine(session, like=mine, mine=[mine.id], others=news[1:], **combine)
    after = await rows_by_id(db)
    carrier = after[row.id]
    assert (carrier.status, carrier.claimed_by, carrier.kind, carrier.user_id) == (
        "inflight",
        ME,
        "direct",
        "-100",
    )
    assert {(after[i].status, after[i].error) for i in news} == {
        ("sent", f"combined into {row.id}")
    }
    assert after[other_chat].status == after[plain].status == "pending"
