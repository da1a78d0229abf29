"""A city pack: the directory that makes the bot one city's (names, time zone, report ids,
districts, report categories, alert topics). See packs/sofia/README.md for the files."""

from __future__ import annotations

import functools
import re
from dataclasses import KW_ONLY, dataclass, field, replace
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.city._parse import (
    CityPackError,
    as_lat_lon,
    as_object,
    as_text,
    as_texts,
    fail,
    localized,
    optional,
    problems_in,
    read_json,
)
from bot.city.catalog import Category, Topic, load_categories, load_topics
from bot.city.districts import District, DistrictIndex, load_districts
from bot.city.feeds import FEEDS_FILE, FeedConfig, load_feeds
from bot.city.geo import LatLon

PACKS_DIR = Path(__file__).parent / "packs"

DEFAULT_POINT_TOLERANCE = 1e-5
"""Degrees (about 1 m): how close to `default_point` counts as "the default location"."""

_PACK_CODE = re.compile(r"[a-z0-9][a-z0-9_-]*")
_REPORT_PREFIX = re.compile(r"[A-Z]{2,8}")
_CITY_KEYS = {"name", "timezone", "report_prefix", "center", "default_point"}


@dataclass(frozen=True)
class CityPack:
    code: str
    names: dict[str, str]
    timezone: ZoneInfo
    report_prefix: str
    directory: Path
    _: KW_ONLY
    center: LatLon
    """(lat, lon) to centre maps on and to use in examples."""
    default_point: LatLon | None = None
    """Where reports land when nobody set a location (Sofia: the municipality's building)."""
    categories: tuple[Category, ...] = ()
    topics: tuple[Topic, ...] = ()
    district_index: DistrictIndex = field(
        default_factory=lambda: DistrictIndex([], []), repr=False, compare=False
    )
    feeds: tuple[FeedConfig, ...] = ()
    """The official sources polled for live alerts (feeds.json; optional)."""

    def name(self, language: str | None) -> str:
        return localized(self.names, language)

    # districts

    @property
    def districts(self) -> tuple[District, ...]:
        """In official order."""
        return self.district_index.districts

    def district(self, code: str) -> District | None:
        return next((d for d in self.districts if d.code == code), None)

    def district_at(self, lat: float, lon: float) -> District | None:
        """The district containing (lat, lon); on a shared border, the first in official
        order; None outside the city."""
        return self.district_index.district_at(lat, lon)

    def contains(self, lat: float, lon: float) -> bool:
        """Whether (lat, lon) is inside (or on the border of) the city."""
        return self.district_at(lat, lon) is not None

    def is_default_point(self, lat: float, lon: float) -> bool:
        """Whether (lat, lon) is the pack's default point: a location nobody really chose."""
        if self.default_point is None:
            return False
        d_lat, d_lon = self.default_point
        tolerance = DEFAULT_POINT_TOLERANCE
        return abs(lat - d_lat) <= tolerance and abs(lon - d_lon) <= tolerance

    # what citizens choose from

    def category(self, code: str) -> Category | None:
        return next((c for c in self.categories if c.code == code), None)

    def topic(self, code: str) -> Topic | None:
        return next((t for t in self.topics if t.code == code), None)

    def feed(self, feed_id: str) -> FeedConfig | None:
        return next((f for f in self.feeds if f.id == feed_id), None)


def available(packs_dir: Path | None = None) -> list[str]:
    root = packs_dir or PACKS_DIR
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / "city.json").is_file())


def load_city(code: str, packs_dir: Path | None = None) -> CityPack:
    """Load and check the pack `code` from `packs_dir` (default: the packs shipped with the
    bot). `code` may also be the path of a pack's directory (anything with a "/"), which is
    then loaded from there. Takes tens of milliseconds (the district polygons); the shipped
    packs are loaded once per process and shared (a CityPack is immutable). Raises
    CityPackError, one line."""
    if packs_dir is None and ("/" in code or code.startswith(".")):
        directory = Path(code).expanduser().resolve()
        return _load(directory.name, directory.parent)
    if packs_dir is None:
        return _load_shipped(code)
    return _load(code, packs_dir)


@functools.cache
def _load_shipped(code: str) -> CityPack:
    return _load(code, PACKS_DIR)


def _load(code: str, packs_dir: Path) -> CityPack:
    directory = packs_dir / code
    if not _PACK_CODE.fullmatch(code) or not (directory / "city.json").is_file():
        names = ", ".join(available(packs_dir)) or "none"
        raise CityPackError(f"no city pack {code!r} in {packs_dir} (available: {names})")
    pack = replace(
        _city(code, directory),
        categories=load_categories(directory / "categories.json"),
        topics=load_topics(directory / "topics.json"),
        district_index=load_districts(directory / "districts.geojson"),
    )
    pack = replace(
        pack,
        feeds=load_feeds(
            directory / FEEDS_FILE,
            topics={t.code for t in pack.topics},
            districts={d.code for d in pack.districts},
            categories={c.code for c in pack.categories},
        ),
    )
    _check_points_inside(pack, directory / "city.json")
    return pack


def _city(code: str, directory: Path) -> CityPack:
    """city.json alone (no districts, categories or topics yet)."""
    path = directory / "city.json"
    raw = read_json(path)
    with problems_in(path):
        city = as_object(raw, "the file", keys=_CITY_KEYS, required=_CITY_KEYS - {"default_point"})
        prefix = as_text(city["report_prefix"], "report_prefix")
        if not _REPORT_PREFIX.fullmatch(prefix):
            fail(f"report_prefix {prefix!r} is not 2-8 capital letters A-Z")
        return CityPack(
            code=code,
            names=as_texts(city["name"], "name"),
            timezone=_zone(city["timezone"]),
            report_prefix=prefix,
            directory=directory,
            center=as_lat_lon(city["center"], "center"),
            default_point=optional(city.get("default_point"), as_lat_lon, "default_point"),
        )


def _zone(value: object) -> ZoneInfo:
    name = as_text(value, "timezone")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        fail(f"unknown timezone {name!r}")


def _check_points_inside(pack: CityPack, path: Path) -> None:
    """center and default_point must lie in a district: catches swapped lat/lon."""
    with problems_in(path):
        points = {"center": pack.center, "default_point": pack.default_point}
        for key, point in points.items():
            if point is not None and not pack.contains(*point):
                fail(f"{key} {point} is outside every district (lat and lon swapped?)")
