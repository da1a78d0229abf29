"""Responsible bodies in the domain, on both databases: a report is routed when filed; staff act
on their bodies' reports only (actor × action table); acknowledge, assign, internal notes and
reassignment; granting and revoking staff of bodies."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlmodel import select

from bot.city import load_city
from bot.domain import citizens as people
from bot.domain import handling
from bot.domain import reports as domain
from bot.domain.actors import Actor, Forbidden
from bot.domain.bodies import list_filter
from bot.domain.errors import Refused
from bot.domain.reports import NewReport
from bot.domain.work import Work
from bot.i18n import Translator
from storage.db import Database
from storage.models import AuditEntry, Citizen, Outbox, Report, ReportStatus, Role
from storage.repos import bodies, citizens, moderation, reports
from tests.conftest import make_settings

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)  # Friday, 12:00 in Sofia
CITY = load_city("sofia")
SETTINGS = make_settings("sqlite+aiosqlite:///unused.db")
TRANSLATOR = Translator()
S = ReportStatus

# Who is who: "mladost" is staff of Mladost's administration (where the report is), "inspector"
# staff of the inspectorate, "citywide" staff of no body (acts for all), "admin" the admin of the
# ADMINS setting (console:admin; a citizen in the database), "dbadmin" an admin in the database.
STAFF = {"mladost": ["district-15"], "inspector": ["inspectorate"], "citywide": []}
ADMINS = ("admin", "dbadmin")


@dataclass
class World:
    db: Database
    ids: dict[str, int]
    report_id: int

    def actor(self, who: str) -> Actor:
        if who == "api":
            return Actor.machine("open311:test", Role.CITIZEN)
        if who == "feed":
            return Actor.machine("feed:test")
        role = Role.ADMIN if who in ADMINS else Role.STAFF if who in STAFF else Role.CITIZEN
        return Actor.person(self.ids[who], role)

    def work(self, session, actor: Actor) -> Work:
        return Work(
            session=session,
            actor=actor,
            settings=SETTINGS,
            translator=TRANSLATOR,
            city=CITY,
            clock=lambda: NOW,
        )

    async def run(self, who: str, action: Callable[[Work, Report], Awaitable[object]]) -> object:
        async with self.db.sessions() as session, session.begin():
            report = await reports.get_for_update(session, report_id=self.report_id)
            assert report is not None
            return await action(self.work(session, self.actor(who)), report)

    async def report(self) -> Report:
        async with self.db.sessions() as session:
            report = await reports.get(session, report_id=self.report_id)
            assert report is not None
            return report

    async def attempt(self, who: str, action) -> object:
        try:
            await self.run(who, action)
        except Forbidden:
            return Forbidden
        except Refused as refusal:
            return refusal.code
        return "ok"


@pytest.fixture
async def world(db: Database) -> World:
    ids: dict[str, int] = {}
    async with db.sessions() as session, session.begin():
        for who in ("reporter", "mladost", "inspector", "citywide", "admin", "dbadmin"):
            citizen, _ = await citizens.get_or_create_by_identity(
                session, channel="console", user_id=who, language="en", now=NOW
            )
            assert citizen.id is not None
            ids[who] = citizen.id
            if who in STAFF:
                await moderation.set_role(session, citizen=citizen, role=Role.STAFF)
                await bodies.add(session, citizen_id=citizen.id, body_codes=STAFF[who])
            if who == "dbadmin":
                await moderation.set_role(session, citizen=citizen, role=Role.ADMIN)
        world = World(db=db, ids=ids, report_id=0)
        work = world.work(session, world.actor("reporter"))
        new = NewReport(
            category="sofia-28", description="The lamp is out", source="console", district="15"
        )
        report = await domain.file(work, new)
        world.report_id = report.id
    return world


async def test_a_report_is_routed_when_filed(world: World):
    report = await world.report()
    assert report.body_code == "district-15"
    assert report.ack_due_at == datetime(2026, 11, 30, 11, 30, tzinfo=CITY.timezone)
    assert report.resolve_due_at == datetime(2026, 12, 11, 17, 30, tzinfo=CITY.timezone)
    assert (report.acknowledged_at, report.assignee_id) == (None, None)


def resolve(work: Work, report: Report) -> Awaitable[object]:
    return domain.change_status(work, report, S.RESOLVED, note="Lamp replaced")


def hide(work: Work, report: Report) -> Awaitable[object]:
    return domain.hide(work, report, "Personal data in the photo")


def acknowledge(work: Work, report: Report) -> Awaitable[object]:
    return handling.acknowledge(work, report)


def note(work: Work, report: Report) -> Awaitable[object]:
    return handling.add_note(work, report, "Contractor called, comes Monday")


def reassign(work: Work, report: Report) -> Awaitable[object]:
    return handling.reassign(work, report, "inspectorate", "A private lamp on a building")


async def assign_mladost(work: Work, report: Report) -> None:
    """To the one staff member of the report's body (Mladost's)."""
    assert report.body_code is not None
    (member,) = await bodies.members(work.session, body_code=report.body_code)
    await handling.assign(work, report, await work.session.get(Citizen, member))


# Actor × action → "ok", Forbidden or the Refused code. Staff act on their bodies' reports;
# staff of no body and admins on all; citizens and API clients never.
ACTIONS = {
    "resolve": resolve,
    "hide": hide,
    "acknowledge": acknowledge,
    "note": note,
    "assign": assign_mladost,
    "reassign": reassign,
}
EXPECTED = {
    "mladost": "ok",
    "citywide": "ok",
    "admin": "ok",
    "inspector": "other_body",
    "reporter": Forbidden,
    "api": Forbidden,
}


@pytest.mark.parametrize("who", list(EXPECTED))
@pytest.mark.parametrize("action", list(ACTIONS))
async def test_who_may_act_on_a_body_report(world: World, who: str, action: str):
    before = await world.report()
    assert await world.attempt(who, ACTIONS[action]) == EXPECTED[who]
    after = await world.report()
    if EXPECTED[who] != "ok":
        assert (after.status, after.hidden, after.body_code) == (
            before.status,
            before.hidden,
            before.body_code,
        )
        assert (after.acknowledged_at, after.assignee_id) == (None, None)


async def test_staff_bodies_can_come_with_the_actor(world: World):
    async with world.db.sessions() as session, session.begin():
        report = await reports.get_for_update(session, report_id=world.report_id)
        staff = Actor.person(world.ids["inspector"], Role.STAFF, frozenset({"district-15"}))
        await handling.add_note(world.work(session, staff), report, "Seen by the district")


async def test_acknowledge_then_again(world: World):
    await world.run("mladost", acknowledge)
    report = await world.report()
    assert report.status == S.ACKNOWLEDGED.value and report.acknowledged_at == NOW
    assert await world.attempt("mladost", acknowledge) == "stale"


async def test_any_triage_acknowledges(world: World):
    await world.run("mladost", resolve)
    assert (await world.report()).acknowledged_at == NOW


async def test_assign_only_to_staff_of_the_body(world: World):
    async def to(who: str) -> Callable[[Work, Report], Awaitable[None]]:
        async def action(work: Work, report: Report) -> None:
            assignee = await work.session.get(Citizen, world.ids[who])
            await handling.assign(work, report, assignee)

        return action

    assert await world.attempt("mladost", await to("inspector")) == "not_in_body"
    assert await world.attempt("mladost", await to("reporter")) == "not_in_body"
    assert await world.attempt("admin", await to("mladost")) == "ok"
    assert (await world.report()).assignee_id == world.ids["mladost"]
    assert await world.attempt("mladost", await to("mladost")) == "stale"
    # Whoever acts on the body's reports may be assigned them: staff of no body, and admins,
    # those of the ADMINS setting too (their stored role is "citizen": roles.py decides).
    for who in ("citywide", "dbadmin", "admin"):
        assert await world.attempt("mladost", await to(who)) == "ok"
        assert (await world.report()).assignee_id == world.ids[who]


async def test_an_admin_of_the_setting_joins_a_body(world: World):
    """The ADMINS setting's admin is an admin to the domain: `/grant admin BODY` makes them a
    member (told of the body's new reports) without touching the stored role; their role
    itself is the setting's."""

    def change(how, *args):
        async def action(work: Work, report: Report) -> object:
            target = await work.session.get(Citizen, world.ids["admin"])
            return await how(work, target, *args)

        return action

    assert await world.attempt("dbadmin", change(people.grant, Role.ADMIN)) == "admin_by_setting"
    staff = change(people.grant, Role.STAFF, ["district-15"])
    assert await world.attempt("dbadmin", staff) == "admin_by_setting"
    assert await world.attempt("dbadmin", change(people.grant, Role.ADMIN, ["district-15"])) == "ok"
    again = change(people.grant, Role.ADMIN, ["district-15"])
    assert await world.attempt("dbadmin", again) == "already"
    async with world.db.sessions() as session:
        assert await bodies.of_staff(session, citizen_id=world.ids["admin"]) == ["district-15"]
        admin = await session.get(Citizen, world.ids["admin"])
        assert admin is not None and admin.role == Role.CITIZEN.value

    new = NewReport(category="sofia-28", description="Dark again", source="console", district="15")
    async with world.db.sessions() as session, session.begin():
        filed = await domain.file(world.work(session, world.actor("reporter")), new)
        told = (await session.exec(select(Outbox))).all()
    told_ids = {row.citizen_id for row in told if str(filed.public_id) in row.payload["text"]}
    assert told_ids == {world.ids["mladost"], world.ids["admin"]}

    assert await world.attempt("dbadmin", change(people.revoke)) == "admin_by_setting"
    assert await world.attempt("dbadmin", change(people.revoke, ["district-15"])) == "ok"
    async with world.db.sessions() as session:
        assert await bodies.of_staff(session, citizen_id=world.ids["admin"]) == []


async def test_an_internal_note_never_reaches_the_citizen(world: World):
    await world.run("mladost", note)
    async with world.db.sessions() as session:
        found = await reports.notes(session, report_id=world.report_id)
        history = await reports.history(session, report_id=world.report_id)
        queued = (await session.exec(select(Outbox))).all()
    assert [(n.kind, n.text) for n in found] == [("note", "Contractor called, comes Monday")]
    assert [e.kind for e in history] == ["created"]
    # Only the body's staff heard of the report (bot/domain/body_news.py); nobody of the note.
    assert [q.citizen_id for q in queued] == [world.ids["mladost"]]
    assert await world.attempt("mladost", lambda w, r: handling.add_note(w, r, " a ")) == (
        "note_needed"
    )


async def test_reassign_moves_the_report_and_its_rights(world: World):
    def to(code: str, reason: str = "Not ours: a private lamp"):
        return lambda work, report: handling.reassign(work, report, code, reason)

    assert await world.attempt("mladost", to("nowhere")) == "unknown_body"
    assert await world.attempt("mladost", to("district-15")) == "same_body"
    assert await world.attempt("mladost", to("inspectorate", "no")) == "reason_needed"
    await world.run("mladost", acknowledge)
    deadline = (await world.report()).resolve_due_at
    assert await world.attempt("mladost", to("inspectorate")) == "ok"
    report = await world.report()
    assert report.body_code == "inspectorate" and report.resolve_due_at == deadline
    assert await world.attempt("mladost", note) == "other_body"
    assert await world.attempt("inspector", note) == "ok"
    async with world.db.sessions() as session:
        found = await reports.notes(session, report_id=world.report_id)
        audit = (await session.exec(select(AuditEntry).order_by(AuditEntry.id))).all()
    assert (found[0].kind, found[0].body_code) == ("reassigned", "inspectorate")
    assert found[0].text == "Not ours: a private lamp"
    entry = next(a for a in audit if a.action == "reassign")
    assert entry.detail == {"was": "district-15", "to": "inspectorate"}


async def test_a_closed_report_stays_with_its_body(world: World):
    await world.run("mladost", resolve)
    assert await world.attempt("mladost", reassign) == "stale"


async def test_staff_lists_are_of_their_bodies(world: World):
    async with world.db.sessions() as session:
        for who, expected in [
            ("mladost", ["district-15"]),
            ("inspector", ["inspectorate"]),
            ("citywide", None),
            ("admin", None),
        ]:
            work = world.work(session, world.actor(who))
            assert await list_filter(work) == expected
            _, total = await reports.search(session, bodies=expected)
            assert total == (0 if who == "inspector" else 1)
            attention = await reports.needing_attention(session, bodies=expected)
            assert len(attention) == total


async def test_grant_and_revoke_bodies(world: World):
    async def grant(*codes: str):
        async def action(work: Work, report: Report) -> None:
            target = await work.session.get(Citizen, world.ids["reporter"])
            await people.grant(work, target, Role.STAFF, codes)

        return action

    async def revoke(*codes: str):
        async def action(work: Work, report: Report) -> None:
            target = await work.session.get(Citizen, world.ids["reporter"])
            await people.revoke(work, target, codes)

        return action

    async def bodies_of_reporter() -> list[str]:
        async with world.db.sessions() as session:
            return await bodies.of_staff(session, citizen_id=world.ids["reporter"])

    assert await world.attempt("mladost", await grant("district-15")) is Forbidden
    assert await world.attempt("admin", await grant("atlantis")) == "unknown_body"
    assert await world.attempt("admin", await grant("District-15")) == "ok"
    assert await bodies_of_reporter() == ["district-15"]
    assert await world.attempt("admin", await grant("district-15")) == "already"
    assert await world.attempt("admin", await grant("sofiyska-voda")) == "ok"  # a second body
    assert await bodies_of_reporter() == ["district-15", "sofiyska-voda"]
    assert await world.attempt("admin", await revoke("inspectorate")) == "not_member"
    assert await world.attempt("admin", await revoke("district-15")) == "ok"
    assert await world.attempt("admin", await revoke("sofiyska-voda")) == "last_body"
    assert await world.attempt("admin", await revoke()) == "ok"  # the role and every body
    assert await bodies_of_reporter() == []
    async with world.db.sessions() as session:
        reporter = await session.get(Citizen, world.ids["reporter"])
        assert reporter is not None and reporter.role == Role.CITIZEN.value
