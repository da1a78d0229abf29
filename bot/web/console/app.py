"""The console's aiohttp sub-application, mounted at /console: its middlewares (security
headers, the signed-in member, CSRF), templates and static files, and every page's routes.

Each page module (queue, map, report, bulk, export, auth) adds its routes in `routes(app)`;
the navigation is `nav.NAV` and the queue's extra filters `filters.FILTERS`, so later pages
and filters plug in without changing this file."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web
from multidict import MultiDict, MultiDictProxy
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.config import Settings
from bot.core.context import Services
from bot.domain.actors import Actor
from bot.domain.work import Work
from bot.i18n import N_, format_number, format_when
from bot.web.bodies import read_form
from bot.web.console import csrf, filters, nav
from bot.web.console.headers import security_headers
from bot.web.console.sessions import COOKIE, Staff, current
from storage.db import Database

HERE = Path(__file__).parent
STATIC = HERE / "static"
FORM_LIMIT = 64 * 1024
# Paths whose forms may be larger (an upload): their limit instead of FORM_LIMIT.
FORM_LIMITS: dict[str, int] = {}


def _request_key(name: str, kind: type) -> Any:
    # web.RequestKey came with aiohttp 3.14, which warns about plain string keys.
    request_key = getattr(web, "RequestKey", None)
    return request_key(name, kind) if request_key is not None else name


TEMPLATES: Any = web.AppKey("console.templates", object)
STAFF_KEY = _request_key("console.staff", Staff)
FORM_KEY = _request_key("console.form", MultiDictProxy)
# What a visitor who is not signed in may open.
PUBLIC_PREFIXES = ("/console/login/", "/console/static/", "/console/signed-out")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class Console:
    db: Database
    services: Services

    @property
    def settings(self) -> Settings:
        return self.services.settings

    @property
    def secure_cookie(self) -> bool:
        return (self.settings.http_public_url or "").startswith("https://")

    def system_work(self, session: AsyncSession) -> Work:
        """A unit of work of the console itself (reading who is signed in)."""
        services = self.services
        return Work(
            session=session,
            actor=Actor.machine("console"),
            settings=services.settings,
            translator=services.translator,
            city=services.city,
            clock=services.clock,
        )

    def t(self, language: str, key: str, /, **values: object) -> str:
        return self.services.translator.translate(language, key, **values)

    def tn(self, language: str, key: str, n: int, /, **values: object) -> str:
        return self.services.translator.translate_n(language, key, n, **values)


CONSOLE = web.AppKey("console", Console)


def console_of(request: web.Request) -> Console:
    return request.config_dict[CONSOLE]


def staff_of(request: web.Request) -> Staff:
    return request[STAFF_KEY]


def viewer_of(request: web.Request) -> filters.Viewer:
    """The signed-in member and the time, for the queue's filters."""
    staff: Staff | None = request.get(STAFF_KEY)
    return filters.Viewer(
        citizen_id=staff.citizen_id if staff else None, now=console_of(request).services.clock()
    )


def form_of(request: web.Request) -> MultiDictProxy[Any]:
    return request.get(FORM_KEY) or MultiDictProxy(MultiDict())


@asynccontextmanager
async def work(request: web.Request) -> AsyncIterator[Work]:
    """One transaction acting as the signed-in member: committed at the end, then its
    after-commit tasks (the news to reporters) run."""
    console = console_of(request)
    services = console.services
    async with console.db.sessions() as session:
        unit = Work(
            session=session,
            actor=staff_of(request).actor,
            settings=services.settings,
            translator=services.translator,
            city=services.city,
            clock=services.clock,
            deliver=services.deliver,
            wake_notices=services.wake_notices,
            wake_forwarding=services.wake_forwarding,
        )
        yield unit
        await session.commit()
    for task in unit.after_commit:
        await task()


@asynccontextmanager
async def reading(request: web.Request) -> AsyncIterator[AsyncSession]:
    async with console_of(request).db.sessions() as session:
        yield session


def is_htmx(request: web.Request) -> bool:
    return request.headers.get("HX-Request") == "true"


def render(
    request: web.Request, template: str, *, status: int = 200, **context: Any
) -> web.Response:
    console = console_of(request)
    staff: Staff | None = request.get(STAFF_KEY)
    language = staff.language if staff else _browser_language(request, console)
    tz = console.services.city.timezone

    def t(key: str, /, **values: object) -> str:
        return console.t(language, key, **values)

    def tn(key: str, n: int, /, **values: object) -> str:
        return console.tn(language, key, n, **values)

    base = {
        "t": t,
        "tn": tn,
        "when": lambda moment, style="datetime": format_when(moment, language, tz, style),
        "number": lambda value, digits=0: format_number(value, language, digits),
        "language": language,
        "staff": staff,
        "csrf_field": csrf.FIELD,
        "nav": [item for item in nav.NAV if staff is not None and staff.role.at_least(item.role)],
        "path": request.path,
        "city_name": console.services.city.name(language),
    }
    import aiohttp_jinja2

    return aiohttp_jinja2.render_template(
        template, request, base | context, status=status, app_key=TEMPLATES
    )


class Templates:
    """What aiohttp-jinja2 finds under the console's key: its Jinja environment, made by
    `aiohttp_jinja2.setup` at the first page. Jinja is 2 MB that a bot whose console nobody
    opens never needs (bench/README.md, idle RSS); rendering only asks for `get_template`."""

    def __init__(self) -> None:
        self._environment: Any = None

    def get_template(self, name: str) -> Any:
        if self._environment is None:
            import aiohttp_jinja2
            import jinja2

            self._environment = aiohttp_jinja2.setup(
                web.Application(),  # only for the environment: the console's app is frozen
                loader=jinja2.FileSystemLoader(HERE / "templates"),
                autoescape=True,
                undefined=jinja2.StrictUndefined,
                trim_blocks=True,
                lstrip_blocks=True,
            )
        return self._environment.get_template(name)


def _browser_language(request: web.Request, console: Console) -> str:
    """Before signing in: the browser's first language we have, else the default."""
    for part in request.headers.get("Accept-Language", "").split(",")[:5]:
        language = console.services.translator.normalize(part.split(";")[0].strip())
        if language:
            return language
    return console.settings.default_language


def _signed_out(request: web.Request) -> web.StreamResponse:
    target = "/console/signed-out"
    if is_htmx(request):
        return web.Response(status=401, headers={"HX-Redirect": target})
    raise web.HTTPSeeOther(target)


@web.middleware
async def signed_in(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The member behind the cookie, read again on every request; the CSRF token of every
    state-changing request (the sign-in form carries its link's token instead)."""
    if request.path.startswith(PUBLIC_PREFIXES):
        return await handler(request)
    console = console_of(request)
    async with console.db.sessions() as session:
        staff = await current(console.system_work(session), key=request.cookies.get(COOKIE))
        await session.commit()
    if staff is None:
        return _signed_out(request)
    request[STAFF_KEY] = staff
    if request.method not in ("GET", "HEAD"):
        try:
            form = await read_form(
                request,
                limit=FORM_LIMITS.get(request.path, FORM_LIMIT),
                timeout=console.settings.http_body_timeout_seconds,
            )
        except ValueError:
            raise web.HTTPBadRequest() from None
        if not csrf.valid(request, form, staff.csrf):
            return render(
                request, "message.html", status=403, message_key=N_("console.csrf_refused")
            )
        request[FORM_KEY] = form
    return await handler(request)


def console_app(db: Database, services: Services) -> web.Application:
    from bot.web.console import (
        audit,
        auth,
        bulk,
        compose,
        dashboard,
        export,
        handling,
        map,
        notices,
        queue,
        report,
        surveys,
    )

    handling.install()
    settings = services.settings
    app = web.Application(
        middlewares=[
            security_headers(
                settings.console_tile_url,
                https=(settings.http_public_url or "").startswith("https://"),
            ),
            signed_in,
        ]
    )
    app[CONSOLE] = Console(db=db, services=services)
    app[TEMPLATES] = Templates()
    app.router.add_static("/static", STATIC)
    for module in (
        auth,
        queue,
        map,
        report,
        bulk,
        export,
        notices,
        compose,
        dashboard,
        surveys,
        audit,
    ):
        module.routes(app)
    return app
