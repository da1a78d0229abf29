"""What citizens subscribe to: topics, places, and their delivery settings.

A subscriber has at least one topic and at least one place. The first topic brings the place
"all of the city" with it, and taking away the last place puts it back, so a subscription
never silently matches nowhere. "All of the city" excludes districts and pins (choosing one
replaces it, and choosing it replaces them).

For a pin (kind radius) `district` holds the district its centre lies in, worked out when the
citizen shares it, so "notices to districts D" can match pins in SQL (see repos.notice_audience).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import (
    AlertPlace,
    AlertSettings,
    AlertTopic,
    Held,
    Outbox,
    OutboxKind,
    OutboxStatus,
    PlaceKind,
)

MAX_PINS = 5
PUSH_KINDS = (OutboxKind.NOTICE.value, OutboxKind.DIGEST.value)  # what /stop withdraws


# -- topics -------------------------------------------------------------------------------


async def topics(session: AsyncSession, *, citizen_id: int) -> set[str]:
    stmt = select(AlertTopic.topic).where(AlertTopic.citizen_id == citizen_id)
    return set((await session.exec(stmt)).all())


async def set_topic(
    session: AsyncSession, *, citizen_id: int, topic: str, on: bool, now: datetime
) -> bool:
    """Subscribe to or unsubscribe from a topic; False when nothing changed. Subscribing ends a
    /stop and, for a first subscription, adds the place "all of the city"."""
    row = await session.get(AlertTopic, (citizen_id, topic))
    if on:
        await resume(session, citizen_id=citizen_id, now=now)
        await _ensure_a_place(session, citizen_id=citizen_id, now=now)
        if row is not None:
            return False
        session.add(AlertTopic(citizen_id=citizen_id, topic=topic, created_at=now))
        return True
    if row is None:
        return False
    await session.delete(row)
    return True


# -- places -------------------------------------------------------------------------------


async def places(session: AsyncSession, *, citizen_id: int) -> list[AlertPlace]:
    stmt = (
        select(AlertPlace).where(AlertPlace.citizen_id == citizen_id).order_by(col(AlertPlace.id))
    )
    return list((await session.exec(stmt)).all())


async def set_whole_city(session: AsyncSession, *, citizen_id: int, now: datetime) -> None:
    """The whole city instead of any districts and pins."""
    await _delete_places(session, citizen_id=citizen_id)
    session.add(AlertPlace(citizen_id=citizen_id, kind=PlaceKind.ALL.value, created_at=now))


async def set_district(
    session: AsyncSession, *, citizen_id: int, district: str, on: bool, now: datetime
) -> bool:
    """Add or remove a district; False when nothing changed."""
    stmt = select(AlertPlace).where(
        AlertPlace.citizen_id == citizen_id,
        AlertPlace.kind == PlaceKind.DISTRICT.value,
        AlertPlace.district == district,
    )
    found = list((await session.exec(stmt)).all())
    if on == bool(found):
        return False
    if on:
        await _delete_places(session, citizen_id=citizen_id, kind=PlaceKind.ALL)
        session.add(
            AlertPlace(
                citizen_id=citizen_id,
                kind=PlaceKind.DISTRICT.value,
                district=district,
                created_at=now,
            )
        )
        return True
    for row in found:
        await session.delete(row)
    await _ensure_a_place(session, citizen_id=citizen_id, now=now)
    return True


async def add_pin(
    session: AsyncSession,
    *,
    citizen_id: int,
    lat: float,
    lon: float,
    radius_m: int,
    district: str | None,
    now: datetime,
) -> AlertPlace:
    """A circle around a shared point; `district` is the one the point lies in. The oldest
    pin makes way when there are already MAX_PINS."""
    await _delete_places(session, citizen_id=citizen_id, kind=PlaceKind.ALL)
    pins = [p for p in await places(session, citizen_id=citizen_id) if p.kind == PlaceKind.RADIUS]
    for old in pins[: max(0, len(pins) - MAX_PINS + 1)]:
        await session.delete(old)
    place = AlertPlace(
        citizen_id=citizen_id,
        kind=PlaceKind.RADIUS.value,
        district=district,
        lat=lat,
        lon=lon,
        radius_m=radius_m,
        created_at=now,
    )
    session.add(place)
    await session.flush()
    return place


async def remove_place(
    session: AsyncSession, *, citizen_id: int, place_id: int, now: datetime
) -> bool:
    place = await session.get(AlertPlace, place_id)
    if place is None or place.citizen_id != citizen_id:
        return False
    await session.delete(place)
    await _ensure_a_place(session, citizen_id=citizen_id, now=now)
    return True


async def _delete_places(
    session: AsyncSession, *, citizen_id: int, kind: PlaceKind | None = None
) -> None:
    stmt = delete(AlertPlace).where(col(AlertPlace.citizen_id) == citizen_id)
    if kind is not None:
        stmt = stmt.where(col(AlertPlace.kind) == kind.value)
    await session.exec(stmt)  # type: ignore[call-overload]


async def _ensure_a_place(session: AsyncSession, *, citizen_id: int, now: datetime) -> None:
    await session.flush()
    if not await places(session, citizen_id=citizen_id):
        session.add(AlertPlace(citizen_id=citizen_id, kind=PlaceKind.ALL.value, created_at=now))


# -- settings -----------------------------------------------------------------------------


async def settings(session: AsyncSession, *, citizen_id: int) -> AlertSettings:
    """The citizen's settings; the defaults (not stored) when they never changed any."""
    row = await session.get(AlertSettings, citizen_id)
    return row if row is not None else AlertSettings(citizen_id=citizen_id)


async def set_quiet(
    session: AsyncSession,
    *,
    citizen_id: int,
    enabled: bool,
    window: tuple[int, int] | None = None,
    now: datetime,
) -> AlertSettings:
    """Quiet hours on or off; `window` is (from, to) in minutes after local midnight."""
    row = await settings(session, citizen_id=citizen_id)
    row.quiet_enabled = enabled
    if window is not None:
        row.quiet_from, row.quiet_to = window
    row.updated_at = now
    session.add(row)
    return row


async def set_digest(
    session: AsyncSession,
    *,
    citizen_id: int,
    hour: int | None,
    next_digest_at: datetime | None,
    now: datetime,
) -> AlertSettings:
    """A daily digest of non-urgent notices at `hour` (local), next at `next_digest_at`;
    None: each notice at once. Notices already held for a digest follow the change: they
    move to the new digest time, or go out now when there is no digest any more."""
    row = await settings(session, citizen_id=citizen_id)
    row.digest_hour = hour
    row.updated_at = now
    session.add(row)
    held = update(Outbox).where(
        col(Outbox.citizen_id) == citizen_id,
        col(Outbox.status) == OutboxStatus.PENDING.value,
        col(Outbox.held) == Held.DIGEST.value,
    )
    if hour is None or next_digest_at is None:
        held = held.values(held=None, next_attempt_at=now)
    else:
        held = held.values(next_attempt_at=next_digest_at)
    await session.exec(held)  # type: ignore[call-overload]
    return row


async def stop(session: AsyncSession, *, citizen_id: int, now: datetime) -> int:
    """/stop: no alerts, notices, digests or survey invitations until the citizen turns them
    back on (news about their reports is apart: set_report_news). Topics and places are
    kept (resuming is one tap); notices already queued for the citizen are withdrawn.
    Returns how many queued messages were withdrawn."""
    row = await settings(session, citizen_id=citizen_id)
    row.stopped = True
    row.updated_at = now
    session.add(row)
    result = await session.exec(  # type: ignore[call-overload]
        update(Outbox)
        .where(
            col(Outbox.citizen_id) == citizen_id,
            col(Outbox.status) == OutboxStatus.PENDING.value,
            col(Outbox.kind).in_(PUSH_KINDS),
        )
        .values(status=OutboxStatus.CANCELLED.value, error="stopped by the citizen")
    )
    return result.rowcount or 0


async def set_report_news(
    session: AsyncSession, *, citizen_id: int, on: bool, now: datetime
) -> AlertSettings:
    """News about the citizen's own and followed reports on or off (apart from /stop)."""
    row = await settings(session, citizen_id=citizen_id)
    row.report_news = on
    row.updated_at = now
    session.add(row)
    return row


async def resume(session: AsyncSession, *, citizen_id: int, now: datetime) -> bool:
    """End a /stop; False when the citizen had not stopped."""
    row = await session.get(AlertSettings, citizen_id)
    if row is None or not row.stopped:
        return False
    row.stopped = False
    row.updated_at = now
    session.add(row)
    return True
