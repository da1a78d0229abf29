"""Alerts: what citizens subscribe to (topics, places) and how they want notices delivered."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field

from storage.models.columns import fk
from storage.models.table import Table
from storage.types import UTCDateTime, utcnow


class PlaceKind(enum.StrEnum):
    ALL = "all"  # the whole city
    DISTRICT = "district"
    RADIUS = "radius"  # a circle around a pin the citizen shared


class AlertTopic(Table, table=True):
    __tablename__ = "alert_topic"

    citizen_id: int = Field(sa_column=fk("citizen.id", ondelete="CASCADE", primary_key=True))
    topic: str = Field(primary_key=True, max_length=32)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class AlertPlace(Table, table=True):
    __tablename__ = "alert_place"
    __table_args__ = (Index("ix_alert_place_lat_lon", "lat", "lon"),)

    id: int | None = Field(default=None, primary_key=True)
    citizen_id: int = Field(sa_column=fk("citizen.id", ondelete="CASCADE", nullable=False))
    kind: str = Field(max_length=16)
    district: str | None = Field(default=None, max_length=32, index=True)
    lat: float | None = None
    lon: float | None = None
    radius_m: int | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class AlertSettings(Table, table=True):
    """A citizen's delivery preferences. No row means the defaults."""

    __tablename__ = "alert_settings"

    citizen_id: int = Field(sa_column=fk("citizen.id", ondelete="CASCADE", primary_key=True))
    quiet_enabled: bool = True
    quiet_from: int = 22 * 60  # minutes after local midnight
    quiet_to: int = 7 * 60
    digest_hour: int | None = None  # a daily digest of non-urgent notices at this local hour
    # /stop: no alerts, notices, digests or survey invitations until the citizen turns them
    # back on. News about their own and followed reports is apart (report_news).
    stopped: bool = False
    report_news: bool = True  # news about the citizen's own and followed reports
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
