"""The map of the queue's filter: clustered markers coloured by status from a JSON endpoint,
tiles from CONSOLE_TILE_URL (OpenStreetMap by default, with its attribution), and the list of
the same reports under it, which works without tiles or scripts."""

from __future__ import annotations

from aiohttp import web

from bot.web.console import filters, labels
from bot.web.console.app import console_of, reading, render, staff_of, viewer_of
from bot.web.console.queue import choices
from storage.repos import queue

MAP_LIMIT = 5000  # markers on the map, the filter's first in its order
LIST_LIMIT = 100  # of them listed under the map


async def map_page(request: web.Request) -> web.StreamResponse:
    console = console_of(request)
    language = staff_of(request).language
    city = console.services.city
    qf = filters.parse(request.query, city, viewer_of(request)).without_page()
    async with reading(request) as session:
        located = await queue.located_total(session, query=qf.query)
        shown = await queue.markers(session, query=qf.query, limit=LIST_LIMIT)
    settings = console.settings
    return render(
        request,
        "map.html",
        qf=qf,
        located=located,
        limit=MAP_LIMIT,
        markers=[
            (
                m,
                labels.status_label(console, language, m.status),
                labels.category_label(city, language, m.category),
            )
            for m in shown
        ],
        markers_url=qf.url("/console/map/markers.json"),
        queue_url=qf.url("/console/"),
        tile_url=settings.console_tile_url,
        tile_attribution=settings.console_tile_attribution,
        center=city.center,
        **choices(console, language),
    )


async def markers_json(request: web.Request) -> web.StreamResponse:
    console = console_of(request)
    language = staff_of(request).language
    city = console.services.city
    qf = filters.parse(request.query, city, viewer_of(request))
    async with reading(request) as session:
        found = await queue.markers(session, query=qf.query, limit=MAP_LIMIT)
    status_names = {s: labels.status_label(console, language, s) for s in {m.status for m in found}}
    return web.json_response(
        {
            "markers": [
                [m.lat, m.lon, m.public_id, m.status, status_names[m.status]] for m in found
            ],
            "limit": MAP_LIMIT,
        }
    )


def routes(app: web.Application) -> None:
    app.router.add_get("/map", map_page)
    app.router.add_get("/map/markers.json", markers_json)
