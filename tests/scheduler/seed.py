"""Broadcast fixtures straight into the database, in batches: citizens with a channel
identity, a notice, a run, and the run's outbox rows (through storage.repos.outbox). Used by
the tests and by bench/broadcast.py."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert

from storage.db import Database
from storage.models import ChannelIdentity, Citizen, Notice, NoticeRun, RunStatus
from storage.repos import outbox
from storage.types import utcnow

BATCH = 1000


@dataclass(frozen=True)
class Broadcast:
    notice_id: int
    run_id: int
    user_ids: list[str]


async def add_citizens(
    db: Database,
    user_ids: Sequence[str],
    *,
    channel: str = "telegram",
    language: Callable[[int], str] = lambda i: "bg",
    now: datetime | None = None,
) -> list[int]:
    """Citizens with one identity each on `channel`; returns their ids, in order."""
    now = now or utcnow()
    ids: list[int] = []
    for start in range(0, len(user_ids), BATCH):
        chunk = user_ids[start : start + BATCH]
        async with db.sessions() as session, session.begin():
            values = [
                {
                    "language": language(start + i),
                    "role": "citizen",
                    "opted_out": False,
                    "created_at": now,
                    "last_seen_at": now,
                }
                for i in range(len(chunk))
            ]
            stmt = insert(Citizen).values(values).returning(Citizen.id)  # type: ignore[arg-type]
            new = list((await session.exec(stmt)).scalars().all())  # type: ignore[call-overload]
            stmt = insert(ChannelIdentity).values(  # type: ignore[arg-type]
                [
                    {"channel": channel, "user_id": uid, "citizen_id": cid, "created_at": now}
                    for uid, cid in zip(chunk, new, strict=True)
                ]
            )
            await session.exec(stmt)  # type: ignore[call-overload]
        ids += new
    return ids


async def add_notice(
    db: Database,
    *,
    text_bg: str = "Спиране на водата в Младост утре от 9 до 17 ч.",
    text_en: str | None = "Water cut in Mladost tomorrow, 9:00-17:00.",
    photo: str | None = None,
    progress: tuple[str, str] | None = None,
    run_status: str = RunStatus.SENDING.value,
    now: datetime | None = None,
) -> tuple[int, int]:
    """A notice and one run of it; returns (notice id, run id)."""
    now = now or utcnow()
    async with db.sessions() as session, session.begin():
        notice = Notice(
            topic="water",
            text_bg=text_bg,
            text_en=text_en,
            photo=photo,
            audience={"kind": "districts", "districts": ["15"]},
            status="done",
            progress_channel=progress[0] if progress else None,
            progress_user_id=progress[1] if progress else None,
            created_at=now,
            updated_at=now,
        )
        session.add(notice)
        await session.flush()
        assert notice.id is not None
        run = NoticeRun(notice_id=notice.id, due_at=now, status=run_status, created_at=now)
        session.add(run)
        await session.flush()
        assert run.id is not None
        return notice.id, run.id


async def add_rows(
    db: Database,
    run_id: int,
    citizen_ids: Sequence[int],
    user_ids: Sequence[str],
    *,
    channel: str = "telegram",
    language: Callable[[int], str] = lambda i: "bg",
    now: datetime | None = None,
) -> int:
    """The run's outbox rows, BATCH per transaction; returns how many were new."""
    added = 0
    for start in range(0, len(citizen_ids), BATCH):
        rows = [
            {
                "run_id": run_id,
                "citizen_id": citizen_ids[i],
                "channel": channel,
                "user_id": user_ids[i],
                "language": language(i),
            }
            for i in range(start, min(start + BATCH, len(citizen_ids)))
        ]
        async with db.sessions() as session, session.begin():
            added += await outbox.enqueue_many(session, rows=rows, now=now)
    return added


async def seed_broadcast(
    db: Database,
    recipients: int,
    *,
    channel: str = "telegram",
    first_user_id: int = 500_000_000,
    language: Callable[[int], str] = lambda i: "bg",
    now: datetime | None = None,
    **notice: object,
) -> Broadcast:
    """`recipients` citizens (chat ids first_user_id, +1, …) and a sending run to them all."""
    user_ids = [str(first_user_id + i) for i in range(recipients)]
    citizen_ids = await add_citizens(db, user_ids, channel=channel, language=language, now=now)
    notice_id, run_id = await add_notice(db, now=now, **notice)  # type: ignore[arg-type]
    await add_rows(db, run_id, citizen_ids, user_ids, channel=channel, language=language, now=now)
    return Broadcast(notice_id, run_id, user_ids)
