"""Telling a report's reporter and followers what happened to it, each in their own language.

Everything that tells citizens about a report's history goes through `notify_status_change`.
The news are outbox rows (urgent: quiet hours never hold them), written in the change's own
transaction, and sent by the delivery engine right after the commit (Services.deliver), with
its retries and its handling of citizens who blocked the bot.
"""

from __future__ import annotations

import functools
from datetime import timedelta

from bot.core.context import Context
from bot.core.messages import Button, Reply, Rows, rows
from bot.i18n import N_
from handlers.report_views import STATUS_KEYS, hide_reason
from scheduler.payloads import direct_payload
from storage.models import Report, ReportEvent, ReportStatus
from storage.repos import outbox, reports
from storage.repos.reports import Recipient

REOPEN_WINDOW = timedelta(days=14)
# Only a resolved report is reopened ("Not fixed"); a rejected one shows its reason and
# offers a new report instead.
REOPENABLE = frozenset({ReportStatus.RESOLVED.value})


async def notify_status_change(ctx: Context, report: Report, event: ReportEvent) -> int:
    """Queue one message per recipient (reporter and followers on each of their channels)
    about `event`, in the recipient's language; the one who made the change is skipped.
    Returns how many citizens were told.

    A hidden report's news goes to its reporter only (who still follows it in /myreports);
    hiding itself is told to the reporter only, with the reason; showing a report again is
    not announced.
    """
    if event.kind not in ("status", "reopened", "hidden"):
        return 0
    original = None
    if event.to_status == ReportStatus.DUPLICATE.value and report.duplicate_of_id is not None:
        original = await reports.get(ctx.session, report_id=report.duplicate_of_id)
    told: set[int] = set()
    queued: list[int] = []
    for recipient in await reports.recipients(ctx.session, report=report):
        if event.actor_id is not None and recipient.citizen_id == event.actor_id:
            continue
        is_reporter = recipient.citizen_id == report.reporter_id
        if (event.kind == "hidden" or report.hidden) and not is_reporter:
            continue
        text = _text(ctx, recipient, report, event, is_reporter, original)
        buttons = _buttons(ctx, recipient, report, event, is_reporter)
        row = await outbox.enqueue_direct(
            ctx.session,
            citizen_id=recipient.citizen_id,
            channel=recipient.channel,
            user_id=recipient.user_id,
            language=recipient.language,
            payload=direct_payload(Reply(text, buttons)),
            urgent=True,
            now=ctx.now,
        )
        assert row.id is not None
        queued.append(row.id)
        told.add(recipient.citizen_id)
    deliver = ctx.services.deliver
    if queued and deliver is not None:
        ctx.after_commit.append(functools.partial(deliver, queued))
    return len(told)


def _text(
    ctx: Context,
    recipient: Recipient,
    report: Report,
    event: ReportEvent,
    is_reporter: bool,
    original: Report | None,
) -> str:
    translator = ctx.services.translator
    language = recipient.language

    def t(key: str, /, **values: object) -> str:
        return translator.translate(language, key, **values)

    category = ctx.services.city.category(report.category)
    category_name = category.label(language) if category else report.category
    if event.kind == "hidden":
        lines = [t("followup.notify_hidden", id=report.public_id)]
        reason = hide_reason(t, event.note)
        if reason:
            lines.append(t("followup.notify_reason", note=reason))
        lines.append(t("followup.notify_hidden_still_yours"))
        return "\n".join(lines)
    if event.kind == "reopened":
        status = t(STATUS_KEYS[ReportStatus(report.status)])
        return t("followup.notify_reopened", id=report.public_id, category=category_name) + (
            "\n" + t("followup.notify_now", status=status)
        )
    to_status = event.to_status or report.status
    lines = [
        t(
            "followup.notify_status",
            id=report.public_id,
            category=category_name,
            status=t(STATUS_KEYS[ReportStatus(to_status)]),
        )
    ]
    if event.note:
        if to_status == ReportStatus.REJECTED.value:
            lines.append(t("followup.notify_reason", note=event.note))
        else:
            lines.append(t("followup.notify_note", note=event.note))
    if original is not None:
        lines.append(t("followup.notify_duplicate", original=original.public_id))
    if _offers_reopen(report, event, is_reporter):
        lines.append(
            translator.translate_n(
                language, "followup.notify_reopen_hint", REOPEN_WINDOW.days, days=REOPEN_WINDOW.days
            )
        )
    elif _offers_new_report(report, event, is_reporter):
        lines.append(t("followup.notify_new_report_hint"))
    return "\n".join(lines)


def _buttons(
    ctx: Context, recipient: Recipient, report: Report, event: ReportEvent, is_reporter: bool
) -> Rows:
    translator = ctx.services.translator
    language = recipient.language
    buttons = []
    if _offers_reopen(report, event, is_reporter):
        buttons.append(
            Button(
                translator.translate(language, "followup.btn_not_fixed"),
                payload=f"mynf:{report.id}",
            )
        )
    elif _offers_new_report(report, event, is_reporter):
        buttons.append(new_report_button(translator.translate(language, NEW_REPORT_LABEL)))
    buttons.append(
        Button(translator.translate(language, "followup.btn_details"), payload=f"myo:{report.id}")
    )
    return rows(*buttons, per_row=2)


NEW_REPORT_LABEL = N_("followup.btn_new_report")


def new_report_button(label: str) -> Button:
    """Files a new report (the main menu's entry): the way on after a rejection."""
    return Button(label, payload="menu:report")


def _offers_new_report(report: Report, event: ReportEvent, is_reporter: bool) -> bool:
    return is_reporter and event.kind == "status" and event.to_status == ReportStatus.REJECTED


def _offers_reopen(report: Report, event: ReportEvent, is_reporter: bool) -> bool:
    return is_reporter and event.kind == "status" and event.to_status in REOPENABLE
