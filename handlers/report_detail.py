"""Following reports up: opening one by its public id. (Being extended.)"""

from __future__ import annotations

from bot.core.context import Context
from bot.core.router import Router
from handlers.report_views import report_card
from storage.repos import reports

router = Router("report_detail")


async def open_by_public_id(ctx: Context, public_id: str) -> None:
    report = await reports.get_by_public_id(ctx.session, public_id=public_id)
    if report is None or report.hidden:
        ctx.reply(ctx.t("report.not_found", id=public_id.upper()[:32]))
        return
    ctx.reply(report_card(ctx, report))
