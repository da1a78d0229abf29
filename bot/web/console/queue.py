"""The queue: the filtered reports a page at a time, counts per status, and the bulk form."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from bot.web.console import filters, handling, labels, report
from bot.web.console.app import Console, console_of, reading, render, staff_of, viewer_of
from bot.web.console.filters import QueueFilter
from storage.models import ReportStatus
from storage.repos import bodies as bodies_repo
from storage.repos import queue

PAGE_SIZE = 50
# The statuses staff may set on many reports at once: a duplicate needs its original, one by one.
BULK_STATUSES = tuple(
    s for s in ReportStatus if s not in (ReportStatus.NEW, ReportStatus.DUPLICATE)
)


@dataclass(frozen=True, slots=True)
class StatusCount:
    status: str
    label: str
    count: int
    url: str
    current: bool


def choices(console: Console, language: str) -> dict[str, Any]:
    """The form's options: statuses, categories, districts, sorts, and plugged filters."""
    city = console.services.city
    return {
        "statuses": [
            filters.Option(s.value, labels.status_label(console, language, s.value))
            for s in ReportStatus
        ],
        "groups": [
            filters.Option(word, console.t(language, key))
            for word, key in (("open", "staff.filter_open"), ("closed", "staff.filter_closed"))
        ],
        "categories": [filters.Option(c.code, c.label(language)) for c in city.categories],
        "districts": [filters.Option(d.code, d.name(language)) for d in city.districts],
        "sorts": [filters.Option(k, console.t(language, v)) for k, v in filters.SORT_KEYS.items()],
        "hidden_options": [
            filters.Option(k, console.t(language, v)) for k, v in filters.HIDDEN_KEYS.items()
        ],
        "plugged": [(f, f.options(city, language)) for f in filters.FILTERS],
        "bulk_statuses": [
            filters.Option(s.value, labels.status_label(console, language, s.value))
            for s in BULK_STATUSES
        ],
    }


async def queue_context(request: web.Request, qf: QueueFilter) -> dict[str, Any]:
    console = console_of(request)
    language = staff_of(request).language
    now = console.services.clock()
    async with reading(request) as session:
        # The counts per status give the total too: one pass over the filter, not two.
        counts = await queue.status_counts(session, query=qf.query)
        chosen = qf.query.statuses or tuple(counts)
        total = sum(counts.get(status, 0) for status in chosen)
        pages = max(1, math.ceil(total / PAGE_SIZE))
        page = min(qf.page, pages - 1)
        found = await queue.page(session, query=qf.query, offset=page * PAGE_SIZE, limit=PAGE_SIZE)
        me = staff_of(request).citizen_id
        mine = await bodies_repo.of_staff(session, citizen_id=me)
        members = await handling.colleagues(session, mine, me)
    base = qf.without_page()
    status_counts = [
        StatusCount(
            status=s.value,
            label=labels.status_label(console, language, s.value),
            count=counts.get(s.value, 0),
            url=base.url("/console/", status=s.value),
            current=list(qf.query.statuses) == [s.value],
        )
        for s in ReportStatus
    ]
    return {
        "qf": qf,
        "rows": [labels.row(console, language, r, now) for r in found],
        "total": total,
        "page": page,
        "pages": pages,
        "status_counts": status_counts,
        "all_count": sum(counts.values()),
        "all_url": base.url("/console/", status=None),
        "prev_url": qf.url("/console/", page=str(page)) if page > 0 else None,
        "next_url": qf.url("/console/", page=str(page + 2)) if page + 1 < pages else None,
        "export_url": base.url("/console/export.csv"),
        "map_url": base.url("/console/map"),
        "bulk_colleagues": members,
        "note_templates": report.note_templates(console, language),
        "bulk_bodies": handling.body_options(console.services.city, language),
        **choices(console, language),
    }


async def queue_page(request: web.Request) -> web.StreamResponse:
    qf = filters.parse(request.query, console_of(request).services.city, viewer_of(request))
    return render(request, "queue.html", **await queue_context(request, qf))


def routes(app: web.Application) -> None:
    app.router.add_get("/", queue_page)
