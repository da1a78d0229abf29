"""Official feeds: each feed's polling state, one alert per item a feed publishes, and the
citizens who asked to be told when an alert ends."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Integer, Text, UniqueConstraint
from sqlmodel import Field

from storage.models.table import Table
from storage.types import UTCDateTime, utcnow


class FeedState(Table, table=True):
    """Where polling a feed stands. `next_poll_at` is also the claim: a poller takes a feed
    by moving it forward in a conditional UPDATE (one of several processes wins)."""

    __tablename__ = "feed_state"

    feed_id: str = Field(primary_key=True, max_length=32)
    next_poll_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    etag: str | None = Field(default=None, max_length=200)
    last_modified: str | None = Field(default=None, max_length=64)
    last_success_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, max_length=300)
    failures: int = 0  # in a row; 0 while the feed works
    items: int = 0  # active alerts after the last successful poll
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class FeedAlertStatus(enum.StrEnum):
    REVIEW = "review"  # waiting for staff (feeds in review mode)
    ACTIVE = "active"  # sent to citizens (or being sent)
    SKIPPED = "skipped"  # staff chose not to send it
    CLOSED = "closed"  # cancelled, gone from the feed, or its end passed


class FeedAlert(Table, table=True):
    """One item of a feed, keyed by (feed, the source's id). `area` is a GeoJSON geometry
    (None: the whole city); `districts` the district codes it touches."""

    __tablename__ = "feed_alert"
    __table_args__ = (UniqueConstraint("feed_id", "source_id", name="uq_feed_alert_source"),)

    id: int | None = Field(default=None, primary_key=True)
    feed_id: str = Field(max_length=32, index=True)
    source_id: str = Field(max_length=255)
    topic: str = Field(max_length=32)
    severity: str | None = Field(default=None, max_length=16)
    urgent: bool = False  # CAP Severe/Extreme or the emergencies topic: no quiet hours
    status: str = Field(default=FeedAlertStatus.REVIEW.value, max_length=16, index=True)
    starts_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ends_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    text_bg: str = Field(sa_column=Column(Text, nullable=False))
    text_en: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    area: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    districts: list[str] = Field(default_factory=list, sa_type=JSON)
    fingerprint: str = Field(default="", max_length=64)  # of what the feed said last
    notice_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("notice.id", ondelete="SET NULL"), nullable=True),
    )
    avoided: int = 0  # reports not filed because the citizen learnt of this alert instead
    closed_reason: str | None = Field(default=None, max_length=16)  # cancelled|gone|expired
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class FeedWatch(Table, table=True):
    """A citizen who asked to be told when the alert ends (instead of filing a report)."""

    __tablename__ = "feed_watch"

    alert_id: int = Field(
        sa_column=Column(Integer, ForeignKey("feed_alert.id", ondelete="CASCADE"), primary_key=True)
    )
    citizen_id: int = Field(
        sa_column=Column(Integer, ForeignKey("citizen.id", ondelete="CASCADE"), primary_key=True)
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
