"""`citizenbot surveys load | export | list` as an operator runs them (a subprocess), on one
backend: PostgreSQL where it is configured (the surveys' SQL runs on both backends in
tests/bot/domain and tests/storage)."""

from __future__ import annotations

import asyncio
import csv
import io
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlmodel import select

from storage.db import Database
from storage.models import Survey
from storage.repos import audit
from tests.bot.surveys.seed import PARKS, add_survey, respond


@dataclass(frozen=True)
class Run:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def db_url(one_backend_db_url: str) -> str:
    return one_backend_db_url


async def citizenbot(*args: str, database_url: str, cwd: Path) -> Run:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_"))}
    env["DATABASE_URL"] = database_url
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "surveys", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        stdin=asyncio.subprocess.DEVNULL, cwd=cwd, env=env,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode is not None
    return Run(proc.returncode, out.decode(), err.decode())


async def test_load_the_city_packs_surveys_then_list(db_url: str, tmp_path: Path):
    run = await citizenbot("load", database_url=db_url, cwd=tmp_path)
    assert (run.returncode, run.stdout) == (0, "survey #1 city-services-2026: created\n")
    again = await citizenbot("load", database_url=db_url, cwd=tmp_path)
    assert again.stdout == "survey #1 city-services-2026: unchanged\n"
    listing = await citizenbot("list", database_url=db_url, cwd=tmp_path)
    header, row = listing.stdout.splitlines()
    assert header.split() == ["ID", "CODE", "STATUS", "OPENS", "CLOSES", "RESPONSES", "TITLE"]
    assert row.split()[:2] == ["1", "city-services-2026"]
    assert row.split()[3:7] == ["2026-12-01", "09:00", "2027-02-01", "00:00"]


async def test_a_bad_file_is_refused_and_nothing_is_loaded(
    db_url: str, db: Database, tmp_path: Path
):
    (tmp_path / "good.yaml").write_text(PARKS, encoding="utf-8")
    bad = PARKS.replace("id: parks", "id: other").replace(
        "type: rating\n    scale", "type: stars\n    scale"
    )
    (tmp_path / "bad.yaml").write_text(bad, encoding="utf-8")
    run = await citizenbot("load", str(tmp_path), database_url=db_url, cwd=tmp_path)
    assert run.returncode == 1
    assert f"{tmp_path / 'bad.yaml'}:29: questions[3]: type must be one of" in run.stderr
    assert run.stderr.rstrip().endswith("nothing loaded: 1 problem(s)")
    async with db.sessions() as session:
        assert (await session.exec(select(Survey))).all() == []


async def test_an_update_may_not_orphan_answers(db_url: str, db: Database, tmp_path: Path):
    survey_id = await add_survey(db)
    await respond(db, survey_id, {"go": ("yes",), "which": ("west",), "clean": ("4",)}, user="a")
    file = tmp_path / "parks.yaml"
    file.write_text(
        PARKS.replace("- {id: west, text: {bg: Западен парк, en: West Park}}", ""), encoding="utf-8"
    )
    refused = await citizenbot("load", str(file), database_url=db_url, cwd=tmp_path)
    assert refused.returncode == 1
    assert (
        f"{file}:14: questions[1]: answer 'west' of 'which' has answers: keep it" in refused.stderr
    )
    file.write_text(PARKS.replace("en: West Park", "en: The West Park"), encoding="utf-8")
    updated = await citizenbot("load", str(file), database_url=db_url, cwd=tmp_path)
    assert updated.stdout == "survey #1 parks: updated\n"
    async with db.sessions() as session:
        survey = (await session.exec(select(Survey))).one()
    options = survey.definition["questions"][1]["options"]
    assert options[2]["text"] == {"bg": "Западен парк", "en": "The West Park"}


async def test_export_writes_the_anonymised_responses(db_url: str, db: Database, tmp_path: Path):
    survey_id = await add_survey(db)
    one = await respond(
        db,
        survey_id,
        {"go": ("no",), "clean": ("2",), "nps": None, "idea": "Пейки, моля"},
        user="a",
        district="15",
    )
    two = await respond(
        db, survey_id, {"go": ("yes",), "which": ("south", "west"), "clean": ("5",)}, user="b"
    )
    await respond(db, survey_id, {"go": ("yes",)}, user="c", complete=False)
    run = await citizenbot(
        "export", "parks", "-o", str(tmp_path / "out.csv"), database_url=db_url, cwd=tmp_path
    )
    assert run.returncode == 0, run.stderr
    text = (tmp_path / "out.csv").read_bytes().decode("utf-8")
    assert text.startswith("\ufeffrespondent,district,completed,go,which,clean,nps,idea\r\n")
    rows = {
        int(r["respondent"]): r for r in csv.DictReader(io.StringIO(text.removeprefix("\ufeff")))
    }
    assert set(rows) == {one, two}  # the unfinished response is left out
    assert rows[one] == {
        "respondent": str(one),
        "district": "15",
        "completed": "2026-11-20",
        "go": "no",
        "which": "",
        "clean": "2",
        "nps": "(skipped)",
        "idea": "Пейки, моля",
    }
    assert rows[two]["which"] == "south;west" and rows[two]["idea"] == ""
    stdout = await citizenbot("export", str(survey_id), database_url=db_url, cwd=tmp_path)
    assert stdout.stdout == text
    missing = await citizenbot("export", "nope", database_url=db_url, cwd=tmp_path)
    assert missing.returncode == 1 and "no survey 'nope'" in missing.stderr
    async with db.sessions() as session:  # the operator's exports are in the audit log
        found = await audit.recent(session, limit=5)
    assert [(e.action, e.actor_ref, e.detail) for e in found] == [
        ("export", "cli", {"responses": 2}),
        ("export", "cli", {"responses": 2}),
    ]
