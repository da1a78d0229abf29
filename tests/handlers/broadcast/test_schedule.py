"""When a notice goes out: dates, times and recurrences typed and explained, on SQLite and
PostgreSQL; the scheduler's tick is called by the test."""

from __future__ import annotations

import pytest

from storage.db import Database
from tests.conftest import Clock
from tests.steps import onboard
from tests.steps.notices import (
    WHOLE_CITY,
    City,
    compose,
    outbox_rows,
    sofia,
    subscribe,
    the_notice,
)

REFUSED = "This command is for municipal staff only."
MLADOST = (42.6497, 23.3790)


async def test_at_a_date_and_time(city: City, db: Database, clock: Clock):
    console = city.console
    await subscribe(console, "anna")
    await onboard(console, "admin")
    await compose(console, audience=(WHOLE_CITY,))
    (ask,) = await console.tap("🗓️ At a date and time", user="admin")
    assert ask.text.startswith("When should it go out? Type the date and time (city time)")
    (bad,) = await console.say("soon", user="admin")
    assert bad.text.startswith("We did not understand that.")
    (no_date,) = await console.say("31.02 10:00", user="admin")
    assert no_date.text == "There is no such date. Type it like 28.11 18:30."
    (past,) = await console.say("27.11 9:00", user="admin")
    assert past.text.startswith("That time has passed (it is 27 Nov 2026, 12:00 now).")
    (done,) = await console.say("утре 9:00", user="admin")
    assert done.text.startswith("🗓️ Notice #1 is scheduled for 28 Nov 2026, 09:00.")
    notice = await the_notice(db)
    assert notice.next_run_at == sofia(11, 28, 9) and notice.progress_channel is None

    await city.tick()
    assert await outbox_rows(db) == []
    clock.now = sofia(11, 28, 9)
    await city.tick()
    (row,) = await outbox_rows(db)
    assert row.user_id == "anna"


@pytest.mark.parametrize(
    ("choices", "typed", "cron", "first", "schedule"),
    [
        (("Every day",), "9:00", "0 9 * * *", (11, 28, 9), "every day at 09:00"),
        (
            ("Every week", "Monday"),
            "18:30",
            "30 18 * * 1",
            (11, 30, 18, 30),
            "every week on Monday at 18:30",
        ),
        (("Every month",), "15 8:00", "0 8 15 * *", (12, 15, 8), "every month on day 15 at 08:00"),
        (
            ("⌨️ Custom schedule",),
            "0 9 * * 1-5",
            "0 9 * * 1-5",
            (11, 30, 9),
            "on the schedule “0 9 * * 1-5”",
        ),
    ],
)
async def test_repeating_notices(
    city: City,
    db: Database,
    choices: tuple[str, ...],
    typed: str,
    cron: str,
    first: tuple[int, ...],
    schedule: str,
):
    console = city.console
    await onboard(console, "admin")
    await compose(console, audience=(WHOLE_CITY,))
    await console.tap("🔁 Repeat", user="admin")
    for choice in choices:
        await console.tap(choice, user="admin")
    (until,) = await console.say(typed, user="admin")
    assert until.text.startswith(f"🔁 {schedule}, the first on ")
    (early,) = await console.say("27.11.2026", user="admin")
    assert early.text == "That is before the first notice. Choose a later day."
    (done,) = await console.say("31.12.2026", user="admin")
    assert done.text.startswith(f"🔁 Notice #1: {schedule}. First: ")
    assert "Until: 31 Dec 2026." in done.text
    notice = await the_notice(db)
    assert (notice.recurrence, notice.next_run_at) == (cron, sofia(*first))
    assert notice.ends_at == sofia(1, 1, 0, year=2027)


async def test_repeating_input_is_checked(city: City, db: Database):
    console = city.console
    await onboard(console, "admin")
    await compose(console, audience=(WHOLE_CITY,))
    await console.tap("🔁 Repeat", user="admin")
    await console.tap("⌨️ Custom schedule", user="admin")
    (invalid,) = await console.say("every day", user="admin")
    assert invalid.text.startswith("That is not a valid schedule.")
    (often,) = await console.say("*/5 * * * *", user="admin")
    assert often.text.startswith("That would send more often than once an hour.")
    (never,) = await console.say("0 9 30 2 *", user="admin")
    assert never.text == "That schedule never comes true. Please check it."
    await console.say("0 12 * * 0,6", user="admin")
    (done,) = await console.tap("No end date", user="admin")
    assert done.text.startswith(
        "🔁 Notice #1: on the schedule “0 12 * * 0,6”. "
        "First: 28 Nov 2026, 12:00. Until: no end date."
    )
