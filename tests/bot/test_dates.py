"""Dates and times as people type them (bot/dates.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.dates import parse_date, parse_time, parse_when

TZ = ZoneInfo("Europe/Sofia")


def test_typed_dates_and_times():
    tz = TZ
    now = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)  # Friday 12:00 in Sofia

    def when(text: str) -> str:
        got = parse_when(text, now=now, tz=tz)
        return got if isinstance(got, str) else got.astimezone(tz).strftime("%d.%m.%Y %H:%M")

    assert when("28.11 18:30") == "28.11.2026 18:30"
    assert when("28.11.2026 18:30") == "28.11.2026 18:30"
    assert when("28.11.26 18.30") == "28.11.2026 18:30"
    assert when("утре 9:00") == "28.11.2026 09:00"
    assert when("Tomorrow 9:00") == "28.11.2026 09:00"
    assert when("днес в 18:00 ч.") == "27.11.2026 18:00"
    assert when("18:00") == "27.11.2026 18:00"
    assert when("05.01 8:00") == "05.01.2027 08:00"  # no year: the next such date
    assert when("27.11 11:59") == "past"
    assert when("26.11.2026 18:00") == "past"
    assert when("29.02.2027 10:00") == "date"
    assert when("28.03.2027 3:30") == "gap"  # the clocks jump from 3:00 to 4:00
    assert when("31.10.2027 3:30") == "31.10.2027 03:30"  # the first of the two
    assert when("later") == "format"
    assert when("вчера 9:00") == "format"
    assert when("28.11 25:00") == "format"
    assert parse_date("31.12.2026", now=now, tz=tz) == datetime(2026, 12, 31).date()
    assert parse_date("1.1", now=now, tz=tz) == datetime(2027, 1, 1).date()
    assert parse_date("31.13", now=now, tz=tz) is None


def test_typed_times():
    assert parse_time("9:30") == (9, 30)
    assert parse_time("23.59") == (23, 59)
    assert parse_time("24:00") is None
    assert parse_time("9") is None
