"""Notices staff send: create, schedule, claim an occurrence, pause, resume, cancel, and what
staff see of them. Who receives one: notice_audience.py; its runs and their selection into
the outbox: notice_runs.py; digests: digests.py."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Notice, NoticeRun, NoticeStatus, RunStatus
from storage.repos import outbox

ACTIVE_RUNS = (RunStatus.SELECTING.value, RunStatus.SENDING.value)


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


async def photos_in_use(session: AsyncSession, *, names: Iterable[str]) -> set[str]:
    """Which of the photo names a notice carries (the others were uploaded and abandoned)."""
    wanted = list(names)
    if not wanted:
        return set()
    stmt = select(Notice.photo).where(col(Notice.photo).in_(wanted))
    return {name for name in (await session.exec(stmt)).all() if name}


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


async def created_since(session: AsyncSession, *, since: datetime, limit: int = 20) -> list[Notice]:
    """Notices created since `since`, the newest first (a cancelled one that never ran too)."""
    stmt = (
        select(Notice)
        .where(col(Notice.created_at) >= since)
        .order_by(col(Notice.created_at).desc(), col(Notice.id).desc())
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
