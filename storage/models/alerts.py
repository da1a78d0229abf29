"""Alerts: what citizens subscribe to, the notices staff send, and the outbox that delivers
them (one row per recipient, claimed in batches by the delivery engine)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    Text,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime, utcnow


def _fk(target: str, *, ondelete: str, nullable: bool = True, primary_key: bool = False) -> Column:
    return Column(
        Integer,
        ForeignKey(target, ondelete=ondelete),
        nullable=nullable and not primary_key,
        index=not primary_key,
        primary_key=primary_key,
    )


class PlaceKind(enum.StrEnum):
    ALL = "all"  # the whole city
    DISTRICT = "district"
    RADIUS = "radius"  # a circle around a pin the citizen shared


class AlertTopic(SQLModel, table=True):
    __tablename__ = "alert_topic"

    citizen_id: int = Field(sa_column=_fk("citizen.id", ondelete="CASCADE", primary_key=True))
    topic: str = Field(primary_key=True, max_length=32)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class AlertPlace(SQLModel, table=True):
    __tablename__ = "alert_place"
    __table_args__ = (Index("ix_alert_place_lat_lon", "lat", "lon"),)

    id: int | None = Field(default=None, primary_key=True)
    citizen_id: int = Field(sa_column=_fk("citizen.id", ondelete="CASCADE", nullable=False))
    kind: str = Field(max_length=16)
    district: str | None = Field(default=None, max_length=32, index=True)
    lat: float | None = None
    lon: float | None = None
    radius_m: int | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class AlertSettings(SQLModel, table=True):
    """A citizen's delivery preferences. No row means the defaults."""

    __tablename__ = "alert_settings"

    citizen_id: int = Field(sa_column=_fk("citizen.id", ondelete="CASCADE", primary_key=True))
    quiet_enabled: bool = True
    quiet_from: int = 22 * 60  # minutes after local midnight
    quiet_to: int = 7 * 60
    digest_hour: int | None = None  # a daily digest of non-urgent notices at this local hour
    # /stop: no alerts, notices, digests or survey invitations until the citizen turns them
    # back on. News about their own and followed reports is apart (report_news).
    stopped: bool = False
    report_news: bool = True  # news about the citizen's own and followed reports
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class NoticeStatus(enum.StrEnum):
    SCHEDULED = "scheduled"  # waiting for next_run_at
    PAUSED = "paused"
    DONE = "done"  # a one-off that ran, or a recurrence that ended
    CANCELLED = "cancelled"
    MISSED = "missed"  # fell due while the bot was down and expired before it came back


class Notice(SQLModel, table=True):
    """A staff announcement: sent now, once at a time, or on a recurrence (city time)."""

    __tablename__ = "notice"

    id: int | None = Field(default=None, primary_key=True)
    topic: str = Field(max_length=32)
    urgent: bool = False
    text_bg: str = Field(sa_column=Column(Text, nullable=False))
    text_en: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    photo: str | None = Field(default=None, max_length=64)
    # Telegram's file_id of the photo once uploaded: the rest of the audience gets it by this
    # id (scheduler/delivery.py). The first upload recorded wins.
    photo_file_id: str | None = Field(default=None, max_length=255)
    # {"kind": "all"} | {"kind": "districts", "districts": [...]} |
    # {"kind": "radius", "lat": ..., "lon": ..., "radius_m": ...}
    audience: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    created_by: int | None = Field(default=None, sa_column=_fk("citizen.id", ondelete="SET NULL"))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    recurrence: str | None = Field(default=None, max_length=100)  # a cron expression
    ends_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    expires_after_s: int = 12 * 3600
    next_run_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    status: str = Field(default=NoticeStatus.SCHEDULED.value, max_length=16, index=True)
    # Where the sender's progress message is, to edit it as the broadcast advances.
    progress_channel: str | None = Field(default=None, max_length=16)
    progress_user_id: str | None = Field(default=None, max_length=64)
    progress_message_id: str | None = Field(default=None, max_length=64)


class RunStatus(enum.StrEnum):
    SELECTING = "selecting"  # recipients are being inserted into the outbox, in batches
    SENDING = "sending"
    DONE = "done"
    MISSED = "missed"
    CANCELLED = "cancelled"


class NoticeRun(SQLModel, table=True):
    """One occurrence of a notice (a one-off has one; a recurring notice one per due time)."""

    __tablename__ = "notice_run"
    __table_args__ = (UniqueConstraint("notice_id", "due_at", name="uq_notice_run_due"),)

    id: int | None = Field(default=None, primary_key=True)
    notice_id: int = Field(sa_column=_fk("notice.id", ondelete="CASCADE", nullable=False))
    due_at: datetime = Field(sa_type=UTCDateTime)
    status: str = Field(default=RunStatus.SELECTING.value, max_length=16, index=True)
    cursor: int = 0  # the last citizen id already selected into the outbox
    total: int = 0
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Set when the run's counts were folded into RunTally: its outbox rows are then deleted
    # (OUTBOX_RETENTION_DAYS after it finished) and its figures read from the tally.
    pruned_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class RunTally(SQLModel, table=True):
    """A finished run's counts on one channel, kept when its outbox rows are pruned."""

    __tablename__ = "notice_run_tally"
    __table_args__ = (UniqueConstraint("run_id", "channel", name="uq_notice_run_tally"),)

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(sa_column=_fk("notice_run.id", ondelete="CASCADE", nullable=False))
    channel: str = Field(max_length=16)
    sent: int = 0  # rows by their final status
    failed: int = 0
    blocked: int = 0
    cancelled: int = 0
    transmitted: int = 0  # rows that went out (sent_at set: sent, or failed by a receipt)
    delivered: int = 0  # the platform's receipts
    seen: int = 0
    messages: int = 0  # platform messages billed


class DirectTally(SQLModel, table=True):
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


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for next_attempt_at (held for quiet hours or a digest too)
    INFLIGHT = "inflight"  # claimed by a sender; resolved by the crash policy if it dies
    SENT = "sent"
    FAILED = "failed"
    BLOCKED = "blocked"  # the citizen blocked the bot or unsubscribed
    CANCELLED = "cancelled"


class Outbox(SQLModel, table=True):
    """One message to one recipient on one channel."""

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("run_id", "citizen_id", "channel", name="uq_outbox_run_recipient"),
        Index("ix_outbox_claim", "channel", "status", "next_attempt_at"),
        # A run's counts and "anything left?" without reading its rows; with run_id IS NULL,
        # the few pending direct messages, claimed ahead of a broadcast's backlog.
        Index("ix_outbox_run_status", "run_id", "status"),
        Index("ix_outbox_external", "channel", "external_id"),
    )

    id: int | None = Field(
        default=None,
        sa_column=Column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    )
    run_id: int | None = Field(default=None, sa_column=_fk("notice_run.id", ondelete="CASCADE"))
    citizen_id: int | None = Field(default=None, sa_column=_fk("citizen.id", ondelete="CASCADE"))
    channel: str = Field(max_length=16)
    user_id: str = Field(max_length=64)
    language: str = Field(max_length=8)
    kind: str = Field(max_length=16)  # notice | direct | digest | invite (a survey's)
    payload: dict[str, Any] | None = Field(default=None, sa_type=JSON)  # for direct messages
    urgent: bool = False
    status: str = Field(default=OutboxStatus.PENDING.value, max_length=16)
    held: str | None = Field(default=None, max_length=16)  # quiet | digest, while deferred
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
