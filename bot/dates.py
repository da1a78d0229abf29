"""Dates and times as people type them, in the city's time: "28.11 18:30", "28.11.2026 18:30",
"утре 9:00" / "tomorrow 9:00", "31.12", "9:30". Used wherever a person types a moment (a
notice's time, a survey's close, an end date); each parse says why a text cannot be used.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.i18n import N_

WHEN_ERRORS = {
    "format": N_("broadcast.when_format"),
    "date": N_("broadcast.when_bad_date"),
    "past": N_("broadcast.when_past"),
    "gap": N_("broadcast.when_gap"),
}
TODAY_WORDS = {"днес", "today"}
TOMORROW_WORDS = {"утре", "tomorrow"}
_WHEN = re.compile(
    r"^(?:(?P<word>[^\W\d_]+)|(?P<d>\d{1,2})\.(?P<m>\d{1,2})(?:\.(?P<y>\d{2}|\d{4}))?)?"
    r"\s*(?:в|at)?\s*(?P<H>\d{1,2})[:.](?P<M>\d{2})\s*(?:ч\.?|h)?$",
    re.IGNORECASE,
)
_DATE = re.compile(r"^(?P<d>\d{1,2})\.(?P<m>\d{1,2})(?:\.(?P<y>\d{2}|\d{4}))?$")
_TIME = re.compile(r"^(?P<H>\d{1,2})[:.](?P<M>\d{2})$")


def to_instant(wall: datetime, tz: ZoneInfo) -> datetime | None:
    """The UTC instant of a city wall-clock time; None if the clocks skip it (spring)."""
    aware = wall.replace(tzinfo=tz)
    instant = aware.astimezone(ZoneInfo("UTC"))
    if instant.astimezone(tz).replace(tzinfo=None) != wall:
        return None
    return instant


def _year(text: str | None, default: int) -> int:
    if not text:
        return default
    return 2000 + int(text) if len(text) == 2 else int(text)


def parse_when(text: str, *, now: datetime, tz: ZoneInfo) -> datetime | str:
    """A typed date and time in city time → a UTC instant, or an error code from
    WHEN_ERRORS. Without a year the next such date is meant; a bare time is today."""
    match = _WHEN.match(" ".join(text.strip().lower().split()))
    if match is None:
        return "format"
    today = now.astimezone(tz).date()
    hour, minute = int(match["H"]), int(match["M"])
    if hour > 23 or minute > 59:
        return "format"
    word = match["word"]
    try:
        if word in TOMORROW_WORDS:
            day = today + timedelta(days=1)
        elif word in TODAY_WORDS or (word is None and match["d"] is None):
            day = today
        elif word is not None:
            return "format"
        else:
            day = date(_year(match["y"], today.year), int(match["m"]), int(match["d"]))
            if match["y"] is None and day < today:
                day = day.replace(year=today.year + 1)
    except ValueError:
        return "date"
    instant = to_instant(datetime.combine(day, time(hour, minute)), tz)
    if instant is None:
        return "gap"
    if instant <= now:
        return "past"
    return instant


def parse_date(text: str, *, now: datetime, tz: ZoneInfo) -> date | None:
    """A typed date ("31.12.2026", "31.12") → the date; None if it is not one. Without a
    year the next such date is meant."""
    match = _DATE.match(text.strip())
    if match is None:
        return None
    today = now.astimezone(tz).date()
    try:
        day = date(_year(match["y"], today.year), int(match["m"]), int(match["d"]))
        if match["y"] is None and day < today:
            day = day.replace(year=today.year + 1)
    except ValueError:
        return None
    return day


def parse_time(text: str) -> tuple[int, int] | None:
    match = _TIME.match(text.strip())
    if match is None or int(match["H"]) > 23 or int(match["M"]) > 59:
        return None
    return int(match["H"]), int(match["M"])
