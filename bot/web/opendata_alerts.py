"""GET /opendata/alerts.geojson: the alerts from official feeds in force now (sent to
citizens, not over), with their areas, times, official texts and each source's attribution
and licence. An alert for the whole city has no geometry (`whole_city: true`)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from aiohttp import web
from sqlalchemy.exc import InterfaceError, OperationalError

from bot.city import LANGUAGES, CityPack
from storage.db import Database
from storage.models import FeedAlert
from storage.repos import feeds

log = logging.getLogger(__name__)

DATABASE_DOWN = (OperationalError, InterfaceError, OSError, TimeoutError)


def alerts_routes(
    *, db: Database, city: CityPack, clock: Callable[[], datetime]
) -> list[web.RouteDef]:
    async def serve(request: web.Request) -> web.Response:
        try:
            async with db.sessions() as session:
                active = await feeds.active(session, now=clock())
        except DATABASE_DOWN as exc:
            log.warning("opendata alerts: database unavailable (%s)", type(exc).__name__)
            return web.json_response({"error": "the database is unavailable"}, status=503)
        collection = {
            "type": "FeatureCollection",
            "name": f"{city.code}-alerts",
            "features": [feature(city, alert) for alert in active],
        }
        return web.Response(
            text=json.dumps(collection, ensure_ascii=False),
            content_type="application/geo+json",
            headers={"Cache-Control": "max-age=60"},
        )

    return [web.get("/opendata/alerts.geojson", serve)]


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


def feature(city: CityPack, alert: FeedAlert) -> dict[str, Any]:
    feed = city.feed(alert.feed_id)
    properties: dict[str, Any] = {
        "id": alert.id,
        "feed": alert.feed_id,
        "source_id": alert.source_id,
        "topic": alert.topic,
        "severity": alert.severity,
        "starts_at": _iso(alert.starts_at),
        "ends_at": _iso(alert.ends_at),
        "updated_at": _iso(alert.updated_at),
        "text_bg": alert.text_bg,
        "text_en": alert.text_en,
        "whole_city": alert.area is None,
        "districts": list(alert.districts),
    }
    for language in LANGUAGES:
        properties[f"attribution_{language}"] = (
            feed.attribution_text(language) if feed else alert.feed_id
        )
    properties["licence"] = feed.licence if feed else None
    return {"type": "Feature", "id": alert.id, "geometry": alert.area, "properties": properties}
