"""Roles, bans and forgetting on their own, on both databases: who may do what (actor ×
action → done, Forbidden or the refusal), the rules on whose role may change and who may be
banned, what a ban hides and an unban shows, and the audit entries."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from bot.domain import citizens as domain
from bot.domain.actors import Forbidden
from bot.domain.errors import Refused
from bot.domain.work import Work
from storage.db import Database
from storage.models import Role
from storage.repos import audit, citizens, reports
from tests.bot.domain.people import NOW, People, people


def on(target: str, action: Callable[..., Awaitable[Any]], *args: Any):
    """The action on the citizen `target`, loaded in the actor's transaction."""

    async def run(work: Work, world: People) -> Any:
        citizen = await citizens.get(work.session, citizen_id=world.ids[target])
        assert citizen is not None
        return await action(work, citizen, *args)

    return run


def forget(work: Work, _world: People) -> Awaitable[Any]:
    return domain.forget(work)


ACTIONS = {
    "grant staff": on("target", domain.grant, Role.STAFF),
    "revoke": on("clerk", domain.revoke),
    "ban": on("target", domain.ban, "spam"),
    "unban": on("banned", domain.unban),
}
# Only admins (of the database or of the ADMINS setting) change roles and bans.
MATRIX = [
    (who, action, "ok" if who in ("admin", "setting_admin") else Forbidden)
    for action in ACTIONS
    for who in ("citizen", "clerk", "admin", "setting_admin", "feed", "api")
]


async def world(db: Database) -> People:
    found = await people(db, "target", "banned")
    await found.run("admin", on("banned", domain.ban))
    return found


@pytest.mark.parametrize(("who", "action", "expected"), MATRIX)
async def test_who_may_change_roles_and_bans(db: Database, who: str, action: str, expected):
    found = await world(db)
    assert await found.attempt(who, ACTIONS[action]) == expected


async def test_the_rules_on_whose_role_changes(db: Database):
    w = await world(db)
    assert await w.attempt("admin", on("admin", domain.revoke)) == "own_role"
    assert await w.attempt("admin", on("setting_admin", domain.revoke)) == "admin_by_setting"
    assert await w.attempt("admin", on("setting_admin", domain.grant, Role.STAFF)) == (
        "admin_by_setting"
    )
    assert await w.attempt("admin", on("banned", domain.grant, Role.STAFF)) == "banned"
    assert await w.attempt("admin", on("clerk", domain.grant, Role.STAFF)) == "already"
    assert await w.attempt("admin", on("target", domain.revoke)) == "no_role"
    assert await w.attempt("admin", on("target", domain.grant, Role.CITIZEN)) == "not_grantable"
    assert await w.attempt("admin", on("target", domain.grant, Role.ADMIN)) == "ok"
    async with db.sessions() as session:
        target = await citizens.get(session, citizen_id=w.ids["target"])
        entries = await audit.recent(session, limit=5)
    assert target is not None and target.role == Role.ADMIN.value
    assert (entries[0].action, entries[0].detail) == ("grant", {"role": "admin", "was": "citizen"})
    assert entries[0].actor_id == w.ids["admin"]


async def test_staff_admins_and_oneself_cannot_be_banned(db: Database):
    w = await world(db)
    assert await w.attempt("admin", on("admin", domain.ban)) == "self"
    assert await w.attempt("admin", on("setting_admin", domain.ban)) == "admin_by_setting"
    assert await w.attempt("admin", on("clerk", domain.ban)) == "privileged"
    assert await w.attempt("admin", on("banned", domain.ban)) == "already"
    assert await w.attempt("admin", on("target", domain.ban, "x" * 201)) == "reason_too_long"
    assert await w.attempt("admin", on("target", domain.unban)) == "not_banned"


async def test_a_ban_hides_the_visible_reports_and_the_unban_shows_them_again(db: Database):
    w = await world(db)
    async with db.sessions() as session, session.begin():
        report = await reports.create(
            session,
            city="sofia",
            prefix="SOF",
            category="28",
            description="The street light is out",
            source="console",
            reporter_id=w.ids["target"],
            now=NOW,
        )
    assert await w.run("admin", on("target", domain.ban, "  spam   again ")) == 1
    async with db.sessions() as session:
        hidden = await reports.get(session, report_id=report.id)
        entry = (await audit.recent(session, limit=1))[0]
    assert hidden is not None and hidden.hidden
    assert entry.action == "ban" and entry.detail["reason"] == "spam again"
    assert entry.detail["hidden"] == 1
    assert await w.run("admin", on("target", domain.unban)) == 1
    async with db.sessions() as session:
        shown = await reports.get(session, report_id=report.id)
    assert shown is not None and not shown.hidden


async def test_staff_are_not_forgotten_while_they_hold_a_role(db: Database):
    w = await world(db)
    with pytest.raises(Refused):
        await w.run("clerk", forget)
    done = await w.run("citizen", forget)
    assert done.identities == 1
    async with db.sessions() as session:
        assert await citizens.get(session, citizen_id=w.ids["citizen"]) is None
