"""Open data: every visible report as CSV or GeoJSON, streamed.

`GET /opendata/reports.csv` and `/opendata/reports.geojson`, filtered by `since` (a date or
W3C date-time), `status` (new, acknowledged, in_progress, resolved, rejected, duplicate, or
open/closed; comma separated), `category` and `district` (codes). Hidden reports and
anything about the people who report (who, contact phones, API keys) are never included.

Rows are read in keyset batches, each in its own short session, and written as they come,
so a large export holds neither a transaction nor the whole result. The CSV starts with a
UTF-8 byte order mark so that Excel reads Cyrillic correctly, and a text cell that a
spreadsheet would run as a formula starts with `'` (bot.csvfile).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiohttp import web

from bot import csvfile
from bot.city import LANGUAGES, CityPack
from bot.config import Settings
from bot.web.media import public_photo_url
from bot.web.open311 import row_id
from bot.web.open311_input import CLOSED, OPEN, ApiError, identifier, parse_datetime
from storage.db import UNAVAILABLE, Database
from storage.models import Report, ReportStatus
from storage.repos import reports

log = logging.getLogger(__name__)

BATCH = 500
LICENSE = "CC-BY-4.0"
LICENSE_NAME = "Creative Commons Attribution 4.0 International (CC BY 4.0)"
LICENSE_URL = "https://creativecommons.org/licenses/by/4.0/"

CSV_TYPE = "text/csv; charset=utf-8; header=present"
GEOJSON_TYPE = "application/geo+json; charset=utf-8"
BOM = "\ufeff"

COLUMNS = (
    "public_id",
    "category",
    *(f"category_name_{lang}" for lang in LANGUAGES),
    "status",
    "district",
    *(f"district_name_{lang}" for lang in LANGUAGES),
    "body",
    *(f"body_name_{lang}" for lang in LANGUAGES),
    "lat",
    "lon",
    "address",
    "description",
    "created",
    "updated",
    "closed",
    "resolve_by",
    "photo_url",
)

DATABASE_DOWN = UNAVAILABLE


def opendata_routes(*, db: Database, city: CityPack, settings: Settings) -> list[web.RouteDef]:
    export = Export(db=db, city=city, settings=settings)
    return [
        web.get("/opendata/reports.csv", export.csv),
        web.get("/opendata/reports.geojson", export.geojson),
    ]


@dataclass(frozen=True, slots=True)
class Filters:
    categories: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    district: str | None = None
    since: datetime | None = None

    def as_kwargs(self) -> dict[str, Any]:
        return {
            "categories": list(self.categories) or None,
            "statuses": list(self.statuses) or None,
            "district": self.district,
            "since": self.since,
        }


def parse_filters(query: Any, city: CityPack) -> Filters:
    since = query.get("since", "").strip()
    category = identifier("category", query.get("category", "").strip())
    district = identifier("district", query.get("district", "").strip())
    if category and city.category(category) is None:
        raise ApiError(400, f"category {category!r} is unknown")
    if district and city.district(district) is None:
        raise ApiError(400, f"district {district!r} is unknown")
    return Filters(
        categories=(category,) if category else (),
        statuses=_statuses(query.get("status", "")),
        district=district or None,
        since=parse_datetime("since", since, city.timezone) if since else None,
    )


def _statuses(value: str) -> tuple[str, ...]:
    named = {"open": OPEN, "closed": CLOSED} | {s.value: (s.value,) for s in ReportStatus}
    out: list[str] = []
    for word in filter(None, (w.strip().lower() for w in value.split(","))):
        if word not in named:
            choices = ", ".join(named)
            raise ApiError(400, f"status {word!r} is unknown; use one of {choices}")
        out.extend(s for s in named[word] if s not in out)
    return tuple(out)


@dataclass(frozen=True, slots=True)
class Export:
    db: Database
    city: CityPack
    settings: Settings

    async def csv(self, request: web.Request) -> web.StreamResponse:
        return await self._export(request, CsvFormat(), f"{self.city.code}-reports.csv")

    async def geojson(self, request: web.Request) -> web.StreamResponse:
        attribution = " / ".join(self.city.name(lang) for lang in LANGUAGES)
        return await self._export(request, GeoJsonFormat(attribution), None)

    async def _export(
        self, request: web.Request, fmt: ExportFormat, filename: str | None
    ) -> web.StreamResponse:
        try:
            filters = parse_filters(request.query, self.city)
            first = await self._batch(filters, after_id=0)
        except ApiError as exc:
            return _problem(exc.status, exc.description)
        except DATABASE_DOWN as exc:
            log.warning("open data: database unavailable (%s)", type(exc).__name__)
            return _problem(503, "the service is unavailable for a moment; try again later")
        response = web.StreamResponse(headers=_headers(fmt.content_type, filename))
        await response.prepare(request)
        await _send(response, fmt.head())
        batch = first
        while True:  # a failure from here on drops the connection: the body is cut short
            await _send(response, fmt.rows(batch))
            if len(batch) < BATCH:
                break
            batch = await self._batch(filters, after_id=batch[-1]["_id"])
        await _send(response, fmt.tail())
        await response.write_eof()
        return response

    async def _batch(self, filters: Filters, *, after_id: int) -> list[dict[str, Any]]:
        async with self.db.sessions() as session:
            found = await reports.public_batch(
                session, after_id=after_id, limit=BATCH, **filters.as_kwargs()
            )
            ids = [row_id(r) for r in found]
            photos = await reports.first_photos(session, report_ids=ids)
        return [self._row(r, photos.get(i)) for r, i in zip(found, ids, strict=True)]

    def _row(self, report: Report, photo: str | None) -> dict[str, Any]:
        category = self.city.category(report.category)
        district = self.city.district(report.district) if report.district else None
        tz = self.city.timezone
        row: dict[str, Any] = {"_id": report.id, "public_id": report.public_id}
        row["category"] = report.category
        for lang in LANGUAGES:
            row[f"category_name_{lang}"] = category.name(lang) if category else None
        row["status"] = report.status
        row["district"] = report.district
        for lang in LANGUAGES:
            row[f"district_name_{lang}"] = district.name(lang) if district else None
        body = self.city.body(report.body_code)
        row["body"] = report.body_code
        for lang in LANGUAGES:
            row[f"body_name_{lang}"] = body.name(lang) if body else None
        row |= {
            "lat": report.lat,
            "lon": report.lon,
            "address": report.address,
            "description": report.description,
            "created": report.created_at.astimezone(tz).isoformat(timespec="seconds"),
            "updated": report.updated_at.astimezone(tz).isoformat(timespec="seconds"),
            "closed": report.closed_at.astimezone(tz).isoformat(timespec="seconds")
            if report.closed_at
            else None,
            "resolve_by": report.resolve_due_at.astimezone(tz).isoformat(timespec="seconds")
            if report.resolve_due_at
            else None,
            "photo_url": public_photo_url(self.settings.public_url, photo) if photo else None,
        }
        return row


async def _send(response: web.StreamResponse, text: str) -> None:
    if text:  # never an empty write: in a chunked body it could read as the end
        await response.write(text.encode("utf-8"))


def _headers(content_type: str, filename: str | None) -> dict[str, str]:
    headers = {
        "Content-Type": content_type,
        "Access-Control-Allow-Origin": "*",
        "Link": f'<{LICENSE_URL}>; rel="license"',
    }
    if filename:
        headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return headers


def _problem(status: int, description: str) -> web.Response:
    body = json.dumps({"error": description}, ensure_ascii=False)
    return web.Response(
        text=body,
        status=status,
        content_type="application/json",
        headers={"Access-Control-Allow-Origin": "*"},
    )


# -- formats -----------------------------------------------------------------------------------


class ExportFormat:
    content_type: str

    def head(self) -> str:
        return ""

    def rows(self, rows: Sequence[dict[str, Any]]) -> str:
        raise NotImplementedError

    def tail(self) -> str:
        return ""


class CsvFormat(ExportFormat):
    content_type = CSV_TYPE

    def head(self) -> str:
        return BOM + csvfile.lines([COLUMNS])

    def rows(self, rows: Sequence[dict[str, Any]]) -> str:
        return csvfile.lines([row[c] for c in COLUMNS] for row in rows)


class GeoJsonFormat(ExportFormat):
    """A FeatureCollection of Points; reports without coordinates are left out."""

    content_type = GEOJSON_TYPE

    def __init__(self, attribution: str) -> None:
        self.attribution = attribution
        self._written = 0

    def head(self) -> str:
        meta = {
            "type": "FeatureCollection",
            "name": "reports",
            "license": LICENSE,
            "license_name": LICENSE_NAME,
            "license_url": LICENSE_URL,
            "attribution": self.attribution,
        }
        return _dumps(meta)[:-1] + ',"features":[\n'

    def rows(self, rows: Sequence[dict[str, Any]]) -> str:
        features = [_dumps(_feature(row)) for row in rows if row["lat"] is not None]
        if not features:
            return ""
        text = ",\n".join(features)
        separator = ",\n" if self._written else ""
        self._written += len(features)
        return separator + text

    def tail(self) -> str:
        return "\n]}\n"


def _feature(row: dict[str, Any]) -> dict[str, Any]:
    properties = {k: row[k] for k in COLUMNS if k not in ("lat", "lon")}
    return {
        "type": "Feature",
        "id": row["public_id"],
        "geometry": {"type": "Point", "coordinates": [row["lon"], row["lat"]]},
        "properties": properties,
    }


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
