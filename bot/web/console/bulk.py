"""Many reports at once from the queue: one status and one note for every report ticked,
each through the domain's status change in its own transaction (one refused does not undo
the others). The answer says how many changed and which were refused, and why."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web
from multidict import MultiDict

from bot.domain import reports as domain
from bot.domain.actors import Forbidden
from bot.domain.errors import Refused
from bot.i18n import N_
from bot.web.console import filters
from bot.web.console.app import console_of, form_of, render, staff_of, work
from bot.web.console.queue import BULK_STATUSES, queue_context
from bot.web.console.refusals import refusal_text
from storage.models import ReportStatus
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
    qf = filters.parse(back, console.services.city)
    ids: list[int] = []
    for value in form.getall("id", [])[:BULK_MAX]:
        if isinstance(value, str) and value.isdigit() and int(value) not in ids:
            ids.append(int(value))
    error = None
    result = None
    try:
        to = ReportStatus(form.get("status") or "")
        if to not in BULK_STATUSES:
            raise ValueError(to)
    except ValueError:
        error = console.t(language, N_("console.bulk_pick_status"))
    else:
        if not ids:
            error = console.t(language, N_("console.bulk_pick_reports"))
        else:
            result = await _change(request, ids, to, form.get("note"))
    context = await queue_context(request, qf)
    return render(request, "queue.html", bulk_result=result, bulk_error=error, **context)


async def _change(
    request: web.Request, ids: list[int], to: ReportStatus, note: object
) -> BulkResult:
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
                told += await domain.change_status(
                    unit, report, to, note=note if isinstance(note, str) else None
                )
        except Refused as refusal:
            refused.append((public_id, refusal_text(console, language, refusal)))
        except Forbidden:
            raise web.HTTPForbidden() from None
        else:
            changed += 1
    return BulkResult(changed=changed, refused=refused, told=told)


def routes(app: web.Application) -> None:
    app.router.add_post("/bulk", bulk)
