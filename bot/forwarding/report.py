"""What a body receives about a report, gathered once from the report, the city pack and the
settings: names in both languages, links, photos by their names in the photo store."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.city.pack import CityPack
from bot.i18n import LANGUAGES
from bot.web.media import public_photo_url
from storage.models import Report


@dataclass(frozen=True, slots=True)
class ForwardedReport:
    public_id: str  # SOF-2026-000123
    category: str  # the category code (our Open311 service_code)
    category_names: dict[str, str]  # language → name
    description: str
    created_at: datetime  # aware
    filed: str  # when, in city time: 27.11.2026 12:00
    address: str | None
    district_names: dict[str, str] | None  # language → name
    lat: float | None
    lon: float | None
    public_url: str  # the report in our Open311 API (its public page)
    photos: tuple[str, ...] = ()  # names in the photo store
    photo_urls: tuple[str, ...] = ()  # public URLs of the same photos

    @property
    def map_url(self) -> str | None:
        if self.lat is None or self.lon is None:
            return None
        lat, lon = f"{self.lat:.6f}", f"{self.lon:.6f}"
        return f"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=18/{lat}/{lon}"


def forwarded_report(
    report: Report, city: CityPack, public_url: str, photos: Sequence[str] = ()
) -> ForwardedReport:
    """The report as a body receives it; `public_url` is Settings.public_url, `photos` the
    report's photo names in order (storage.repos.reports.photos)."""
    category = city.category(report.category)
    district = city.district(report.district) if report.district else None
    base = public_url.rstrip("/")
    return ForwardedReport(
        public_id=report.public_id,
        category=report.category,
        category_names={
            lang: category.name(lang) if category else report.category for lang in LANGUAGES
        },
        description=report.description,
        created_at=report.created_at,
        filed=report.created_at.astimezone(city.timezone).strftime("%d.%m.%Y %H:%M"),
        address=report.address,
        district_names={lang: district.name(lang) for lang in LANGUAGES} if district else None,
        lat=report.lat,
        lon=report.lon,
        public_url=f"{base}/open311/v2/requests/{report.public_id}.json",
        photos=tuple(photos),
        photo_urls=tuple(public_photo_url(base, name) for name in photos),
    )
