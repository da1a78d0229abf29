"""What the staff card shows of the body's work (triage.py's staff view): the body, the
assignee, the internal notes, and the work buttons card.py answers."""

from __future__ import annotations

from bot.core.context import Context
from bot.core.messages import Button
from handlers.reports.buttons import AssignTo, CardAcknowledge, CardAssignMe, MoveStart, NoteStart
from storage.models import Report
from storage.refs import public_ref
from storage.repos import reports


def work_buttons(ctx: Context, report: Report) -> list[Button]:
    """The card's work buttons for an open report (triage.py's staff_buttons adds them)."""
    assert report.id is not None
    if not report.is_open:
        return []
    buttons = []
    if report.acknowledged_at is None and report.status != "new":
        buttons.append(CardAcknowledge(report.id).button(ctx.t("card.btn_acknowledge")))
    if report.assignee_id != ctx.citizen.id:
        buttons.append(CardAssignMe(report.id).button(ctx.t("card.btn_assign_me")))
    buttons += [
        AssignTo(report.id).button(ctx.t("card.btn_assign_to")),
        NoteStart(report.id).button(ctx.t("card.btn_note")),
        MoveStart(report.id).button(ctx.t("card.btn_move")),
    ]
    return buttons


async def work_lines(ctx: Context, report: Report) -> list[str]:
    """What the card adds for staff: the body, the assignee, the internal notes."""
    lines = []
    body = ctx.services.city.body(report.body_code)
    if body is not None:
        lines.append(ctx.t("card.body", body=body.name(ctx.language)))
    if report.assignee_id is not None:
        lines.append(ctx.t("card.assignee", ref=public_ref(report.assignee_id)))
    notes = await reports.notes(ctx.session, report_id=report.id)
    if notes:
        said = [ctx.t("card.notes_title")]
        for note in notes:
            when = ctx.when(note.at)
            if note.kind == "reassigned":
                moved_to = ctx.services.city.body(note.body_code)
                name = moved_to.name(ctx.language) if moved_to else note.body_code
                said.append(
                    ctx.t(
                        "card.moved_line", when=when, ref=note.author_ref, body=name, text=note.text
                    )
                )
            else:
                said.append(ctx.t("card.note_line", when=when, ref=note.author_ref, text=note.text))
        lines.append("\n".join(said))
    return lines
