"""Opening one report: `/report SOF-…` and the 📄 buttons (myo:<report id>, in /myreports
and in the news): staff get the staff view (triage.py), the reporter (hidden report or not)
and followers (of a report the public sees) the citizen's card (mine.py), anyone else
"not found"."""

from __future__ import annotations

from bot.core.context import Context
from bot.core.messages import IncomingMessage
from bot.core.router import Router
from bot.domain import reports as domain
from handlers.reports.buttons import OpenReport
from handlers.reports.mine import show_citizen_card
from handlers.reports.triage import show_staff_view
from handlers.reports.views import find_report, say_unavailable
from storage.models import Report, Role
from storage.repos import reports

router = Router("report_open")


async def open_by_public_id(ctx: Context, public_id: str) -> None:
    """`/report SOF-…`: the report as the one asking may see it, or "not found"."""
    report = await reports.get_by_public_id(ctx.session, public_id=public_id[:32])
    if report is not None and await domain.may_see(ctx.work, report):
        await show_report(ctx, report)
        return
    ctx.reply(ctx.t("report.not_found", id=public_id.upper()[:32]))


async def show_report(ctx: Context, report: Report) -> None:
    """The report as the one asking may see it (the caller checked they may)."""
    if ctx.role.at_least(Role.STAFF):
        await show_staff_view(ctx, report)
        return
    await show_citizen_card(ctx, report)


@router.button(OpenReport)
async def on_open(msg: IncomingMessage, ctx: Context) -> None:
    report = await find_report(ctx, OpenReport.of(msg).report)
    if report is None or not await domain.may_see(ctx.work, report):
        return say_unavailable(ctx)
    await show_report(ctx, report)
