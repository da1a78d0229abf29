"""Reports sent on to bodies that work outside the bot (bodies.json `delivery`: email or
Open311): one row per report and body, queued in the filing or reassigning transaction and
sent after it by scheduler/forwarding.py; and one per "not fixed" answer that reopened it
(kind "reopened": by email; GeoReport v2 has no call to update a request, so for an Open311
body it is recorded as "unsupported" and nothing is sent).

A row is claimed by moving `next_attempt_at` forward (the lease) and naming the process in
`claimed_by`, in one conditional UPDATE, so two processes never send the same row. The last
error holds what the body's server answered (codes, its error text), never the citizen's
words nor a secret."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Column, Index, Integer, String, UniqueConstraint
from sqlmodel import Field

from storage.models.columns import fk
from storage.models.table import Table
from storage.types import UTCDateTime, utcnow


class ForwardHow(enum.StrEnum):
    EMAIL = "email"
    OPEN311 = "open311"


class ForwardState(enum.StrEnum):
    PENDING = "pending"  # to send (again) at next_attempt_at
    SENT = "sent"  # the body has it
    FAILED = "failed"  # given up: an admin may retry it (/forwarding)
    UNSUPPORTED = "unsupported"  # recorded, never sent: the way has no such message


class ForwardKind(enum.StrEnum):
    REPORT = "report"  # the report itself
    REOPENED = "reopened"  # a citizen's "not fixed" answer: the report is open again


class ReportForward(Table, table=True):
    __tablename__ = "report_forward"
    __table_args__ = (
        UniqueConstraint("report_id", "body_code", "event_id", name="uq_report_forward_event"),
        Index("ix_report_forward_due", "state", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(sa_column=fk("report.id", ondelete="CASCADE", nullable=False))
    body_code: str = Field(sa_column=Column(String(32), nullable=False, index=True))
    how: str = Field(max_length=16)
    kind: str = Field(
        default=ForwardKind.REPORT.value,
        sa_column=Column(String(16), nullable=False, server_default=ForwardKind.REPORT.value),
    )
    # The reopening's report_event id (kind "reopened"), 0 for the report itself; and the
    # photo the citizen's answer brought.
    event_id: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    photo_name: str | None = Field(default=None, max_length=64)
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
