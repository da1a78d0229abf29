"""The unit of work an action runs in: the caller's session (never committed here), who acts,
and the process-wide services."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.city import CityPack
from bot.config import Settings
from bot.domain.actors import Actor
from bot.i18n import Translator
from storage.repos import audit as audit_repo
from storage.repos import outbox
from storage.repos.reports import Recipient


@dataclass
class Work:
    session: AsyncSession
    actor: Actor
    settings: Settings
    translator: Translator
    city: CityPack
    clock: Callable[[], datetime]
    # Sends just-committed outbox rows now (the delivery engine); None where none runs.
    deliver: Callable[[Sequence[int]], Awaitable[None]] | None = None
    # Brings the notice scheduler's tick forward; None where none runs (the tick comes anyway).
    wake_notices: Callable[[], None] | None = None
    # Brings the forwarding tick forward (scheduler.forwarding.Forwarder.wake): a report
    # queued for a body outside the bot (email, Open311) leaves right after the commit.
    wake_forwarding: Callable[[], None] | None = None
    # Tasks the caller runs once its transaction is durable.
    after_commit: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    @property
    def now(self) -> datetime:
        return self.clock()

    def deliver_after_commit(self, row_ids: Sequence[int]) -> None:
        """Send these outbox rows as soon as the transaction commits."""
        if self.deliver is not None and row_ids:
            self.after_commit.append(functools.partial(self.deliver, list(row_ids)))

    def wake_notices_after_commit(self) -> None:
        """Let the notice scheduler look for due notices as soon as the transaction commits."""
        self._wake_after_commit(self.wake_notices)

    def wake_forwarding_after_commit(self) -> None:
        """Let the forwarding tick send the queued forwards as soon as the transaction
        commits."""
        self._wake_after_commit(self.wake_forwarding)

    def _wake_after_commit(self, wake: Callable[[], None] | None) -> None:
        if wake is None:
            return

        async def _wake() -> None:
            wake()

        self.after_commit.append(_wake)

    async def tell(self, recipient: Recipient, payload: dict[str, Any]) -> int:
        """Queue `payload` for `recipient` now (urgent: quiet hours do not hold it), in this
        transaction; the row's id, for `deliver_after_commit`."""
        row = await outbox.enqueue_direct(
            self.session,
            citizen_id=recipient.citizen_id,
            channel=recipient.channel,
            user_id=recipient.user_id,
            language=recipient.language,
            payload=payload,
            urgent=True,
            now=self.now,
        )
        assert row.id is not None
        return row.id

    async def audit(
        self, action: str, object_type: str, object_id: object, /, **detail: Any
    ) -> None:
        """Record that the actor did `action` on the object, in this transaction."""
        await audit_repo.record(
            self.session,
            actor_id=self.actor.citizen_id,
            actor_ref=self.actor.ref,
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            detail=detail,
            now=self.now,
        )
