"""Forwarding a report to a body that works outside the bot (bodies.json `delivery`: email
or Open311): queued in the filing or reassigning transaction (`queue`, called by
bot/domain/body_news.py), sent right after the commit (the forwarding tick is woken through
`Work.wake_forwarding`) and retried by scheduler/forwarding.py.
Admins see what is stuck (`unsettled`) and send a failed one again (`retry`)."""

from __future__ import annotations

import logging

from bot.city.bodies import EmailDelivery, Open311Delivery
from bot.domain.actors import Actor
from bot.domain.errors import Refused
from bot.domain.work import Work
from storage.models import ForwardHow, ForwardState, Report, ReportEvent, ReportForward, Role
from storage.repos import forwards

log = logging.getLogger(__name__)

LISTED = 20  # forwards /forwarding shows


def how(work: Work, body_code: str | None) -> ForwardHow | None:
    """How the body receives reports outside the bot; None: in the bot only."""
    body = work.city.body(body_code)
    if body is None:
        return None
    if isinstance(body.delivery, EmailDelivery):
        return ForwardHow.EMAIL
    if isinstance(body.delivery, Open311Delivery):
        return ForwardHow.OPEN311
    return None


async def queue(work: Work, report: Report, *, why: str) -> int | None:
    """Queue the report for its body when the body receives reports by email or Open311 (a
    hidden report is not sent). The forward's id, or None."""
    method = how(work, report.body_code)
    if method is None or report.hidden or report.id is None or report.body_code is None:
        return None
    forward_id = await forwards.queue(
        work.session,
        report_id=report.id,
        body_code=report.body_code,
        how=method.value,
        now=work.now,
    )
    if forward_id is not None:
        log.info(
            "report %s queued for %s by %s (%s)", report.public_id, report.body_code, method, why
        )
        work.wake_forwarding_after_commit()  # sent right after the commit, not at the next tick
    return forward_id


GEOREPORT_NO_UPDATE = "not sent: GeoReport v2 has no call to update a request"


async def queue_reopening(
    work: Work, report: Report, event: ReportEvent, *, photo_name: str | None = None
) -> int | None:
    """A citizen said the resolved report is not fixed (`event`, the reopening, with their
    words; `photo_name`, the photo they added): its body outside the bot is told. By email a
    message is queued (and the report itself first, if the body never got it); GeoReport v2
    has no call to update or reopen a request, so for an Open311 body the reopening is only
    recorded ("unsupported", listed nowhere for retry) and its staff learn of it in the bot.
    The forward's id, or None for a body in the bot only."""
    method = how(work, report.body_code)
    if method is None or report.hidden or report.id is None or report.body_code is None:
        return None
    if method is ForwardHow.EMAIL:
        await queue(work, report, why="reopened")  # nothing when the body has it already
    if event.id is None:
        await work.session.flush()
    assert event.id is not None
    unsupported = method is ForwardHow.OPEN311
    forward_id = await forwards.queue_reopening(
        work.session,
        report_id=report.id,
        body_code=report.body_code,
        how=method.value,
        event_id=event.id,
        photo_name=photo_name,
        state=ForwardState.UNSUPPORTED.value if unsupported else ForwardState.PENDING.value,
        note=GEOREPORT_NO_UPDATE if unsupported else None,
        now=work.now,
    )
    log.info("report %s: its reopening %s for %s", report.public_id, method, report.body_code)
    if not unsupported:
        work.wake_forwarding_after_commit()
    return forward_id


async def unsettled(work: Work) -> list[tuple[ReportForward, str]]:
    """Failed forwards first, then those still to send, with their reports' public ids."""
    _require_admin(work.actor)
    return await forwards.unsettled(work.session, limit=LISTED)


async def retry(work: Work, forward_id: int) -> ReportForward:
    """Send a failed forward again now. Refused("not_failed") when it is not (any more)."""
    _require_admin(work.actor)
    row = await work.session.get(ReportForward, forward_id)
    if row is None or not await forwards.retry(work.session, forward_id=forward_id, now=work.now):
        raise Refused("not_failed", None)
    report = await work.session.get(Report, row.report_id)
    public_id = report.public_id if report is not None else str(row.report_id)
    await work.audit("forward_retry", "report", public_id, body=row.body_code, how=row.how)
    await work.session.refresh(row)
    return row


def _require_admin(actor: Actor) -> None:
    actor.require(Role.ADMIN)
