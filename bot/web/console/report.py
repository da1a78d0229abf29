"""One report: photos, description, place on a map, history and audit, the reporter's ref and
language, nearby reports (one click marks this one their duplicate), and the actions: a
status change with a public note, a duplicate, hiding with a reason, showing. Every action
is the domain's (bot/domain/reports.py), acting as the signed-in member; a refusal is shown
in their words."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.city.geo import bounding_box, haversine_m
from bot.domain import reports as domain
from bot.domain.actors import Forbidden
from bot.domain.errors import Refused
from bot.domain.report_news import HIDE_REASONS, hide_reason, template_note
from bot.domain.report_news import public_note as public_text
from bot.domain.work import Work
from bot.i18n import N_
from bot.web.console import labels
from bot.web.console.app import Console, console_of, form_of, reading, render, staff_of, work
from bot.web.console.refusals import refusal_text
from bot.web.media import PHOTO_ROUTE
from storage.models import (
    OPEN_STATUSES,
    Citizen,
    Report,
    ReportEvent,
    ReportPhoto,
    ReportStatus,
)
from storage.refs import public_ref
from storage.repos import audit, queue, reports

NEARBY_M = 300
NEARBY_LIMIT = 10
HISTORY_LIMIT = 100
# A "not fixed" answer's photo is stored with the answer's time; rows written before it was
# (the database's own clock) are a moment apart.
ANSWER_PHOTO_SLACK = timedelta(seconds=5)
OWN_REASON = "own"


@dataclass(frozen=True, slots=True)
class Nearby:
    row: labels.Row
    metres: int


@dataclass(frozen=True, slots=True)
class Event:
    """A line of the report's history as the member reads it; a citizen's "not fixed" answer
    carries their words and the photo they added."""

    at: datetime
    who: str
    kind: str
    was: str | None
    to: str | None
    note: str | None
    by_reporter: bool
    photos: list[str]


@dataclass(frozen=True, slots=True)
class Message:
    text: str
    ok: bool


async def _report(session: Any, public_id: str, *, lock: bool = False) -> Report:
    if len(public_id) > 32:
        raise web.HTTPNotFound()
    report = await reports.get_by_public_id(session, public_id=public_id)
    if report is None or report.id is None:
        raise web.HTTPNotFound()
    if lock:
        report = await reports.get_for_update(session, report_id=report.id)
        assert report is not None
    return report


async def report_page(request: web.Request, message: Message | None = None) -> web.Response:
    console = console_of(request)
    language = staff_of(request).language
    city = console.services.city
    now = console.services.clock()
    public_id = request.match_info["public_id"]
    async with reading(request) as session:
        report = await _report(session, public_id)
        assert report.id is not None
        photos = await reports.photos(session, report_id=report.id)
        events = await reports.history(session, report_id=report.id)
        entries = await audit.recent(session, object_id=report.public_id, limit=HISTORY_LIMIT)
        reporter = await session.get(Citizen, report.reporter_id) if report.reporter_id else None
        original = (
            await reports.get(session, report_id=report.duplicate_of_id)
            if report.duplicate_of_id
            else None
        )
        near: list[Nearby] = []
        if report.lat is not None and report.lon is not None:
            box = bounding_box(report.lat, report.lon, NEARBY_M)
            found = await queue.nearby(
                session,
                report=report,
                box=box,
                statuses=[s.value for s in OPEN_STATUSES],
                limit=NEARBY_LIMIT * 3,
            )
            for other in found:
                assert other.lat is not None and other.lon is not None
                metres = haversine_m(report.lat, report.lon, other.lat, other.lon)
                if metres <= NEARBY_M:
                    near.append(Nearby(labels.row(console, language, other, now), round(metres)))
            near = sorted(near, key=lambda n: n.metres)[:NEARBY_LIMIT]
        panels = [(p.template, await p.context(console, session, report, language)) for p in PANELS]
    t = lambda key, **values: console.t(language, key, **values)  # noqa: E731
    history = _history(console, language, report, events, photos, t)
    answer = _answer(report, history)
    can_duplicate = ReportStatus.DUPLICATE in domain.next_statuses(report)
    return render(
        request,
        "report.html",
        report=report,
        row=labels.row(console, language, report, now),
        category=labels.category_label(city, language, report.category),
        district=labels.district_label(console, language, report.district),
        photos=[PHOTO_ROUTE.format(name=p.name) for p in photos],
        events=history,
        answer=answer,
        entries=entries,
        reporter_ref=public_ref(report.reporter_id) if report.reporter_id else None,
        reporter_language=t(labels.LANGUAGE_KEYS.get(reporter.language, "language_name.bg"))
        if reporter
        else None,
        original=original,
        nearby=near,
        can_duplicate=can_duplicate,
        next_statuses=[
            (s.value, labels.status_label(console, language, s.value))
            for s in domain.next_statuses(report)
            if s is not ReportStatus.DUPLICATE
        ],
        hide_reasons=[(key, t(key)) for key in HIDE_REASONS],
        note_templates=note_templates(console, language),
        own_reason=OWN_REASON,
        note_max=domain.NOTE_MAX,
        message=message,
        panels=panels,
        settings_tile_url=console.settings.console_tile_url,
        settings_tile_attribution=console.settings.console_tile_attribution,
    )


def _history(
    console: Console,
    language: str,
    report: Report,
    events: list[ReportEvent],
    photos: list[ReportPhoto],
    t: Callable[..., str],
) -> list[Event]:
    """The events, "not fixed" answers with their photos (added at the answer's moment, never
    the filing's); the reopening an answer causes is said by the answer itself, so it is left
    out."""
    answered = {(e.at, e.actor_id) for e in events if e.kind == "not_fixed"}
    found = []
    for e in events:
        if e.kind == "reopened" and (e.at, e.actor_id) in answered:
            continue
        found.append(
            Event(
                at=e.at,
                who=public_ref(e.actor_id) if e.actor_id else e.actor_role,
                kind=e.kind,
                was=labels.status_label(console, language, e.from_status)
                if e.from_status
                else None,
                to=labels.status_label(console, language, e.to_status) if e.to_status else None,
                note=hide_reason(t, e.note)
                if e.kind == "hidden"
                else public_text(console.services.city, language, e.note),
                by_reporter=e.actor_id is not None and e.actor_id == report.reporter_id,
                photos=[
                    PHOTO_ROUTE.format(name=p.name)
                    for p in photos
                    if abs(p.created_at - e.at) <= ANSWER_PHOTO_SLACK
                    and abs(p.created_at - report.created_at) > ANSWER_PHOTO_SLACK
                ]
                if e.kind == "not_fixed"
                else [],
            )
        )
    return found


def _answer(report: Report, history: list[Event]) -> Event | None:
    """Why an open report is open again: the citizen's latest "not fixed" (or reopening),
    shown above everything while the report is open."""
    if not report.is_open or not report.reopened:
        return None
    return next((e for e in reversed(history) if e.kind in ("not_fixed", "reopened")), None)


async def _act(request: web.Request, action: str) -> web.Response:
    console = console_of(request)
    language = staff_of(request).language
    form = form_of(request)
    public_id = request.match_info["public_id"]
    try:
        async with work(request) as unit:
            report = await _report(unit.session, public_id, lock=True)
            text = await ACTIONS[action](Act(unit, report, form, console, language))
    except Refused as refusal:
        message = Message(refusal_text(console, language, refusal), ok=False)
    except Forbidden:
        raise web.HTTPForbidden() from None
    else:
        message = Message(text, ok=True)
    return await report_page(request, message)


@dataclass(frozen=True, slots=True)
class Act:
    """What an action's form asks, for the action: the unit of work (acting as the member),
    the report (row-locked), the form, and the member's language."""

    work: Work
    report: Report
    form: Any
    console: Console
    language: str

    def t(self, key: str, /, **values: object) -> str:
        return self.console.t(self.language, key, **values)

    def tn(self, key: str, n: int, /, **values: object) -> str:
        return self.console.tn(self.language, key, n, **values)


def note_templates(console: Console, language: str) -> list[tuple[str, str]]:
    """The pack's public note templates, (code, text in the member's language): all of them,
    whatever status the form's other field names (the chat offers only those that suit the
    status chosen: handlers/reports/triage.py)."""
    return [(t.code, t.text(language)) for t in console.services.city.note_templates]


def public_note(console: Console, form: Any) -> str | None:
    """The public note a status form gives: the note as written, or, left empty, the chosen
    template's text (each reader then gets it in their language: report_news.public_note).
    The console's script writes the template into the note, so staff may adapt it."""
    note = form.get("note")
    if note and note.strip():
        return note
    template = console.services.city.note_template((form.get("template") or "")[:32])
    if template is None:
        return note
    return template_note(console.settings, template)


async def change_status(act: Act) -> str:
    try:
        to = ReportStatus(act.form.get("status") or "")
    except ValueError:
        raise Refused("stale", "staff.stale") from None
    note = public_note(act.console, act.form)
    told = await domain.change_status(act.work, act.report, to, note=note)
    label = labels.status_label(act.console, act.language, to.value)
    return act.tn(N_("console.status_changed"), told, status=label, n=told)


async def mark_duplicate(act: Act) -> str:
    original_id = (act.form.get("original") or "").strip()[:32]
    original = await reports.get_by_public_id(act.work.session, public_id=original_id)
    told = await domain.mark_duplicate(act.work, act.report, original, note=act.form.get("note"))
    return act.tn(N_("console.duplicate_marked"), told, original=original_id, n=told)


async def hide(act: Act) -> str:
    reason = act.form.get("reason") or ""
    if reason == OWN_REASON or reason not in HIDE_REASONS:
        reason = act.form.get("own_reason") or ""
    await domain.hide(act.work, act.report, reason)
    return act.t(N_("console.hidden_done"))


async def show(act: Act) -> str:
    await domain.show(act.work, act.report)
    return act.t(N_("console.shown_done"))


# The report page's actions, each a form POSTed to /console/reports/<id>/<name>: it calls one
# domain action and says the result (a Refused is said for it). A capability adds its own
# (acknowledge, assign, move to another body) here and its form as a Panel below.
ACTIONS: dict[str, Callable[[Act], Awaitable[str]]] = {
    "status": change_status,
    "duplicate": mark_duplicate,
    "hide": hide,
    "show": show,
}


@dataclass(frozen=True, slots=True)
class Panel:
    """A section of the report page a capability adds: its template (rendered with the
    page's context plus what `context` gives) under the built-in actions."""

    template: str
    context: Callable[[Console, AsyncSession, Report, str], Awaitable[dict[str, Any]]]


PANELS: list[Panel] = []


def _action(name: str) -> Any:
    async def handler(request: web.Request) -> web.Response:
        return await _act(request, name)

    return handler


async def get_page(request: web.Request) -> web.Response:
    return await report_page(request)


def routes(app: web.Application) -> None:
    app.router.add_get("/reports/{public_id}", get_page)
    for name in ACTIONS:
        app.router.add_post(f"/reports/{{public_id}}/{name}", _action(name))
