"""A city's districts (districts.geojson) and which one a point is in.

The polygons are parsed once at load into shapely geometries, prepared, and put in an STRtree;
a lookup is then a bounding-box query plus a prepared point-in-polygon test (microseconds).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import shapely
import shapely.affinity
from shapely.errors import ShapelyError
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from bot.city._parse import (
    LANGUAGES,
    as_code,
    as_int,
    as_list,
    as_object,
    as_text,
    check_unique,
    fail,
    localized,
    optional,
    problems_in,
    read_json,
)
from bot.city.geo import EARTH_RADIUS_M


@dataclass(frozen=True)
class District:
    """One district; `code` is its stable id (Sofia: "01".."24", the official number)."""

    code: str
    number: int
    names: Mapping[str, str] = field(compare=False)
    population: int | None = field(default=None, compare=False)

    def name(self, language: str | None) -> str:
        return localized(self.names, language)


class DistrictIndex:
    """Districts in official order with their polygons, for point lookups."""

    __slots__ = ("_geometries", "_tree", "districts")

    def __init__(self, districts: Sequence[District], geometries: Sequence[BaseGeometry]) -> None:
        if len(districts) != len(geometries):
            raise ValueError("one geometry per district")
        self.districts: tuple[District, ...] = tuple(districts)
        self._geometries = tuple(geometries)
        shapely.prepare(list(self._geometries))
        self._tree = shapely.STRtree(list(self._geometries))

    def district_at(self, lat: float, lon: float) -> District | None:
        """The district containing the point, or None outside them all. A point on a border
        shared by several districts belongs to the one that comes first in official order."""
        if not (math.isfinite(lat) and math.isfinite(lon)):
            return None
        point = shapely.Point(lon, lat)
        for i in sorted(self._tree.query(point).tolist()):
            if self._geometries[i].intersects(point):  # prepared: fast, and borders count
                return self.districts[i]
        return None

    def touching_circle(self, lat: float, lon: float, radius_m: float) -> list[District]:
        """The districts (in official order) that the circle of radius_m around (lat, lon)
        touches: for alerts to "everyone within 2 km of here". The circle is a 64-sided
        polygon in local degrees, within 0.2 % of the true one."""
        if not (math.isfinite(lat) and math.isfinite(lon) and math.isfinite(radius_m)):
            return []
        if radius_m <= 0:
            district = self.district_at(lat, lon)
            return [district] if district else []
        dlat = math.degrees(radius_m / EARTH_RADIUS_M)
        xfact = 1 / max(math.cos(math.radians(lat)), 1e-6)
        circle = shapely.affinity.scale(shapely.Point(lon, lat).buffer(dlat, 16), xfact=xfact)
        hits = self._tree.query(circle, predicate="intersects").tolist()
        return [self.districts[i] for i in sorted(hits)]

    def geometry(self, code: str) -> BaseGeometry | None:
        """The district's polygon (WGS84, lon/lat)."""
        for district, geometry in zip(self.districts, self._geometries, strict=True):
            if district.code == code:
                return geometry
        return None

    def touching(self, area: BaseGeometry) -> list[District]:
        """The districts (in official order) that `area` (lon/lat) touches."""
        hits = self._tree.query(area, predicate="intersects").tolist()
        return [self.districts[i] for i in sorted(hits)]

    def representative_points(self) -> dict[str, tuple[float, float]]:
        """A point (lat, lon) guaranteed inside each district, by code (for tests and maps)."""
        points = (g.representative_point() for g in self._geometries)
        return {d.code: (p.y, p.x) for d, p in zip(self.districts, points, strict=True)}


def load_districts(path: Path) -> DistrictIndex:
    """districts.geojson: a FeatureCollection of (Multi)Polygons in WGS84 whose properties are
    `code`, `number`, `name_<language>` for every language and optionally
    `population_estimate`."""
    raw = read_json(path)
    with problems_in(path):
        collection = as_object(
            raw, "the file", keys={"type", "name", "features", "crs"}, required={"features"}
        )
        if collection.get("type") != "FeatureCollection":
            fail("is not a GeoJSON FeatureCollection")
        pairs = [_feature(f, i) for i, f in enumerate(as_list(collection["features"], "features"))]
        pairs.sort(key=lambda pair: pair[0].number)
        check_unique([d.code for d, _ in pairs], "district code")
        check_unique([str(d.number) for d, _ in pairs], "district number")
        return DistrictIndex([d for d, _ in pairs], [g for _, g in pairs])


def _feature(value: Any, index: int) -> tuple[District, BaseGeometry]:
    feature = as_object(
        value,
        f"feature #{index + 1}",
        keys={"type", "properties", "geometry", "id"},
        required={"properties", "geometry"},
    )
    props = feature["properties"]
    if not isinstance(props, dict):
        fail(f"feature #{index + 1} has no properties object")
    code = as_code(props.get("code"), f"feature #{index + 1}")
    where = f"district {code!r}"
    names = {lang: props.get(f"name_{lang}") for lang in LANGUAGES}
    district = District(
        code=code,
        number=as_int(props.get("number"), f"{where} number", minimum=1),
        names={lang: as_text(name, f"{where} name_{lang}") for lang, name in names.items()},
        population=optional(props.get("population_estimate"), as_int, f"{where} population"),
    )
    return district, _geometry(feature["geometry"], where)


def _geometry(value: Any, where: str) -> BaseGeometry:
    if not isinstance(value, dict) or value.get("type") not in ("Polygon", "MultiPolygon"):
        fail(f"{where} geometry must be a Polygon or MultiPolygon")
    try:
        geometry = shape(value)
    except (ValueError, TypeError, LookupError, ShapelyError) as exc:
        fail(f"{where} geometry cannot be read: {exc}")
    if geometry.is_empty or not geometry.is_valid:
        fail(f"{where} geometry is invalid: {shapely.is_valid_reason(geometry)}")
    min_lon, min_lat, max_lon, max_lat = geometry.bounds
    if not (-180 <= min_lon <= max_lon <= 180 and -90 <= min_lat <= max_lat <= 90):
        fail(f"{where} geometry is not in WGS84 longitude/latitude degrees")
    return geometry
