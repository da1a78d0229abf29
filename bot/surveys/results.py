"""A survey's raw tallies (storage.repos.surveys.Tallies) → results per question: how many
answered and skipped, and per option (or scale number) the count and the percentage of those
who answered. Only completed responses count.

A multiple-choice question's percentages add up to more than 100: each is the share of
those who answered that picked the option.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.surveys.schema import FreeText, Question, Questionnaire, Rating, localized
from storage.repos.surveys import Tallies


@dataclass(frozen=True, slots=True)
class OptionResult:
    value: str  # option id, or the scale number
    texts: Mapping[str, str]  # the label by language
    count: int
    percent: float

    def label(self, language: str | None) -> str:
        return localized(self.texts, language)


@dataclass(frozen=True, slots=True)
class QuestionResult:
    question: Question
    answered: int
    skipped: int
    options: tuple[OptionResult, ...] = ()  # none for free text
    mean: float | None = None  # of a rating

    @property
    def charted(self) -> bool:
        return not isinstance(self.question, FreeText)


@dataclass(frozen=True, slots=True)
class SurveyResults:
    responses: int
    started: int
    by_district: Mapping[str | None, int]
    questions: tuple[QuestionResult, ...]


def percent(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 1) if whole else 0.0


def summarize(survey: Questionnaire, tallies: Tallies) -> SurveyResults:
    return SurveyResults(
        responses=tallies.responses,
        started=tallies.started,
        by_district=dict(tallies.by_district),
        questions=tuple(_question(q, tallies) for q in survey.questions),
    )


def _sum(counts: Mapping[tuple[str, str | None], int], question: str) -> int:
    return sum(n for (q, _), n in counts.items() if q == question)


def _question(question: Question, tallies: Tallies) -> QuestionResult:
    answered = _sum(tallies.answered, question.id)
    skipped = _sum(tallies.skipped, question.id)
    if isinstance(question, FreeText):
        return QuestionResult(question, answered, skipped)
    counts = {value: 0 for value in question.values}
    for (q, value, _district), n in tallies.values.items():
        if q == question.id and value in counts:
            counts[value] += n
    options = tuple(
        OptionResult(value, _texts(question, value), n, percent(n, answered))
        for value, n in counts.items()
    )
    mean = None
    if isinstance(question, Rating) and answered:
        mean = round(sum(int(v) * n for v, n in counts.items()) / max(1, sum(counts.values())), 2)
    return QuestionResult(question, answered, skipped, options, mean)


def _texts(question: Question, value: str) -> Mapping[str, str]:
    if isinstance(question, Rating):
        return {"bg": value}
    option = question.option(value)  # type: ignore[union-attr]
    return option.text if option else {"bg": value}


def district_counts(
    tallies: Tallies, question: str, district: str | None
) -> tuple[int, dict[str, int]]:
    """(answered, count per value) of one question in one district."""
    answered = tallies.answered.get((question, district), 0)
    values = {
        value: n for (q, value, d), n in tallies.values.items() if q == question and d == district
    }
    return answered, values
