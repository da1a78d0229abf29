"""The survey actions on their own, on both databases: who may create, publish, close, make
public, export and invite (staff and admins, and the command line acting as staff; not
citizens or an API key), the rules, the audit entries, and that invitations skip the banned."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import col, select

from bot.domain import citizens as citizens_domain
from bot.domain import surveys as domain
from bot.domain.actors import Forbidden
from bot.domain.errors import Refused
from bot.domain.work import Work
from storage.db import Database
from storage.models import Outbox, SurveyStatus
from storage.repos import audit, citizens
from storage.repos import surveys as repo
from tests.bot.domain.people import NOW, People, people
from tests.bot.surveys.seed import add_survey

PAYLOADS = {lang: {"text": f"Survey ({lang})"} for lang in ("bg", "en")}


def on_survey(action, *args: Any):
    async def run(work: Work, world: People) -> Any:
        survey = await repo.get(work.session, survey_id=world.ids["survey"])
        assert survey is not None
        return await action(work, survey, *args)

    return run


async def create(work: Work, world: People) -> Any:
    survey = await repo.get(work.session, survey_id=world.ids["survey"])
    assert survey is not None
    return await domain.create(
        work,
        definition=survey.definition,
        opens_at=NOW,
        closes_at=NOW + timedelta(days=7),
        publish=False,
    )


async def invite(work: Work, world: People) -> Any:
    survey = await repo.get(work.session, survey_id=world.ids["survey"])
    assert survey is not None
    return await domain.invite(work, survey, domain.audience(work, survey, None), PAYLOADS)


ACTIONS = {
    "create": create,
    "publish": on_survey(domain.publish),
    "close": on_survey(domain.close),
    "public": on_survey(domain.set_public, True),
    "export": on_survey(domain.export),
    "invite": invite,
}
MATRIX = [
    (who, action, "ok" if who in ("clerk", "admin", "setting_admin", "feed") else Forbidden)
    for action in ACTIONS
    for who in ("citizen", "clerk", "admin", "feed", "api")
]


async def world(db: Database) -> People:
    found = await people(db, "resident", "banned")
    found.now = NOW + timedelta(hours=1)  # seed.PARKS is open
    found.ids["survey"] = await add_survey(db)
    async with db.sessions() as session, session.begin():
        for who in ("resident", "banned"):
            await repo.set_opt_in(session, citizen_id=found.ids[who], on=True, now=NOW)

    async def ban(work: Work, w: People) -> Any:
        target = await citizens.get(work.session, citizen_id=w.ids["banned"])
        assert target is not None
        return await citizens_domain.ban(work, target)

    await found.run("admin", ban)
    return found


@pytest.mark.parametrize(("who", "action", "expected"), MATRIX)
async def test_who_may_run_surveys(db: Database, who, action, expected):
    found = await world(db)
    assert await found.attempt(who, ACTIONS[action]) == expected


async def test_invitations_go_once_to_those_who_opted_in_and_never_to_the_banned(db: Database):
    w = await world(db)
    invited = await w.run("clerk", invite)
    assert (invited.citizens, invited.messages) == (1, 1)
    async with db.sessions() as session:
        rows = (await session.exec(select(Outbox).order_by(col(Outbox.id)))).all()
        entry = (await audit.recent(session, limit=1))[0]
    assert [r.citizen_id for r in rows] == [w.ids["resident"]]
    assert (entry.action, entry.detail) == ("invite", {"citizens": 1})
    again = await w.run("clerk", invite)
    assert (again.citizens, again.messages) == (0, 0)


async def test_the_survey_rules(db: Database):
    w = await world(db)
    assert await w.attempt("clerk", on_survey(domain.close)) == "ok"
    assert await w.attempt("clerk", invite) == "not_open"
    async with db.sessions() as session:
        survey = await repo.get(session, survey_id=w.ids["survey"])
    assert survey is not None and survey.status == SurveyStatus.CLOSED.value
    w.now = survey.closes_at
    assert await w.attempt("clerk", on_survey(domain.publish)) == "closed"
    with pytest.raises(Refused):
        domain.check_period(NOW, NOW)
    async with db.sessions() as session:
        actions = [e.action for e in await audit.recent(session, limit=3)]
    assert actions[0] == "close"
