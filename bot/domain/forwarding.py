"""A body's own system telling us where a forwarded report stands (bot/forwarding/open311.py
reads it): their "closed" resolves our report, their "open" acknowledges a new one. Applied
as the system actor "open311:<body>" with staff's rights, through `change_status`, so the
transition table, the history, the audit entry and the news (with "Is it fixed?") are the
same as when staff do it. Their notes become the public note (at most NOTE_MAX)."""

from __future__ import annotations

from bot.domain.actors import Actor
from bot.domain.reports import NOTE_MAX, change_status, next_statuses
from bot.domain.work import Work
from storage.models import Report, ReportStatus, Role


def actor(body: str) -> Actor:
    """Who changes a report when the body's system says so. The audit log keeps an actor's
    ref in 16 characters (audit_entry.actor_ref), so a long body code is cut there."""
    return Actor.machine(f"open311:{body}", Role.STAFF)


def status_for(report: Report, remote: str) -> ReportStatus | None:
    """Our status for theirs ("open" | "closed"), or None when ours stays: never backwards,
    only what the transition table allows now."""
    wanted = {"closed": ReportStatus.RESOLVED, "open": ReportStatus.ACKNOWLEDGED}.get(remote)
    if wanted is None or wanted not in next_statuses(report):
        return None
    return wanted


async def apply_remote_status(
    work: Work, report: Report, remote: str, notes: str | None = None
) -> ReportStatus | None:
    """Move the report as the body's system says; the status it moved to, or None."""
    to = status_for(report, remote)
    if to is None:
        return None
    note = " ".join((notes or "").split())[:NOTE_MAX] or None
    await change_status(work, report, to, note=note)
    return to
