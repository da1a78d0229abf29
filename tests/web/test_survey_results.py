"""Public survey results over real HTTP: aggregated only, small cells suppressed, no free
text, nothing about who answered; on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.app import CitizenBot
from bot.surveys.public import CSV_COLUMNS
from storage.db import Database
from tests.bot.surveys.seed import add_survey, respond, variant
from tests.dbs import unreachable_url

SECRET_IDEA = "Моят телефон е 0888 123 456"


@dataclass
class Site:
    app: CitizenBot
    http: aiohttp.ClientSession

    async def get(self, path: str) -> tuple[int, dict[str, str], bytes]:
        async with self.http.get(f"{self.app.web.url}{path}") as resp:
            return resp.status, dict(resp.headers), await resp.read()

    async def json(self, path: str) -> dict[str, Any]:
        status, headers, body = await self.get(path)
        assert status == 200, body
        assert headers["Content-Type"] == "application/json; charset=utf-8"
        return json.loads(body)


@pytest.fixture
async def site(bot_factory) -> AsyncIterator[Site]:
    app = await bot_factory([], web=True)
    async with aiohttp.ClientSession() as http:
        yield Site(app, http)


async def nine_responses(db: Database, survey_id: int) -> None:
    """Mladost (15): 6 responses, 5 of them "yes"; Sredets (01): 2; unknown district: 1;
    and one unfinished."""
    for n in range(6):
        go = ("yes",) if n < 5 else ("no",)
        answers: dict[str, tuple[str, ...] | str | None] = {"go": go, "clean": (str(1 + n % 5),)}
        if go == ("yes",):
            answers["which"] = ("borisova", "south") if n < 3 else ("west",)
        answers["idea"] = SECRET_IDEA
        await respond(db, survey_id, answers, user=f"m{n}", district="15")
    for n in range(2):
        await respond(db, survey_id, {"go": ("no",), "clean": ("5",)}, user=f"s{n}", district="01")
    await respond(db, survey_id, {"go": ("yes",), "which": ("west",), "clean": ("3",)}, user="x")
    await respond(db, survey_id, {"go": ("no",)}, user="late", district="01", complete=False)


async def test_results_json_are_aggregated_and_suppressed(site: Site, db: Database):
    survey_id = await add_survey(db)
    await nine_responses(db, survey_id)
    data = await site.json(f"/opendata/surveys/{survey_id}/results.json")
    assert data["survey"] | {"title": None} == {
        "id": 1, "code": "parks", "title": None, "status": "open",
        "opens_at": "2026-11-01T00:00+02:00", "closes_at": "2027-01-01T00:00+02:00",
        "districts": [],
    }  # fmt: skip
    assert data["survey"]["title"] == {"bg": "Парковете", "en": "The parks"}
    assert data["license"] == "CC-BY-4.0" and data["responses"] == 9
    assert data["districts"] == [
        {"code": "01", "name": {"bg": "Средец", "en": "Sredets"}, "responses": "<5"},
        {"code": "15", "name": {"bg": "Младост", "en": "Mladost"}, "responses": 6},
        {"code": "unknown", "name": {}, "responses": "<5"},
    ]
    go, which, clean, nps, idea = data["questions"]
    assert go["answered"] == 9 and go["skipped"] == 0
    assert [(o["id"], o["count"], o["percent"]) for o in go["options"]] == [
        ("yes", 6, 66.7),
        ("no", 3, 33.3),
    ]
    by_district = {d["district"]: d for d in go["by_district"]}
    assert by_district["15"] == {
        "district": "15",
        "answered": 6,
        "options": [{"id": "yes", "count": 5, "percent": 83.3}, {"id": "no", "count": "<5"}],
    }
    assert by_district["01"] == {
        "district": "01",
        "answered": "<5",
        "options": [{"id": "yes", "count": "<5"}, {"id": "no", "count": "<5"}],
    }
    assert by_district["unknown"]["answered"] == "<5"
    assert [(o["id"], o["count"]) for o in which["options"]] == [
        ("borisova", 3),
        ("south", 3),
        ("west", 3),
    ]
    assert {d["district"]: d["answered"] for d in which["by_district"]} == {
        "01": "<5",
        "15": 5,
        "unknown": "<5",
    }
    assert clean["scale"] == "1-5" and clean["mean"] == round(
        (1 + 2 + 3 + 4 + 5 + 1 + 5 + 5 + 3) / 9, 2
    )
    assert nps["answered"] == 0
    assert idea == {
        "id": "idea",
        "type": "text",
        "text": {"bg": "Една идея?", "en": "One idea?"},
        "answered": 6,
        "skipped": 0,
        "note": "free-text answers are not published",
    }
    _, _, body = await site.get(f"/opendata/surveys/{survey_id}/results.json")
    assert SECRET_IDEA.encode() not in body and b"respondent" not in body


async def test_results_csv(site: Site, db: Database):
    survey_id = await add_survey(db)
    await nine_responses(db, survey_id)
    status, headers, body = await site.get("/opendata/surveys/parks/results.csv")
    assert status == 200
    assert headers["Content-Type"] == "text/csv; charset=utf-8; header=present"
    assert headers["Content-Disposition"] == 'attachment; filename="sofia-survey-1-results.csv"'
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert tuple(rows[0]) == CSV_COLUMNS
    responses = {r["district"]: r["count"] for r in rows if r["question_id"] == "(responses)"}
    assert responses == {"01": "<5", "15": "6", "unknown": "<5"}
    go = {
        (r["district"], r["option_id"]): (r["respondents"], r["count"], r["percent"])
        for r in rows
        if r["question_id"] == "go"
    }
    assert go[("all", "yes")] == ("9", "6", "66.7")
    assert go[("15", "yes")] == ("6", "5", "83.3")
    assert go[("15", "no")] == ("6", "<5", "")
    assert go[("01", "no")] == ("<5", "<5", "")
    mladost = next(r for r in rows if r["district"] == "15")
    assert (mladost["district_name_bg"], mladost["district_name_en"]) == ("Младост", "Mladost")
    assert not any(r["question_id"] == "idea" for r in rows)
    assert SECRET_IDEA.encode() not in body


@pytest.mark.parametrize(
    "text",
    [
        variant(public="false"),
        variant(status="draft"),
        variant(opens_at='"2026-12-05 10:00"'),
    ],
)
async def test_only_public_open_or_closed_surveys_are_shown(site: Site, db: Database, text: str):
    await add_survey(db, text)
    for path in ("/opendata/surveys/1/results.json", "/opendata/surveys/1/results.csv"):
        status, _, body = await site.get(path)
        assert status == 404 and json.loads(body) == {"error": "no public survey '1'"}
    assert (await site.json("/opendata/surveys.json")) == {"surveys": []}


async def test_a_control_character_in_the_survey_is_400_not_500(site: Site, db: Database):
    await add_survey(db)
    for path in ("/opendata/surveys/par%00ks/results.json", "/opendata/surveys/1%01/results.csv"):
        status, _, body = await site.get(path)
        assert status == 400, body
        assert json.loads(body) == {"error": "survey may not contain control characters"}


async def test_the_list_of_public_surveys(site: Site, db: Database):
    await add_survey(db)
    await add_survey(db, variant(id="hidden", public="false"))
    assert await site.json("/opendata/surveys.json") == {
        "surveys": [
            {
                "id": 1,
                "code": "parks",
                "title": {"bg": "Парковете", "en": "The parks"},
                "results_json": "/opendata/surveys/1/results.json",
                "results_csv": "/opendata/surveys/1/results.csv",
            }
        ]
    }
    status, _, _ = await site.get("/opendata/surveys/nope/results.json")
    assert status == 404


async def test_database_down_is_503(site: Site, db_url: str):
    await site.app.db.dispose()
    outage = Database(unreachable_url(db_url))
    site.app.db.sessions = async_sessionmaker(outage.engine, class_=AsyncSession)
    try:
        for path in ("/opendata/surveys/1/results.json", "/opendata/surveys.json"):
            status, _, body = await site.get(path)
            assert status == 503 and "try again" in json.loads(body)["error"]
    finally:
        await outage.dispose()
