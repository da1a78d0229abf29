"""A city pack: the directory that makes the bot one city's (names, time zone, report ids,
districts, report categories, alert topics). See packs/sofia/README.md for the files."""

from __future__ import annotations

import functools
import re
from dataclasses import KW_ONLY, dataclass, field, replace
from datetime import time
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BeforeValidator, Field, TypeAdapter

from bot.city._parse import CityPackError, Model, Point, Texts, load, problem
from bot.city.bodies import BODIES_FILE, Bodies, Body, load_bodies
from bot.city.catalog import (
    NOTE_TEMPLATES_FILE,
    Category,
    NoteTemplate,
    Topic,
    check_bodies,
    load_categories,
    load_note_templates,
    load_topics,
)
from bot.city.districts import District, DistrictIndex, load_districts
from bot.city.feeds import FEEDS_FILE, FeedConfig, load_feeds
from bot.city.geo import LatLon
from bot.i18n import localized

PACKS_DIR = Path(__file__).parent / "packs"

DEFAULT_POINT_TOLERANCE = 1e-5
"""Degrees (about 1 m): how close to `default_point` counts as "the default location"."""

_PACK_CODE = re.compile(r"[a-z0-9][a-z0-9_-]*")


@dataclass(frozen=True)
class WorkingTime:
    """When the city's bodies work: Monday to Friday from `start` to `end` (city time), except
    the public holidays of `holidays` (an ISO country code the `holidays` library knows, e.g.
    "BG"; None: no holidays). Report deadlines count in it (bot/domain/deadlines.py)."""

    start: time = time(9, 0)
    end: time = time(17, 30)
    holidays: str | None = None


def _zone(value: str) -> ZoneInfo:
    try:
        return ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown timezone {value!r}") from None


def _prefix(value: str) -> str:
    if not re.fullmatch(r"[A-Z]{2,8}", value):
        raise ValueError(f"{value!r} is not 2-8 capital letters A-Z")
    return value


def _clock(value: Any) -> Any:
    if isinstance(value, str):
        try:
            hours, minutes = value.split(":")
            return time(int(hours), int(minutes))
        except ValueError:
            raise ValueError(f"{value!r} is not a time HH:MM") from None
    return value


class _WorkingTime(Model):
    start: Annotated[time, BeforeValidator(_clock)] = time(9, 0)
    end: Annotated[time, BeforeValidator(_clock)] = time(17, 30)
    holidays: Annotated[str, Field(pattern=r"^[A-Z]{2}$")] | None = None


class _CityFile(Model):
    name: Texts
    timezone: Annotated[str, AfterValidator(_zone)]
    report_prefix: Annotated[str, AfterValidator(_prefix)]
    center: Point
    default_point: Point | None = None
    working_time: _WorkingTime = _WorkingTime()


_CITY = TypeAdapter(_CityFile)


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
    bodies: Bodies = field(default_factory=Bodies, compare=False)
    """Who handles reports (bodies.json); routing is bot/domain/routing.py."""
    working_time: WorkingTime = field(default_factory=WorkingTime, compare=False)
    note_templates: tuple[NoteTemplate, ...] = ()
    """Public notes staff may give with a status change (note_templates.json; optional)."""

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

    def body(self, code: str | None) -> Body | None:
        return self.bodies.get(code)

    def note_template(self, code: str) -> NoteTemplate | None:
        return next((t for t in self.note_templates if t.code == code), None)

    def note_templates_for(self, status: str) -> tuple[NoteTemplate, ...]:
        """The templates that suit giving a report `status` (a ReportStatus value), in the
        file's order."""
        return tuple(t for t in self.note_templates if t.suits(status))


def available(packs_dir: Path | None = None) -> list[str]:
    root = packs_dir or PACKS_DIR
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / "city.json").is_file())


def load_city(code: str, packs_dir: Path | None = None, *, lazy_shapes: bool = False) -> CityPack:
    """Load and check the pack `code` from `packs_dir` (default: the packs shipped with the
    bot). `code` may also be the path of a pack's directory (anything with a "/"), which is
    then loaded from there. Takes tens of milliseconds (the district polygons); the shipped
    packs are loaded once per process and shared (a CityPack is immutable). Raises
    CityPackError, one line. `lazy_shapes`: the district polygons are loaded at the first
    lookup and not checked now (for a process whose pack was checked in full already:
    bot/preflight.py)."""
    if packs_dir is None and ("/" in code or code.startswith(".")):
        directory = Path(code).expanduser().resolve()
        return _load(directory.name, directory.parent, lazy_shapes)
    if packs_dir is None:
        return _load_shipped(code, lazy_shapes)
    return _load(code, packs_dir, lazy_shapes)


@functools.cache
def _load_shipped(code: str, lazy_shapes: bool = False) -> CityPack:
    return _load(code, PACKS_DIR, lazy_shapes)


def _load(code: str, packs_dir: Path, lazy_shapes: bool = False) -> CityPack:
    directory = packs_dir / code
    if not _PACK_CODE.fullmatch(code) or not (directory / "city.json").is_file():
        names = ", ".join(available(packs_dir)) or "none"
        raise CityPackError(f"no city pack {code!r} in {packs_dir} (available: {names})")
    pack = replace(
        _city(code, directory, full=not lazy_shapes),
        categories=load_categories(directory / "categories.json"),
        topics=load_topics(directory / "topics.json"),
        district_index=load_districts(directory / "districts.geojson", lazy=lazy_shapes),
    )
    districts = {d.code for d in pack.districts}
    categories = {c.code for c in pack.categories}
    bodies = load_bodies(directory / BODIES_FILE, districts=districts, categories=categories)
    check_bodies(directory / "categories.json", pack.categories, {b.code for b in bodies.bodies})
    pack = replace(
        pack,
        bodies=bodies,
        feeds=load_feeds(
            directory / FEEDS_FILE,
            topics={t.code for t in pack.topics},
            districts=districts,
            categories=categories,
        ),
    )
    pack = replace(
        pack,
        note_templates=load_note_templates(directory / NOTE_TEMPLATES_FILE),
    )
    if not lazy_shapes:
        _check_points_inside(pack, directory / "city.json")
    return pack


def _city(code: str, directory: Path, *, full: bool) -> CityPack:
    """city.json alone (no districts, categories or topics yet). `full`: also that the
    holidays library knows the working time's country (it is imported for that)."""
    path = directory / "city.json"
    city = load(_CITY, path)
    hours = city.working_time
    if hours.end <= hours.start:
        problem(path, ("working_time", "end"), "must be after start")
    if full and hours.holidays is not None:
        from holidays.utils import list_supported_countries

        if hours.holidays not in list_supported_countries():
            reason = f"the holidays library knows no country {hours.holidays!r}"
            problem(path, ("working_time", "holidays"), reason)
    return CityPack(
        code=code,
        names=city.name,
        timezone=city.timezone,  # type: ignore[arg-type]  # the validator made it a ZoneInfo
        report_prefix=city.report_prefix,
        directory=directory,
        center=city.center.pair,
        default_point=city.default_point.pair if city.default_point else None,
        working_time=WorkingTime(hours.start, hours.end, hours.holidays),
    )


def _check_points_inside(pack: CityPack, path: Path) -> None:
    """center and default_point must lie in a district: catches swapped lat/lon."""
    points = {"center": pack.center, "default_point": pack.default_point}
    for key, point in points.items():
        if point is not None and not pack.contains(*point):
            problem(path, (key,), f"{point} is outside every district (lat and lon swapped?)")
