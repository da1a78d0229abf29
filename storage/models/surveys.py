"""Surveys: questionnaires staff run in chat, the citizens' responses and answers, who asked
to hear about new surveys and who was invited to which.

A survey's questions live in `definition` (JSON, validated by bot.surveys.schema); the
lifecycle, the dates and the targeting are columns, so listing open surveys is one query.
Answers are rows (one per chosen option, or one with the free text; a skipped question is a
row with neither), so counting them is a GROUP BY on either backend.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Index, Integer, Text, UniqueConstraint
from sqlmodel import Field

from storage.models.table import Table
from storage.types import UTCDateTime, utcnow


def _fk(target: str, *, ondelete: str, nullable: bool = False, primary_key: bool = False) -> Column:
    return Column(
        Integer,
        ForeignKey(target, ondelete=ondelete),
        nullable=nullable and not primary_key,
        index=not primary_key,
        primary_key=primary_key,
    )


class SurveyStatus(enum.StrEnum):
    """What staff decided. Whether a published survey is open depends on the dates too."""

    DRAFT = "draft"
    PUBLISHED = "published"
    CLOSED = "closed"  # closed early by staff


class Survey(Table, table=True):
    __tablename__ = "survey"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=40, unique=True)
    status: str = Field(default=SurveyStatus.DRAFT.value, max_length=16, index=True)
    opens_at: datetime = Field(sa_type=UTCDateTime)
    closes_at: datetime = Field(sa_type=UTCDateTime, index=True)
    public: bool = False  # aggregated results at /opendata/surveys/<id>/results.*
    districts: list[str] = Field(default_factory=list, sa_type=JSON)  # [] = every district
    languages: list[str] = Field(default_factory=list, sa_type=JSON)  # [] = every language
    definition: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    source: str = Field(default="chat", max_length=300)  # "chat" or the YAML file it came from
    created_by: int | None = Field(
        default=None, sa_column=_fk("citizen.id", ondelete="SET NULL", nullable=True)
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class SurveyResponse(Table, table=True):
    """One citizen's response to one survey. `respondent` is a random number, unique within
    the survey: the only respondent key exports show."""

    __tablename__ = "survey_response"
    __table_args__ = (
        UniqueConstraint("survey_id", "citizen_id", name="uq_survey_response_citizen"),
        UniqueConstraint("survey_id", "respondent", name="uq_survey_response_respondent"),
    )

    id: int | None = Field(default=None, primary_key=True)
    survey_id: int = Field(sa_column=_fk("survey.id", ondelete="CASCADE"))
    # NULL once the citizen is forgotten: the answers stay for the results, unlinked.
    citizen_id: int | None = Field(
        default=None, sa_column=_fk("citizen.id", ondelete="SET NULL", nullable=True)
    )
    respondent: int
    district: str | None = Field(default=None, max_length=32)
    started_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    completed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class SurveyAnswer(Table, table=True):
    """One chosen option (`value`: an option id or a scale number), one free text (`text`),
    or, with neither, a skipped question."""

    __tablename__ = "survey_answer"
    __table_args__ = (Index("ix_survey_answer_response_question", "response_id", "question"),)

    id: int | None = Field(default=None, primary_key=True)
    response_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("survey_response.id", ondelete="CASCADE"), nullable=False
        )
    )
    question: str = Field(max_length=20)
    value: str | None = Field(default=None, max_length=20)
    text: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class SurveyOptIn(Table, table=True):
    """The citizen asked to be told about new surveys."""

    __tablename__ = "survey_optin"

    citizen_id: int = Field(sa_column=_fk("citizen.id", ondelete="CASCADE", primary_key=True))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class SurveyInvite(Table, table=True):
    """A citizen was invited to a survey (at most once)."""

    __tablename__ = "survey_invite"

    survey_id: int = Field(sa_column=_fk("survey.id", ondelete="CASCADE", primary_key=True))
    citizen_id: int = Field(sa_column=_fk("citizen.id", ondelete="CASCADE", primary_key=True))
    invited_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
