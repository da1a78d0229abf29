"""The staff console's queue and map on 100,000 reports: server time per page.

    .venv/bin/python bench/console_queue.py [--reports 100000] [--repeat 15]
                                            [--postgres URL]

A fresh migrated database (SQLite in a temporary directory, or a fresh PostgreSQL database
made from the test template) gets `--reports` reports spread over two years, the city's
categories and districts and every status, made in SQL in batches. The console runs as in
`citizenbot run` (bot/web/server.py with the /console sub-application) with one signed-in
staff member, and each page is asked for `--repeat` times over HTTP on localhost. The time
printed is the server's: from the request reaching the application to its answer (a
middleware around everything), median and the slowest, in milliseconds.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BATCH = 5000
WORDS = (
    "Уличната лампа не свети от седмица",
    "Дупка на пътното платно пред входа",
    "Препълнени контейнери за смет на ъгъла",
    "Паднало дърво пречи на движението",
    "Счупена пейка в градинката",
    "Изоставен автомобил на тротоара",
)
CONTAINER = "%D0%BA%D0%BE%D0%BD%D1%82%D0%B5%D0%B9%D0%BD%D0%B5%D1%80"  # „контейнер“
PAGES = (
    ("queue: newest, page 1", "/console/"),
    ("queue: open", "/console/?status=open"),
    ("queue: category + district", "/console/?category=sofia-28&district=15"),
    ("queue: text search", "/console/?q=" + CONTAINER),
    ("queue: text, open + broad word", "/console/?status=open&q=" + CONTAINER),
    ("queue: text, rare („бл. 399“)", "/console/?q=%D0%B1%D0%BB.%20399"),
    ("queue: text, a number („000123“)", "/console/?q=000123"),
    ("queue: text, two letters („дъ“)", "/console/?q=%D0%B4%D1%8A"),
    ("queue: page 1000", "/console/?page=1000"),
    ("queue: oldest, resolved", "/console/?status=resolved&sort=oldest"),
    ("map page", "/console/map?status=open"),
    ("map markers (5,000)", "/console/map/markers.json"),
    ("map markers: open, district", "/console/map/markers.json?status=open&district=15"),
)


@contextlib.asynccontextmanager
async def database(postgres: str | None) -> AsyncIterator[str]:
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
    with tempfile.TemporaryDirectory() as workdir:
        url = f"sqlite+aiosqlite:///{workdir}/bench.db"
        await upgrade(url)
        yield url


async def seed(db: Any, city: Any, count: int, now: datetime) -> None:
    from sqlalchemy import insert

    from storage.models import Report, ReportStatus

    rng = random.Random(14)
    categories = [c.code for c in city.categories]
    districts = [d.code for d in city.districts]
    statuses = [s.value for s in ReportStatus]
    weights = [10, 10, 15, 45, 10, 10]
    lat0, lon0 = city.center
    for start in range(0, count, BATCH):
        rows = []
        for seq in range(start + 1, min(count, start + BATCH) + 1):
            created = now - timedelta(minutes=(count - seq) * 10)
            rows.append(
                {
                    "public_id": f"SOF-{created.year}-{seq:06d}",
                    "city": "sofia",
                    "year": created.year,
                    "seq": seq,
                    "category": rng.choice(categories),
                    "status": rng.choices(statuses, weights)[0],
                    "description": f"{rng.choice(WORDS)}, бл. {rng.randint(1, 400)}.",
                    "lat": lat0 + rng.uniform(-0.08, 0.08),
                    "lon": lon0 + rng.uniform(-0.12, 0.12),
                    "address": f"ул. „Примерна“ {rng.randint(1, 200)}",
                    "district": rng.choice(districts),
                    "source": "telegram",
                    "hidden": rng.random() < 0.02,
                    "reopened": 0,
                    "created_at": created,
                    "updated_at": created + timedelta(hours=rng.randint(0, 200)),
                }
            )
        async with db.sessions() as session, session.begin():
            await session.execute(insert(Report), rows)  # type: ignore[call-overload]


async def staff_cookie(db: Any, now: datetime) -> str:
    from bot.web.console.sessions import open_session
    from storage.repos import citizens

    async with db.sessions() as session, session.begin():
        member, _ = await citizens.get_or_create_by_identity(
            session, channel="console", user_id="bench", language="bg", now=now
        )
        member.role = "staff"
        await session.flush()
        assert member.id is not None
        return await open_session(session, citizen_id=member.id, now=now)


async def run(reports: int, repeat: int, postgres: str | None) -> None:
    import aiohttp
    from aiohttp import web

    from bot.city import load_city
    from bot.config import Settings
    from bot.core.context import Services
    from bot.i18n import Translator
    from bot.web.console import console_app
    from bot.web.console.sessions import COOKIE
    from bot.web.server import WebServer, build_web_app
    from storage.db import Database

    now = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    async with database(postgres) as url:
        db = Database(url)
        city = load_city("sofia")
        started = time.perf_counter()
        await seed(db, city, reports, now)
        if db.dialect == "postgresql":
            async with db.engine.begin() as conn:
                from sqlalchemy import text

                await conn.execute(text("ANALYZE report"))
        seeded = time.perf_counter() - started
        settings = Settings(database_url=url, http_port=0)
        services = Services(
            settings=settings, translator=Translator(), city=city, clock=lambda: now
        )
        app = build_web_app(db, [], {"/console": console_app(db, services)})
        timings: dict[str, list[float]] = {}

        cpu: dict[str, list[float]] = {}

        @web.middleware
        async def timed(request: web.Request, handler: Any) -> web.StreamResponse:
            began, began_cpu = time.perf_counter(), time.process_time()
            response = await handler(request)
            timings.setdefault(request.path_qs, []).append(time.perf_counter() - began)
            cpu.setdefault(request.path_qs, []).append(time.process_time() - began_cpu)
            return response

        app.middlewares.append(timed)
        server = WebServer(app, "127.0.0.1", 0)
        await server.start()
        cookie = await staff_cookie(db, now)
        jar = aiohttp.CookieJar(unsafe=True)
        async with aiohttp.ClientSession(cookie_jar=jar, cookies={COOKIE: cookie}) as http:
            print(
                f"{reports:,} reports on {db.dialect} (seeded in {seeded:.1f} s); "
                f"Python {platform.python_version()}; load {os.getloadavg()[0]:.1f}; "
                f"server time: median and slowest of {repeat}, and CPU median, ms"
            )
            for name, path in PAGES:
                for _ in range(repeat):
                    async with http.get(server.url + path) as response:
                        assert response.status == 200, (path, response.status)
                        await response.read()
                took = timings[path]
                median_cpu = statistics.median(cpu[path]) * 1000
                print(
                    f"  {name:<32} {statistics.median(took) * 1000:7.1f}"
                    f" {max(took) * 1000:7.1f} {median_cpu:7.1f}"
                )
            print(f"  load at the end {os.getloadavg()[0]:.1f}")
            if db.dialect == "postgresql":
                await explain(db, city)
        await server.stop()
        await db.dispose()


async def explain(db: Any, city: Any) -> None:
    """PostgreSQL's own time (EXPLAIN ANALYZE "Execution Time") of each queue page's two
    statements: the counts per status and the page."""
    from urllib.parse import parse_qsl

    from multidict import MultiDict
    from sqlalchemy import func, select, text
    from sqlalchemy.dialects import postgresql
    from sqlmodel import col

    from bot.web.console import filters
    from storage.models import Report
    from storage.repos import queue

    print("  PostgreSQL execution time (counts + page), ms:")
    for name, path in PAGES:
        if not (path == "/console/" or path.startswith("/console/?")):
            continue
        viewer = filters.Viewer(citizen_id=None, now=datetime.now(UTC))
        qf = filters.parse(MultiDict(parse_qsl(path.partition("?")[2])), city, viewer)
        conds = queue.conditions(qf.query, "postgresql")
        conds_all = queue.conditions(qf.query, "postgresql", with_status=False)
        statements = [
            select(col(Report.status), func.count()).where(*conds_all).group_by(Report.status),
            select(Report)
            .where(*conds)
            .order_by(*queue._order(qf.query))
            .offset(qf.page * 50)
            .limit(50),
        ]
        total = 0.0
        async with db.sessions() as session:
            for stmt in statements:
                sql = stmt.compile(
                    dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}
                )
                explained = f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}"
                rows = (await session.execute(text(explained))).all()
                total += rows[0][0][0]["Execution Time"]
        print(f"    {name:<30} {total:7.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reports", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--postgres", default=None, help="a PostgreSQL URL (the test server)")
    args = parser.parse_args()
    asyncio.run(run(args.reports, args.repeat, args.postgres))


if __name__ == "__main__":
    main()
