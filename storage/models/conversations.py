"""Where each address stands in a conversation."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON
from sqlmodel import Field

from storage.models.table import Table
from storage.types import UTCDateTime, utcnow


class ConversationState(Table, table=True):
    """Where an address stands in a conversation, with the flow's draft data."""

    __tablename__ = "conversation_state"

    channel: str = Field(primary_key=True, max_length=16)
    user_id: str = Field(primary_key=True, max_length=64)
    state: str | None = Field(default=None, max_length=64)
    data: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    version: int = 0
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
