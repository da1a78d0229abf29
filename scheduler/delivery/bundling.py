"""Combining a team chat's waiting news into one message.

A body's team chat is a group, and Telegram lets at most 20 messages a minute into one
(pacing.py). A burst of new reports for one body would queue for hours, one message every
three seconds. So when a slot of the chat comes for a row of a combinable kind
(OutboxKind.BODY_NEWS: a new report's notice) and more than a minute's worth of such rows
wait for that chat (this one and the pending ones, `threshold`: the pacer's limit), they go
out as one message, in this slot: "N new reports", a line each (the domain writes it:
bot/domain/body_news.py `combined_payload`, through the engine's TeamChats hook). How many
one message carries:
* as many as it names (`TeamChats.named`, 20), oldest first, while the chat's slots of the
  next minute can name all that wait (up to `threshold` × 20): every report is named in the
  chat, the rest go in the next slots' messages (due at the chat's next slot, not at the
  later ones they were given one by one);
* all that wait (up to COMBINE_MAX) when more wait than that (a flood: the busiest body of a
  10,000-report burst): the first 20 named, "and M more", and a button for the list.

Exactly once: in one transaction, the combined message becomes a new direct row claimed by
this instance and the rows it carries are marked sent ("combined into <id>",
storage/repos/outbox.py `combine`). A crash after the commit leaves the new row in flight:
the crash policy sends it (a restart of the same instance at once, others after the lease);
the rows it carries are never sent on their own. Only pending rows are taken (those put back
to wait for their slot, or not claimed yet): rows claimed by a sender are in its hands and
go by themselves (alone, or as the next combination's first). At most COMBINE_MAX rows per
message; the rest go in the next slot's.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from storage.models import OutboxKind
from storage.repos import outbox
from storage.repos.outbox import Claimed, CombineRace

if TYPE_CHECKING:
    from scheduler.delivery.engine import DeliveryEngine

log = logging.getLogger(__name__)

COMBINABLE = frozenset({OutboxKind.BODY_NEWS.value})
COMBINE_MAX = 1000  # rows carried by one combined message at most


@dataclass(frozen=True, slots=True)
class Combination:
    row: Claimed  # the combined message's row, claimed by this instance
    carried: set[int]  # the rows it carries (marked sent)
    freed: list[int]  # the rows whose kept slots (pacing.py) are no longer needed


def combinable(row: Claimed) -> bool:
    return row.kind in COMBINABLE and row.run_id is None


async def combine(
    engine: DeliveryEngine, rows: list[Claimed], *, threshold: int, next_slot: datetime
) -> Combination | None:
    """`rows` (news to one chat, claimed by this instance) have the chat's slot. If more
    than `threshold` such news wait for the chat (these and the pending ones), the
    combination: the row to send instead (claimed by this instance), the ids of the rows it
    carries, and those whose kept slots are freed; the pending rows not carried are due at
    `next_slot` (the claimed ones not carried the caller puts back, due then). None: send
    `rows[0]` alone."""
    chats = engine.team_chats
    first = rows[0]
    if chats is None:
        return None
    try:
        async with engine.db.sessions() as session, session.begin():
            pending = await outbox.waiting(
                session,
                channel=first.channel,
                user_id=first.user_id,
                kind=first.kind,
                limit=max(0, COMBINE_MAX - len(rows)),
            )
            candidates = sorted([*rows, *pending], key=lambda r: r.id)  # the oldest first
            if len(candidates) <= threshold:
                return None
            carried = candidates
            if len(candidates) <= threshold * chats.named:  # each named: the rest go next
                carried = candidates[: chats.named]
            ids = {r.id for r in carried}
            later = [r.id for r in pending if r.id not in ids]
            await outbox.due_again(session, ids=later, at=next_slot)
            payload = chats.combined(first.language, [r.payload or {} for r in carried])
            mine = {r.id for r in rows}
            combined = await outbox.combine(
                session,
                like=first,
                mine=[i for i in ids if i in mine],
                others=[i for i in ids if i not in mine],
                payload=payload,
                instance=engine.instance_id,
                now=engine.now(),
            )
    except CombineRace:  # rolled back
        log.info("delivery: rows to combine were taken meanwhile; sent alone")
        return None
    log.info("delivery: %d news to one team chat combined into one message", len(carried))
    return Combination(combined, ids, [r.id for r in candidates])
