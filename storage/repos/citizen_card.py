"""What staff may know about one citizen at a glance: counts, never contents or contacts."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import (
    AlertPlace,
    AlertSettings,
    AlertTopic,
    ChannelIdentity,
    Report,
    SurveyResponse,
)


@dataclass(frozen=True, slots=True)
class CitizenFacts:
    channels: tuple[str, ...]  # channel names only, never the user ids on them
    reports: int
    hidden_reports: int
    topics: int
    places: int
    stopped: bool  # said /stop: no alerts, notices or survey invitations until they resume
    survey_responses: int


async def facts(session: AsyncSession, *, citizen_id: int) -> CitizenFacts:
    channels = select(ChannelIdentity.channel).where(ChannelIdentity.citizen_id == citizen_id)
    by_hidden = (
        select(Report.hidden, func.count())
        .where(Report.reporter_id == citizen_id)
        .group_by(col(Report.hidden))
    )
    reports = {bool(hidden): n for hidden, n in (await session.exec(by_hidden)).all()}
    settings = await session.get(AlertSettings, citizen_id)
    return CitizenFacts(
        channels=tuple(sorted(set((await session.exec(channels)).all()))),
        reports=sum(reports.values()),
        hidden_reports=reports.get(True, 0),
        topics=await _count(session, AlertTopic, AlertTopic.citizen_id == citizen_id),
        places=await _count(session, AlertPlace, AlertPlace.citizen_id == citizen_id),
        stopped=bool(settings and settings.stopped),
        survey_responses=await _count(
            session, SurveyResponse, SurveyResponse.citizen_id == citizen_id
        ),
    )


async def _count(session: AsyncSession, table: type, cond: object) -> int:
    stmt = select(func.count()).select_from(table).where(cond)  # type: ignore[arg-type]
    return (await session.exec(stmt)).one()
