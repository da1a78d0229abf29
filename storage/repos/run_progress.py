"""The sender's progress message of a notice run: which runs want one, and where it is (one
caller posts the first; a channel that cannot edit moves a milestone mark forward only)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import RunStatus
from storage.repos.outbox import (
    NOTICE,
    RUN,
)


@dataclass(frozen=True, slots=True)
class RunProgress:
    """A run whose sender wants progress reports, and where the progress message is."""

    run_id: int
    notice_id: int
    status: str
    created_at: datetime
    finished_at: datetime | None
    channel: str
    user_id: str
    message_id: str | None


async def progress_runs(
    session: AsyncSession, *, run_ids: Iterable[int] | None = None, active: bool = True
) -> list[RunProgress]:
    """Runs with a progress message: the active ones (selecting/sending), or these ids."""
    stmt = (
        select(
            RUN.c.id,
            RUN.c.notice_id,
            RUN.c.status,
            RUN.c.created_at,
            RUN.c.finished_at,
            NOTICE.c.progress_channel,
            NOTICE.c.progress_user_id,
            NOTICE.c.progress_message_id,
        )
        .join(NOTICE, NOTICE.c.id == RUN.c.notice_id)
        .where(NOTICE.c.progress_channel.is_not(None), NOTICE.c.progress_user_id.is_not(None))
    )
    if run_ids is not None:
        stmt = stmt.where(RUN.c.id.in_(list(run_ids)))
    if active:
        stmt = stmt.where(RUN.c.status.in_((RunStatus.SELECTING.value, RunStatus.SENDING.value)))
    rows = (await session.exec(stmt)).all()  # type: ignore[call-overload]
    return [RunProgress(*row) for row in rows]


async def claim_progress_message(session: AsyncSession, *, notice_id: int) -> bool:
    """True for the one caller that gets to post a notice's first progress message (it then
    stores the id with `set_progress_message`)."""
    stmt = (
        update(NOTICE)
        .where(NOTICE.c.id == notice_id, NOTICE.c.progress_message_id.is_(None))
        .values(progress_message_id="")
    )
    return (await session.exec(stmt)).rowcount == 1  # type: ignore[call-overload]


async def move_progress_mark(
    session: AsyncSession, *, notice_id: int, new: str, unless: Sequence[str]
) -> bool:
    """Set `progress_message_id` to `new` unless it is one of `unless` (a channel that cannot
    edit keeps there the last progress milestone posted; `unless`: that one and the later
    ones). True for the one caller that moved it."""
    current = NOTICE.c.progress_message_id
    stmt = (
        update(NOTICE)
        .where(NOTICE.c.id == notice_id, or_(current.is_(None), current.not_in(list(unless))))
        .values(progress_message_id=new)
    )
    return (await session.exec(stmt)).rowcount == 1  # type: ignore[call-overload]


async def set_progress_message(
    session: AsyncSession, *, notice_id: int, message_id: str | None
) -> None:
    stmt = update(NOTICE).where(NOTICE.c.id == notice_id).values(progress_message_id=message_id)
    await session.exec(stmt)  # type: ignore[call-overload]
