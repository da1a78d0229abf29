"""Notices staff send and their runs (one per occurrence), with a pruned run's tally."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Text, UniqueConstraint
from sqlmodel import Field

from storage.models.columns import fk
from storage.models.table import Table
from storage.types import UTCDateTime, utcnow


class NoticeStatus(enum.StrEnum):
    SCHEDULED = "scheduled"  # waiting for next_run_at
    PAUSED = "paused"
    DONE = "done"  # a one-off that ran, or a recurrence that ended
    CANCELLED = "cancelled"
    MISSED = "missed"  # fell due while the bot was down and expired before it came back


class Notice(Table, table=True):
    """A staff announcement: sent now, once at a time, or on a recurrence (city time)."""

    __tablename__ = "notice"

    id: int | None = Field(default=None, primary_key=True)
    topic: str = Field(max_length=32)
    urgent: bool = False
    text_bg: str = Field(sa_column=Column(Text, nullable=False))
    text_en: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    photo: str | None = Field(default=None, max_length=64)
    # Telegram's file_id of the photo once uploaded: the rest of the audience gets it by this
    # id (scheduler/delivery/). The first upload recorded wins.
    photo_file_id: str | None = Field(default=None, max_length=255)
    # {"kind": "all"} | {"kind": "districts", "districts": [...]} |
    # {"kind": "radius", "lat": ..., "lon": ..., "radius_m": ...}
    audience: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    created_by: int | None = Field(default=None, sa_column=fk("citizen.id", ondelete="SET NULL"))
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


class NoticeRun(Table, table=True):
    """One occurrence of a notice (a one-off has one; a recurring notice one per due time)."""

    __tablename__ = "notice_run"
    __table_args__ = (UniqueConstraint("notice_id", "due_at", name="uq_notice_run_due"),)

    id: int | None = Field(default=None, primary_key=True)
    notice_id: int = Field(sa_column=fk("notice.id", ondelete="CASCADE", nullable=False))
    due_at: datetime = Field(sa_type=UTCDateTime)
    status: str = Field(default=RunStatus.SELECTING.value, max_length=16, index=True)
    cursor: int = 0  # the last citizen id already selected into the outbox
    total: int = 0
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Set when the run's counts were folded into RunTally: its outbox rows are then deleted
    # (OUTBOX_RETENTION_DAYS after it finished) and its figures read from the tally.
    pruned_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class RunTally(Table, table=True):
    """A finished run's counts on one channel, kept when its outbox rows are pruned."""

    __tablename__ = "notice_run_tally"
    __table_args__ = (UniqueConstraint("run_id", "channel", name="uq_notice_run_tally"),)

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(sa_column=fk("notice_run.id", ondelete="CASCADE", nullable=False))
    channel: str = Field(max_length=16)
    sent: int = 0  # rows by their final status
    failed: int = 0
    blocked: int = 0
    cancelled: int = 0
    transmitted: int = 0  # rows that went out (sent_at set: sent, or failed by a receipt)
    delivered: int = 0  # the platform's receipts
    seen: int = 0
    messages: int = 0  # platform messages billed
