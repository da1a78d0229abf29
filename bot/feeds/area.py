"""Which part of the city a feed item covers: its polygons and circles, or its CAP geocodes
through the pack's table (feeds.json `geocodes`: a code → "all" or district codes)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import shapely
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry

from bot.city import CityPack
from bot.city.feeds import FeedConfig
from bot.feeds.parse import FeedItem

PRECISION = 1e-6  # degrees (~0.1 m): stored coordinates are rounded to this grid


@dataclass(frozen=True)
class Area:
    """`geometry` None: the whole city. `districts`: the codes it touches, official order."""

    geometry: BaseGeometry | None
    districts: tuple[str, ...]

    def geojson(self) -> dict[str, Any] | None:
        return None if self.geometry is None else dict(mapping(self.geometry))

    def contains(self, lat: float, lon: float) -> bool:
        return self.geometry is None or self.geometry.intersects(shapely.Point(lon, lat))


def whole_city(city: CityPack) -> Area:
    return Area(None, tuple(d.code for d in city.districts))


def resolve(item: FeedItem, feed: FeedConfig, city: CityPack) -> Area | None:
    """The item's area within the city; None when it lies outside the city (or only names
    places the pack does not map), and the item is none of this city's business."""
    shapes: list[BaseGeometry] = [item.geometry] if item.geometry is not None else []
    mapped = [feed.geocodes[g] for g in item.geocodes if g in feed.geocodes]
    if any(covered == "all" for covered in mapped):
        return whole_city(city)
    for covered in mapped:
        shapes += [g for code in covered if (g := city.district_index.geometry(code)) is not None]
    if not shapes:
        return whole_city(city) if not item.geocodes and item.geometry is None else None
    geometry = shapely.set_precision(shapely.union_all(shapes), PRECISION)
    touched = city.district_index.touching(geometry)
    if not touched:
        return None
    return Area(geometry, tuple(d.code for d in touched))


def stored(area: dict[str, Any] | None, districts: list[str], city: CityPack) -> Area:
    """An Area back from a FeedAlert's columns."""
    if area is None:
        return whole_city(city)
    return Area(shape(area), tuple(districts))
