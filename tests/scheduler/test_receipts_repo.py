"""The receipts side of storage.repos.outbox on SQLite and PostgreSQL: message ids and counts
recorded with the results (only by the claiming instance, counts adding up over attempts),
a run's receipt figures per channel, and the progress milestone mark that only moves forward.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import select

from scheduler.progress import milestone
from storage.db import Database
from storage.models import Notice, Outbox
from storage.repos import outbox, run_figures, run_progress
from storage.repos.outbox import Failure, Retry, Sent
from tests.scheduler.seed import add_citizens, add_notice, add_rows

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
ME, OTHER = "host:abc:0", "host:abc:1"


async def rows_by_user(db: Database) -> dict[str, Outbox]:
    async with db.sessions() as session:
        return {r.user_id: r for r in (await session.exec(select(Outbox))).all()}


async def claimed_run(db: Database, channel: str, users: int) -> tuple[int, list[int]]:
    user_ids = [f"{channel}-{i}" for i in range(users)]
    citizens = await add_citizens(db, user_ids, channel=channel, now=NOW)
    _, run_id = await add_notice(db, now=NOW)
    await add_rows(db, run_id, citizens, user_ids, channel=channel, now=NOW)
    async with db.sessions() as session, session.begin():
        rows = await outbox.claim(session, channel=channel, instance=ME, now=NOW, limit=users)
    return run_id, [r.id for r in sorted(rows, key=lambda r: r.user_id)]


async def test_results_keep_the_message_id_and_add_up_the_messages(db: Database):
    _, ids = await claimed_run(db, "viber", 4)
    later = NOW + timedelta(seconds=2)
    async with db.sessions() as session, session.begin():
        await outbox.mark_sent(
            session,
            ids=[ids[0]],
            sent=[Sent(ids[1], "5741311803571721090", 2), Sent(ids[2], "77", None)],
            instance=ME,
            now=NOW,
        )
        await outbox.retry_later(
            session, retries=[Retry(ids[3], 1, later, "status 5", messages=1)], instance=ME
        )
        # A late result from an instance that no longer holds the row changes nothing.
        await outbox.mark_sent(session, sent=[Sent(ids[1], "1", 9)], instance=OTHER, now=NOW)
    rows = await rows_by_user(db)
    assert [(r.status, r.external_id, r.messages) for _, r in sorted(rows.items())] == [
        ("sent", None, None),
        ("sent", "5741311803571721090", 2),
        ("sent", "77", None),
        ("pending", None, 1),
    ]

    async with db.sessions() as session, session.begin():
        (again,) = await outbox.claim(session, channel="viber", instance=ME, now=later, limit=9)
        await outbox.mark_failed(
            session, failures=[Failure(again.id, 2, "status 5", messages=0)], instance=ME
        )
    assert (await rows_by_user(db))["viber-3"].messages == 1  # 1 + 0


async def test_receipt_figures_of_a_run_per_channel(db: Database):
    run_id, ids = await claimed_run(db, "viber", 3)
    async with db.sessions() as session, session.begin():
        await outbox.mark_sent(
            session,
            sent=[Sent(ids[0], "10", 2), Sent(ids[1], "11", 2), Sent(ids[2], "12", 1)],
            instance=ME,
            now=NOW,
        )
        for token, kind in [("10", "delivered"), ("11", "seen"), ("12", "failed")]:
            assert await outbox.record_receipt(
                session, channel="viber", external_id=token, kind=kind, at=NOW, reason="gone"
            )
        # Again: already recorded, and a token of another channel.
        assert not await outbox.record_receipt(
            session, channel="viber", external_id="11", kind="seen", at=NOW
        )
        assert not await outbox.record_receipt(
            session, channel="telegram", external_id="10", kind="delivered", at=NOW
        )
        figures = await run_figures.run_receipts(session, run_id=run_id)
    assert figures == {
        "viber": run_figures.ChannelReceipts(sent=3, delivered=2, seen=1, messages=5)
    }


async def test_the_progress_mark_only_moves_forward(db: Database):
    notice_id, run_id = await add_notice(db, now=NOW)

    def later(percent: int) -> list[str]:
        return [f"m:{run_id}:{p}" for p in (0, 25, 50, 75, 100) if p >= percent]

    async def move(percent: int) -> bool:
        async with db.sessions() as session, session.begin():
            return await run_progress.move_progress_mark(
                session, notice_id=notice_id, new=later(percent)[0], unless=later(percent)
            )

    assert await move(0)
    assert not await move(0)  # another instance, the same milestone: posted once
    assert await move(50)
    assert not await move(25)  # a tick that read an older mark, after a later milestone
    assert await move(100)
    assert not await move(75) and not await move(100)
    async with db.sessions() as session:
        notice = (await session.exec(select(Notice))).one()
    assert notice.progress_message_id == f"m:{run_id}:100"


def test_milestones_are_quarters_and_the_last_is_for_the_final_figures():
    assert [milestone(sent, 8) for sent in range(9)] == [0, 0, 25, 25, 50, 50, 75, 75, 75]
    assert milestone(0, 0) == 0 and milestone(999, 1000) == 75
