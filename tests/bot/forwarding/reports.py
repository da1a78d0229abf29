"""A report as a body receives it (bot/forwarding/report.py), for the senders' tests; a city
whose body works outside the bot, and reports filed there (the forwarding tests)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from bot.city import CityPack, load_city
from bot.city.bodies import EmailDelivery, Open311Delivery
from bot.domain import confirmation, routing
from bot.domain import reports as reports_domain
from bot.domain.actors import Actor
from bot.domain.reports import NewPhoto, NewReport
from bot.domain.work import Work
from bot.forwarding import ForwardedReport, forwarded_report
from bot.i18n import Translator
from storage.db import Database
from storage.models import Report, ReportStatus, Role
from storage.repos import citizens, confirmations
from tests.conftest import make_settings

CITY = load_city("sofia")
PUBLIC_URL = "https://bot.example.org"
FILED = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
SETTINGS = make_settings("sqlite+aiosqlite:///unused.db")
TRANSLATOR = Translator()


def a_report(photos: tuple[str, ...] = ()) -> ForwardedReport:
    report = Report(
        id=7,
        public_id="SOF-2026-000007",
        city="sofia",
        year=2026,
        seq=7,
        category="sofia-28",
        description="Уличната лампа пред блок 12 не свети от седмица.",
        lat=42.6497,
        lon=23.379,
        address="бул. Александър Малинов 12",
        district="15",
        source="console",
        created_at=FILED,
        updated_at=FILED,
    )
    return forwarded_report(report, CITY, PUBLIC_URL, photos)


# -- a city whose Mladost administration works outside the bot, and reports filed there ---

MLADOST = routing.body_for(CITY, CITY.category("sofia-28"), "15")


def city_with(delivery: EmailDelivery | Open311Delivery) -> CityPack:
    """Sofia, with the body of street lighting in Mladost receiving reports by `delivery`."""
    bodies = tuple(
        replace(b, delivery=delivery) if b.code == MLADOST.code else b for b in CITY.bodies.bodies
    )
    return replace(CITY, bodies=replace(CITY.bodies, bodies=bodies))


def filing_work(session: Any, city: CityPack, citizen_id: int, now: datetime) -> Work:
    return Work(
        session=session,
        actor=Actor.person(citizen_id, Role.CITIZEN),
        settings=SETTINGS,
        translator=TRANSLATOR,
        city=city,
        clock=lambda: now,
    )


async def file_reports(
    db: Database, city: CityPack, n: int = 1, *, photos: Sequence[str] = (), now: datetime = FILED
) -> tuple[int, list[Report]]:
    """A citizen (console:u1) files `n` street-lighting reports in Mladost through the domain,
    each with `photos` (names in the photo store); (the citizen's id, the reports)."""
    filed = []
    async with db.sessions() as session, session.begin():
        citizen, _ = await citizens.get_or_create_by_identity(
            session, channel="console", user_id="u1", language="en", now=now
        )
        assert citizen.id is not None
        work = filing_work(session, city, citizen.id, now)
        for i in range(n):
            new = NewReport(
                category="sofia-28",
                description=f"The street light at block {12 + i} is out.",
                source="console",
                lat=42.6497,
                lon=23.379,
                address="bul. Aleksandar Malinov 12",
                district="15",
            )
            attached = [NewPhoto(name=p, width=800, height=600, size=1000) for p in photos]
            filed.append(await reports_domain.file(work, new, attached))
    return citizen.id, filed


async def resolve_then_not_fixed(
    db: Database,
    city: CityPack,
    report: Report,
    citizen_id: int,
    words: str,
    *,
    photo: str | None = None,
    now: datetime = FILED,
) -> list[str]:
    """Staff resolve the report, then its reporter answers "❌ not fixed" with `words` (and
    `photo`, a name in the photo store); after the commit, what the answer woke."""
    async with db.sessions() as session, session.begin():
        found = await session.get(Report, report.id)
        assert found is not None
        staff = replace(filing_work(session, city, 0, now), actor=Actor.machine("t", Role.ADMIN))
        await reports_domain.change_status(staff, found, ReportStatus.RESOLVED, note="Done.")
    after: list[Any] = []
    woken: list[str] = []
    async with db.sessions() as session, session.begin():
        found = await session.get(Report, report.id)
        assert found is not None and found.id is not None
        resolution = await confirmations.latest_resolution(session, report_id=found.id)
        assert resolution is not None and resolution.id is not None
        work = replace(
            filing_work(session, city, citizen_id, now),
            after_commit=after,
            wake_forwarding=lambda: woken.append("forwarding"),
        )
        attached = [NewPhoto(name=photo, width=800, height=600, size=1000)] if photo else []
        await confirmation.not_fixed(work, found, resolution.id, words, attached)
    assert woken == []  # not before the commit
    for task in after:
        await task()
    return woken
