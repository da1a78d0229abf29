"""Per-body figures (bot/domain/body_figures.py): SQL aggregates only, no rows loaded.

Three grouped queries and two window-function queries, whatever the table's size; every one
works on SQLite and PostgreSQL. Hidden reports (spam, abuse) count nowhere. The medians are
found in SQL: each body's durations are numbered in order, and the middle one (or the mean
of the middle two) kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import OPEN_STATUSES, Report, ReportEvent, ReportStatus
from storage.repos import deadlines

OPEN = [s.value for s in OPEN_STATUSES]
RESOLVED = ReportStatus.RESOLVED.value


@dataclass(frozen=True, slots=True)
class Counts:
    open: int = 0
    overdue: int = 0  # open, past a deadline (storage/repos/deadlines.py)
    late_open: int = 0  # open, past the resolve deadline: late in "% on time"
    resolved_on_time: int = 0
    resolved_late: int = 0
    confirmed_fixed: int = 0  # "Is it fixed?" answered ✅
    not_fixed: int = 0  # answered ❌ (each answer once: a report reopened twice counts twice)


def _dialect(session: AsyncSession) -> str:
    return session.bind.dialect.name if session.bind else "sqlite"


def _seconds(dialect: str, start: Any, end: Any) -> ColumnElement[float]:
    if dialect == "postgresql":
        return func.extract("epoch", end - start)
    return (func.julianday(end) - func.julianday(start)) * 86400.0


def _scope(bodies: Sequence[str] | None) -> list[Any]:
    conds: list[Any] = [col(Report.body_code).is_not(None), col(Report.hidden).is_(False)]
    if bodies is not None:
        conds.append(col(Report.body_code).in_(list(bodies)))
    return conds


async def counts(
    session: AsyncSession, *, now: datetime, bodies: Sequence[str] | None = None
) -> dict[str, Counts]:
    """Per body code: open, overdue, resolved on time and late, and the citizens' answers."""
    is_open = col(Report.status).in_(OPEN)
    due = col(Report.resolve_due_at)
    resolved = and_(Report.status == RESOLVED, due.is_not(None), col(Report.closed_at).is_not(None))
    stmt = (
        select(
            Report.body_code,
            func.count(case((is_open, 1))),
            func.count(case((deadlines.overdue(now), 1))),
            func.count(case((deadlines.past_resolve(now), 1))),
            func.count(case((and_(resolved, col(Report.closed_at) <= due), 1))),
            func.count(case((and_(resolved, col(Report.closed_at) > due), 1))),
        )
        .where(*_scope(bodies))
        .group_by(col(Report.body_code))
    )
    rows = {code: [int(n) for n in values] for code, *values in (await session.exec(stmt)).all()}
    kind = col(ReportEvent.kind)
    answers = (
        select(
            Report.body_code,
            func.count(case((kind == "confirmed", 1))),
            func.count(case((kind == "not_fixed", 1))),
        )
        .join(Report, col(Report.id) == col(ReportEvent.report_id))
        .where(kind.in_(("confirmed", "not_fixed")), *_scope(bodies))
        .group_by(col(Report.body_code))
    )
    answered = {code: (int(y), int(n)) for code, y, n in (await session.exec(answers)).all()}
    out: dict[str, Counts] = {}
    for code in rows.keys() | answered.keys():
        open_, overdue, late_open, on_time, late = rows.get(code, [0, 0, 0, 0, 0])
        fixed, not_fixed = answered.get(code, (0, 0))
        out[code] = Counts(open_, overdue, late_open, on_time, late, fixed, not_fixed)
    return out


async def _medians(session: AsyncSession, seconds: Any, where: list[Any]) -> dict[str, timedelta]:
    ranked = (
        select(
            col(Report.body_code).label("body"),
            seconds.label("s"),
            func.row_number()
            .over(partition_by=col(Report.body_code), order_by=seconds)
            .label("rn"),
            func.count().over(partition_by=col(Report.body_code)).label("n"),
        )
        .where(*where)
        .subquery()
    )
    # The middle one of an odd count, the middle two of an even one: n/2 ≤ rn ≤ n/2 + 1.
    middle = and_(ranked.c.rn * 2 >= ranked.c.n, ranked.c.rn * 2 <= ranked.c.n + 2)
    stmt = select(ranked.c.body, func.avg(ranked.c.s)).where(middle).group_by(ranked.c.body)
    return {
        body: timedelta(seconds=round(float(value)))
        for body, value in (await session.exec(stmt)).all()  # type: ignore[call-overload]
        if value is not None
    }


async def acknowledge_medians(
    session: AsyncSession, *, bodies: Sequence[str] | None = None
) -> dict[str, timedelta]:
    """Per body: the median time from filing to the acknowledgement."""
    seconds = _seconds(_dialect(session), col(Report.created_at), col(Report.acknowledged_at))
    where = [*_scope(bodies), col(Report.acknowledged_at).is_not(None)]
    return await _medians(session, seconds, where)


async def resolve_medians(
    session: AsyncSession, *, bodies: Sequence[str] | None = None
) -> dict[str, timedelta]:
    """Per body: the median time from filing to the resolution, over the reports resolved."""
    seconds = _seconds(_dialect(session), col(Report.created_at), col(Report.closed_at))
    where = [*_scope(bodies), Report.status == RESOLVED, col(Report.closed_at).is_not(None)]
    return await _medians(session, seconds, where)


async def overdue_page(
    session: AsyncSession,
    *,
    now: datetime,
    bodies: Sequence[str] | None = None,
    offset: int = 0,
    limit: int = 10,
) -> tuple[list[Report], int]:
    """Overdue reports (storage/repos/deadlines.py), the most overdue first, and how many
    there are; `bodies`: only these bodies' (None: every report)."""
    conds: list[Any] = [deadlines.overdue(now)]
    if bodies is not None:
        conds.append(col(Report.body_code).in_(list(bodies)))
    total = (await session.exec(select(func.count()).select_from(Report).where(*conds))).one()
    stmt = (
        select(Report)
        .where(*conds)
        .order_by(*deadlines.most_overdue_first())
        .offset(offset)
        .limit(limit)
    )
    return list((await session.exec(stmt)).all()), int(total)


async def newly_late(session: AsyncSession, *, now: datetime, limit: int) -> list[int]:
    """Ids of open reports past their resolve deadline whose reporter was not told yet."""
    stmt = (
        select(Report.id)
        .where(deadlines.past_resolve(now), col(Report.late_told_at).is_(None))
        .order_by(col(Report.resolve_due_at), col(Report.id))
        .limit(limit)
    )
    return [int(i) for i in (await session.exec(stmt)).all() if i is not None]


async def claim_late(session: AsyncSession, *, report_id: int, now: datetime) -> bool:
    """Mark the report's late notice as told; False when another process did it first."""
    from sqlalchemy import update

    stmt = (
        update(Report)
        .where(col(Report.id) == report_id, col(Report.late_told_at).is_(None))
        .values(late_told_at=now)
    )
    result = await session.exec(stmt)  # type: ignore[call-overload]
    return bool(result.rowcount)
