"""Citizens, their roles, and their accounts on the channels."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import ClassVar

from sqlalchemy import Column, ForeignKey, Integer, UniqueConstraint
from sqlmodel import Field

from storage.models.table import Table
from storage.types import UTCDateTime, utcnow


class Role(enum.StrEnum):
    CITIZEN = "citizen"
    STAFF = "staff"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return _RANKS[self]

    def at_least(self, other: Role) -> bool:
        return self.rank >= other.rank


_RANKS = {Role.CITIZEN: 0, Role.STAFF: 1, Role.ADMIN: 2}


class CitizenBase(Table):
    language: str = Field(max_length=8)
    role: str = Field(default=Role.CITIZEN.value, max_length=16)
    consent_version: int | None = None
    opted_out: bool = False


class Citizen(CitizenBase, table=True):
    __tablename__ = "citizen"
    # Ids are never reused (SQLite would reuse the highest after a delete): public refs are
    # derived from them (storage/refs.py).
    __table_args__: ClassVar[dict[str, bool]] = {"sqlite_autoincrement": True}

    id: int | None = Field(default=None, primary_key=True)
    consented_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    # A banned citizen is told once (ban_notified) and then ignored; their reports are hidden.
    banned_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ban_reason: str | None = Field(default=None, max_length=200)
    ban_notified: bool = False


class ChannelIdentity(Table, table=True):
    """One citizen's account on one channel (a citizen may later link several)."""

    __tablename__ = "channel_identity"
    __table_args__ = (UniqueConstraint("channel", "user_id", name="uq_channel_identity"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)
    user_id: str = Field(max_length=64)
    citizen_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("citizen.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
