"""What a body receives about a report, gathered once from the report, the city pack and the
settings: names in both languages, links, photos by their names in the photo store."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.city.pack import CityPack
from bot.i18n import LANGUAGES
from bot.web.media import public_photo_url
from storage.models import Report, ReportEvent


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
    # A citizen's "not fixed" (the report reopened): when, in city time, and their words;
    # `photos` are then the photo their answer brought.
    reopened: str | None = None
    reopened_words: str | None = None

    @property
    def map_url(self) -> str | None:
        if self.lat is None or self.lon is None:
            return None
        lat, lon = f"{self.lat:.6f}", f"{self.lon:.6f}"
        return f"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=18/{lat}/{lon}"


def forwarded_report(
    report: Report,
    city: CityPack,
    public_url: str,
    photos: Sequence[str] = (),
    reopening: ReportEvent | None = None,
) -> ForwardedReport:
    """The report as a body receives it; `public_url` is Settings.public_url, `photos` the
    report's photo names in order (storage.repos.reports.photos); with `reopening` (the
    event of a citizen's "not fixed"), the reopening as the body receives it."""
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
        filed=_city_time(report.created_at, city),
        address=report.address,
        district_names={lang: district.name(lang) for lang in LANGUAGES} if district else None,
        lat=report.lat,
        lon=report.lon,
        public_url=f"{base}/open311/v2/requests/{report.public_id}.json",
        photos=tuple(photos),
        photo_urls=tuple(public_photo_url(base, name) for name in photos),
        reopened=_city_time(reopening.at, city) if reopening else None,
        reopened_words=(reopening.note or "") if reopening else None,
    )


def _city_time(at: datetime, city: CityPack) -> str:
    return at.astimezone(city.timezone).strftime("%d.%m.%Y %H:%M")
