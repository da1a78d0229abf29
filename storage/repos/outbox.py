"""The outbox: one row per message to one recipient on one channel.

Rows are written by audience selection (`enqueue_many`, a notice run's recipients in batches)
and by single messages (`enqueue_direct`, e.g. a report's status news), and sent by the
delivery engine (scheduler/delivery/), which claims due rows in short transactions, sends
outside any transaction and records the results in batches. Like every repo function, these
never commit.

Who may send what:

* `pending` rows are due at `next_attempt_at`. A row `held` for quiet hours ("quiet") is sent
  when that time comes (the claim clears `held`); a row held for a digest ("digest") is never
  sent on its own: the digest folds it into one "digest" row and cancels it.
* `inflight` rows belong to the instance named in `claimed_by`; the recording functions only
  touch rows still claimed by the caller, so a row whose lease was recovered elsewhere is not
  overwritten by a late result.

A sent row keeps the platform's id of its (last) message in `external_id` and how many
platform messages it took in `messages` (Viber bills each one; attempts that failed part-way
add theirs). The platform's receipts find the row by (channel, external_id):
`record_receipt` sets `delivered_at` / `seen_at`, or marks it failed.

A run's figures are storage/repos/run_figures.py, its progress message run_progress.py, and
pruning finished rows outbox_pruning.py.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    Table,
    and_,
    bindparam,
    exists,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.dialects import pg_insert
from storage.models import (
    DirectTally,
    Held,
    Notice,
    NoticeRun,
    Outbox,
    OutboxKind,
    OutboxStatus,
    RunStatus,
    RunTally,
)
from storage.types import utcnow

PENDING = OutboxStatus.PENDING.value
INFLIGHT = OutboxStatus.INFLIGHT.value
INSERT_CHUNK = 500  # rows per INSERT statement (SQLite allows 32766 bound values)
MAX_ERROR = 300

OUTBOX: Table = Outbox.__table__  # type: ignore[attr-defined]
RUN: Table = NoticeRun.__table__  # type: ignore[attr-defined]
NOTICE: Table = Notice.__table__  # type: ignore[attr-defined]
TALLY: Table = RunTally.__table__  # type: ignore[attr-defined]
DIRECT_TALLY: Table = DirectTally.__table__  # type: ignore[attr-defined]
FINAL = (
    OutboxStatus.SENT.value,
    OutboxStatus.FAILED.value,
    OutboxStatus.BLOCKED.value,
    OutboxStatus.CANCELLED.value,
)
FINISHED_RUNS = (RunStatus.DONE.value, RunStatus.CANCELLED.value, RunStatus.MISSED.value)


@dataclass(frozen=True, slots=True)
class Claimed:
    """A row claimed for sending: just what sending it needs."""

    id: int
    run_id: int | None
    citizen_id: int | None
    channel: str
    user_id: str
    language: str
    kind: str
    payload: dict[str, Any] | None
    attempts: int


@dataclass(frozen=True, slots=True)
class Sent:
    """A row sent, with what the platform answered: the id of its (last) message and how
    many platform messages it took (None: not known)."""

    id: int
    external_id: str | None
    messages: int | None = None


@dataclass(frozen=True, slots=True)
class Retry:
    id: int
    attempts: int
    next_attempt_at: datetime
    error: str
    messages: int | None = None  # platform messages that went out before the failure


@dataclass(frozen=True, slots=True)
class Failure:
    id: int
    attempts: int
    error: str
    messages: int | None = None


@dataclass(frozen=True, slots=True)
class Blocked:
    id: int
    channel: str
    user_id: str


_CLAIMED_COLUMNS = (
    OUTBOX.c.id,
    OUTBOX.c.run_id,
    OUTBOX.c.citizen_id,
    OUTBOX.c.channel,
    OUTBOX.c.user_id,
    OUTBOX.c.language,
    OUTBOX.c.kind,
    OUTBOX.c.payload,
    OUTBOX.c.attempts,
)


def dialect(session: AsyncSession) -> str:
    return session.bind.dialect.name if session.bind else "sqlite"


# -- writing rows ---------------------------------------------------------------------------


async def enqueue_direct(
    session: AsyncSession,
    *,
    citizen_id: int | None,
    channel: str,
    user_id: str,
    language: str,
    payload: dict[str, Any],
    urgent: bool = False,
    now: datetime | None = None,
    kind: str = OutboxKind.DIRECT.value,
    next_attempt_at: datetime | None = None,
    held: str | None = None,
) -> Outbox:
    """One message to one address (payload: scheduler.payloads.direct_payload). Flushed, so
    the row has its id (hand it to the engine after the commit to send it at once)."""
    now = now or utcnow()
    row = Outbox(
        citizen_id=citizen_id,
        channel=channel,
        user_id=user_id,
        language=language,
        kind=kind,
        payload=payload,
        urgent=urgent,
        held=held,
        next_attempt_at=next_attempt_at or now,
        created_at=now,
    )
    session.add(row)
    await session.flush()
    return row


async def enqueue_many(
    session: AsyncSession, *, rows: Iterable[Mapping[str, Any]], now: datetime | None = None
) -> int:
    """Insert recipients' rows; a row whose (run_id, citizen_id, channel) exists is skipped,
    so selection can be re-run after a crash. Returns how many rows were new.

    Each mapping needs channel, user_id, language, and run_id + citizen_id for a notice;
    optional: kind ("notice"), payload, urgent (False), held, next_attempt_at (now).
    """
    now = now or utcnow()
    insert = pg_insert if dialect(session) == "postgresql" else sqlite_insert
    added = 0
    chunk: list[dict[str, Any]] = []

    async def flush_chunk() -> int:
        stmt = (
            insert(OUTBOX)
            .values(chunk)
            .on_conflict_do_nothing(index_elements=["run_id", "citizen_id", "channel"])
        )
        result = await session.exec(stmt)  # type: ignore[call-overload]
        chunk.clear()
        return max(result.rowcount, 0)

    for row in rows:
        chunk.append(
            {
                "run_id": row.get("run_id"),
                "citizen_id": row.get("citizen_id"),
                "channel": row["channel"],
                "user_id": row["user_id"],
                "language": row["language"],
                "kind": row.get("kind", OutboxKind.NOTICE.value),
                "payload": row.get("payload"),
                "urgent": bool(row.get("urgent", False)),
                "status": PENDING,
                "held": row.get("held"),
                "attempts": 0,
                "next_attempt_at": row.get("next_attempt_at") or now,
                "created_at": now,
            }
        )
        if len(chunk) >= INSERT_CHUNK:
            added += await flush_chunk()
    if chunk:
        added += await flush_chunk()
    return added


# -- claiming -------------------------------------------------------------------------------


def _sendable(now: datetime) -> ColumnElement[bool]:
    return and_(
        OUTBOX.c.status == PENDING,
        OUTBOX.c.next_attempt_at <= now,
        or_(OUTBOX.c.held.is_(None), OUTBOX.c.held != Held.DIGEST.value),
    )


async def _claim_where(
    session: AsyncSession,
    candidates: Select[tuple[int]],
    *,
    instance: str,
    now: datetime,
) -> list[Claimed]:
    # The candidates are picked once, in a materialised CTE: as `id IN (subquery)`,
    # PostgreSQL may run a locking subquery again for every row it updates, and a LIMIT then
    # limits nothing.
    picked = candidates.cte("picked").prefix_with("MATERIALIZED")
    stmt = (
        update(OUTBOX)
        .where(OUTBOX.c.id == picked.c.id, OUTBOX.c.status == PENDING)
        .values(status=INFLIGHT, claimed_by=instance, claimed_at=now, held=None)
        .returning(*_CLAIMED_COLUMNS)
    )
    result = await session.exec(stmt)  # type: ignore[call-overload]
    return [Claimed(*row) for row in result.all()]


async def claim(
    session: AsyncSession, *, channel: str, instance: str, now: datetime, limit: int
) -> list[Claimed]:
    """Claim up to `limit` due rows of `channel` for `instance`: direct messages first (they
    never wait behind a broadcast's backlog), then the oldest due rows (rows due at once in
    the order they were queued). Uses SELECT … FOR UPDATE SKIP LOCKED on PostgreSQL, so
    concurrent instances claim disjoint rows; SQLite's single writer serialises claims."""
    if limit <= 0:
        return []
    direct = (
        select(OUTBOX.c.id)
        .where(OUTBOX.c.run_id.is_(None), OUTBOX.c.channel == channel, _sendable(now))
        .order_by(OUTBOX.c.next_attempt_at, OUTBOX.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    claimed = await _claim_where(session, direct, instance=instance, now=now)
    if len(claimed) < limit:
        rest = (
            select(OUTBOX.c.id)
            .where(OUTBOX.c.channel == channel, _sendable(now))
            .order_by(OUTBOX.c.next_attempt_at, OUTBOX.c.id)
            .limit(limit - len(claimed))
            .with_for_update(skip_locked=True)
        )
        claimed += await _claim_where(session, rest, instance=instance, now=now)
    return claimed


async def claim_ids(
    session: AsyncSession, *, ids: Sequence[int], instance: str, now: datetime
) -> list[Claimed]:
    """Claim these rows if they are still pending and due (others are left alone)."""
    if not ids:
        return []
    candidates = (
        select(OUTBOX.c.id)
        .where(OUTBOX.c.id.in_(list(ids)), _sendable(now))
        .with_for_update(skip_locked=True)
    )
    return await _claim_where(session, candidates, instance=instance, now=now)


# -- combining -------------------------------------------------------------------------------


async def waiting(
    session: AsyncSession, *, channel: str, user_id: str, kind: str, limit: int
) -> list[Claimed]:
    """The pending direct rows of `kind` to one address, due or not (put back to wait for
    their slot), oldest first, at most `limit`; locked for this transaction on PostgreSQL (a
    concurrent combination skips them). Read as Claimed, though not claimed: what combining
    them needs."""
    stmt = (
        select(*_CLAIMED_COLUMNS)
        .where(
            OUTBOX.c.run_id.is_(None),  # ix_outbox_run_status: the few pending direct rows
            OUTBOX.c.status == PENDING,
            OUTBOX.c.channel == channel,
            OUTBOX.c.user_id == user_id,
            OUTBOX.c.kind == kind,
        )
        .order_by(OUTBOX.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    result = await session.exec(stmt)  # type: ignore[call-overload]
    return [Claimed(*row) for row in result.all()]


async def due_again(session: AsyncSession, *, ids: Sequence[int], at: datetime) -> int:
    """These pending rows are due at `at` (sooner or later than they were)."""
    if not ids:
        return 0
    stmt = (
        update(OUTBOX)
        .where(OUTBOX.c.id.in_(list(ids)), OUTBOX.c.status == PENDING)
        .values(next_attempt_at=at)
    )
    return (await session.exec(stmt)).rowcount  # type: ignore[call-overload]


class CombineRace(Exception):
    """Some of the rows to combine were taken meanwhile; roll back, send the row alone."""


async def combine(
    session: AsyncSession,
    *,
    like: Claimed,
    mine: Sequence[int],
    others: Sequence[int],
    payload: dict[str, Any],
    instance: str,
    now: datetime,
) -> Claimed:
    """One direct row carrying `payload` instead of the rows `mine` (claimed by `instance`)
    and `others` (pending), all to `like`'s address: the new row is claimed by `instance`
    (it is sent in their place; after a crash the crash policy sends it), and the rows it
    carries are marked sent, their `error` naming the row that carries them. Raises
    CombineRace (roll back) if one of `mine` is no longer claimed by `instance` or one of
    `others` is not pending."""
    combined = Outbox(
        citizen_id=like.citizen_id,
        channel=like.channel,
        user_id=like.user_id,
        language=like.language,
        kind=OutboxKind.DIRECT.value,
        payload=payload,
        urgent=True,
        status=INFLIGHT,
        claimed_by=instance,
        claimed_at=now,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(combined)
    await session.flush()
    assert combined.id is not None
    values = {
        "status": OutboxStatus.SENT.value,
        "sent_at": now,
        "error": f"combined into {combined.id}",
    }
    marked = 0
    if mine:
        stmt = update(OUTBOX).where(OUTBOX.c.id.in_(list(mine)), _mine(instance)).values(**values)
        marked += (await session.exec(stmt)).rowcount  # type: ignore[call-overload]
    if others:
        stmt = (
            update(OUTBOX)
            .where(OUTBOX.c.id.in_(list(others)), OUTBOX.c.status == PENDING)
            .values(**values)
        )
        marked += (await session.exec(stmt)).rowcount  # type: ignore[call-overload]
    if marked != len(mine) + len(others):
        raise CombineRace
    return Claimed(
        combined.id,
        None,
        combined.citizen_id,
        combined.channel,
        combined.user_id,
        combined.language,
        combined.kind,
        payload,
        0,
    )


# -- recording results ----------------------------------------------------------------------


def _mine(instance: str) -> ColumnElement[bool]:
    return and_(OUTBOX.c.status == INFLIGHT, OUTBOX.c.claimed_by == instance)


def _add_messages(param: str) -> ColumnElement[Any]:
    """`messages` plus the bound count: the count when none was kept, unchanged for None."""
    n = bindparam(param, type_=Integer)
    return func.coalesce(OUTBOX.c.messages + n, n, OUTBOX.c.messages)


async def mark_sent(
    session: AsyncSession,
    *,
    ids: Sequence[int] = (),
    sent: Sequence[Sent] = (),
    instance: str,
    now: datetime,
) -> int:
    """Sent. `claimed_by` stays as the record of who sent it. `ids`: rows with nothing more
    to keep (one statement); `sent`: rows with the platform's message id and count (one
    executemany). Returns how many rows of `ids` were marked."""
    marked = 0
    if ids:
        stmt = (
            update(OUTBOX)
            .where(OUTBOX.c.id.in_(list(ids)), _mine(instance))
            .values(status=OutboxStatus.SENT.value, sent_at=now, error=None)
        )
        marked = (await session.exec(stmt)).rowcount  # type: ignore[call-overload]
    if sent:
        stmt = (
            update(OUTBOX)
            .where(OUTBOX.c.id == bindparam("s_id"), _mine(instance))
            .values(
                status=OutboxStatus.SENT.value,
                sent_at=now,
                error=None,
                external_id=bindparam("s_ext"),
                messages=_add_messages("s_n"),
            )
        )
        params = [
            {"s_id": s.id, "s_ext": s.external_id and s.external_id[:64], "s_n": s.messages}
            for s in sent
        ]
        await session.exec(stmt, params=params)  # type: ignore[call-overload]
    return marked


async def release(session: AsyncSession, *, ids: Sequence[int], instance: str) -> int:
    """Back to pending, no attempt counted (a 429, or a shutdown before sending)."""
    if not ids:
        return 0
    stmt = (
        update(OUTBOX)
        .where(OUTBOX.c.id.in_(list(ids)), _mine(instance))
        .values(status=PENDING, claimed_by=None, claimed_at=None)
    )
    return (await session.exec(stmt)).rowcount  # type: ignore[call-overload]


async def retry_later(session: AsyncSession, *, retries: Sequence[Retry], instance: str) -> None:
    """Back to pending after a transient failure, due again at each row's next_attempt_at."""
    if not retries:
        return
    stmt = (
        update(OUTBOX)
        .where(OUTBOX.c.id == bindparam("r_id"), _mine(instance))
        .values(
            status=PENDING,
            claimed_by=None,
            claimed_at=None,
            attempts=bindparam("r_attempts"),
            next_attempt_at=bindparam("r_next"),
            error=bindparam("r_error"),
            messages=_add_messages("r_n"),
        )
    )
    params = [
        {
            "r_id": r.id,
            "r_attempts": r.attempts,
            "r_next": r.next_attempt_at,
            "r_error": r.error[:MAX_ERROR],
            "r_n": r.messages,
        }
        for r in retries
    ]
    await session.exec(stmt, params=params)  # type: ignore[call-overload]


async def mark_failed(session: AsyncSession, *, failures: Sequence[Failure], instance: str) -> None:
    """Given up: a permanent error, or the last attempt failed."""
    if not failures:
        return
    stmt = (
        update(OUTBOX)
        .where(OUTBOX.c.id == bindparam("f_id"), _mine(instance))
        .values(
            status=OutboxStatus.FAILED.value,
            attempts=bindparam("f_attempts"),
            error=bindparam("f_error"),
            messages=_add_messages("f_n"),
        )
    )
    params = [
        {
            "f_id": f.id,
            "f_attempts": f.attempts,
            "f_error": f.error[:MAX_ERROR],
            "f_n": f.messages,
        }
        for f in failures
    ]
    await session.exec(stmt, params=params)  # type: ignore[call-overload]


async def mark_blocked(
    session: AsyncSession, *, blocked: Blocked, instance: str, reason: str
) -> int:
    """The recipient blocked the bot: this row `blocked`, their other pending rows on that
    channel cancelled. Returns how many were cancelled. (Opting the citizen out is
    storage.repos.citizens.set_opted_out, in the same transaction.)"""
    stmt = (
        update(OUTBOX)
        .where(OUTBOX.c.id == blocked.id, _mine(instance))
        .values(status=OutboxStatus.BLOCKED.value, error=reason[:MAX_ERROR])
    )
    await session.exec(stmt)  # type: ignore[call-overload]
    return await cancel_pending_for(session, channel=blocked.channel, user_id=blocked.user_id)


async def readdress(
    session: AsyncSession, *, row_id: int, channel: str, old_id: str, new_id: str, instance: str
) -> int:
    """The chat `old_id` has the new id `new_id` (a Telegram group became a supergroup): this
    claimed row goes back to pending, due now, no attempt counted, addressed to `new_id`, and
    so do the other pending rows to `old_id`. How many rows were readdressed."""
    mine = (
        update(OUTBOX)
        .where(OUTBOX.c.id == row_id, _mine(instance))
        .values(status=PENDING, claimed_by=None, claimed_at=None, user_id=new_id)
    )
    moved = (await session.exec(mine)).rowcount  # type: ignore[call-overload]
    others = (
        update(OUTBOX)
        .where(
            OUTBOX.c.channel == channel,
            OUTBOX.c.user_id == old_id,
            OUTBOX.c.status == PENDING,
        )
        .values(user_id=new_id)
    )
    return moved + (await session.exec(others)).rowcount  # type: ignore[call-overload]


async def cancel_pending_for(session: AsyncSession, *, channel: str, user_id: str) -> int:
    """Cancel every pending row to one address (the citizen blocked the bot or opted out)."""
    stmt = (
        update(OUTBOX)
        .where(
            OUTBOX.c.channel == channel,
            OUTBOX.c.user_id == user_id,
            OUTBOX.c.status == PENDING,
        )
        .values(status=OutboxStatus.CANCELLED.value)
    )
    return (await session.exec(stmt)).rowcount  # type: ignore[call-overload]


async def cancel_invitations(session: AsyncSession, *, citizen_id: int) -> int:
    """Withdraw the citizen's survey invitations not sent yet (held for quiet hours, or
    queued behind others): a banned citizen takes no part in surveys."""
    stmt = (
        update(OUTBOX)
        .where(
            OUTBOX.c.citizen_id == citizen_id,
            OUTBOX.c.kind == OutboxKind.INVITE.value,
            OUTBOX.c.status == PENDING,
        )
        .values(status=OutboxStatus.CANCELLED.value)
    )
    return (await session.exec(stmt)).rowcount  # type: ignore[call-overload]


async def cancel_run(session: AsyncSession, *, run_id: int) -> int:
    """Cancel a run's rows not yet sent (rows in flight finish; nothing new is claimed)."""
    stmt = (
        update(OUTBOX)
        .where(OUTBOX.c.run_id == run_id, OUTBOX.c.status == PENDING)
        .values(status=OutboxStatus.CANCELLED.value)
    )
    return (await session.exec(stmt)).rowcount  # type: ignore[call-overload]


# -- receipts -------------------------------------------------------------------------------

DELIVERED, SEEN, FAILED = "delivered", "seen", "failed"


async def record_receipt(
    session: AsyncSession,
    *,
    channel: str,
    external_id: str,
    kind: str,
    at: datetime,
    user_id: str | None = None,
    reason: str | None = None,
) -> bool:
    """What the platform reported about a sent message, on the row that sent it (found by
    (channel, external_id), and user_id where given): `delivered` sets delivered_at, `seen`
    seen_at (and delivered_at if missing), `failed` turns a sent row failed with the reason.
    One UPDATE; a receipt for no row (an interactive reply) or one already recorded changes
    nothing. Returns whether a row changed."""
    where = [
        OUTBOX.c.channel == channel,
        OUTBOX.c.external_id == external_id[:64],
        OUTBOX.c.status == OutboxStatus.SENT.value,
    ]
    if user_id is not None:
        where.append(OUTBOX.c.user_id == user_id)
    values: dict[str, Any]
    if kind == DELIVERED:
        where.append(OUTBOX.c.delivered_at.is_(None))
        values = {"delivered_at": at}
    elif kind == SEEN:
        where.append(OUTBOX.c.seen_at.is_(None))
        values = {"seen_at": at, "delivered_at": func.coalesce(OUTBOX.c.delivered_at, at)}
    elif kind == FAILED:
        values = {"status": OutboxStatus.FAILED.value, "error": (reason or FAILED)[:MAX_ERROR]}
    else:
        raise ValueError(f"not a receipt: {kind!r}")
    stmt = update(OUTBOX).where(*where).values(**values)
    return (await session.exec(stmt)).rowcount > 0  # type: ignore[call-overload]


# -- crash recovery -------------------------------------------------------------------------


async def recover(
    session: AsyncSession,
    *,
    channels: Sequence[str],
    instance: str | None,
    lease_expired_before: datetime,
) -> int:
    """The crash policy: rows of these channels left inflight by `instance` (before its
    restart) or claimed before `lease_expired_before` by anyone go back to pending."""
    if not channels:
        return 0
    expired = OUTBOX.c.claimed_at < lease_expired_before
    stmt = (
        update(OUTBOX)
        .where(
            OUTBOX.c.channel.in_(list(channels)),
            OUTBOX.c.status == INFLIGHT,
            or_(OUTBOX.c.claimed_by == instance, expired) if instance else expired,
        )
        .values(status=PENDING, claimed_by=None, claimed_at=None)
    )
    return (await session.exec(stmt)).rowcount  # type: ignore[call-overload]


# -- runs -----------------------------------------------------------------------------------


async def finish_runs(
    session: AsyncSession, *, now: datetime, run_ids: Iterable[int] | None = None
) -> list[int]:
    """Mark done the runs in "sending" with nothing pending or in flight; returns their ids
    (exactly one caller flips each run)."""
    left = exists().where(OUTBOX.c.run_id == RUN.c.id, OUTBOX.c.status.in_((PENDING, INFLIGHT)))
    stmt = update(RUN).where(RUN.c.status == RunStatus.SENDING.value, ~left)
    if run_ids is not None:
        ids = list(run_ids)
        if not ids:
            return []
        stmt = stmt.where(RUN.c.id.in_(ids))
    stmt = stmt.values(status=RunStatus.DONE.value, finished_at=now).returning(RUN.c.id)
    return list((await session.exec(stmt)).scalars().all())  # type: ignore[call-overload]
