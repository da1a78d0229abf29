"""Who receives a notice (`Audience`, resolved against the city's map by the scheduler):

- citizens who are not opted out and have not used /stop (a banned citizen too: public
  information, emergencies above all, is for every resident; surveys are not);
- subscribed to the notice's topic; an urgent (emergency) notice goes to everyone subscribed
  to any topic, because a city wants a flood warning or a burst main to reach everyone who
  agreed to hear from it, whatever they chose to follow;
- whose places match the audience: a notice to districts D reaches places "all", districts in
  D and pins centred in D; a notice to a circle reaches places "all", districts the circle
  touches and pins whose own circle overlaps it; a notice to the whole city reaches everyone.

The conditions are SQL; only pins near a circle audience are measured in Python. Survey
invitations reuse them (storage/repos/surveys.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, or_, true
from sqlalchemy.orm import aliased
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import (
    AlertPlace,
    AlertSettings,
    AlertTopic,
    ChannelIdentity,
    Citizen,
    FeedWatch,
    NoticeRun,
    Outbox,
    OutboxStatus,
    PlaceKind,
)

MAX_PIN_RADIUS_M = 2000
"""The largest circle a citizen can put around a pin (handlers.alerts offers 500 m–2 km)."""

_CHUNK = 500

Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class Audience:
    """Where a notice goes, resolved against the city's map (scheduler.notices does that).

    kind "all": the whole city. "districts": `districts` are those named. "radius": the
    circle (lat, lon, radius_m), or any other area (a feed's alert): `districts` are the
    districts it touches, `pin_box` bounds the centres of pins that could reach it and
    `reaches(lat, lon, r)` is the exact test. "told": whoever was sent notice `told_notice`
    and whoever asked to be told when feed alert `watched_alert` ends (updates and ends of a
    feed's alert), whatever their topics and places now.
    """

    kind: str
    districts: frozenset[str] = frozenset()
    lat: float | None = None
    lon: float | None = None
    radius_m: int | None = None
    pin_box: Box | None = None
    reaches: Callable[[float, float, int], bool] | None = field(default=None, compare=False)
    told_notice: int | None = None
    watched_alert: int | None = None


def eligible(
    topic: str, urgent: bool, audience: Audience | None = None
) -> list[ColumnElement[bool]]:
    settings = aliased(AlertSettings)
    stopped = exists().where(settings.citizen_id == Citizen.id, col(settings.stopped).is_(True))
    if audience is not None and audience.kind == "told":  # told (or asked to be) before
        return [col(Citizen.opted_out).is_(False), ~stopped]
    subscription = aliased(AlertTopic)
    subscribed = exists().where(subscription.citizen_id == Citizen.id)
    if not urgent:
        subscribed = subscribed.where(subscription.topic == topic)
    return [col(Citizen.opted_out).is_(False), subscribed, ~stopped]


def _told(audience: Audience) -> ColumnElement[bool]:
    """Sent the notice (not merely queued), or watching the alert."""
    told = aliased(Outbox)
    run = aliased(NoticeRun)
    sent = exists().where(
        told.citizen_id == Citizen.id,
        told.status == OutboxStatus.SENT.value,
        told.run_id == run.id,
        run.notice_id == (audience.told_notice or 0),
    )
    watch = aliased(FeedWatch)
    watching = exists().where(
        watch.citizen_id == Citizen.id, watch.alert_id == (audience.watched_alert or 0)
    )
    return or_(sent, watching)


def place_match(audience: Audience) -> ColumnElement[bool]:
    """Citizens with a place the audience certainly includes (pins of a circle aside)."""
    if audience.kind == "told":
        return _told(audience)
    place = aliased(AlertPlace)
    if audience.kind == "all":
        condition: ColumnElement[bool] = true()
    elif audience.kind == "districts":
        condition = or_(
            place.kind == PlaceKind.ALL.value,
            and_(
                col(place.kind).in_([PlaceKind.DISTRICT.value, PlaceKind.RADIUS.value]),
                col(place.district).in_(sorted(audience.districts)),
            ),
        )
    elif audience.kind == "radius":
        condition = or_(
            place.kind == PlaceKind.ALL.value,
            and_(
                place.kind == PlaceKind.DISTRICT.value,
                col(place.district).in_(sorted(audience.districts)),
            ),
        )
    else:
        raise ValueError(f"unknown audience kind {audience.kind!r}")
    return exists().where(place.citizen_id == Citizen.id, condition)


def _pins_in_box(place: Any, audience: Audience) -> list[ColumnElement[bool]] | None:
    """Conditions on `place` for pins that may reach a circle audience (the SQL pre-filter)."""
    if audience.kind != "radius" or audience.pin_box is None:
        return None
    min_lat, min_lon, max_lat, max_lon = audience.pin_box
    return [
        place.kind == PlaceKind.RADIUS.value,
        col(place.lat).between(min_lat, max_lat),
        col(place.lon).between(min_lon, max_lon),
    ]


def _reached(audience: Audience, lat: float | None, lon: float | None, r: int | None) -> bool:
    if audience.reaches is None or lat is None or lon is None:
        return False
    return audience.reaches(lat, lon, r or 0)


async def count_audience(
    session: AsyncSession, *, topic: str, audience: Audience, urgent: bool
) -> dict[str, int]:
    """How many recipients a notice would have now, by channel (the preview's figures).
    Counted in SQL; only pins near a circle audience are measured in Python."""
    conditions = eligible(topic, urgent, audience)
    base = place_match(audience)
    stmt = (
        select(ChannelIdentity.channel, func.count(func.distinct(ChannelIdentity.citizen_id)))
        .join(Citizen, col(Citizen.id) == col(ChannelIdentity.citizen_id))
        .where(*conditions, base)
        .group_by(col(ChannelIdentity.channel))
    )
    counts: dict[str, int] = {channel: n for channel, n in (await session.exec(stmt)).all()}
    pins = _pins_in_box(AlertPlace, audience)
    if pins is None:
        return counts
    stmt_pins = (
        select(AlertPlace.citizen_id, AlertPlace.lat, AlertPlace.lon, AlertPlace.radius_m)
        .join(Citizen, col(Citizen.id) == col(AlertPlace.citizen_id))
        .where(*conditions, ~base, *pins)
    )
    reached = {
        citizen_id
        for citizen_id, lat, lon, r in (await session.exec(stmt_pins)).all()
        if _reached(audience, lat, lon, r)
    }
    for chunk in _chunks(sorted(reached)):
        stmt = (
            select(ChannelIdentity.channel, func.count(func.distinct(ChannelIdentity.citizen_id)))
            .where(col(ChannelIdentity.citizen_id).in_(chunk))
            .group_by(col(ChannelIdentity.channel))
        )
        for channel, n in (await session.exec(stmt)).all():
            counts[channel] = counts.get(channel, 0) + n
    return counts


async def candidates(
    session: AsyncSession,
    *,
    topic: str,
    urgent: bool,
    audience: Audience,
    after: int,
    limit: int,
) -> list[tuple[int, str, bool]]:
    """(citizen id, language, certainly included) of the next `limit` possible recipients
    after citizen id `after`, in id order."""
    base = place_match(audience)
    pin = aliased(AlertPlace)
    pins = _pins_in_box(pin, audience)
    match = or_(base, exists().where(pin.citizen_id == Citizen.id, *pins)) if pins else base
    stmt = (
        select(Citizen.id, Citizen.language, base.label("certain"))
        .where(*eligible(topic, urgent, audience), match, col(Citizen.id) > after)
        .order_by(col(Citizen.id))
        .limit(limit)
    )
    found = (await session.exec(stmt)).all()
    return [(cid, language, bool(certain)) for cid, language, certain in found]


async def recipients(
    session: AsyncSession, candidates: list[tuple[int, str, bool]], audience: Audience
) -> dict[int, str]:
    """The candidates that really are recipients: citizen id → language."""
    chosen = {cid: language for cid, language, certain in candidates if certain}
    unsure = {cid: language for cid, language, certain in candidates if not certain}
    pins = _pins_in_box(AlertPlace, audience)
    if unsure and pins:
        stmt = select(
            AlertPlace.citizen_id, AlertPlace.lat, AlertPlace.lon, AlertPlace.radius_m
        ).where(col(AlertPlace.citizen_id).in_(sorted(unsure)), *pins)
        for cid, lat, lon, r in (await session.exec(stmt)).all():
            if cid not in chosen and _reached(audience, lat, lon, r):
                chosen[cid] = unsure[cid]
    return chosen


def _chunks(ids: list[int], size: int = _CHUNK) -> Iterable[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]
