"""Open311 API keys."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field

from storage.models.table import Table
from storage.types import UTCDateTime, utcnow


class ApiKey(Table, table=True):
    """An Open311 client's key; only a SHA-256 hash of it is stored."""

    __tablename__ = "api_key"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    key_hash: str = Field(max_length=64, unique=True)
    prefix: str = Field(max_length=12)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Reports the key may file a minute and a day (city time); None: the settings'
    # OPEN311_REPORTS_PER_MINUTE and OPEN311_REPORTS_PER_DAY.
    per_minute: int | None = None
    per_day: int | None = None
