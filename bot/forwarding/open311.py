"""Forwarding a report to a body's own Open311 GeoReport v2 endpoint, and reading its status
back.

    receipt = await send(report, endpoint=endpoint, http=session)   # POST requests.json
    remote = await fetch_status(receipt.service_request_id, endpoint=endpoint, http=session)
    await bot.domain.forwarding.apply_remote_status(work, report, remote)   # as "open311:<body>"

`send` posts the service code the body uses for our category (`Open311Endpoint.service_codes`),
lat/long or the address, the description, the first photo's public URL, the API key and the
jurisdiction; the answer is a service_request_id, or a token to trade for one later
(`resolve_token`). No personal data is sent: no name, phone or email of the citizen.

Errors (bot/forwarding/errors.py): a timeout, a connection problem, HTTP 429 or 5xx are
RetryableError; another HTTP 4xx is PermanentError with the endpoint's own error description
([{"code", "description"}]); an answer to the POST that cannot be read is PermanentError
(the body may have filed it: sending again could file it twice), while an unreadable status
is RetryableError (reading again is harmless). The API key is never logged nor put in an error.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import quote

import aiohttp
from pydantic import SecretStr

from bot.forwarding.errors import PermanentError, RetryableError
from bot.forwarding.report import ForwardedReport

log = logging.getLogger(__name__)

MAX_ANSWER_BYTES = 1024 * 1024
DESCRIPTION_MAX = 4000  # GeoReport's description is "up to 4,000 characters"


@dataclass(frozen=True, slots=True)
class Open311Endpoint:
    """A body's GeoReport v2 API: `base_url` up to the version, e.g.
    https://311.example.org/open311/v2 (requests.json is appended)."""

    name: str  # the body's code: in logs and in the system actor "open311:<name>"
    base_url: str
    service_codes: Mapping[str, str] = field(default_factory=dict)  # our category → theirs
    api_key: SecretStr | None = None
    jurisdiction_id: str | None = None
    timeout: float = 20.0

    def url(self, path: str) -> str:
        return f"{self.base_url.rstrip('/')}/{path}"


@dataclass(frozen=True, slots=True)
class Open311Receipt:
    service_request_id: str | None  # None: only a token came back
    token: str | None = None
    service_notice: str | None = None


@dataclass(frozen=True, slots=True)
class RemoteStatus:
    service_request_id: str
    status: Literal["open", "closed"]
    status_notes: str | None = None
    updated_datetime: str | None = None


def request_form(report: ForwardedReport, endpoint: Open311Endpoint) -> dict[str, str]:
    """The POST's fields. Raises PermanentError when the body has no code for the category."""
    code = endpoint.service_codes.get(report.category)
    if code is None:
        raise PermanentError(f"{endpoint.name}: no service_code for category {report.category}")
    form = {"service_code": code, "description": report.description[:DESCRIPTION_MAX]}
    if report.lat is not None and report.lon is not None:
        form["lat"], form["long"] = f"{report.lat:.6f}", f"{report.lon:.6f}"
    if report.address:
        form["address_string"] = report.address
    if report.photo_urls:
        form["media_url"] = report.photo_urls[0]
    if "lat" not in form and "address_string" not in form:
        raise PermanentError(f"{report.public_id}: GeoReport needs a location or an address")
    if endpoint.api_key is not None:
        form["api_key"] = endpoint.api_key.get_secret_value()
    if endpoint.jurisdiction_id:
        form["jurisdiction_id"] = endpoint.jurisdiction_id
    return form


async def send(
    report: ForwardedReport, *, endpoint: Open311Endpoint, http: aiohttp.ClientSession
) -> Open311Receipt:
    """POST the report to the body's requests.json."""
    form = request_form(report, endpoint)
    answer = await _call(http, "POST", endpoint.url("requests.json"), endpoint, data=form)
    first = _first(answer)
    if first is None:
        raise PermanentError(f"{endpoint.name}: the answer to {report.public_id} is unreadable")
    request_id, token = _text(first.get("service_request_id")), _text(first.get("token"))
    if request_id is None and token is None:
        raise PermanentError(f"{endpoint.name}: no service_request_id nor token")
    log.info(
        "report %s forwarded to %s: %s", report.public_id, endpoint.name, request_id or "token"
    )
    return Open311Receipt(
        service_request_id=request_id,
        token=token,
        service_notice=_text(first.get("service_notice")),
    )


async def resolve_token(
    token: str, *, endpoint: Open311Endpoint, http: aiohttp.ClientSession
) -> str | None:
    """The service_request_id a token became (GET tokens/{token}.json); None: not yet."""
    answer = await _call(
        http, "GET", endpoint.url(f"tokens/{_segment(token)}.json"), endpoint, reading=True
    )
    first = _first(answer)
    return _text(first.get("service_request_id")) if first is not None else None


async def fetch_status(
    service_request_id: str, *, endpoint: Open311Endpoint, http: aiohttp.ClientSession
) -> RemoteStatus:
    """The body's view of the request (GET requests/{id}.json)."""
    url = endpoint.url(f"requests/{_segment(service_request_id)}.json")
    answer = await _call(http, "GET", url, endpoint, reading=True)
    first = _first(answer)
    status = first.get("status") if first is not None else None
    if first is None or status not in ("open", "closed"):
        raise RetryableError(f"{endpoint.name}: unreadable status of {service_request_id}")
    return RemoteStatus(
        service_request_id=_text(first.get("service_request_id")) or service_request_id,
        status=status,
        status_notes=_text(first.get("status_notes")),
        updated_datetime=_text(first.get("updated_datetime")),
    )


async def _call(
    http: aiohttp.ClientSession,
    method: str,
    url: str,
    endpoint: Open311Endpoint,
    *,
    data: Mapping[str, str] | None = None,
    reading: bool = False,
) -> Any:
    """The JSON answer of one request, or the error it comes to. `reading`: a GET, so an
    unreadable answer is worth another try."""
    params = {"jurisdiction_id": endpoint.jurisdiction_id} if endpoint.jurisdiction_id else None
    try:
        async with asyncio.timeout(endpoint.timeout):
            async with http.request(
                method, url, data=data, params=params if method == "GET" else None
            ) as response:
                body = await response.content.read(MAX_ANSWER_BYTES + 1)
                status = response.status
    except (TimeoutError, aiohttp.ClientError, OSError) as exc:
        raise RetryableError(f"{endpoint.name}: {method} failed: {type(exc).__name__}") from None
    if len(body) > MAX_ANSWER_BYTES:
        error = RetryableError if reading else PermanentError
        raise error(f"{endpoint.name}: the answer is larger than {MAX_ANSWER_BYTES} bytes")
    if status == 429 or status >= 500:
        raise RetryableError(f"{endpoint.name}: HTTP {status}")
    if status >= 400:
        raise PermanentError(f"{endpoint.name}: HTTP {status}: {_error_description(body)}")
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        error = RetryableError if reading else PermanentError
        raise error(f"{endpoint.name}: HTTP {status} with an answer that is not JSON") from None


def _error_description(body: bytes) -> str:
    """GeoReport's errors: [{"code": 400, "description": "..."}]."""
    try:
        answer = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return "no error description"
    first = _first(answer)
    description = _text(first.get("description")) if first is not None else None
    return (description or "no error description")[:300]


def _first(answer: Any) -> dict[str, Any] | None:
    if isinstance(answer, list) and answer and isinstance(answer[0], dict):
        return answer[0]
    if isinstance(answer, dict):
        return answer
    return None


def _text(value: Any) -> str | None:
    if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value).strip():
        return str(value).strip()[:1000]
    return None


def _segment(value: str) -> str:
    """An id as one URL path segment."""
    return quote(value, safe="")
