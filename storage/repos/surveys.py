"""Surveys, responses and answers; the opt-in to hear about new surveys; invitations.

Counts for results read only completed responses. Invitation audiences reuse the notice
audience rules of storage.repos.notice_audience (topic subscription, places, /stop, opted out).
Like every repo function, these never commit.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, delete, exists, func, or_, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import aliased
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.dialects import pg_insert
from storage.models import (
    AlertPlace,
    AlertSettings,
    ChannelIdentity,
    Citizen,
    PlaceKind,
    Survey,
    SurveyAnswer,
    SurveyInvite,
    SurveyOptIn,
    SurveyResponse,
    SurveyStatus,
)
from storage.repos.notice_audience import Audience, eligible, place_match

RESPONDENT_MIN, RESPONDENT_MAX = 100_000, 999_999
AnswerRow = tuple[str, str | None, str | None]  # (question, value, text)


def _dialect(session: AsyncSession) -> str:
    return session.bind.dialect.name if session.bind else "sqlite"


# -- surveys ------------------------------------------------------------------------------


async def create(
    session: AsyncSession,
    *,
    code: str | None,
    status: SurveyStatus,
    opens_at: datetime,
    closes_at: datetime,
    definition: dict[str, Any],
    public: bool = False,
    districts: Sequence[str] = (),
    languages: Sequence[str] = (),
    source: str = "chat",
    created_by: int | None = None,
    now: datetime,
) -> Survey:
    """A new survey; without a code it gets "chat-<id>"."""
    survey = Survey(
        code=code or f"new-{secrets.token_hex(8)}",
        status=status.value,
        opens_at=opens_at,
        closes_at=closes_at,
        public=public,
        districts=list(districts),
        languages=list(languages),
        definition=definition,
        source=source,
        created_by=created_by,
        created_at=now,
        updated_at=now,
    )
    session.add(survey)
    await session.flush()
    if code is None:
        survey.code = f"chat-{survey.id}"
        session.add(survey)
        await session.flush()
    return survey


async def get(session: AsyncSession, *, survey_id: int) -> Survey | None:
    stmt = select(Survey).where(Survey.id == survey_id).execution_options(populate_existing=True)
    return (await session.exec(stmt)).first()


async def by_code(session: AsyncSession, *, code: str) -> Survey | None:
    return (await session.exec(select(Survey).where(Survey.code == code))).first()


async def find(session: AsyncSession, *, ref: str) -> Survey | None:
    """By number ("12") or by code ("city-services-2026")."""
    ref = ref.strip().lstrip("#")
    if ref.isdigit() and len(ref) <= 9:
        return await get(session, survey_id=int(ref))
    return await by_code(session, code=ref.lower()) if ref else None


async def listed(session: AsyncSession, *, limit: int = 30) -> list[Survey]:
    """The newest surveys first."""
    stmt = select(Survey).order_by(col(Survey.id).desc()).limit(limit)
    return list((await session.exec(stmt)).all())


async def open_now(session: AsyncSession, *, now: datetime) -> list[Survey]:
    """Published surveys open at `now`, closing soonest first (targeting is the caller's)."""
    stmt = (
        select(Survey)
        .where(
            Survey.status == SurveyStatus.PUBLISHED.value,
            col(Survey.opens_at) <= now,
            col(Survey.closes_at) > now,
        )
        .order_by(col(Survey.closes_at), col(Survey.id))
    )
    return list((await session.exec(stmt)).all())


async def has_responses(session: AsyncSession, *, survey_id: int) -> bool:
    stmt = select(SurveyResponse.id).where(SurveyResponse.survey_id == survey_id).limit(1)
    return (await session.exec(stmt)).first() is not None


# -- responses and answers ----------------------------------------------------------------


async def response(
    session: AsyncSession, *, survey_id: int, citizen_id: int
) -> SurveyResponse | None:
    stmt = select(SurveyResponse).where(
        SurveyResponse.survey_id == survey_id, SurveyResponse.citizen_id == citizen_id
    )
    return (await session.exec(stmt)).first()


async def responses_of(
    session: AsyncSession, *, citizen_id: int, survey_ids: Iterable[int]
) -> dict[int, SurveyResponse]:
    ids = list(survey_ids)
    if not ids:
        return {}
    stmt = select(SurveyResponse).where(
        SurveyResponse.citizen_id == citizen_id, col(SurveyResponse.survey_id).in_(ids)
    )
    return {r.survey_id: r for r in (await session.exec(stmt)).all()}


async def start_response(
    session: AsyncSession,
    *,
    survey_id: int,
    citizen_id: int,
    district: str | None,
    now: datetime,
) -> SurveyResponse:
    """A new response with a random respondent number not yet used in this survey."""
    while True:
        number = RESPONDENT_MIN + secrets.randbelow(RESPONDENT_MAX - RESPONDENT_MIN + 1)
        taken = select(SurveyResponse.id).where(
            SurveyResponse.survey_id == survey_id, SurveyResponse.respondent == number
        )
        if (await session.exec(taken)).first() is None:
            break
    row = SurveyResponse(
        survey_id=survey_id,
        citizen_id=citizen_id,
        respondent=number,
        district=district,
        started_at=now,
        updated_at=now,
    )
    session.add(row)
    await session.flush()
    return row


async def answers(session: AsyncSession, *, response_id: int) -> list[AnswerRow]:
    stmt = (
        select(SurveyAnswer.question, SurveyAnswer.value, SurveyAnswer.text)
        .where(SurveyAnswer.response_id == response_id)
        .order_by(col(SurveyAnswer.id))
    )
    return [(q, v, t) for q, v, t in (await session.exec(stmt)).all()]


async def save_answer(
    session: AsyncSession,
    *,
    response: SurveyResponse,
    question: str,
    values: Sequence[str] = (),
    text: str | None = None,
    now: datetime,
) -> None:
    """Replace the response's answer to `question`: one row per value, or one with the text,
    or (neither) one row saying it was skipped."""
    assert response.id is not None
    await delete_answers(session, response_id=response.id, questions=[question])
    rows = [SurveyAnswer(response_id=response.id, question=question, value=v) for v in values]
    if text is not None:
        rows.append(SurveyAnswer(response_id=response.id, question=question, text=text))
    if not rows:
        rows.append(SurveyAnswer(response_id=response.id, question=question))
    session.add_all(rows)
    response.updated_at = now
    session.add(response)
    await session.flush()


async def delete_answers(
    session: AsyncSession, *, response_id: int, questions: Sequence[str] | None = None
) -> None:
    """Delete these answers (None: all of them)."""
    stmt = delete(SurveyAnswer).where(col(SurveyAnswer.response_id) == response_id)
    if questions is not None:
        if not questions:
            return
        stmt = stmt.where(col(SurveyAnswer.question).in_(list(questions)))
    await session.exec(stmt)  # type: ignore[call-overload]


# -- results ------------------------------------------------------------------------------


def _completed(survey_id: int) -> list[ColumnElement[bool]]:
    return [
        col(SurveyResponse.survey_id) == survey_id,
        col(SurveyResponse.completed_at).is_not(None),
    ]


@dataclass
class Tallies:
    """The raw counts of a survey's completed responses; bot.surveys.results makes sense of
    them. District None: not known."""

    responses: int = 0
    started: int = 0  # responses begun and not completed
    by_district: dict[str | None, int] = field(default_factory=dict)
    # (question, value, district) → responses that chose it
    values: dict[tuple[str, str, str | None], int] = field(default_factory=dict)
    # (question, district) → responses that answered it (not skipped)
    answered: dict[tuple[str, str | None], int] = field(default_factory=dict)
    # (question, district) → responses that skipped it
    skipped: dict[tuple[str, str | None], int] = field(default_factory=dict)


async def tallies(session: AsyncSession, *, survey_id: int) -> Tallies:
    out = Tallies()
    by_district = (
        select(SurveyResponse.district, func.count())
        .where(*_completed(survey_id))
        .group_by(col(SurveyResponse.district))
    )
    out.by_district = {d: n for d, n in (await session.exec(by_district)).all()}
    out.responses = sum(out.by_district.values())
    started = select(func.count()).where(
        col(SurveyResponse.survey_id) == survey_id, col(SurveyResponse.completed_at).is_(None)
    )
    out.started = (await session.exec(started)).one()
    joined = (SurveyAnswer.question, SurveyResponse.district)
    base = (
        select(*joined)
        .join(SurveyResponse, col(SurveyResponse.id) == col(SurveyAnswer.response_id))
        .where(*_completed(survey_id))
    )
    values = (
        select(SurveyAnswer.question, SurveyAnswer.value, SurveyResponse.district, func.count())
        .join(SurveyResponse, col(SurveyResponse.id) == col(SurveyAnswer.response_id))
        .where(*_completed(survey_id), col(SurveyAnswer.value).is_not(None))
        .group_by(col(SurveyAnswer.question), col(SurveyAnswer.value), col(SurveyResponse.district))
    )
    for question, value, district, n in (await session.exec(values)).all():
        out.values[(question, value, district)] = n
    given = or_(col(SurveyAnswer.value).is_not(None), col(SurveyAnswer.text).is_not(None))
    answered = base.with_only_columns(
        *joined, func.count(func.distinct(SurveyAnswer.response_id))
    ).where(given)
    for question, district, n in (await session.exec(answered.group_by(*joined))).all():
        out.answered[(question, district)] = n
    skipped = base.with_only_columns(*joined, func.count()).where(~given)
    for question, district, n in (await session.exec(skipped.group_by(*joined))).all():
        out.skipped[(question, district)] = n
    return out


async def texts(
    session: AsyncSession, *, survey_id: int, question: str, offset: int, limit: int
) -> tuple[list[str], int]:
    """A page of the free-text answers to `question` (oldest first) and how many there are."""
    where = [
        *_completed(survey_id),
        col(SurveyAnswer.question) == question,
        col(SurveyAnswer.text).is_not(None),
    ]
    join = col(SurveyResponse.id) == col(SurveyAnswer.response_id)
    total_stmt = select(func.count()).select_from(SurveyAnswer).join(SurveyResponse, join)
    total = (await session.exec(total_stmt.where(*where))).one()
    stmt = (
        select(SurveyAnswer.text)
        .join(SurveyResponse, join)
        .where(*where)
        .order_by(col(SurveyAnswer.id))
        .offset(offset)
        .limit(limit)
    )
    return [t for t in (await session.exec(stmt)).all() if t is not None], total


async def export_batch(
    session: AsyncSession, *, survey_id: int, after_respondent: int, limit: int
) -> list[tuple[SurveyResponse, list[AnswerRow]]]:
    """The next completed responses in respondent-number order (a random order), with
    their answers."""
    stmt = (
        select(SurveyResponse)
        .where(*_completed(survey_id), col(SurveyResponse.respondent) > after_respondent)
        .order_by(col(SurveyResponse.respondent))
        .limit(limit)
    )
    found = list((await session.exec(stmt)).all())
    if not found:
        return []
    ids = [r.id for r in found]
    rows_stmt = (
        select(
            SurveyAnswer.response_id, SurveyAnswer.question, SurveyAnswer.value, SurveyAnswer.text
        )
        .where(col(SurveyAnswer.response_id).in_(ids))
        .order_by(col(SurveyAnswer.id))
    )
    by_response: dict[int, list[AnswerRow]] = {i: [] for i in ids if i is not None}
    for response_id, question, value, text in (await session.exec(rows_stmt)).all():
        by_response[response_id].append((question, value, text))
    return [(r, by_response[r.id]) for r in found if r.id is not None]


# -- "tell me about new surveys" ----------------------------------------------------------


async def opted_in(session: AsyncSession, *, citizen_id: int) -> bool:
    return await session.get(SurveyOptIn, citizen_id) is not None


async def set_opt_in(session: AsyncSession, *, citizen_id: int, on: bool, now: datetime) -> bool:
    """False when nothing changed."""
    row = await session.get(SurveyOptIn, citizen_id)
    if on == (row is not None):
        return False
    if on:
        session.add(SurveyOptIn(citizen_id=citizen_id, created_at=now))
    else:
        await session.delete(row)
    return True


# -- invitations --------------------------------------------------------------------------


@dataclass(frozen=True)
class InviteAudience:
    """Who is invited: everyone who opted in to surveys (`topic` None), or the subscribers
    of an alert topic; within the survey's districts and languages (empty: all). Never a
    banned citizen."""

    topic: str | None = None
    districts: frozenset[str] = frozenset()
    languages: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Invitee:
    citizen_id: int
    language: str
    addresses: tuple[tuple[str, str], ...]  # (channel, user id), one per channel
    settings: AlertSettings | None  # for quiet hours


def _audience_conditions(survey_id: int, audience: InviteAudience) -> list[ColumnElement[bool]]:
    places = (
        Audience(kind="districts", districts=audience.districts)
        if audience.districts
        else Audience(kind="all")
    )
    if audience.topic is not None:
        conditions = [*eligible(audience.topic, False), place_match(places)]
    else:
        stopped = aliased(AlertSettings)
        optin = aliased(SurveyOptIn)
        conditions = [
            col(Citizen.opted_out).is_(False),
            exists().where(optin.citizen_id == Citizen.id),
            ~exists().where(stopped.citizen_id == Citizen.id, col(stopped.stopped).is_(True)),
        ]
        if audience.districts:
            # Citizens with no district on record are invited too (asked at the start).
            place = aliased(AlertPlace)
            located = exists().where(
                place.citizen_id == Citizen.id,
                col(place.kind).in_([PlaceKind.DISTRICT.value, PlaceKind.RADIUS.value]),
            )
            conditions.append(or_(place_match(places), ~located))
    invited = aliased(SurveyInvite)
    done = aliased(SurveyResponse)
    conditions += [
        # A banned citizen keeps public alerts (storage.repos.notice_audience) but takes no part in
        # surveys, so is not invited to one.
        col(Citizen.banned_at).is_(None),
        ~exists().where(invited.survey_id == survey_id, invited.citizen_id == Citizen.id),
        ~exists().where(
            done.survey_id == survey_id,
            done.citizen_id == Citizen.id,
            col(done.completed_at).is_not(None),
        ),
    ]
    if audience.languages:
        conditions.append(col(Citizen.language).in_(sorted(audience.languages)))
    return conditions


async def count_invitees(
    session: AsyncSession, *, survey_id: int, audience: InviteAudience
) -> dict[str, int]:
    """How many citizens an invitation would reach now, by channel."""
    stmt = (
        select(ChannelIdentity.channel, func.count(func.distinct(ChannelIdentity.citizen_id)))
        .join(Citizen, col(Citizen.id) == col(ChannelIdentity.citizen_id))
        .where(*_audience_conditions(survey_id, audience))
        .group_by(col(ChannelIdentity.channel))
    )
    return {channel: n for channel, n in (await session.exec(stmt)).all()}


async def invite_batch(
    session: AsyncSession,
    *,
    survey_id: int,
    audience: InviteAudience,
    limit: int,
    now: datetime,
) -> list[Invitee]:
    """The next `limit` citizens of the audience not invited yet, recorded as invited."""
    stmt = (
        select(Citizen.id, Citizen.language)
        .where(*_audience_conditions(survey_id, audience))
        .order_by(col(Citizen.id))
        .limit(limit)
    )
    chosen = {cid: language for cid, language in (await session.exec(stmt)).all()}
    if not chosen:
        return []
    insert = pg_insert if _dialect(session) == "postgresql" else sqlite_insert
    table = SurveyInvite.__table__  # type: ignore[attr-defined]
    await session.exec(  # type: ignore[call-overload]
        insert(table)
        .values([{"survey_id": survey_id, "citizen_id": cid, "invited_at": now} for cid in chosen])
        .on_conflict_do_nothing(index_elements=["survey_id", "citizen_id"])
    )
    ids = sorted(chosen)
    identities = (
        select(ChannelIdentity.citizen_id, ChannelIdentity.channel, ChannelIdentity.user_id)
        .where(col(ChannelIdentity.citizen_id).in_(ids))
        .order_by(col(ChannelIdentity.citizen_id), col(ChannelIdentity.id))
    )
    addresses: dict[int, dict[str, str]] = {cid: {} for cid in ids}
    for cid, channel, user_id in (await session.exec(identities)).all():
        addresses[cid].setdefault(channel, user_id)  # one message per channel
    settings_stmt = select(AlertSettings).where(col(AlertSettings.citizen_id).in_(ids))
    settings = {s.citizen_id: s for s in (await session.exec(settings_stmt)).all()}
    return [
        Invitee(cid, chosen[cid], tuple(addresses[cid].items()), settings.get(cid))
        for cid in ids
        if addresses[cid]
    ]


async def invited_count(session: AsyncSession, *, survey_id: int) -> int:
    stmt = select(func.count()).select_from(SurveyInvite).where(SurveyInvite.survey_id == survey_id)
    return (await session.exec(stmt)).one()


async def set_status(
    session: AsyncSession, *, survey_id: int, status: SurveyStatus, now: datetime, **values: Any
) -> None:
    await session.exec(  # type: ignore[call-overload]
        update(Survey)
        .where(col(Survey.id) == survey_id)
        .values(status=status.value, updated_at=now, **values)
    )
