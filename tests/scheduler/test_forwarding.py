"""Forwarding reports to a body's own Open311 endpoint (scheduler/forwarding.py) over real
HTTP, on SQLite and PostgreSQL: two processes ticking at once send each report once; a 503
is retried after the backoff; the body's "closed", read back, resolves our report as the
system actor "open311:<body>" and the reporter is told; failures wait for an admin."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from pydantic import SecretStr
from sqlmodel import select

from bot.city.bodies import EmailDelivery, Open311Delivery
from bot.domain import handling
from bot.domain import reports as reports_domain
from bot.domain.actors import Actor
from bot.domain.forwarding_queue import GEOREPORT_NO_UPDATE
from bot.domain.reports import NewReport
from bot.metrics import Metrics
from scheduler.forwarding import Forwarder
from storage.db import Database
from storage.models import AuditEntry, Outbox, Report, ReportForward, ReportStatus, Role
from storage.repos import citizens, stats
from storage.repos import forwards as forwards_repo
from tests.bot.forwarding.reports import (
    CITY,
    FILED,
    MLADOST,
    SETTINGS,
    TRANSLATOR,
    city_with,
    file_reports,
    filing_work,
    resolve_then_not_fixed,
)
from tests.conftest import Clock

API_KEY = "mladost-key-1"


@dataclass
class FakeGeoReport:
    """The body's GeoReport v2 endpoint: POSTs answer with the next status queued (then 201
    and a new id), a GET of a request answers its status."""

    post_statuses: list[int] = field(default_factory=list)
    posts: list[dict[str, str]] = field(default_factory=list)
    gets: list[str] = field(default_factory=list)
    status: str = "open"
    posted: asyncio.Event = field(default_factory=asyncio.Event)  # set by each accepted POST

    async def post(self, request: web.Request) -> web.Response:
        form = {k: str(v) for k, v in (await request.post()).items()}
        status = self.post_statuses.pop(0) if self.post_statuses else 201
        if status != 201:
            return web.json_response([{"code": status, "description": "busy"}], status=status)
        self.posts.append(form)
        self.posted.set()
        return web.json_response([{"service_request_id": f"R-{len(self.posts)}"}], status=201)

    async def get(self, request: web.Request) -> web.Response:
        request_id = request.match_info["id"]
        self.gets.append(request_id)
        answer = {"service_request_id": request_id, "status": self.status}
        if self.status == "closed":
            answer["status_notes"] = "Lamp replaced."
        return web.Response(text=json.dumps([answer]), content_type="application/json")


@pytest.fixture
async def endpoint() -> AsyncIterator[tuple[FakeGeoReport, str]]:
    fake = FakeGeoReport()
    app = web.Application()
    app.router.add_post("/geo/v2/requests.json", fake.post)
    app.router.add_get("/geo/v2/requests/{id}.json", fake.get)
    async with TestServer(app) as server:
        yield fake, str(server.make_url("/geo/v2"))


def forwarder(db: Database, city: Any, clock: Clock, instance: str, delivered: list) -> Forwarder:
    async def deliver(ids: Any) -> None:
        delivered.extend(ids)

    return Forwarder(
        db=db,
        city=city,
        settings=SETTINGS,
        translator=TRANSLATOR,
        clock=clock,
        deliver=deliver,
        instance=instance,
        keys={MLADOST.code: SecretStr(API_KEY)},
    )


async def rows(db: Database) -> list[ReportForward]:
    async with db.sessions() as session:
        found = await session.exec(select(ReportForward).order_by(ReportForward.report_id))
        return list(found.all())


async def test_open311_sent_once_by_two_processes_retried_and_read_back(db: Database, endpoint):
    fake, url = endpoint
    city = city_with(
        Open311Delivery(
            type="open311",
            endpoint=url,
            api_key_env="MLADOST_OPEN311_KEY",
            jurisdiction_id="sofia.bg",
            service_codes={"sofia-28": "STREETLIGHT"},
        )
    )
    clock = Clock(FILED)
    delivered: list[int] = []
    a, b = (forwarder(db, city, clock, name, delivered) for name in ("host:a", "host:b"))
    try:
        reporter, filed = await file_reports(db, city, 3)
        fake.post_statuses = [503]  # the first POST, whichever report it is

        sent = await asyncio.gather(a.tick(), b.tick())
        assert sum(sent) == 2 and len(fake.posts) == 2
        assert {p["service_code"] for p in fake.posts} == {"STREETLIGHT"}
        assert {p["api_key"] for p in fake.posts} == {API_KEY}
        waiting = [r for r in await rows(db) if r.state == "pending"]
        assert [(r.attempts, r.last_error) for r in waiting] == [(1, f"{MLADOST.code}: HTTP 503")]

        assert await asyncio.gather(a.tick(), b.tick()) == [0, 0]  # its backoff first
        clock.now += timedelta(minutes=1)
        assert sum(await asyncio.gather(a.tick(), b.tick())) == 1
        descriptions = sorted(p["description"] for p in fake.posts)
        assert descriptions == sorted(r.description for r in filed)  # each report once
        found = await rows(db)
        assert {r.state for r in found} == {"sent"}
        assert sorted(r.service_request_id or "" for r in found) == ["R-1", "R-2", "R-3"]

        # Their status, read back: "open" acknowledges ours, "closed" resolves it.
        assert sum(await asyncio.gather(a.check_statuses(), b.check_statuses())) == 3
        assert sorted(fake.gets) == ["R-1", "R-2", "R-3"]
        assert await a.check_statuses() == 0  # not due again yet
        fake.status = "closed"
        clock.now += timedelta(minutes=30)
        assert await b.check_statuses() == 3
        clock.now += timedelta(minutes=30)
        assert await a.check_statuses() == 0 and len(fake.gets) == 6  # closed: not asked again
        async with db.sessions() as session:
            reports = (await session.exec(select(Report))).all()
            news = (await session.exec(select(Outbox))).all()
            actors = {e.actor_ref for e in (await session.exec(select(AuditEntry))).all()}
        assert {r.status for r in reports} == {ReportStatus.RESOLVED.value}
        assert actors == {f"open311:{MLADOST.code}"}
        # The reporter was told each time (acknowledged, then resolved), and it was sent on.
        assert len(news) == 6 and {row.citizen_id for row in news} == {reporter}
        assert sorted(delivered) == sorted(row.id for row in news)
    finally:
        await a.close()
        await b.close()


async def test_a_refusal_waits_for_an_admin_and_is_counted(db: Database, endpoint):
    fake, url = endpoint
    city = city_with(
        Open311Delivery(
            type="open311", endpoint=url, api_key_env="K", service_codes={"sofia-27": "OTHER"}
        )
    )
    clock = Clock(FILED)
    sender = forwarder(db, city, clock, "host:a", [])
    try:
        await file_reports(db, city, 1)
        assert await sender.tick() == 0
        (row,) = await rows(db)
        assert (row.state, row.attempts) == ("failed", 1)
        assert row.last_error == f"{MLADOST.code}: no service_code for category sofia-28"
        assert fake.posts == []
        async with db.sessions() as session:
            figures = await stats.figures(session, now=clock.now)
        metrics = Metrics(retention_months=24)
        metrics.set_figures(figures)
        text = metrics.latest()[0].decode()
        assert f'citizenbot_forwards{{body="{MLADOST.code}",state="failed"}} 1.0' in text
    finally:
        await sender.close()


async def test_reassigned_to_the_body_and_back_it_is_queued_once(sqlite_templates):
    db = Database(await sqlite_templates.fresh())
    city = city_with(EmailDelivery(type="email", address="mladost@sofia.example.org"))
    try:
        _, (report,) = await file_reports(db, replace(city, bodies=CITY.bodies))
        assert await rows(db) == []  # filed while the body worked in the bot
        for body in (MLADOST.code, "inspectorate", MLADOST.code):
            async with db.sessions() as session, session.begin():
                found = await session.get(Report, report.id)
                assert found is not None
                work = replace(
                    filing_work(session, city, 0, FILED), actor=Actor.machine("test", Role.ADMIN)
                )
                if found.body_code == body:
                    await handling.reassign(work, found, "inspectorate", "Not ours.")
                await handling.reassign(work, found, body, "Theirs after all.")
        assert [(r.body_code, r.how, r.state) for r in await rows(db)] == [
            (MLADOST.code, "email", "pending")
        ]
    finally:
        await db.dispose()


async def test_a_filed_report_leaves_at_once_not_at_the_next_tick(db: Database, endpoint):
    """The filing's commit wakes the forwarding job (Work.wake_forwarding): the POST is made
    though the next tick is an hour away and the clock does not move."""
    fake, url = endpoint
    city = city_with(
        Open311Delivery(
            type="open311", endpoint=url, api_key_env="K", service_codes={"sofia-28": "LIGHT"}
        )
    )
    sender = Forwarder(
        db=db,
        city=city,
        settings=SETTINGS.model_copy(update={"forward_tick_seconds": 3600}),
        translator=TRANSLATOR,
        clock=Clock(FILED),
        instance="host:a",
        keys={},
    )
    scheduler = AsyncIOScheduler(timezone=UTC)
    sender.install(scheduler)
    later = datetime.now(UTC) + timedelta(hours=1)
    scheduler.modify_job("forwarding", next_run_time=later)  # not even the first tick
    scheduler.start()
    try:
        after: list[Any] = []
        async with db.sessions() as session, session.begin():
            citizen, _ = await citizens.get_or_create_by_identity(
                session, channel="console", user_id="u1", language="en", now=FILED
            )
            assert citizen.id is not None
            work = replace(
                filing_work(session, city, citizen.id, FILED),
                wake_forwarding=sender.wake,
                after_commit=after,
            )
            new = NewReport(
                category="sofia-28",
                description="Dark since Monday.",
                source="console",
                lat=42.6497,
                lon=23.379,
                district="15",
            )
            report = await reports_domain.file(work, new)
        assert len(after) == 1 and fake.posts == []
        for task in after:
            await task()
        await asyncio.wait_for(fake.posted.wait(), timeout=10)
        await sender.close()  # the woken tick finishes (records the outcome)
        (row,) = await rows(db)
        assert (row.report_id, row.state, row.service_request_id) == (report.id, "sent", "R-1")
        assert fake.posts[0]["description"] == "Dark since Monday."
    finally:
        scheduler.shutdown(wait=False)
        await sender.close()


async def test_not_fixed_is_recorded_for_an_open311_body_and_not_sent(db: Database, endpoint):
    """GeoReport v2 has no call to update or reopen a request: a citizen's "❌ not fixed" on a
    report forwarded by Open311 is recorded ("unsupported", with why), sent nowhere, not
    offered for retry, and wakes nothing; the report's own status is no longer read back
    once the body said "closed"."""
    fake, url = endpoint
    city = city_with(
        Open311Delivery(
            type="open311", endpoint=url, api_key_env="K", service_codes={"sofia-28": "LIGHT"}
        )
    )
    sender = forwarder(db, city, Clock(FILED), "host:a", [])
    try:
        citizen, (report,) = await file_reports(db, city)
        assert await sender.tick() == 1
        woken = await resolve_then_not_fixed(db, city, report, citizen, "Still dark.")
        assert woken == []
        assert await sender.tick() == 0 and len(fake.posts) == 1
        first, reopened = sorted(await rows(db), key=lambda r: r.id or 0)
        assert (first.kind, first.state) == ("report", "sent")
        assert (reopened.kind, reopened.how) == ("reopened", "open311")
        assert reopened.state == "unsupported"
        assert reopened.last_error == GEOREPORT_NO_UPDATE and reopened.event_id > 0
        async with db.sessions() as session:
            assert await forwards_repo.unsettled(session, limit=10) == []
    finally:
        await sender.close()
