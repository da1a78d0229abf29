"""Notices (broadcasts to subscribed citizens): create and schedule one (now, at a time, or on a
recurrence with an optional end), pause, resume and cancel it.

Staff do these (a system actor such as a feed acts with the staff role). Each action checks
the role, its rules (texts within TEXT_MAX, known districts or a circle inside the city, no
time in the past, a usable recurrence that fires before its end, only
a scheduled notice pauses, only a paused one resumes, a finished one cannot be cancelled),
writes the audit entry and, for a notice due now, wakes the notice scheduler after the commit.
The scheduler (scheduler/notices.py) sends the due ones; the delivery engine delivers them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot.domain.errors import Refused
from bot.domain.recurrence import check_recurrence, next_occurrence
from bot.domain.work import Work
from bot.i18n import N_
from storage.models import Notice, NoticeStatus, Role
from storage.repos import notices as repo

log = logging.getLogger(__name__)

NEEDED = Role.STAFF
TEXT_MAX = 3000
RADIUS_MAX_M = 5000  # the widest circle a notice may go to (the composers offer 500 m–5 km)
CANCELLABLE = (NoticeStatus.SCHEDULED, NoticeStatus.PAUSED)
# Why a recurrence cannot be used (bot.domain.recurrence.check_recurrence's codes).
RECURRENCE_REFUSALS = {
    "invalid": N_("broadcast.cron_invalid"),
    "never": N_("broadcast.cron_never"),
    "too_often": N_("broadcast.cron_too_often"),
}


@dataclass(frozen=True)
class Draft:
    """What a notice says and to whom (`audience` as stored: {"kind": "all"}, districts, or a
    circle)."""

    topic: str
    text_bg: str
    urgent: bool = False
    text_en: str | None = None
    photo: str | None = None
    audience: dict[str, Any] = field(default_factory=lambda: {"kind": "all"})


@dataclass(frozen=True)
class When:
    """When a notice goes: now (`at` None, no recurrence), once at `at`, or on `recurrence`
    (a cron expression in city time) from its next occurrence until `ends_at` (or for ever)."""

    at: datetime | None = None
    recurrence: str | None = None
    ends_at: datetime | None = None

    @classmethod
    def now(cls) -> When:
        return cls()

    @classmethod
    def once(cls, at: datetime) -> When:
        return cls(at=at)

    @classmethod
    def repeating(cls, recurrence: str, ends_at: datetime | None = None) -> When:
        return cls(recurrence=recurrence, ends_at=ends_at)


def can_pause(notice: Notice) -> bool:
    return notice.status == NoticeStatus.SCHEDULED


def can_resume(notice: Notice) -> bool:
    return notice.status == NoticeStatus.PAUSED


def can_cancel(notice: Notice, *, sending: bool) -> bool:
    """A scheduled or paused notice, or one with a run still sending (`sending`)."""
    return notice.status in CANCELLABLE or sending


def check_text(text: str) -> str:
    """A notice text as sent (stripped); Refused if empty or longer than TEXT_MAX."""
    text = text.strip()
    if not text:
        raise Refused("no_text", N_("broadcast.text_expected"))
    if len(text) > TEXT_MAX:
        raise Refused("too_long", N_("broadcast.text_too_long"), max=TEXT_MAX, length=len(text))
    return text


def check_audience(work: Work, audience: dict[str, Any]) -> None:
    """Refused for districts the city does not have (or none), and for a circle whose centre
    is outside the city or whose radius is not between 1 m and RADIUS_MAX_M. Other kinds (the
    whole city, a feed's area, those told before) are the system's own."""
    city = work.city
    kind = audience.get("kind")
    if kind == "districts":
        codes = audience.get("districts")
        if (
            not isinstance(codes, list)
            or not codes
            or any(not isinstance(c, str) or city.district(c) is None for c in codes)
        ):
            raise Refused("no_district", N_("broadcast.choose_a_district"))
    elif kind == "radius":
        try:
            lat, lon = float(audience["lat"]), float(audience["lon"])
            radius = int(audience["radius_m"])
        except (KeyError, TypeError, ValueError):
            raise Refused("no_pin", N_("notices.pin_expected")) from None
        if not city.contains(lat, lon):
            raise Refused("pin_outside", N_("notices.pin_outside"))
        if not 0 < radius <= RADIUS_MAX_M:
            raise Refused("bad_radius", N_("notices.radius_bad"), max=RADIUS_MAX_M)


def check_recurrence_usable(work: Work, recurrence: str) -> datetime:
    """The first occurrence of a usable recurrence; Refused if it is not one."""
    tz = work.city.timezone
    problem = check_recurrence(recurrence, tz, work.now)
    if problem is not None:
        raise Refused(f"recurrence_{problem}", RECURRENCE_REFUSALS[problem])
    first = next_occurrence(recurrence, work.now, tz)
    if first is None:
        raise Refused("recurrence_never", RECURRENCE_REFUSALS["never"])
    return first


def first_run(work: Work, when: When) -> datetime:
    """When the notice first goes, checked: Refused for a time in the past, an unusable
    recurrence, or an end before the first occurrence."""
    if when.recurrence is not None:
        first = check_recurrence_usable(work, when.recurrence)
        if when.ends_at is not None and first >= when.ends_at:
            raise Refused("ends_too_early", N_("broadcast.until_too_early"))
        return first
    if when.at is None:
        return work.now
    if when.at <= work.now:
        raise Refused("past", N_("broadcast.when_past"), now=work.now)
    return when.at


async def create(
    work: Work,
    draft: Draft,
    when: When,
    *,
    progress: tuple[str, str] | None = None,
    expires_after: timedelta | None = None,
) -> Notice:
    """Create and schedule a notice. `progress` is the (channel, user id) address whose
    progress message the delivery engine keeps up to date (a person sending now).
    `expires_after`: how long its messages may wait (quiet hours) before they are dropped; the
    NOTICE_EXPIRY_HOURS setting by default (a feed's alert lasts until its end)."""
    work.actor.require(NEEDED)
    for text in (draft.text_bg, draft.text_en):
        if text is not None:
            check_text(text)
    check_audience(work, draft.audience)
    next_run_at = first_run(work, when)
    notice = await repo.create(
        work.session,
        topic=draft.topic,
        urgent=draft.urgent,
        text_bg=draft.text_bg,
        text_en=draft.text_en,
        photo=draft.photo,
        audience=draft.audience,
        created_by=work.actor.citizen_id,
        next_run_at=next_run_at,
        recurrence=when.recurrence,
        ends_at=when.ends_at,
        expires_after_s=(
            int(expires_after.total_seconds())
            if expires_after is not None
            else work.settings.notice_expiry_hours * 3600
        ),
        progress=progress,
        now=work.now,
    )
    now = when.at is None and when.recurrence is None
    log.info("notice #%s created by %s (next run %s)", notice.id, _who(work), next_run_at)
    await work.audit("send" if now else "schedule", "notice", notice.id, topic=draft.topic)
    if next_run_at <= work.now:
        work.wake_notices_after_commit()
    return notice


async def pause(work: Work, notice: Notice) -> None:
    """Stop a scheduled notice's further runs until it is resumed."""
    work.actor.require(NEEDED)
    assert notice.id is not None
    if not can_pause(notice) or not await repo.pause(
        work.session, notice_id=notice.id, now=work.now
    ):
        raise Refused("not_scheduled", N_("broadcast.stale"))
    log.info("notice #%s paused by %s", notice.id, _who(work))
    await work.audit("pause", "notice", notice.id)


def resume_time(work: Work, notice: Notice) -> datetime | None:
    """When a paused notice would run again: a recurrence's next occurrence if it fell behind
    (None past its end), a one-off's own time unless it expired meanwhile."""
    next_run = notice.next_run_at
    if notice.recurrence:
        behind = next_run is None or next_run <= work.now
        if behind:
            next_run = next_occurrence(notice.recurrence, work.now, work.city.timezone)
        if next_run is not None and notice.ends_at is not None and next_run > notice.ends_at:
            return None
        return next_run
    if next_run is not None and (work.now - next_run).total_seconds() > notice.expires_after_s:
        return None
    return next_run


async def resume(work: Work, notice: Notice) -> datetime:
    """Schedule a paused notice again; returns when it next runs."""
    work.actor.require(NEEDED)
    assert notice.id is not None
    if not can_resume(notice):
        raise Refused("not_paused", N_("broadcast.stale"))
    next_run = resume_time(work, notice)
    if next_run is None:
        raise Refused("too_late", N_("broadcast.resume_too_late"))
    if not await repo.resume(work.session, notice_id=notice.id, next_run_at=next_run, now=work.now):
        raise Refused("not_paused", N_("broadcast.stale"))
    log.info("notice #%s resumed by %s", notice.id, _who(work))
    await work.audit("resume", "notice", notice.id)
    if next_run <= work.now:
        work.wake_notices_after_commit()
    return next_run


async def cancel(work: Work, notice: Notice) -> int:
    """Cancel a scheduled or paused notice, or one still sending: no further runs, and the
    messages not sent yet are withdrawn. Returns how many were withdrawn."""
    work.actor.require(NEEDED)
    assert notice.id is not None
    runs = await repo.runs_of(work.session, notice_id=notice.id)
    sending = any(r.status in repo.ACTIVE_RUNS for r in runs)
    if not can_cancel(notice, sending=sending):
        raise Refused("finished", N_("broadcast.stale"))
    withdrawn = await repo.cancel(work.session, notice_id=notice.id, now=work.now)
    log.info("notice #%s cancelled by %s (%d messages withdrawn)", notice.id, _who(work), withdrawn)
    await work.audit("cancel", "notice", notice.id, withdrawn=withdrawn)
    return withdrawn


def _who(work: Work) -> str:
    return work.actor.system or "staff"
