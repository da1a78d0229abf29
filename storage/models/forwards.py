"""Reports sent on to bodies that work outside the bot (bodies.json `delivery`: email or
Open311): one row per report and body, queued in the filing or reassigning transaction and
sent after it by scheduler/forwarding.py.

A row is claimed by moving `next_attempt_at` forward (the lease) and naming the process in
`claimed_by`, in one conditional UPDATE, so two processes never send the same row. The last
error holds what the body's server answered (codes, its error text), never the citizen's
words nor a secret."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Column, Index, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.models.columns import fk
from storage.types import UTCDateTime, utcnow


class ForwardHow(enum.StrEnum):
    EMAIL = "email"
    OPEN311 = "open311"


class ForwardState(enum.StrEnum):
    PENDING = "pending"  # to send (again) at next_attempt_at
    SENT = "sent"  # the body has it
    FAILED = "failed"  # given up: an admin may retry it (/forwarding)


class ReportForward(SQLModel, table=True):
    __tablename__ = "report_forward"
    __table_args__ = (
        UniqueConstraint("report_id", "body_code", name="uq_report_forward_body"),
        Index("ix_report_forward_due", "state", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(sa_column=fk("report.id", ondelete="CASCADE", nullable=False))
    body_code: str = Field(sa_column=Column(String(32), nullable=False, index=True))
    how: str = Field(max_length=16)
    state: str = Field(default=ForwardState.PENDING.value, max_length=16)
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    claimed_by: str | None = Field(default=None, max_length=64)
    last_error: str | None = Field(default=None, max_length=300)
    # Open311: the body's id of the request (or the token to trade for it), its last status.
    service_request_id: str | None = Field(default=None, max_length=64)
    token: str | None = Field(default=None, max_length=64)
    remote_status: str | None = Field(default=None, max_length=16)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    status_checked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
