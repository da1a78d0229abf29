"""Telling the reporter, once and honestly, that the resolve deadline passed and the report
is still open: "late, still being worked on", with the report's id, in their language.

The scheduler's tick (scheduler/late_news.py) finds the newly late reports; each is claimed
in SQL (`Report.late_told_at`, set only where it is still empty), so two processes never
both tell it, and a report is told at most once even if it is reopened and late again. The
news is not urgent: it waits for the end of the reporter's quiet hours
(bot/domain/quiet_hours.py; a daily digest carries notices only, so it is not held for it).
A reporter who turned report news off, or blocked the bot, is not told; followers are not
told (the reporter asked, the followers only watch).
"""

from __future__ import annotations

import logging

from bot.domain.quiet_hours import hold
from bot.domain.work import Work
from bot.i18n import N_
from storage.models import OutboxKind, Report, Role
from storage.repos import alerts, outbox, reports
from storage.repos import body_figures as repo

log = logging.getLogger(__name__)

BATCH = 200
TEXT = N_("figures.late_notice")
BODY = N_("figures.late_body")
DETAILS = N_("followup.btn_details")


async def tell_late(work: Work, *, limit: int = BATCH) -> int:
    """Tell the reporters of up to `limit` newly late reports; how many reports were claimed
    (fewer than `limit`: none is left)."""
    work.actor.require(Role.STAFF)
    ids = await repo.newly_late(work.session, now=work.now, limit=limit)
    claimed = 0
    queued: list[int] = []
    for report_id in ids:
        if not await repo.claim_late(work.session, report_id=report_id, now=work.now):
            continue
        claimed += 1
        report = await reports.get(work.session, report_id=report_id)
        if report is not None:
            queued += await _queue(work, report)
    work.deliver_after_commit(queued)
    if claimed:
        log.info("late notices: %d reports past their deadline, %d messages", claimed, len(queued))
    return claimed


async def _queue(work: Work, report: Report) -> list[int]:
    if report.reporter_id is None:
        return []
    found = [
        r
        for r in await reports.recipients(work.session, report=report)
        if r.citizen_id == report.reporter_id
    ]
    if not found:
        return []
    settings = await alerts.settings(work.session, citizen_id=report.reporter_id)
    held, at = hold(settings, urgent=False, now=work.now, tz=work.city.timezone, digest=False)
    body = work.city.body(report.body_code)
    queued = []
    for recipient in found:
        t = work.translator.translate
        language = recipient.language
        text = t(language, TEXT, id=report.public_id)
        if body is not None:
            text += "\n" + t(language, BODY, body=body.name(language))
        row = await outbox.enqueue_direct(
            work.session,
            citizen_id=recipient.citizen_id,
            channel=recipient.channel,
            user_id=recipient.user_id,
            language=language,
            payload={
                "text": text,
                "buttons": [[{"label": t(language, DETAILS), "payload": f"myo:{report.id}"}]],
            },
            kind=OutboxKind.DIRECT.value,
            held=held.value if held else None,
            next_attempt_at=at,
            now=work.now,
        )
        assert row.id is not None
        queued.append(row.id)
    return queued if held is None else []
