"""Reports: public ids, filing, photos, history, followers, status changes, queries."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.dialects import pg_insert
from storage.models import (
    CLOSED_STATUSES,
    OPEN_STATUSES,
    AlertSettings,
    ChannelIdentity,
    Citizen,
    Report,
    ReportCounter,
    ReportEvent,
    ReportFollower,
    ReportNote,
    ReportPhoto,
    ReportStatus,
)
from storage.types import utcnow


@dataclass(frozen=True, slots=True)
class Recipient:
    """Someone to tell about a report: a citizen on one of their channels."""

    citizen_id: int
    language: str
    channel: str
    user_id: str


def format_public_id(prefix: str, year: int, seq: int) -> str:
    return f"{prefix}-{year}-{seq:06d}"


async def next_sequence(session: AsyncSession, *, city: str, year: int) -> int:
    """The next number for (city, year); atomic under concurrency (an upsert with RETURNING,
    so two transactions never get the same number)."""
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    table = ReportCounter.__table__  # type: ignore[attr-defined]
    stmt = (
        insert(table)
        .values(city=city, year=year, last=1)
        .on_conflict_do_update(index_elements=["city", "year"], set_={"last": table.c["last"] + 1})
        .returning(table.c["last"])
    )
    return (await session.exec(stmt)).scalar_one()  # type: ignore[call-overload]


async def create(
    session: AsyncSession,
    *,
    city: str,
    prefix: str,
    category: str,
    description: str,
    source: str,
    lat: float | None = None,
    lon: float | None = None,
    address: str | None = None,
    district: str | None = None,
    reporter_id: int | None = None,
    api_key_id: int | None = None,
    contact_phone: str | None = None,
    body_code: str | None = None,
    ack_due_at: datetime | None = None,
    resolve_due_at: datetime | None = None,
    now: datetime | None = None,
) -> Report:
    now = now or utcnow()
    seq = await next_sequence(session, city=city, year=now.year)
    report = Report(
        public_id=format_public_id(prefix, now.year, seq),
        city=city,
        year=now.year,
        seq=seq,
        category=category,
        description=description,
        lat=lat,
        lon=lon,
        address=address,
        district=district,
        source=source,
        reporter_id=reporter_id,
        api_key_id=api_key_id,
        contact_phone=contact_phone,
        body_code=body_code,
        ack_due_at=ack_due_at,
        resolve_due_at=resolve_due_at,
        created_at=now,
        updated_at=now,
    )
    session.add(report)
    await session.flush()
    session.add(
        ReportEvent(
            report_id=report.id,
            at=now,
            actor_id=reporter_id,
            actor_role="api" if api_key_id else "citizen",
            kind="created",
            to_status=ReportStatus.NEW.value,
        )
    )
    return report


async def add_photo(
    session: AsyncSession,
    *,
    report_id: int,
    name: str,
    width: int,
    height: int,
    size: int,
    position: int,
    now: datetime | None = None,
) -> ReportPhoto:
    photo = ReportPhoto(
        report_id=report_id,
        name=name,
        width=width,
        height=height,
        size=size,
        position=position,
        created_at=now or utcnow(),
    )
    session.add(photo)
    return photo


async def get(session: AsyncSession, *, report_id: int) -> Report | None:
    return await session.get(Report, report_id)


async def get_by_public_id(session: AsyncSession, *, public_id: str) -> Report | None:
    stmt = select(Report).where(Report.public_id == public_id.strip().upper())
    return (await session.exec(stmt)).first()


async def photos(session: AsyncSession, *, report_id: int) -> list[ReportPhoto]:
    stmt = (
        select(ReportPhoto)
        .where(ReportPhoto.report_id == report_id)
        .order_by(col(ReportPhoto.position))
    )
    return list((await session.exec(stmt)).all())


async def first_photos(session: AsyncSession, *, report_ids: Iterable[int]) -> dict[int, str]:
    """The first photo's store name of each report that has one."""
    ids = list(report_ids)
    if not ids:
        return {}
    stmt = (
        select(ReportPhoto.report_id, ReportPhoto.name)
        .where(col(ReportPhoto.report_id).in_(ids))
        .order_by(col(ReportPhoto.report_id), col(ReportPhoto.position))
    )
    out: dict[int, str] = {}
    for report_id, name in (await session.exec(stmt)).all():
        out.setdefault(report_id, name)
    return out


async def history(session: AsyncSession, *, report_id: int) -> list[ReportEvent]:
    stmt = (
        select(ReportEvent)
        .where(ReportEvent.report_id == report_id)
        .order_by(col(ReportEvent.at), col(ReportEvent.id))
    )
    return list((await session.exec(stmt)).all())


async def count_filed_since(session: AsyncSession, *, reporter_id: int, since: datetime) -> int:
    stmt = (
        select(func.count())
        .select_from(Report)
        .where(Report.reporter_id == reporter_id, Report.created_at >= since)
    )
    return (await session.exec(stmt)).one()


async def open_in_box(
    session: AsyncSession,
    *,
    category: str,
    box: tuple[float, float, float, float],
    since: datetime,
    exclude_id: int | None = None,
    limit: int = 50,
) -> list[Report]:
    """Open, visible reports of a category inside (min_lat, min_lon, max_lat, max_lon) filed
    since `since`; the caller measures exact distances."""
    min_lat, min_lon, max_lat, max_lon = box
    stmt = (
        select(Report)
        .where(
            Report.category == category,
            col(Report.status).in_([s.value for s in OPEN_STATUSES]),
            col(Report.hidden).is_(False),
            Report.created_at >= since,
            col(Report.lat).between(min_lat, max_lat),
            col(Report.lon).between(min_lon, max_lon),
        )
        .order_by(col(Report.created_at).desc())
        .limit(limit)
    )
    if exclude_id is not None:
        stmt = stmt.where(Report.id != exclude_id)
    return list((await session.exec(stmt)).all())


async def for_citizen(
    session: AsyncSession, *, citizen_id: int, offset: int = 0, limit: int = 5
) -> tuple[list[Report], int]:
    """The citizen's own and followed reports, newest first, and how many there are."""
    followed = select(ReportFollower.report_id).where(ReportFollower.citizen_id == citizen_id)
    cond = or_(Report.reporter_id == citizen_id, col(Report.id).in_(followed))
    return await _newest_first_page(session, [cond], offset=offset, limit=limit)


async def _newest_first_page(
    session: AsyncSession, conds: list[Any], *, offset: int, limit: int
) -> tuple[list[Report], int]:
    """One page of the reports matching `conds`, newest first, and how many match."""
    total = (await session.exec(select(func.count()).select_from(Report).where(*conds))).one()
    stmt = (
        select(Report)
        .where(*conds)
        .order_by(col(Report.created_at).desc(), col(Report.id).desc())
        .offset(offset)
        .limit(limit)
    )
    return list((await session.exec(stmt)).all()), total


async def search(
    session: AsyncSession,
    *,
    statuses: Sequence[str] | None = None,
    category: str | None = None,
    district: str | None = None,
    include_hidden: bool = True,
    bodies: Sequence[str] | None = None,
    offset: int = 0,
    limit: int = 10,
) -> tuple[list[Report], int]:
    """Staff's filtered list, newest first, and the total matching; `bodies`: only the
    reports of these bodies (None: every report)."""
    conds: list[Any] = _of_bodies(bodies)
    if statuses:
        conds.append(col(Report.status).in_(list(statuses)))
    if category:
        conds.append(Report.category == category)
    if district:
        conds.append(Report.district == district)
    if not include_hidden:
        conds.append(col(Report.hidden).is_(False))
    return await _newest_first_page(session, conds, offset=offset, limit=limit)


def _of_bodies(bodies: Sequence[str] | None) -> list[Any]:
    return [] if bodies is None else [col(Report.body_code).in_(list(bodies))]


async def needing_attention(
    session: AsyncSession, *, bodies: Sequence[str] | None = None, limit: int = 8
) -> list[Report]:
    """Reports waiting for staff, most recently changed first: new ones (nobody has looked at
    them yet) and reopened ones back at "acknowledged" (the reporter says it is not fixed);
    `bodies`: only the reports of these bodies (None: every report)."""
    waiting = or_(
        Report.status == ReportStatus.NEW.value,
        and_(Report.status == ReportStatus.ACKNOWLEDGED.value, col(Report.reopened) > 0),
    )
    stmt = (
        select(Report)
        .where(waiting, *_of_bodies(bodies))
        .order_by(col(Report.updated_at).desc(), col(Report.id).desc())
        .limit(limit)
    )
    return list((await session.exec(stmt)).all())


async def public_reports(
    session: AsyncSession,
    *,
    public_ids: Sequence[str] | None = None,
    categories: Sequence[str] | None = None,
    statuses: Sequence[str] | None = None,
    district: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int | None = 1000,
) -> list[Report]:
    """Visible (not hidden) reports for the public API and open data, newest first."""
    stmt = select(Report).where(col(Report.hidden).is_(False))
    if public_ids:
        stmt = stmt.where(col(Report.public_id).in_([p.upper() for p in public_ids]))
    if categories:
        stmt = stmt.where(col(Report.category).in_(list(categories)))
    if statuses:
        stmt = stmt.where(col(Report.status).in_(list(statuses)))
    if district:
        stmt = stmt.where(Report.district == district)
    if since is not None:
        stmt = stmt.where(Report.created_at >= since)
    if until is not None:
        stmt = stmt.where(Report.created_at <= until)
    stmt = stmt.order_by(col(Report.created_at).desc(), col(Report.id).desc())
    if limit is not None:
        stmt = stmt.limit(limit)
    return list((await session.exec(stmt)).all())


async def change_status(
    session: AsyncSession,
    *,
    report: Report,
    to: ReportStatus,
    actor_id: int | None,
    actor_role: str,
    note: str | None = None,
    duplicate_of_id: int | None = None,
    now: datetime | None = None,
) -> ReportEvent:
    """Write a status change and its history entry (bot/domain/reports.py decides whether it
    is allowed)."""
    now = now or utcnow()
    event = ReportEvent(
        report_id=report.id,
        at=now,
        actor_id=actor_id,
        actor_role=actor_role,
        kind="status",
        from_status=report.status,
        to_status=to.value,
        note=note.strip() if note else None,
    )
    report.status = to.value
    report.updated_at = now
    report.closed_at = now if to in CLOSED_STATUSES else None
    report.duplicate_of_id = duplicate_of_id if to is ReportStatus.DUPLICATE else None
    session.add(report)
    session.add(event)
    return event


async def reopen(
    session: AsyncSession,
    *,
    report: Report,
    citizen_id: int,
    comment: str,
    now: datetime | None = None,
) -> ReportEvent:
    """Write a reopening: back to acknowledged, marked as reopened (bot/domain/reports.py
    decides whether the citizen may)."""
    now = now or utcnow()
    event = ReportEvent(
        report_id=report.id,
        at=now,
        actor_id=citizen_id,
        actor_role="citizen",
        kind="reopened",
        from_status=report.status,
        to_status=ReportStatus.ACKNOWLEDGED.value,
        note=comment.strip(),
    )
    report.status = ReportStatus.ACKNOWLEDGED.value
    report.reopened += 1
    report.closed_at = None
    report.updated_at = now
    session.add(report)
    session.add(event)
    return event


async def set_hidden(
    session: AsyncSession,
    *,
    report: Report,
    hidden: bool,
    actor_id: int | None,
    actor_role: str,
    note: str | None = None,
    now: datetime | None = None,
) -> ReportEvent | None:
    if report.hidden == hidden:
        return None
    now = now or utcnow()
    report.hidden = hidden
    report.updated_at = now
    event = ReportEvent(
        report_id=report.id,
        at=now,
        actor_id=actor_id,
        actor_role=actor_role,
        kind="hidden" if hidden else "shown",
        note=note,
    )
    session.add(report)
    session.add(event)
    return event


async def hide_note(session: AsyncSession, *, report_id: int) -> str | None:
    """The note of the report's latest hiding (the reason staff gave), if any."""
    stmt = (
        select(ReportEvent.note)
        .where(ReportEvent.report_id == report_id, ReportEvent.kind == "hidden")
        .order_by(col(ReportEvent.at).desc(), col(ReportEvent.id).desc())
        .limit(1)
    )
    return (await session.exec(stmt)).first()


async def follow(session: AsyncSession, *, report_id: int, citizen_id: int) -> bool:
    """Make the citizen a follower; False when they already were."""
    if await session.get(ReportFollower, (report_id, citizen_id)) is not None:
        return False
    session.add(ReportFollower(report_id=report_id, citizen_id=citizen_id))
    return True


async def is_follower(session: AsyncSession, *, report_id: int, citizen_id: int) -> bool:
    return await session.get(ReportFollower, (report_id, citizen_id)) is not None


async def recipients(session: AsyncSession, *, report: Report) -> list[Recipient]:
    """The reporter and the followers, on every channel they use; not those who blocked the
    bot or turned news about their reports off. /stop does not silence it: it stops alerts,
    notices and survey invitations, while a citizen who filed or follows a report keeps
    hearing about it unless they say otherwise (AlertSettings.report_news)."""
    followers = select(ReportFollower.citizen_id).where(ReportFollower.report_id == report.id)
    who = or_(col(Citizen.id).in_(followers), Citizen.id == report.reporter_id)
    silenced = select(AlertSettings.citizen_id).where(col(AlertSettings.report_news).is_(False))
    stmt = (
        select(Citizen.id, Citizen.language, ChannelIdentity.channel, ChannelIdentity.user_id)
        .join(ChannelIdentity, col(ChannelIdentity.citizen_id) == col(Citizen.id))
        .where(who, col(Citizen.opted_out).is_(False), col(Citizen.id).not_in(silenced))
        .order_by(col(Citizen.id))
    )
    return [Recipient(*row) for row in (await session.exec(stmt)).all()]


async def latest_status_notes(
    session: AsyncSession, *, report_ids: Iterable[int]
) -> dict[int, str]:
    """The note of each report's latest status change, for reports whose latest change has
    one (the public explanation staff gave; citizens' reopening comments are not included)."""
    ids = list(report_ids)
    if not ids:
        return {}
    stmt = (
        select(ReportEvent.report_id, ReportEvent.note)
        .where(col(ReportEvent.report_id).in_(ids), ReportEvent.kind == "status")
        .order_by(col(ReportEvent.report_id), col(ReportEvent.at), col(ReportEvent.id))
    )
    latest: dict[int, str | None] = {}
    for report_id, note in (await session.exec(stmt)).all():
        latest[report_id] = note
    return {report_id: note for report_id, note in latest.items() if note}


async def public_batch(
    session: AsyncSession,
    *,
    after_id: int = 0,
    limit: int = 500,
    categories: Sequence[str] | None = None,
    statuses: Sequence[str] | None = None,
    district: str | None = None,
    since: datetime | None = None,
) -> list[Report]:
    """Visible reports with an id above `after_id`, oldest first: open data pages through
    every matching report with this keyset (stable while new reports are filed)."""
    stmt = select(Report).where(col(Report.hidden).is_(False), col(Report.id) > after_id)
    if categories:
        stmt = stmt.where(col(Report.category).in_(list(categories)))
    if statuses:
        stmt = stmt.where(col(Report.status).in_(list(statuses)))
    if district:
        stmt = stmt.where(Report.district == district)
    if since is not None:
        stmt = stmt.where(Report.created_at >= since)
    stmt = stmt.order_by(col(Report.id)).limit(limit)
    return list((await session.exec(stmt)).all())


async def visible_for_citizen(
    session: AsyncSession, *, citizen_id: int, offset: int = 0, limit: int = 5
) -> tuple[list[Report], int]:
    """What /myreports lists, newest first, and how many: the citizen's own reports, hidden
    ones included (hidden means hidden from the public, not from its reporter), and the
    reports they follow that are not hidden."""
    followed = select(ReportFollower.report_id).where(ReportFollower.citizen_id == citizen_id)
    cond = (
        or_(
            Report.reporter_id == citizen_id,
            and_(col(Report.id).in_(followed), col(Report.hidden).is_(False)),
        ),
    )
    total = (await session.exec(select(func.count()).select_from(Report).where(*cond))).one()
    stmt = (
        select(Report)
        .where(*cond)
        .order_by(col(Report.created_at).desc(), col(Report.id).desc())
        .offset(offset)
        .limit(limit)
    )
    return list((await session.exec(stmt)).all()), total


async def get_for_update(session: AsyncSession, *, report_id: int) -> Report | None:
    """The report, freshly read and row-locked for this transaction on PostgreSQL, so two
    status changes of the same report cannot interleave (the second sees the first's)."""
    stmt = (
        select(Report)
        .where(Report.id == report_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await session.exec(stmt)).first()


async def unfollow(session: AsyncSession, *, report_id: int, citizen_id: int) -> bool:
    """Stop the citizen following the report; False when they did not follow it."""
    row = await session.get(ReportFollower, (report_id, citizen_id))
    if row is None:
        return False
    await session.delete(row)
    return True


async def add_note(
    session: AsyncSession,
    *,
    report_id: int,
    author_id: int | None,
    author_ref: str,
    text: str,
    kind: str = "note",
    body_code: str | None = None,
    now: datetime | None = None,
) -> ReportNote:
    """Staff's internal note (or a reassignment's reason): never shown to citizens."""
    note = ReportNote(
        report_id=report_id,
        author_id=author_id,
        author_ref=author_ref,
        text=text,
        kind=kind,
        body_code=body_code,
        at=now or utcnow(),
    )
    session.add(note)
    await session.flush()
    return note


async def notes(session: AsyncSession, *, report_id: int) -> list[ReportNote]:
    stmt = (
        select(ReportNote)
        .where(ReportNote.report_id == report_id)
        .order_by(col(ReportNote.at), col(ReportNote.id))
    )
    return list((await session.exec(stmt)).all())
