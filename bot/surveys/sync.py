"""Loading checked survey files into the database (`citizenbot surveys load`).

A file creates its survey, or updates the one with the same id. Once citizens have answered,
an update may reword texts, move dates, change targeting and add questions or options, but
not remove or retype a question or remove an option that has answers: such a file is
refused with the line and the reason, and nothing is loaded. A survey staff closed early
stays closed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.surveys.loader import LoadedSurvey, Problem, SurveyFileError
from bot.surveys.schema import FreeText, Questionnaire, questionnaire
from storage.models import Survey, SurveyStatus
from storage.repos import surveys


@dataclass(frozen=True, slots=True)
class Outcome:
    survey_id: int
    code: str
    action: str  # created | updated | unchanged


async def load_into(
    session: AsyncSession, loaded: Sequence[LoadedSurvey], *, now: datetime
) -> list[Outcome]:
    """Create or update every survey; raises SurveyFileError (before writing anything) if an
    update would orphan answers."""
    existing = {
        item.survey.id: await surveys.by_code(session, code=item.survey.id) for item in loaded
    }
    found: list[Problem] = []
    for item in loaded:
        survey = existing[item.survey.id]
        if survey is not None and survey.id is not None:
            if await surveys.has_responses(session, survey_id=survey.id):
                found += _incompatible(item, questionnaire(survey.definition))
    if found:
        raise SurveyFileError(found)
    return [await _upsert(session, item, existing[item.survey.id], now) for item in loaded]


def _incompatible(item: LoadedSurvey, old: Questionnaire) -> list[Problem]:
    new = item.survey
    found: list[Problem] = []
    for question in old.questions:
        replacement = new.question(question.id)
        if replacement is None:
            found.append(
                item.problem(
                    ("questions",), f"question {question.id!r} has answers and cannot be removed"
                )
            )
            continue
        where = ("questions", new.index(question.id))
        if replacement.type != question.type:
            found.append(
                item.problem(
                    (*where, "type"),
                    f"question {question.id!r} has answers: its type cannot change",
                )
            )
        elif not isinstance(question, FreeText):
            missing = [v for v in question.values if v not in replacement.values]  # type: ignore[union-attr]
            if missing:
                found.append(
                    item.problem(
                        (*where,),
                        f"answer {missing[0]!r} of {question.id!r} has answers: keep it",
                    )
                )
    return found


async def _upsert(
    session: AsyncSession, item: LoadedSurvey, survey: Survey | None, now: datetime
) -> Outcome:
    new = item.survey
    definition = new.questionnaire().to_json()
    status = SurveyStatus(new.status)
    fields = {
        "opens_at": new.opens_at,
        "closes_at": new.closes_at,
        "public": new.public,
        "districts": list(new.districts),
        "languages": list(new.languages),
        "definition": definition,
        "source": str(item.file)[-300:],
    }
    if survey is None:
        created = await surveys.create(session, code=new.id, status=status, now=now, **fields)  # type: ignore[arg-type]
        assert created.id is not None
        return Outcome(created.id, new.id, "created")
    assert survey.id is not None
    if survey.status == SurveyStatus.CLOSED.value:
        status = SurveyStatus.CLOSED
    changed = survey.status != status.value or any(
        getattr(survey, key) != value for key, value in fields.items() if key != "source"
    )
    if not changed:
        return Outcome(survey.id, new.id, "unchanged")
    for key, value in fields.items():
        setattr(survey, key, value)
    survey.status = status.value
    survey.updated_at = now
    session.add(survey)
    await session.flush()
    return Outcome(survey.id, new.id, "updated")
