"""Telling a report's reporter and followers what happened to it, each in their own language.

Every piece of news about a report's history goes through `tell`. The news are outbox rows
(urgent: quiet hours never hold them), written in the change's own transaction and sent by
the delivery engine right after the commit (Work.deliver_after_commit), with its retries and
its handling of citizens who blocked the bot.

The domain imports no interface, so a piece of news is built as plain data in the outbox's
stored payload format ({"text": …, "buttons": [[{"label": …, "payload": …}]]}, documented
and read back in scheduler/payloads.py). Its buttons are the chat's report routes
(`mynf:`/`myo:` in handlers/reports/buttons.py, `menu:report`): the news is a chat message.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.city import CityPack, NoteTemplate
from bot.config import Settings
from bot.domain.work import Work
from bot.i18n import N_
from storage.models import REOPENABLE, Report, ReportEvent, ReportStatus
from storage.repos import reports
from storage.repos.reports import Recipient

STATUS_KEYS = {
    ReportStatus.NEW: N_("status.new"),
    ReportStatus.ACKNOWLEDGED: N_("status.acknowledged"),
    ReportStatus.IN_PROGRESS: N_("status.in_progress"),
    ReportStatus.RESOLVED: N_("status.resolved"),
    ReportStatus.REJECTED: N_("status.rejected"),
    ReportStatus.DUPLICATE: N_("status.duplicate"),
}

# The common reasons for hiding a report, offered to staff as buttons. A chosen one is stored
# as its key (the hiding event's note) and shown in each reader's language; a reason staff
# wrote themselves is stored and shown as written.
HIDE_REASONS = (
    N_("staff.hide_reason_personal"),
    N_("staff.hide_reason_offensive"),
    N_("staff.hide_reason_spam"),
    N_("staff.hide_reason_safety"),
)
# The note handlers/admin/bans.py puts on the reports a ban hides: for staff, not a reason to show.
BAN_NOTE_PREFIX = "/ban "

# "Is it fixed?" after a resolution (bot/domain/confirmation.py answers it): the chat's
# ConfirmButton (handlers/reports_confirm.py) parses cf:<report id>:<resolution id>:<1|0>.
CONFIRM_PREFIX = "cf"
FIXED_LABEL = N_("confirm.btn_fixed")
NOT_FIXED_LABEL = N_("confirm.btn_not_fixed")

NEW_REPORT_LABEL = N_("followup.btn_new_report")
NEW_REPORT_PAYLOAD = "menu:report"  # the main menu's "report a problem"

Button = dict[str, str]


def confirm_payload(report_id: int, resolution_id: int, fixed: bool) -> str:
    return f"{CONFIRM_PREFIX}:{report_id}:{resolution_id}:{1 if fixed else 0}"


def hide_reason(t: Callable[[str], str], note: str | None) -> str | None:
    """The reason of a hiding as its reporter reads it (`t` translates into their language);
    None when there is none to tell."""
    if not note or note.startswith(BAN_NOTE_PREFIX):
        return None
    return t(note) if note in HIDE_REASONS else note


def public_note(city: CityPack, language: str, note: str | None) -> str | None:
    """A status change's public note as a reader of `language` reads it: a note template's
    text (the pack's note_templates.json, written in any of its languages) in theirs; any
    other note as it was written."""
    if not note:
        return note
    for template in city.note_templates:
        if note in template.texts.values():
            return template.text(language)
    return note


def template_note(settings: Settings, template: NoteTemplate) -> str:
    """The public note staff give by choosing a note template (the console's form, the chat's
    button): its text in the bot's default language, stored as the note; `public_note` gives
    each reader the text in theirs."""
    return template.text(settings.default_language)


async def tell(work: Work, report: Report, event: ReportEvent, reopen_days: int) -> int:
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
        original = await reports.get(work.session, report_id=report.duplicate_of_id)
    if event.id is None:
        await work.session.flush()  # the resolution's id names its question
    told: set[int] = set()
    queued: list[int] = []
    for recipient in await reports.recipients(work.session, report=report):
        if event.actor_id is not None and recipient.citizen_id == event.actor_id:
            continue
        is_reporter = recipient.citizen_id == report.reporter_id
        if (event.kind == "hidden" or report.hidden) and not is_reporter:
            continue
        news = _News(work, recipient, report, event, is_reporter, reopen_days)
        queued.append(await work.tell(recipient, news.payload(original)))
        told.add(recipient.citizen_id)
    work.deliver_after_commit(queued)
    return len(told)


class _News:
    """One recipient's message about one event."""

    def __init__(
        self,
        work: Work,
        recipient: Recipient,
        report: Report,
        event: ReportEvent,
        is_reporter: bool,
        reopen_days: int,
    ) -> None:
        self.work = work
        self.language = recipient.language
        self.report = report
        self.event = event
        self.is_reporter = is_reporter
        self.reopen_days = reopen_days

    def t(self, key: str, /, **values: object) -> str:
        return self.work.translator.translate(self.language, key, **values)

    def payload(self, original: Report | None) -> dict[str, Any]:
        return {"text": self.text(original), "buttons": [self.buttons()]}

    def text(self, original: Report | None) -> str:
        t, report, event = self.t, self.report, self.event
        category = self.work.city.category(report.category)
        category_name = category.label(self.language) if category else report.category
        if event.kind == "hidden":
            lines = [t("followup.notify_hidden", id=report.public_id)]
            reason = hide_reason(t, event.note)
            if reason:
                lines.append(t("followup.notify_reason", note=reason))
            lines.append(t("followup.notify_hidden_still_yours"))
            return "\n".join(lines)
        if event.kind == "reopened":
            status = t(STATUS_KEYS[ReportStatus(report.status)])
            key = N_("followup.notify_reopened")
            if event.actor_id is not None and event.actor_id != report.reporter_id:
                key = N_("confirm.notify_reopened_by_follower")
            return t(key, id=report.public_id, category=category_name) + (
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
        note = public_note(self.work.city, self.language, event.note)
        if note:
            if to_status == ReportStatus.REJECTED.value:
                lines.append(t("followup.notify_reason", note=note))
            else:
                lines.append(t("followup.notify_note", note=note))
        if original is not None:
            lines.append(t("followup.notify_duplicate", original=original.public_id))
        if self.asks_if_fixed:
            lines.append(
                self.work.translator.translate_n(
                    self.language, "confirm.question", self.reopen_days, days=self.reopen_days
                )
            )
        elif self.offers_new_report:
            lines.append(t("followup.notify_new_report_hint"))
        return "\n".join(lines)

    def buttons(self) -> list[Button]:
        """One row: "Is it fixed?" ✅ / ❌ or "New report" when they fit, and "Details"."""
        out = []
        if self.asks_if_fixed:
            report_id, resolution_id = self.report.id, self.event.id
            assert report_id is not None and resolution_id is not None
            for label, fixed in ((FIXED_LABEL, True), (NOT_FIXED_LABEL, False)):
                out.append(_button(self.t(label), confirm_payload(report_id, resolution_id, fixed)))
        elif self.offers_new_report:
            out.append(_button(self.t(NEW_REPORT_LABEL), NEW_REPORT_PAYLOAD))
        out.append(_button(self.t("followup.btn_details"), f"myo:{self.report.id}"))
        return out

    @property
    def offers_new_report(self) -> bool:
        event = self.event
        return (
            self.is_reporter
            and event.kind == "status"
            and event.to_status == ReportStatus.REJECTED.value
        )

    @property
    def asks_if_fixed(self) -> bool:
        """A resolution asks its reporter and followers "Is it fixed?"."""
        event = self.event
        return (
            event.kind == "status"
            and event.to_status is not None
            and ReportStatus(event.to_status) in REOPENABLE
        )


def _button(label: str, payload: str) -> Button:
    return {"label": label, "payload": payload}
