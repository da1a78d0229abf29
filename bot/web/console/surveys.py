"""Surveys (bot/domain/surveys.py): the list, opening and closing one, its results with the
chat's charts (bot/surveys/charts.py, the same PNGs `/results` sends) and a table of the same
figures, and its anonymised responses as CSV (the domain's export, audited)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp import web

from bot.domain import surveys as domain
from bot.domain.actors import Forbidden
from bot.domain.errors import Refused
from bot.i18n import N_
from bot.surveys.charts import chart_spec, render
from bot.surveys.lifecycle import Phase, phase, questions_of
from bot.surveys.results import SurveyResults, summarize
from bot.surveys.schema import FreeText, localized
from bot.web.console.app import console_of, reading, staff_of, work
from bot.web.console.app import render as render_page
from bot.web.console.refusals import refusal_text
from storage.models import Survey
from storage.repos import surveys as repo

LIST_LIMIT = 100
PHASE_KEYS = {
    Phase.DRAFT: N_("surveys.phase_draft"),
    Phase.SCHEDULED: N_("surveys.phase_scheduled"),
    Phase.OPEN: N_("surveys.phase_open"),
    Phase.CLOSED: N_("surveys.phase_closed"),
}


@dataclass(frozen=True, slots=True)
class Row:
    id: int
    title: str
    phase: str
    phase_label: str
    opens_at: Any
    closes_at: Any


async def _survey(session: Any, value: str) -> Survey:
    if not value.isdigit() or len(value) > 9:
        raise web.HTTPNotFound()
    found = await repo.get(session, survey_id=int(value))
    if found is None or found.id is None:
        raise web.HTTPNotFound()
    return found


async def list_page(request: web.Request) -> web.StreamResponse:
    console = console_of(request)
    language = staff_of(request).language
    now = console.services.clock()
    async with reading(request) as session:
        found = await repo.listed(session, limit=LIST_LIMIT)
    rows = []
    for s in found:
        assert s.id is not None
        stage = phase(s, now)
        rows.append(
            Row(
                id=s.id,
                title=localized(questions_of(s).title, language),
                phase=stage.value,
                phase_label=console.t(language, PHASE_KEYS[stage]),
                opens_at=s.opens_at,
                closes_at=s.closes_at,
            )
        )
    return render_page(request, "surveys.html", rows=rows)


async def survey_page(
    request: web.Request, message: tuple[str, bool] | None = None
) -> web.Response:
    console = console_of(request)
    language = staff_of(request).language
    now = console.services.clock()
    async with reading(request) as session:
        survey = await _survey(session, request.match_info["id"])
        assert survey.id is not None
        tallies = await repo.tallies(session, survey_id=survey.id)
    results = summarize(questions_of(survey), tallies)
    stage = phase(survey, now)
    return render_page(
        request,
        "survey.html",
        survey=survey,
        title=localized(questions_of(survey).title, language),
        phase=stage.value,
        phase_label=console.t(language, PHASE_KEYS[stage]),
        can_open=stage in (Phase.DRAFT, Phase.CLOSED) and now < survey.closes_at,
        can_close=stage in (Phase.OPEN, Phase.SCHEDULED),
        results=results,
        questions=_questions(results, language),
        message=message,
    )


def _questions(results: SurveyResults, language: str) -> list[dict[str, Any]]:
    return [
        {
            "number": n,
            "title": r.question.label(language),
            "answered": r.answered,
            "free_text": isinstance(r.question, FreeText),
            "chart": r.charted and r.answered > 0,
            "options": [(o.label(language), o.count, o.percent) for o in r.options],
            "mean": r.mean,
        }
        for n, r in enumerate(results.questions, start=1)
    ]


async def chart(request: web.Request) -> web.StreamResponse:
    """One question's chart as PNG, drawn by the chat's chart code (in a thread)."""
    console = console_of(request)
    language = staff_of(request).language
    number = request.match_info["n"]
    async with reading(request) as session:
        survey = await _survey(session, request.match_info["id"])
        assert survey.id is not None
        tallies = await repo.tallies(session, survey_id=survey.id)
    results = summarize(questions_of(survey), tallies)
    if not number.isdigit() or not 1 <= int(number) <= len(results.questions):
        raise web.HTTPNotFound()
    result = results.questions[int(number) - 1]
    if not result.charted or not result.answered:
        raise web.HTTPNotFound()
    subtitle = console.tn(language, "surveys.chart_answered", result.answered, n=result.answered)
    image = await render(chart_spec(result, language, subtitle))
    return web.Response(body=image, content_type="image/png", headers={"Cache-Control": "no-store"})


async def _set(request: web.Request, opening: bool) -> web.Response:
    console = console_of(request)
    language = staff_of(request).language
    try:
        async with work(request) as unit:
            survey = await _survey(unit.session, request.match_info["id"])
            if opening:
                await domain.publish(unit, survey)
            else:
                await domain.close(unit, survey)
    except Refused as refusal:
        return await survey_page(request, (refusal_text(console, language, refusal), False))
    except Forbidden:
        raise web.HTTPForbidden() from None
    key = N_("desk.survey_opened") if opening else N_("desk.survey_closed")
    return await survey_page(request, (console.t(language, key), True))


async def open_survey(request: web.Request) -> web.Response:
    return await _set(request, True)


async def close_survey(request: web.Request) -> web.Response:
    return await _set(request, False)


async def export_csv(request: web.Request) -> web.StreamResponse:
    """The anonymised responses (the domain's export, recorded once all of it was sent)."""
    response: web.StreamResponse | None = None
    try:
        async with work(request) as unit:
            survey = await _survey(unit.session, request.match_info["id"])
            response = web.StreamResponse(
                headers={
                    "Content-Type": "text/csv; charset=utf-8",
                    "Content-Disposition": f'attachment; filename="survey-{survey.id}.csv"',
                }
            )
            await response.prepare(request)
            async for chunk in domain.export_chunks(unit, survey):
                await response.write(chunk.encode())
    except Forbidden:
        raise web.HTTPForbidden() from None
    await response.write_eof()
    return response


def routes(app: web.Application) -> None:
    app.router.add_get("/surveys", list_page)
    app.router.add_get("/surveys/{id}", survey_page_get)
    app.router.add_get("/surveys/{id}/charts/{n}.png", chart)
    app.router.add_get("/surveys/{id}/responses.csv", export_csv)
    app.router.add_post("/surveys/{id}/open", open_survey)
    app.router.add_post("/surveys/{id}/close", close_survey)


async def survey_page_get(request: web.Request) -> web.Response:
    return await survey_page(request)
