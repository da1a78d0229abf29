"""Each body's figures over real HTTP: open data (`/opendata/bodies.csv` and `.json`, CC BY
4.0, nothing personal) and /metrics labelled by body, against the started bot and its real
database."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import aiohttp

from bot.web.opendata_bodies import COLUMNS
from storage.db import Database
from storage.models import ReportStatus
from tests.bot.domain.test_body_figures import _report
from tests.conftest import Clock
from tests.web.test_metrics import parse, scrape, value

S = ReportStatus
DAY = timedelta(days=1)


async def test_bodies_open_data_and_metrics(bot_factory, db: Database, clock: Clock):
    app = await bot_factory([], web=True)
    start = clock.now - 20 * DAY
    async with db.sessions() as session, session.begin():
        await _report(session, "district-15", start, start + 5 * DAY, (S.RESOLVED, start + DAY))
        await _report(session, "district-15", start, start + 5 * DAY, (S.RESOLVED, start + 9 * DAY))
        await _report(session, "district-15", start, start + 5 * DAY)  # open, overdue
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{app.web.url}/opendata/bodies.csv") as resp:
            assert resp.status == 200
            assert resp.headers["Content-Type"] == "text/csv; charset=utf-8; header=present"
            assert "creativecommons.org/licenses/by/4.0" in resp.headers["Link"]
            body = await resp.read()
        async with http.get(f"{app.web.url}/opendata/bodies.json") as resp:
            assert resp.status == 200 and resp.headers["Access-Control-Allow-Origin"] == "*"
            document = json.loads(await resp.text())
    reader = csv.DictReader(io.StringIO(body.decode("utf-8-sig"), newline=""))
    assert tuple(reader.fieldnames or ()) == COLUMNS
    rows = {row["body"]: row for row in reader}
    mladost = rows["district-15"]
    assert mladost["body_name_en"] == "Mladost District Administration"
    assert (mladost["open"], mladost["overdue"], mladost["on_time_percent"]) == ("1", "1", "33.3")
    assert mladost["median_hours_to_resolve"] == "120.0"  # (1 + 9) / 2 days
    assert rows["district-01"]["on_time_percent"] == ""  # nothing due yet
    assert document["license"] == "CC-BY-4.0"
    (entry,) = [b for b in document["bodies"] if b["body"] == "district-15"]
    assert entry["resolved_on_time"] == 1 and entry["resolved_late"] == 1
    assert set(entry) == set(COLUMNS)  # counts only: no report, no person

    status, _, text = await scrape(app)
    assert status == 200
    samples = parse(text)
    assert value(samples, "citizenbot_body_reports_overdue", body="district-15") == 1
    assert value(samples, "citizenbot_body_on_time_ratio", body="district-15") == 1 / 3
    assert value(samples, "citizenbot_body_reports_open", body="district-01") == 0

    # The per-body figures are computed once per METRICS_BODY_FIGURES_TTL_SECONDS (60 s by
    # the bot's clock): a report filed since changes nothing until then, then it counts.
    async with db.sessions() as session, session.begin():
        await _report(session, "district-01", clock.now, clock.now + 5 * DAY)
    clock.advance(seconds=59)
    samples = parse((await scrape(app))[2])
    assert value(samples, "citizenbot_body_reports_open", body="district-01") == 0
    assert value(samples, "citizenbot_reports", status="new") == 2  # read afresh each time
    clock.advance(seconds=1)
    samples = parse((await scrape(app))[2])
    assert value(samples, "citizenbot_body_reports_open", body="district-01") == 1
