"""Open311 GeoReport v2 over real HTTP against the started bot and its real database."""

from __future__ import annotations

import asyncio
import time
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from georeport import GeoReport
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.app import CitizenBot
from bot.domain import routing
from storage.db import Database
from storage.models import Report, ReportStatus
from storage.repos import api_keys, citizens, reports
from tests.conftest import Clock
from tests.dbs import postgres_outage, unreachable_url

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)  # the clock fixture's time
PUBLIC_URL = "https://sofia.example.org/bot"
DECLARATION = b'<?xml version="1.0" encoding="utf-8"?>'
PHOTO = "A" * 31 + "b"  # a name as the photo store makes them
PHONE = "+359888123456"
# DATABASE_POOL_TIMEOUT_SECONDS and DATABASE_CONNECT_TIMEOUT_SECONDS, short for the test.
FAIL_FAST_S = 1.0
FAIL_FAST = {
    "database_pool_timeout_seconds": FAIL_FAST_S,
    "database_connect_timeout_seconds": FAIL_FAST_S,
}
SECRET_WORDS = (PHONE, "0888999777", "Пенка", "Тестова", "penka@example.org", "device-42", "acct-7")


@dataclass
class Reply:
    status: int
    headers: Any
    body: bytes

    def json(self) -> Any:
        import json

        return json.loads(self.body.decode("utf-8"))

    def xml(self) -> ET.Element:
        assert self.body.startswith(DECLARATION), self.body[:60]
        return ET.fromstring(self.body)


@dataclass
class Server:
    app: CitizenBot
    http: aiohttp.ClientSession

    @property
    def base(self) -> str:
        return f"{self.app.web.url}/open311/v2"

    async def call(self, method: str, path: str, **kw: Any) -> Reply:
        async with self.http.request(method, f"{self.base}/{path}", **kw) as resp:
            return Reply(resp.status, resp.headers, await resp.read())

    async def get(self, path: str, **params: str) -> Reply:
        return await self.call("GET", path, params=params)

    async def post(self, path: str, data: dict[str, str] | bytes, **kw: Any) -> Reply:
        return await self.call("POST", path, data=data, **kw)

    async def key(self, name: str = "crm") -> str:
        async with self.app.db.sessions() as session, session.begin():
            _, key = await api_keys.create(session, name=name)
        return key

    async def file(self, **kw: Any) -> Report:
        """A report filed as a chat citizen would (with a contact phone)."""
        kw.setdefault("category", "sofia-1")
        kw.setdefault("now", NOW - timedelta(hours=1))
        kw.setdefault("description", "Препълнени кошчета на ъгъла")
        route = routing.route(self.app.city, kw["category"], kw.get("district"), kw["now"])
        kw.setdefault("body_code", route.body.code)
        kw.setdefault("resolve_due_at", route.resolve_by)
        async with self.app.db.sessions() as session, session.begin():
            citizen, _ = await citizens.get_or_create_by_identity(
                session, channel="telegram", user_id="777001", language="bg"
            )
            return await reports.create(
                session,
                city="sofia",
                prefix="SOF",
                source="telegram",
                reporter_id=citizen.id,
                contact_phone=PHONE,
                **kw,
            )

    async def change(
        self, public_id: str, to: ReportStatus, note: str | None, at: datetime
    ) -> None:
        async with self.app.db.sessions() as session, session.begin():
            report = await reports.get_by_public_id(session, public_id=public_id)
            await reports.change_status(
                session, report=report, to=to, actor_id=None, actor_role="staff", note=note, now=at
            )

    async def hide(self, public_id: str) -> None:
        async with self.app.db.sessions() as session, session.begin():
            report = await reports.get_by_public_id(session, public_id=public_id)
            await reports.set_hidden(
                session, report=report, hidden=True, actor_id=None, actor_role="staff"
            )

    async def stored(self) -> list[Report]:
        async with self.app.db.sessions() as session:
            return list((await session.exec(select(Report).order_by(Report.id))).all())

    def point(self, district: str = "01") -> tuple[float, float]:
        return self.app.city.district_index.representative_points()[district]


@pytest.fixture
async def server(bot_factory) -> AsyncIterator[Server]:
    app = await bot_factory([], web=True, http_public_url=PUBLIC_URL)
    async with aiohttp.ClientSession() as http:
        yield Server(app, http)


def errors_of(reply: Reply, fmt: str) -> list[tuple[int, str]]:
    """The spec's error list, checked to be the whole body in either format."""
    if fmt == "json":
        assert reply.headers["Content-Type"] == "application/json; charset=utf-8"
        return [(e["code"], e["description"]) for e in reply.json()]
    assert reply.headers["Content-Type"] == "application/xml; charset=utf-8"
    root = reply.xml()
    assert root.tag == "errors"
    return [(int(e.findtext("code")), e.findtext("description")) for e in root.iter("error")]


def one_error(reply: Reply, fmt: str, status: int, *words: str) -> None:
    assert reply.status == status, reply.body
    [(code, description)] = errors_of(reply, fmt)
    assert code == status
    for word in words:
        assert word in description, description


# -- discovery and services -------------------------------------------------------------------


async def test_discovery_in_json_and_xml(server: Server):
    reply = await server.get("discovery.json")
    assert reply.status == 200
    assert reply.headers["Content-Type"] == "application/json; charset=utf-8"
    assert reply.headers["Access-Control-Allow-Origin"] == "*"
    data = reply.json()
    [endpoint] = data["endpoints"]
    assert endpoint["url"] == f"{PUBLIC_URL}/open311/v2"
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["type"] == "production"
    assert set(endpoint["formats"]) == {"text/xml", "application/json"}
    assert "Столична община" in data["contact"]

    root = (await server.get("discovery.xml")).xml()
    assert root.tag == "discovery"
    assert root.findtext("endpoints/endpoint/url") == f"{PUBLIC_URL}/open311/v2"
    assert [f.text for f in root.iterfind("endpoints/endpoint/formats/format")] == [
        "text/xml",
        "application/json",
    ]


async def test_services_are_the_city_categories_in_bulgarian(server: Server):
    categories = server.app.city.categories
    reply = await server.get("services.json")
    assert "Чистота".encode() in reply.body  # UTF-8 text, not \u escapes
    data = reply.json()
    assert [s["service_code"] for s in data] == [c.code for c in categories]
    first = data[0]
    assert first == {
        "service_code": "sofia-1",
        "service_name": "Чистота",
        "description": categories[0].description("bg"),
        "metadata": False,
        "type": "realtime",
        "keywords": ", ".join(categories[0].keywords["bg"]),
        "group": categories[0].group_name("bg"),
    }

    root = (await server.get("services.xml")).xml()
    services = root.findall("service")
    assert root.tag == "services" and len(services) == len(categories)
    assert services[0].findtext("service_name") == "Чистота"
    assert services[0].findtext("metadata") == "false"
    assert services[0].findtext("type") == "realtime"


async def test_service_definition_has_no_attributes_and_unknown_codes_are_404(server: Server):
    reply = await server.get("services/sofia-27.json")
    assert reply.status == 200
    assert reply.json() == {"service_code": "sofia-27", "attributes": []}
    root = (await server.get("services/sofia-27.xml")).xml()
    assert root.tag == "service_definition"
    assert root.findtext("service_code") == "sofia-27"
    assert root.find("attributes") is not None and len(root.find("attributes")) == 0
    for fmt in ("json", "xml"):
        one_error(await server.get(f"services/potholes.{fmt}"), fmt, 404, "potholes")


async def test_unknown_formats_paths_and_methods(server: Server):
    one_error(await server.get("requests.csv"), "json", 404, ".csv")
    one_error(await server.get("services"), "json", 404)
    one_error(await server.get("tokens/123.json"), "json", 404)
    reply = await server.call("PUT", "services.xml")
    one_error(reply, "xml", 405, "PUT")
    assert "GET" in reply.headers["Allow"] and "POST" not in reply.headers["Allow"]
    one_error(await server.call("DELETE", "requests.json"), "json", 405)
    one_error(await server.post("requests/SOF-2026-000001.json", {}), "json", 405)
    one_error(await server.post("discovery.xml", {}), "xml", 405)


async def test_get_is_open_to_any_origin_and_post_is_not(server: Server):
    preflight = await server.call(
        "OPTIONS",
        "requests.json",
        headers={"Origin": "https://maps.example", "Access-Control-Request-Method": "GET"},
    )
    assert preflight.status == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "GET" in preflight.headers["Access-Control-Allow-Methods"]
    posted = await server.post("requests.json", {"service_code": "sofia-1"})
    assert posted.status == 403
    assert "Access-Control-Allow-Origin" not in posted.headers


# -- filing requests ---------------------------------------------------------------------------


async def test_post_files_a_report_staff_see_like_a_chat_report(server: Server):
    key = await server.key()
    lat, lon = server.point("03")
    form = {
        "api_key": key,
        "service_code": "sofia-27",
        "lat": str(lat),
        "long": str(lon),
        "description": "  Контейнерът не е извозван от седмица\r\nи мирише  ",
        "media_url": "https://crm.example/photos/1.jpg",
    }
    reply = await server.post("requests.json", form)
    assert reply.status == 200, reply.body
    [receipt] = reply.json()
    assert receipt["service_request_id"] == "SOF-2026-000001"
    assert receipt["service_notice"] == (
        "Сигналът е приет с номер SOF-2026-000001 и е насочен към: Район „Възраждане“."
    )

    [report] = await server.stored()
    assert (report.public_id, report.source, report.category) == (
        "SOF-2026-000001",
        "open311",
        "sofia-27",
    )
    assert report.description == "Контейнерът не е извозван от седмица\nи мирише"
    assert (report.lat, report.lon, report.district) == (lat, lon, "03")
    assert report.created_at == NOW and report.status == "new"
    assert report.reporter_id is None and report.contact_phone is None
    assert report.body_code == "district-03"  # routed as a chat report is
    async with server.app.db.sessions() as session:
        [row] = await api_keys.all_keys(session)
        history = await reports.history(session, report_id=report.id)
    assert report.api_key_id == row.id and row.last_used_at == NOW
    assert [(e.kind, e.actor_role) for e in history] == [("created", "api")]

    [shown] = (await server.get("requests/SOF-2026-000001.json")).json()
    assert shown["service_code"] == "sofia-27" and shown["status"] == "open"
    assert shown["media_url"] is None  # a client's media_url is not kept
    assert shown["agency_responsible"] == "Район „Възраждане“"
    assert shown["expected_datetime"] == "2026-12-02T17:30:00+02:00"  # 3 working days


async def test_post_in_xml_with_an_address_only(server: Server):
    key = await server.key()
    form = {"api_key": key, "service_code": "sofia-1", "address_string": "бул. Витоша 1"}
    reply = await server.post("requests.xml", form)
    assert reply.status == 200, reply.body
    root = reply.xml()
    assert root.tag == "service_requests"
    assert root.findtext("request/service_request_id") == "SOF-2026-000001"
    assert root.findtext("request/service_notice")
    [report] = await server.stored()
    assert (report.address, report.lat, report.lon, report.district) == (
        "бул. Витоша 1",
        None,
        None,
        None,
    )
    assert report.description == ""
    assert report.body_code == "sofia-municipality"  # no district: the pack's fallback


@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_post_errors_store_nothing(server: Server, fmt: str):
    key = await server.key()
    revoked = await server.key("old-crm")
    async with server.app.db.sessions() as session, session.begin():
        await api_keys.revoke(session, name="old-crm")
    lat, lon = server.point()
    good = {"api_key": key, "service_code": "sofia-1", "lat": str(lat), "long": str(lon)}
    cases: list[tuple[dict[str, str], int, str]] = [
        ({k: v for k, v in good.items() if k != "api_key"}, 403, "api_key"),
        ({**good, "api_key": key + "x"}, 403, "not valid"),
        ({**good, "api_key": revoked}, 403, "not valid"),
        ({k: v for k, v in good.items() if k != "service_code"}, 400, "service_code"),
        ({**good, "service_code": "potholes"}, 400, "potholes"),
        ({"api_key": key, "service_code": "sofia-1"}, 400, "location"),
        ({"api_key": key, "service_code": "sofia-1", "address_id": "545483"}, 400, "address_id"),
        ({**good, "lat": "42.0", "long": "25.0"}, 400, "outside Sofia Municipality"),
        ({**good, "long": ""}, 400, "together"),
        ({**good, "lat": "north"}, 400, "decimal degrees"),
        ({**good, "lat": "nan"}, 400, "decimal degrees"),
        ({**good, "description": "я" * 4001}, 400, "4000"),
        ({**good, "address_string": "у" * 301}, 400, "300"),
    ]
    for form, status, word in cases:
        one_error(await server.post(f"requests.{fmt}", form), fmt, status, word)
    huge = {**good, "description": "x" * (1024 * 1024 + 1)}
    one_error(await server.post(f"requests.{fmt}", huge), fmt, 413)
    assert await server.stored() == []
    assert (await server.post(f"requests.{fmt}", {**good, "description": "я" * 4000})).status == 200


async def test_post_body_without_a_length_is_limited_too(server: Server):
    key = await server.key()

    async def chunks() -> AsyncIterator[bytes]:
        yield f"api_key={key}&service_code=sofia-1&description=".encode()
        for _ in range(17):
            yield b"x" * 65536

    reply = await server.post(
        "requests.json", chunks(), headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    one_error(reply, "json", 413)
    assert await server.stored() == []


async def limited_key(server: Server, name: str = "crm", **limits: int) -> str:
    async with server.app.db.sessions() as session, session.begin():
        _, key = await api_keys.create(session, name=name, **limits)
    return key


def filing(server: Server, key: str) -> dict[str, str]:
    lat, lon = server.point()
    return {"api_key": key, "service_code": "sofia-1", "lat": str(lat), "long": str(lon)}


@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_a_key_files_at_most_its_limit_a_minute(server: Server, clock: Clock, fmt: str):
    form = filing(server, await limited_key(server, per_minute=5))
    for _ in range(5):
        assert (await server.post(f"requests.{fmt}", form)).status == 200
    clock.advance(seconds=20)
    refused = await server.post(f"requests.{fmt}", form)
    one_error(refused, fmt, 429, "5 requests a minute", "try again in 41 s")
    assert refused.headers["Retry-After"] == "41"
    assert len(await server.stored()) == 5
    clock.advance(seconds=41)
    assert (await server.post(f"requests.{fmt}", form)).status == 200
    assert len(await server.stored()) == 6


async def test_a_key_files_at_most_its_limit_a_day_in_city_time(server: Server, clock: Clock):
    form = filing(server, await limited_key(server, per_day=3))
    other = filing(server, await limited_key(server, "gis"))  # the default limits
    for _ in range(3):
        assert (await server.post("requests.json", form)).status == 200
        clock.advance(minutes=10)
    refused = await server.post("requests.json", form)
    # 10:30 UTC is 12:30 in Sofia: the day ends 11 h 30 min later
    one_error(refused, "json", 429, "3 requests a day", "midnight (Europe/Sofia)")
    assert refused.headers["Retry-After"] == str(11 * 3600 + 30 * 60 + 1)
    assert (await server.post("requests.json", other)).status == 200  # each key its own count
    clock.advance(hours=11, minutes=30)
    assert (await server.post("requests.json", form)).status == 200
    assert len(await server.stored()) == 5


async def test_the_default_limits_come_from_the_settings(bot_factory):
    app = await bot_factory([], web=True, open311_reports_per_minute=2)
    async with aiohttp.ClientSession() as http:
        server = Server(app, http)
        form = filing(server, await server.key())
        statuses = [(await server.post("requests.json", form)).status for _ in range(3)]
    assert statuses == [200, 200, 429]


async def test_the_limit_holds_across_processes(bot_factory):
    """Two `citizenbot run` processes on one database, twelve POSTs at once with one key
    limited to 5 a minute: exactly 5 are filed, whichever process each POST reaches."""
    first = await bot_factory([], web=True)
    second = await bot_factory([], web=True)
    async with aiohttp.ClientSession() as http:
        servers = [Server(first, http), Server(second, http)]
        form = filing(servers[0], await limited_key(servers[0], per_minute=5))
        replies = await asyncio.gather(
            *(servers[n % 2].post("requests.json", form) for n in range(12))
        )
        statuses = sorted(r.status for r in replies)
        assert statuses == [200] * 5 + [429] * 7, [r.body for r in replies]
        assert len(await servers[1].stored()) == 5


@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_an_api_key_in_the_url_of_a_post_is_refused(server: Server, fmt: str):
    """A key in the URL ends up in access logs and proxies: refused even when it is valid
    (400: the request is malformed whatever the key), and nothing is filed."""
    key = await server.key()
    form = filing(server, key)
    del form["api_key"]
    for body in (form, {**form, "api_key": key}):
        reply = await server.call("POST", f"requests.{fmt}", params={"api_key": key}, data=body)
        one_error(reply, fmt, 400, "POST body", "never in the URL")
    assert await server.stored() == []
    assert (await server.post(f"requests.{fmt}", {**form, "api_key": key})).status == 200


# -- reading requests --------------------------------------------------------------------------


async def test_request_fields_in_json_and_xml(server: Server):
    lat, lon = server.point("02")
    report = await server.file(lat=lat, lon=lon, district="02", address="ул. Граф Игнатиев 5")
    async with server.app.db.sessions() as session, session.begin():
        for position, name in enumerate([PHOTO, "B" * 32]):
            await reports.add_photo(
                session,
                report_id=report.id,
                name=name,
                width=10,
                height=10,
                size=100,
                position=position,
            )
    await server.change(report.public_id, ReportStatus.IN_PROGRESS, "Екипът е на място", NOW)
    resolved_at = NOW + timedelta(minutes=30)
    await server.change(report.public_id, ReportStatus.RESOLVED, "Почистено", resolved_at)

    [item] = (await server.get(f"requests/{report.public_id.lower()}.json")).json()
    assert item == {
        "service_request_id": "SOF-2026-000001",
        "status": "closed",
        "status_notes": "Почистено",
        "service_name": "Чистота",
        "service_code": "sofia-1",
        "description": "Препълнени кошчета на ъгъла",
        "agency_responsible": "Район „Красно село“",
        "requested_datetime": "2026-11-27T11:00:00+02:00",
        "updated_datetime": "2026-11-27T12:30:00+02:00",
        "expected_datetime": "2026-12-04T17:30:00+02:00",  # 5 working days
        "address": "ул. Граф Игнатиев 5",
        "lat": lat,
        "long": lon,
        "media_url": f"{PUBLIC_URL}/media/photos/{PHOTO}.jpg",
    }

    root = (await server.get(f"requests/{report.public_id}.xml")).xml()
    assert root.tag == "service_requests"
    [request] = root.findall("request")
    as_text = {child.tag: child.text for child in request}
    assert as_text == {
        **{k: str(v) for k, v in item.items() if k not in ("lat", "long")},
        "lat": repr(lat),
        "long": repr(lon),
    }
    assert float(as_text["lat"]) == lat


async def test_status_notes_are_the_latest_status_change_only(server: Server):
    report = await server.file()
    await server.change(report.public_id, ReportStatus.RESOLVED, "Подменихме лампата", NOW)
    async with server.app.db.sessions() as session, session.begin():
        row = await reports.get_by_public_id(session, public_id=report.public_id)
        await reports.reopen(
            session, report=row, citizen_id=None, comment="Обадете ми се 0888999777"
        )
    [item] = (await server.get(f"requests/{report.public_id}.json")).json()
    assert item["status"] == "open"
    assert item["status_notes"] == "Подменихме лампата"
    await server.change(report.public_id, ReportStatus.IN_PROGRESS, None, NOW)
    [item] = (await server.get(f"requests/{report.public_id}.json")).json()
    assert item["status_notes"] is None
    root = (await server.get(f"requests/{report.public_id}.xml")).xml()
    assert root.find("request/status_notes") is None and root.find("request/media_url") is None


async def test_xml_stays_well_formed_whatever_the_text(server: Server):
    await server.file(description="Лампата\x0b не свети <b>&amp;</b> \x1b[31m")
    key = await server.key()
    form = {"api_key": key, "service_code": "sofia-1", "address_string": "ул. \x07Шипка 6"}
    assert (
        await server.post("requests.json", {**form, "description": "a\x00b\x08c"})
    ).status == 200
    root = (await server.get("requests.xml")).xml()
    assert [r.findtext("description") for r in root] == [
        "abc",
        "Лампата не свети <b>&amp;</b> [31m",
    ]
    assert root.findtext("request/address") == "ул. Шипка 6"


async def test_unknown_and_hidden_requests_are_404(server: Server):
    shown = await server.file()
    hidden = await server.file()
    await server.hide(hidden.public_id)
    for fmt in ("json", "xml"):
        one_error(await server.get(f"requests/SOF-2026-999999.{fmt}"), fmt, 404, "SOF-2026-999999")
        one_error(await server.get(f"requests/{hidden.public_id}.{fmt}"), fmt, 404)
    listed = (await server.get("requests.json")).json()
    assert [r["service_request_id"] for r in listed] == [shown.public_id]
    ids = f"{shown.public_id},{hidden.public_id}"
    by_id = (await server.get("requests.xml", service_request_id=ids)).xml()
    assert [r.findtext("service_request_id") for r in by_id] == [shown.public_id]


async def test_request_filters(server: Server):
    new = await server.file(category="sofia-1", now=NOW - timedelta(days=1))
    closed = await server.file(category="sofia-27", now=NOW - timedelta(days=10))
    await server.change(closed.public_id, ReportStatus.RESOLVED, "ok", NOW)
    working = await server.file(category="sofia-30", now=NOW - timedelta(days=20))
    await server.change(working.public_id, ReportStatus.IN_PROGRESS, None, NOW)
    old = await server.file(category="sofia-1", now=NOW - timedelta(days=120))

    async def ids(fmt: str = "json", **params: str) -> list[str]:
        reply = await server.get(f"requests.{fmt}", **params)
        assert reply.status == 200, reply.body
        if fmt == "xml":
            return [r.findtext("service_request_id") for r in reply.xml()]
        return [r["service_request_id"] for r in reply.json()]

    recent = [new.public_id, closed.public_id, working.public_id]
    assert await ids() == recent  # the last 90 days, newest first
    assert await ids("xml") == recent
    assert await ids(status="open") == [new.public_id, working.public_id]
    assert await ids(status="closed") == [closed.public_id]
    assert await ids(status="open,closed") == recent
    assert await ids(service_code="sofia-27,sofia-30") == [closed.public_id, working.public_id]
    assert await ids(service_code="nothing") == []
    listed = f"{old.public_id.lower()}, {new.public_id},SOF-2020-000001"
    # service_request_id overrides every other filter, the default 90 days included
    assert await ids(service_request_id=listed, status="closed") == [new.public_id, old.public_id]
    assert await ids(start_date="2026-07-15T00:00:00Z", end_date="2026-10-01") == [old.public_id]
    # an unescaped "+" of the offset arrives as a space; both spellings work
    start = (NOW - timedelta(days=15)).astimezone(server.app.city.timezone).isoformat()
    assert await ids(start_date=start) == [new.public_id, closed.public_id]
    raw = f"{server.base}/requests.json?start_date={start}"
    async with server.http.get(raw) as resp:
        assert [r["service_request_id"] for r in await resp.json()] == [
            new.public_id,
            closed.public_id,
        ]
    # end_date alone: the 90 days before it; a date means the whole day in Sofia
    assert await ids(end_date="2026-11-17") == [closed.public_id, working.public_id]
    assert await ids(end_date="2026-11-16") == [working.public_id]
    # start_date alone: the 90 days after it
    assert await ids(start_date="2026-07-20") == [old.public_id]


@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_bad_filters_are_400(server: Server, fmt: str):
    cases = [
        ({"start_date": "yesterday"}, "start_date"),
        ({"end_date": "2026-13-01"}, "end_date"),
        ({"start_date": "2026-11-20", "end_date": "2026-11-01"}, "before"),
        ({"start_date": "2026-01-01", "end_date": "2026-11-01"}, "90 days"),
        ({"status": "pending"}, "open or closed"),
    ]
    for params, word in cases:
        one_error(await server.get(f"requests.{fmt}", **params), fmt, 400, word)


@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_out_of_range_dates_and_control_characters_are_400_not_500(server: Server, fmt: str):
    """Dates datetime cannot shift by a time zone or 90 days, offsets no zone has, and a NUL
    (PostgreSQL refuses it in text) were 500s."""
    report = await server.file()
    cases = [
        ({"start_date": "0001-01-01"}, "start_date", "2000-2099"),
        ({"end_date": "9999-12-31"}, "end_date", "2000-2099"),
        ({"start_date": "0001-01-01T00:00:00+14:00"}, "start_date", "2000-2099"),
        ({"end_date": "9999-12-31T23:59:59-14:00"}, "end_date", "2000-2099"),
        ({"start_date": "2026-11-27T10:00:00+14:01"}, "start_date", "14:00"),
        ({"start_date": "2026-11-27T10:00:00-23:59"}, "start_date", "14:00"),
        ({"service_code": "sofia-1\x00"}, "service_code", "control characters"),
        ({"service_request_id": f"{report.public_id}\x00"}, "service_request_id", "control"),
        ({"service_request_id": "S" * 101}, "service_request_id", "100 characters"),
    ]
    for params, *words in cases:
        one_error(await server.get(f"requests.{fmt}", **params), fmt, 400, *words)
    one_error(await server.get(f"requests/SOF%00.{fmt}"), fmt, 400, "control characters")
    # the bounds themselves are fine, and +14:00 is a real offset (Kiribati)
    for params in (
        {"start_date": "2000-01-01"},
        {"end_date": "2099-12-31"},
        {"start_date": "2026-11-27T00:00:00+14:00"},
    ):
        assert (await server.get(f"requests.{fmt}", **params)).status == 200, params


async def test_at_most_1000_requests_newest_first(server: Server):
    await insert_many(server.app.db, 1001, start=NOW - timedelta(days=2))
    data = (await server.get("requests.json")).json()
    assert len(data) == 1000
    assert data[0]["service_request_id"] == "SOF-2026-001001"
    assert data[-1]["service_request_id"] == "SOF-2026-000002"
    root = (await server.get("requests.xml", status="open")).xml()
    assert len(root.findall("request")) == 1000


async def insert_many(db: Database, count: int, *, start: datetime) -> None:
    """`count` visible reports a minute apart, in one statement (the repo files one at a
    time, a few milliseconds each: too slow for thousands)."""
    rows = [
        {
            "public_id": f"SOF-2026-{n:06d}",
            "city": "sofia",
            "year": 2026,
            "seq": n,
            "category": "sofia-1",
            "status": "new",
            "description": f"Сигнал {n}",
            "lat": 42.69,
            "lon": 23.32,
            "source": "console",
            "hidden": False,
            "reopened": 0,
            "created_at": start + timedelta(minutes=n),
            "updated_at": start + timedelta(minutes=n),
        }
        for n in range(1, count + 1)
    ]
    async with db.engine.begin() as conn:
        await conn.execute(Report.__table__.insert(), rows)  # type: ignore[attr-defined]


# -- privacy, failures, an independent client --------------------------------------------------


async def test_no_personal_data_in_any_response(server: Server):
    key = await server.key()
    lat, lon = server.point()
    await server.file(lat=lat, lon=lon)
    form = {
        "api_key": key,
        "service_code": "sofia-1",
        "lat": str(lat),
        "long": str(lon),
        "description": "Счупена пейка",
        "first_name": "Пенка",
        "last_name": "Тестова",
        "email": "penka@example.org",
        "phone": "0888999777",
        "device_id": "device-42",
        "account_id": "acct-7",
    }
    bodies = [(await server.post(f"requests.{fmt}", form)).body for fmt in ("json", "xml")]
    for fmt in ("json", "xml"):
        for path in ("requests", "requests/SOF-2026-000002", "services", "discovery"):
            reply = await server.get(f"{path}.{fmt}")
            assert reply.status == 200
            bodies.append(reply.body)
    for body in bodies:
        text = body.decode("utf-8")
        for word in (*SECRET_WORDS, key, "777001", "telegram"):
            assert word not in text, word
    for report in await server.stored():
        stored = " ".join(str(v) for v in report.model_dump().values())
        assert not any(word in stored for word in SECRET_WORDS[1:])


async def test_database_down_is_503_in_the_spec_format_within_seconds(bot_factory, db_url: str):
    app = await bot_factory([], web=True, http_public_url=PUBLIC_URL, **FAIL_FAST)
    async with aiohttp.ClientSession() as http:
        server = Server(app, http)
        key = await server.key()
        await app.db.dispose()
        # The same database settings as the bot's, on a database that cannot be opened.
        outage = Database(
            unreachable_url(db_url),
            pool_timeout=app.settings.database_pool_timeout_seconds,
            connect_timeout=app.settings.database_connect_timeout_seconds,
        )
        app.db.sessions = async_sessionmaker(outage.engine, class_=AsyncSession)

        async def timed(reply: Awaitable[Reply]) -> tuple[Reply, float]:
            started = time.monotonic()
            return await reply, time.monotonic() - started

        try:
            # At once, as requests come during an outage: on SQLite's one connection all but
            # one wait for the pool (they waited 60 s, then got 500 or 503).
            answers = await asyncio.gather(
                *(timed(server.get(f"requests.{fmt}")) for fmt in ("json", "xml")),
                *(
                    timed(server.post(f"requests.{fmt}", {"api_key": key}))
                    for fmt in ("json", "xml")
                ),
            )
            for (reply, elapsed), fmt in zip(answers, ("json", "xml") * 2, strict=True):
                one_error(reply, fmt, 503, "try again")
                assert reply.headers["Retry-After"]
                assert elapsed < FAIL_FAST_S + 2, elapsed
            assert (await server.get("services.json")).status == 200  # needs no database
        finally:
            await outage.dispose()


@pytest.mark.parametrize("outage", ["renamed", "closed"])
async def test_filing_while_the_database_is_renamed_or_closed_is_503(
    server: Server, db_url: str, outage: str
):
    # Seen: 500 (asyncpg's own errors on connecting were not "the database is unavailable").
    if db_url.startswith("sqlite"):
        pytest.skip("PostgreSQL's own ways of refusing connections")
    key = await server.key()
    form = {"api_key": key, "service_code": "sofia-1", "description": "Паднало дърво на алеята"}
    form |= dict(zip(("lat", "long"), map(str, server.point()), strict=True))
    async with postgres_outage(db_url, outage):
        one_error(await server.post("requests.json", form), "json", 503, "try again")
    assert (await server.post("requests.json", form)).status == 200  # the client's retry
    assert len(await server.stored()) == 1


async def test_an_unexpected_error_is_500_with_a_reference_and_no_traceback(server: Server):
    report = await server.file()
    async with server.app.db.sessions() as session, session.begin():
        await reports.add_photo(
            session, report_id=report.id, name="../x", width=1, height=1, size=1, position=0
        )
    for fmt in ("json", "xml"):
        reply = await server.get(f"requests.{fmt}")
        one_error(reply, fmt, 500, "reference")
        assert b"Traceback" not in reply.body and b"ValueError" not in reply.body


async def test_a_third_party_open311_client_reads_the_api(server: Server):
    """georeport (PyPI) is a GeoReport v2 client written without this server in mind."""
    lat, lon = server.point("05")
    report = await server.file(category="sofia-30", lat=lat, lon=lon, district="05")
    await server.change(report.public_id, ReportStatus.RESOLVED, "Готово", NOW)
    await server.file(category="sofia-1")

    def read(output_format: str) -> tuple[Any, ...]:
        client = GeoReport(server.base, output_format=output_format)
        return (
            client.get_service_list(),
            client.get_service_definition("sofia-30"),
            client.get_service_requests(service_code="sofia-30", status="closed"),
            client.get_service_request(report.public_id),
        )

    services, definition, found, single = await asyncio.to_thread(read, "json")
    assert len(services) == len(server.app.city.categories)
    assert definition["service_code"] == "sofia-30"
    assert [r["service_request_id"] for r in found] == [report.public_id]
    assert single["status"] == "closed" and single["status_notes"] == "Готово"

    services, definition, found, single = await asyncio.to_thread(read, "xml")
    assert services[0]["service_code"] == "sofia-1" and services[0]["metadata"] == "false"
    assert definition["service_code"] == "sofia-30"
    assert found["service_request_id"] == report.public_id  # xmltodict: one item, no list
    assert single["lat"] == repr(lat) and single["service_name"]
    count = select(func.count()).select_from(Report)
    async with server.app.db.sessions() as session:
        assert (await session.exec(count)).one() == 2  # reading changed nothing
