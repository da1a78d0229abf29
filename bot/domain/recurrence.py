"""Recurring notices: a 5-field cron expression in city wall time, its next occurrence as a UTC
instant, and whether a recurrence may be used (valid, ever fires, not too often)."""

from __future__ import annotations

import functools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

MIN_INTERVAL = timedelta(hours=1)
"""Recurring notices may not come more often than this (a typo in a cron must not spam)."""
_SEARCH_LIMIT = 10_000
_DOW_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


# -- recurrence ---------------------------------------------------------------------------


def _dow_values(part: str) -> list[int]:
    """One comma-separated item of a cron weekday field with numbers → cron weekday numbers."""
    spec, _, step_text = part.partition("/")
    step = int(step_text) if step_text else 1
    if spec == "*":
        low, high = 0, 6
    elif "-" in spec:
        low_text, high_text = spec.split("-", 1)
        low, high = int(low_text), int(high_text)
    else:
        low = int(spec)
        high = 6 if step_text else low
    if not (0 <= low <= 7 and 0 <= high <= 7 and low <= high and step >= 1):
        raise ValueError(f"bad day of week {part!r}")
    return [value % 7 for value in range(low, high + 1, step)]


def _dow_field(field: str) -> str:
    """Cron's weekday field in APScheduler's terms: APScheduler 3 counts 0 as Monday, cron as
    Sunday, so numbers become names (names mean the same to both)."""
    if field in ("*", "?"):
        return "*"
    parts = []
    for part in field.lower().split(","):
        if any(ch.isdigit() for ch in part.partition("/")[0]) or part.startswith("*/"):
            parts += [_DOW_NAMES[v] for v in _dow_values(part)]
        else:
            parts.append(part)
    return ",".join(dict.fromkeys(parts))


@functools.lru_cache(maxsize=256)
def cron_trigger(expr: str) -> CronTrigger:
    """The trigger of a 5-field cron expression, evaluated on wall-clock time (naive times
    posing as UTC; `next_occurrence` turns them into the city's instants). Raises ValueError
    with the reason when the expression is not valid."""
    fields = expr.split()
    if len(fields) != 5:
        raise ValueError(f"a cron expression has 5 fields, not {len(fields)}")
    fields[4] = _dow_field(fields[4])
    return CronTrigger.from_crontab(" ".join(fields), timezone=UTC)


def next_occurrence(expr: str, after: datetime, tz: ZoneInfo) -> datetime | None:
    """The first occurrence of `expr` (city wall time in `tz`) strictly after `after`, as a
    UTC instant; None if there is none."""
    trigger = cron_trigger(expr)
    wall = after.astimezone(tz).replace(tzinfo=None)
    for _ in range(_SEARCH_LIMIT):
        fire = trigger.get_next_fire_time(None, (wall + timedelta(seconds=1)).replace(tzinfo=UTC))
        if fire is None:
            return None
        wall = fire.replace(tzinfo=None, microsecond=0)
        for fold in (0, 1):  # the first of a repeated time, unless it is already past
            instant = wall.replace(tzinfo=tz, fold=fold).astimezone(UTC)
            if instant > after:
                return instant
    return None


def check_recurrence(expr: str, tz: ZoneInfo, now: datetime) -> str | None:
    """None if `expr` is a usable recurrence, else why not: "invalid" (not cron), "never"
    (no future occurrence) or "too_often" (more often than MIN_INTERVAL)."""
    try:
        first = next_occurrence(expr, now, tz)
    except ValueError:
        return "invalid"
    if first is None:
        return "never"
    later = first
    for _ in range(3):
        following = next_occurrence(expr, later, tz)
        if following is None:
            break
        if following - later < MIN_INTERVAL:
            return "too_often"
        later = following
    return None
