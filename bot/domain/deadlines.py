"""Report deadlines in working time: Monday to Friday within the city's working hours, public
holidays excepted (the `holidays` library: Bulgaria's include Orthodox Easter and the days a
holiday on a weekend moves to). Pure functions of a filing time; the city pack says the hours
and the country (city.json `working_time`), the category the lengths (categories.json
`deadlines`).

- acknowledge by: `hours` working hours after filing; a report filed outside working hours
  starts counting at the next working day's start.
- resolve by: the end of the `days`-th working day after the day of filing (the day of filing
  does not count, whatever the hour).

Overdue (open and past a deadline not met) and late (open and past the resolve deadline) are
conditions on the stored deadlines, in SQL, in storage/repos/deadlines.py: every list, filter,
reminder and figure uses those two.

Bulgaria's occasional working Saturdays (a bridge day "worked off") are not modelled: they
only ever make a deadline later than it needed to be, never earlier.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.city import WorkingTime

MAX_DAYS_SEARCHED = 3 * 366  # a safety stop: no calendar has this many days off in a row


@dataclass(frozen=True, slots=True)
class Due:
    acknowledge_by: datetime
    resolve_by: datetime


@functools.lru_cache(maxsize=64)
def _holidays(country: str, year: int) -> frozenset[date]:
    import holidays  # loaded with the first deadline, not at start-up

    return frozenset(holidays.country_holidays(country, years=year).keys())


def is_working_day(day: date, hours: WorkingTime) -> bool:
    if day.weekday() >= 5:
        return False
    return hours.holidays is None or day not in _holidays(hours.holidays, day.year)


def _next_working_day(day: date, hours: WorkingTime) -> date:
    for _ in range(MAX_DAYS_SEARCHED):
        day += timedelta(days=1)
        if is_working_day(day, hours):
            return day
    raise ValueError("no working day within three years")


def _at(day: date, moment: time, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, moment, tzinfo=tz)


def add_working_hours(start: datetime, hours: int, working: WorkingTime, tz: ZoneInfo) -> datetime:
    """`hours` working hours after `start` (aware), as an aware time in `tz`."""
    local = start.astimezone(tz)
    day = local.date()
    if not is_working_day(day, working) or local.time() >= working.end:
        day, clock = _next_working_day(day, working), working.start
    else:
        clock = max(local.time(), working.start)
    left = timedelta(hours=hours)
    while True:
        begin, end = _at(day, clock, tz), _at(day, working.end, tz)
        if begin + left <= end:
            return begin + left
        left -= end - begin
        day, clock = _next_working_day(day, working), working.start


def add_working_days(start: datetime, days: int, working: WorkingTime, tz: ZoneInfo) -> datetime:
    """The end of working hours of the `days`-th working day after the day of `start`."""
    day = start.astimezone(tz).date()
    for _ in range(days):
        day = _next_working_day(day, working)
    return _at(day, working.end, tz)


def due(
    filed_at: datetime,
    *,
    acknowledge_hours: int,
    resolve_days: int,
    working: WorkingTime,
    tz: ZoneInfo,
) -> Due:
    return Due(
        acknowledge_by=add_working_hours(filed_at, acknowledge_hours, working, tz),
        resolve_by=add_working_days(filed_at, resolve_days, working, tz),
    )
