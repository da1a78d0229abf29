"""The buttons of a body's notification (bot/domain/body_news.py), in a staff member's private
chat or in the team chat: Acknowledge, Assign to me, Open; and a combined message's (many
new reports at once) New reports: the /reports list of new ones.

The routes need Role.STAFF, so a citizen who taps in the team chat is refused by the
dispatcher; bot/domain/handling.py then checks the tapper's own bodies (staff of another
body: "other_body") and the report's state (acknowledged already, closed: "stale"). In a
group the answer is posted there, naming the staff member by their public ref; Open sends the
staff view (bot's existing one, handlers/reports/triage.py) to the tapper's private chat, never
to the group (it may hold a contact phone); so does New reports, with the list."""

from __future__ import annotations

from dataclasses import replace

from bot.core.context import Context
from bot.core.messages import IncomingMessage
from bot.core.router import Router
from bot.domain import handling
from bot.domain.errors import Refused
from handlers.bodies.buttons import Acknowledge, AssignMe, ListNew, OpenForStaff
from handlers.refusals import refusal_text
from handlers.reports.staff_list import show_new
from handlers.reports.triage import show_staff_view
from handlers.reports.views import find_report
from storage.models import Report, Role
from storage.refs import public_ref

router = Router("bodies.actions")


@router.button(Acknowledge, role=Role.STAFF, in_groups=True)
async def on_acknowledge(msg: IncomingMessage, ctx: Context) -> None:
    report = await find_report(ctx, Acknowledge.of(msg).report, lock=True)
    if report is None:
        return ctx.reply(ctx.t("bodies.report_gone"))
    try:
        await handling.acknowledge(ctx.work, report)
    except Refused as refusal:
        return _refused(ctx, report, refusal)
    ctx.reply(ctx.t("bodies.acknowledged", id=report.public_id, by=_me(ctx)))


@router.button(AssignMe, role=Role.STAFF, in_groups=True)
async def on_assign_me(msg: IncomingMessage, ctx: Context) -> None:
    report = await find_report(ctx, AssignMe.of(msg).report, lock=True)
    if report is None:
        return ctx.reply(ctx.t("bodies.report_gone"))
    try:
        await handling.assign(ctx.work, report, ctx.citizen)
    except Refused as refusal:
        return _refused(ctx, report, refusal)
    ctx.reply(ctx.t("bodies.assigned", id=report.public_id, by=_me(ctx)))


@router.button(OpenForStaff, role=Role.STAFF, in_groups=True)
async def on_open(msg: IncomingMessage, ctx: Context) -> None:
    ctx.message = replace(msg, chat=None)  # the staff view goes to the tapper's own chat
    report = await find_report(ctx, OpenForStaff.of(msg).report)
    if report is None:
        return ctx.reply(ctx.t("bodies.report_gone"))
    await show_staff_view(ctx, report)


@router.button(ListNew, role=Role.STAFF, in_groups=True)
async def on_list_new(msg: IncomingMessage, ctx: Context) -> None:
    ctx.message = replace(msg, chat=None)  # the list goes to the tapper's own chat
    await show_new(ctx)


def _me(ctx: Context) -> str:
    assert ctx.citizen.id is not None
    return public_ref(ctx.citizen.id)


def _refused(ctx: Context, report: Report, refusal: Refused) -> None:
    if refusal.code == "stale":
        ctx.reply(ctx.t("bodies.stale", id=report.public_id))
    else:
        ctx.reply(refusal_text(ctx, refusal))
