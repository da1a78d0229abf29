"""Closing the loop: after a report is resolved, its reporter and followers are asked "Is it
fixed?" (in the resolution's news, bot/domain/report_news.py) and may answer once.

- ✅ fixed: the report is closed for good (`Report.citizen_confirmed` true, a "confirmed"
  event; "Not fixed" is no longer offered). The status stays "resolved": the transition
  table (storage/models/reports.py) has no separate closed status.
- ❌ not fixed: a "not_fixed" event with the citizen's words, and the report is reopened
  (back to acknowledged, for the same body: nothing else on the report changes), with the
  photo they added. The "not_fixed" events count against the body's figures. A body outside
  the bot is told (bot/domain/forwarding_queue.py `queue_reopening`: by email; recorded only
  for Open311, whose GeoReport v2 cannot update a request).
- Silence changes nothing.

Each question is about one resolution: its payload names the report and the resolution's
event id, so an answer to an earlier resolution (the report was reopened and resolved
again) is refused as stale, and one question gets one answer: a second one, by anyone, is
refused politely. Only the reporter or a follower answers (a hidden report's followers no
longer do); "not fixed" only within REOPEN_WINDOW of the resolution.

The question's buttons are written with the news (report_news.confirm_payload, in the format
of the chat's ConfirmButton, handlers/reports_confirm.py): the domain imports no interface.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from bot.domain import forwarding_queue, report_news
from bot.domain.actors import Forbidden
from bot.domain.errors import Refused
from bot.domain.reports import REOPEN_WINDOW, NewPhoto, attach_photos, check_comment
from bot.domain.work import Work
from bot.i18n import N_
from storage.models import Report, ReportStatus, Role
from storage.repos import confirmations, reports

log = logging.getLogger(__name__)

MAX_PHOTOS = 1  # the photo a "not fixed" answer may bring


async def answer_refusal(
    work: Work, report: Report, resolution_id: int, *, fixed: bool
) -> Refused | None:
    """Why the actor may not answer the question asked after the resolution `resolution_id`
    now, or None when they may: only the reporter or a follower ("not_yours"), one answer per
    question ("answered_fixed" | "answered_not_fixed"), only the latest resolution of a
    report still resolved ("stale"), "not fixed" only within REOPEN_WINDOW ("too_late")."""
    citizen_id = work.actor.citizen_id
    if citizen_id is None:
        raise Forbidden(Role.CITIZEN)
    if report.reporter_id != citizen_id and (
        report.hidden
        or not await reports.is_follower(work.session, report_id=report.id, citizen_id=citizen_id)
    ):
        return Refused("not_yours", N_("confirm.not_yours"))
    assert report.id is not None
    answer = await confirmations.answer_to(
        work.session, report_id=report.id, resolution_id=resolution_id
    )
    if answer is not None:
        if answer.kind == "confirmed":
            return Refused("answered_fixed", N_("confirm.answered_fixed"))
        return Refused("answered_not_fixed", N_("confirm.answered_not_fixed"))
    latest = await confirmations.latest_resolution(work.session, report_id=report.id)
    if latest is None or latest.id != resolution_id or report.status != ReportStatus.RESOLVED:
        return Refused("stale", N_("confirm.stale"))
    if not fixed and (report.closed_at is None or work.now - report.closed_at > REOPEN_WINDOW):
        days = REOPEN_WINDOW.days
        return Refused.plural("too_late", N_("followup.reopen_too_late"), days, days=days)
    return None


async def _check(work: Work, report: Report, resolution_id: int, *, fixed: bool) -> int:
    refusal = await answer_refusal(work, report, resolution_id, fixed=fixed)
    if refusal is not None:
        raise refusal
    assert work.actor.citizen_id is not None
    return work.actor.citizen_id


async def confirm_fixed(work: Work, report: Report, resolution_id: int) -> None:
    """✅: the citizen says the resolved report is fixed; it is closed for good."""
    citizen_id = await _check(work, report, resolution_id, fixed=True)
    await confirmations.record(
        work.session, report=report, citizen_id=citizen_id, fixed=True, now=work.now
    )
    log.info("report %s confirmed fixed by %s", report.public_id, work.actor.ref)


async def not_fixed(
    work: Work,
    report: Report,
    resolution_id: int,
    comment: str,
    photos: Sequence[NewPhoto] = (),
) -> int:
    """❌: the citizen says the resolved report is not fixed, in their words (and a photo):
    the "not_fixed" answer, and the report reopened for the same body; the others are told.
    Returns how many citizens were told."""
    citizen_id = await _check(work, report, resolution_id, fixed=False)
    comment = check_comment(comment)
    if len(photos) > MAX_PHOTOS:
        raise Refused("too_many_photos", N_("confirm.too_many_photos"), max=MAX_PHOTOS)
    await confirmations.record(
        work.session, report=report, citizen_id=citizen_id, fixed=False, note=comment, now=work.now
    )
    assert report.id is not None
    await attach_photos(work, report.id, photos)
    event = await reports.reopen(
        work.session, report=report, citizen_id=citizen_id, comment=comment, now=work.now
    )
    photo = photos[0].name if photos else None
    await forwarding_queue.queue_reopening(work, report, event, photo_name=photo)
    log.info("report %s not fixed, says %s: reopened", report.public_id, work.actor.ref)
    return await report_news.tell(work, report, event, REOPEN_WINDOW.days)
