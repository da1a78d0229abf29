"""Staff triage of one report: its staff view (`/report SOF-…` through open_report.py, or a list's
button), status changes with a public note, duplicates, hiding.

Every route needs Role.STAFF, so the dispatcher refuses citizens before a handler runs; each
handler still re-reads the report and re-checks the state, so stale or forged buttons get a
polite answer. The rules (which changes, the notes, the audit, the news) are the domain's:
bot/domain/reports.py; this module is the conversation around them. Staff never see who a
citizen is: no platform name or user id, and a phone number only when the citizen shared it
for this report on purpose.

Buttons (buttons.py): sto:<report id> the staff view, sts:<report id>:<status> change the
status, sth:<report id>:<1|0> hide or unhide, shr:<n> one of the common reasons for hiding,
shy yes, hide it; stn:<template> one of the pack's note templates as the note; stk skip the
note, stx cancel. The questions a change asks are one table, TRIAGE, at the end; their state
is desk.py's.

Hiding takes three steps: Hide → a reason (a common one from a button, or written) → a
confirmation naming it; the reporter is told the reason and still follows the report.
Showing it again is one tap (nothing is lost by it).
"""

from __future__ import annotations

from bot.core.context import Context
from bot.core.conversation import Conversation
from bot.core.messages import Button, IncomingMessage, Kind, Rows, rows
from bot.core.router import Router
from bot.domain import reports as domain
from bot.domain.errors import Refused
from bot.domain.report_news import HIDE_REASONS, hide_reason, template_note
from bot.i18n import N_, shorten
from handlers.fallback import fallback
from handlers.refusals import refusal_text
from handlers.reports import card_view, desk
from handlers.reports.buttons import (
    CancelAction,
    HideReasonButton,
    HideToggle,
    HideYes,
    NoteTemplateButton,
    SkipNote,
    StaffOpen,
    StatusChange,
)
from handlers.reports.desk import DUPLICATE_OF, HIDE_CONFIRM, HIDE_REASON, NOTE, QUESTIONS
from handlers.reports.views import find_report, report_card, send_photos, status_label
from storage.models import Report, ReportEvent, ReportStatus, Role
from storage.refs import public_ref
from storage.repos import reports

router = Router("report_triage")

S = ReportStatus
STATUS_BUTTONS = {
    S.ACKNOWLEDGED: N_("staff.btn_acknowledge"),
    S.IN_PROGRESS: N_("staff.btn_in_progress"),
    S.RESOLVED: N_("staff.btn_resolved"),
    S.REJECTED: N_("staff.btn_reject"),
    S.DUPLICATE: N_("staff.btn_duplicate"),
}
TEMPLATE_PREVIEW = 200
"""Longest note template text listed under the question (the button sends it whole)."""
WHO = {
    "citizen": N_("staff.who_citizen"),
    "staff": N_("staff.who_staff"),
    "admin": N_("staff.who_admin"),
    "api": N_("staff.who_api"),
}


# -- the staff view of one report ---------------------------------------------------------


async def show_staff_view(ctx: Context, report: Report, note: str | None = None) -> None:
    """Details, photos, contact (only if shared for this report), the full history and the
    actions that are valid now."""
    desk.leave_action(ctx)
    photos = await reports.photos(ctx.session, report_id=report.id)
    await send_photos(ctx, report, [photo.name for photo in photos])
    lines = [report_card(ctx, report, photos=len(photos))]
    extra = []
    if report.reopened:
        extra.append(ctx.t("staff.reopened", count=report.reopened))
    if report.hidden:
        extra.append(ctx.t("staff.hidden"))
    if report.duplicate_of_id is not None:
        original = await reports.get(ctx.session, report_id=report.duplicate_of_id)
        if original is not None:
            extra.append(ctx.t("followup.duplicate_of", id=original.public_id))
    if report.reporter_id is not None:
        extra.append(ctx.t("staff.reporter", ref=public_ref(report.reporter_id)))
    if report.contact_phone:
        extra.append(ctx.t("staff.contact", phone=report.contact_phone))
    extra += await card_view.work_lines(ctx, report)
    if extra:
        lines.append("\n".join(extra))
    lines.append(staff_history(ctx, await reports.history(ctx.session, report_id=report.id)))
    if note:
        lines.insert(0, note)
    ctx.reply("\n\n".join(lines), staff_buttons(ctx, report))


def staff_buttons(ctx: Context, report: Report) -> Rows:
    assert report.id is not None
    changes = [
        StatusChange(report.id, to.value).button(ctx.t(STATUS_BUTTONS[to]))
        for to in domain.next_statuses(report)
    ]
    if report.hidden:
        moderation = HideToggle(report.id, hide=False).button(ctx.t("staff.btn_unhide"))
    else:
        moderation = HideToggle(report.id, hide=True).button(ctx.t("staff.btn_hide"))
    work = rows(*card_view.work_buttons(ctx, report), per_row=2)
    return (*rows(*changes, per_row=2), *work, (moderation,))


def staff_history(ctx: Context, events: list[ReportEvent]) -> str:
    """Every event, moderation included, with who did it (a role, never a person)."""
    lines = [ctx.t("report.history_title")]
    for event in events:
        when = ctx.when(event.at)
        who = ctx.t(WHO[event.actor_role]) if event.actor_role in WHO else event.actor_role
        if event.kind == "created":
            line = ctx.t("staff.event_created", when=when, who=who)
        elif event.kind == "status":
            line = ctx.t(
                "staff.event_status",
                when=when,
                before=status_label(ctx, event.from_status or S.NEW.value),
                after=status_label(ctx, event.to_status or S.NEW.value),
                who=who,
            )
        elif event.kind == "reopened":
            line = ctx.t("staff.event_reopened", when=when)
        elif event.kind == "hidden":
            line = ctx.t("staff.event_hidden", when=when, who=who)
        elif event.kind == "shown":
            line = ctx.t("staff.event_shown", when=when, who=who)
        else:
            line = f"{when} — {event.kind}"
        note = event.note
        if note and event.kind == "hidden":
            note = hide_reason(ctx.t, note) or note
        if note and event.kind != "created":
            line += f"\n   “{note}”"
        lines.append(line)
    return "\n".join(lines)


@router.button(StaffOpen, role=Role.STAFF)
async def on_open(msg: IncomingMessage, ctx: Context) -> None:
    report = await find_report(ctx, StaffOpen.of(msg).report)
    if report is None:
        return _unavailable(ctx)
    await show_staff_view(ctx, report)


# -- status changes -----------------------------------------------------------------------


@router.button(StatusChange, role=Role.STAFF)
async def on_status_button(msg: IncomingMessage, ctx: Context) -> None:
    tapped = StatusChange.of(msg)
    report = await find_report(ctx, tapped.report)
    if report is None:
        return _unavailable(ctx)
    target = _status(tapped.to)
    if target is None or target not in domain.next_statuses(report):
        return await show_staff_view(ctx, report, note=ctx.t("staff.stale"))
    action = {"id": report.id, "from": report.status, "to": target.value}
    desk.begin(ctx, action)
    TRIAGE.goto(ctx, DUPLICATE_OF if target is S.DUPLICATE else NOTE, report=report)


def ask_original(ctx: Context, report: Report) -> None:
    ctx.reply(ctx.t("staff.ask_original", id=report.public_id), rows(_cancel_button(ctx)))


def ask_note(ctx: Context, report: Report) -> None:
    """The note (a reason, for rejecting): written, one of the pack's note templates that suit
    the new status (a button each, their words listed), or none (Skip; never for a reason)."""
    to = str(desk.action(ctx)["to"])
    templates = ctx.services.city.note_templates_for(to)
    offered = [
        NoteTemplateButton(t.code).button(ctx.t("staff.btn_template", title=t.title(ctx.language)))
        for t in templates
    ]
    status = status_label(ctx, to)
    if to == S.REJECTED.value:
        key = N_("staff.ask_reason_templates") if templates else N_("staff.ask_reason")
        last: tuple[Button, ...] = (_cancel_button(ctx),)
    else:
        key = N_("staff.ask_note_templates") if templates else N_("staff.ask_note")
        last = (SkipNote().button(ctx.t("staff.btn_skip")), _cancel_button(ctx))
    text = ctx.t(key, id=report.public_id, status=status)
    listed = [
        ctx.t("staff.template_line", label=button.label, text=_preview(t.text(ctx.language)))
        for t, button in zip(templates, offered, strict=True)
    ]
    if listed:
        text += "\n\n" + "\n".join(listed)
    ctx.reply(text, (*rows(*offered, per_row=2), last))


def _preview(text: str) -> str:
    """A template's words as listed under the question (the whole text is what is sent)."""
    text = " ".join(text.split())
    return shorten(text, TEMPLATE_PREVIEW)


@router.state(DUPLICATE_OF, role=Role.STAFF)
async def on_original(msg: IncomingMessage, ctx: Context) -> None:
    action = desk.action(ctx)
    report = await find_report(ctx, action.get("id"))
    if report is None:
        desk.leave_action(ctx)
        return _unavailable(ctx)
    wanted = (msg.text.split() or [""])[0][:32]
    found = await reports.get_by_public_id(ctx.session, public_id=wanted) if wanted else None
    try:
        original = domain.check_original(report, found)
    except Refused as refusal:
        shown = found.public_id if found is not None else wanted.upper() or "—"
        ctx.reply(refusal_text(ctx, refusal, id=shown), rows(_cancel_button(ctx)))
        return
    ctx.state.update(act={**action, "dup": original.id})
    TRIAGE.goto(ctx, NOTE, report=report)


@router.state(NOTE, role=Role.STAFF)
async def on_note(msg: IncomingMessage, ctx: Context) -> None:
    target = _status(str(desk.action(ctx).get("to")))
    try:
        note = domain.check_note(target or S.NEW, msg.text)
    except Refused as refusal:
        return _refuse_note(ctx, refusal)
    await _apply(ctx, note)


def _refuse_note(ctx: Context, refusal: Refused) -> None:
    """The note (or reason) does not do: say why and ask again."""
    text = refusal_text(ctx, refusal)
    if refusal.code == "note_too_long":
        ctx.reply(text)
    elif refusal.code == "hide_reason_needed":
        ctx.reply(text, _hide_reason_buttons(ctx))
    else:
        ctx.reply(text, rows(_cancel_button(ctx)))


@router.button(NoteTemplateButton, role=Role.STAFF, state=NOTE)
async def on_note_template(msg: IncomingMessage, ctx: Context) -> None:
    """A note template chosen: its text is the note, as the console gives it (each citizen
    reads it in their language: bot/domain/report_news.py)."""
    to = str(desk.action(ctx).get("to"))
    template = ctx.services.city.note_template(NoteTemplateButton.of(msg).code)
    if template is None or not template.suits(to):
        return await fallback(msg, ctx)  # not one of the buttons offered: the stale answer
    await _apply(ctx, template_note(ctx.services.settings, template))


@router.button(SkipNote, role=Role.STAFF, state=NOTE)
async def on_skip_note(msg: IncomingMessage, ctx: Context) -> None:
    target = _status(str(desk.action(ctx).get("to")))
    try:
        domain.check_note(target or S.NEW, None)
    except Refused as refusal:
        return _refuse_note(ctx, refusal)
    await _apply(ctx, None)


async def _apply(ctx: Context, note: str | None) -> None:
    """Make the change the staff member asked for, if it is still what they saw, and say
    how many citizens were told."""
    action = desk.action(ctx)
    desk.leave_action(ctx)
    report = await find_report(ctx, action.get("id"), lock=True)
    if report is None:
        return _unavailable(ctx)
    target = _status(str(action.get("to")))
    if target is None or report.status != action.get("from"):
        return await show_staff_view(ctx, report, note=ctx.t("staff.stale"))
    dup = action.get("dup")
    original = await reports.get(ctx.session, report_id=dup) if isinstance(dup, int) else None
    try:
        told = await domain.change_status(
            ctx.work, report, target, note=note, duplicate_of=original
        )
    except Refused:
        return await show_staff_view(ctx, report, note=ctx.t("staff.stale"))
    ctx.reply(
        ctx.t(
            "staff.status_changed",
            id=report.public_id,
            status=status_label(ctx, target.value),
            count=told,
        ),
        _after_buttons(ctx, report),
    )


@router.state(
    NOTE,
    DUPLICATE_OF,
    HIDE_REASON,
    kinds=(Kind.LOCATION, Kind.PHOTO, Kind.CONTACT),
    role=Role.STAFF,
)
async def on_action_wrong_kind(msg: IncomingMessage, ctx: Context) -> None:
    ctx.reply(ctx.t("staff.text_expected"), rows(_cancel_button(ctx)))


@router.button(CancelAction, role=Role.STAFF, state=QUESTIONS)
async def on_cancel(msg: IncomingMessage, ctx: Context) -> None:
    action = desk.action(ctx)
    desk.leave_action(ctx)
    report = await find_report(ctx, action.get("id"))
    buttons = _after_buttons(ctx, report) if report is not None else ()
    ctx.reply(ctx.t("staff.cancelled"), buttons)


# -- moderation ---------------------------------------------------------------------------


@router.button(HideToggle, role=Role.STAFF)
async def on_hide(msg: IncomingMessage, ctx: Context) -> None:
    tapped = HideToggle.of(msg)
    hidden = tapped.hide
    report = await find_report(ctx, tapped.report, lock=not hidden)
    if report is None:
        return _unavailable(ctx)
    if report.hidden == hidden:
        return await show_staff_view(ctx, report, note=ctx.t("staff.stale"))
    if hidden:
        desk.begin(ctx, {"id": report.id})
        TRIAGE.goto(ctx, HIDE_REASON, report=report)
        return
    desk.leave_action(ctx)
    await domain.show(ctx.work, report)
    ctx.reply(ctx.t("staff.shown_done", id=report.public_id), _after_buttons(ctx, report))


def ask_hide_reason(ctx: Context, report: Report) -> None:
    ctx.reply(ctx.t("staff.ask_hide_reason", id=report.public_id), _hide_reason_buttons(ctx))


def _hide_reason_buttons(ctx: Context) -> Rows:
    reasons = [
        HideReasonButton(number).button(ctx.t(key)) for number, key in enumerate(HIDE_REASONS)
    ]
    return rows(*reasons, _cancel_button(ctx))


@router.button(HideReasonButton, role=Role.STAFF, state=HIDE_REASON)
async def on_hide_reason_button(msg: IncomingMessage, ctx: Context) -> None:
    number = HideReasonButton.of(msg).number
    if not 0 <= number < len(HIDE_REASONS):
        return await fallback(msg, ctx)  # not one of the buttons offered: the stale answer
    await _confirm_hide(ctx, HIDE_REASONS[number])


@router.state(HIDE_REASON, role=Role.STAFF)
async def on_hide_reason_text(msg: IncomingMessage, ctx: Context) -> None:
    try:
        reason = domain.check_hide_reason(msg.text)
    except Refused as refusal:
        return _refuse_note(ctx, refusal)
    await _confirm_hide(ctx, reason)


async def _confirm_hide(ctx: Context, reason: str) -> None:
    """Ask "hide it?", naming the reason the reporter will read (kept in the state)."""
    action = {**desk.action(ctx), "reason": reason}
    report = await find_report(ctx, action.get("id"))
    if report is None:
        desk.leave_action(ctx)
        return _unavailable(ctx)
    desk.begin(ctx, action)
    TRIAGE.goto(ctx, HIDE_CONFIRM, report=report)


def ask_hide_confirm(ctx: Context, report: Report) -> None:
    reason = str(desk.action(ctx).get("reason", ""))
    ctx.reply(
        ctx.t(
            "staff.confirm_hide",
            id=report.public_id,
            reason=hide_reason(ctx.t, reason) or reason,
        ),
        rows(
            HideYes().button(ctx.t("staff.btn_hide_yes")),
            _cancel_button(ctx),
            per_row=2,
        ),
    )


@router.state(
    HIDE_CONFIRM, kinds=(Kind.TEXT, Kind.LOCATION, Kind.PHOTO, Kind.CONTACT), role=Role.STAFF
)
async def on_hide_confirm_other(msg: IncomingMessage, ctx: Context) -> None:
    """Anything but the two buttons: ask again (nothing is hidden without the "yes")."""
    await _confirm_hide(ctx, str(desk.action(ctx).get("reason", "")))


@router.button(HideYes, role=Role.STAFF, state=HIDE_CONFIRM)
async def on_hide_yes(msg: IncomingMessage, ctx: Context) -> None:
    action = desk.action(ctx)
    desk.leave_action(ctx)
    report = await find_report(ctx, action.get("id"), lock=True)
    reason = action.get("reason")
    if report is None or not isinstance(reason, str) or not reason:
        return _unavailable(ctx)
    try:
        await domain.hide(ctx.work, report, reason)
    except Refused:
        return await show_staff_view(ctx, report, note=ctx.t("staff.stale"))
    ctx.reply(ctx.t("staff.hidden_done", id=report.public_id), _after_buttons(ctx, report))


# -- helpers ------------------------------------------------------------------------------


def _after_buttons(ctx: Context, report: Report) -> Rows:
    assert report.id is not None
    buttons = [StaffOpen(report.id).button(ctx.t("staff.btn_open", id=report.public_id))]
    back = desk.list_button(ctx)
    if back is not None:
        buttons.append(back)
    return rows(*buttons, per_row=2)


def _cancel_button(ctx: Context) -> Button:
    return CancelAction().button(ctx.t("staff.btn_cancel"))


def _status(value: str) -> ReportStatus | None:
    try:
        return ReportStatus(value)
    except ValueError:
        return None


def _unavailable(ctx: Context) -> None:
    ctx.reply(ctx.t("staff.unavailable"))


# The questions a staff change asks: each step and what entering it asks about the report.
TRIAGE = Conversation(
    "staff",
    {
        NOTE: ask_note,
        DUPLICATE_OF: ask_original,
        HIDE_REASON: ask_hide_reason,
        HIDE_CONFIRM: ask_hide_confirm,
    },
)
