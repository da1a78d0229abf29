"""A citizen's personal data: everything stored about them (/mydata), and forgetting them
(/forget and the retention job).

Forgetting deletes the citizen row and what hangs on it (identities, alert topics, places
and settings, followed reports, survey opt-in and invitations, queued messages: CASCADE),
the conversation state of their addresses, and unlinks what the city keeps: their reports
stay as work items without reporter or phone (SET NULL), their survey answers stay in the
results without a link to anyone. Report photos stay with the reports. Like every repo
function, these never commit.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, exists, func, or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import (
    AlertPlace,
    AlertSettings,
    AlertTopic,
    ChannelIdentity,
    Citizen,
    ConversationState,
    FeedAlert,
    FeedWatch,
    Notice,
    Outbox,
    OutboxStatus,
    Report,
    ReportEvent,
    ReportFollower,
    ReportPhoto,
    Role,
    Survey,
    SurveyAnswer,
    SurveyInvite,
    SurveyOptIn,
    SurveyResponse,
)
from storage.refs import public_ref

# Kept with the conversation state by the dispatcher; not the citizen's data.
_INTERNAL_STATE_KEYS = frozenset({"__keyboard__"})


# -- /mydata ------------------------------------------------------------------------------


async def export(session: AsyncSession, *, citizen_id: int) -> dict[str, Any] | None:
    """Everything stored about the citizen as plain JSON-ready values (times in ISO 8601,
    UTC); None when there is no such citizen."""
    citizen = await session.get(Citizen, citizen_id)
    if citizen is None:
        return None
    identities = await _identities(session, citizen_ids=[citizen_id])
    return {
        "citizen": _citizen(citizen),
        "identities": [
            {"channel": i.channel, "user_id": i.user_id, "since": _iso(i.created_at)}
            for i in identities
        ],
        "alerts": await _alerts(session, citizen_id),
        "reports": await _reports(session, citizen_id),
        "followed_reports": await _followed(session, citizen_id),
        "surveys": await _surveys(session, citizen_id),
        "conversations": await _conversations(session, identities),
        "queued_messages": await _queued(session, citizen_id),
    }


def _citizen(citizen: Citizen) -> dict[str, Any]:
    assert citizen.id is not None
    return {
        "ref": public_ref(citizen.id),
        "language": citizen.language,
        "role": citizen.role,
        "created_at": _iso(citizen.created_at),
        "last_seen_at": _iso(citizen.last_seen_at),
        "consent": {"version": citizen.consent_version, "at": _iso(citizen.consented_at)},
        "opted_out": citizen.opted_out,
        "ban": {
            "banned": citizen.banned_at is not None,
            "at": _iso(citizen.banned_at),
            "reason": citizen.ban_reason,
        },
    }


async def _alerts(session: AsyncSession, citizen_id: int) -> dict[str, Any]:
    topics = await session.exec(
        select(AlertTopic).where(AlertTopic.citizen_id == citizen_id).order_by(AlertTopic.topic)
    )
    places = await session.exec(
        select(AlertPlace).where(AlertPlace.citizen_id == citizen_id).order_by(col(AlertPlace.id))
    )
    settings = await session.get(AlertSettings, citizen_id)
    watched = await session.exec(
        select(FeedWatch, FeedAlert)
        .join(FeedAlert, col(FeedAlert.id) == col(FeedWatch.alert_id))
        .where(FeedWatch.citizen_id == citizen_id)
        .order_by(col(FeedWatch.created_at))
    )
    return {
        "told_when_over": [  # official alerts the citizen asked to hear the end of
            {"feed": a.feed_id, "alert": a.source_id, "since": _iso(w.created_at)}
            for w, a in watched.all()
        ],
        "topics": [{"topic": t.topic, "since": _iso(t.created_at)} for t in topics.all()],
        "places": [
            {
                "kind": p.kind,
                "district": p.district,
                "lat": p.lat,
                "lon": p.lon,
                "radius_m": p.radius_m,
                "since": _iso(p.created_at),
            }
            for p in places.all()
        ],
        "settings": None
        if settings is None
        else {
            "quiet_hours": settings.quiet_enabled,
            "quiet_from": _hhmm(settings.quiet_from),
            "quiet_to": _hhmm(settings.quiet_to),
            "digest_hour": settings.digest_hour,
            "stopped": settings.stopped,
            "report_news": settings.report_news,
            "updated_at": _iso(settings.updated_at),
        },
    }


async def _reports(session: AsyncSession, citizen_id: int) -> list[dict[str, Any]]:
    found = await session.exec(
        select(Report).where(Report.reporter_id == citizen_id).order_by(col(Report.id))
    )
    reports = list(found.all())
    ids = [r.id for r in reports if r.id is not None]
    events: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
    photos: dict[int, int] = {}
    if ids:
        stmt = (
            select(ReportEvent)
            .where(col(ReportEvent.report_id).in_(ids))
            .order_by(col(ReportEvent.at), col(ReportEvent.id))
        )
        for event in (await session.exec(stmt)).all():
            events[event.report_id].append(
                {
                    "at": _iso(event.at),
                    "kind": event.kind,
                    "by": "you" if event.actor_id == citizen_id else event.actor_role,
                    "from_status": event.from_status,
                    "to_status": event.to_status,
                    "note": event.note,
                }
            )
        counts = (
            select(ReportPhoto.report_id, func.count())
            .where(col(ReportPhoto.report_id).in_(ids))
            .group_by(col(ReportPhoto.report_id))
        )
        photos = {report_id: n for report_id, n in (await session.exec(counts)).all()}
    return [
        {
            "public_id": r.public_id,
            "category": r.category,
            "status": r.status,
            "description": r.description,
            "location": {
                "lat": r.lat,
                "lon": r.lon,
                "address": r.address,
                "district": r.district,
            },
            "contact_phone": r.contact_phone,
            "photos": photos.get(r.id or 0, 0),
            "hidden": r.hidden,
            "created_at": _iso(r.created_at),
            "updated_at": _iso(r.updated_at),
            "closed_at": _iso(r.closed_at),
            "events": events.get(r.id or 0, []),
        }
        for r in reports
    ]


async def _followed(session: AsyncSession, citizen_id: int) -> list[dict[str, Any]]:
    stmt = (
        select(Report.public_id, Report.category, Report.status, ReportFollower.created_at)
        .join(ReportFollower, col(ReportFollower.report_id) == col(Report.id))
        .where(ReportFollower.citizen_id == citizen_id)
        .order_by(col(ReportFollower.created_at), col(Report.id))
    )
    return [
        {"public_id": pid, "category": category, "status": status, "since": _iso(since)}
        for pid, category, status, since in (await session.exec(stmt)).all()
    ]


async def _surveys(session: AsyncSession, citizen_id: int) -> dict[str, Any]:
    optin = await session.get(SurveyOptIn, citizen_id)
    invites = await session.exec(
        select(Survey.code, SurveyInvite.invited_at)
        .join(SurveyInvite, col(SurveyInvite.survey_id) == col(Survey.id))
        .where(SurveyInvite.citizen_id == citizen_id)
        .order_by(col(SurveyInvite.invited_at))
    )
    found = await session.exec(
        select(SurveyResponse, Survey.code)
        .join(Survey, col(Survey.id) == col(SurveyResponse.survey_id))
        .where(SurveyResponse.citizen_id == citizen_id)
        .order_by(col(SurveyResponse.id))
    )
    responses = list(found.all())
    answers: dict[int, list[dict[str, Any]]] = {r.id: [] for r, _ in responses if r.id}
    if answers:
        stmt = (
            select(SurveyAnswer)
            .where(col(SurveyAnswer.response_id).in_(list(answers)))
            .order_by(col(SurveyAnswer.id))
        )
        for answer in (await session.exec(stmt)).all():
            answers[answer.response_id].append(
                {"question": answer.question, "value": answer.value, "text": answer.text}
            )
    return {
        "opted_in": optin is not None,
        "opted_in_at": _iso(optin.created_at) if optin is not None else None,
        "invitations": [{"survey": code, "at": _iso(at)} for code, at in invites.all()],
        "responses": [
            {
                "survey": code,
                "respondent": response.respondent,
                "district": response.district,
                "started_at": _iso(response.started_at),
                "updated_at": _iso(response.updated_at),
                "completed_at": _iso(response.completed_at),
                "answers": answers.get(response.id or 0, []),
            }
            for response, code in responses
        ],
    }


async def _conversations(
    session: AsyncSession, identities: Sequence[ChannelIdentity]
) -> list[dict[str, Any]]:
    out = []
    for identity in identities:
        row = await session.get(ConversationState, (identity.channel, identity.user_id))
        if row is None or (row.state is None and not _own_data(row.data)):
            continue
        out.append(
            {
                "channel": row.channel,
                "step": row.state,
                "data": _own_data(row.data),
                "updated_at": _iso(row.updated_at),
            }
        )
    return out


async def _queued(session: AsyncSession, citizen_id: int) -> int:
    stmt = (
        select(func.count())
        .select_from(Outbox)
        .where(
            Outbox.citizen_id == citizen_id,
            col(Outbox.status).in_([OutboxStatus.PENDING.value, OutboxStatus.INFLIGHT.value]),
        )
    )
    return (await session.exec(stmt)).one()


def _own_data(data: dict[str, Any] | None) -> dict[str, Any]:
    return {k: v for k, v in (data or {}).items() if k not in _INTERNAL_STATE_KEYS}


# -- /forget and retention ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Forgotten:
    """What forgetting removed (counts), and the files of unfinished drafts to delete once
    the transaction has committed (report photos stay with their reports)."""

    citizens: int = 0
    identities: int = 0
    subscriptions: int = 0  # alert topics and places
    followed: int = 0
    reports_anonymised: int = 0
    survey_responses_unlinked: int = 0
    conversations: int = 0
    queued_messages: int = 0
    draft_photos: tuple[str, ...] = ()

    def __add__(self, other: Forgotten) -> Forgotten:
        return Forgotten(
            citizens=self.citizens + other.citizens,
            identities=self.identities + other.identities,
            subscriptions=self.subscriptions + other.subscriptions,
            followed=self.followed + other.followed,
            reports_anonymised=self.reports_anonymised + other.reports_anonymised,
            survey_responses_unlinked=(
                self.survey_responses_unlinked + other.survey_responses_unlinked
            ),
            conversations=self.conversations + other.conversations,
            queued_messages=self.queued_messages + other.queued_messages,
            draft_photos=self.draft_photos + other.draft_photos,
        )


async def forget(session: AsyncSession, *, citizen_ids: Collection[int]) -> Forgotten:
    """Delete these citizens and their personal data; keep their reports and survey answers
    for the city, unlinked. Set-based: a batch of citizens costs the same few statements."""
    ids = sorted(set(citizen_ids))
    if not ids:
        return Forgotten()
    await session.flush()  # pending changes of these rows go first, then they are deleted
    mine = col(ChannelIdentity.citizen_id).in_(ids)
    state_rows = select(ConversationState.data).where(_address_of(ConversationState, mine))
    draft_photos = tuple(
        name for data in (await session.exec(state_rows)).all() for name in _draft_photos(data)
    )
    conversations = await _rowcount(
        session, delete(ConversationState).where(_address_of(ConversationState, mine))
    )
    queued = await _rowcount(
        session,
        delete(Outbox).where(
            or_(col(Outbox.citizen_id).in_(ids), _address_of(Outbox, mine)),
        ),
    )
    # A former staff member's progress message of a broadcast: the address goes.
    await session.exec(  # type: ignore[call-overload]
        update(Notice)
        .where(
            exists().where(
                mine,
                col(ChannelIdentity.channel) == col(Notice.progress_channel),
                col(ChannelIdentity.user_id) == col(Notice.progress_user_id),
            )
        )
        .values(progress_channel=None, progress_user_id=None, progress_message_id=None)
        .execution_options(synchronize_session=False)
    )
    reports = await _rowcount(
        session,
        update(Report)
        .where(col(Report.reporter_id).in_(ids))
        .values(reporter_id=None, contact_phone=None),
    )
    responses = await _rowcount(
        session,
        update(SurveyResponse)
        .where(col(SurveyResponse.citizen_id).in_(ids))
        .values(citizen_id=None),
    )
    topics = await _rowcount(session, delete(AlertTopic).where(col(AlertTopic.citizen_id).in_(ids)))
    places = await _rowcount(session, delete(AlertPlace).where(col(AlertPlace.citizen_id).in_(ids)))
    followed = await _rowcount(
        session, delete(ReportFollower).where(col(ReportFollower.citizen_id).in_(ids))
    )
    identities = await _rowcount(session, delete(ChannelIdentity).where(mine))
    # The rest cascades (alert settings, survey opt-in and invitations) or is set to NULL
    # (report history, audit log, notices and surveys a staff member made).
    citizens = await _rowcount(session, delete(Citizen).where(col(Citizen.id).in_(ids)))
    return Forgotten(
        citizens=citizens,
        identities=identities,
        subscriptions=topics + places,
        followed=followed,
        reports_anonymised=reports,
        survey_responses_unlinked=responses,
        conversations=conversations,
        queued_messages=queued,
        draft_photos=draft_photos,
    )


async def inactive_citizens(
    session: AsyncSession,
    *,
    before: datetime,
    keep: Iterable[tuple[str, str]] = (),
    limit: int,
) -> list[int]:
    """Up to `limit` citizens last seen before `before`, oldest first; never staff or admins,
    nor anyone with an identity among the `keep` addresses (channel, user id)."""
    conds: list[ColumnElement[bool]] = [
        col(Citizen.last_seen_at) < before,
        col(Citizen.role).not_in([Role.STAFF.value, Role.ADMIN.value]),
    ]
    kept = [
        and_(col(ChannelIdentity.channel) == channel, col(ChannelIdentity.user_id) == user_id)
        for channel, user_id in keep
    ]
    if kept:
        conds.append(
            ~exists().where(col(ChannelIdentity.citizen_id) == col(Citizen.id), or_(*kept))
        )
    stmt = (
        select(Citizen.id)
        .where(*conds)
        .order_by(col(Citizen.last_seen_at), col(Citizen.id))
        .limit(limit)
    )
    return [i for i in (await session.exec(stmt)).all() if i is not None]


def _address_of(table: Any, identities: ColumnElement[bool]) -> ColumnElement[bool]:
    """Rows of `table` (with channel and user_id columns) at an address of the identities."""
    return exists().where(
        identities,
        col(ChannelIdentity.channel) == table.channel,
        col(ChannelIdentity.user_id) == table.user_id,
    )


async def _identities(session: AsyncSession, *, citizen_ids: list[int]) -> list[ChannelIdentity]:
    stmt = (
        select(ChannelIdentity)
        .where(col(ChannelIdentity.citizen_id).in_(citizen_ids))
        .order_by(col(ChannelIdentity.id))
    )
    return list((await session.exec(stmt)).all())


async def _rowcount(session: AsyncSession, stmt: Any) -> int:
    result = await session.exec(stmt)
    return result.rowcount or 0


def _draft_photos(data: object) -> list[str]:
    """Photo files of an unfinished report draft kept in a conversation state."""
    if not isinstance(data, dict) or not isinstance(data.get("photos"), list):
        return []
    return [
        p["name"] for p in data["photos"] if isinstance(p, dict) and isinstance(p.get("name"), str)
    ]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"
