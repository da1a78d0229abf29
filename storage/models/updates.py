"""Incoming platform updates already handled (the dedupe keys)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field

from storage.models.table import Table
from storage.types import UTCDateTime, utcnow


class ProcessedUpdate(Table, table=True):
    """Dedupe key of an incoming platform update, written in the message's own transaction."""

    __tablename__ = "processed_update"

    channel: str = Field(primary_key=True, max_length=16)
    external_id: str = Field(primary_key=True, max_length=128)
    processed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
