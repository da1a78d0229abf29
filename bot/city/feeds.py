"""feeds.json: the official sources a city pack polls (weather warnings, transport service
alerts, water outages), checked with pydantic at load. The file is optional; every problem is
one CityPackError line: `<path>: <field>: <reason>`."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, TypeAdapter

from bot.city._parse import load, problem

FEEDS_FILE = "feeds.json"


class FeedType(StrEnum):
    CAP = "cap"  # one CAP 1.2 <alert>
    CAP_ATOM = "cap-atom"  # an Atom index whose entries link CAP documents (MeteoAlarm)
    GTFS_RT = "gtfs-rt"  # a GTFS-Realtime FeedMessage of service alerts
    ARCGIS = "arcgis"  # an ArcGIS REST layer `query` answer (f=json, outSR=4326)
    GEOJSON = "geojson"  # a FeatureCollection


class FeedMode(StrEnum):
    AUTO = "auto"  # sent to citizens at once; staff are told
    REVIEW = "review"  # staff approve, edit or skip each new alert first


class FeedConfig(BaseModel):
    """One feed. `geocodes` maps a CAP geocode, written "<valueName>:<value>" (e.g.
    "NUTS3:BG411"), to the districts it covers: "all" or a list of district codes.
    `report_categories`: report categories for which an active alert of this feed is shown
    to a citizen about to file a report inside its area."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$")]
    type: FeedType
    url: HttpUrl
    topic: Annotated[str, Field(min_length=1, max_length=32)]
    mode: FeedMode = FeedMode.REVIEW
    interval_seconds: Annotated[int, Field(ge=30, le=86_400)]
    timeout_seconds: Annotated[int, Field(ge=1, le=120)] = 20
    headers: dict[str, str] = {}
    attribution: dict[Literal["bg", "en"], str] = {}
    licence: str | None = None
    geocodes: dict[str, Literal["all"] | tuple[str, ...]] = {}
    report_categories: tuple[str, ...] = ()
    language: Literal["bg", "en"] = "bg"
    """The language of a feed's own texts when it does not say (GTFS-RT without a language,
    ArcGIS and GeoJSON attributes)."""

    def attribution_text(self, language: str) -> str:
        return self.attribution.get(language) or self.attribution.get("bg") or self.id  # type: ignore[call-overload]


_FEEDS = TypeAdapter(list[FeedConfig])


def load_feeds(
    path: Path, *, topics: set[str], districts: set[str], categories: set[str]
) -> tuple[FeedConfig, ...]:
    """The pack's feeds; none when the file is absent."""
    if not path.is_file():
        return ()
    feeds = load(_FEEDS, path)
    seen: set[str] = set()
    for i, feed in enumerate(feeds):
        if feed.id in seen:
            problem(path, (i, "id"), f"feed id {feed.id!r} is used twice")
        seen.add(feed.id)
        if feed.topic not in topics:
            problem(path, (i, "topic"), f"unknown topic {feed.topic!r}")
        for code, covered in feed.geocodes.items():
            if ":" not in code:
                problem(path, (i, "geocodes"), f"{code!r} is not <valueName>:<value>")
            unknown = [d for d in covered if d not in districts] if covered != "all" else []
            if unknown:
                problem(path, (i, "geocodes", code), f"unknown district {unknown[0]!r}")
        for category in feed.report_categories:
            if category not in categories:
                problem(path, (i, "report_categories"), f"unknown category {category!r}")
    return tuple(feeds)
