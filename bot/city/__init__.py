"""City packs: what makes the bot one city's (names, time zone, districts, report categories,
alert topics). `load_city("sofia")` gives the CityPack; see packs/sofia/README.md."""

from __future__ import annotations

from bot.city._parse import CityPackError
from bot.city.bodies import Bodies, Body, BodyKind
from bot.city.catalog import DISTRICT_BODY, Category, Deadlines, NoteTemplate, Topic
from bot.city.districts import District
from bot.city.geo import LatLon, bounding_box, haversine_m
from bot.city.pack import PACKS_DIR, CityPack, WorkingTime, available, load_city
from bot.i18n import LANGUAGES

__all__ = [
    "DISTRICT_BODY",
    "LANGUAGES",
    "PACKS_DIR",
    "Bodies",
    "Body",
    "BodyKind",
    "Category",
    "CityPack",
    "CityPackError",
    "Deadlines",
    "District",
    "LatLon",
    "NoteTemplate",
    "Topic",
    "WorkingTime",
    "available",
    "bounding_box",
    "haversine_m",
    "load_city",
]
