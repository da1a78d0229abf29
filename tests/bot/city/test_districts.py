from __future__ import annotations

import json

import pytest
import shapely
from shapely.geometry import shape

from bot.city import PACKS_DIR, CityPack, District, load_city

GEOJSON = PACKS_DIR / "sofia" / "districts.geojson"


def test_24_districts_in_official_order(sofia: CityPack):
    assert [d.number for d in sofia.districts] == list(range(1, 25))
    assert [d.code for d in sofia.districts] == [f"{n:02d}" for n in range(1, 25)]
    assert sofia.districts[0].name("bg") == "Средец"
    assert sofia.districts[14].name("en") == "Mladost"
    assert sum(d.population or 0 for d in sofia.districts) > 1_000_000


def test_district_by_code(sofia: CityPack):
    mladost = sofia.district("15")
    assert mladost is not None
    assert (mladost.name("bg"), mladost.name("en"), mladost.number) == ("Младост", "Mladost", 15)
    assert sofia.district("15") is mladost
    assert sofia.district("99") is None
    assert sofia.district("") is None


def test_district_name_falls_back_to_bulgarian(sofia: CityPack):
    district = sofia.district("09")
    assert district is not None
    assert district.name("en-GB") == "Lozenets"
    assert district.name("de") == district.name(None) == "Лозенец"


def test_every_districts_representative_point_is_found_in_it(sofia: CityPack):
    points = sofia.district_index.representative_points()
    assert len(points) == 24
    for code, (lat, lon) in points.items():
        assert _code(sofia.district_at(lat, lon)) == code
        assert sofia.contains(lat, lon)


@pytest.mark.parametrize(
    ("lat", "lon", "code"),
    [
        (42.6497, 23.3790, "15"),  # Mladost (1.4 km from its border)
        (42.6735, 23.3300, "09"),  # Lozenets
        (42.6943, 23.3262, "01"),  # the National Theatre: Sredets
        (42.6936, 23.3348, "01"),  # Sofia University: Sredets
        (42.6430, 23.2680, "17"),  # Boyana: Vitosha district
        (42.6260, 23.3100, "17"),  # Dragalevtsi: Vitosha district
        (42.6500, 23.3450, "16"),  # Studentski grad
        (42.7150, 23.2600, "19"),  # Lyulin
        (42.5960, 23.4120, "23"),  # Pancharevo
        (42.6969, 23.33167, "04"),  # the municipality's building, ul. Moskovska: Oborishte
    ],
)
def test_known_places(sofia: CityPack, lat: float, lon: float, code: str):
    assert _code(sofia.district_at(lat, lon)) == code


@pytest.mark.parametrize(
    ("lat", "lon"),
    [
        (42.1354, 24.7453),  # Plovdiv
        (43.2000, 28.5000),  # the Black Sea
        (42.6969, -23.33167),  # the municipality with its longitude's sign flipped
        (23.3219, 42.6977),  # latitude and longitude swapped
        (float("nan"), 23.3219),
        (42.6977, float("inf")),
    ],
)
def test_outside_the_city(sofia: CityPack, lat: float, lon: float):
    assert sofia.district_at(lat, lon) is None
    assert not sofia.contains(lat, lon)


def test_a_point_on_a_shared_border_goes_to_the_lower_numbered_district(sofia: CityPack):
    features = json.loads(GEOJSON.read_text(encoding="utf-8"))["features"]
    sredets, oborishte = (_vertices(features[i]) for i in (0, 3))
    lon, lat = sorted(sredets & oborishte)[0]
    point = shapely.Point(lon, lat)
    assert shape(features[0]["geometry"]).intersects(point)
    assert shape(features[3]["geometry"]).intersects(point)
    assert [_code(sofia.district_at(lat, lon)) for _ in range(3)] == ["01", "01", "01"]


def test_the_center_is_in_sredets(sofia: CityPack):
    assert sofia.center == (42.6966, 23.3236)  # the Largo, by the Presidency
    assert _code(sofia.district_at(*sofia.center)) == "01"


def test_the_classic_centre_point_is_on_the_sredets_oborishte_border(sofia: CityPack):
    """42.6977, 23.3219 (often quoted as Sofia's centre) lies ~1 m inside Oborishte."""
    assert _code(sofia.district_at(42.6977, 23.3219)) == "04"
    assert _code(sofia.district_at(42.6975, 23.3219)) == "01"


def test_default_point(sofia: CityPack):
    assert sofia.default_point == (42.6969, 23.33167)
    assert sofia.is_default_point(42.6969, 23.33167)
    assert sofia.is_default_point(42.696905, 23.331665)
    assert not sofia.is_default_point(42.6970, 23.33167)  # ~11 m north: a real location
    assert not sofia.is_default_point(42.6969, 23.3318)
    assert not sofia.is_default_point(*sofia.center)


def test_an_explicit_directory_loads_the_pack_afresh():
    pack = load_city("sofia", packs_dir=PACKS_DIR)  # an explicit directory is never cached
    assert len(pack.districts) == 24
    assert pack is not load_city("sofia", packs_dir=PACKS_DIR)


def test_shipped_packs_are_loaded_once(sofia: CityPack):
    assert load_city("sofia") is sofia


def _code(district: District | None) -> str | None:
    return district.code if district else None


def _vertices(feature: dict) -> set[tuple[float, float]]:
    polygons = feature["geometry"]["coordinates"]
    return {(x, y) for polygon in polygons for ring in polygon for x, y in ring}
