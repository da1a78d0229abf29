"""The outbox: one row per message to one recipient on one channel, claimed in batches by
the delivery engine; what its rows are (kinds), why one waits (held), and the tally of pruned
direct messages."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, Integer, UniqueConstraint
from sqlmodel import Field

from storage.models.columns import fk
from storage.models.table import Table
from storage.types import UTCDateTime, utcnow


class OutboxKind(enum.StrEnum):
    """What an outbox row carries (the stored payload formats: scheduler/payloads.py)."""

    NOTICE = "notice"  # a notice run's message: the text is the run's Notice
    DIRECT = "direct"  # a message of its own (a report's news)
    # A new report's notice to a body's team chat: a direct message that the delivery engine
    # combines with the others waiting for the same chat when more than its pace lets out
    # soon are waiting (scheduler/delivery/bundling.py).
    BODY_NEWS = "body_news"
    DIGEST = "digest"  # a citizen's daily digest of held notices
    INVITE = "invite"  # a survey invitation (a direct message a ban withdraws)


class Held(enum.StrEnum):
    """Why a pending row waits past its first chance (Outbox.held)."""

    QUIET = "quiet"  # the citizen's quiet hours: sent when they end
    DIGEST = "digest"  # folded into the citizen's digest, never sent on its own


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for next_attempt_at (held for quiet hours or a digest too)
    INFLIGHT = "inflight"  # claimed by a sender; resolved by the crash policy if it dies
    SENT = "sent"
    FAILED = "failed"
    BLOCKED = "blocked"  # the citizen blocked the bot or unsubscribed
    CANCELLED = "cancelled"


class Outbox(Table, table=True):
    """One message to one recipient on one channel."""

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("run_id", "citizen_id", "channel", name="uq_outbox_run_recipient"),
        # In the claim's order (storage/repos/outbox.py): the scan stops at the limit.
        Index("ix_outbox_claim", "channel", "status", "next_attempt_at", "id"),
        # A run's counts and "anything left?" without reading its rows; with run_id IS NULL,
        # the few pending direct messages, claimed ahead of a broadcast's backlog.
        Index("ix_outbox_run_status", "run_id", "status"),
        Index("ix_outbox_external", "channel", "external_id"),
    )

    id: int | None = Field(
        default=None,
        sa_column=Column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    )
    run_id: int | None = Field(default=None, sa_column=fk("notice_run.id", ondelete="CASCADE"))
    citizen_id: int | None = Field(default=None, sa_column=fk("citizen.id", ondelete="CASCADE"))
    channel: str = Field(max_length=16)
    user_id: str = Field(max_length=64)
    language: str = Field(max_length=8)
    kind: str = Field(max_length=16)  # an OutboxKind
    payload: dict[str, Any] | None = Field(default=None, sa_type=JSON)  # for direct messages
    urgent: bool = False
    status: str = Field(default=OutboxStatus.PENDING.value, max_length=16)
    held: str | None = Field(default=None, max_length=16)  # a Held, while deferred
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    claimed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    claimed_by: str | None = Field(default=None, max_length=64)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    error: str | None = Field(default=None, max_length=300)
    # The platform's id of the sent message (a Viber message_token), its delivery receipts,
    # and how many platform messages it took (Viber bills each one).
    external_id: str | None = Field(default=None, max_length=64)
    delivered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    seen_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    messages: int | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class DirectTally(Table, table=True):
    """The counts of pruned direct messages (report news, digests, survey invitations) on
    one channel, added to as their outbox rows are deleted."""

    __tablename__ = "outbox_direct_tally"

    channel: str = Field(max_length=16, primary_key=True)
    sent: int = 0
    failed: int = 0
    blocked: int = 0
    cancelled: int = 0
    transmitted: int = 0
    delivered: int = 0
    seen: int = 0
    messages: int = 0
