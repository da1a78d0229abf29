"""Quiet hours and digests in city time: the daylight-saving changes, the default window."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.city import load_city
from bot.domain import quiet_hours

TZ = load_city("sofia").timezone


def sofia(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A wall-clock time in Sofia as a UTC instant."""
    return datetime(year, month, day, hour, minute, tzinfo=TZ).astimezone(UTC)


def test_quiet_hours_across_the_daylight_saving_changes():
    # 23:00 on Saturday 28 March 2026; the clocks go forward that night.
    spring = quiet_hours.quiet_until(sofia(2026, 3, 28, 23), TZ, 22 * 60, 7 * 60)
    assert spring == datetime(2026, 3, 29, 4, 0, tzinfo=UTC)  # 07:00 summer time
    autumn = quiet_hours.quiet_until(sofia(2026, 10, 24, 23), TZ, 22 * 60, 7 * 60)
    assert autumn == datetime(2026, 10, 25, 5, 0, tzinfo=UTC)  # 07:00 winter time
    assert quiet_hours.quiet_until(sofia(2026, 3, 29, 6, 59), TZ, 22 * 60, 7 * 60) == spring
    assert quiet_hours.quiet_until(sofia(2026, 3, 29, 7, 0), TZ, 22 * 60, 7 * 60) is None
    assert quiet_hours.quiet_until(sofia(2026, 3, 29, 21, 59), TZ, 22 * 60, 7 * 60) is None
    assert quiet_hours.quiet_until(sofia(2026, 3, 29, 13), TZ, 13 * 60, 14 * 60) == sofia(
        2026, 3, 29, 14
    )
    assert quiet_hours.quiet_until(sofia(2026, 3, 29, 13), TZ, 13 * 60, 13 * 60) is None


def test_a_citizen_without_alert_settings_has_the_default_quiet_hours():
    late = sofia(2026, 11, 27, 23)
    quiet = ("quiet", sofia(2026, 11, 28, 7))
    assert quiet_hours.hold(None, urgent=False, now=late, tz=TZ) == quiet
    assert quiet_hours.hold(None, urgent=True, now=late, tz=TZ) == (None, late)
