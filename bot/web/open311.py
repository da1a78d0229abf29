"""Open311 GeoReport v2 under /open311/v2/ (http://wiki.open311.org/GeoReport_v2).

One service per report category of the city pack (service_code = category code). Reading is
public (CORS open for GET); filing needs an API key (`citizenbot apikey create NAME`), sent
in the POST body (never the URL), and each key files at most its reports a minute and a day
(429 with Retry-After past either; the limits are counted in the database, so they hold
across processes).
Texts (service names, descriptions, notices) are in the city's DEFAULT_LANGUAGE. Hidden
reports never appear, and nothing about the people who report is stored or shown.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from aiohttp import web
from multidict import MultiDictProxy
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.city import CityPack
from bot.config import Settings
from bot.domain import reports as domain
from bot.domain.actors import Actor
from bot.domain.errors import Refused
from bot.domain.reports import NewReport
from bot.domain.work import Work
from bot.i18n import Translator
from bot.web import bodies
from bot.web.media import public_photo_url
from bot.web.open311_input import (
    MAX_RESULTS,
    ApiError,
    identifier,
    new_request,
    request_filter,
)
from bot.web.open311_render import FORMATS, Format, document, error
from storage.db import UNAVAILABLE, Database
from storage.models import ApiKey, Report, Role
from storage.repos import api_keys, reports
from storage.types import utcnow

log = logging.getLogger(__name__)

PREFIX = "/open311/v2"
SPEC_URL = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-11-27T00:00:00Z"
"""When this API last changed (discovery's changeset)."""
SOURCE = "open311"
KEY_IN_URL = (
    "api_key must be sent in the POST body, never in the URL: addresses end up in logs "
    "(ask the city for a new key if this one was sent that way)"
)

DATABASE_DOWN = UNAVAILABLE

NOTICES = {
    "bg": "Сигналът е приет с номер {id} и е насочен към: {agency}.",
    "en": "The report was received as {id} and passed to: {agency}.",
}

Clock = Callable[[], datetime]
Handler = Callable[[web.Request, Format], Awaitable[web.StreamResponse]]
WebHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def open311_routes(
    *,
    db: Database,
    city: CityPack,
    settings: Settings,
    clock: Clock = utcnow,
    translator: Translator | None = None,
    deliver: Callable[[Sequence[int]], Awaitable[None]] | None = None,
    wake_forwarding: Callable[[], None] | None = None,
) -> list[web.RouteDef]:
    """`deliver` and `wake_forwarding` (the app's delivery engine and forwarder) send a filed
    report's news to its body right after the commit."""
    translator = translator or Translator(default=settings.default_language)
    api = Open311(
        db=db,
        city=city,
        settings=settings,
        clock=clock,
        translator=translator,
        deliver=deliver,
        wake_forwarding=wake_forwarding,
    )
    fmt = "{fmt:[^/.]+}"
    return [
        web.route("*", f"{PREFIX}/discovery.{fmt}", endpoint(api.discovery)),
        web.route("*", f"{PREFIX}/services.{fmt}", endpoint(api.services)),
        web.route("*", f"{PREFIX}/services/{{code:[^/.]+}}.{fmt}", endpoint(api.definition)),
        web.route("*", f"{PREFIX}/requests.{fmt}", endpoint(api.requests, post=api.file)),
        web.route("*", f"{PREFIX}/requests/{{id:[^/.]+}}.{fmt}", endpoint(api.request)),
        web.route("*", PREFIX + "/{tail:.*}", not_found),
    ]


# -- the handlers ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Open311:
    db: Database
    city: CityPack
    settings: Settings
    clock: Clock
    translator: Translator
    deliver: Callable[[Sequence[int]], Awaitable[None]] | None = None
    wake_forwarding: Callable[[], None] | None = None

    @property
    def language(self) -> str:
        return self.settings.default_language

    async def discovery(self, request: web.Request, fmt: Format) -> web.Response:
        url = f"{self.settings.public_url}{PREFIX}"
        endpoint = {
            "specification": SPEC_URL,
            "url": url,
            "changeset": CHANGESET,
            "type": "production",
            "formats": ["text/xml", "application/json"],
        }
        data = {
            "changeset": CHANGESET,
            "contact": f"{self.city.name(self.language)}, {self.settings.public_url}",
            "key_service": "API keys for filing requests are issued by the city's administrators",
            "endpoints": [endpoint],
        }
        return document(fmt, "discovery", data)

    async def services(self, request: web.Request, fmt: Format) -> web.Response:
        lang = self.language
        data = [
            {
                "service_code": c.code,
                "service_name": c.name(lang),
                "description": c.description(lang),
                "metadata": False,
                "type": "realtime",
                "keywords": ", ".join(c.keywords.get(lang) or next(iter(c.keywords.values()))),
                "group": c.group_name(lang),
            }
            for c in self.city.categories
        ]
        return document(fmt, "services", data)

    async def definition(self, request: web.Request, fmt: Format) -> web.Response:
        code = request.match_info["code"]
        if self.city.category(code) is None:
            raise ApiError(404, f"service_code {code!r} is unknown (see services.{fmt})")
        return document(fmt, "service_definition", {"service_code": code, "attributes": []})

    async def requests(self, request: web.Request, fmt: Format) -> web.Response:
        found = request_filter(request.query, tz=self.city.timezone, now=self.clock())
        async with self.db.sessions() as session:
            rows = await reports.public_reports(session, **found.as_kwargs(), limit=MAX_RESULTS)
            data = await self._describe(session, rows)
        return document(fmt, "service_requests", data)

    async def request(self, request: web.Request, fmt: Format) -> web.Response:
        public_id = identifier("service_request_id", request.match_info["id"])
        async with self.db.sessions() as session:
            report = await reports.get_by_public_id(session, public_id=public_id)
            if report is None or report.hidden:
                raise ApiError(404, f"service_request_id {public_id!r} is unknown")
            data = await self._describe(session, [report])
        return document(fmt, "service_requests", data)

    async def file(self, request: web.Request, fmt: Format) -> web.Response:
        if "api_key" in request.query:
            raise ApiError(400, KEY_IN_URL)
        form = await read_form(request, self.settings)
        key = form.get("api_key") or ""
        if not isinstance(key, str) or not key:
            raise ApiError(403, "api_key is required to file a request")
        codes = {c.code for c in self.city.categories}
        async with self.db.sessions() as session, session.begin():
            client = await api_keys.verify(session, key=key, now=self.clock())
            if client is None:
                raise ApiError(403, "api_key is not valid (unknown or revoked)")
            work = self._work(session, client)
            await self._within_limits(work, client)
            new = new_request(form, known_codes=codes, area=self.city)
            district = None
            if new.lat is not None and new.lon is not None:
                found = self.city.district_at(new.lat, new.lon)
                district = found.code if found is not None else None
            filed = NewReport(
                category=new.service_code,
                description=new.description,
                source=SOURCE,
                lat=new.lat,
                lon=new.lon,
                address=new.address,
                district=district,
            )
            try:
                report = await domain.file(work, filed, api_key=client)
            except Refused as refusal:
                raise self._refused(refusal) from None
            public_id, client_name, body = report.public_id, client.name, report.body_code
        for task in work.after_commit:  # the body's news, its forward: sent now
            try:
                await task()
            except Exception:
                log.exception("open311: a task after filing %s failed", public_id)
        log.info("open311: report %s filed with the API key %r", public_id, client_name)
        return document(fmt, "service_requests", [self._receipt(public_id, body)])

    def _work(self, session: AsyncSession, client: ApiKey) -> Work:
        """The API key files as a citizen would (a system actor with the citizen's rights)."""
        return Work(
            session=session,
            actor=Actor.machine(f"open311:{client.name}", Role.CITIZEN),
            settings=self.settings,
            translator=self.translator,
            city=self.city,
            clock=self.clock,
            deliver=self.deliver,
            wake_forwarding=self.wake_forwarding,
        )

    async def _within_limits(self, work: Work, client: ApiKey) -> None:
        """429 before the form is read when the key has filed its reports of the minute or
        of the day (the domain's quotas, asked again when filing)."""
        try:
            await domain.check_key_limits(work, client)
        except Refused as refusal:
            raise self._refused(refusal) from None

    def _refused(self, refusal: Refused) -> ApiError:
        """The domain's quotas by their code: 429 with the wait until the count starts again."""
        limit, wait = refusal.values["limit"], refusal.values["wait"]
        assert isinstance(wait, timedelta)
        if refusal.code == "key_per_minute":
            return _too_many(f"this api_key may file {limit} requests a minute", wait)
        return _too_many(
            f"this api_key may file {limit} requests a day; the count starts again "
            f"at midnight ({self.city.timezone.key})",
            wait,
        )

    def _agency(self, body_code: str | None) -> str:
        """The body responsible (routed at filing), by name; the city for an older report."""
        body = self.city.body(body_code)
        return body.name(self.language) if body else self.city.name(self.language)

    def _receipt(self, public_id: str, body_code: str | None) -> dict[str, Any]:
        agency = self._agency(body_code)
        notice = NOTICES.get(self.language, NOTICES["en"]).format(id=public_id, agency=agency)
        return {"service_request_id": public_id, "service_notice": notice}

    async def _describe(self, session: AsyncSession, rows: Sequence[Report]) -> list[dict]:
        ids = [row_id(r) for r in rows]
        notes = await reports.latest_status_notes(session, report_ids=ids)
        photos = await reports.first_photos(session, report_ids=ids)
        pairs = zip(rows, ids, strict=True)
        return [self._describe_one(r, notes.get(i), photos.get(i)) for r, i in pairs]

    def _describe_one(self, report: Report, note: str | None, photo: str | None) -> dict:
        lang = self.language
        category = self.city.category(report.category)
        tz = self.city.timezone
        return {
            "service_request_id": report.public_id,
            "status": "open" if report.is_open else "closed",
            "status_notes": note,
            "service_name": category.name(lang) if category else report.category,
            "service_code": report.category,
            "description": report.description,
            "agency_responsible": self._agency(report.body_code),
            "requested_datetime": report.created_at.astimezone(tz).isoformat(timespec="seconds"),
            "updated_datetime": report.updated_at.astimezone(tz).isoformat(timespec="seconds"),
            # The spec's "expected datetime": when the body should have resolved it.
            "expected_datetime": report.resolve_due_at.astimezone(tz).isoformat(timespec="seconds")
            if report.resolve_due_at
            else None,
            "address": report.address,
            "lat": report.lat,
            "long": report.lon,
            "media_url": public_photo_url(self.settings.public_url, photo) if photo else None,
        }


def _too_many(description: str, wait: timedelta) -> ApiError:
    seconds = int(wait.total_seconds()) + 1  # whole seconds, never short of the wait
    return ApiError(
        429, f"{description}: try again in {seconds} s", headers={"Retry-After": str(seconds)}
    )


def row_id(report: Report) -> int:
    """The id of a report read from the database (never None there)."""
    assert report.id is not None
    return report.id


async def read_form(request: web.Request, settings: Settings) -> MultiDictProxy[Any]:
    """The form-encoded (or multipart) body, bounded by bot/web/bodies.py: 413 past
    OPEN311_MAX_BODY_BYTES (before reading, by Content-Length), 408 if too slow."""
    limit = settings.open311_max_body_bytes
    try:
        return await bodies.read_form(
            request, limit=limit, timeout=settings.http_body_timeout_seconds
        )
    except web.HTTPRequestEntityTooLarge as exc:
        raise ApiError(413, f"the request body is larger than {limit // 1024} KiB") from exc
    except ValueError:  # undecodable text, a broken multipart body
        raise ApiError(400, "the body must be form-encoded UTF-8") from None


# -- the plumbing: formats, methods, CORS, errors ----------------------------------------------


def endpoint(get: Handler, *, post: Handler | None = None) -> WebHandler:
    """An aiohttp handler for one resource: checks the format and the method, opens GET to
    any origin, and turns every failure into an error in the spec's format."""
    handlers: dict[str, Handler] = {"GET": get} if post is None else {"GET": get, "POST": post}
    allow = ", ".join([*handlers, "HEAD", "OPTIONS"])

    async def handle(request: web.Request) -> web.StreamResponse:
        fmt = request.match_info["fmt"]
        method = "GET" if request.method == "HEAD" else request.method
        response: web.StreamResponse
        if fmt not in FORMATS:
            response = error("json", 404, f"unknown format '.{fmt}': use .json or .xml")
        elif method == "OPTIONS":
            response = web.Response(status=204, headers={"Allow": allow})
        elif method not in handlers:
            response = error(
                cast(Format, fmt), 405, f"{request.method} is not allowed (use {allow})"
            )
            response.headers["Allow"] = allow
        else:
            response = await _guarded(handlers[method], request, cast(Format, fmt))
        if method in ("GET", "OPTIONS"):
            _allow_any_origin(response)
        return response

    return handle


async def _guarded(handler: Handler, request: web.Request, fmt: Format) -> web.StreamResponse:
    """The handler's answer; every failure becomes an error in the spec's format."""
    try:
        return await handler(request, fmt)
    except ApiError as exc:
        response = error(fmt, exc.status, exc.description)
        response.headers.update(exc.headers)
        return response
    except web.HTTPException as exc:
        return error(fmt, exc.status, exc.reason)
    except DATABASE_DOWN as exc:
        log.warning("open311: database unavailable (%s)", type(exc).__name__)
        response = error(fmt, 503, "the service is unavailable for a moment; try again later")
        response.headers["Retry-After"] = "30"
        return response
    except Exception:
        reference = uuid.uuid4().hex[:8]
        log.exception("open311: unexpected error (reference %s)", reference)
        return error(fmt, 500, f"internal error (reference {reference})")


def _allow_any_origin(response: web.StreamResponse) -> None:
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"


async def not_found(request: web.Request) -> web.StreamResponse:
    response = error("json", 404, f"no such resource: {request.path} (see discovery.json)")
    _allow_any_origin(response)
    return response
