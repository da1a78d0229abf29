"""Figures for admins and monitoring (/stats, /metrics): SQL aggregates only, no rows loaded.

Every function works on SQLite and PostgreSQL. The median time to resolve is found portably:
the durations are counted, then the middle one (or two) fetched with ORDER BY … OFFSET.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any, Literal

from sqlalchemy import ColumnElement, and_, case, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import (
    AlertTopic,
    ChannelIdentity,
    Citizen,
    DirectTally,
    FeedState,
    NoticeRun,
    Outbox,
    Report,
    ReportEvent,
    ReportStatus,
    RunTally,
    SurveyResponse,
)
from storage.repos import forwards as forwards_repo

ACTIVE_DAYS = (7, 30)


@dataclass(frozen=True, slots=True)
class Resolution:
    """The median time from filing to the first "resolved", over `reports` reports."""

    median: timedelta | None
    reports: int


@dataclass(frozen=True, slots=True)
class Figures:
    citizens: int
    by_channel: dict[str, int]
    by_language: dict[str, int]
    active: dict[int, int]  # days → citizens seen within them
    reports_by_status: dict[str, int]
    reports_by_category: dict[str, int]
    reports_by_district: dict[str | None, int]
    resolution: Resolution
    subscriptions: dict[str, int]  # topic → subscribers
    outbox: dict[tuple[str, str], int]  # (channel, status) → rows
    survey_responses: int
    survey_completed: int
    # feed id → (last success, last error, failures in a row, active items); see repos.feeds
    feeds: dict[str, tuple[datetime | None, datetime | None, int, int]] = field(
        default_factory=dict
    )
    forwards: dict[tuple[str, str], int] = field(default_factory=dict)  # (body, state) → rows

    @property
    def reports(self) -> int:
        return sum(self.reports_by_status.values())


def _dialect(session: AsyncSession) -> str:
    return session.bind.dialect.name if session.bind else "sqlite"


async def _grouped(session: AsyncSession, key: Any, *, where: Any = None) -> dict[Any, int]:
    stmt = select(key, func.count()).group_by(key)
    if where is not None:
        stmt = stmt.where(where)
    return {k: n for k, n in (await session.exec(stmt)).all()}


# -- citizens -------------------------------------------------------------------------------


async def citizens_total(session: AsyncSession) -> int:
    return (await session.exec(select(func.count()).select_from(Citizen))).one()


async def citizens_by_channel(session: AsyncSession) -> dict[str, int]:
    """Accounts per channel (a citizen linked on two channels counts on each)."""
    return await _grouped(session, ChannelIdentity.channel)


async def citizens_by_language(session: AsyncSession) -> dict[str, int]:
    return await _grouped(session, Citizen.language)


async def active_since(session: AsyncSession, *, since: datetime) -> int:
    stmt = select(func.count()).select_from(Citizen).where(col(Citizen.last_seen_at) >= since)
    return (await session.exec(stmt)).one()


# -- reports --------------------------------------------------------------------------------


async def reports_by(
    session: AsyncSession, *, column: Literal["status", "category", "district"]
) -> dict[Any, int]:
    """Reports (hidden ones included) per status, category code or district code (None: no
    district)."""
    key = {"status": Report.status, "category": Report.category, "district": Report.district}
    return await _grouped(session, key[column])


def _seconds(dialect: str, start: Any, end: Any) -> ColumnElement[float]:
    if dialect == "postgresql":
        return func.extract("epoch", end - start)
    return (func.julianday(end) - func.julianday(start)) * 86400.0


async def resolution(session: AsyncSession) -> Resolution:
    """Median of (first "resolved" − filed) over the reports ever resolved, from their events
    (a report reopened and resolved again counts its first resolution)."""
    events = ReportEvent
    filed = func.min(case((col(events.kind) == "created", col(events.at))))
    resolved = func.min(
        case(
            (
                and_(
                    col(events.kind) == "status",
                    col(events.to_status) == ReportStatus.RESOLVED.value,
                ),
                col(events.at),
            )
        )
    )
    per_report = (
        select(filed.label("filed"), resolved.label("resolved"))
        .group_by(col(events.report_id))
        .having(filed.is_not(None), resolved.is_not(None))
        .subquery()
    )
    seconds = _seconds(_dialect(session), per_report.c.filed, per_report.c.resolved).label("s")
    count = (await session.exec(select(func.count()).select_from(per_report))).one()
    if not count:
        return Resolution(median=None, reports=0)
    middle = select(seconds).order_by(seconds).offset((count - 1) // 2).limit(2 - count % 2)
    values = [float(v) for v in (await session.exec(middle)).all()]
    return Resolution(median=timedelta(seconds=round(sum(values) / len(values))), reports=count)


async def reports_filed_between(session: AsyncSession, *, bounds: Sequence[datetime]) -> list[int]:
    """Reports filed in each interval [bounds[i], bounds[i+1]), in one query."""
    if len(bounds) < 2:
        return []
    created = col(Report.created_at)
    columns = [
        func.count(case((and_(created >= start, created < end), 1)))
        for start, end in pairwise(bounds)
    ]
    stmt = select(*columns).where(created >= bounds[0], created < bounds[-1])
    return [int(n) for n in (await session.exec(stmt)).one()]


# -- alerts, deliveries, surveys ------------------------------------------------------------


async def subscriptions_by_topic(session: AsyncSession) -> dict[str, int]:
    return await _grouped(session, AlertTopic.topic)


async def outbox_by_channel(session: AsyncSession) -> dict[tuple[str, str], int]:
    """Messages per (channel, status): sent, failed, blocked, pending, … Pruned rows are
    counted from their tallies (storage.repos.outbox_pruning.fold_run, prune_direct), so the figures
    stay the same when the rows go."""
    run = NoticeRun.__table__  # type: ignore[attr-defined]
    outbox = Outbox.__table__  # type: ignore[attr-defined]
    stmt = (
        select(outbox.c.channel, outbox.c.status, func.count())
        .select_from(outbox.outerjoin(run, run.c.id == outbox.c.run_id))
        .where(run.c.pruned_at.is_(None))
        .group_by(outbox.c.channel, outbox.c.status)
    )
    counts = {(channel, status): n for channel, status, n in (await session.exec(stmt)).all()}
    final = ("sent", "failed", "blocked", "cancelled")
    tally = RunTally.__table__  # type: ignore[attr-defined]
    tallied = select(tally.c.channel, *(func.sum(tally.c[k]) for k in final)).group_by(
        tally.c.channel
    )
    direct = DirectTally.__table__  # type: ignore[attr-defined]
    pruned_direct = select(direct.c.channel, *(direct.c[k] for k in final))
    for stmt in (tallied, pruned_direct):
        for channel, *sums in (await session.exec(stmt)).all():  # type: ignore[call-overload]
            for status, n in zip(final, sums, strict=True):
                if n:
                    counts[(channel, status)] = counts.get((channel, status), 0) + int(n)
    return counts


async def survey_responses(session: AsyncSession) -> tuple[int, int]:
    """(responses, completed responses) over every survey."""
    stmt = select(func.count(), func.count(col(SurveyResponse.completed_at)))
    total, completed = (await session.exec(stmt.select_from(SurveyResponse))).one()
    return int(total), int(completed)


# -- all of it ------------------------------------------------------------------------------


async def figures(session: AsyncSession, *, now: datetime) -> Figures:
    responses, completed = await survey_responses(session)
    return Figures(
        citizens=await citizens_total(session),
        by_channel=await citizens_by_channel(session),
        by_language=await citizens_by_language(session),
        active={
            days: await active_since(session, since=now - timedelta(days=days))
            for days in ACTIVE_DAYS
        },
        reports_by_status=await reports_by(session, column="status"),
        reports_by_category=await reports_by(session, column="category"),
        reports_by_district=await reports_by(session, column="district"),
        resolution=await resolution(session),
        subscriptions=await subscriptions_by_topic(session),
        outbox=await outbox_by_channel(session),
        survey_responses=responses,
        survey_completed=completed,
        feeds={
            s.feed_id: (s.last_success_at, s.last_error_at, s.failures, s.items)
            for s in (await session.exec(select(FeedState))).all()
        },
        forwards=await forwards_repo.counts(session),
    )
