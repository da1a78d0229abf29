"""The audit log: every staff and admin action, who did it, when, on what."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Integer
from sqlmodel import Field

from storage.models.table import Table
from storage.types import UTCDateTime, utcnow


class AuditEntry(Table, table=True):
    __tablename__ = "audit_entry"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    # The actor's public reference is kept as text so the entry still says who acted after
    # the actor's citizen row is gone.
    actor_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("citizen.id", ondelete="SET NULL"), nullable=True, index=True
        ),
    )
    actor_ref: str = Field(max_length=64)  # C-7F3K2, or a system actor: open311:<body>
    action: str = Field(max_length=32, index=True)  # status | broadcast | grant | ban | ...
    object_type: str = Field(max_length=16)  # report | notice | citizen | survey | export
    object_id: str = Field(max_length=64, index=True)
    detail: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
