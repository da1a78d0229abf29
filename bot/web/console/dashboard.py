"""The dashboard: each body's figures (bot/domain/body_figures.py: the member's bodies, or
every body for admins and city-wide staff), the reports filed per week (the /stats chart's
figures, as a table with a meter per week: no image, readable without scripts), and for
admins the city's figures of /stats."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from aiohttp import web

from bot.domain.body_figures import body_figures
from bot.stats_chart import week_bounds, week_labels
from bot.web.console import labels
from bot.web.console.app import console_of, render, staff_of, work
from storage.models import ReportStatus, Role
from storage.repos import stats


@dataclass(frozen=True, slots=True)
class BodyRow:
    name: str
    open: int
    overdue: int
    on_time: float | None  # percent
    acknowledge_hours: float | None
    resolve_hours: float | None
    fixed: float | None  # percent
    not_fixed: int


def _hours(span: timedelta | None) -> float | None:
    return None if span is None else span.total_seconds() / 3600


def _percent(share: float | None) -> float | None:
    return None if share is None else share * 100


async def dashboard_page(request: web.Request) -> web.StreamResponse:
    console = console_of(request)
    staff = staff_of(request)
    language = staff.language
    city = console.services.city
    now = console.services.clock()
    tz = city.timezone
    bounds = week_bounds(now, tz)
    async with work(request) as unit:
        found = await body_figures(unit)
        weekly = await stats.reports_filed_between(unit.session, bounds=bounds)
        figures = (
            await stats.figures(unit.session, now=now) if staff.role.at_least(Role.ADMIN) else None
        )
    rows = []
    for f in found:
        body = city.body(f.code)
        rows.append(
            BodyRow(
                name=body.name(language) if body else f.code,
                open=f.open,
                overdue=f.overdue,
                on_time=_percent(f.on_time_share),
                acknowledge_hours=_hours(f.acknowledge_median),
                resolve_hours=_hours(f.resolve_median),
                fixed=_percent(f.confirmed_share),
                not_fixed=f.not_fixed,
            )
        )
    statuses = []
    if figures is not None:
        statuses = [
            (labels.status_label(console, language, s.value), figures.reports_by_status.get(s, 0))
            for s in ReportStatus
        ]
    return render(
        request,
        "dashboard.html",
        rows=rows,
        weeks=list(zip(week_labels(bounds, tz, language), weekly, strict=True)),
        week_max=max([*weekly, 1]),
        figures=figures,
        statuses=statuses,
        resolve_median=_hours(figures.resolution.median) if figures else None,
    )


def routes(app: web.Application) -> None:
    app.router.add_get("/dashboard", dashboard_page)
