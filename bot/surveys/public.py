"""A public survey's results as open data: aggregated only, never a response, never free
text, nothing about who answered.

Small-cell suppression: a district with fewer than SMALL_CELL completed responses shows
"<5" for its responses and for every count in it; in the other districts each count per
option below SMALL_CELL is "<5" too (and its percentage left out). The city-wide counts are
shown as they are.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from bot import csvfile
from bot.city import LANGUAGES, CityPack
from bot.surveys.lifecycle import Phase, phase
from bot.surveys.results import percent, summarize
from bot.surveys.schema import FreeText, Questionnaire, Rating
from storage.models import Survey
from storage.repos.surveys import Tallies

SMALL_CELL = 5
SUPPRESSED = "<5"
LICENSE = "CC-BY-4.0"
LICENSE_URL = "https://creativecommons.org/licenses/by/4.0/"
UNKNOWN = "unknown"  # responses whose district is not known

Count = int | str


def published(survey: Survey, now: datetime) -> bool:
    """Whether the survey's results may be shown: marked public, and open or closed."""
    return survey.public and phase(survey, now) in (Phase.OPEN, Phase.CLOSED)


def _cell(n: int) -> Count:
    return SUPPRESSED if n < SMALL_CELL else n


def _instant(when: datetime, city: CityPack) -> str:
    return when.astimezone(city.timezone).isoformat(timespec="minutes")


def _district_names(city: CityPack, code: str | None) -> dict[str, str]:
    district = city.district(code) if code else None
    if district is None:
        return {}
    return {lang: district.name(lang) for lang in LANGUAGES}


def _districts(tallies: Tallies) -> list[str | None]:
    return sorted(tallies.by_district, key=lambda d: (d is None, d or ""))


def results_json(
    survey: Survey, questionnaire: Questionnaire, tallies: Tallies, city: CityPack, now: datetime
) -> dict[str, Any]:
    results = summarize(questionnaire, tallies)
    districts = _districts(tallies)
    small = {d for d in districts if tallies.by_district.get(d, 0) < SMALL_CELL}
    questions = []
    for result in results.questions:
        question = result.question
        item: dict[str, Any] = {
            "id": question.id,
            "type": question.type,
            "text": dict(question.text),
            "answered": result.answered,
            "skipped": result.skipped,
        }
        if isinstance(question, FreeText):
            item["note"] = "free-text answers are not published"
            questions.append(item)
            continue
        item["options"] = [
            {"id": o.value, "text": dict(o.texts), "count": o.count, "percent": o.percent}
            for o in result.options
        ]
        if isinstance(question, Rating):
            item["scale"] = question.scale
            item["mean"] = result.mean
        item["by_district"] = [
            _district_breakdown(
                tallies, question.id, [o.value for o in result.options], d, d in small
            )
            for d in districts
        ]
        questions.append(item)
    return {
        "survey": {
            "id": survey.id,
            "code": survey.code,
            "title": dict(questionnaire.title),
            "status": phase(survey, now).value,
            "opens_at": _instant(survey.opens_at, city),
            "closes_at": _instant(survey.closes_at, city),
            "districts": list(survey.districts),
        },
        "publisher": {lang: city.name(lang) for lang in LANGUAGES},
        "license": LICENSE,
        "license_url": LICENSE_URL,
        "generated_at": _instant(now, city),
        "suppression": f"counts below {SMALL_CELL} within a district are shown as {SUPPRESSED!r}",
        "responses": results.responses,
        "districts": [
            {
                "code": d or UNKNOWN,
                "name": _district_names(city, d),
                "responses": SUPPRESSED if d in small else tallies.by_district[d],
            }
            for d in districts
        ],
        "questions": questions,
    }


def _district_breakdown(
    tallies: Tallies, question: str, values: list[str], district: str | None, small: bool
) -> dict[str, Any]:
    answered = tallies.answered.get((question, district), 0)
    counts = {v: tallies.values.get((question, v, district), 0) for v in values}
    if small:
        return {
            "district": district or UNKNOWN,
            "answered": SUPPRESSED,
            "options": [{"id": v, "count": SUPPRESSED} for v in values],
        }
    return {
        "district": district or UNKNOWN,
        "answered": _cell(answered),
        "options": [
            {
                "id": v,
                "count": _cell(n),
                **({"percent": percent(n, answered)} if n >= SMALL_CELL else {}),
            }
            for v, n in counts.items()
        ],
    }


CSV_COLUMNS = (
    "question_id",
    *(f"question_{lang}" for lang in LANGUAGES),
    "option_id",
    *(f"option_{lang}" for lang in LANGUAGES),
    "district",
    *(f"district_name_{lang}" for lang in LANGUAGES),
    "respondents",
    "count",
    "percent",
)


def results_csv_rows(data: dict[str, Any]) -> Iterator[list[Count | float | None]]:
    """The JSON results as rows of CSV_COLUMNS: first the responses per district (question
    "(responses)"), then per question and option the city-wide count (district "all") and the
    count in each district."""
    names = {d["code"]: d["name"] for d in data["districts"]}
    empty = [None] * len(LANGUAGES)

    def district_cells(code: str) -> list[Any]:
        return [code, *(names.get(code, {}).get(lang) for lang in LANGUAGES)]

    for district in data["districts"]:
        count = district["responses"]
        yield [
            "(responses)",
            *empty,
            None,
            *empty,
            *district_cells(district["code"]),
            None,
            count,
            None,
        ]
    for question in data["questions"]:
        if "options" not in question:
            continue
        texts = [question["text"].get(lang) for lang in LANGUAGES]
        labels = {o["id"]: [o["text"].get(lang) for lang in LANGUAGES] for o in question["options"]}
        for option in question["options"]:
            yield [
                question["id"], *texts, option["id"], *labels[option["id"]],
                "all", *empty, question["answered"], option["count"], option["percent"],
            ]  # fmt: skip
        for breakdown in question["by_district"]:
            for option in breakdown["options"]:
                yield [
                    question["id"], *texts, option["id"], *labels[option["id"]],
                    *district_cells(breakdown["district"]),
                    breakdown["answered"], option["count"], option.get("percent"),
                ]  # fmt: skip


def results_csv(data: dict[str, Any]) -> str:
    return "\ufeff" + csvfile.lines([CSV_COLUMNS, *results_csv_rows(data)])
