"""The report actions on their own, on both databases: who may do what (actor role × action →
done, Forbidden or Refused), the transition table, the reopen window, hiding from the public
but not from the reporter, and the news each action queues."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from bot.city import load_city
from bot.domain import reports as domain
from bot.domain.actors import Actor, Forbidden
from bot.domain.errors import Refused
from bot.domain.reports import NewReport
from bot.domain.work import Work
from bot.i18n import Translator
from scheduler.payloads import reply_from_payload
from storage.db import Database
from storage.models import TRANSITIONS, Outbox, Report, ReportStatus, Role
from storage.repos import api_keys, citizens, reports
from tests.conftest import make_settings

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
S = ReportStatus
CITY = load_city("sofia")
TRANSLATOR = Translator()
SETTINGS = make_settings("sqlite+aiosqlite:///unused.db", reports_per_day=2)


@dataclass
class World:
    """A report filed by `reporter`, followed by `follower`; `stranger` is neither."""

    db: Database
    reporter: int
    follower: int
    stranger: int
    clerk: int
    admin: int
    report_id: int
    now: datetime = NOW

    def work(self, session, actor: Actor) -> Work:
        return Work(
            session=session,
            actor=actor,
            settings=SETTINGS,
            translator=TRANSLATOR,
            city=CITY,
            clock=lambda: self.now,
        )

    def actor(self, who: str) -> Actor:
        roles = {"clerk": Role.STAFF, "admin": Role.ADMIN}
        if who == "api":
            return Actor.machine("open311:test", Role.CITIZEN)
        return Actor.person(getattr(self, who), roles.get(who, Role.CITIZEN))

    async def run(self, who: str, action: Callable[[Work, Report], Awaitable[object]]) -> object:
        """Do `action` as `who` on the report, in a transaction that commits."""
        async with self.db.sessions() as session, session.begin():
            report = await reports.get_for_update(session, report_id=self.report_id)
            assert report is not None
            return await action(self.work(session, self.actor(who)), report)

    async def report(self) -> Report:
        async with self.db.sessions() as session:
            report = await reports.get(session, report_id=self.report_id)
            assert report is not None
            return report

    async def news(self) -> dict[int, list[str]]:
        """Each citizen's queued messages about reports, as they read them."""
        async with self.db.sessions() as session:
            rows = (await session.exec(select(Outbox).order_by(Outbox.id))).all()
        told: dict[int, list[str]] = {}
        for row in rows:
            assert row.citizen_id is not None
            told.setdefault(row.citizen_id, []).append(reply_from_payload(row.payload).text)
        return told


@pytest.fixture
async def world(db: Database) -> World:
    ids = {}
    async with db.sessions() as session, session.begin():
        for who in ("reporter", "follower", "stranger", "clerk", "admin"):
            citizen, _ = await citizens.get_or_create_by_identity(
                session, channel="console", user_id=who, language="en", now=NOW
            )
            ids[who] = citizen.id
        report = await reports.create(
            session,
            city="sofia",
            prefix="SOF",
            category="28",
            description="The street light is out",
            source="console",
            reporter_id=ids["reporter"],
            now=NOW,
        )
        await reports.follow(session, report_id=report.id, citizen_id=ids["follower"])
    return World(db=db, report_id=report.id, **ids)


def resolve(work: Work, report: Report) -> Awaitable[int]:
    return domain.change_status(work, report, S.RESOLVED, note="Lamp replaced")


def reject(work: Work, report: Report) -> Awaitable[int]:
    return domain.change_status(work, report, S.REJECTED, note="Private property")


def hide(work: Work, report: Report) -> Awaitable[None]:
    return domain.hide(work, report, "Personal data in the photo")


def reopen(work: Work, report: Report) -> Awaitable[int]:
    return domain.reopen(work, report, "Still dark")


async def unfollow(work: Work, report: Report) -> None:
    await domain.unfollow(work, report)


# Actor × action → what happens: "ok", Forbidden, or the Refused code. Triage is staff's
# (admins are staff too); "Not fixed" only the reporter's; unfollowing only a follower's.
MATRIX = [
    ("citizen", "resolve", resolve, {"reporter": Forbidden, "follower": Forbidden}),
    ("staff", "resolve", resolve, {"clerk": "ok", "admin": "ok", "api": Forbidden}),
    ("citizen", "reject", reject, {"reporter": Forbidden, "stranger": Forbidden}),
    ("staff", "reject", reject, {"clerk": "ok"}),
    ("citizen", "hide", hide, {"reporter": Forbidden, "stranger": Forbidden}),
    ("staff", "hide", hide, {"clerk": "ok", "admin": "ok", "api": Forbidden}),
    ("anyone", "unfollow", unfollow, {"follower": "ok", "stranger": "unavailable"}),
    ("system", "unfollow", unfollow, {"api": Forbidden}),
]


@pytest.mark.parametrize(
    ("who", "action", "expected"),
    [(who, action, out) for _, _, action, table in MATRIX for who, out in table.items()],
    ids=lambda v: getattr(v, "__name__", str(v)),
)
async def test_who_may_do_what(world: World, who, action, expected):
    if expected == "ok":
        await world.run(who, action)
        return
    if expected is Forbidden:
        with pytest.raises(Forbidden):
            await world.run(who, action)
    else:
        with pytest.raises(Refused) as refused:
            await world.run(who, action)
        assert refused.value.code == expected
    assert (await world.report()).status == S.NEW.value  # nothing changed


@pytest.mark.parametrize("who", ["reporter", "follower", "stranger", "clerk", "api"])
async def test_only_the_reporter_reopens_a_resolved_report(world: World, who):
    await world.run("clerk", resolve)
    if who == "reporter":
        assert await world.run(who, reopen) == 1  # the follower is told
        report = await world.report()
        assert (report.status, report.reopened) == (S.ACKNOWLEDGED.value, 1)
        return
    with pytest.raises(Refused) as refused:
        await world.run(who, reopen)
    assert refused.value.code == "not_yours"


async def test_reopening_has_a_window_and_only_resolved_reports(world: World):
    await world.run("clerk", reject)
    with pytest.raises(Refused, match="rejected"):
        await world.run("reporter", reopen)
    async with world.db.sessions() as session, session.begin():
        report = await reports.get(session, report_id=world.report_id)
        report.status = S.RESOLVED.value  # as if resolved instead, at NOW
    world.now = NOW + domain.REOPEN_WINDOW + timedelta(seconds=1)
    with pytest.raises(Refused) as refused:
        await world.run("reporter", reopen)
    assert (refused.value.code, refused.value.values) == ("too_late", {"days": 14})
    world.now = NOW + domain.REOPEN_WINDOW
    await world.run("reporter", reopen)


async def test_status_changes_follow_the_one_table(world: World):
    """Every change the table allows goes through; every other one is refused as stale."""
    for start in (S.NEW, S.ACKNOWLEDGED, S.IN_PROGRESS, S.RESOLVED):
        for to in ReportStatus:
            async with world.db.sessions() as session, session.begin():
                report = await reports.get(session, report_id=world.report_id)
                report.status = start.value
                work = world.work(session, world.actor("clerk"))
                if to in TRANSITIONS[start] and to is not S.DUPLICATE:
                    await domain.change_status(work, report, to, note="Looked at it")
                    assert report.status == to.value
                    await session.rollback()
                    continue
                with pytest.raises(Refused):
                    await domain.change_status(work, report, to, note="Looked at it")
                await session.rollback()
    assert TRANSITIONS[S.RESOLVED] == TRANSITIONS[S.REJECTED] == TRANSITIONS[S.DUPLICATE] == ()


async def test_rejecting_needs_a_reason_and_a_duplicate_its_original(world: World):
    async def bare_reject(work, report):
        await domain.change_status(work, report, S.REJECTED, note="  ")

    with pytest.raises(Refused, match="reason_needed"):
        await world.run("clerk", bare_reject)

    async def itself(work, report):
        await domain.mark_duplicate(work, report, report)

    with pytest.raises(Refused, match="original_is_itself"):
        await world.run("clerk", itself)


async def test_a_duplicates_people_follow_the_original_and_are_told(world: World):
    async with world.db.sessions() as session, session.begin():
        original = await reports.create(
            session,
            city="sofia",
            prefix="SOF",
            category="28",
            description="Dark street",
            source="console",
            reporter_id=world.stranger,
            now=NOW,
        )

    async def mark(work, report):
        return await domain.mark_duplicate(
            work, report, await reports.get(work.session, report_id=original.id)
        )

    assert await world.run("clerk", mark) == 2
    async with world.db.sessions() as session:
        for who in (world.reporter, world.follower):
            assert await reports.is_follower(session, report_id=original.id, citizen_id=who)
    news = await world.news()
    for who in (world.reporter, world.follower):
        assert news[who] == [
            "🔔 Report SOF-2026-000001 (28) — new status: Duplicate.\nThe same problem is filed "
            "as report SOF-2026-000002; from now on you will get its updates."
        ]


async def test_a_hidden_report_stays_its_reporters(world: World):
    await world.run("clerk", hide)

    async def sees(work, report):
        return await domain.may_see(work, report)

    assert {who: await world.run(who, sees) for who in ("reporter", "follower", "clerk")} == {
        "reporter": True,
        "follower": False,
        "clerk": True,
    }
    news = await world.news()
    assert list(news) == [world.reporter]  # only the reporter hears of the hiding
    assert "Personal data in the photo" in news[world.reporter][0]
    with pytest.raises(Refused, match="stale"):
        await world.run("clerk", hide)
    await world.run("clerk", domain.show)
    assert not (await world.report()).hidden


async def test_filing_counts_a_citizens_day_and_an_api_keys_quota(world: World):
    new = NewReport(category="28", description="Pothole on the corner", source="console")

    async def file(work, report):
        return await domain.file(work, new)

    await world.run("stranger", file)
    await world.run("stranger", file)  # REPORTS_PER_DAY is 2 here
    with pytest.raises(Refused) as refused:
        await world.run("stranger", file)
    assert (refused.value.code, refused.value.values) == ("daily_limit", {"limit": 2})
    with pytest.raises(Forbidden):
        await world.run("api", file)  # a system actor files only for an API key

    async with world.db.sessions() as session, session.begin():
        key, _ = await api_keys.create(session, name="partner", per_minute=1)
    async with world.db.sessions() as session, session.begin():
        key = await session.get(type(key), key.id)
        work = world.work(session, world.actor("api"))
        filed = await domain.file(work, new, api_key=key)
        assert (filed.reporter_id, filed.api_key_id) == (None, key.id)
        with pytest.raises(Refused) as refused:
            await domain.file(work, new, api_key=key)
        assert refused.value.code == "key_per_minute"


async def test_the_news_carry_the_way_on_as_buttons(world: World):
    """The domain writes plain data in the outbox's payload format; the scheduler's reader
    makes the same buttons of it as the chat showed before: "Is it fixed?" ✅ / ❌ to the
    reporter and followers of a resolved report (bot/domain/confirmation.py answers it), "File
    a new report" to the reporter of a rejected one, "Details" to all."""

    async def buttons() -> dict[int, list[tuple[str, str | None]]]:
        async with world.db.sessions() as session:
            rows = (await session.exec(select(Outbox).order_by(Outbox.id))).all()
            for row in rows:
                await session.delete(row)
            await session.commit()
        return {
            row.citizen_id: [
                (b.label, b.payload) for b in reply_from_payload(row.payload).all_buttons
            ]
            for row in rows
        }

    details = ("📄 Details", f"myo:{world.report_id}")
    await world.run("clerk", resolve)
    asked = await buttons()
    assert asked[world.reporter] == asked[world.follower]
    assert [label for label, _ in asked[world.reporter]] == [
        "✅ Yes, it is fixed",
        "❌ No, it is not fixed",
        "📄 Details",
    ]
    assert asked[world.reporter][0][1].startswith(f"cf:{world.report_id}:")
    await world.run("reporter", reopen)
    assert await buttons() == {world.follower: [details]}
    await world.run("clerk", reject)
    assert await buttons() == {
        world.reporter: [("📝 File a new report", "menu:report"), details],
        world.follower: [details],
    }
