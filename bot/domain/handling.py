"""What a body does with its report besides changing its status (bot/domain/reports.py):
acknowledge it, assign it to one of its staff, write an internal note, hand it to another body.

Each is for staff of the report's body (or admins: bot/domain/bodies.py `check_body`), is
audited, and tells the citizen nothing: an internal note is never sent to the citizen nor
shown in open data, Open311 or /mydata (storage table report_note). A reassignment keeps the
report's deadlines (the city's promise to the citizen does not restart) and calls the new
body's hook (bot/domain/body_news.py).
"""

from __future__ import annotations

import logging

from bot.domain import body_news
from bot.domain.bodies import acts_for_body, check_body
from bot.domain.errors import Refused
from bot.domain.reports import NOTE_MAX, REASON_MIN, change_status
from bot.domain.work import Work
from bot.i18n import N_
from storage.models import Citizen, Report, ReportNote, ReportStatus
from storage.refs import public_ref
from storage.repos import reports

log = logging.getLogger(__name__)


async def acknowledge(work: Work, report: Report) -> None:
    """The body has seen the report: a new one moves to "acknowledged" (its reporter and
    followers are told, as for any status change); a later one only gets its
    `acknowledged_at`. Refused("stale") when it was acknowledged already."""
    await check_body(work, report)
    if report.status == ReportStatus.NEW:
        await change_status(work, report, ReportStatus.ACKNOWLEDGED)
        return
    if report.acknowledged_at is not None:
        raise Refused("stale", N_("staff.stale"))
    report.acknowledged_at = work.now
    await work.audit("acknowledge", "report", report.public_id)


async def assign(work: Work, report: Report, assignee: Citizen) -> None:
    """One of the body's staff works on the report. Refused("not_in_body") when the assignee
    does not act on the report's body (bot/domain/bodies.py `acts_for_body`: staff of the
    body or of no body, or an admin, the ADMINS setting's included)."""
    await check_body(work, report)
    assert assignee.id is not None
    if not report.is_open:
        raise Refused("stale", N_("staff.stale"))
    if not await acts_for_body(work, assignee, report.body_code):
        raise Refused("not_in_body", N_("staff.assignee_not_in_body"), ref=public_ref(assignee.id))
    if report.assignee_id == assignee.id:
        raise Refused("stale", N_("staff.stale"))
    report.assignee_id = assignee.id
    await work.audit("assign", "report", report.public_id, to=public_ref(assignee.id))


def check_text(text: str, *, code: str, key: str) -> str:
    text = " ".join(text.split())
    if len(text) > NOTE_MAX:
        raise Refused("note_too_long", N_("staff.note_too_long"), max=NOTE_MAX, length=len(text))
    if len(text) < REASON_MIN:
        raise Refused(code, key, min=REASON_MIN)
    return text


async def add_note(work: Work, report: Report, text: str) -> ReportNote:
    """An internal note by the body's staff, for staff only."""
    await check_body(work, report)
    text = check_text(text, code="note_needed", key=N_("staff.internal_note_needed"))
    note = await reports.add_note(
        work.session,
        report_id=report.id,
        author_id=work.actor.citizen_id,
        author_ref=work.actor.ref,
        text=text,
        now=work.now,
    )
    await work.audit("note", "report", report.public_id)
    return note


async def reassign(work: Work, report: Report, body_code: str, reason: str) -> None:
    """Hand the report to another body, with a reason (kept as an internal note and in the
    audit). Refused "unknown_body" | "same_body" | "reason_needed"; a closed report stays
    where it was ("stale")."""
    await check_body(work, report)
    body = work.city.body(body_code)
    if body is None:
        raise Refused("unknown_body", N_("staff.unknown_body"), body=body_code[:32])
    if body.code == report.body_code:
        raise Refused("same_body", N_("staff.same_body"))
    if not report.is_open:
        raise Refused("stale", N_("staff.stale"))
    reason = check_text(reason, code="reason_needed", key=N_("staff.reassign_reason_needed"))
    was = report.body_code
    report.body_code = body.code
    report.assignee_id = None  # the new body assigns its own
    report.updated_at = work.now
    await reports.add_note(
        work.session,
        report_id=report.id,
        author_id=work.actor.citizen_id,
        author_ref=work.actor.ref,
        text=reason,
        kind="reassigned",
        body_code=body.code,
        now=work.now,
    )
    await work.audit("reassign", "report", report.public_id, was=was, to=body.code)
    await body_news.report_reached_body(work, report, why="reassigned", reason=reason)
    log.info("report %s: body %s → %s by %s", report.public_id, was, body.code, work.actor.ref)
