"""The audit log (admins, as `/audit` in chat): every staff and admin action, newest first,
filtered by actor (their public ref), action and a date range in city time, a page at a time.
Actions are shown by their label in the reader's language, never by their code."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from bot.i18n import N_
from bot.web.console.app import console_of, reading, render, staff_of
from bot.web.console.filters import Option
from storage.models import Role
from storage.repos import audit as repo

PAGE_SIZE = 50
REF_MAX = 64
# Every action the domain records (bot/domain/*: work.audit), with its label.
ACTION_KEYS = {
    "status": N_("desk.action_status"),
    "hide": N_("desk.action_hide"),
    "unhide": N_("desk.action_unhide"),
    "acknowledge": N_("desk.action_acknowledge"),
    "assign": N_("desk.action_assign"),
    "reassign": N_("desk.action_reassign"),
    "note": N_("desk.action_note"),
    "send": N_("desk.action_send"),
    "schedule": N_("desk.action_schedule"),
    "pause": N_("desk.action_pause"),
    "resume": N_("desk.action_resume"),
    "cancel": N_("desk.action_cancel"),
    "create": N_("desk.action_create"),
    "publish": N_("desk.action_publish"),
    "close": N_("desk.action_close"),
    "public": N_("desk.action_public"),
    "private": N_("desk.action_private"),
    "export": N_("desk.action_export"),
    "invite": N_("desk.action_invite"),
    "grant": N_("desk.action_grant"),
    "revoke": N_("desk.action_revoke"),
    "ban": N_("desk.action_ban"),
    "unban": N_("desk.action_unban"),
    "console_link": N_("desk.action_console_link"),
    "console_signin": N_("desk.action_console_signin"),
    "console_signout": N_("desk.action_console_signout"),
}
OBJECT_KEYS = {
    "report": N_("desk.object_report"),
    "notice": N_("desk.object_notice"),
    "survey": N_("desk.object_survey"),
    "citizen": N_("desk.object_citizen"),
}


@dataclass(frozen=True, slots=True)
class Line:
    at: datetime
    actor: str
    action: str
    what: str
    link: str | None


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if len(value) == 10 else None
    except ValueError:
        return None


async def audit_page(request: web.Request) -> web.StreamResponse:
    console = console_of(request)
    staff = staff_of(request)
    if not staff.role.at_least(Role.ADMIN):
        raise web.HTTPForbidden()
    language = staff.language
    tz = console.services.city.timezone
    query = request.query
    actor = " ".join((query.get("actor") or "").split())[:REF_MAX] or None
    action = query.get("action") or None
    if action not in ACTION_KEYS:
        action = None
    since_day = _day(query.get("from") or "")
    until_day = _day(query.get("to") or "")
    try:
        page = max(0, min(int(query.get("page") or 1), 100_000) - 1)
    except ValueError:
        page = 0
    since = datetime.combine(since_day, time(), tz) if since_day else None
    before = datetime.combine(until_day + timedelta(days=1), time(), tz) if until_day else None
    async with reading(request) as session:
        found = await repo.search(
            session,
            actor_ref=actor,
            action=action,
            since=since,
            before=before,
            offset=page * PAGE_SIZE,
            limit=PAGE_SIZE + 1,
        )
    entries, more = found[:PAGE_SIZE], len(found) > PAGE_SIZE
    params = {
        "actor": actor or "",
        "action": action or "",
        "from": since_day.isoformat() if since_day else "",
        "to": until_day.isoformat() if until_day else "",
    }

    def url(number: int) -> str:
        pairs = [(k, v) for k, v in params.items() if v]
        if number > 1:
            pairs.append(("page", str(number)))
        return "/console/audit?" + urlencode(pairs) if pairs else "/console/audit"

    def label(mapping: dict[str, str], code: str) -> str:
        return console.t(language, mapping[code]) if code in mapping else code

    lines = [
        Line(
            at=e.at,
            actor=e.actor_ref,
            action=label(ACTION_KEYS, e.action),
            what=f"{label(OBJECT_KEYS, e.object_type)} {e.object_id}",
            link=_link(e.object_type, e.object_id),
        )
        for e in entries
    ]
    context: dict[str, Any] = {
        "lines": lines,
        "params": params,
        "actions": sorted(
            (Option(code, console.t(language, key)) for code, key in ACTION_KEYS.items()),
            key=lambda o: o.label,
        ),
        "page": page,
        "prev_url": url(page) if page > 0 else None,
        "next_url": url(page + 2) if more else None,
    }
    return render(request, "audit.html", **context)


def _link(object_type: str, object_id: str) -> str | None:
    if object_type == "report":
        return f"/console/reports/{object_id}"
    if object_type == "survey" and object_id.isdigit():
        return f"/console/surveys/{object_id}"
    return None


def routes(app: web.Application) -> None:
    app.router.add_get("/audit", audit_page)
