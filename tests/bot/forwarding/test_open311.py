"""Forwarding to a body's GeoReport v2 endpoint over real HTTP: a fake endpoint (an aiohttp
test server) records what it received and answers as told: a request id, a token, a 4xx
with its error JSON, a 5xx, no answer in time, JSON that is not JSON; and the status read
back."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from pydantic import SecretStr

from bot.forwarding import PermanentError, RetryableError
from bot.forwarding.open311 import (
    Open311Endpoint,
    Open311Receipt,
    RemoteStatus,
    fetch_status,
    resolve_token,
    send,
)
from tests.bot.forwarding.reports import a_report

API_KEY = "body-key-123"
Answer = Callable[[], web.StreamResponse]


@dataclass
class FakeGeoReport:
    """The body's endpoint: each route answers with the next answer queued for it."""

    answers: dict[str, list[Answer]] = field(default_factory=dict)
    received: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    never: asyncio.Event = field(default_factory=asyncio.Event)

    def answer(self, route: str, status: int, body: Any) -> None:
        text = body if isinstance(body, str) else json.dumps(body)
        self.answers.setdefault(route, []).append(
            lambda: web.Response(status=status, text=text, content_type="application/json")
        )

    def hang(self, route: str) -> None:
        self.answers.setdefault(route, []).append(lambda: None)  # type: ignore[arg-type,return-value]

    async def handle(self, request: web.Request) -> web.StreamResponse:
        form = dict(await request.post()) if request.method == "POST" else dict(request.query)
        path = request.raw_path.partition("?")[0]
        route = f"{request.method} {path}"
        self.received.append((request.method, path, {k: str(v) for k, v in form.items()}))
        response = self.answers[route].pop(0)()
        if response is None:
            await self.never.wait()  # the client's timeout ends it
        return response


@pytest.fixture
async def body() -> AsyncIterator[tuple[FakeGeoReport, Open311Endpoint, aiohttp.ClientSession]]:
    fake = FakeGeoReport()
    app = web.Application()
    app.router.add_route("*", "/geo/v2/{tail:.*}", fake.handle)
    async with TestServer(app) as server, aiohttp.ClientSession() as http:
        endpoint = Open311Endpoint(
            name="mladost",
            base_url=str(server.make_url("/geo/v2")),
            service_codes={"sofia-28": "STREETLIGHT"},
            api_key=SecretStr(API_KEY),
            jurisdiction_id="sofia.bg",
            timeout=0.5,
        )
        yield fake, endpoint, http


async def test_a_report_is_filed_and_its_status_read_back(body):
    fake, endpoint, http = body
    fake.answer(
        "POST /geo/v2/requests.json",
        201,
        [{"service_request_id": "638344", "service_notice": "Thanks"}],
    )
    fake.answer(
        "GET /geo/v2/requests/638344.json",
        200,
        [{"service_request_id": "638344", "status": "closed", "status_notes": "Lamp replaced."}],
    )
    report = a_report(("A" * 32,))
    receipt = await send(report, endpoint=endpoint, http=http)
    assert receipt == Open311Receipt("638344", None, "Thanks")
    remote = await fetch_status("638344", endpoint=endpoint, http=http)
    assert remote == RemoteStatus("638344", "closed", "Lamp replaced.", None)

    (post, get) = fake.received
    assert post == (
        "POST",
        "/geo/v2/requests.json",
        {
            "service_code": "STREETLIGHT",
            "description": "Уличната лампа пред блок 12 не свети от седмица.",
            "lat": "42.649700",
            "long": "23.379000",
            "address_string": "бул. Александър Малинов 12",
            "media_url": f"https://bot.example.org/media/photos/{'A' * 32}.jpg",
            "api_key": API_KEY,
            "jurisdiction_id": "sofia.bg",
        },
    )
    assert get == ("GET", "/geo/v2/requests/638344.json", {"jurisdiction_id": "sofia.bg"})


async def test_a_token_is_traded_for_the_request_id_later(body):
    fake, endpoint, http = body
    fake.answer("POST /geo/v2/requests.json", 200, [{"token": "abc/1"}])
    fake.answer("GET /geo/v2/tokens/abc%2F1.json", 200, [{"token": "abc/1"}])
    fake.answer(
        "GET /geo/v2/tokens/abc%2F1.json", 200, [{"token": "abc/1", "service_request_id": 77}]
    )
    assert await send(a_report(), endpoint=endpoint, http=http) == Open311Receipt(None, "abc/1")
    assert await resolve_token("abc/1", endpoint=endpoint, http=http) is None
    assert await resolve_token("abc/1", endpoint=endpoint, http=http) == "77"


async def test_a_4xx_is_permanent_with_the_bodys_words(body):
    fake, endpoint, http = body
    fake.answer(
        "POST /geo/v2/requests.json", 400, [{"code": 400, "description": "service_code not found"}]
    )
    with pytest.raises(PermanentError) as failed:
        await send(a_report(), endpoint=endpoint, http=http)
    assert str(failed.value) == "mladost: HTTP 400: service_code not found"
    assert API_KEY not in str(failed.value)


@pytest.mark.parametrize("status", [429, 500, 503])
async def test_a_5xx_or_429_is_worth_retrying(body, status: int):
    fake, endpoint, http = body
    fake.answer("POST /geo/v2/requests.json", status, "oops")
    with pytest.raises(RetryableError, match=f"HTTP {status}"):
        await send(a_report(), endpoint=endpoint, http=http)


async def test_no_answer_in_time_is_worth_retrying(body):
    fake, endpoint, http = body
    fake.hang("POST /geo/v2/requests.json")
    with pytest.raises(RetryableError, match="TimeoutError"):
        await send(a_report(), endpoint=endpoint, http=http)


async def test_malformed_answers(body):
    fake, endpoint, http = body
    fake.answer("POST /geo/v2/requests.json", 200, "[{not json")
    with pytest.raises(PermanentError, match="not JSON"):  # it may be filed: no second POST
        await send(a_report(), endpoint=endpoint, http=http)
    fake.answer("POST /geo/v2/requests.json", 200, [{"service_notice": "no id"}])
    with pytest.raises(PermanentError, match="no service_request_id nor token"):
        await send(a_report(), endpoint=endpoint, http=http)
    fake.answer("GET /geo/v2/requests/1.json", 200, "<html>")
    with pytest.raises(RetryableError, match="not JSON"):  # reading again is harmless
        await fetch_status("1", endpoint=endpoint, http=http)
    fake.answer("GET /geo/v2/requests/1.json", 200, [{"status": "pending"}])
    with pytest.raises(RetryableError, match="unreadable status"):
        await fetch_status("1", endpoint=endpoint, http=http)


async def test_nothing_is_sent_without_a_service_code(body):
    fake, endpoint, http = body
    unmapped = Open311Endpoint(name="other", base_url=endpoint.base_url)
    with pytest.raises(PermanentError, match="no service_code"):
        await send(a_report(), endpoint=unmapped, http=http)
    assert fake.received == []
