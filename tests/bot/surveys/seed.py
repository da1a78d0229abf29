"""Surveys for tests: loaded from YAML text the way `citizenbot surveys load` does it."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.city import load_city
from bot.surveys.loader import load_text
from bot.surveys.sync import load_into
from storage.db import Database
from storage.repos import citizens, surveys

SOFIA = ZoneInfo("Europe/Sofia")
DISTRICTS = [d.code for d in load_city("sofia").districts]

# One question of each type; "which" only for those who go to parks. The tests' clock is
# 2026-11-27 10:00 UTC: the survey is open.
PARKS = """\
id: parks
opens_at: 2026-11-01
closes_at: 2026-12-31
public: true
title: {bg: Парковете, en: The parks}
intro: {bg: Три въпроса., en: Three questions.}
questions:
  - id: go
    type: single
    text: {bg: "Ходите ли в парка?", en: "Do you go to the park?"}
    options:
      - {id: yes, text: {bg: Да, en: "Yes"}}
      - {id: no, text: {bg: Не, en: "No"}}
  - id: which
    type: multiple
    show_if: {question: go, any_of: [yes]}
    max_choices: 2
    text: {bg: "Кои паркове?", en: "Which parks?"}
    options:
      - {id: borisova, text: {bg: Борисова градина, en: Borisova Garden}}
      - {id: south, text: {bg: Южен парк, en: South Park}}
      - {id: west, text: {bg: Западен парк, en: West Park}}
  - id: clean
    type: rating
    text: {bg: "Колко са чисти?", en: "How clean are they?"}
    low: {bg: мръсни, en: dirty}
    high: {bg: чисти, en: clean}
  - id: nps
    type: rating
    scale: 0-10
    optional: true
    text: {bg: "Бихте ли ги препоръчали?", en: "Would you recommend them?"}
  - id: idea
    type: text
    optional: true
    max_length: 50
    text: {bg: "Една идея?", en: "One idea?"}
"""


def variant(text: str = PARKS, **fields: str) -> str:
    """PARKS with top-level fields replaced or added (values are YAML)."""
    lines = text.splitlines()
    for key, value in fields.items():
        line = f"{key}: {value}"
        index = next((i for i, old in enumerate(lines) if old.startswith(f"{key}:")), None)
        if index is None:
            lines.insert(1, line)
        else:
            lines[index] = line
    return "\n".join(lines) + "\n"


async def add_survey(db: Database, text: str = PARKS, *, now: datetime | None = None) -> int:
    loaded = load_text(text, file=Path("test.yaml"), tz=SOFIA, districts=DISTRICTS)
    async with db.sessions() as session, session.begin():
        (outcome,) = await load_into(
            session, [loaded], now=now or datetime(2026, 11, 1, tzinfo=SOFIA)
        )
    return outcome.survey_id


async def respond(
    db: Database,
    survey_id: int,
    answers: dict[str, tuple[str, ...] | str | None],
    *,
    user: str,
    district: str | None = None,
    complete: bool = True,
    now: datetime | None = None,
) -> int:
    """A citizen's response stored as the conversation stores it: a tuple of values, a
    free text, or None for a skipped question. Returns the respondent number."""
    now = now or datetime(2026, 11, 20, 12, 0, tzinfo=SOFIA)
    async with db.sessions() as session, session.begin():
        citizen, _ = await citizens.get_or_create_by_identity(
            session, channel="console", user_id=user, language="bg", now=now
        )
        assert citizen.id is not None
        response = await surveys.start_response(
            session, survey_id=survey_id, citizen_id=citizen.id, district=district, now=now
        )
        for question, answer in answers.items():
            if isinstance(answer, str):
                await surveys.save_answer(
                    session, response=response, question=question, text=answer, now=now
                )
            else:
                await surveys.save_answer(
                    session, response=response, question=question, values=answer or (), now=now
                )
        if complete:
            response.completed_at = now
            session.add(response)
        return response.respondent
