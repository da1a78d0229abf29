"""City packs: what makes the bot one city's (names, time zone, districts, report categories,
alert topics). `load_city("sofia")` gives the CityPack; see packs/sofia/README.md."""

from __future__ import annotations

from bot.city._parse import LANGUAGES, CityPackError
from bot.city.catalog import Category, Topic
from bot.city.districts import District
from bot.city.geo import LatLon, bounding_box, haversine_m
from bot.city.pack import PACKS_DIR, CityPack, available, load_city

__all__ = [
    "LANGUAGES",
    "PACKS_DIR",
    "Category",
    "CityPack",
    "CityPackError",
    "District",
    "LatLon",
    "Topic",
    "available",
    "bounding_box",
    "haversine_m",
    "load_city",
]
