"""Notices staff send, their runs, who receives them, and selecting them into the outbox.

Who receives a notice (`Audience`, resolved against the city's map by the scheduler):

- citizens who are not opted out and have not used /stop (a banned citizen too: public
  information, emergencies above all, is for every resident; surveys are not);
- subscribed to the notice's topic; an urgent (emergency) notice goes to everyone subscribed
  to any topic, because a city wants a flood warning or a burst main to reach everyone who
  agreed to hear from it, whatever they chose to follow;
- whose places match the audience: a notice to districts D reaches places "all", districts in
  D and pins centred in D; a notice to a circle reaches places "all", districts the circle
  touches and pins whose own circle overlaps it; a notice to the whole city reaches everyone.

Each recipient gets one message on each channel they use (a citizen on Telegram and Viber
gets it on both: they may read either), never two on the same channel.

Selection runs in batches of citizens ordered by id. Each batch is one transaction that first
moves NoticeRun.cursor past the batch (a conditional UPDATE: a second selector of the same run
finds the cursor moved and stops) and then inserts the batch's outbox rows, so a crash resumes
after the last committed batch and the audience is never held in memory. Quiet hours and
the daily digest are applied as rows are inserted; urgent rows are never held.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    and_,
    exists,
    func,
    or_,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
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
    Notice,
    NoticeRun,
    NoticeStatus,
    Outbox,
    OutboxStatus,
    PlaceKind,
    RunStatus,
)
from storage.repos import outbox

MAX_PIN_RADIUS_M = 2000
"""The largest circle a citizen can put around a pin (handlers.alerts offers 500 m–2 km)."""

KIND_NOTICE = "notice"
KIND_DIGEST = "digest"
HELD_QUIET = "quiet"
HELD_DIGEST = "digest"
ACTIVE_RUNS = (RunStatus.SELECTING.value, RunStatus.SENDING.value)
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


@dataclass(frozen=True, slots=True)
class Batch:
    candidates: int  # citizens looked at
    inserted: int  # outbox rows written
    done: bool  # the run's selection is complete (or no longer this selector's to do)


# -- quiet hours and digests --------------------------------------------------------------


def local_instant(day: date, minute: int, tz: ZoneInfo) -> datetime:
    """The UTC instant of `minute` after midnight on `day` in zone `tz`. A wall time that
    happens twice (autumn) is the first; one that does not exist (spring) comes out as late
    as the clocks jumped (03:30 on the last Sunday of March in Sofia is 04:30 summer time)."""
    wall = datetime.combine(day, time(minute // 60, minute % 60))
    return wall.replace(tzinfo=tz).astimezone(UTC)


def quiet_until(now: datetime, tz: ZoneInfo, start: int, end: int) -> datetime | None:
    """When the quiet window [start, end) (minutes after local midnight; it may span
    midnight) ends, if `now` falls inside it; else None. An empty window (start == end)
    is never quiet."""
    if start == end:
        return None
    local = now.astimezone(tz)
    minute = local.hour * 60 + local.minute
    inside = start <= minute < end if start < end else (minute >= start or minute < end)
    if not inside:
        return None
    day = local.date() if minute < end else local.date() + timedelta(days=1)
    return local_instant(day, end, tz)


def next_digest(now: datetime, tz: ZoneInfo, hour: int) -> datetime:
    """The next time it is `hour`:00 in zone `tz`, now included."""
    today = now.astimezone(tz).date()
    at = local_instant(today, hour * 60, tz)
    return at if at >= now else local_instant(today + timedelta(days=1), hour * 60, tz)


def hold(
    settings: AlertSettings | None, *, urgent: bool, now: datetime, tz: ZoneInfo
) -> tuple[str | None, datetime]:
    """(held, next_attempt_at) for a notice to a citizen with these settings (None: the
    defaults, quiet hours 22:00-07:00 included)."""
    if urgent:
        return None, now
    settings = settings or AlertSettings(citizen_id=0)
    if settings.digest_hour is not None:
        return HELD_DIGEST, next_digest(now, tz, settings.digest_hour)
    if settings.quiet_enabled:
        until = quiet_until(now, tz, settings.quiet_from, settings.quiet_to)
        if until is not None:
            return HELD_QUIET, until
    return None, now


# -- who receives a notice ----------------------------------------------------------------


def _eligible(
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


def _place_match(audience: Audience) -> ColumnElement[bool]:
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
    eligible = _eligible(topic, urgent, audience)
    base = _place_match(audience)
    stmt = (
        select(ChannelIdentity.channel, func.count(func.distinct(ChannelIdentity.citizen_id)))
        .join(Citizen, col(Citizen.id) == col(ChannelIdentity.citizen_id))
        .where(*eligible, base)
        .group_by(col(ChannelIdentity.channel))
    )
    counts: dict[str, int] = {channel: n for channel, n in (await session.exec(stmt)).all()}
    pins = _pins_in_box(AlertPlace, audience)
    if pins is None:
        return counts
    stmt_pins = (
        select(AlertPlace.citizen_id, AlertPlace.lat, AlertPlace.lon, AlertPlace.radius_m)
        .join(Citizen, col(Citizen.id) == col(AlertPlace.citizen_id))
        .where(*eligible, ~base, *pins)
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


async def _candidates(
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
    base = _place_match(audience)
    pin = aliased(AlertPlace)
    pins = _pins_in_box(pin, audience)
    match = or_(base, exists().where(pin.citizen_id == Citizen.id, *pins)) if pins else base
    stmt = (
        select(Citizen.id, Citizen.language, base.label("certain"))
        .where(*_eligible(topic, urgent, audience), match, col(Citizen.id) > after)
        .order_by(col(Citizen.id))
        .limit(limit)
    )
    return [(cid, language, bool(certain)) for cid, language, certain in await _all(session, stmt)]


async def _recipients(
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


async def _outbox_rows(
    session: AsyncSession,
    *,
    run_id: int,
    recipients: dict[int, str],
    urgent: bool,
    now: datetime,
    tz: ZoneInfo,
) -> list[dict[str, Any]]:
    if not recipients:
        return []
    ids = sorted(recipients)
    settings_stmt = select(AlertSettings).where(col(AlertSettings.citizen_id).in_(ids))
    settings = {s.citizen_id: s for s in (await session.exec(settings_stmt)).all()}
    identities = (
        select(ChannelIdentity.citizen_id, ChannelIdentity.channel, ChannelIdentity.user_id)
        .where(col(ChannelIdentity.citizen_id).in_(ids))
        .order_by(col(ChannelIdentity.citizen_id), col(ChannelIdentity.id))
    )
    rows: list[dict[str, Any]] = []
    seen: set[tuple[int, str]] = set()
    for cid, channel, user_id in (await session.exec(identities)).all():
        if (cid, channel) in seen:
            continue  # one message per channel, even with two accounts on it
        seen.add((cid, channel))
        held, at = hold(settings.get(cid), urgent=urgent, now=now, tz=tz)
        rows.append(
            {
                "run_id": run_id,
                "citizen_id": cid,
                "channel": channel,
                "user_id": user_id,
                "language": recipients[cid],
                "kind": KIND_NOTICE,
                "urgent": urgent,
                "held": held,
                "next_attempt_at": at,
            }
        )
    return rows


async def select_batch(
    session: AsyncSession,
    *,
    run_id: int,
    topic: str,
    urgent: bool,
    audience: Audience,
    now: datetime,
    tz: ZoneInfo,
    limit: int,
) -> Batch:
    """Select the next batch of the run's recipients into the outbox (the caller commits).
    The last batch moves the run from selecting to sending."""
    run = await _fresh_run(session, run_id)
    if run is None or run.status != RunStatus.SELECTING.value:
        return Batch(0, 0, done=True)
    candidates = await _candidates(
        session, topic=topic, urgent=urgent, audience=audience, after=run.cursor, limit=limit
    )
    done = len(candidates) < limit
    cursor = candidates[-1][0] if candidates else run.cursor
    if not await _advance(session, run_id=run_id, old=run.cursor, new=cursor, done=done):
        return Batch(0, 0, done=True)  # another process is selecting this run
    recipients = await _recipients(session, candidates, audience)
    rows = await _outbox_rows(
        session, run_id=run_id, recipients=recipients, urgent=urgent, now=now, tz=tz
    )
    inserted = await outbox.enqueue_many(session, rows=rows, now=now)
    if inserted:
        await session.exec(  # type: ignore[call-overload]
            update(NoticeRun)
            .where(col(NoticeRun.id) == run_id)
            .values(total=col(NoticeRun.total) + inserted)
        )
    return Batch(len(candidates), inserted, done)


async def _advance(session: AsyncSession, *, run_id: int, old: int, new: int, done: bool) -> bool:
    status = RunStatus.SENDING if done else RunStatus.SELECTING
    result = await session.exec(  # type: ignore[call-overload]
        update(NoticeRun)
        .where(
            col(NoticeRun.id) == run_id,
            col(NoticeRun.cursor) == old,
            col(NoticeRun.status) == RunStatus.SELECTING.value,
        )
        .values(cursor=new, status=status.value)
    )
    return result.rowcount == 1


async def _fresh_run(session: AsyncSession, run_id: int) -> NoticeRun | None:
    stmt = select(NoticeRun).where(NoticeRun.id == run_id).execution_options(populate_existing=True)
    return (await session.exec(stmt)).first()


# -- notices ------------------------------------------------------------------------------


async def create(
    session: AsyncSession,
    *,
    topic: str,
    urgent: bool,
    text_bg: str,
    text_en: str | None,
    photo: str | None,
    audience: dict[str, Any],
    created_by: int | None,
    next_run_at: datetime,
    recurrence: str | None = None,
    ends_at: datetime | None = None,
    expires_after_s: int = 12 * 3600,
    progress: tuple[str, str] | None = None,
    now: datetime,
) -> Notice:
    """A scheduled notice; `progress` is the sender's (channel, user id) for a notice sent
    now, whose progress message the delivery engine keeps up to date."""
    notice = Notice(
        topic=topic,
        urgent=urgent,
        text_bg=text_bg,
        text_en=text_en,
        photo=photo,
        audience=dict(audience),
        created_by=created_by,
        created_at=now,
        updated_at=now,
        recurrence=recurrence,
        ends_at=ends_at,
        expires_after_s=expires_after_s,
        next_run_at=next_run_at,
        status=NoticeStatus.SCHEDULED.value,
        progress_channel=progress[0] if progress else None,
        progress_user_id=progress[1] if progress else None,
    )
    session.add(notice)
    await session.flush()
    return notice


async def get(session: AsyncSession, *, notice_id: int) -> Notice | None:
    stmt = select(Notice).where(Notice.id == notice_id).execution_options(populate_existing=True)
    return (await session.exec(stmt)).first()


async def due(session: AsyncSession, *, now: datetime, limit: int = 50) -> list[Notice]:
    """Scheduled notices whose time has come, oldest first."""
    stmt = (
        select(Notice)
        .where(Notice.status == NoticeStatus.SCHEDULED.value, col(Notice.next_run_at) <= now)
        .order_by(col(Notice.next_run_at), col(Notice.id))
        .limit(limit)
        .execution_options(populate_existing=True)
    )
    return list((await session.exec(stmt)).all())


async def claim(
    session: AsyncSession,
    *,
    notice_id: int,
    due_at: datetime,
    next_run_at: datetime | None,
    status: NoticeStatus,
    now: datetime,
) -> bool:
    """Take the occurrence due at `due_at`: move the notice on to `next_run_at` and `status`
    if, and only if, it is still scheduled for `due_at`. Of two processes, one wins."""
    result = await session.exec(  # type: ignore[call-overload]
        update(Notice)
        .where(
            col(Notice.id) == notice_id,
            col(Notice.next_run_at) == due_at,
            col(Notice.status) == NoticeStatus.SCHEDULED.value,
        )
        .values(next_run_at=next_run_at, status=status.value, updated_at=now)
    )
    return result.rowcount == 1


async def add_run(
    session: AsyncSession,
    *,
    notice_id: int,
    due_at: datetime,
    status: RunStatus,
    now: datetime,
) -> NoticeRun | None:
    """The run of the occurrence due at `due_at`; None if that occurrence already has one."""
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    table = NoticeRun.__table__  # type: ignore[attr-defined]
    finished = now if status in (RunStatus.MISSED, RunStatus.DONE) else None
    stmt = (
        insert(table)
        .values(
            notice_id=notice_id,
            due_at=due_at,
            status=status.value,
            cursor=0,
            total=0,
            created_at=now,
            finished_at=finished,
        )
        .on_conflict_do_nothing(index_elements=["notice_id", "due_at"])
        .returning(table.c["id"])
    )
    run_id = (await session.exec(stmt)).scalar_one_or_none()  # type: ignore[call-overload]
    return None if run_id is None else await session.get(NoticeRun, run_id)


async def selecting_runs(session: AsyncSession) -> list[tuple[NoticeRun, Notice]]:
    stmt = (
        select(NoticeRun, Notice)
        .join(Notice, col(Notice.id) == col(NoticeRun.notice_id))
        .where(NoticeRun.status == RunStatus.SELECTING.value)
        .order_by(col(NoticeRun.id))
        .execution_options(populate_existing=True)
    )
    return [(run, notice) for run, notice in (await session.exec(stmt)).all()]


async def pause(session: AsyncSession, *, notice_id: int, now: datetime) -> bool:
    return await _set_status(
        session, notice_id, NoticeStatus.SCHEDULED, NoticeStatus.PAUSED, now=now
    )


async def resume(
    session: AsyncSession, *, notice_id: int, next_run_at: datetime | None, now: datetime
) -> bool:
    return await _set_status(
        session,
        notice_id,
        NoticeStatus.PAUSED,
        NoticeStatus.SCHEDULED,
        now=now,
        next_run_at=next_run_at,
    )


async def _set_status(
    session: AsyncSession,
    notice_id: int,
    before: NoticeStatus,
    after: NoticeStatus,
    *,
    now: datetime,
    **values: Any,
) -> bool:
    result = await session.exec(  # type: ignore[call-overload]
        update(Notice)
        .where(col(Notice.id) == notice_id, col(Notice.status) == before.value)
        .values(status=after.value, updated_at=now, **values)
    )
    return result.rowcount == 1


async def cancel(session: AsyncSession, *, notice_id: int, now: datetime) -> int:
    """Cancel the notice: no further occurrences, its running runs stop and their messages
    not sent yet are withdrawn. Returns how many messages were withdrawn."""
    await session.exec(  # type: ignore[call-overload]
        update(Notice)
        .where(col(Notice.id) == notice_id)
        .values(status=NoticeStatus.CANCELLED.value, next_run_at=None, updated_at=now)
    )
    runs = select(NoticeRun.id).where(
        NoticeRun.notice_id == notice_id, col(NoticeRun.status).in_(ACTIVE_RUNS)
    )
    run_ids = list((await session.exec(runs)).all())
    if not run_ids:
        return 0
    await session.exec(  # type: ignore[call-overload]
        update(NoticeRun)
        .where(col(NoticeRun.id).in_(run_ids))
        .values(status=RunStatus.CANCELLED.value, finished_at=now)
    )
    withdrawn = 0
    for run_id in run_ids:
        withdrawn += await outbox.cancel_run(session, run_id=run_id)
    return withdrawn


# -- what staff see -----------------------------------------------------------------------


def state(notice: Notice, runs: Iterable[NoticeRun]) -> str:
    """A notice's state as staff are told it everywhere (/notice, /notices): a notice with no
    occurrence left is "done" only once its last run is; until then it is that run's state
    ("selecting", "sending"). Otherwise the notice's own status (scheduled, paused, …)."""
    if notice.status == NoticeStatus.DONE.value:
        for run in runs:
            if run.status in ACTIVE_RUNS:
                return run.status
    return notice.status


async def upcoming(session: AsyncSession, *, limit: int = 20) -> list[Notice]:
    """Scheduled and paused notices, the soonest first."""
    stmt = (
        select(Notice)
        .where(col(Notice.status).in_([NoticeStatus.SCHEDULED.value, NoticeStatus.PAUSED.value]))
        .order_by(col(Notice.next_run_at).is_(None), col(Notice.next_run_at), col(Notice.id))
        .limit(limit)
    )
    return list((await session.exec(stmt)).all())


async def runs(
    session: AsyncSession,
    *,
    statuses: Iterable[str],
    since: datetime | None = None,
    limit: int = 20,
) -> list[tuple[NoticeRun, Notice]]:
    """Runs in these statuses (due since `since`), the latest first, with their notices."""
    stmt = (
        select(NoticeRun, Notice)
        .join(Notice, col(Notice.id) == col(NoticeRun.notice_id))
        .where(col(NoticeRun.status).in_(list(statuses)))
        .order_by(col(NoticeRun.due_at).desc(), col(NoticeRun.id).desc())
        .limit(limit)
    )
    if since is not None:
        stmt = stmt.where(col(NoticeRun.due_at) >= since)
    return [(run, notice) for run, notice in (await session.exec(stmt)).all()]


async def runs_of(session: AsyncSession, *, notice_id: int, limit: int = 5) -> list[NoticeRun]:
    stmt = (
        select(NoticeRun)
        .where(NoticeRun.notice_id == notice_id)
        .order_by(col(NoticeRun.due_at).desc(), col(NoticeRun.id).desc())
        .limit(limit)
        .execution_options(populate_existing=True)
    )
    return list((await session.exec(stmt)).all())


# -- digests ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HeldNotice:
    """A notice held for a citizen's digest."""

    outbox_id: int
    topic: str
    text_bg: str
    text_en: str | None
    due_at: datetime


async def digests_due(
    session: AsyncSession, *, now: datetime, limit: int = 200
) -> list[tuple[int, str]]:
    """(citizen id, channel) of everyone with notices held for a digest that is due."""
    stmt = (
        select(Outbox.citizen_id, Outbox.channel)
        .where(
            Outbox.status == OutboxStatus.PENDING.value,
            Outbox.held == HELD_DIGEST,
            col(Outbox.next_attempt_at) <= now,
        )
        .group_by(col(Outbox.citizen_id), col(Outbox.channel))
        .order_by(col(Outbox.citizen_id), col(Outbox.channel))
        .limit(limit)
    )
    return [(cid, channel) for cid, channel in (await session.exec(stmt)).all() if cid]


async def take_digest(
    session: AsyncSession, *, citizen_id: int, channel: str, now: datetime
) -> tuple[Outbox | None, list[HeldNotice]]:
    """The citizen's due digest notices on `channel`, locked for this transaction (on
    PostgreSQL; a concurrent digest job skips them), oldest first, and the last such outbox
    row (its address and language are the digest's)."""
    stmt = (
        select(Outbox, Notice.topic, Notice.text_bg, Notice.text_en, NoticeRun.due_at)
        .join(NoticeRun, col(NoticeRun.id) == col(Outbox.run_id))
        .join(Notice, col(Notice.id) == col(NoticeRun.notice_id))
        .where(
            Outbox.citizen_id == citizen_id,
            Outbox.channel == channel,
            Outbox.status == OutboxStatus.PENDING.value,
            Outbox.held == HELD_DIGEST,
            col(Outbox.next_attempt_at) <= now,
        )
        .order_by(col(NoticeRun.due_at), col(Outbox.id))
        .with_for_update(skip_locked=True, of=Outbox)  # type: ignore[arg-type]
        .execution_options(populate_existing=True)
    )
    found = (await session.exec(stmt)).all()
    held = [
        HeldNotice(row.id, topic, text_bg, text_en, due_at)  # type: ignore[arg-type]
        for row, topic, text_bg, text_en, due_at in found
    ]
    return (found[-1][0] if found else None), held


async def merge_digest(
    session: AsyncSession,
    *,
    last: Outbox,
    merged: Sequence[HeldNotice],
    payload: dict[str, Any],
    now: datetime,
) -> Outbox:
    """One "digest" outbox row (`payload` as scheduler.payloads writes it) instead of the
    `merged` rows, which are cancelled, their error naming the digest. Raises DigestRace if
    another process merged some of them first."""
    ids = [h.outbox_id for h in merged]
    digest = Outbox(
        run_id=None,
        citizen_id=last.citizen_id,
        channel=last.channel,
        user_id=last.user_id,
        language=last.language,
        kind=KIND_DIGEST,
        payload=payload,
        urgent=False,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(digest)
    await session.flush()
    result = await session.exec(  # type: ignore[call-overload]
        update(Outbox)
        .where(col(Outbox.id).in_(ids), col(Outbox.status) == OutboxStatus.PENDING.value)
        .values(status=OutboxStatus.CANCELLED.value, error=f"merged into digest {digest.id}")
    )
    if (result.rowcount or 0) != len(ids):
        raise DigestRace
    return digest


class DigestRace(Exception):
    """Another process merged some of the same rows; roll back and try again later."""


# -- helpers ------------------------------------------------------------------------------


async def _all(session: AsyncSession, stmt: Any) -> list[Any]:
    return list((await session.exec(stmt)).all())


def _chunks(ids: list[int], size: int = _CHUNK) -> Iterable[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]
