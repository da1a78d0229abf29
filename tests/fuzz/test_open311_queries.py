"""Fuzzing the Open311 API and the open data exports: generated query parameters, ids in the
path and POST forms, sent over real HTTP to the real bot and its database.

What must hold for every request:
* the answer is never a 5xx;
* an error is in the format asked for: Open311's list of errors in JSON or XML, the open
  data's `{"error": ...}`;
* nothing is logged at ERROR or with a traceback.
"""

from __future__ import annotations

import functools
import json
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import aiohttp
import pytest
from hypothesis import event, given
from hypothesis import strategies as st
from yarl import URL

from bot.app import CitizenBot
from storage.repos import api_keys, reports
from tests.fuzz.conftest import FUZZ, problems_logged
from tests.fuzz.values import texts

Params = list[tuple[str, str]]


@dataclass
class Api:
    app: CitizenBot
    http: aiohttp.ClientSession
    key: str
    public_id: str

    async def send(self, method: str, path: str, params: Params, form: Params | None = None):
        """`params` percent-encoded as they are (NULs, lone surrogates' replacements and all)."""
        query = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in params)
        url = URL(f"{self.app.web.url}{path}" + (f"?{query}" if query else ""), encoded=True)
        data = None
        if form is not None:
            data = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in form)
        headers = {"Content-Type": "application/x-www-form-urlencoded"} if form else None
        async with self.http.request(method, url, data=data, headers=headers) as resp:
            return resp.status, resp.headers.get("Content-Type", ""), await resp.read()


@pytest.fixture
async def api(bot_factory: Callable[..., Any]) -> AsyncIterator[Api]:
    app: CitizenBot = await bot_factory(
        [], web=True, open311_reports_per_minute=100_000, open311_reports_per_day=10_000_000
    )
    lat, lon = app.city.center
    async with app.db.sessions() as session, session.begin():
        _, key = await api_keys.create(session, name="fuzz")
        report = await reports.create(
            session,
            city="sofia",
            prefix="SOF",
            category="sofia-1",
            description="Препълнени кошчета",
            source="console",
            lat=lat,
            lon=lon,
        )
        public_id = report.public_id
    async with aiohttp.ClientSession() as http:
        yield Api(app, http, key, public_id)


# -- what clients send ------------------------------------------------------------------------


def _text(value: str) -> str:
    """A string a URL can carry (lone surrogates replaced)."""
    return value.encode("utf-8", errors="replace").decode("utf-8")


@functools.cache
def dates() -> st.SearchStrategy[str]:
    """W3C dates and date-times of every year, month, day and offset, and near misses."""
    offsets = st.one_of(
        st.just(""),
        st.just("Z"),
        st.builds(
            lambda sign, h, m: f"{sign}{h:02d}:{m:02d}",
            st.sampled_from("+- "),
            st.integers(0, 99),
            st.integers(0, 99),
        ),
    )
    times = st.one_of(
        st.just(""),
        st.builds(
            lambda h, m, s, offset: f"T{h:02d}:{m:02d}:{s:02d}{offset}",
            st.integers(0, 25),
            st.integers(0, 61),
            st.integers(0, 61),
            offsets,
        ),
    )
    years = st.sampled_from([1, 2, 1969, 1999, 2000, 2026, 2099, 2100, 9998, 9999])
    return st.one_of(
        st.builds(
            lambda y, mo, d, t: f"{y:04d}-{mo:02d}-{d:02d}{t}",
            years | st.integers(0, 9999),
            st.integers(1, 12) | st.integers(0, 13),
            st.integers(1, 28) | st.sampled_from([0, 29, 30, 31, 32]),
            times,
        ),
        st.sampled_from(["0001-01-01", "9999-12-31", "2026-11-27T10:00:00+14:00", "+14:00"]),
        texts(huge=0, max_size=30).map(_text),
    )


@functools.cache
def identifiers() -> st.SearchStrategy[str]:
    """Ids and codes: real ones, with control characters (NUL above all), anything."""
    control = st.sampled_from(["\x00", "\x01", "\t", "\n", "\x7f", "\x85"])
    real = st.sampled_from(["sofia-1", "sofia-27", "SOF-2026-000001", "01", "15", "open"])
    return st.one_of(
        real,
        st.builds(lambda a, c, b: a + c + b, real, control, st.sampled_from(["", "x", "01"])),
        texts(huge=0, max_size=40).map(_text),  # (a URL past 8 KiB is aiohttp's 400)
    )


NAMES = ("start_date", "end_date", "status", "service_code", "service_request_id")


@st.composite
def open311_params(draw: st.DrawFn) -> Params:
    """Each filter given or not (service_request_id, which overrides the others, seldom),
    sometimes twice, sometimes a parameter the API does not know."""
    kinds = {"start_date": dates(), "end_date": dates()}
    params: Params = []
    for name in NAMES:
        chance = 10 if name == "service_request_id" else 50
        for _ in range(
            draw(st.sampled_from([1, 1, 1, 2])) if draw(st.integers(0, 99)) < chance else 0
        ):
            params.append((name, draw(kinds.get(name, identifiers()))))
    if draw(st.integers(0, 9)) == 0:
        params.append((draw(texts(huge=0, max_size=8).map(_text)), draw(identifiers())))
    return draw(st.permutations(params))


@st.composite
def opendata_params(draw: st.DrawFn) -> Params:
    kinds = {"since": dates()}
    params: Params = []
    for _ in range(draw(st.integers(0, 4))):
        name = draw(st.sampled_from(["since", "status", "category", "district", "x"]))
        params.append((name, draw(kinds.get(name, identifiers()))))
    return params


# -- the checks --------------------------------------------------------------------------------


def check_open311(status: int, content_type: str, body: bytes, fmt: str) -> None:
    assert status < 500, body[:300]
    if status < 400:
        return
    if fmt == "xml" and content_type.startswith("application/xml"):
        root = ET.fromstring(body)
        assert root.tag == "errors" and int(root.findtext("error/code") or 0) == status
    else:
        [error] = json.loads(body)
        assert error["code"] == status and error["description"]


# -- the properties ----------------------------------------------------------------------------


@FUZZ
@given(data=st.data())
async def test_open311_reads_never_fail_with_a_server_error(
    api: Api, caplog: pytest.LogCaptureFixture, data: st.DataObject
):
    fmt = data.draw(st.sampled_from(["json", "xml"]), label="format")
    one = None  # mostly the list with its filters, else one request by an id
    if data.draw(st.integers(0, 9), label="by id") < 2:
        one = data.draw(st.sampled_from([api.public_id]) | identifiers(), label="id")
    path = "requests" if one is None else f"requests/{quote(one, safe='')}"
    params = data.draw(open311_params(), label="params")
    caplog.clear()
    status, content_type, body = await api.send("GET", f"/open311/v2/{path}.{fmt}", params)
    event(f"status {status}")
    check_open311(status, content_type, body, fmt)
    assert problems_logged(caplog.records) == []


@FUZZ
@given(data=st.data())
async def test_open311_posts_never_fail_with_a_server_error(
    api: Api, caplog: pytest.LogCaptureFixture, data: st.DataObject
):
    fmt = data.draw(st.sampled_from(["json", "xml"]), label="format")
    lat, lon = api.app.city.center
    form: Params = [("api_key", api.key), ("lat", str(lat)), ("long", str(lon))]
    for _ in range(data.draw(st.integers(0, 5))):
        name = data.draw(
            st.sampled_from(["service_code", "description", "address_string", "lat", "long"])
            | texts(huge=0, max_size=8).map(_text)
        )
        form.append((name, data.draw(identifiers())))
    form = data.draw(st.permutations(form), label="form")
    params = data.draw(st.sampled_from([[], [("service_code", "sofia-1")]]), label="params")
    caplog.clear()
    status, content_type, body = await api.send("POST", f"/open311/v2/requests.{fmt}", params, form)
    event(f"status {status}")
    check_open311(status, content_type, body, fmt)
    assert problems_logged(caplog.records) == []


@FUZZ
@given(data=st.data())
async def test_open_data_never_fails_with_a_server_error(
    api: Api, caplog: pytest.LogCaptureFixture, data: st.DataObject
):
    survey = data.draw(
        (st.sampled_from(["1", "city-services-2026"]) | identifiers()).filter(
            # "/", "{" and "}" never match aiohttp's {ref}: no route, aiohttp's own 404
            lambda ref: ref and not set(ref) & set("/{}")
        )
    )
    name = data.draw(
        st.sampled_from(["reports.csv", "reports.geojson", "surveys.json"])
        | st.sampled_from(["json", "csv"]).map(
            lambda ext: f"surveys/{quote(survey, safe='')}/results.{ext}"
        ),
        label="export",
    )
    params = data.draw(opendata_params(), label="params")
    caplog.clear()
    status, content_type, body = await api.send("GET", f"/opendata/{name}", params)
    event(f"status {status}")
    assert status < 500, body[:300]
    if status >= 400:
        assert content_type.startswith("application/json")
        assert json.loads(body)["error"]
    assert problems_logged(caplog.records) == []
