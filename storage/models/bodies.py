"""Bodies at run time: which staff belong to which body, and each body's team chat. The bodies
themselves are the city pack's (bodies.json), known by their stable code."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Integer, String
from sqlmodel import Field

from storage.models.table import Table
from storage.types import UTCDateTime, utcnow


class StaffBody(Table, table=True):
    """A staff member works for a body (one or more rows per staff member)."""

    __tablename__ = "staff_body"

    citizen_id: int = Field(
        sa_column=Column(Integer, ForeignKey("citizen.id", ondelete="CASCADE"), primary_key=True)
    )
    body_code: str = Field(sa_column=Column(String(32), primary_key=True, index=True))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class BodyChat(Table, table=True):
    """A body's team chat, linked at run time (a group on one channel): where the body's new
    reports are announced."""

    __tablename__ = "body_chat"

    body_code: str = Field(sa_column=Column(String(32), primary_key=True))
    channel: str = Field(max_length=16)
    chat_id: str = Field(max_length=64)
    linked_by: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("citizen.id", ondelete="SET NULL"))
    )
    linked_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # When the chat was found unreachable (the bot removed, the chat gone); None: it works.
    # A broken link is not posted to (the body's members are told in private instead).
    broken_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class StaffNotify(Table, table=True):
    """How a staff member hears of their bodies' new reports in their private chat: every
    report ("every", the default when there is no row), a daily digest ("digest"), or not at
    all ("none")."""

    __tablename__ = "staff_notify"

    citizen_id: int = Field(
        sa_column=Column(Integer, ForeignKey("citizen.id", ondelete="CASCADE"), primary_key=True)
    )
    mode: str = Field(max_length=8)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
