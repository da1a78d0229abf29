"""Quiet hours and the daily digest: when a notice to a citizen may go out.

A citizen's quiet window (22:00-07:00 unless they chose otherwise) holds non-urgent notices
and survey invitations until it ends; a citizen who chose a daily digest gets their
non-urgent notices folded into one message at that hour. Times are the city's wall clock.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from storage.models import AlertSettings, Held


def local_instant(day: date, minute: int, tz: ZoneInfo) -> datetime:
    """The UTC instant of `minute` after midnight on `day` in zone `tz`. A wall time that
    happens twice (autumn) is the first; one that does not exist (spring) comes out as late
    as the clocks jumped (03:30 on the last Sunday of March in Sofia is 04:30 summer time)."""
    wall = datetime.combine(day, time(minute // 60, minute % 60))
    return wall.replace(tzinfo=tz).astimezone(UTC)


def quiet_until(now: datetime, tz: ZoneInfo, start: int, end: int) -> datetime | None:
    """When the quiet window [start, end) (minutes after local midnight; it may span
    midnight) ends, if `now` falls inside it; else None. An empty window (start == end)
    is never quiet."""
    if start == end:
        return None
    local = now.astimezone(tz)
    minute = local.hour * 60 + local.minute
    inside = start <= minute < end if start < end else (minute >= start or minute < end)
    if not inside:
        return None
    day = local.date() if minute < end else local.date() + timedelta(days=1)
    return local_instant(day, end, tz)


def next_digest(now: datetime, tz: ZoneInfo, hour: int) -> datetime:
    """The next time it is `hour`:00 in zone `tz`, now included."""
    today = now.astimezone(tz).date()
    at = local_instant(today, hour * 60, tz)
    return at if at >= now else local_instant(today + timedelta(days=1), hour * 60, tz)


def hold(
    settings: AlertSettings | None,
    *,
    urgent: bool,
    now: datetime,
    tz: ZoneInfo,
    digest: bool = True,
) -> tuple[Held | None, datetime]:
    """(held, next_attempt_at) for a notice to a citizen with these settings (None: the
    defaults, quiet hours 22:00-07:00 included). `digest=False` for what a daily digest
    does not carry (survey invitations): only quiet hours hold it."""
    if urgent:
        return None, now
    settings = settings or AlertSettings(citizen_id=0)
    if digest and settings.digest_hour is not None:
        return Held.DIGEST, next_digest(now, tz, settings.digest_hour)
    if settings.quiet_enabled:
        until = quiet_until(now, tz, settings.quiet_from, settings.quiet_to)
        if until is not None:
            return Held.QUIET, until
    return None, now
