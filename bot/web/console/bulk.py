"""Many reports at once from the queue: one status and one note, an assignee (the member or
a colleague), or another body with a reason, for every report ticked, each through the
domain's action in its own transaction (one refused does not undo the others). The answer
says how many changed and which were refused, and why."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from multidict import MultiDict, MultiMapping

from bot.domain import handling
from bot.domain import reports as domain
from bot.domain.actors import Forbidden
from bot.domain.errors import Refused
from bot.domain.work import Work
from bot.i18n import N_
from bot.web.console import filters
from bot.web.console.app import Console, console_of, form_of, render, staff_of, viewer_of, work
from bot.web.console.handling import colleague
from bot.web.console.queue import BULK_STATUSES, queue_context
from bot.web.console.refusals import refusal_text
from bot.web.console.report import public_note
from storage.models import Report, ReportStatus
from storage.repos import reports

BULK_MAX = 500


@dataclass(frozen=True, slots=True)
class BulkResult:
    changed: int
    refused: list[tuple[str, str]]  # (public id, why)
    told: int


async def bulk(request: web.Request) -> web.StreamResponse:
    console = console_of(request)
    language = staff_of(request).language
    form = form_of(request)
    back = MultiDict((k, v) for k, v in form.items() if k.startswith("f_") for k in (k[2:],))
    qf = filters.parse(back, console.services.city, viewer_of(request))
    ids: list[int] = []
    for value in form.getall("id", [])[:BULK_MAX]:
        if isinstance(value, str) and value.isdigit() and int(value) not in ids:
            ids.append(int(value))
    error = None
    result = None
    do = form.get("do") or "status"
    act = _action(form, do, console)
    if act is None:
        error = console.t(language, BULK_PICK.get(do, BULK_PICK["status"]))
    elif not ids:
        error = console.t(language, N_("console.bulk_pick_reports"))
    else:
        result = await _change(request, ids, act)
    context = await queue_context(request, qf)
    return render(request, "queue.html", bulk_result=result, bulk_error=error, **context)


Action = Callable[[Work, Report], Awaitable[int]]
# What a bulk form lacks, by its button: the sentence asking for it.
BULK_PICK = {
    "status": N_("console.bulk_pick_status"),
    "assign": N_("desk.bulk_pick_assignee"),
    "move": N_("desk.bulk_pick_body"),
}


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _action(form: MultiMapping[Any], do: str, console: Console) -> Action | None:
    """The domain action the form asks for each report, None when it lacks what it needs."""
    if do == "assign":
        value = _text(form.get("assignee")) or ""
        if not value:
            return None

        async def assign(unit: Work, report: Report) -> int:
            await handling.assign(unit, report, await colleague(unit, value))
            return 0

        return assign
    if do == "move":
        body = (_text(form.get("body")) or "")[:32]
        reason = _text(form.get("reason")) or ""
        if not body:
            return None

        async def move(unit: Work, report: Report) -> int:
            await handling.reassign(unit, report, body, reason)
            return 0

        return move
    try:
        to = ReportStatus(form.get("status") or "")
    except ValueError:
        return None
    if to not in BULK_STATUSES:
        return None
    note = public_note(console, form)

    async def change(unit: Work, report: Report) -> int:
        return await domain.change_status(unit, report, to, note=note)

    return change


async def _change(request: web.Request, ids: list[int], act: Action) -> BulkResult:
    console = console_of(request)
    language = staff_of(request).language
    changed = told = 0
    refused: list[tuple[str, str]] = []
    for report_id in ids:
        public_id = f"#{report_id}"
        try:
            async with work(request) as unit:
                report = await reports.get_for_update(unit.session, report_id=report_id)
                if report is None:
                    continue
                public_id = report.public_id
                told += await act(unit, report)
        except Refused as refusal:
            refused.append((public_id, refusal_text(console, language, refusal)))
        except Forbidden:
            raise web.HTTPForbidden() from None
        else:
            changed += 1
    return BulkResult(changed=changed, refused=refused, told=told)


def routes(app: web.Application) -> None:
    app.router.add_post("/bulk", bulk)
