"""Official feeds end to end, on SQLite and PostgreSQL: a city pack in a directory whose
feeds.json points at a local fake publisher (tests/fakes/feeds.py) over HTTP; the bot polls
(the test calls the ticks at its clock), citizens whose places meet the area get the alert in
their language through the delivery engine, updates and ends reach those told, staff review
with Send / Edit text / Skip, two processes poll once, a broken feed is shown and logged once.
No network: everything is served from 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from google.transit import gtfs_realtime_pb2
from sqlmodel import select

from bot.app import CitizenBot
from bot.channels.console import RecordingChannel
from bot.city import PACKS_DIR
from bot.core.messages import IncomingMessage, Kind
from storage.db import Database
from storage.models import FeedAlert, FeedState, Outbox
from tests.conftest import Clock, recording_channel
from tests.fakes.feeds import FakeFeeds
from tests.steps.notices import subscribe as subscribe_step

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "feeds"
NOON = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)  # 12:00 in Sofia
MLADOST = (42.65, 23.38)  # inside the outage polygon and the wind polygon (district 15)
LYULIN = (42.7135, 23.2660)  # far from both
ARCGIS = "/arcgis/rest/services/WSI_PUBLIC/InfoCenter_Public/MapServer/2/query"
ATOM = "/feeds/meteoalarm-legacy-atom-bulgaria"
CAP_WIND = "/api/v1/warnings/feeds-bulgaria/7f46df70-a824-46e6-a231-47ccd5081154"
CAP_COLD = "/api/v1/warnings/feeds-bulgaria/0b5c1f3e-6a7d-4b43-9d6e-2f8a1c9e7d10"
GTFS = "/api/v1/alerts"
ROADS = "/opendata/roadworks.geojson"
MS = 1000


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def arcgis(*, end: datetime | None = None, features: bool = True) -> str:
    data = json.loads(fixture("arcgis_outages.json"))
    if not features:
        data["features"] = []
    elif end is not None:
        data["features"][0]["attributes"]["ALERTEND"] = int(end.timestamp() * MS)
    return json.dumps(data, ensure_ascii=False)


def write_pack(directory: Path, fake: FakeFeeds, mode: str = "auto", *, timeout: int = 20) -> Path:
    """The Sofia pack copied to `directory`, with feeds.json pointing at `fake`."""
    pack = directory / "testcity"
    shutil.copytree(PACKS_DIR / "sofia", pack)
    feeds = [
        {
            "id": "voda",
            "type": "arcgis",
            "url": fake.url(ARCGIS) + "?where=1%3D1&outSR=4326&f=json",
            "topic": "water",
            "mode": mode,
            "interval_seconds": 300,
            "timeout_seconds": timeout,
            "headers": {"Referer": "https://gispx.sofiyskavoda.bg/WebApp.InfoCenter/"},
            "attribution": {"bg": "Софийска вода", "en": "Sofiyska Voda"},
            "report_categories": ["sofia-2"],
        },
        {
            "id": "meteo",
            "type": "cap-atom",
            "url": fake.url(ATOM),
            "topic": "emergencies",
            "mode": mode,
            "interval_seconds": 600,
            "attribution": {"bg": "НИМХ чрез MeteoAlarm", "en": "NIMH via MeteoAlarm"},
            "geocodes": {"EMMA_ID:BG411": "all"},
        },
        {
            "id": "transit",
            "type": "gtfs-rt",
            "url": fake.url(GTFS),
            "topic": "transport",
            "mode": mode,
            "interval_seconds": 300,
            "attribution": {"bg": "Център за градска мобилност", "en": "Urban Mobility Centre"},
        },
        {
            "id": "roads",
            "type": "geojson",
            "url": fake.url(ROADS),
            "topic": "roads",
            "mode": mode,
            "interval_seconds": 600,
            "attribution": {"bg": "Столична община", "en": "Sofia Municipality"},
            "licence": "CC BY 4.0",
        },
    ]
    (pack / "feeds.json").write_text(json.dumps(feeds, ensure_ascii=False), encoding="utf-8")
    return pack


class Town:
    """The bot on a test pack, a console channel, the fake publisher and the test's clock."""

    def __init__(self, app: CitizenBot, chat: RecordingChannel, fake: FakeFeeds, clock: Clock):
        self.app, self.chat, self.fake, self.clock = app, chat, fake, clock

    async def poll(self) -> int:
        """One feeds tick, the notices tick it leads to, and delivery of everything due."""
        polled = await self.app.feeds.tick()
        await self.app.notices.tick()
        await self.app.delivery.drain()
        return polled

    def texts(self, user: str) -> list[str]:
        return [r.text for r in self.chat.pop(user)]


@pytest.fixture
async def fake() -> AsyncIterator[FakeFeeds]:
    async with FakeFeeds() as server:
        yield server


async def start_town(bot_factory, fake: FakeFeeds, clock: Clock, tmp_path: Path, mode: str):
    pack = write_pack(tmp_path, fake, mode)
    chat = recording_channel()
    app = await bot_factory([chat], notice_tick_seconds=0, feed_tick_seconds=0, city=str(pack))
    assert [f.id for f in app.city.feeds] == ["voda", "meteo", "transit", "roads"]
    await chat.say("/start", user="admin")  # staff read English
    await chat.tap("English", user="admin")
    chat.pop("admin")
    return Town(app, chat, fake, clock)


@pytest.fixture
async def town(bot_factory, fake: FakeFeeds, clock: Clock, tmp_path: Path) -> Town:
    return await start_town(bot_factory, fake, clock, tmp_path, "auto")


async def subscribe(chat: RecordingChannel, user: str, **choices: Any) -> None:
    """A new citizen's subscription (tests/steps/notices.py), its replies left aside."""
    await subscribe_step(chat, user, **choices)
    chat.pop(user)


def atom_index(fake: FakeFeeds, wind: str = CAP_WIND) -> str:
    """The Atom index fixture with its links on the fake publisher."""
    return (
        fixture("atom.xml")
        .replace("{BASE}" + CAP_WIND, fake.url(wind))
        .replace("{BASE}", fake.url(""))
    )


def publish_atom(fake: FakeFeeds) -> None:
    fake.publish(ATOM, atom_index(fake), "application/atom+xml")
    fake.publish(CAP_WIND, fixture("cap_polygon.xml"), "application/cap+xml")
    fake.publish(CAP_COLD, fixture("cap_geocode.xml"), "application/cap+xml")


def button(chat: RecordingChannel, user: str, payload: str) -> IncomingMessage:
    return IncomingMessage(chat.address(user), Kind.BUTTON, payload=payload)


def empty_atom(fake: FakeFeeds) -> None:
    fake.publish(
        ATOM,
        '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom">'
        "<id>x</id><title>MeteoAlarm Bulgaria</title></feed>",
        "application/atom+xml",
    )


def quiet_feeds(fake: FakeFeeds) -> None:
    """Every feed published and empty."""
    fake.publish(ARCGIS, arcgis(features=False), "application/json")
    empty_atom(fake)
    fake.publish(GTFS, gtfs(), "application/x-protobuf")
    fake.publish(ROADS, roadworks(), "application/geo+json")


def roadworks(*features: tuple[str, str, tuple[float, float]]) -> str:
    """A GeoJSON FeatureCollection of (id, severity, point) with a 300 m buffer-free point
    geometry turned into a small square."""
    out = []
    for key, severity, (lat, lon) in features:
        ring = [[lon - 0.002, lat - 0.002], [lon + 0.002, lat - 0.002], [lon + 0.002, lat + 0.002]]
        ring += [[lon - 0.002, lat + 0.002], ring[0]]
        out.append(
            {
                "type": "Feature",
                "id": key,
                "geometry": {"type": "Polygon", "coordinates": [ring]},
                "properties": {
                    "severity": severity,
                    "text_bg": f"Ремонт {key}: затворено платно.",
                    "text_en": f"Roadworks {key}: a lane is closed.",
                    "ends_at": "2026-11-28T18:00:00+02:00",
                },
            }
        )
    return json.dumps({"type": "FeatureCollection", "features": out})


def gtfs(*alerts: tuple[str, dict[str, str]], period: bool = True) -> bytes:
    """A GTFS-Realtime FeedMessage with one service alert per (id, texts by language), in
    force 12:00-16:00 Sofia time (or without an active period: until further notice)."""
    message = gtfs_realtime_pb2.FeedMessage()
    message.header.gtfs_realtime_version = "2.0"
    message.header.incrementality = gtfs_realtime_pb2.FeedHeader.FULL_DATASET
    message.header.timestamp = int(NOON.timestamp())
    for alert_id, texts in alerts:
        entity = message.entity.add()
        entity.id = alert_id
        entity.alert.cause = gtfs_realtime_pb2.Alert.CONSTRUCTION
        entity.alert.effect = gtfs_realtime_pb2.Alert.DETOUR
        if period:
            active = entity.alert.active_period.add()
            active.start = int(NOON.timestamp())
            active.end = int((NOON + timedelta(hours=4)).timestamp())
        entity.alert.informed_entity.add().route_id = "TM5"
        for language, text in texts.items():
            header = entity.alert.header_text.translation.add()
            header.text, header.language = text, language
    return message.SerializeToString()


async def alerts_in(db: Database) -> list[FeedAlert]:
    async with db.sessions() as session:
        return list((await session.exec(select(FeedAlert).order_by(FeedAlert.id))).all())


# -- auto mode: outage published, updated, gone ------------------------------------------------


async def test_an_outage_reaches_the_area_is_updated_and_ends(town: Town, db: Database):
    chat, fake = town.chat, town.fake
    await subscribe(chat, "anna", topic="💧 Water supply", district="Mladost")
    await subscribe(
        chat, "boris", topic="💧 Водоснабдяване", language="Български", district="Люлин"
    )
    await subscribe(chat, "vera", topic="💧 Water supply", pin=(42.655, 23.40))  # 1 km circle
    await subscribe(chat, "far", topic="💧 Water supply", pin=LYULIN)
    quiet_feeds(fake)
    fake.publish(ARCGIS, arcgis(), "application/json")

    assert await town.poll() == 4
    (anna,) = town.texts("anna")
    assert "💧 Water supply" in anna
    assert "Спряно водоподаване поради авария на водопровод." in anna
    assert "Until 18:00 on 27.11." in anna
    assert "Source: Sofiyska Voda" in anna
    assert len(town.texts("vera")) == 1
    assert town.texts("boris") == [] and town.texts("far") == []
    (staff,) = town.texts("admin")
    assert "was sent automatically" in staff and "Area: Mladost" in staff
    assert fake.requests_to(ARCGIS)[0].referer == "https://gispx.sofiyskavoda.bg/WebApp.InfoCenter/"

    # Nothing changed: a conditional GET answered 304, nothing sent.
    town.clock.advance(minutes=5)
    assert await town.poll() == 2  # water and transport every 5 minutes, weather every 10
    assert len(fake.requests_to(ARCGIS)) == 2
    assert fake.requests_to(ARCGIS)[-1].if_none_match is not None
    assert town.texts("anna") == [] and town.texts("admin") == []

    # Now until 20:00: only those told hear of it.
    await subscribe(chat, "late", topic="💧 Water supply", district="Mladost")
    fake.publish(ARCGIS, arcgis(end=NOON + timedelta(hours=8)), "application/json")
    town.clock.advance(minutes=5)
    await town.poll()
    (update,) = town.texts("anna")
    assert update.startswith("🔄 Update · 💧 Water supply")
    assert "Now until 20:00 on 27.11." in update
    assert len(town.texts("vera")) == 1
    assert town.texts("late") == [] and town.texts("boris") == []

    # /now lists it for anna, not for boris.
    now = await chat.say("/now", user="anna")
    assert "In force now in your places" in now[0].text and "Until 20:00" in now[0].text
    assert "няма нищо в сила" in (await chat.say("/now", user="boris"))[0].text
    (again,) = await chat.tap("📡 Now", user="anna")  # the main menu's entry
    assert again.text == now[0].text

    # Gone from the layer: the end, once, to those told.
    fake.publish(ARCGIS, arcgis(features=False), "application/json")
    town.clock.advance(minutes=5)
    await town.poll()
    (end,) = town.texts("anna")
    assert end.startswith("✅ 💧 Water supply: water is back in your area.")
    assert len(town.texts("vera")) == 1
    assert town.texts("late") == [] and town.texts("boris") == []
    town.clock.advance(minutes=5)
    await town.poll()
    assert town.texts("anna") == []
    (alert,) = await alerts_in(db)
    assert (alert.status, alert.closed_reason) == ("closed", "gone")


async def test_the_bot_already_knows_and_tells_when_it_is_over(town: Town, db: Database):
    chat, fake = town.chat, town.fake
    quiet_feeds(fake)
    fake.publish(ARCGIS, arcgis(), "application/json")
    await town.poll()
    await chat.say("/start", user="cleo")
    await chat.tap("English", user="cleo")
    await chat.say("/report", user="cleo")
    await chat.tap("💧 Water and sewers", user="cleo")
    replies = await chat.say(f"/loc {MLADOST[0]} {MLADOST[1]}", user="cleo")
    known = replies[-1]
    assert "We already know about this. Sofiyska Voda reports for this place:" in known.text
    assert "Спряно водоподаване" in known.text and "Until 18:00 on 27.11." in known.text
    assert [b.label for b in known.all_buttons] == [
        "🔔 Tell me when it is over",
        "📝 File a report anyway",
    ]
    (thanks,) = await chat.tap("🔔 Tell me when it is over", user="cleo")
    assert thanks.text.startswith("🔔 We will send you a message when it is over.")
    (mydata,) = await chat.say("/mydata", user="cleo")
    assert mydata.document is not None
    told = json.loads(mydata.document.data)["alerts"]["told_when_over"]
    assert [(t["feed"], t["alert"]) for t in told] == [("voda", "SV-2026-0451")]

    # Someone else files anyway: the usual next step (the description).
    await chat.say("/start", user="dan")
    await chat.tap("English", user="dan")
    await chat.say("/report", user="dan")
    await chat.tap("💧 Water and sewers", user="dan")
    await chat.say(f"/loc {MLADOST[0]} {MLADOST[1]}", user="dan")
    (described,) = await chat.tap("📝 File a report anyway", user="dan")
    assert "describe" in described.text.lower()

    (alert,) = await alerts_in(db)
    assert alert.avoided == 1
    chat.pop("admin")  # the alert's own message to staff
    stats = (await chat.say("/stats", user="admin"))[0].text
    assert f"#{alert.id} 💧 Water supply: reports avoided: 1" in stats
    fake.publish(ARCGIS, arcgis(features=False), "application/json")
    town.clock.advance(minutes=5)
    await town.poll()
    (end,) = town.texts("cleo")
    assert "water is back in your area" in end


# -- review mode, CAP: send, edit, skip, cancel, expiry -----------------------------------------


@pytest.fixture
async def review_town(bot_factory, fake: FakeFeeds, clock: Clock, tmp_path: Path) -> Town:
    return await start_town(bot_factory, fake, clock, tmp_path, "review")


async def test_cap_alerts_wait_for_staff_then_cancel_and_expiry_close_them(
    review_town: Town, db: Database
):
    town, chat, fake = review_town, review_town.chat, review_town.fake
    await subscribe(chat, "anna", topic="🚨 Emergencies", district="Mladost")
    await subscribe(
        chat, "boris", topic="🚨 Бедствия и аварии", language="Български", district="Люлин"
    )
    quiet_feeds(fake)
    publish_atom(fake)
    await town.poll()
    assert town.texts("anna") == []  # nothing without staff
    wind, cold = town.chat.pop("admin")
    assert "New alert #" in wind.text and "is waiting for your decision" in wind.text
    assert "Orange warning for strong wind" in wind.text
    assert "Area: Iskar, Mladost, Studentski" in wind.text
    assert "Severe: it goes out during quiet hours too." in wind.text
    assert "Recipients now: 1" in wind.text
    assert "Area: all of Sofia Municipality" in cold.text and "Recipients now: 2" in cold.text
    assert [b.label for b in cold.all_buttons] == ["✅ Send", "✏️ Edit text", "⏭️ Skip"]

    # The last keyboard is the cold one's: edit its Bulgarian text, then send it.
    await chat.tap("✏️ Edit text", user="admin")
    (preview,) = await chat.say("Внимание: много ниски температури тази нощ.", user="admin")
    assert "Внимание: много ниски температури тази нощ." in preview.text
    assert "Yellow warning for low temperatures" in preview.text  # English as published
    assert [b.label for b in preview.all_buttons] == ["✅ Send", "✏️ Edit text", "⏭️ Skip"]
    (sent,) = await chat.tap("✅ Send", user="admin")
    assert "is going out to 2 recipients" in sent.text
    await town.app.notices.tick()
    await town.app.delivery.drain()
    (bg,) = town.texts("boris")
    assert "Внимание: много ниски температури тази нощ." in bg
    (en,) = town.texts("anna")
    assert "Yellow warning for low temperatures" in en and "Source: NIMH via MeteoAlarm" in en
    (again,) = await chat.tap("✅ Send", user="admin")
    assert "no longer waiting for a decision (already sent)" in again.text

    # The wind warning: sent through its own buttons (payload of the first message).
    alerts = await alerts_in(db)
    wind_alert = next(a for a in alerts if a.severity == "Severe")
    await chat.push(button(chat, "admin", f"fa:send:{wind_alert.id}"))
    await town.app.notices.tick()
    await town.app.delivery.drain()
    (wind_en,) = town.texts("anna")
    assert "Orange warning for strong wind" in wind_en
    assert town.texts("boris") == []

    # CAP Cancel of the wind warning: the end, once, to anna.
    cancel = (
        fixture("cap_polygon.xml")
        .replace("1421MLD</identifier>", "1421MLDX</identifier>")
        .replace(
            "<msgType>Alert</msgType>",
            "<msgType>Cancel</msgType><references>meteoalarm@meteo.bg,"
            "2.49.0.0.100.0.BG.261127090000.1421MLD,2026-11-27T11:00:00+02:00</references>",
        )
    )
    fake.publish(CAP_WIND + "-cancel", cancel, "application/cap+xml")
    fake.publish(ATOM, atom_index(fake, CAP_WIND + "-cancel"), "application/atom+xml")
    town.clock.advance(minutes=10)
    await town.poll()
    (ended,) = town.texts("anna")
    assert ended.startswith("✅ 🚨 Emergencies: the warning for your area is over.")
    assert town.texts("boris") == []

    # The cold warning's end (10:00 tomorrow) passes: both told get the end once.
    town.clock.now = datetime(2026, 11, 28, 8, 1, tzinfo=UTC)
    await town.poll()
    assert len(town.texts("anna")) == 1 and len(town.texts("boris")) == 1
    await town.poll()
    assert town.texts("anna") == []
    reasons = sorted((a.closed_reason or "") for a in await alerts_in(db))
    assert reasons == ["cancelled", "expired"]


async def test_skip_keeps_an_alert_from_citizens(review_town: Town, db: Database):
    town, chat = review_town, review_town.chat
    await subscribe(chat, "anna", topic="💧 Water supply", district="Mladost")
    quiet_feeds(town.fake)
    town.fake.publish(ARCGIS, arcgis(), "application/json")
    await town.poll()
    (review,) = chat.pop("admin")
    assert "Area: Mladost" in review.text
    (skipped,) = await chat.tap("⏭️ Skip", user="admin")
    assert "skipped: citizens will not get it" in skipped.text
    await town.poll()
    assert town.texts("anna") == []
    refused = await chat.push(button(chat, "anna", review.all_buttons[0].payload or ""))
    assert "staff only" in refused[0].text


# -- GTFS-Realtime, whole city ------------------------------------------------------------------


async def test_transport_service_alerts_reach_the_whole_city(town: Town):
    chat, fake = town.chat, town.fake
    await subscribe(chat, "anna", topic="🚌 Public transport", district="Mladost")
    await subscribe(chat, "boris", topic="🚌 Градски транспорт", language="Български")
    quiet_feeds(fake)
    texts = {"bg": "Трамвай 5 е с променен маршрут.", "en": "Tram 5 is diverted."}
    fake.publish(GTFS, gtfs(("tm5-detour", texts)), "application/x-protobuf")
    await town.poll()
    (en,) = town.texts("anna")
    assert "Tram 5 is diverted." in en and "Until 16:00 on 27.11." in en
    (bg,) = town.texts("boris")
    assert "Трамвай 5 е с променен маршрут." in bg and "До 16:00 ч. на 27.11." in bg

    # Removed from the FeedMessage: over.
    fake.publish(GTFS, gtfs(), "application/x-protobuf")
    town.clock.advance(minutes=5)
    await town.poll()
    assert "the warning for your area is over" in town.texts("anna")[0]


# -- several processes, broken feeds --------------------------------------------------------------


async def test_two_processes_polling_one_feed_send_once(
    bot_factory, fake: FakeFeeds, clock: Clock, tmp_path: Path, db: Database
):
    first = await start_town(bot_factory, fake, clock, tmp_path, "auto")
    chat2 = recording_channel()
    second = await bot_factory(
        [chat2], notice_tick_seconds=0, feed_tick_seconds=0, city=str(tmp_path / "testcity")
    )
    await subscribe(first.chat, "anna", topic="💧 Water supply", district="Mladost")
    quiet_feeds(fake)
    fake.publish(ARCGIS, arcgis(), "application/json")
    polled = await asyncio.gather(first.app.feeds.tick(), second.feeds.tick())
    assert sum(polled) == 4  # each feed polled by one of the two
    assert len(fake.requests_to(ARCGIS)) == 1
    await asyncio.gather(first.app.notices.tick(), second.notices.tick())
    await first.app.delivery.drain()
    await second.delivery.drain()
    assert len(first.texts("anna")) + len(chat2.pop("anna")) == 1
    async with db.sessions() as session:
        rows = (await session.exec(select(Outbox).where(Outbox.kind == "notice"))).all()
    assert len(rows) == 1


async def test_a_broken_feed_is_shown_and_logged_once_per_change(
    town: Town, db: Database, caplog: pytest.LogCaptureFixture
):
    fake = town.fake
    quiet_feeds(fake)
    fake.down.add(ARCGIS)
    caplog.set_level(logging.WARNING, logger="scheduler.feeds")
    await town.poll()
    town.clock.advance(minutes=5)
    await town.poll()  # again after the interval; then the pause doubles
    town.clock.advance(minutes=5)
    await town.poll()
    assert len(fake.requests_to(ARCGIS)) == 2
    town.clock.advance(minutes=6)
    await town.poll()
    assert len(fake.requests_to(ARCGIS)) == 3
    failing = [r for r in caplog.records if "fails" in r.getMessage()]
    assert len(failing) == 1 and "HTTP 503" in failing[0].getMessage()
    async with db.sessions() as session:
        state = await session.get(FeedState, "voda")
    assert state is not None and state.failures == 3 and state.last_error == "HTTP 503"
    # The other feeds were polled all along.
    assert len(fake.requests_to(GTFS)) == 4

    stats = (await town.chat.say("/stats", user="admin"))[0]
    assert "voda: failing since" in stats.text and "HTTP 503" in stats.text

    fake.down.clear()
    town.clock.advance(minutes=30)
    await town.poll()
    assert any("works again" in r.getMessage() for r in caplog.records)
    async with db.sessions() as session:
        state = await session.get(FeedState, "voda")
    assert state is not None and state.failures == 0


# -- quiet hours, open data, metrics --------------------------------------------------------------


async def test_quiet_hours_wait_unless_severe_and_open_data_shows_what_is_in_force(
    bot_factory, fake: FakeFeeds, clock: Clock, tmp_path: Path
):
    clock.now = datetime(2026, 11, 27, 21, 0, tzinfo=UTC)  # 23:00 in Sofia: quiet hours
    pack = write_pack(tmp_path, fake, "auto")
    chat = recording_channel()
    app = await bot_factory(
        [chat], web=True, notice_tick_seconds=0, feed_tick_seconds=0, city=str(pack)
    )
    town = Town(app, chat, fake, clock)
    await subscribe(chat, "anna", topic="🚧 Roads and traffic", district="Mladost")
    quiet_feeds(fake)
    fake.publish(
        ROADS,
        roadworks(("sink", "Severe", MLADOST), ("lane", "Moderate", MLADOST)),
        "application/geo+json",
    )
    tram = gtfs(("tm5", {"en": "Tram 5 is diverted."}), period=False)
    fake.publish(GTFS, tram, "application/x-protobuf")
    await town.poll()
    (severe,) = town.texts("anna")
    assert "Roadworks sink: a lane is closed." in severe
    clock.now = datetime(2026, 11, 28, 5, 1, tzinfo=UTC)  # 07:01: the quiet hours are over
    await app.notices.tick()
    await app.delivery.drain()
    (held,) = town.texts("anna")
    assert "Roadworks lane: a lane is closed." in held

    async with aiohttp.ClientSession() as http:
        async with http.get(f"{app.web.url}/opendata/alerts.geojson") as response:
            assert response.status == 200
            assert response.content_type == "application/geo+json"
            data = await response.json(content_type=None)
        async with http.get(f"{app.web.url}/metrics") as response:
            metrics = await response.text()
    by_source = {f["properties"]["source_id"]: f for f in data["features"]}
    assert set(by_source) == {"sink", "lane", "tm5"}
    sink = by_source["sink"]
    assert sink["geometry"]["type"] == "Polygon"
    assert sink["properties"]["districts"] == ["15"]
    assert sink["properties"]["attribution_en"] == "Sofia Municipality"
    assert sink["properties"]["licence"] == "CC BY 4.0"
    assert sink["properties"]["ends_at"] == "2026-11-28T16:00:00Z"
    assert sink["properties"]["text_bg"] == "Ремонт sink: затворено платно."
    tram = by_source["tm5"]
    assert tram["geometry"] is None and tram["properties"]["whole_city"] is True
    assert 'citizenbot_feed_items{feed="roads"} 2.0' in metrics
    assert 'citizenbot_feed_failures{feed="voda"} 0.0' in metrics
    assert 'citizenbot_feed_last_success_timestamp_seconds{feed="roads"} 1.7' in metrics


async def test_a_feed_that_does_not_answer_times_out(
    bot_factory, fake: FakeFeeds, clock: Clock, tmp_path: Path, db: Database
):
    pack = write_pack(tmp_path, fake, timeout=1)
    chat = recording_channel()
    app = await bot_factory([chat], notice_tick_seconds=0, feed_tick_seconds=0, city=str(pack))
    quiet_feeds(fake)
    fake.hang.add(ARCGIS)
    await app.feeds.tick()
    async with db.sessions() as session:
        state = await session.get(FeedState, "voda")
    assert state is not None and state.last_error == "timed out" and state.failures == 1
    assert len(fake.requests_to(GTFS)) == 1  # the others were polled all the same
    await chat.say("/start", user="admin")
    await chat.tap("English", user="admin")
    stats = (await chat.say("/stats", user="admin"))[0].text
    assert "voda: failing since 27 Nov 2026, 12:00 (no answer in time)" in stats
