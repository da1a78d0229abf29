"""Where a survey stands (draft → scheduled → open → closed), who it is for, and its
questionnaire parsed once per version."""

from __future__ import annotations

import enum
import json
from datetime import datetime

from cachetools import LRUCache

from bot.surveys.schema import Questionnaire, questionnaire
from storage.models import Survey, SurveyStatus

_CACHE_SIZE = 64
_parsed: LRUCache[str, Questionnaire] = LRUCache(_CACHE_SIZE)


class Phase(enum.StrEnum):
    DRAFT = "draft"  # not published: staff only
    SCHEDULED = "scheduled"  # published, opens later
    OPEN = "open"
    CLOSED = "closed"  # past closes_at, or closed by staff


def phase(survey: Survey, now: datetime) -> Phase:
    if survey.status == SurveyStatus.DRAFT.value:
        return Phase.DRAFT
    if survey.status == SurveyStatus.CLOSED.value or now >= survey.closes_at:
        return Phase.CLOSED
    if now < survey.opens_at:
        return Phase.SCHEDULED
    return Phase.OPEN


def speaks(survey: Survey, language: str) -> bool:
    """Whether the survey is for citizens who use the bot in `language`."""
    return not survey.languages or language in survey.languages


def questions_of(survey: Survey) -> Questionnaire:
    """The survey's questionnaire (parsed once per definition)."""
    key = json.dumps(survey.definition, sort_keys=True, ensure_ascii=False)
    found = _parsed.get(key)
    if found is None:
        found = questionnaire(survey.definition)
        _parsed[key] = found
    return found
