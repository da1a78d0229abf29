"""What the console shows for codes: statuses, categories, districts, ages, in the
member's language (the same catalog keys the chat uses for statuses)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.city import CityPack
from bot.domain.report_news import STATUS_KEYS
from bot.i18n import N_, shorten
from bot.web.console.app import Console
from storage.models import Report, ReportStatus

SNIPPET = 140
LANGUAGE_KEYS = {"bg": N_("language_name.bg"), "en": N_("language_name.en")}


def status_label(console: Console, language: str, status: str) -> str:
    return console.t(language, STATUS_KEYS[ReportStatus(status)])


def category_label(city: CityPack, language: str, code: str) -> str:
    category = city.category(code)
    return category.label(language) if category else code


def district_label(console: Console, language: str, code: str | None) -> str:
    district = console.services.city.district(code) if code else None
    return district.name(language) if district else console.t(language, "report.district_unknown")


def age(console: Console, language: str, since: datetime, now: datetime) -> str:
    minutes = max(0, int((now - since).total_seconds() // 60))
    if minutes < 60:
        return console.t(language, "staff.age_minutes", n=minutes)
    if minutes < 48 * 60:
        return console.t(language, "staff.age_hours", n=minutes // 60)
    days = minutes // (24 * 60)
    return console.tn(language, "staff.age_days", days, n=days)


def snippet(text: str) -> str:
    text = " ".join(text.split())
    return shorten(text, SNIPPET)


@dataclass(frozen=True, slots=True)
class Row:
    """A report as a line of the queue."""

    id: int
    public_id: str
    status: str
    status_label: str
    category: str
    district: str
    snippet: str
    address: str
    age: str
    created_at: datetime
    hidden: bool
    reopened: bool  # open again: a citizen said it is not fixed


def row(console: Console, language: str, report: Report, now: datetime) -> Row:
    city = console.services.city
    assert report.id is not None
    return Row(
        id=report.id,
        public_id=report.public_id,
        status=report.status,
        status_label=status_label(console, language, report.status),
        category=category_label(city, language, report.category),
        district=district_label(console, language, report.district),
        snippet=snippet(report.description),
        address=report.address or "",
        age=age(console, language, report.created_at, now),
        created_at=report.created_at,
        hidden=report.hidden,
        reopened=bool(report.reopened) and report.is_open,
    )
