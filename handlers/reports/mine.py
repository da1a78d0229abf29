"""My reports: /myreports (the citizen's own reports and the ones they follow, a page at a
time), a report's card as a citizen sees it, with its history, and unfollowing.

A hidden report is hidden from the public (open data, Open311, followers, other citizens,
the nearby-duplicates offer), not from its reporter: they alone still find it in /myreports,
marked as not public with the reason staff gave, and follow it as before. A rejected report
shows the rejection's reason and offers a new report, never "Not fixed" (reopen.py).

Buttons (buttons.py): myp:<page> a page of /myreports, myo:<report id> the card (open_report.py:
staff get the staff view), mynf:<report id> "Not fixed" (reopen.py), myuf:<report id> stop
following.
"""

from __future__ import annotations

import math

from bot.core.context import Context
from bot.core.messages import Button, IncomingMessage, Rows, rows
from bot.core.router import Router
from bot.domain import reports as domain
from bot.domain.errors import Refused
from bot.domain.report_news import NEW_REPORT_LABEL, hide_reason
from bot.i18n import N_
from handlers.menu import main_menu, menu_entry
from handlers.reports.buttons import MyPage, NotFixed, OpenReport, Unfollow
from handlers.reports.reopen import leave_reopen, new_report_button
from handlers.reports.views import (
    category_label,
    district_label,
    find_report,
    history_text,
    report_card,
    say_unavailable,
    send_photos,
    status_label,
)
from storage.models import Report, ReportStatus
from storage.repos import reports

router = Router("report_mine")

PAGE_SIZE = 5
MAX_PAGE = 10**6  # a page number beyond any list: the last page is shown


# -- /myreports ---------------------------------------------------------------------------


@menu_entry("myreports")
async def show_my_reports(ctx: Context, page: int = 0) -> None:
    leave_reopen(ctx)
    assert ctx.citizen.id is not None
    page = max(page, 0)
    found, total = await reports.visible_for_citizen(
        ctx.session, citizen_id=ctx.citizen.id, offset=page * PAGE_SIZE, limit=PAGE_SIZE
    )
    pages = max(1, math.ceil(total / PAGE_SIZE))
    if not found and page > 0 and total:
        return await show_my_reports(ctx, pages - 1)
    if not found:
        ctx.reply(ctx.t("followup.none"), main_menu(ctx))
        return
    lines = [ctx.t("followup.list_title", total=total, page=page + 1, pages=pages)]
    lines += [_list_line(ctx, report) for report in found]
    buttons: list[Button | tuple[Button, ...]] = [
        OpenReport(report.id or 0).button(f"📄 {report.public_id}") for report in found
    ]
    nav = []
    if page > 0:
        nav.append(MyPage(page - 1).button("◀️"))
    if page + 1 < pages:
        nav.append(MyPage(page + 1).button("▶️"))
    if nav:
        buttons.append(tuple(nav))
    ctx.reply("\n\n".join(lines), rows(*buttons))


def _list_line(ctx: Context, report: Report) -> str:
    mine = report.reporter_id == ctx.citizen.id
    key = N_("followup.list_line") if mine else N_("followup.list_line_followed")
    status = status_label(ctx, report.status)
    if report.hidden:  # only its reporter lists a hidden report
        status += " · " + ctx.t("followup.hidden_mark")
    return ctx.t(
        key,
        id=report.public_id,
        status=status,
        category=category_label(ctx, report.category),
        district=district_label(ctx, report.district),
        when=ctx.when(report.created_at),
    )


@router.command("myreports")
async def on_myreports(msg: IncomingMessage, ctx: Context) -> None:
    await show_my_reports(ctx)


@router.button(MyPage)
async def on_page(msg: IncomingMessage, ctx: Context) -> None:
    await show_my_reports(ctx, min(MyPage.of(msg).page, MAX_PAGE))


# -- the card ----------------------------------------------------------------------------


async def show_citizen_card(ctx: Context, report: Report) -> None:
    """The report as its reporter or a follower sees it (the caller checked they may)."""
    leave_reopen(ctx)
    photos = await reports.photos(ctx.session, report_id=report.id)
    await send_photos(ctx, report, [photo.name for photo in photos])
    lines = [report_card(ctx, report, photos=len(photos))]
    if report.duplicate_of_id is not None:
        original = await reports.get(ctx.session, report_id=report.duplicate_of_id)
        if original is not None:
            lines.append(ctx.t("followup.duplicate_of", id=original.public_id))
    mine = report.reporter_id == ctx.citizen.id
    if not mine:
        lines.append(ctx.t("followup.you_follow"))
    if report.hidden:
        reason = hide_reason(ctx.t, await reports.hide_note(ctx.session, report_id=report.id))
        hidden = [ctx.t("followup.hidden_yours")]
        if reason:
            hidden.append(ctx.t("followup.notify_reason", note=reason))
        lines.append("\n".join(hidden))
    if report.status == ReportStatus.REJECTED:
        reason = await _rejection_reason(ctx, report)
        if reason:
            lines.append(ctx.t("followup.rejected_reason", note=reason))
    events = await reports.history(ctx.session, report_id=report.id)
    lines.append(history_text(ctx, events))
    ctx.reply("\n\n".join(lines), _detail_buttons(ctx, report, mine))


def _detail_buttons(ctx: Context, report: Report, mine: bool) -> Rows:
    buttons = []
    if mine and domain.can_reopen(ctx.work, report):
        buttons.append(NotFixed(report.id or 0).button(ctx.t("followup.btn_not_fixed")))
    if mine and report.status == ReportStatus.REJECTED:
        buttons.append(new_report_button(ctx.t(NEW_REPORT_LABEL)))
    if not mine:
        buttons.append(Unfollow(report.id or 0).button(ctx.t("followup.btn_unfollow")))
    buttons.append(MyPage(0).button(ctx.t("followup.btn_my_reports")))
    return rows(*buttons)


async def _rejection_reason(ctx: Context, report: Report) -> str | None:
    assert report.id is not None
    notes = await reports.latest_status_notes(ctx.session, report_ids=[report.id])
    return notes.get(report.id)


# -- unfollowing --------------------------------------------------------------------------


@router.button(Unfollow)
async def on_unfollow(msg: IncomingMessage, ctx: Context) -> None:
    report = await find_report(ctx, Unfollow.of(msg).report)
    if report is None:
        return say_unavailable(ctx)
    try:
        await domain.unfollow(ctx.work, report)
    except Refused:
        return say_unavailable(ctx)
    leave_reopen(ctx)
    ctx.reply(ctx.t("followup.unfollowed", id=report.public_id), main_menu(ctx))
