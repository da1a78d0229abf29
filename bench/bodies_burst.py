"""A burst of reports and the bodies' team chats: N reports filed at once through the domain's
filing action (bot/domain/reports.py `file`: routing, deadlines, the body's hook), each body's
team chat a Telegram group, the notifications sent by the real delivery engine (the outbox,
TelegramChannel over HTTP) to the fake Bot API (tests/fakes/telegram_api.py, which checks every
call against the Bot API's schema and limits the global rate when asked).

    .venv/bin/python bench/bodies_burst.py [--reports 10000] [--concurrency 8]
        [--rate-limit 30] [--postgres URL]   (or BENCH_POSTGRES=URL)

The reports come from 200 citizens (Telegram identities), with the pack's categories and
Sofia's 24 districts drawn at random (a fixed seed), an address and a description each; every
one of the pack's bodies has its team chat linked (no staff, so only the team chats are
told). The filing runs `--concurrency` units of work at a time, one transaction each, as the
dispatcher does; the deliveries it queues run after each commit (the engine's inline path),
as in the bot. Printed: reports/s for filing + routing (commit included), the team-chat
messages the fake received and the reports they told of (the engine paces each group to
Telegram's 20 a minute: scheduler/delivery/pacing.py, and combines a group's waiting news
into one message when more than a minute's worth wait: scheduler/delivery/bundling.py),
when the busiest group's last report was told (its outbox row marked sent, alone or
combined), the fake's 429s and schema violations, and the peak per-chat rate (the most
messages one group got in any 60 s window, against the limit of 20 a minute per group).
Watched until every team-chat row is told or `--max-seconds` have passed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import func  # noqa: E402
from sqlmodel import col, select  # noqa: E402

from storage.db import Database  # noqa: E402
from storage.models import Outbox, OutboxKind, OutboxStatus  # noqa: E402

TOKEN = "123456:BENCH-TOKEN"
FIRST_GROUP = -1001000000000
FIRST_USER = 700_000_000
CITIZENS = 200
GROUP_LIMIT = 20  # messages a minute to one group (Telegram's FAQ)
STREETS = (
    "ул. „Шипка“",
    "бул. „Витоша“",
    "ул. „Раковски“",
    "бул. „България“",
    "ул. „Граф Игнатиев“",
)
WHAT = (
    "The street lamp has been off for three nights.",
    "A deep pothole in the right lane, cars swerve around it.",
    "Rubbish bins overflowing since the weekend.",
    "A broken bench in the park, sharp edges.",
    "Water leaking from the pavement near the crossing.",
)


@contextlib.asynccontextmanager
async def database(postgres: str | None, workdir: Path) -> AsyncIterator[str]:
    from storage.migrate import upgrade

    if postgres:
        from tests.dbs import PostgresTemplates

        templates = PostgresTemplates(postgres)
        url = await templates.fresh()
        try:
            yield url
        finally:
            await templates.drop(url)
            await templates.drop_template()
        return
    url = f"sqlite+aiosqlite:///{workdir}/bench.db"
    await upgrade(url)
    yield url


async def untold(db: Database) -> int:
    """Team-chat rows not sent yet (pending, put back by the pacing, or in flight)."""
    async with db.sessions() as session:
        stmt = select(func.count()).where(
            col(Outbox.user_id).startswith("-"),
            col(Outbox.status).in_([OutboxStatus.PENDING.value, OutboxStatus.INFLIGHT.value]),
        )
        return int((await session.exec(stmt)).one())


async def told_per_group(db: Database) -> tuple[dict[str, int], dict[str, datetime]]:
    """Per group chat: the new-report rows told (sent alone or combined), and when the last."""
    async with db.sessions() as session:
        stmt = (
            select(Outbox.user_id, func.count(), func.max(Outbox.sent_at))
            .where(
                col(Outbox.user_id).startswith("-"),
                Outbox.kind == OutboxKind.BODY_NEWS.value,
                Outbox.status == OutboxStatus.SENT.value,
            )
            .group_by(col(Outbox.user_id))
        )
        found = (await session.exec(stmt)).all()
    return {chat: n for chat, n, _ in found}, {chat: last for chat, _, last in found}


def peak_per_minute(times: list[float]) -> int:
    """The most sends within any 60-second window."""
    best, start = 0, 0
    for end, at in enumerate(times):
        while at - times[start] > 60.0:
            start += 1
        best = max(best, end - start + 1)
    return best


async def run(args: argparse.Namespace, url: str, workdir: Path) -> None:
    from bot.app import CitizenBot
    from bot.config import Settings
    from bot.domain.actors import Actor
    from bot.domain.reports import NewReport, file
    from bot.domain.work import Work
    from scheduler.delivery.pacing import ChatPacer
    from storage.models import Role
    from storage.repos import bodies as bodies_repo
    from storage.repos import citizens
    from tests.fakes.telegram_api import FakeBotAPI

    async with FakeBotAPI(token=TOKEN) as api:
        sent: dict[int, list[float]] = defaultdict(list)
        builtin = api._builtin_handler("sendMessage")
        assert builtin is not None

        def send(call):  # type: ignore[no-untyped-def]
            sent[int(call.params["chat_id"])].append(time.monotonic())
            api.calls.clear()  # keep the fake small: only the counters matter here
            if len(api._messages) > 1000:
                api._messages.clear()
            return builtin(call)

        api.set_handler("sendMessage", send)
        settings = Settings(
            database_url=url,
            data_dir=str(workdir),
            telegram_bot_token=TOKEN,
            telegram_api_base_url=api.base_url,
            telegram_webhook_url="https://bot.example.org/telegram/webhook",
            telegram_webhook_secret="bench-secret",
            telegram_rate_limit=args.rate_limit,
            reports_per_day=1000,
            feed_tick_seconds=0,
            http_port=0,
        )
        app = CitizenBot(settings)
        await app.start()
        try:
            city = app.city
            async with app.db.sessions() as session:
                people = []
                for n in range(CITIZENS):
                    citizen, _ = await citizens.get_or_create_by_identity(
                        session, channel="telegram", user_id=str(FIRST_USER + n), language="bg"
                    )
                    people.append(citizen.id)
                for i, body in enumerate(city.bodies.bodies):
                    await bodies_repo.link_chat(
                        session,
                        body_code=body.code,
                        channel="telegram",
                        chat_id=str(FIRST_GROUP - i),
                        linked_by=None,
                    )
                await session.commit()
            pick = random.Random(13)
            categories = [c.code for c in city.categories]
            districts = [d.code for d in city.districts]
            wanted = [
                (
                    people[n % CITIZENS],
                    NewReport(
                        category=pick.choice(categories),
                        description=pick.choice(WHAT),
                        source="telegram",
                        address=f"{pick.choice(STREETS)} {pick.randint(1, 150)}",
                        district=pick.choice(districts),
                    ),
                )
                for n in range(args.reports)
            ]
            queue: asyncio.Queue[tuple[int, NewReport]] = asyncio.Queue()
            for item in wanted:
                queue.put_nowait(item)
            queued = 0
            per_body: dict[str, int] = defaultdict(int)

            async def worker() -> None:
                nonlocal queued
                while not queue.empty():
                    citizen_id, new = queue.get_nowait()
                    async with app.db.sessions() as session:
                        work = Work(
                            session=session,
                            actor=Actor.person(citizen_id, Role.CITIZEN),
                            settings=settings,
                            translator=app.translator,
                            city=city,
                            clock=app.services.clock,
                            deliver=app.delivery.deliver,
                        )
                        report = await file(work, new)
                        per_body[report.body_code or ""] += 1
                        await session.commit()
                    queued += 1
                    if args.inline:  # as the dispatcher: the rows sent right after the commit
                        for task in work.after_commit:
                            await task()
                    else:  # the engine's sender loop picks them up
                        app.delivery.wake()

            started = time.perf_counter()
            wall_start = datetime.now(UTC)
            await asyncio.gather(*(worker() for _ in range(args.concurrency)))
            filing = time.perf_counter() - started
            app.delivery.wake()
            # Paced rows are due later: watch until all are told or --max-seconds have passed.
            while await untold(app.db):
                if time.perf_counter() - started > args.max_seconds:
                    break
                await asyncio.sleep(1.0)
            total = time.perf_counter() - started
            stats = app.delivery.stats()["telegram"]
            told, last_told = await told_per_group(app.db)
        finally:
            await app.stop()
        groups = {chat: times for chat, times in sent.items() if chat < 0}
        messages = sum(len(t) for t in groups.values())
        peak_chat, peak = max(
            ((chat, peak_per_minute(sorted(t))) for chat, t in groups.items()),
            key=lambda kv: kv[1],
            default=(0, 0),
        )
        busiest_chat = max(told, key=lambda chat: told[chat], default="")
        busiest_queued = told.get(busiest_chat, 0)
        busiest_messages = len(groups.get(int(busiest_chat or 0), []))
        waited = (last_told[busiest_chat] - wall_start).total_seconds() if busiest_chat else 0.0
        backend = "PostgreSQL" if args.postgres else "SQLite"
        path = "inline after each commit" if args.inline else "the engine's sender loop"
        print(
            f"backend: {backend}, reports: {args.reports}, concurrency: {args.concurrency}, "
            f"delivery: {path}"
        )
        print(f"filing + routing: {args.reports / filing:,.0f} reports/s ({filing:.1f} s)")
        told_total = sum(told.values())
        print(
            f"team-chat messages sent: {messages} to {len(groups)} groups, telling of "
            f"{told_total} of {queued} reports in {total:.0f} s from the burst's start at "
            f"TELEGRAM_RATE_LIMIT={args.rate_limit:g}/s; put back by the per-group pacing: "
            f"{stats.get('paced', 0)} times; carried by combined messages: "
            f"{stats.get('combined', 0)}"
        )
        pacing = ChatPacer(GROUP_LIMIT).interval
        print(
            f"busiest group: {busiest_queued} reports in {busiest_messages} messages, its last "
            f"told {waited:.0f} s after the burst began ({waited - filing:.0f} s after the "
            f"filing ended); one message each would take {busiest_queued * pacing / 60:.0f} "
            "min at the group limit"
        )
        print(f"fake Bot API: 429s {api.rate_limited}, violations {len(api.violations)}")
        verdict = "over" if peak > GROUP_LIMIT else "within"
        print(
            f"peak per-chat rate: {peak} messages in 60 s (group {peak_chat}); "
            f"Telegram's group limit {GROUP_LIMIT}/min: {verdict}"
        )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reports", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rate-limit", type=float, default=30.0)
    parser.add_argument(
        "--max-seconds",
        type=float,
        default=180.0,
        help="stop watching the (paced) sends this long after the burst began",
    )
    parser.add_argument(
        "--inline",
        action="store_true",
        help="send each report's rows right after its commit (the dispatcher's inline path) "
        "instead of waking the engine's sender loop",
    )
    parser.add_argument(
        "--postgres",
        default=os.environ.get("BENCH_POSTGRES"),
        help="postgresql+asyncpg://… to use instead of SQLite (or BENCH_POSTGRES)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        async with database(args.postgres, Path(tmp)) as url:
            await run(args, url, Path(tmp))


if __name__ == "__main__":
    asyncio.run(main())
