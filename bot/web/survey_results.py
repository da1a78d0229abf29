"""Public survey results (open data): `GET /opendata/surveys.json` lists the surveys whose
results are public; `/opendata/surveys/{id}/results.json` and `.csv` give one survey's
aggregated results (by number or by code), with small-cell suppression (bot.surveys.public).

A survey that is not public, or is a draft or not open yet, is a 404; a database that does
not answer is a 503 (try again later), as in bot/web/opendata.py.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiohttp import web

from bot.city import CityPack
from bot.surveys.lifecycle import questions_of
from bot.surveys.public import published, results_csv, results_json
from bot.web.open311_input import ApiError, identifier
from bot.web.opendata import CSV_TYPE, DATABASE_DOWN, _headers, _problem
from storage.db import Database
from storage.repos import surveys

log = logging.getLogger(__name__)

JSON_TYPE = "application/json; charset=utf-8"


def survey_results_routes(
    *, db: Database, city: CityPack, clock: Callable[[], datetime]
) -> list[web.RouteDef]:
    results = SurveyResults(db=db, city=city, clock=clock)
    return [
        web.get("/opendata/surveys.json", results.index),
        web.get("/opendata/surveys/{ref}/results.json", results.json),
        web.get("/opendata/surveys/{ref}/results.csv", results.csv),
    ]


@dataclass(frozen=True, slots=True)
class SurveyResults:
    db: Database
    city: CityPack
    clock: Callable[[], datetime]

    async def index(self, request: web.Request) -> web.Response:
        now = self.clock()
        try:
            async with self.db.sessions() as session:
                found = [s for s in await surveys.listed(session, limit=500) if published(s, now)]
        except DATABASE_DOWN as exc:
            return _unavailable(exc)
        items = [
            {
                "id": s.id,
                "code": s.code,
                "title": dict(questions_of(s).title),
                "results_json": f"/opendata/surveys/{s.id}/results.json",
                "results_csv": f"/opendata/surveys/{s.id}/results.csv",
            }
            for s in found
        ]
        return _json({"surveys": items})

    async def json(self, request: web.Request) -> web.Response:
        data = await self._results(request.match_info["ref"])
        return data if isinstance(data, web.Response) else _json(data)

    async def csv(self, request: web.Request) -> web.Response:
        data = await self._results(request.match_info["ref"])
        if isinstance(data, web.Response):
            return data
        name = f"{self.city.code}-survey-{data['survey']['id']}-results.csv"
        return web.Response(text=results_csv(data), headers=_headers(CSV_TYPE, name))

    async def _results(self, ref: str) -> dict[str, Any] | web.Response:
        now = self.clock()
        try:
            identifier("survey", ref)
        except ApiError as exc:
            return _problem(exc.status, exc.description)
        try:
            async with self.db.sessions() as session:
                survey = await surveys.find(session, ref=ref[:60])
                if survey is None or survey.id is None or not published(survey, now):
                    return _problem(404, f"no public survey {ref[:60]!r}")
                tallies = await surveys.tallies(session, survey_id=survey.id)
        except DATABASE_DOWN as exc:
            return _unavailable(exc)
        return results_json(survey, questions_of(survey), tallies, self.city, now)


def _json(data: dict[str, Any]) -> web.Response:
    body = json.dumps(data, ensure_ascii=False, indent=1)
    return web.Response(text=body, headers=_headers(JSON_TYPE, None))


def _unavailable(exc: BaseException) -> web.Response:
    log.warning("survey results: database unavailable (%s)", type(exc).__name__)
    return _problem(503, "the service is unavailable for a moment; try again later")
