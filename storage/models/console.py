"""The staff web console's sign-in: one-time links sent in chat, and browser sessions.

Only SHA-256 hashes of the link tokens and session keys are stored: a copy of the database
opens nobody's console."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Integer
from sqlmodel import Field

from storage.models.table import Table
from storage.types import UTCDateTime, utcnow


def _citizen_fk() -> Column:
    return Column(Integer, ForeignKey("citizen.id", ondelete="CASCADE"), nullable=False, index=True)


class ConsoleLink(Table, table=True):
    """A sign-in link sent to one staff member: valid until `expires_at`, used once."""

    __tablename__ = "console_link"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    citizen_id: int = Field(sa_column=_citizen_fk())
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ConsoleSession(Table, table=True):
    """A signed-in browser: ends at logout or after an idle spell (bot/web/console/sessions.py)."""

    __tablename__ = "console_session"

    id: int | None = Field(default=None, primary_key=True)
    key_hash: str = Field(max_length=64, unique=True)
    citizen_id: int = Field(sa_column=_citizen_fk())
    csrf: str = Field(max_length=64)  # the form token of every state-changing request
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
