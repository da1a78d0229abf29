"""Citizen reports of city problems, their photos, history and followers."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Column, ForeignKey, Index, Integer, Text, UniqueConstraint
from sqlmodel import Field

from storage.models.columns import fk
from storage.models.table import Table
from storage.types import UTCDateTime, utcnow


class ReportStatus(enum.StrEnum):
    NEW = "new"
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    REJECTED = "rejected"
    DUPLICATE = "duplicate"


OPEN_STATUSES = frozenset({ReportStatus.NEW, ReportStatus.ACKNOWLEDGED, ReportStatus.IN_PROGRESS})
CLOSED_STATUSES = frozenset(ReportStatus) - OPEN_STATUSES

_S = ReportStatus
# The status changes staff may make: forward only, never back to "new". A closed report is
# reopened by its reporter ("Not fixed", back to acknowledged; bot/domain/reports.py), not by
# staff. The rules around each change (a reason to reject, an original for a duplicate) are
# in bot/domain/reports.py.
TRANSITIONS: dict[ReportStatus, tuple[ReportStatus, ...]] = {
    _S.NEW: (_S.ACKNOWLEDGED, _S.IN_PROGRESS, _S.RESOLVED, _S.REJECTED, _S.DUPLICATE),
    _S.ACKNOWLEDGED: (_S.IN_PROGRESS, _S.RESOLVED, _S.REJECTED, _S.DUPLICATE),
    _S.IN_PROGRESS: (_S.RESOLVED, _S.REJECTED, _S.DUPLICATE),
    _S.RESOLVED: (),
    _S.REJECTED: (),
    _S.DUPLICATE: (),
}
# What "Not fixed" may reopen: a resolved report only (a rejected one shows its reason and
# offers a new report instead).
REOPENABLE = frozenset({_S.RESOLVED})


class Report(Table, table=True):
    __tablename__ = "report"
    __table_args__ = (
        UniqueConstraint("city", "year", "seq", name="uq_report_city_year_seq"),
        Index("ix_report_category_created", "category", "created_at"),
        Index("ix_report_lat_lon", "lat", "lon"),
        # An API key's reports in a window: its rate limits count them (and FK lookups).
        Index("ix_report_api_key_created", "api_key_id", "created_at"),
        # The staff console's queue, newest (or oldest, or recently changed) first, the id
        # breaking ties: a page is read off an index, for all reports or one status.
        Index("ix_report_created_id", "created_at", "id"),
        Index("ix_report_status_created", "status", "created_at", "id"),
        Index("ix_report_updated_id", "updated_at", "id"),
        # Overdue reports: `/reports overdue` and the late notices (open, past the deadline).
        Index("ix_report_resolve_due_status", "resolve_due_at", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    public_id: str = Field(max_length=32, unique=True)
    city: str = Field(max_length=32)
    year: int
    seq: int
    category: str = Field(max_length=32)
    status: str = Field(default=ReportStatus.NEW.value, max_length=16, index=True)
    description: str = Field(sa_column=Column(Text, nullable=False))
    lat: float | None = None
    lon: float | None = None
    address: str | None = Field(default=None, max_length=300)
    district: str | None = Field(default=None, max_length=32, index=True)
    source: str = Field(max_length=16)  # telegram | viber | console | open311
    reporter_id: int | None = Field(default=None, sa_column=fk("citizen.id", ondelete="SET NULL"))
    api_key_id: int | None = Field(
        default=None, sa_column=fk("api_key.id", ondelete="SET NULL", index=False)
    )
    # Only when the citizen shared a contact for this report on purpose.
    contact_phone: str | None = Field(default=None, max_length=32)
    hidden: bool = False
    duplicate_of_id: int | None = Field(
        default=None, sa_column=fk("report.id", ondelete="SET NULL")
    )
    reopened: int = 0
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Who handles it and by when (bot/domain/routing.py, at filing; a reassignment changes
    # the body). None only for reports filed before bodies existed.
    body_code: str | None = Field(default=None, max_length=32, index=True)
    ack_due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    resolve_due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    acknowledged_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The staff member of the body working on it.
    assignee_id: int | None = Field(
        default=None, sa_column=fk("citizen.id", ondelete="SET NULL", index=False)
    )
    # The last answer to "Is it fixed?" after a resolution (bot/domain/confirmation.py):
    # True fixed (the report is closed for good), False not fixed (reopened), None no answer.
    citizen_confirmed: bool | None = None
    confirmed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # When the reporter was told the resolve deadline passed with the report still open
    # (bot/domain/late_news.py): once per report, claimed in SQL.
    late_told_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    @property
    def is_open(self) -> bool:
        return ReportStatus(self.status) in OPEN_STATUSES


class ReportPhoto(Table, table=True):
    __tablename__ = "report_photo"

    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(sa_column=fk("report.id", ondelete="CASCADE", nullable=False))
    position: int = 0
    name: str = Field(max_length=64, unique=True)  # unguessable file name in the photo store
    width: int
    height: int
    size: int
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ReportEvent(Table, table=True):
    """One entry of a report's history: a status change, a reopening, hiding, duplicate."""

    __tablename__ = "report_event"

    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(sa_column=fk("report.id", ondelete="CASCADE", nullable=False))
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    actor_id: int | None = Field(default=None, sa_column=fk("citizen.id", ondelete="SET NULL"))
    actor_role: str = Field(max_length=16)  # citizen | staff | admin | api
    # created | status | reopened | hidden | shown | confirmed | not_fixed
    kind: str = Field(max_length=16)
    from_status: str | None = Field(default=None, max_length=16)
    to_status: str | None = Field(default=None, max_length=16)
    note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class ReportFollower(Table, table=True):
    __tablename__ = "report_follower"

    report_id: int = Field(
        sa_column=Column(Integer, ForeignKey("report.id", ondelete="CASCADE"), primary_key=True)
    )
    citizen_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("citizen.id", ondelete="CASCADE"), primary_key=True, index=True
        )
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ReportCounter(Table, table=True):
    """The last sequence number of public ids per city and year (SOF-2026-000123)."""

    __tablename__ = "report_counter"

    city: str = Field(primary_key=True, max_length=32)
    year: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    last: int = 0


class ReportNote(Table, table=True):
    """Staff's internal note on a report (or the reason of a reassignment): never sent to the
    citizen, never in open data, Open311 or /mydata."""

    __tablename__ = "report_note"

    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(sa_column=fk("report.id", ondelete="CASCADE", nullable=False))
    author_id: int | None = Field(default=None, sa_column=fk("citizen.id", ondelete="SET NULL"))
    author_ref: str = Field(max_length=64)  # a public ref or a system actor's name
    kind: str = Field(default="note", max_length=16)  # note | reassigned
    body_code: str | None = Field(default=None, max_length=32)  # reassigned: the new body
    text: str = Field(sa_column=Column(Text, nullable=False))
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
