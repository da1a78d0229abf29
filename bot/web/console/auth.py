"""Signing in and out. A link from chat (bot/domain/console_access.py) opens a page with one
button: the link is used only by that POST, so a messenger's link preview, which fetches
the page, does not spend it. Using it opens a session (sessions.py) and is audited."""

from __future__ import annotations

from aiohttp import web

from bot.domain.console_access import console_role, token_hash
from bot.i18n import N_
from bot.web.bodies import read_form
from bot.web.console.app import FORM_LIMIT, console_of, render, staff_of, work
from bot.web.console.sessions import clear_cookie, open_session, set_cookie
from storage.models import Citizen
from storage.refs import public_ref
from storage.repos import audit
from storage.repos import console as repo

TOKEN_MAX = 100


async def login_page(request: web.Request) -> web.StreamResponse:
    token = request.match_info["token"]
    if len(token) > TOKEN_MAX:
        raise web.HTTPNotFound()
    return render(request, "login.html", token=token)


async def login(request: web.Request) -> web.StreamResponse:
    console = console_of(request)
    token = request.match_info["token"]
    if len(token) > TOKEN_MAX:
        raise web.HTTPNotFound()
    await read_form(request, limit=FORM_LIMIT, timeout=console.settings.http_body_timeout_seconds)
    now = console.services.clock()
    async with console.db.sessions() as session:
        citizen_id = await repo.use_link(session, token_hash=token_hash(token), now=now)
        key = None
        if citizen_id is not None:
            citizen = await session.get(Citizen, citizen_id)
            if await console_role(console.system_work(session), citizen) is not None:
                key = await open_session(session, citizen_id=citizen_id, now=now)
                ref = public_ref(citizen_id)
                await audit.record(
                    session,
                    actor_id=citizen_id,
                    actor_ref=ref,
                    action="console_signin",
                    object_type="citizen",
                    object_id=ref,
                    now=now,
                )
        await session.commit()
    if key is None:
        return render(request, "message.html", status=403, message_key=N_("console.link_invalid"))
    response = web.HTTPSeeOther("/console/")
    set_cookie(response, key, secure=console.secure_cookie)
    raise response


async def logout(request: web.Request) -> web.StreamResponse:
    console = console_of(request)
    staff = staff_of(request)
    async with work(request) as unit:
        await repo.end_sessions(unit.session, now=unit.now, session_id=staff.session_id)
        await unit.audit("console_signout", "citizen", staff.ref)
    response = web.HTTPSeeOther("/console/signed-out")
    clear_cookie(response, secure=console.secure_cookie)
    raise response


async def signed_out(request: web.Request) -> web.StreamResponse:
    return render(request, "message.html", status=401, message_key=N_("console.signed_out"))


def routes(app: web.Application) -> None:
    app.router.add_get("/login/{token}", login_page)
    app.router.add_post("/login/{token}", login)
    app.router.add_post("/logout", logout)
    app.router.add_get("/signed-out", signed_out)
