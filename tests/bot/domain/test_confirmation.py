"""Closing the loop on both databases: who may answer "Is it fixed?" (actor × answer →
done, Forbidden or the refusal's code), one answer per question, the current resolution
only, the reopen window, what each answer records, and the question in the news."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import col, select

from bot.domain import confirmation
from bot.domain import reports as domain
from bot.domain.actors import Forbidden
from bot.domain.reports import NewPhoto
from bot.domain.work import Work
from scheduler.payloads import reply_from_payload
from storage.db import Database
from storage.models import Outbox, Report, ReportEvent, ReportPhoto, ReportStatus
from storage.repos import confirmations, reports
from tests.bot.domain.people import NOW, People, people

S = ReportStatus
EXTRA = ("reporter", "follower", "stranger")


class Loop:
    """A report filed by "reporter", followed by "follower", resolved by the clerk."""

    def __init__(self, people: People, report_id: int) -> None:
        self.people = people
        self.report_id = report_id
        self.resolution = 0

    async def on_report(self, who: str, action) -> object:
        async def act(work: Work, _: People) -> object:
            report = await reports.get_for_update(work.session, report_id=self.report_id)
            assert report is not None
            return await action(work, report)

        return await self.people.attempt(who, act)

    async def resolve(self) -> None:
        async def act(work: Work, report: Report) -> None:
            await domain.change_status(work, report, S.RESOLVED, note="Lamp replaced")

        assert await self.on_report("clerk", act) == "ok"
        async with self.people.db.sessions() as session:
            latest = await confirmations.latest_resolution(session, report_id=self.report_id)
            assert latest is not None and latest.id is not None
            self.resolution = latest.id

    async def fixed(self, who: str, resolution: int | None = None) -> object:
        def act(work: Work, report: Report):
            return confirmation.confirm_fixed(work, report, resolution or self.resolution)

        return await self.on_report(who, act)

    async def not_fixed(self, who: str, photos=(), resolution: int | None = None) -> object:
        def act(work: Work, report: Report):
            return confirmation.not_fixed(
                work, report, resolution or self.resolution, "Still dark", photos
            )

        return await self.on_report(who, act)

    async def report(self) -> Report:
        async with self.people.db.sessions() as session:
            report = await reports.get(session, report_id=self.report_id)
            assert report is not None
            return report

    async def events(self) -> list[tuple[str, int | None, str | None]]:
        async with self.people.db.sessions() as session:
            stmt = (
                select(ReportEvent)
                .where(col(ReportEvent.kind).in_(confirmations.ANSWER_KINDS))
                .order_by(col(ReportEvent.id))
            )
            return [(e.kind, e.actor_id, e.note) for e in (await session.exec(stmt)).all()]


@pytest.fixture
async def loop(db: Database) -> Loop:
    them = await people(db, *EXTRA)
    async with db.sessions() as session, session.begin():
        report = await reports.create(
            session,
            city="sofia",
            prefix="SOF",
            category="28",
            description="The street light is out",
            source="console",
            reporter_id=them.ids["reporter"],
            now=NOW,
        )
        await reports.follow(session, report_id=report.id, citizen_id=them.ids["follower"])
    assert report.id is not None
    found = Loop(them, report.id)
    await found.resolve()
    return found


# Actor × answer → what happens: the reporter and a follower answer; anyone else is told it
# is not theirs; a system actor has no say.
MATRIX = {
    "fixed": {
        "reporter": "ok",
        "follower": "ok",
        "stranger": "not_yours",
        "clerk": "not_yours",
        "admin": "not_yours",
        "api": Forbidden,
        "feed": Forbidden,
    },
    "not_fixed": {
        "reporter": "ok",
        "follower": "ok",
        "stranger": "not_yours",
        "clerk": "not_yours",
        "api": Forbidden,
    },
}


@pytest.mark.parametrize(
    ("answer", "who", "expected"),
    [(answer, who, out) for answer, table in MATRIX.items() for who, out in table.items()],
    ids=str,
)
async def test_who_may_answer(loop: Loop, answer: str, who: str, expected: object):
    outcome = await (loop.fixed(who) if answer == "fixed" else loop.not_fixed(who))
    assert outcome == expected
    report = await loop.report()
    if expected != "ok":
        assert (report.status, report.citizen_confirmed, await loop.events()) == (
            S.RESOLVED.value,
            None,
            [],
        )
        return
    by = loop.people.ids[who]
    if answer == "fixed":
        assert (report.status, report.citizen_confirmed) == (S.RESOLVED.value, True)
        assert await loop.events() == [("confirmed", by, None)]
    else:
        assert (report.status, report.citizen_confirmed, report.reopened) == (
            S.ACKNOWLEDGED.value,
            False,
            1,
        )
        assert await loop.events() == [("not_fixed", by, "Still dark")]
    assert report.confirmed_at == NOW


async def test_one_answer_per_question_and_closed_for_good(loop: Loop):
    assert await loop.fixed("follower") == "ok"
    assert await loop.fixed("follower") == "answered_fixed"  # a repeated tap
    assert await loop.fixed("reporter") == "answered_fixed"
    assert await loop.not_fixed("reporter") == "answered_fixed"
    assert await loop.events() == [("confirmed", loop.people.ids["follower"], None)]

    def reopen(work: Work, report: Report):
        return domain.reopen(work, report, "Still dark")

    assert await loop.on_report("reporter", reopen) == "confirmed"  # "Not fixed" no more
    assert (await loop.report()).status == S.RESOLVED.value


async def test_a_not_fixed_answer_reopens_with_the_photo_and_tells_the_others(loop: Loop):
    photo = NewPhoto(name="a" * 32 + ".jpg", width=800, height=600, size=1234)
    too_many = [photo, NewPhoto(name="b" * 32 + ".jpg", width=1, height=1, size=1)]
    assert await loop.not_fixed("follower", too_many) == "too_many_photos"
    assert await loop.not_fixed("follower", [photo]) == "ok"
    assert await loop.not_fixed("reporter") == "answered_not_fixed"
    async with loop.people.db.sessions() as session:
        stored = (await session.exec(select(ReportPhoto))).all()
        rows = (await session.exec(select(Outbox).order_by(col(Outbox.id)))).all()
    assert [p.name for p in stored] == [photo.name]
    told = [
        (row.citizen_id, reply_from_payload(row.payload).text)
        for row in rows
        if "reopened" in reply_from_payload(row.payload).text
    ]
    assert told == [
        (
            loop.people.ids["reporter"],
            "🔁 Report SOF-2026-000001 (28) was reopened: someone who follows it "
            "says the problem is not fixed.\nStatus: Acknowledged.",
        )
    ]


async def test_an_earlier_resolutions_question_is_stale(loop: Loop):
    first = loop.resolution
    assert await loop.not_fixed("reporter") == "ok"
    assert await loop.fixed("follower", resolution=first) == "answered_not_fixed"
    await loop.resolve()
    assert loop.resolution != first
    assert await loop.fixed("follower", resolution=first) == "answered_not_fixed"
    assert await loop.fixed("follower", resolution=loop.resolution + 1000) == "stale"
    assert await loop.fixed("follower") == "ok"  # the new question gets its own answer
    assert [kind for kind, _, _ in await loop.events()] == ["not_fixed", "confirmed"]
    async with loop.people.db.sessions() as session:  # a body's figures count them
        counted = await confirmations.counts(session, report_ids=[loop.report_id])
        assert counted == {"confirmed": 1, "not_fixed": 1}
        assert await confirmations.counts(session, report_ids=[]) == counted | {
            "confirmed": 0,
            "not_fixed": 0,
        }


async def test_not_fixed_has_the_reopen_window_fixed_has_none(loop: Loop):
    loop.people.now = NOW + domain.REOPEN_WINDOW + timedelta(seconds=1)
    assert await loop.not_fixed("reporter") == "too_late"
    assert await loop.fixed("reporter") == "ok"


async def test_the_resolution_news_ask_reporter_and_follower(loop: Loop):
    async with loop.people.db.sessions() as session:
        rows = (await session.exec(select(Outbox).order_by(col(Outbox.id)))).all()
    asked = {}
    for row in rows:
        reply = reply_from_payload(row.payload)
        asked[row.citizen_id] = (reply.text, [(b.label, b.payload) for b in reply.all_buttons])
    rid, res = loop.report_id, loop.resolution
    buttons = [
        ("✅ Yes, it is fixed", f"cf:{rid}:{res}:1"),
        ("❌ No, it is not fixed", f"cf:{rid}:{res}:0"),
        ("📄 Details", f"myo:{rid}"),
    ]
    text = (
        "🔔 Report SOF-2026-000001 (28) — new status: Resolved.\n"
        "💬 From the municipality: Lamp replaced\n"
        "❓ Is it fixed now? Please tell us with the buttons below. If it is not, you can say "
        "so within 14 days."
    )
    ids = loop.people.ids
    assert asked == {ids["reporter"]: (text, buttons), ids["follower"]: (text, buttons)}


async def test_a_hidden_reports_followers_no_longer_answer(loop: Loop):
    def hide(work: Work, report: Report):
        return domain.hide(work, report, "Personal data in the photo")

    assert await loop.on_report("clerk", hide) == "ok"
    assert await loop.fixed("follower") == "not_yours"
    assert await loop.fixed("reporter") == "ok"
