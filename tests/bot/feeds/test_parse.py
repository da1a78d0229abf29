"""Reading the publications: CAP (per-language info blocks, polygons, circles, geocodes,
updates and cancels keyed by the original), Atom, GTFS-Realtime (built with the bindings),
ArcGIS and GeoJSON; XML attacks refused; areas resolved through the pack's districts."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from google.transit import gtfs_realtime_pb2

from bot.city import load_city
from bot.feeds.alerts import latest
from bot.feeds.area import resolve
from bot.feeds.parse import (
    FeedError,
    parse_arcgis,
    parse_atom,
    parse_cap,
    parse_geojson,
    parse_gtfs_rt,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "feeds"
CITY = load_city("sofia")
METEO = CITY.feed("meteoalarm")
assert METEO is not None


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def test_cap_with_a_polygon():
    item = parse_cap(fixture("cap_polygon.xml"))
    assert item.source_id == "2.49.0.0.100.0.BG.261127090000.1421MLD"
    assert item.severity == "Severe" and not item.cancelled
    assert item.starts_at == datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
    assert item.ends_at == datetime(2026, 11, 27, 18, 0, tzinfo=UTC)
    assert item.texts["bg"].startswith("Оранжев код за силен вятър\nОчаква се вятър")
    assert item.texts["en"].endswith("Keep away from trees and scaffolding.")
    area = resolve(item, METEO, CITY)
    assert area is not None and area.districts == ("14", "15", "16")
    assert area.contains(42.65, 23.38) and not area.contains(42.7135, 23.2660)


def test_cap_with_a_geocode_is_the_districts_the_pack_maps_it_to():
    item = parse_cap(fixture("cap_geocode.xml"))
    assert item.geocodes == ("EMMA_ID:BG411", "NUTS3:BG411")
    area = resolve(item, METEO, CITY)
    assert area is not None and area.geometry is None and len(area.districts) == 24
    one = METEO.model_copy(update={"geocodes": {"EMMA_ID:BG411": ("15",)}})
    area = resolve(item, one, CITY)
    assert area is not None and area.districts[:2] != ("01", "02") and "15" in area.districts
    elsewhere = parse_cap(fixture("cap_geocode.xml").replace(b"BG411", b"BG331"))
    assert resolve(elsewhere, METEO, CITY) is None  # Varna's warning is not Sofia's


def test_cap_circle_update_and_cancel_are_keyed_by_the_original():
    original = "2.49.0.0.100.0.BG.261127090000.1421MLD"
    update = (
        fixture("cap_polygon.xml")
        .replace(b"1421MLD</identifier>", b"1421MLD2</identifier>")
        .replace(
            b"<msgType>Alert</msgType>",
            b"<msgType>Update</msgType><references>meteoalarm@meteo.bg,"
            + original.encode()
            + b",2026-11-27T11:00:00+02:00</references>",
        )
    )
    assert parse_cap(update).source_id == original
    cancel = update.replace(b"<msgType>Update</msgType>", b"<msgType>Cancel</msgType>")
    assert parse_cap(cancel).cancelled
    circle = fixture("cap_polygon.xml").replace(
        b"<polygon>42.640,23.365 42.640,23.395 42.660,23.395 42.660,23.365 42.640,23.365</polygon>",
        b"<circle>42.6977,23.3219 1.5</circle>",
    )
    area = resolve(parse_cap(circle), METEO, CITY)
    assert area is not None and area.contains(42.6977, 23.3319)  # 820 m east
    assert not area.contains(42.6977, 23.35)  # 2,3 km east


def test_xml_attacks_and_wrong_documents_are_refused():
    bomb = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">]>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&lol2;</identifier></alert>"""
    with pytest.raises(FeedError, match="not well-formed XML"):
        parse_cap(bomb)
    with pytest.raises(FeedError, match=r"not a CAP 1\.2"):
        parse_cap(fixture("atom.xml"))
    with pytest.raises(FeedError, match="not an Atom"):
        parse_atom(fixture("cap_polygon.xml"))
    with pytest.raises(FeedError, match="not well-formed"):
        parse_cap(b"<alert")


def test_atom_links_each_entry_to_its_cap_document():
    links = parse_atom(fixture("atom.xml"))
    assert [href.rsplit("/", 1)[1] for _, href in links] == [
        "7f46df70-a824-46e6-a231-47ccd5081154",
        "0b5c1f3e-6a7d-4b43-9d6e-2f8a1c9e7d10",
    ]


def test_gtfs_realtime_service_alerts():
    message = gtfs_realtime_pb2.FeedMessage()
    message.header.gtfs_realtime_version = "2.0"
    entity = message.entity.add()
    entity.id = "a1"
    entity.alert.severity_level = gtfs_realtime_pb2.Alert.SEVERE
    entity.alert.header_text.translation.add(text="Метрото спира.", language="bg")
    entity.alert.header_text.translation.add(text="The metro stops.", language="en")
    entity.alert.description_text.translation.add(text="Поради авария.", language="bg")
    entity.alert.active_period.add(start=1795766400, end=1795795200)
    gone = message.entity.add()
    gone.id = "a2"
    gone.is_deleted = True
    gone.alert.header_text.translation.add(text="Автобус 94")
    message.entity.add(id="v1").vehicle.vehicle.id = "bus-1"  # not an alert
    first, second = parse_gtfs_rt(message.SerializeToString(), language="bg")
    assert first.texts == {"bg": "Метрото спира.\nПоради авария.", "en": "The metro stops."}
    assert first.severity == "Severe" and first.ends_at == datetime(2026, 11, 27, 16, tzinfo=UTC)
    assert second.cancelled and second.texts == {"bg": "Автобус 94"}
    with pytest.raises(FeedError, match="not a GTFS-Realtime"):
        parse_gtfs_rt(b"\xff\xff\xff", language="bg")


def test_arcgis_outages():
    (item,) = parse_arcgis(fixture("arcgis_outages.json"), language="bg")
    assert item.source_id == "SV-2026-0451"
    assert item.texts["bg"].splitlines() == [
        "Авария",
        "ж.к. Младост 1, бл. 1-20",
        "Спряно водоподаване поради авария на водопровод.",
    ]
    assert item.ends_at == datetime(2026, 11, 27, 16, tzinfo=UTC)
    utm = json.loads(fixture("arcgis_outages.json"))
    utm["spatialReference"] = {"wkid": 32635}
    with pytest.raises(FeedError, match="ask for outSR=4326"):
        parse_arcgis(json.dumps(utm).encode(), language="bg")
    with pytest.raises(FeedError, match="ArcGIS error"):
        parse_arcgis(b'{"error": {"code": 400, "message": "Invalid query"}}', language="bg")


def test_geojson_features():
    data = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": 7,
                "geometry": {"type": "Point", "coordinates": [23.38, 42.65]},
                "properties": {"text": "Ремонт", "ends_at": "2026-11-27T18:00:00+02:00"},
            },
            {"type": "Feature", "geometry": None, "properties": {}},  # no id: skipped
        ],
    }
    (item,) = parse_geojson(json.dumps(data).encode(), language="bg")
    assert item.source_id == "7" and item.texts == {"bg": "Ремонт"}
    assert item.ends_at == datetime(2026, 11, 27, 16, tzinfo=UTC)
    with pytest.raises(FeedError, match="not a GeoJSON FeatureCollection"):
        parse_geojson(b"[]", language="bg")


def test_an_index_listing_an_alert_and_its_update_keeps_the_update():
    original = parse_cap(fixture("cap_polygon.xml"))
    update = parse_cap(
        fixture("cap_polygon.xml")
        .replace(b"1421MLD</identifier>", b"1421MLD2</identifier>")
        .replace(
            b"<sent>2026-11-27T11:00:00+02:00</sent>", b"<sent>2026-11-27T13:00:00+02:00</sent>"
        )
        .replace(
            b"<msgType>Alert</msgType>",
            b"<msgType>Update</msgType><references>meteoalarm@meteo.bg,"
            b"2.49.0.0.100.0.BG.261127090000.1421MLD,2026-11-27T11:00:00+02:00</references>",
        )
        .replace(b"2026-11-27T20:00:00+02:00", b"2026-11-27T23:00:00+02:00")
    )
    for order in ([original, update], [update, original]):
        (kept,) = latest(order)
        assert kept.ends_at == datetime(2026, 11, 27, 21, tzinfo=UTC)
