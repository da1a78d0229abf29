"""What a body hears of its reports: the hook the domain calls when a report reaches a body
(filed and routed to it, or reassigned to it). Telling the body (its team chat, email, its
Open311 endpoint) is the notification part's; until then this records nothing and sends
nothing. The call happens inside the action's transaction: an implementation queues outbox
rows (and `work.deliver_after_commit`), never sends before the commit."""

from __future__ import annotations

import logging
from typing import Literal

from bot.domain import forwarding_queue
from bot.domain.work import Work
from storage.models import Report

log = logging.getLogger(__name__)

Why = Literal["filed", "reassigned"]


async def report_reached_body(
    work: Work, report: Report, *, why: Why, reason: str | None = None
) -> None:
    """`report` is now `report.body_code`'s: a new report, or one reassigned (with `reason`)."""
    log.debug("report %s reached body %s (%s)", report.public_id, report.body_code, why)
    await forwarding_queue.queue(work, report, why=why)
