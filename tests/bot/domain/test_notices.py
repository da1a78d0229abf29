"""The notice actions on their own, on both databases: who may create, pause, resume and
cancel (staff, admins and a feed acting as staff; not citizens or an API key), the timing
and audience rules, the audit entries, and the notice scheduler woken for a notice due now."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from bot.domain import notices as domain
from bot.domain.actors import Forbidden
from bot.domain.work import Work
from storage.db import Database
from storage.models import NoticeStatus
from storage.repos import audit
from storage.repos import notices as repo
from tests.bot.domain.people import NOW, People, people

DRAFT = domain.Draft(topic="water", text_bg="Спиране на водата", text_en="Water cut")


async def create_at(work: Work, _world: People) -> Any:
    return await domain.create(work, DRAFT, domain.When.once(NOW + timedelta(hours=2)))


def on_notice(action):
    async def run(work: Work, world: People) -> Any:
        notice = await repo.get(work.session, notice_id=world.ids["notice"])
        assert notice is not None
        return await action(work, notice)

    return run


ACTIONS = {
    "create": create_at,
    "pause": on_notice(domain.pause),
    "cancel": on_notice(domain.cancel),
}
MATRIX = [
    (who, action, "ok" if who in ("clerk", "admin", "setting_admin", "feed") else Forbidden)
    for action in ACTIONS
    for who in ("citizen", "clerk", "admin", "setting_admin", "feed", "api")
]


async def world(db: Database) -> People:
    found = await people(db)
    notice = await found.run("clerk", create_at)
    found.ids["notice"] = notice.id
    return found


@pytest.mark.parametrize(("who", "action", "expected"), MATRIX)
async def test_who_may_create_pause_and_cancel_notices(db: Database, who, action, expected):
    found = await world(db)
    assert await found.attempt(who, ACTIONS[action]) == expected


async def test_a_feed_sends_a_notice_now_and_the_scheduler_is_woken_after_the_commit(
    db: Database,
):
    w = await people(db)

    async def send_now(work: Work, _world: People) -> Any:
        notice = await domain.create(work, DRAFT, domain.When.now())
        assert w.woken == []  # not before the commit
        return notice

    notice = await w.run("feed", send_now)
    assert w.woken == ["notices"]
    assert notice.next_run_at == NOW and notice.created_by is None
    async with db.sessions() as session:
        entry = (await audit.recent(session, limit=1))[0]
    assert (entry.action, entry.actor_ref, entry.detail) == (
        "send",
        "feed:test",
        {"topic": "water"},
    )


async def test_the_timing_rules(db: Database):
    w = await people(db)

    def creating(when: domain.When, draft: domain.Draft = DRAFT):
        async def run(work: Work, _world: People) -> Any:
            return await domain.create(work, draft, when)

        return run

    past = domain.When.once(NOW - timedelta(minutes=1))
    assert await w.attempt("clerk", creating(past)) == "past"
    assert await w.attempt("clerk", creating(domain.When.repeating("*/5 * * * *"))) == (
        "recurrence_too_often"
    )
    assert await w.attempt("clerk", creating(domain.When.repeating("0 9 31 2 *"))) == (
        "recurrence_never"
    )
    assert await w.attempt("clerk", creating(domain.When.repeating("every day"))) == (
        "recurrence_invalid"
    )
    early_end = domain.When.repeating("0 9 * * 1", ends_at=NOW + timedelta(hours=1))
    assert await w.attempt("clerk", creating(early_end)) == "ends_too_early"
    blank = domain.Draft(topic="water", text_bg="   ")
    assert await w.attempt("clerk", creating(domain.When.now(), blank)) == "no_text"
    for audience, refused in (
        ({"kind": "districts", "districts": []}, "no_district"),
        ({"kind": "districts", "districts": ["15", "nowhere"]}, "no_district"),
        ({"kind": "radius", "lat": 41.0, "lon": 23.3, "radius_m": 1000}, "pin_outside"),
        ({"kind": "radius", "lat": 42.65, "lon": 23.38, "radius_m": 50_000}, "bad_radius"),
        ({"kind": "radius", "lat": "x", "lon": 23.38, "radius_m": 1000}, "no_pin"),
    ):
        draft = domain.Draft(topic="water", text_bg="Текст", audience=audience)
        assert await w.attempt("clerk", creating(domain.When.now(), draft)) == refused
    daily = await w.run("clerk", creating(domain.When.repeating("0 9 * * *")))
    assert daily.recurrence == "0 9 * * *" and daily.next_run_at > NOW
    assert w.woken == []  # nothing is due now


async def test_pause_resume_and_cancel_keep_to_the_notice_state(db: Database):
    w = await world(db)
    assert await w.attempt("clerk", on_notice(domain.resume)) == "not_paused"
    assert await w.attempt("clerk", on_notice(domain.pause)) == "ok"
    assert await w.attempt("clerk", on_notice(domain.pause)) == "not_scheduled"
    w.now = NOW + timedelta(days=3)  # past the one-off's expiry while paused
    assert await w.attempt("clerk", on_notice(domain.resume)) == "too_late"
    w.now = NOW
    assert await w.attempt("clerk", on_notice(domain.resume)) == "ok"
    assert await w.attempt("clerk", on_notice(domain.cancel)) == "ok"
    assert await w.attempt("clerk", on_notice(domain.cancel)) == "finished"
    async with db.sessions() as session:
        notice = await repo.get(session, notice_id=w.ids["notice"])
        actions = [e.action for e in await audit.recent(session, limit=10)]
    assert notice is not None and notice.status == NoticeStatus.CANCELLED.value
    assert actions[:4] == ["cancel", "resume", "pause", "schedule"]
