"""The outbox: one row per message to one recipient on one channel.

Rows are written by audience selection (`enqueue_many`, a notice run's recipients in batches)
and by single messages (`enqueue_direct`, e.g. a report's status news), and sent by the
delivery engine (scheduler/delivery.py), which claims due rows in short transactions, sends
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
    case,
    delete,
    exists,
    func,
    insert,
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
COUNT_KEYS = ("queued", "sent", "deferred", "failed", "blocked", "cancelled")


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


def _dialect(session: AsyncSession) -> str:
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
    """One message to one address (payload: scheduler.delivery.direct_payload). Flushed, so
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
    insert = pg_insert if _dialect(session) == "postgresql" else sqlite_insert
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
    never wait behind a broadcast's backlog), then the oldest due rows. Uses
    SELECT … FOR UPDATE SKIP LOCKED on PostgreSQL, so concurrent instances claim disjoint
    rows; SQLite's single writer serialises claims."""
    if limit <= 0:
        return []
    direct = (
        select(OUTBOX.c.id)
        .where(OUTBOX.c.run_id.is_(None), OUTBOX.c.channel == channel, _sendable(now))
        .order_by(OUTBOX.c.next_attempt_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    claimed = await _claim_where(session, direct, instance=instance, now=now)
    if len(claimed) < limit:
        rest = (
            select(OUTBOX.c.id)
            .where(OUTBOX.c.channel == channel, _sendable(now))
            .order_by(OUTBOX.c.next_attempt_at)
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


@dataclass(frozen=True, slots=True)
class ChannelReceipts:
    """A run's rows on one channel: sent, how many of them the platform reported delivered
    and seen, and the platform messages they took (0 where not known)."""

    sent: int
    delivered: int
    seen: int
    messages: int


async def run_receipts(session: AsyncSession, *, run_id: int) -> dict[str, ChannelReceipts]:
    """Per channel of the run (channels with rows only); a pruned run's from its tally."""
    if await _pruned(session, run_id):
        tallied = select(
            TALLY.c.channel, TALLY.c.transmitted, TALLY.c.delivered, TALLY.c.seen, TALLY.c.messages
        ).where(TALLY.c.run_id == run_id)
        found = (await session.exec(tallied)).all()  # type: ignore[call-overload]
        return {channel: ChannelReceipts(*map(int, figures)) for channel, *figures in found}
    was_sent = OUTBOX.c.sent_at.is_not(None)
    stmt = (
        select(
            OUTBOX.c.channel,
            func.count(case((was_sent, 1))),
            func.count(OUTBOX.c.delivered_at),
            func.count(OUTBOX.c.seen_at),
            func.coalesce(func.sum(OUTBOX.c.messages), 0),
        )
        .where(OUTBOX.c.run_id == run_id)
        .group_by(OUTBOX.c.channel)
    )
    rows = (await session.exec(stmt)).all()  # type: ignore[call-overload]
    return {channel: ChannelReceipts(*map(int, figures)) for channel, *figures in rows}


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


async def run_counts(session: AsyncSession, *, run_id: int) -> dict[str, int]:
    """How a run stands: queued (pending or being sent), sent, deferred (pending, held for
    quiet hours or a digest), failed, blocked, cancelled. A pruned run's from its tally."""
    counts = dict.fromkeys(COUNT_KEYS, 0)
    if await _pruned(session, run_id):
        final = ("sent", "failed", "blocked", "cancelled")
        tallied = select(*(func.coalesce(func.sum(TALLY.c[k]), 0) for k in final)).where(
            TALLY.c.run_id == run_id
        )
        sums = (await session.exec(tallied)).one()  # type: ignore[call-overload]
        return counts | {k: int(n) for k, n in zip(final, sums, strict=True)}
    deferred = OUTBOX.c.held.is_not(None)
    stmt = (
        select(OUTBOX.c.status, deferred, func.count())
        .where(OUTBOX.c.run_id == run_id)
        .group_by(OUTBOX.c.status, deferred)
    )
    for status, is_deferred, n in (await session.exec(stmt)).all():  # type: ignore[call-overload]
        if status in (PENDING, INFLIGHT):
            key = "deferred" if status == PENDING and is_deferred else "queued"
        else:
            key = status
        if key in counts:
            counts[key] += n
    return counts


def sent_of(counts: Mapping[str, int]) -> tuple[int, int]:
    """(sent, total) of a run's counts (`run_counts`): the one "sent of total" everyone shows."""
    return counts.get("sent", 0), sum(counts.values())


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


# -- pruning finished runs ------------------------------------------------------------------


async def _pruned(session: AsyncSession, run_id: int) -> bool:
    stmt = select(RUN.c.pruned_at).where(RUN.c.id == run_id)
    return (await session.exec(stmt)).scalar_one_or_none() is not None  # type: ignore[call-overload]


async def prunable_runs(
    session: AsyncSession, *, finished_before: datetime, after: int = 0, limit: int = 100
) -> list[int]:
    """Runs finished before `finished_before` whose rows are not pruned yet, by id."""
    stmt = (
        select(RUN.c.id)
        .where(
            RUN.c.status.in_(FINISHED_RUNS),
            RUN.c.finished_at < finished_before,
            RUN.c.pruned_at.is_(None),
            RUN.c.id > after,
        )
        .order_by(RUN.c.id)
        .limit(limit)
    )
    return list((await session.exec(stmt)).scalars().all())  # type: ignore[call-overload]


TALLY_KEYS = (
    "sent",
    "failed",
    "blocked",
    "cancelled",
    "transmitted",
    "delivered",
    "seen",
    "messages",
)
Tallies = dict[str, dict[str, int]]  # channel → TALLY_KEYS → count


async def run_id_span(session: AsyncSession, *, run_id: int) -> tuple[int, int] | None:
    """The lowest and highest outbox row id of a run (None: it has no rows)."""
    stmt = select(func.min(OUTBOX.c.id), func.max(OUTBOX.c.id)).where(OUTBOX.c.run_id == run_id)
    low, high = (await session.exec(stmt)).one()  # type: ignore[call-overload]
    return None if low is None else (int(low), int(high))


async def tally_rows(session: AsyncSession, *, run_id: int, low: int, high: int) -> Tallies:
    """A run's counts per channel over its rows with low <= id < high (a primary key range,
    so a large run is counted in short reads)."""

    def count(status: OutboxStatus) -> ColumnElement[int]:
        return func.count(case((OUTBOX.c.status == status.value, 1)))

    stmt = (
        select(
            OUTBOX.c.channel,
            count(OutboxStatus.SENT),
            count(OutboxStatus.FAILED),
            count(OutboxStatus.BLOCKED),
            count(OutboxStatus.CANCELLED),
            func.count(OUTBOX.c.sent_at),
            func.count(OUTBOX.c.delivered_at),
            func.count(OUTBOX.c.seen_at),
            func.coalesce(func.sum(OUTBOX.c.messages), 0),
        )
        .where(OUTBOX.c.id >= low, OUTBOX.c.id < high, OUTBOX.c.run_id == run_id)
        .group_by(OUTBOX.c.channel)
    )
    rows = (await session.exec(stmt)).all()  # type: ignore[call-overload]
    return {
        channel: dict(zip(TALLY_KEYS, map(int, figures), strict=True)) for channel, *figures in rows
    }


def add_tallies(total: Tallies, more: Tallies) -> Tallies:
    for channel, figures in more.items():
        into = total.setdefault(channel, dict.fromkeys(TALLY_KEYS, 0))
        for key, n in figures.items():
            into[key] += n
    return total


async def fold_run(
    session: AsyncSession, *, run_id: int, tallies: Mapping[str, Mapping[str, int]], now: datetime
) -> bool:
    """Claim a finished run for pruning and keep its counts (`tally_rows`, summed) in
    RunTally; from then on its figures are read there and its rows may be deleted. One
    caller wins (the conditional UPDATE); a run with rows still pending or in flight is left
    alone. A short write: the counting was done before, in reads."""
    left = exists().where(OUTBOX.c.run_id == RUN.c.id, OUTBOX.c.status.in_((PENDING, INFLIGHT)))
    claim = (
        update(RUN)
        .where(
            RUN.c.id == run_id,
            RUN.c.pruned_at.is_(None),
            RUN.c.status.in_(FINISHED_RUNS),
            ~left,
        )
        .values(pruned_at=now)
    )
    if (await session.exec(claim)).rowcount != 1:  # type: ignore[call-overload]
        return False
    if tallies:
        values = [
            {"run_id": run_id, "channel": channel, **figures}
            for channel, figures in sorted(tallies.items())
        ]
        await session.exec(insert(TALLY).values(values))  # type: ignore[call-overload]
    return True


async def runs_to_clear(session: AsyncSession, *, after: int = 0, limit: int = 100) -> list[int]:
    """Pruned runs that still have outbox rows (a crash between folding and deleting, or
    rows another process is deleting), by id."""
    rows_left = exists().where(OUTBOX.c.run_id == RUN.c.id)
    stmt = (
        select(RUN.c.id)
        .where(RUN.c.pruned_at.is_not(None), RUN.c.id > after, rows_left)
        .order_by(RUN.c.id)
        .limit(limit)
    )
    return list((await session.exec(stmt)).scalars().all())  # type: ignore[call-overload]


async def delete_run_rows(session: AsyncSession, *, run_id: int, limit: int) -> int:
    """Delete up to `limit` outbox rows of a pruned run (rows locked by another process's
    delete are skipped on PostgreSQL). Returns how many."""
    picked = select(OUTBOX.c.id).where(OUTBOX.c.run_id == run_id).limit(limit)
    if _dialect(session) == "postgresql":
        # Picked once, in a materialised CTE (see _claim_where). SQLite needs none, and its
        # driver reports no rowcount for a statement that starts with WITH.
        cte = picked.with_for_update(skip_locked=True).cte("picked").prefix_with("MATERIALIZED")
        picked = select(cte.c.id)
    stmt = delete(OUTBOX).where(OUTBOX.c.id.in_(picked))
    return max((await session.exec(stmt)).rowcount, 0)  # type: ignore[call-overload]


async def prune_direct(session: AsyncSession, *, created_before: datetime, limit: int) -> int:
    """Delete up to `limit` direct messages (no run: report news, digests, survey
    invitations) created before `created_before` that are finished (sent, failed, blocked,
    cancelled), adding their counts to DirectTally in the same transaction (rows another
    process holds are skipped on PostgreSQL). Returns how many were deleted."""
    picked = (
        select(
            OUTBOX.c.id,
            OUTBOX.c.channel,
            OUTBOX.c.status,
            OUTBOX.c.sent_at.is_not(None),
            OUTBOX.c.delivered_at.is_not(None),
            OUTBOX.c.seen_at.is_not(None),
            OUTBOX.c.messages,
        )
        .where(
            OUTBOX.c.run_id.is_(None),
            OUTBOX.c.status.in_(FINAL),
            OUTBOX.c.created_at < created_before,
        )
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    rows = (await session.exec(picked)).all()  # type: ignore[call-overload]
    if not rows:
        return 0
    keys = ("sent", "failed", "blocked", "cancelled", "transmitted", "delivered", "seen")
    sums: dict[str, dict[str, int]] = {}
    for _, channel, status, transmitted, delivered, seen, messages in rows:
        tally = sums.setdefault(channel, dict.fromkeys((*keys, "messages"), 0))
        tally[status] += 1
        tally["transmitted"] += bool(transmitted)
        tally["delivered"] += bool(delivered)
        tally["seen"] += bool(seen)
        tally["messages"] += messages or 0
    insert_ = pg_insert if _dialect(session) == "postgresql" else sqlite_insert
    for channel, tally in sorted(sums.items()):
        stmt = insert_(DIRECT_TALLY).values(channel=channel, **tally)
        stmt = stmt.on_conflict_do_update(
            index_elements=["channel"],
            set_={k: DIRECT_TALLY.c[k] + stmt.excluded[k] for k in tally},
        )
        await session.exec(stmt)  # type: ignore[call-overload]
    ids = [row[0] for row in rows]
    for start in range(0, len(ids), INSERT_CHUNK):
        chunk = ids[start : start + INSERT_CHUNK]
        await session.exec(delete(OUTBOX).where(OUTBOX.c.id.in_(chunk)))  # type: ignore[call-overload]
    return len(ids)
