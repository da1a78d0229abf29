"""Feeds' polling state (claimed in SQL), their alerts, and who watches an alert's end."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import FeedAlert, FeedAlertStatus, FeedState, FeedWatch

OPEN = (FeedAlertStatus.REVIEW.value, FeedAlertStatus.ACTIVE.value)


def _insert(session: AsyncSession):  # type: ignore[no-untyped-def]
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    return pg_insert if dialect == "postgresql" else sqlite_insert


# -- polling ----------------------------------------------------------------------------------


async def claim(session: AsyncSession, *, feed_id: str, now: datetime, lease: timedelta) -> bool:
    """Take the feed for one poll if it is due: its next poll moves `lease` ahead (a poller
    that dies frees it then). Of several processes, one wins."""
    table = FeedState.__table__  # type: ignore[attr-defined]
    await session.exec(  # type: ignore[call-overload]
        _insert(session)(table)
        .values(feed_id=feed_id, next_poll_at=now, failures=0, items=0, updated_at=now)
        .on_conflict_do_nothing(index_elements=["feed_id"])
    )
    result = await session.exec(  # type: ignore[call-overload]
        update(FeedState)
        .where(col(FeedState.feed_id) == feed_id, col(FeedState.next_poll_at) <= now)
        .values(next_poll_at=now + lease, updated_at=now)
    )
    return result.rowcount == 1


async def state(session: AsyncSession, *, feed_id: str) -> FeedState | None:
    stmt = (
        select(FeedState)
        .where(FeedState.feed_id == feed_id)
        .execution_options(populate_existing=True)
    )
    return (await session.exec(stmt)).first()


async def states(session: AsyncSession) -> dict[str, FeedState]:
    return {s.feed_id: s for s in (await session.exec(select(FeedState))).all()}


async def succeeded(
    session: AsyncSession,
    *,
    feed_id: str,
    now: datetime,
    next_poll_at: datetime,
    items: int,
    etag: str | None,
    last_modified: str | None,
    changed: bool,
) -> None:
    values: dict[str, object] = dict(
        next_poll_at=next_poll_at, last_success_at=now, failures=0, items=items, updated_at=now
    )
    if changed:
        values.update(etag=etag, last_modified=last_modified)
    await session.exec(  # type: ignore[call-overload]
        update(FeedState).where(col(FeedState.feed_id) == feed_id).values(**values)
    )


async def failed(
    session: AsyncSession, *, feed_id: str, now: datetime, next_poll_at: datetime, error: str
) -> None:
    await session.exec(  # type: ignore[call-overload]
        update(FeedState)
        .where(col(FeedState.feed_id) == feed_id)
        .values(
            next_poll_at=next_poll_at,
            last_error_at=now,
            last_error=error[:300],
            failures=col(FeedState.failures) + 1,
            updated_at=now,
        )
    )


# -- alerts -----------------------------------------------------------------------------------


async def get(session: AsyncSession, *, alert_id: int) -> FeedAlert | None:
    stmt = (
        select(FeedAlert).where(FeedAlert.id == alert_id).execution_options(populate_existing=True)
    )
    return (await session.exec(stmt)).first()


async def by_source(session: AsyncSession, *, feed_id: str, source_id: str) -> FeedAlert | None:
    stmt = (
        select(FeedAlert)
        .where(FeedAlert.feed_id == feed_id, FeedAlert.source_id == source_id)
        .execution_options(populate_existing=True)
    )
    return (await session.exec(stmt)).first()


async def add(session: AsyncSession, alert: FeedAlert) -> FeedAlert | None:
    """Insert a new alert; None when another process inserted the same item first."""
    table = FeedAlert.__table__  # type: ignore[attr-defined]
    values = {c.name: getattr(alert, c.name) for c in table.columns if c.name != "id"}
    stmt = (
        _insert(session)(table)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["feed_id", "source_id"])
        .returning(table.c["id"])
    )
    new_id = (await session.exec(stmt)).scalar_one_or_none()  # type: ignore[call-overload]
    return None if new_id is None else await get(session, alert_id=new_id)


async def open_of(session: AsyncSession, *, feed_id: str) -> list[FeedAlert]:
    stmt = (
        select(FeedAlert)
        .where(FeedAlert.feed_id == feed_id, col(FeedAlert.status).in_(OPEN))
        .order_by(col(FeedAlert.id))
        .execution_options(populate_existing=True)
    )
    return list((await session.exec(stmt)).all())


async def active(session: AsyncSession, *, now: datetime) -> list[FeedAlert]:
    """Alerts sent to citizens and not over, the soonest to end first."""
    stmt = (
        select(FeedAlert)
        .where(FeedAlert.status == FeedAlertStatus.ACTIVE.value)
        .order_by(col(FeedAlert.ends_at).is_(None), col(FeedAlert.ends_at), col(FeedAlert.id))
    )
    return [a for a in (await session.exec(stmt)).all() if a.ends_at is None or a.ends_at > now]


async def expired(session: AsyncSession, *, now: datetime) -> list[FeedAlert]:
    stmt = (
        select(FeedAlert)
        .where(col(FeedAlert.status).in_(OPEN), col(FeedAlert.ends_at) <= now)
        .order_by(col(FeedAlert.id))
    )
    return list((await session.exec(stmt)).all())


async def set_status(
    session: AsyncSession,
    *,
    alert_id: int,
    before: Iterable[str],
    after: FeedAlertStatus,
    now: datetime,
    **values: object,
) -> bool:
    """Move the alert from one of `before` to `after`; False if it was not in `before`
    (another process or staff member got there first)."""
    if after == FeedAlertStatus.CLOSED:
        values.setdefault("closed_at", now)
    result = await session.exec(  # type: ignore[call-overload]
        update(FeedAlert)
        .where(col(FeedAlert.id) == alert_id, col(FeedAlert.status).in_(list(before)))
        .values(status=after.value, updated_at=now, **values)
    )
    return result.rowcount == 1


async def recent(session: AsyncSession, *, limit: int = 10) -> list[FeedAlert]:
    stmt = select(FeedAlert).order_by(col(FeedAlert.id).desc()).limit(limit)
    return list((await session.exec(stmt)).all())


# -- watchers ---------------------------------------------------------------------------------


async def watch(session: AsyncSession, *, alert_id: int, citizen_id: int, now: datetime) -> bool:
    """The citizen will be told when the alert ends, and the alert counts one report avoided;
    False if they already were."""
    table = FeedWatch.__table__  # type: ignore[attr-defined]
    stmt = (
        _insert(session)(table)
        .values(alert_id=alert_id, citizen_id=citizen_id, created_at=now)
        .on_conflict_do_nothing(index_elements=["alert_id", "citizen_id"])
    )
    result = await session.exec(stmt)  # type: ignore[call-overload]
    if result.rowcount != 1:
        return False
    await session.exec(  # type: ignore[call-overload]
        update(FeedAlert)
        .where(col(FeedAlert.id) == alert_id)
        .values(avoided=col(FeedAlert.avoided) + 1)
    )
    return True
