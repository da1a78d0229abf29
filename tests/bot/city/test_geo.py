from __future__ import annotations

import math

import pytest

from bot.city import bounding_box, haversine_m

SOFIA = (42.6977, 23.3219)
PLOVDIV = (42.1354, 24.7453)


def test_haversine_sofia_to_plovdiv_is_about_132_km():
    assert haversine_m(*SOFIA, *PLOVDIV) == pytest.approx(132_000, abs=1_000)


def test_haversine_is_symmetric_and_zero_on_the_same_point():
    assert haversine_m(*SOFIA, *SOFIA) == 0
    assert haversine_m(*SOFIA, *PLOVDIV) == pytest.approx(haversine_m(*PLOVDIV, *SOFIA))


def test_haversine_one_degree_of_latitude_is_about_111_km():
    assert haversine_m(42.0, 23.0, 43.0, 23.0) == pytest.approx(111_195, rel=1e-3)


def test_haversine_antipodes():
    assert haversine_m(0, 0, 0, 180) == pytest.approx(math.pi * 6_371_008.8)


@pytest.mark.parametrize("radius", [1, 50, 1_000, 25_000])
def test_bounding_box_holds_the_whole_circle(radius: float):
    lat, lon = SOFIA
    min_lat, min_lon, max_lat, max_lon = bounding_box(lat, lon, radius)
    assert min_lat <= lat <= max_lat and min_lon <= lon <= max_lon
    for bearing in range(0, 360, 5):
        p_lat, p_lon = _destination(lat, lon, radius * 0.999999, bearing)
        assert min_lat <= p_lat <= max_lat and min_lon <= p_lon <= max_lon


def test_bounding_box_of_radius_zero_is_the_point():
    assert bounding_box(*SOFIA, 0) == (*SOFIA, *SOFIA)


def test_bounding_box_is_tight():
    min_lat, min_lon, max_lat, max_lon = bounding_box(*SOFIA, 50)
    assert haversine_m(min_lat, SOFIA[1], max_lat, SOFIA[1]) == pytest.approx(100, rel=1e-6)
    assert haversine_m(SOFIA[0], min_lon, SOFIA[0], max_lon) == pytest.approx(100, rel=1e-3)


def test_bounding_box_near_a_pole_or_the_antimeridian_takes_all_longitudes():
    assert bounding_box(89.9999, 0, 50_000)[1::2] == (-180.0, 180.0)
    assert bounding_box(89.9999, 0, 50_000)[2] == 90.0
    assert bounding_box(0, 179.9999, 1_000)[1::2] == (-180.0, 180.0)


@pytest.mark.parametrize("radius", [-1, math.nan, math.inf])
def test_bounding_box_rejects_a_bad_radius(radius: float):
    with pytest.raises(ValueError, match="radius"):
        bounding_box(*SOFIA, radius)


def _destination(lat: float, lon: float, distance_m: float, bearing_deg: float):
    """The point distance_m from (lat, lon) on the given bearing (spherical Earth)."""
    r = distance_m / 6_371_008.8
    phi, lam, theta = math.radians(lat), math.radians(lon), math.radians(bearing_deg)
    phi2 = math.asin(math.sin(phi) * math.cos(r) + math.cos(phi) * math.sin(r) * math.cos(theta))
    lam2 = lam + math.atan2(
        math.sin(theta) * math.sin(r) * math.cos(phi), math.cos(r) - math.sin(phi) * math.sin(phi2)
    )
    return math.degrees(phi2), math.degrees(lam2)
