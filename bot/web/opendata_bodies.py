"""Open data: each body's response figures (bot/domain/body_figures.py), CC BY 4.0 like the
other open data. `GET /opendata/bodies.csv` and `/opendata/bodies.json`: per body its code,
names, kind, open and overdue reports, the median hours to acknowledge and to resolve, the
share solved on time and the share citizens confirmed fixed. Counts only: nothing about a
person, no internal note."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import timedelta
from typing import Any

from aiohttp import web

from bot import csvfile
from bot.city import LANGUAGES
from bot.core.context import Services
from bot.domain.actors import Actor
from bot.domain.body_figures import BodyFigures, body_figures
from bot.domain.work import Work
from bot.web.opendata import BOM, CSV_TYPE, LICENSE, LICENSE_NAME, LICENSE_URL, _problem
from storage.db import UNAVAILABLE, Database

log = logging.getLogger(__name__)

ACTOR = "opendata"
QUERY_TIMEOUT_S = 20.0
COLUMNS = (
    "body",
    *(f"body_name_{lang}" for lang in LANGUAGES),
    "kind",
    "open",
    "overdue",
    "resolved_on_time",
    "resolved_late",
    "on_time_percent",
    "median_hours_to_acknowledge",
    "median_hours_to_resolve",
    "confirmed_fixed",
    "not_fixed",
    "confirmed_fixed_percent",
)


async def read_figures(db: Database, services: Services, actor: str) -> list[BodyFigures]:
    """Every body's figures, read by a system actor in a short read-only session."""
    async with asyncio.timeout(QUERY_TIMEOUT_S), db.sessions() as session:
        work = Work(
            session=session,
            actor=Actor.machine(actor),
            settings=services.settings,
            translator=services.translator,
            city=services.city,
            clock=services.clock,
        )
        return await body_figures(work)


def _hours(span: timedelta | None) -> float | None:
    return None if span is None else round(span.total_seconds() / 3600, 1)


def _percent(share: float | None) -> float | None:
    return None if share is None else round(share * 100, 1)


def bodies_routes(*, db: Database, services: Services) -> list[web.RouteDef]:
    city = services.city

    def row(f: BodyFigures) -> dict[str, Any]:
        body = city.body(f.code)
        out: dict[str, Any] = {"body": f.code}
        for lang in LANGUAGES:
            out[f"body_name_{lang}"] = body.name(lang) if body else None
        return out | {
            "kind": body.kind.value if body else None,
            "open": f.open,
            "overdue": f.overdue,
            "resolved_on_time": f.resolved_on_time,
            "resolved_late": f.resolved_late,
            "on_time_percent": _percent(f.on_time_share),
            "median_hours_to_acknowledge": _hours(f.acknowledge_median),
            "median_hours_to_resolve": _hours(f.resolve_median),
            "confirmed_fixed": f.confirmed_fixed,
            "not_fixed": f.not_fixed,
            "confirmed_fixed_percent": _percent(f.confirmed_share),
        }

    async def rows() -> list[dict[str, Any]] | web.Response:
        try:
            return [row(f) for f in await read_figures(db, services, ACTOR)]
        except (*UNAVAILABLE, TimeoutError) as exc:
            log.warning("open data bodies: database unavailable (%s)", type(exc).__name__)
            return _problem(503, "the service is unavailable for a moment; try again later")

    headers = {"Access-Control-Allow-Origin": "*", "Link": f'<{LICENSE_URL}>; rel="license"'}

    async def as_csv(request: web.Request) -> web.Response:
        found = await rows()
        if isinstance(found, web.Response):
            return found
        text = BOM + csvfile.lines([COLUMNS, *([r[c] for c in COLUMNS] for r in found)])
        return web.Response(
            body=text.encode("utf-8"),
            headers=headers
            | {
                "Content-Type": CSV_TYPE,
                "Content-Disposition": f'attachment; filename="{city.code}-bodies.csv"',
            },
        )

    async def as_json(request: web.Request) -> web.Response:
        found = await rows()
        if isinstance(found, web.Response):
            return found
        document = {
            "name": "bodies",
            "license": LICENSE,
            "license_name": LICENSE_NAME,
            "license_url": LICENSE_URL,
            "attribution": " / ".join(city.name(lang) for lang in LANGUAGES),
            "generated": services.clock().astimezone(city.timezone).isoformat(timespec="seconds"),
            "bodies": found,
        }
        return web.Response(
            text=json.dumps(document, ensure_ascii=False),
            headers=headers | {"Content-Type": "application/json; charset=utf-8"},
        )

    return [web.get("/opendata/bodies.csv", as_csv), web.get("/opendata/bodies.json", as_json)]
