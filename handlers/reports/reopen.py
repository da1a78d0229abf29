"""Reopening ("Not fixed"): the reporter reopens a resolved report within 14 days, with a comment
(the rules are bot/domain/reports.py's `reopen_refusal` and `reopen`).

Buttons (buttons.py): mynf:<report id> "Not fixed" (on the card and in the news of a
resolution), myx cancel the comment.
"""

from __future__ import annotations

from bot.core.context import Context
from bot.core.messages import Button, IncomingMessage, Kind, Rows, rows
from bot.core.router import Router
from bot.domain import reports as domain
from bot.domain.errors import Refused
from bot.domain.report_news import NEW_REPORT_LABEL, NEW_REPORT_PAYLOAD
from bot.domain.reports import COMMENT_MAX, COMMENT_MIN
from handlers.menu import main_menu
from handlers.refusals import refusal_text
from handlers.reports.buttons import CancelComment, NotFixed
from handlers.reports.views import find_report, say_unavailable
from storage.models import Report, ReportStatus

router = Router("report_reopen")

REOPEN = "followup.reopen"


def _reopen_refusal(ctx: Context, report: Report) -> str | None:
    """Why this citizen cannot reopen the report now (the domain's reason in their words), or
    None when they can."""
    refusal = domain.reopen_refusal(ctx.work, report)
    return _say_refusal(ctx, report, refusal) if refusal is not None else None


def _say_refusal(ctx: Context, report: Report, refusal: Refused) -> str:
    return refusal_text(ctx, refusal, id=report.public_id)


@router.button(NotFixed)
async def on_not_fixed(msg: IncomingMessage, ctx: Context) -> None:
    report = await find_report(ctx, NotFixed.of(msg).report)
    if report is None:
        return say_unavailable(ctx)
    refusal = _reopen_refusal(ctx, report)
    if refusal:
        ctx.reply(refusal, _refusal_buttons(ctx, report))
        return
    ctx.state.set(REOPEN, report_id=report.id)
    ctx.reply(
        ctx.t("followup.ask_comment", id=report.public_id, min=COMMENT_MIN, max=COMMENT_MAX),
        rows(CancelComment().button(ctx.t("followup.btn_cancel"))),
    )


@router.state(REOPEN)
async def on_comment(msg: IncomingMessage, ctx: Context) -> None:
    try:
        comment = domain.check_comment(msg.text)
    except Refused as refusal:
        ctx.reply(refusal_text(ctx, refusal))
        return
    report_id = ctx.state.data.get("report_id")
    ctx.state.clear()
    report = await find_report(ctx, report_id, lock=True)
    if report is None:
        return say_unavailable(ctx)
    try:
        await domain.reopen(ctx.work, report, comment)
    except Refused as refusal:
        ctx.reply(_say_refusal(ctx, report, refusal), _refusal_buttons(ctx, report))
        return
    ctx.reply(ctx.t("followup.reopened", id=report.public_id), main_menu(ctx))


@router.state(REOPEN, kinds=(Kind.LOCATION, Kind.PHOTO, Kind.CONTACT))
async def on_comment_wrong_kind(msg: IncomingMessage, ctx: Context) -> None:
    ctx.reply(
        ctx.t("followup.comment_expected"),
        rows(CancelComment().button(ctx.t("followup.btn_cancel"))),
    )


@router.button(CancelComment, state=REOPEN)
async def on_cancel_comment(msg: IncomingMessage, ctx: Context) -> None:
    ctx.state.clear()
    ctx.reply(ctx.t("followup.reopen_cancelled"), main_menu(ctx))


def new_report_button(label: str) -> Button:
    """Files a new report (the main menu's entry): the way on after a rejection."""
    return Button(label, payload=NEW_REPORT_PAYLOAD)


def _refusal_buttons(ctx: Context, report: Report) -> Rows:
    if report.reporter_id == ctx.citizen.id and report.status == ReportStatus.REJECTED:
        return rows(new_report_button(ctx.t(NEW_REPORT_LABEL)))
    return main_menu(ctx)


def leave_reopen(ctx: Context) -> None:
    """Browsing away drops an unanswered "Not fixed" question (not other flows)."""
    if ctx.state.name == REOPEN:
        ctx.state.clear()
