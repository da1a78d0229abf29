"""A survey's completed responses as CSV, anonymised: no citizen ids, no channels, no times
of day; each row is keyed by the response's random respondent number (rows come in that
number's order, which says nothing about who answered when).

Columns: respondent, district, completed (the date, city time), then one column per
question named by its id: a single choice's option id, a multiple choice's option ids
joined with ";", a scale's number, or the free text. "(skipped)" marks a skipped question;
an empty cell a question the respondent was not shown. Free text that a spreadsheet would run
as a formula starts with `'` (bot.csvfile).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from bot import csvfile
from bot.surveys.schema import FreeText, Questionnaire, answers_from_rows
from storage.models import Survey, SurveyResponse
from storage.repos import surveys
from storage.repos.surveys import AnswerRow

BOM = "\ufeff"
BATCH = 500
SKIPPED = "(skipped)"
FIXED_COLUMNS = ("respondent", "district", "completed")


def columns(survey: Questionnaire) -> list[str]:
    return [*FIXED_COLUMNS, *(q.id for q in survey.questions)]


def row(
    survey: Questionnaire, response: SurveyResponse, rows: Iterable[AnswerRow], tz: ZoneInfo
) -> list[str]:
    answers = answers_from_rows(rows)
    completed = (
        response.completed_at.astimezone(tz).date().isoformat() if response.completed_at else ""
    )
    cells = [str(response.respondent), response.district or "", completed]
    for question in survey.questions:
        answer = answers.get(question.id)
        if answer is None:
            cells.append("")
        elif answer.skipped:
            cells.append(SKIPPED)
        elif isinstance(question, FreeText):
            cells.append(answer.text or "")
        else:
            cells.append(";".join(answer.values))
    return cells


async def csv_chunks(
    session: AsyncSession, *, survey: Survey, questionnaire: Questionnaire, tz: ZoneInfo
) -> AsyncIterator[str]:
    """The CSV in pieces (the header first, with a byte order mark for Excel)."""
    assert survey.id is not None
    yield BOM + csvfile.lines([columns(questionnaire)])
    after = 0
    while True:
        batch = await surveys.export_batch(
            session, survey_id=survey.id, after_respondent=after, limit=BATCH
        )
        if batch:
            yield csvfile.lines(row(questionnaire, response, rows, tz) for response, rows in batch)
        if len(batch) < BATCH:
            return
        after = batch[-1][0].respondent


async def csv_text(
    session: AsyncSession, *, survey: Survey, questionnaire: Questionnaire, tz: ZoneInfo
) -> str:
    return "".join(
        [c async for c in csv_chunks(session, survey=survey, questionnaire=questionnaire, tz=tz)]
    )
