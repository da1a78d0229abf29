"""The queue's filter as CSV (bot/csvfile.py, the one CSV writer), streamed a batch at a
time. Staff see citizens only by their public ref; phone numbers stay out."""

from __future__ import annotations

from aiohttp import web

from bot.csvfile import lines
from bot.web.console import filters, labels
from bot.web.console.app import console_of, reading, staff_of, viewer_of, work
from storage.refs import public_ref
from storage.repos import queue

BATCH = 2000
HEADER = (
    "public_id",
    "status",
    "category",
    "district",
    "address",
    "lat",
    "lon",
    "description",
    "hidden",
    "reporter",
    "created_at",
    "updated_at",
)


async def export_csv(request: web.Request) -> web.StreamResponse:
    console = console_of(request)
    staff = staff_of(request)
    city = console.services.city
    qf = filters.parse(request.query, city, viewer_of(request))
    now = console.services.clock()
    async with work(request) as unit:
        await unit.audit("export", "export", "console_queue", filter=qf.url(""))
    stamp = now.astimezone(city.timezone).strftime("%Y%m%d-%H%M")
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="reports-{stamp}.csv"',
        }
    )
    await response.prepare(request)
    await response.write(("\ufeff" + lines([HEADER])).encode())
    offset = 0
    while True:
        async with reading(request) as session:
            batch = await queue.page(session, query=qf.query, offset=offset, limit=BATCH)
        if not batch:
            break
        rows = [
            (
                r.public_id,
                r.status,
                r.category,
                labels.district_label(console, staff.language, r.district) if r.district else "",
                r.address,
                r.lat,
                r.lon,
                r.description,
                r.hidden,
                public_ref(r.reporter_id) if r.reporter_id else "",
                r.created_at.isoformat(),
                r.updated_at.isoformat(),
            )
            for r in batch
        ]
        await response.write(lines(rows).encode())
        offset += len(batch)
        if len(batch) < BATCH:
            break
    await response.write_eof()
    return response


def routes(app: web.Application) -> None:
    app.router.add_get("/export.csv", export_csv)
