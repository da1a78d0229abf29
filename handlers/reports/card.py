"""The body's work on a report from its staff card (triage.py's staff view): Assign to me,
Assign to… a colleague, an internal note, Move to another body; and Acknowledge for a report
that was triaged before it was acknowledged. The rules are bot/domain/handling.py's (the
tapper's role and body, the assignee's body, the report's state, the texts' lengths); this
module asks, calls and says.

"Assign to…" lists the body's staff by their public ref (as staff are shown everywhere: never a
name or a phone number); its buttons carry the report and the colleague, so they work from the
team chat too (handlers/bodies/actions.py offers "Assign to…" there). An internal note and a
move ask for text: their steps are the table WORK at the end, their state desk.py's. Nothing
here is sent to the citizen; a moved report's new body is told by the domain
(bot/domain/body_news.py).
"""

from __future__ import annotations

from bot.core.context import Context
from bot.core.conversation import Conversation
from bot.core.messages import Button, IncomingMessage, Kind, rows
from bot.core.router import Router
from bot.domain import handling
from bot.domain.bodies import check_body
from bot.domain.errors import Refused
from bot.i18n import N_
from handlers.refusals import refusal_text
from handlers.reports import desk
from handlers.reports.buttons import (
    AssignPick,
    AssignTo,
    CancelAction,
    CardAcknowledge,
    CardAssignMe,
    MoveBody,
    MoveStart,
    NoteStart,
    StaffOpen,
)
from handlers.reports.desk import MOVE_BODY, MOVE_REASON, WORK_NOTE
from handlers.reports.triage import show_staff_view
from handlers.reports.views import find_report
from storage.models import Report, Role
from storage.refs import public_ref
from storage.repos import bodies as bodies_repo
from storage.repos import citizens

router = Router("report_card")

MAX_COLLEAGUES = 30  # buttons in one list; a larger body assigns by "Assign to me"


async def _show(ctx: Context, report: Report, note: str) -> None:
    await show_staff_view(ctx, report, note=note)


async def _refused(ctx: Context, report: Report, refusal: Refused) -> None:
    """A stale tap shows the card as it is now (in a group: says so); any other refusal is
    said in the domain's words."""
    if refusal.code != "stale":
        ctx.reply(refusal_text(ctx, refusal))
    elif ctx.message is not None and ctx.message.chat is not None:
        ctx.reply(ctx.t("bodies.stale", id=report.public_id))
    else:
        await _show(ctx, report, ctx.t("staff.stale"))


def _unavailable(ctx: Context) -> None:
    ctx.reply(ctx.t("staff.unavailable"))


def _open_button(ctx: Context, report: Report) -> Button:
    assert report.id is not None
    return StaffOpen(report.id).button(ctx.t("staff.btn_open", id=report.public_id))


def _cancel_button(ctx: Context) -> Button:
    return CancelAction().button(ctx.t("staff.btn_cancel"))


# -- acknowledge, assign ------------------------------------------------------------------


@router.button(CardAcknowledge, role=Role.STAFF)
async def on_acknowledge(msg: IncomingMessage, ctx: Context) -> None:
    report = await find_report(ctx, CardAcknowledge.of(msg).report, lock=True)
    if report is None:
        return _unavailable(ctx)
    try:
        await handling.acknowledge(ctx.work, report)
    except Refused as refusal:
        return await _refused(ctx, report, refusal)
    await _show(ctx, report, ctx.t("card.acknowledged", id=report.public_id))


@router.button(CardAssignMe, role=Role.STAFF)
async def on_assign_me(msg: IncomingMessage, ctx: Context) -> None:
    report = await find_report(ctx, CardAssignMe.of(msg).report, lock=True)
    if report is None:
        return _unavailable(ctx)
    try:
        await handling.assign(ctx.work, report, ctx.citizen)
    except Refused as refusal:
        return await _refused(ctx, report, refusal)
    assert ctx.citizen.id is not None
    ctx.reply(
        ctx.t("card.assigned", id=report.public_id, ref=public_ref(ctx.citizen.id)),
        rows(_open_button(ctx, report)),
    )


@router.button(AssignTo, role=Role.STAFF, in_groups=True)
async def on_assign_to(msg: IncomingMessage, ctx: Context) -> None:
    """The body's staff, one button each (the tapper's body is checked first: the list is not
    shown to another body's staff)."""
    report = await find_report(ctx, AssignTo.of(msg).report)
    if report is None:
        return _unavailable(ctx)
    try:
        await check_body(ctx.work, report)
    except Refused as refusal:
        return await _refused(ctx, report, refusal)
    if not report.is_open:
        return await _refused(ctx, report, Refused("stale", N_("staff.stale")))
    assert report.id is not None
    members = (
        await bodies_repo.members(ctx.session, body_code=report.body_code)
        if report.body_code
        else []
    )
    colleagues = [m for m in members if m != report.assignee_id][:MAX_COLLEAGUES]
    if not colleagues:
        return ctx.reply(ctx.t("card.no_colleagues", id=report.public_id))
    buttons = [AssignPick(report.id, m).button(public_ref(m)) for m in colleagues]
    ctx.reply(ctx.t("card.ask_assignee", id=report.public_id), rows(*buttons, per_row=3))


@router.button(AssignPick, role=Role.STAFF, in_groups=True)
async def on_assign_pick(msg: IncomingMessage, ctx: Context) -> None:
    tapped = AssignPick.of(msg)
    report = await find_report(ctx, tapped.report, lock=True)
    if report is None:
        return _unavailable(ctx)
    assignee = await citizens.get(ctx.session, citizen_id=tapped.staff)
    try:
        if assignee is None:
            ref = public_ref(tapped.staff)
            raise Refused("not_in_body", N_("staff.assignee_not_in_body"), ref=ref)
        await handling.assign(ctx.work, report, assignee)
    except Refused as refusal:
        return await _refused(ctx, report, refusal)
    text = ctx.t("card.assigned", id=report.public_id, ref=public_ref(tapped.staff))
    if msg.chat is not None:
        return ctx.reply(text)  # in the team chat: no staff view there
    ctx.reply(text, rows(_open_button(ctx, report)))


# -- an internal note ---------------------------------------------------------------------


@router.button(NoteStart, role=Role.STAFF)
async def on_note_start(msg: IncomingMessage, ctx: Context) -> None:
    report = await find_report(ctx, NoteStart.of(msg).report)
    if report is None:
        return _unavailable(ctx)
    try:
        await check_body(ctx.work, report)
    except Refused as refusal:
        return await _refused(ctx, report, refusal)
    desk.begin(ctx, {"id": report.id})
    WORK.goto(ctx, WORK_NOTE, report=report)


def ask_note(ctx: Context, report: Report) -> None:
    ctx.reply(ctx.t("card.ask_note", id=report.public_id), rows(_cancel_button(ctx)))


@router.state(WORK_NOTE, role=Role.STAFF)
async def on_note(msg: IncomingMessage, ctx: Context) -> None:
    report = await find_report(ctx, desk.action(ctx).get("id"))
    if report is None:
        desk.leave_action(ctx)
        return _unavailable(ctx)
    try:
        await handling.add_note(ctx.work, report, msg.text)
    except Refused as refusal:
        if refusal.code == "other_body":
            desk.leave_action(ctx)  # no longer theirs: nothing to ask again
            return ctx.reply(refusal_text(ctx, refusal))
        return ctx.reply(refusal_text(ctx, refusal), rows(_cancel_button(ctx)))
    desk.leave_action(ctx)
    ctx.reply(ctx.t("card.noted", id=report.public_id), rows(_open_button(ctx, report)))


# -- moving it to another body ------------------------------------------------------------


@router.button(MoveStart, role=Role.STAFF)
async def on_move_start(msg: IncomingMessage, ctx: Context) -> None:
    report = await find_report(ctx, MoveStart.of(msg).report)
    if report is None:
        return _unavailable(ctx)
    try:
        await check_body(ctx.work, report)
    except Refused as refusal:
        return await _refused(ctx, report, refusal)
    if not report.is_open:
        return await _refused(ctx, report, Refused("stale", N_("staff.stale")))
    desk.begin(ctx, {"id": report.id})
    WORK.goto(ctx, MOVE_BODY, report=report)


def ask_body(ctx: Context, report: Report) -> None:
    """Every other body of the city, by its name in the reader's language."""
    bodies = [b for b in ctx.services.city.bodies.bodies if b.code != report.body_code]
    buttons = [MoveBody(b.code).button(b.name(ctx.language)) for b in bodies]
    ctx.reply(
        ctx.t("card.ask_body", id=report.public_id),
        rows(*buttons, _cancel_button(ctx), per_row=2),
    )


@router.button(MoveBody, role=Role.STAFF, state=MOVE_BODY)
async def on_move_body(msg: IncomingMessage, ctx: Context) -> None:
    action = desk.action(ctx)
    report = await find_report(ctx, action.get("id"))
    if report is None:
        desk.leave_action(ctx)
        return _unavailable(ctx)
    body = ctx.services.city.body(MoveBody.of(msg).code)
    if body is None or body.code == report.body_code:
        return WORK.ask_again(ctx, report=report)  # not one of the bodies offered
    desk.begin(ctx, {**action, "body": body.code})
    WORK.goto(ctx, MOVE_REASON, report=report)


def ask_reason(ctx: Context, report: Report) -> None:
    body = ctx.services.city.body(str(desk.action(ctx).get("body")))
    name = body.name(ctx.language) if body is not None else "—"
    ctx.reply(
        ctx.t("card.ask_move_reason", id=report.public_id, body=name), rows(_cancel_button(ctx))
    )


@router.state(MOVE_REASON, role=Role.STAFF)
async def on_move_reason(msg: IncomingMessage, ctx: Context) -> None:
    action = desk.action(ctx)
    report = await find_report(ctx, action.get("id"), lock=True)
    if report is None:
        desk.leave_action(ctx)
        return _unavailable(ctx)
    code = str(action.get("body"))
    try:
        await handling.reassign(ctx.work, report, code, msg.text)
    except Refused as refusal:
        if refusal.code in ("reason_needed", "note_too_long"):
            return ctx.reply(refusal_text(ctx, refusal), rows(_cancel_button(ctx)))
        desk.leave_action(ctx)
        return await _refused(ctx, report, refusal)
    desk.leave_action(ctx)
    body = ctx.services.city.body(code)
    assert body is not None
    ctx.reply(ctx.t("card.moved", id=report.public_id, body=body.name(ctx.language)))


@router.state(
    WORK_NOTE, MOVE_REASON, kinds=(Kind.LOCATION, Kind.PHOTO, Kind.CONTACT), role=Role.STAFF
)
async def on_wrong_kind(msg: IncomingMessage, ctx: Context) -> None:
    ctx.reply(ctx.t("staff.text_expected"), rows(_cancel_button(ctx)))


@router.state(
    MOVE_BODY, kinds=(Kind.TEXT, Kind.LOCATION, Kind.PHOTO, Kind.CONTACT), role=Role.STAFF
)
async def on_move_body_other(msg: IncomingMessage, ctx: Context) -> None:
    """Anything but a body's button: ask again."""
    report = await find_report(ctx, desk.action(ctx).get("id"))
    if report is None:
        desk.leave_action(ctx)
        return _unavailable(ctx)
    WORK.ask_again(ctx, report=report)


# The questions the body's work asks: each step and what entering it asks about the report.
WORK = Conversation(
    "staff",
    {WORK_NOTE: ask_note, MOVE_BODY: ask_body, MOVE_REASON: ask_reason},
)
