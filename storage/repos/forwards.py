"""Reports forwarded to bodies (storage/models/forwards.py): queued in the filing or
reassigning transaction, claimed and sent by scheduler/forwarding.py, listed for admins
(/forwarding), counted for /metrics. Keyword-only; never commits.

Claiming: one conditional UPDATE over candidates picked with FOR UPDATE SKIP LOCKED (as the
outbox does): the claim moves `next_attempt_at` forward by a lease and names the process, so
concurrent processes claim disjoint rows, and a process that died mid-send leaves its row to
be claimed again when the lease ends. Results are recorded only by the process that holds
the claim."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Select, Table, and_, func, or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import ForwardHow, ForwardKind, ForwardState, Report, ReportForward

FORWARD: Table = ReportForward.__table__  # type: ignore[attr-defined]
PENDING, SENT, FAILED, UNSUPPORTED = (s.value for s in ForwardState)
MAX_ERROR = 300


@dataclass(frozen=True, slots=True)
class Claimed:
    id: int
    report_id: int
    body_code: str
    how: str
    attempts: int  # this attempt included
    service_request_id: str | None
    token: str | None
    kind: str = ForwardKind.REPORT.value
    event_id: int = 0  # the reopening's report_event (kind "reopened")
    photo_name: str | None = None


_COLUMNS = (
    FORWARD.c.id,
    FORWARD.c.report_id,
    FORWARD.c.body_code,
    FORWARD.c.how,
    FORWARD.c.attempts,
    FORWARD.c.service_request_id,
    FORWARD.c.token,
    FORWARD.c.kind,
    FORWARD.c.event_id,
    FORWARD.c.photo_name,
)


async def queue(
    session: AsyncSession, *, report_id: int, body_code: str, how: str, now: datetime
) -> int | None:
    """A forward of the report to the body, due now; None when the body already has one for
    this report (reassigned away and back: it is not sent twice)."""
    found = await session.exec(
        select(ReportForward.id).where(
            ReportForward.report_id == report_id,
            ReportForward.body_code == body_code,
            ReportForward.event_id == 0,
        )
    )
    if found.first() is not None:
        return None
    row = ReportForward(
        report_id=report_id, body_code=body_code, how=how, next_attempt_at=now, created_at=now
    )
    session.add(row)
    await session.flush()
    return row.id


async def queue_reopening(
    session: AsyncSession,
    *,
    report_id: int,
    body_code: str,
    how: str,
    event_id: int,
    photo_name: str | None,
    state: str = PENDING,
    note: str | None = None,
    now: datetime,
) -> int:
    """A forward of the reopening `event_id` (a "not fixed" answer) to the body, due now;
    `state` UNSUPPORTED with `note` records one that is never sent."""
    row = ReportForward(
        report_id=report_id,
        body_code=body_code,
        how=how,
        kind=ForwardKind.REOPENED.value,
        event_id=event_id,
        photo_name=photo_name,
        state=state,
        last_error=note and note[:MAX_ERROR],
        next_attempt_at=now,
        created_at=now,
    )
    session.add(row)
    await session.flush()
    assert row.id is not None
    return row.id


async def _claim(
    session: AsyncSession,
    candidates: Select[tuple[int]],
    guard: ColumnElement[bool],
    values: dict[str, object],
) -> list[Claimed]:
    # Picked once, in a materialised CTE (see storage/repos/outbox.py `_claim_where`); the
    # guard is checked again by the UPDATE, so on SQLite a row another writer took is skipped.
    picked = candidates.cte("picked").prefix_with("MATERIALIZED")
    stmt = (
        update(FORWARD)
        .where(FORWARD.c.id == picked.c.id, guard)
        .values(**values)
        .returning(*_COLUMNS)
    )
    result = await session.exec(stmt)  # type: ignore[call-overload]
    return [Claimed(*row) for row in result.all()]


async def claim(
    session: AsyncSession, *, instance: str, now: datetime, lease: timedelta, limit: int
) -> list[Claimed]:
    """Up to `limit` due pending forwards, oldest first, for `instance` until now + lease."""
    due = and_(FORWARD.c.state == PENDING, FORWARD.c.next_attempt_at <= now)
    candidates = (
        select(FORWARD.c.id)
        .where(due)
        .order_by(FORWARD.c.next_attempt_at, FORWARD.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    values = {
        "claimed_by": instance,
        "next_attempt_at": now + lease,
        "attempts": FORWARD.c.attempts + 1,
    }
    return await _claim(session, candidates, due, values)


def _mine(forward_id: int, instance: str) -> ColumnElement[bool]:
    return and_(
        FORWARD.c.id == forward_id,
        FORWARD.c.state == PENDING,
        FORWARD.c.claimed_by == instance,
    )


async def mark_sent(
    session: AsyncSession,
    *,
    forward_id: int,
    instance: str,
    now: datetime,
    service_request_id: str | None = None,
    token: str | None = None,
) -> bool:
    stmt = (
        update(FORWARD)
        .where(_mine(forward_id, instance))
        .values(
            state=SENT,
            sent_at=now,
            last_error=None,
            service_request_id=service_request_id and service_request_id[:64],
            token=token and token[:64],
        )
    )
    return bool((await session.exec(stmt)).rowcount)  # type: ignore[call-overload]


async def mark_retry(
    session: AsyncSession, *, forward_id: int, instance: str, at: datetime, error: str
) -> bool:
    stmt = (
        update(FORWARD)
        .where(_mine(forward_id, instance))
        .values(next_attempt_at=at, last_error=error[:MAX_ERROR])
    )
    return bool((await session.exec(stmt)).rowcount)  # type: ignore[call-overload]


async def mark_failed(session: AsyncSession, *, forward_id: int, instance: str, error: str) -> bool:
    stmt = (
        update(FORWARD)
        .where(_mine(forward_id, instance))
        .values(state=FAILED, last_error=error[:MAX_ERROR])
    )
    return bool((await session.exec(stmt)).rowcount)  # type: ignore[call-overload]


async def retry(session: AsyncSession, *, forward_id: int, now: datetime) -> bool:
    """A failed forward is due again now, with a fresh count of attempts."""
    stmt = (
        update(FORWARD)
        .where(FORWARD.c.id == forward_id, FORWARD.c.state == FAILED)
        .values(state=PENDING, attempts=0, next_attempt_at=now, claimed_by=None)
    )
    return bool((await session.exec(stmt)).rowcount)  # type: ignore[call-overload]


async def unsettled(session: AsyncSession, *, limit: int) -> list[tuple[ReportForward, str]]:
    """Failed, then pending forwards, oldest first, each with its report's public id."""
    failed_first = (FORWARD.c.state != FAILED).label("later")
    stmt = (
        select(ReportForward, Report.public_id)
        .join(Report, col(Report.id) == ReportForward.report_id)
        .where(col(ReportForward.state).in_((FAILED, PENDING)))
        .order_by(failed_first, col(ReportForward.created_at), col(ReportForward.id))
        .limit(limit)
    )
    return [(row, public_id) for row, public_id in (await session.exec(stmt)).all()]


async def claim_status_checks(
    session: AsyncSession, *, now: datetime, every: timedelta, limit: int
) -> list[Claimed]:
    """Open311 forwards whose status is due to be read again (each `every`), not yet closed
    on the body's side; claimed by moving `status_checked_at` to now."""
    due = and_(
        FORWARD.c.how == ForwardHow.OPEN311.value,
        FORWARD.c.kind == ForwardKind.REPORT.value,
        FORWARD.c.state == SENT,
        or_(FORWARD.c.remote_status.is_(None), FORWARD.c.remote_status != "closed"),
        or_(FORWARD.c.service_request_id.is_not(None), FORWARD.c.token.is_not(None)),
        or_(FORWARD.c.status_checked_at.is_(None), FORWARD.c.status_checked_at <= now - every),
    )
    candidates = (
        select(FORWARD.c.id)
        .where(due)
        .order_by(FORWARD.c.status_checked_at.is_not(None), FORWARD.c.status_checked_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return await _claim(session, candidates, due, {"status_checked_at": now})


async def record_status(
    session: AsyncSession,
    *,
    forward_id: int,
    service_request_id: str | None = None,
    remote_status: str | None = None,
) -> None:
    values: dict[str, object] = {}
    if service_request_id is not None:
        values["service_request_id"] = service_request_id[:64]
    if remote_status is not None:
        values["remote_status"] = remote_status[:16]
    if values:
        await session.exec(  # type: ignore[call-overload]
            update(FORWARD).where(FORWARD.c.id == forward_id).values(**values)
        )


async def counts(session: AsyncSession) -> dict[tuple[str, str], int]:
    """(body, state) → forwards."""
    stmt = select(FORWARD.c.body_code, FORWARD.c.state, func.count()).group_by(
        FORWARD.c.body_code, FORWARD.c.state
    )
    return {(body, state): n for body, state, n in (await session.exec(stmt)).all()}


async def for_report(session: AsyncSession, *, report_id: int) -> Sequence[ReportForward]:
    stmt = select(ReportForward).where(ReportForward.report_id == report_id)
    return (await session.exec(stmt)).all()
