"""A report as a body receives it (bot/forwarding/report.py), for the senders' tests."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.city import load_city
from bot.forwarding import ForwardedReport, forwarded_report
from storage.models import Report

CITY = load_city("sofia")
PUBLIC_URL = "https://bot.example.org"
FILED = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


def a_report(photos: tuple[str, ...] = ()) -> ForwardedReport:
    report = Report(
        id=7,
        public_id="SOF-2026-000007",
        city="sofia",
        year=2026,
        seq=7,
        category="sofia-28",
        description="Уличната лампа пред блок 12 не свети от седмица.",
        lat=42.6497,
        lon=23.379,
        address="бул. Александър Малинов 12",
        district="15",
        source="console",
        created_at=FILED,
        updated_at=FILED,
    )
    return forwarded_report(report, CITY, PUBLIC_URL, photos)
