"""Deadlines in working time: weekends, Bulgarian public holidays (3 March, Orthodox Easter),
working hours, in the city's zone."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from bot.city import WorkingTime
from bot.domain.deadlines import add_working_days, add_working_hours, due, is_working_day

SOFIA = ZoneInfo("Europe/Sofia")
BG = WorkingTime(start=time(9, 0), end=time(17, 30), holidays="BG")


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=SOFIA)


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 3, 2), True),  # Monday
        (date(2026, 3, 3), False),  # Liberation Day
        (date(2026, 3, 7), False),  # Saturday
        (date(2026, 4, 10), False),  # Orthodox Good Friday (Catholic Easter was 5 April)
        (date(2026, 4, 6), True),  # Catholic Easter Monday: a working day in Bulgaria
        (date(2026, 4, 13), False),  # Orthodox Easter Monday
        (date(2026, 12, 24), False),  # Christmas Eve
        (date(2026, 9, 7), False),  # Unification Day (6 Sep, a Sunday) moved to Monday
    ],
)
def test_working_days(day: date, working: bool):
    assert is_working_day(day, BG) is working


def test_without_holidays_only_weekends_are_off():
    assert is_working_day(date(2026, 3, 3), WorkingTime(holidays=None))


def test_resolve_days_skip_the_weekend():
    # Friday afternoon + 1 working day: the end of Monday.
    assert add_working_days(at(2026, 11, 27, 15, 0), 1, BG, SOFIA) == at(2026, 11, 30, 17, 30)
    # Filed on Saturday: the day of filing never counts, Monday is the first.
    assert add_working_days(at(2026, 11, 28, 10, 0), 1, BG, SOFIA) == at(2026, 11, 30, 17, 30)


def test_resolve_days_skip_3_march():
    # Monday 2 March 2026 + 2 working days: Wednesday 4 and Thursday 5 (3 March is off).
    assert add_working_days(at(2026, 3, 2, 12, 0), 2, BG, SOFIA) == at(2026, 3, 5, 17, 30)


def test_resolve_days_skip_orthodox_easter():
    # Thursday 9 April 2026 + 1: Good Friday 10 and Easter Monday 13 are off → Tuesday 14.
    assert add_working_days(at(2026, 4, 9, 12, 0), 1, BG, SOFIA) == at(2026, 4, 14, 17, 30)


def test_acknowledge_hours_within_a_day_and_across_a_weekend():
    assert add_working_hours(at(2026, 11, 27, 10, 0), 4, BG, SOFIA) == at(2026, 11, 27, 14, 0)
    # Friday 15:00: 2.5 hours left that day, 1.5 on Monday.
    assert add_working_hours(at(2026, 11, 27, 15, 0), 4, BG, SOFIA) == at(2026, 11, 30, 10, 30)
    # Filed at night or at the weekend: counting starts at the next working morning.
    assert add_working_hours(at(2026, 11, 27, 22, 0), 1, BG, SOFIA) == at(2026, 11, 30, 10, 0)
    assert add_working_hours(at(2026, 11, 29, 12, 0), 1, BG, SOFIA) == at(2026, 11, 30, 10, 0)
    assert add_working_hours(at(2026, 11, 30, 7, 0), 1, BG, SOFIA) == at(2026, 11, 30, 10, 0)


def test_acknowledge_hours_across_a_holiday():
    # Monday 2 March 17:00 + 8 hours: 0.5 on Monday, 3 March off, 7.5 on Wednesday.
    assert add_working_hours(at(2026, 3, 2, 17, 0), 8, BG, SOFIA) == at(2026, 3, 4, 16, 30)
    # Thursday 9 April 2026 17:00 + 1 hour: 0.5 that day, then Tuesday 14 April.
    assert add_working_hours(at(2026, 4, 9, 17, 0), 1, BG, SOFIA) == at(2026, 4, 14, 9, 30)


def test_due_takes_an_aware_utc_time_and_answers_in_city_time():
    filed = datetime(2026, 11, 27, 10, 0, tzinfo=ZoneInfo("UTC"))  # 12:00 in Sofia
    when = due(filed, acknowledge_hours=8, resolve_days=10, working=BG, tz=SOFIA)
    assert when.acknowledge_by == at(2026, 11, 30, 11, 30)
    assert when.resolve_by == at(2026, 12, 11, 17, 30)
    assert when.resolve_by.utcoffset() is not None


def test_summer_time_is_kept():
    # 27 March 2026 is a Friday, the clocks go forward on Sunday 29 March.
    end = add_working_days(at(2026, 3, 27, 12, 0), 1, BG, SOFIA)
    assert end == at(2026, 3, 30, 17, 30) and end.utcoffset().total_seconds() == 3 * 3600
