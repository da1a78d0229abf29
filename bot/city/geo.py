"""Distances on the Earth in metres: "reports within 50 m" and alert radii.

Both functions work on WGS84 latitude/longitude in degrees on a spherical Earth, which is
within 0.5 % of the ellipsoid: plenty for radii of metres to kilometres.
"""

from __future__ import annotations

import math

LatLon = tuple[float, float]
"""A point as (latitude, longitude) in WGS84 degrees; GeoJSON and shapely use (lon, lat)."""

EARTH_RADIUS_M = 6_371_008.8
"""The mean Earth radius (IUGG), in metres."""


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """The great-circle distance between two points, in metres."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlambda = math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def bounding_box(lat: float, lon: float, radius_m: float) -> tuple[float, float, float, float]:
    """(min_lat, min_lon, max_lat, max_lon) around every point within radius_m of (lat, lon).

    Meant as a cheap SQL pre-filter (`lat BETWEEN min_lat AND max_lat AND lon BETWEEN ...`)
    before the exact haversine_m check, so it is never smaller than the circle. It never wraps:
    a circle that reaches a pole or crosses the antimeridian gets the whole longitude range.
    """
    if radius_m < 0 or not math.isfinite(radius_m):
        raise ValueError(f"radius must be a finite number of metres >= 0, not {radius_m!r}")
    angular = radius_m / EARTH_RADIUS_M
    phi = math.radians(lat)
    min_phi, max_phi = phi - angular, phi + angular
    if min_phi <= -math.pi / 2 or max_phi >= math.pi / 2:
        return _clamp_lat(math.degrees(min_phi)), -180.0, _clamp_lat(math.degrees(max_phi)), 180.0
    # The widest longitude offset of a circle of angular radius r is asin(sin r / cos lat),
    # reached north of the centre's latitude: wider than r / cos lat, which would cut it off.
    dlon = math.degrees(math.asin(min(1.0, math.sin(angular) / math.cos(phi))))
    min_lon, max_lon = lon - dlon, lon + dlon
    if min_lon < -180.0 or max_lon > 180.0:
        min_lon, max_lon = -180.0, 180.0
    return math.degrees(min_phi), min_lon, math.degrees(max_phi), max_lon


def _clamp_lat(value: float) -> float:
    return max(-90.0, min(90.0, value))
