"""Following reports up: /myreports, a report's details and history, "Not fixed" (reopening
a resolved report within 14 days) and unfollowing. `/report SOF-…` lands in
`open_by_public_id`, which shows staff the staff view and citizens only their own or followed
reports.

A hidden report is hidden from the public (open data, Open311, followers, other citizens,
the nearby-duplicates offer), not from its reporter: they alone still find it in /myreports,
marked as not public with the reason staff gave, and follow it as before. A rejected report
shows the rejection's reason and offers a new report, never "Not fixed".

Buttons (payload prefixes): myp:<page> a page of /myreports, myo:<report id> details,
mynf:<report id> "Not fixed", myuf:<report id> stop following, myx cancel the comment.
"""

from __future__ import annotations

import logging
import math

from bot.core.context import Context
from bot.core.messages import Button, IncomingMessage, Kind, Rows, rows
from bot.core.router import Router
from bot.domain import reports as domain
from bot.domain.errors import Refused
from bot.domain.report_news import NEW_REPORT_LABEL, NEW_REPORT_PAYLOAD, hide_reason
from bot.domain.reports import COMMENT_MAX, COMMENT_MIN
from bot.i18n import N_
from handlers.menu import main_menu, menu_entry
from handlers.refusals import refusal_text
from handlers.report_views import (
    category_label,
    district_label,
    history_text,
    report_card,
    status_label,
)
from storage.models import Report, ReportStatus, Role
from storage.repos import reports

log = logging.getLogger(__name__)
router = Router("report_detail")

PAGE_SIZE = 5
REOPEN = "followup.reopen"


# -- /myreports ---------------------------------------------------------------------------


@menu_entry("myreports")
async def show_my_reports(ctx: Context, page: int = 0) -> None:
    _leave_reopen(ctx)
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
        Button(f"📄 {report.public_id}", payload=f"myo:{report.id}") for report in found
    ]
    nav = []
    if page > 0:
        nav.append(Button("◀️", payload=f"myp:{page - 1}"))
    if page + 1 < pages:
        nav.append(Button("▶️", payload=f"myp:{page + 1}"))
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


@router.button("myp")
async def on_page(msg: IncomingMessage, ctx: Context) -> None:
    arg = _arg(msg)
    if not arg.isdigit() or len(arg) > 6:
        return _stale(ctx)
    await show_my_reports(ctx, int(arg))


# -- details ------------------------------------------------------------------------------


async def open_by_public_id(ctx: Context, public_id: str) -> None:
    """`/report SOF-…`: staff get the staff view, the reporter (hidden report or not) and
    followers (of a report the public sees) the citizen view, anyone else "not found"."""
    report = await reports.get_by_public_id(ctx.session, public_id=public_id[:32])
    if report is not None and await domain.may_see(ctx.work, report):
        await show_report(ctx, report)
        return
    ctx.reply(ctx.t("report.not_found", id=public_id.upper()[:32]))


async def show_report(ctx: Context, report: Report) -> None:
    """The report as the one asking may see it (the caller checked they may)."""
    if ctx.role.at_least(Role.STAFF):
        from handlers.staff import show_staff_view

        await show_staff_view(ctx, report)
        return
    _leave_reopen(ctx)
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
        buttons.append(Button(ctx.t("followup.btn_not_fixed"), payload=f"mynf:{report.id}"))
    if mine and report.status == ReportStatus.REJECTED:
        buttons.append(new_report_button(ctx.t(NEW_REPORT_LABEL)))
    if not mine:
        buttons.append(Button(ctx.t("followup.btn_unfollow"), payload=f"myuf:{report.id}"))
    buttons.append(Button(ctx.t("followup.btn_my_reports"), payload="myp:0"))
    return rows(*buttons)


async def send_photos(ctx: Context, report: Report, names: list[str]) -> None:
    """Each photo as an image message, captioned with the report's id."""
    store = ctx.services.photos
    if store is None:
        return
    for number, name in enumerate(names, start=1):
        try:
            content = await store.read(name)
        except (FileNotFoundError, ValueError):
            log.warning("photo %d of report %s is missing", number, report.public_id)
            continue
        ctx.reply(f"📷 {report.public_id} ({number}/{len(names)})", image=content)


@router.button("myo")
async def on_open(msg: IncomingMessage, ctx: Context) -> None:
    report = await _report_from(msg, ctx)
    if report is None or not await domain.may_see(ctx.work, report):
        return _unavailable(ctx)
    await show_report(ctx, report)


async def _rejection_reason(ctx: Context, report: Report) -> str | None:
    assert report.id is not None
    notes = await reports.latest_status_notes(ctx.session, report_ids=[report.id])
    return notes.get(report.id)


# -- "Not fixed": reopening ---------------------------------------------------------------


def _reopen_refusal(ctx: Context, report: Report) -> str | None:
    """Why this citizen cannot reopen the report now (the domain's reason in their words), or
    None when they can."""
    refusal = domain.reopen_refusal(ctx.work, report)
    return _say_refusal(ctx, report, refusal) if refusal is not None else None


def _say_refusal(ctx: Context, report: Report, refusal: Refused) -> str:
    return refusal_text(ctx, refusal, id=report.public_id)


@router.button("mynf")
async def on_not_fixed(msg: IncomingMessage, ctx: Context) -> None:
    report = await _report_from(msg, ctx)
    if report is None:
        return _unavailable(ctx)
    refusal = _reopen_refusal(ctx, report)
    if refusal:
        ctx.reply(refusal, _refusal_buttons(ctx, report))
        return
    ctx.state.set(REOPEN, report_id=report.id)
    ctx.reply(
        ctx.t("followup.ask_comment", id=report.public_id, min=COMMENT_MIN, max=COMMENT_MAX),
        rows(Button(ctx.t("followup.btn_cancel"), payload="myx")),
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
    report = (
        await reports.get_for_update(ctx.session, report_id=report_id)
        if isinstance(report_id, int)
        else None
    )
    if report is None:
        return _unavailable(ctx)
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
        rows(Button(ctx.t("followup.btn_cancel"), payload="myx")),
    )


@router.button("myx")
async def on_cancel_comment(msg: IncomingMessage, ctx: Context) -> None:
    if ctx.state.name != REOPEN:
        return _stale(ctx)
    ctx.state.clear()
    ctx.reply(ctx.t("followup.reopen_cancelled"), main_menu(ctx))


def new_report_button(label: str) -> Button:
    """Files a new report (the main menu's entry): the way on after a rejection."""
    return Button(label, payload=NEW_REPORT_PAYLOAD)


def _refusal_buttons(ctx: Context, report: Report) -> Rows:
    if report.reporter_id == ctx.citizen.id and report.status == ReportStatus.REJECTED:
        return rows(new_report_button(ctx.t(NEW_REPORT_LABEL)))
    return main_menu(ctx)


# -- unfollowing --------------------------------------------------------------------------


@router.button("myuf")
async def on_unfollow(msg: IncomingMessage, ctx: Context) -> None:
    report = await _report_from(msg, ctx)
    if report is None:
        return _unavailable(ctx)
    try:
        await domain.unfollow(ctx.work, report)
    except Refused:
        return _unavailable(ctx)
    _leave_reopen(ctx)
    ctx.reply(ctx.t("followup.unfollowed", id=report.public_id), main_menu(ctx))


# -- helpers ------------------------------------------------------------------------------


async def _report_from(msg: IncomingMessage, ctx: Context) -> Report | None:
    arg = _arg(msg)
    if not arg.isdigit() or len(arg) > 12:
        return None
    return await reports.get(ctx.session, report_id=int(arg))


def _leave_reopen(ctx: Context) -> None:
    """Browsing away drops an unanswered "Not fixed" question (not other flows)."""
    if ctx.state.name == REOPEN:
        ctx.state.clear()


def _unavailable(ctx: Context) -> None:
    ctx.reply(ctx.t("followup.unavailable"), main_menu(ctx))


def _stale(ctx: Context) -> None:
    ctx.reply(ctx.t("fallback.button"), main_menu(ctx))


def _arg(msg: IncomingMessage) -> str:
    return (msg.payload or "").partition(":")[2]
