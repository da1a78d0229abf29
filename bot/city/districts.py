"""A city's districts (districts.geojson) and which one a point is in.

The polygons are parsed once into shapely geometries, prepared, and put in an STRtree; a lookup
is then a bounding-box query plus a prepared point-in-polygon test (microseconds). With
`lazy=True` (the serving process, whose start-up check of the pack ran in a child process:
bot/preflight.py) the polygons and shapely itself are loaded at the first lookup, not at start
(idle RSS: bench/idle_rss.py).
"""

from __future__ import annotations

import json
import math
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import Field, TypeAdapter

from bot.city._parse import Code, Model, Where, Whole, load, problem, unique, validate
from bot.city.geo import EARTH_RADIUS_M
from bot.i18n import LANGUAGES, localized

if TYPE_CHECKING:
    from shapely import STRtree
    from shapely.geometry.base import BaseGeometry


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
    """Districts in official order with their polygons, for point lookups. `geometries` may be
    a function that gives them: then they are loaded, prepared and indexed at the first
    lookup."""

    __slots__ = ("_geometries", "_load", "_lock", "_tree", "districts")

    def __init__(
        self,
        districts: Sequence[District],
        geometries: Sequence[BaseGeometry] | Callable[[], Sequence[BaseGeometry]],
    ) -> None:
        self.districts: tuple[District, ...] = tuple(districts)
        self._geometries: tuple[BaseGeometry, ...] = ()
        self._tree: STRtree | None = None
        self._lock = threading.Lock()
        self._load: Callable[[], Sequence[BaseGeometry]] | None = None
        if callable(geometries):
            self._load = geometries
        elif len(geometries) != len(self.districts):
            raise ValueError("one geometry per district")
        elif geometries:
            self._index(geometries)
        else:
            self._load = tuple  # no districts: nothing to load shapely for yet

    def _index(self, geometries: Sequence[BaseGeometry]) -> None:
        import shapely

        if len(self.districts) != len(geometries):
            raise ValueError("one geometry per district")
        self._geometries = tuple(geometries)
        shapely.prepare(list(self._geometries))
        self._tree = shapely.STRtree(list(self._geometries))

    def _ready(self) -> STRtree:
        if self._tree is None:
            with self._lock:
                if self._tree is None and self._load is not None:
                    self._index(self._load())
        assert self._tree is not None
        return self._tree

    def district_at(self, lat: float, lon: float) -> District | None:
        """The district containing the point, or None outside them all. A point on a border
        shared by several districts belongs to the one that comes first in official order."""
        if not (math.isfinite(lat) and math.isfinite(lon)):
            return None
        import shapely

        tree = self._ready()
        point = shapely.Point(lon, lat)
        for i in sorted(tree.query(point).tolist()):
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
        import shapely
        import shapely.affinity

        tree = self._ready()
        dlat = math.degrees(radius_m / EARTH_RADIUS_M)
        xfact = 1 / max(math.cos(math.radians(lat)), 1e-6)
        circle = shapely.affinity.scale(shapely.Point(lon, lat).buffer(dlat, 16), xfact=xfact)
        hits = tree.query(circle, predicate="intersects").tolist()
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
        self._ready()
        points = (g.representative_point() for g in self._geometries)
        return {d.code: (p.y, p.x) for d, p in zip(self.districts, points, strict=True)}


class _Properties(Model, extra="allow"):
    """A feature's properties: `code`, `number`, `name_<language>` for every language (checked
    in `_district`), optionally `population_estimate`; other properties are ignored."""

    code: Code
    number: Annotated[Whole, Field(ge=1)]
    population_estimate: Annotated[Whole, Field(ge=0)] | None = None


class _Feature(Model):
    type: Literal["Feature"] = "Feature"
    id: Any = None
    properties: _Properties
    geometry: dict[str, Any] | None


class _Collection(Model):
    type: Literal["FeatureCollection"]
    name: Any = None
    crs: Any = None
    features: Annotated[list[_Feature], Field(min_length=1)]


_COLLECTION = TypeAdapter(_Collection)
_PROPERTIES_LIST = TypeAdapter(list[_Properties])


def load_districts(path: Path, *, lazy: bool = False) -> DistrictIndex:
    """districts.geojson: a FeatureCollection of (Multi)Polygons in WGS84 whose properties are
    `code`, `number`, `name_<language>` for every language and optionally
    `population_estimate`. `lazy` (for a pack checked in full already, bot/preflight.py): the
    districts are read from the features' properties alone, the polygons at the first lookup
    (parsing the coordinates into Python objects only to drop them left some 4 MB resident)."""
    if lazy:
        found = _properties_only(path)
        if found is not None:
            props = validate(_PROPERTIES_LIST, found, path)
            districts = [_district(path, p, ("features", i)) for i, p in enumerate(props)]
            districts.sort(key=lambda d: d.number)
            return DistrictIndex(districts, lambda: load_districts(path)._geometries)
    collection = load(_COLLECTION, path)
    pairs = []
    for i, feature in enumerate(collection.features):
        district = _district(path, feature.properties, ("features", i))
        geometry = _geometry(path, feature.geometry, ("features", i, "geometry"))
        pairs.append((district, geometry))
    unique(path, [d.code for d, _ in pairs], _at("code"), "district code")
    unique(path, [str(d.number) for d, _ in pairs], _at("number"), "district number")
    pairs.sort(key=lambda pair: pair[0].number)
    return DistrictIndex([d for d, _ in pairs], [g for _, g in pairs])


def _at(key: str) -> Callable[[int], Where]:
    return lambda i: ("features", i, "properties", key)


# A feature's flat properties object: {"code": "01", "name_bg": "…", …}, no nested braces.
_PROPERTIES = re.compile(r'"properties"\s*:\s*(\{[^{}]*\})')


def _properties_only(path: Path) -> list[dict[str, Any]] | None:
    """Each feature's properties, without parsing the coordinates; None when the file is not
    in the plain shape this reads (then it is parsed in full)."""
    try:
        text = path.read_text(encoding="utf-8")
        found = [json.loads(m.group(1)) for m in _PROPERTIES.finditer(text)]
    except (OSError, ValueError):
        return None
    if len(found) != text.count('"Feature"') or not all(isinstance(p, dict) for p in found):
        return None
    return found


def _district(path: Path, props: _Properties, at: Where) -> District:
    names: dict[str, str] = {}
    extra = props.model_extra or {}
    for lang in LANGUAGES:
        name = extra.get(f"name_{lang}")
        if not isinstance(name, str) or not name.strip():
            problem(path, (*at, "properties", f"name_{lang}"), "must be a non-empty string")
        names[lang] = name
    return District(
        code=props.code, number=props.number, names=names, population=props.population_estimate
    )


def _geometry(path: Path, value: dict[str, Any] | None, at: Where) -> BaseGeometry:
    if value is None or value.get("type") not in ("Polygon", "MultiPolygon"):
        problem(path, at, "must be a Polygon or MultiPolygon")
    import shapely
    from shapely.errors import ShapelyError
    from shapely.geometry import shape

    try:
        geometry = shape(value)
    except (ValueError, TypeError, LookupError, ShapelyError) as exc:
        problem(path, at, f"cannot be read: {exc}")
    if geometry.is_empty or not geometry.is_valid:
        problem(path, at, f"is invalid: {shapely.is_valid_reason(geometry)}")
    min_lon, min_lat, max_lon, max_lat = geometry.bounds
    if not (-180 <= min_lon <= max_lon <= 180 and -90 <= min_lat <= max_lat <= 90):
        problem(path, at, "is not in WGS84 longitude/latitude degrees")
    return geometry
