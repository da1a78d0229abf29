"""Outbox pruning (issue 11 #26) through the real ViberChannel and the fake Viber API, on
SQLite and PostgreSQL: a finished notice's rows are deleted OUTBOX_RETENTION_DAYS after it
finished, and /notice and /stats say exactly what they said before; a late receipt for a
deleted row is answered 200 and ignored."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

from sqlmodel import col, func, select

from bot.app import CitizenBot
from storage.db import Database
from storage.models import NoticeRun, Outbox, RunTally
from tests.conftest import Clock
from tests.fakes.viber_api import FakeViberAPI
from tests.scheduler.seed import add_citizens, add_notice, add_rows
from tests.viber_chat import ViberChat

StartBot = Callable[..., Awaitable[CitizenBot]]


async def outbox_size(db: Database) -> int:
    async with db.sessions() as session:
        return (await session.exec(select(func.count()).select_from(Outbox))).one()


async def texts(chat: ViberChat, notice_id: int) -> tuple[str, str]:
    """What staff read: /notice and the text of /stats (its chart aside)."""
    (details,) = await chat.say(f"/notice {notice_id}", user="staff")
    stats = [r.text for r in await chat.say("/stats", user="staff") if r.image is None]
    return details.text, stats[0]


async def test_pruned_runs_keep_their_figures_in_notice_and_stats(
    start_viber: StartBot, viber_api: FakeViberAPI, db: Database, clock: Clock
):
    api = viber_api
    staff = api.user("staff", language="en")
    app = await start_viber(admins=f"viber:{staff.id}", outbox_retention_days=30)
    chat = ViberChat(api)
    await chat.say("/start", user="staff")
    await chat.tap("English", user="staff")

    users = [api.user(f"r{i}").id for i in range(4)]
    api.subscribed.update(users[:3])  # the fourth has left the bot: blocked
    citizens = await add_citizens(db, users, channel="viber", now=clock())
    notice_id, run_id = await add_notice(db, now=clock())
    await add_rows(db, run_id, citizens, users, channel="viber", now=clock())
    await app.delivery.drain()
    async with db.sessions() as session:
        tokens = {
            row.user_id: int(row.external_id or 0)
            for row in (await session.exec(select(Outbox))).all()
        }
    for name, user in [("delivered", 0), ("delivered", 1), ("seen", 1), ("failed", 2)]:
        event = api.status_event(name, users[user], tokens[users[user]])
        assert (await api.post(event)).status == 200

    clock.now += timedelta(days=29)  # not old enough yet
    assert (await app.pruning.run()).rows == 0
    assert await outbox_size(db) == 4

    clock.now += timedelta(days=2)
    before = await texts(chat, notice_id)
    assert (
        "   queued 0 · sent 2 · deferred 0 · failed 1 · blocked 1 · cancelled 0\n"
        "   delivered 2 · seen 1 (on Viber)\n"
        "   Viber messages billed: 3"
    ) in before[0]
    assert "Viber: 2 / 1 / 1" in before[1]

    pruned = await app.pruning.run()
    assert (pruned.runs, pruned.rows) == (1, 4)
    assert await outbox_size(db) == 0
    assert await texts(chat, notice_id) == before

    # Viber reports on a message whose row is gone: acknowledged, nothing changes.
    late = api.status_event("seen", users[0], tokens[users[0]])
    assert (await api.post(late)).status == 200
    assert await texts(chat, notice_id) == before

    assert await app.pruning.run() == type(pruned)(0, 0)  # nothing left to do
    async with db.sessions() as session:
        run = await session.get(NoticeRun, run_id)
        assert run is not None and run.pruned_at is not None
        tallies = (await session.exec(select(RunTally).order_by(col(RunTally.id)))).all()
    assert [(t.channel, t.sent, t.failed, t.blocked, t.delivered, t.seen) for t in tallies] == [
        ("viber", 2, 1, 1, 2, 1)
    ]
