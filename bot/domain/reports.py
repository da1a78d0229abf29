"""Reports: what happens when a citizen (or an API client) files one, when staff change its
status, mark it a duplicate, hide or show it, when its reporter says "Not fixed", and who
may see and follow it.

Every interface calls these actions: the chat (handlers/reports/: file.py files, triage.py
triages, mine.py and reopen.py follow up) and the Open311 API (bot/web/open311.py
files). Each action takes a `Work`, checks the actor itself and raises `Forbidden` (the
role is wrong) or `Refused` (bot/domain/errors.py: the report or the moment is wrong; its
`code` says why, its `key` what a conversation says). The allowed status changes are the table
`TRANSITIONS` next to the status enum (storage/models/reports.py); the news to reporter and
followers are bot/domain/report_news.py. Nothing here commits.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from bot.domain import body_news, forwarding_queue, report_news, routing
from bot.domain.actors import Actor, Forbidden
from bot.domain.bodies import check_body
from bot.domain.errors import Refused
from bot.domain.work import Work
from bot.i18n import N_
from storage.models import REOPENABLE, TRANSITIONS, ApiKey, Citizen, Report, ReportStatus, Role
from storage.repos import api_keys, reports

log = logging.getLogger(__name__)

REOPEN_WINDOW = timedelta(days=14)  # "Not fixed" is offered this long after resolving
NOTE_MAX = 1000  # a staff note, a reason for rejecting or hiding
REASON_MIN = 3  # rejecting and hiding need a reason at least this long
COMMENT_MIN, COMMENT_MAX = 3, 1000  # the reporter's "Not fixed" comment
MINUTE = timedelta(minutes=1)


# -- filing -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NewReport:
    category: str
    description: str
    source: str  # telegram | viber | console | open311
    lat: float | None = None
    lon: float | None = None
    address: str | None = None
    district: str | None = None
    contact_phone: str | None = None


@dataclass(frozen=True, slots=True)
class NewPhoto:
    name: str  # in the photo store
    width: int
    height: int
    size: int


async def check_daily_limit(work: Work) -> None:
    """A citizen files at most REPORTS_PER_DAY reports a day (city time): Refused
    ("daily_limit", limit=…) past it. Asked before a draft starts and again when filing."""
    citizen_id = work.actor.citizen_id
    if citizen_id is None:
        return
    limit = work.settings.reports_per_day
    filed = await reports.count_filed_since(
        work.session, reporter_id=citizen_id, since=_midnight(work, 0)
    )
    if filed >= limit:
        raise Refused.plural("daily_limit", N_("report.daily_limit"), limit, limit=limit)


async def check_key_limits(work: Work, key: ApiKey) -> None:
    """An API key files at most its per-minute and per-day quota (the settings' by default):
    Refused("key_per_minute" | "key_per_day", limit=…, wait=timedelta). The key's row is
    locked (api_keys.verify), so every process counts the same."""
    assert key.id is not None
    now = work.now
    per_minute = key.per_minute or work.settings.open311_reports_per_minute
    per_day = key.per_day or work.settings.open311_reports_per_day
    filed, first = await api_keys.filed_since(work.session, api_key_id=key.id, since=now - MINUTE)
    if filed >= per_minute:
        wait = (first or now) + MINUTE - now
        raise Refused("key_per_minute", None, limit=per_minute, wait=wait)
    filed, _ = await api_keys.filed_since(work.session, api_key_id=key.id, since=_midnight(work, 0))
    if filed >= per_day:
        raise Refused("key_per_day", None, limit=per_day, wait=_midnight(work, 1) - now)


async def file(
    work: Work,
    new: NewReport,
    photos: Sequence[NewPhoto] = (),
    *,
    api_key: ApiKey | None = None,
) -> Report:
    """File a report: by a citizen (their daily limit) or by a system actor for an API key
    (the key's quotas). A banned citizen's report is filed hidden. It is routed at once
    (bot/domain/routing.py): its body and its deadlines are stored on it, and the body's
    hook is called (bot/domain/body_news.py)."""
    citizen_id = work.actor.citizen_id
    if citizen_id is None and api_key is None:
        raise Forbidden(Role.CITIZEN)
    if citizen_id is not None:
        await check_daily_limit(work)
    else:
        assert api_key is not None
        await check_key_limits(work, api_key)
    city = work.city
    route = routing.route(city, new.category, new.district, work.now)
    report = await reports.create(
        work.session,
        city=city.code,
        prefix=city.report_prefix,
        category=new.category,
        description=new.description,
        source=new.source,
        lat=new.lat,
        lon=new.lon,
        address=new.address,
        district=new.district,
        reporter_id=citizen_id,
        api_key_id=api_key.id if api_key is not None else None,
        contact_phone=new.contact_phone,
        body_code=route.body.code,
        ack_due_at=route.acknowledge_by,
        resolve_due_at=route.resolve_by,
        now=work.now,
    )
    if citizen_id is not None:
        citizen = await work.session.get(Citizen, citizen_id)
        if citizen is not None and citizen.banned_at is not None:
            report.hidden = True  # defensive: the dispatcher ignores banned citizens
    await attach_photos(work, report.id, photos, after=0)
    await body_news.report_reached_body(work, report, why="filed")
    log.info("report %s filed by %s for %s", report.public_id, work.actor.ref, route.body.code)
    return report


def _midnight(work: Work, days: int) -> datetime:
    """The city's midnight `days` after today's."""
    tz = work.city.timezone
    today = work.now.astimezone(tz).date()
    return datetime.combine(today + timedelta(days=days), time(0), tzinfo=tz)


# -- who may see and follow ---------------------------------------------------------------


async def may_see(work: Work, report: Report) -> bool:
    """Staff see every report; the reporter their own, hidden or not; followers a report the
    public can see."""
    actor = work.actor
    if actor.at_least(Role.STAFF):
        return True
    if actor.citizen_id is None:
        return not report.hidden
    if report.reporter_id == actor.citizen_id:
        return True
    return not report.hidden and await reports.is_follower(
        work.session, report_id=report.id, citizen_id=actor.citizen_id
    )


async def follow(work: Work, report: Report) -> bool:
    """The actor follows the report from now on (its news reach them). A hidden report
    cannot be followed (Refused "unavailable"); False when they filed it or already
    follow it."""
    citizen_id = _person(work.actor)
    if report.hidden:
        raise Refused("unavailable", N_("followup.unavailable"))
    if report.reporter_id == citizen_id:
        return False
    return await reports.follow(work.session, report_id=report.id, citizen_id=citizen_id)


async def unfollow(work: Work, report: Report) -> None:
    """The actor stops following the report; Refused("unavailable") if they did not."""
    citizen_id = _person(work.actor)
    if not await reports.unfollow(work.session, report_id=report.id, citizen_id=citizen_id):
        raise Refused("unavailable", N_("followup.unavailable"))


# -- staff triage -------------------------------------------------------------------------


def next_statuses(report: Report) -> tuple[ReportStatus, ...]:
    """The status changes staff may make now (TRANSITIONS)."""
    return TRANSITIONS[ReportStatus(report.status)]


def check_original(report: Report, original: Report | None) -> Report:
    """The report `report` may be marked a duplicate of: not itself, not its own duplicate.
    Refused "original_not_found" | "original_is_itself" | "original_is_duplicate"."""
    if original is None:
        raise Refused("original_not_found", N_("staff.original_not_found"))
    if original.id == report.id:
        raise Refused("original_is_itself", N_("staff.original_is_itself"))
    if original.duplicate_of_id == report.id:
        raise Refused("original_is_duplicate", N_("staff.original_is_duplicate"))
    return original


def check_note(to: ReportStatus, note: str | None) -> str | None:
    """The note of a status change, stripped: at most NOTE_MAX characters, and rejecting
    needs a reason of REASON_MIN. Refused "note_too_long" | "reason_needed"."""
    note = (note or "").strip() or None
    if note is not None and len(note) > NOTE_MAX:
        raise Refused("note_too_long", N_("staff.note_too_long"), max=NOTE_MAX, length=len(note))
    if to is ReportStatus.REJECTED and len(note or "") < REASON_MIN:
        raise Refused("reason_needed", N_("staff.reason_needed"), min=REASON_MIN)
    return note


async def change_status(
    work: Work,
    report: Report,
    to: ReportStatus,
    *,
    note: str | None = None,
    duplicate_of: Report | None = None,
) -> int:
    """Staff move the report on (TRANSITIONS), with an optional public note (a reason for
    rejecting): the history entry, the audit entry, and the news to the reporter and
    followers. Returns how many citizens were told. Marking a duplicate takes the original
    (see `mark_duplicate`). Refused("stale") when the table does not allow it now."""
    await check_body(work, report)
    if to not in next_statuses(report):
        raise Refused("stale", N_("staff.stale"))
    note = check_note(to, note)
    original = None
    if to is ReportStatus.DUPLICATE:
        original = check_original(report, duplicate_of)
    elif duplicate_of is not None:
        raise Refused("stale", N_("staff.stale"))
    event = await reports.change_status(
        work.session,
        report=report,
        to=to,
        actor_id=work.actor.citizen_id,
        actor_role=work.actor.role.value,
        note=note,
        duplicate_of_id=original.id if original else None,
        now=work.now,
    )
    if report.acknowledged_at is None:
        report.acknowledged_at = work.now  # any triage acknowledges the report
    if original is not None:
        await _follow_original(work, report, original)
    await work.audit("status", "report", report.public_id, was=event.from_status, to=to.value)
    log.info("report %s: %s → %s by %s", report.public_id, event.from_status, to, work.actor.ref)
    return await report_news.tell(work, report, event, REOPEN_WINDOW.days)


async def mark_duplicate(
    work: Work, report: Report, original: Report | None, *, note: str | None = None
) -> int:
    """The report is a duplicate of `original`: closed, and its reporter and followers follow
    the original from now on."""
    return await change_status(
        work, report, ReportStatus.DUPLICATE, note=note, duplicate_of=original
    )


async def _follow_original(work: Work, duplicate: Report, original: Report) -> None:
    people = {r.citizen_id for r in await reports.recipients(work.session, report=duplicate)}
    for citizen_id in sorted(people - {original.reporter_id}):
        await reports.follow(work.session, report_id=original.id, citizen_id=citizen_id)


def check_hide_reason(reason: str) -> str:
    """A reason for hiding, its spaces tidied: REASON_MIN..NOTE_MAX characters. Refused
    "note_too_long" | "hide_reason_needed"."""
    reason = " ".join(reason.split())
    if len(reason) > NOTE_MAX:
        raise Refused("note_too_long", N_("staff.note_too_long"), max=NOTE_MAX, length=len(reason))
    if len(reason) < REASON_MIN:
        raise Refused("hide_reason_needed", N_("staff.hide_reason_needed"), min=REASON_MIN)
    return reason


async def hide(work: Work, report: Report, reason: str) -> None:
    """Hide the report from the public (open data, Open311, followers, other citizens), not
    from its reporter, who is told the reason (a HIDE_REASONS key or staff's own words)."""
    await check_body(work, report)
    if report.hidden:
        raise Refused("stale", N_("staff.stale"))
    if reason not in report_news.HIDE_REASONS:
        reason = check_hide_reason(reason)
    await _set_hidden(work, report, hidden=True, reason=reason)


async def show(work: Work, report: Report) -> None:
    """Show a hidden report again (not announced: nothing was lost by it)."""
    await check_body(work, report)
    if not report.hidden:
        raise Refused("stale", N_("staff.stale"))
    await _set_hidden(work, report, hidden=False, reason=None)


async def _set_hidden(work: Work, report: Report, *, hidden: bool, reason: str | None) -> None:
    event = await reports.set_hidden(
        work.session,
        report=report,
        hidden=hidden,
        actor_id=work.actor.citizen_id,
        actor_role=work.actor.role.value,
        note=reason,
        now=work.now,
    )
    if event is None:
        return
    await work.audit("hide" if hidden else "unhide", "report", report.public_id)
    await report_news.tell(work, report, event, REOPEN_WINDOW.days)
    log.info("report %s %s by %s", report.public_id, event.kind, work.actor.ref)


# -- "Not fixed": reopening ---------------------------------------------------------------


def reopen_refusal(work: Work, report: Report) -> Refused | None:
    """Why the actor may not reopen the report now, or None when they may: only its reporter
    ("not_yours"), never a rejected one ("rejected": the way on is a new report), only a
    resolved one ("not_closed"), only within REOPEN_WINDOW of closing ("too_late", days=…)."""
    if report.reporter_id is None or report.reporter_id != work.actor.citizen_id:
        return Refused("not_yours", N_("followup.reopen_not_yours"))
    if report.status == ReportStatus.REJECTED:
        return Refused("rejected", N_("followup.reopen_rejected"))
    if report.citizen_confirmed:  # a citizen confirmed it fixed: closed for good
        return Refused("confirmed", N_("confirm.reopen_confirmed"))
    if ReportStatus(report.status) not in REOPENABLE:
        return Refused("not_closed", N_("followup.reopen_not_closed"))
    if report.closed_at is None or work.now - report.closed_at > REOPEN_WINDOW:
        days = REOPEN_WINDOW.days
        return Refused.plural("too_late", N_("followup.reopen_too_late"), days, days=days)
    return None


def can_reopen(work: Work, report: Report) -> bool:
    return reopen_refusal(work, report) is None


def check_comment(comment: str) -> str:
    """The reporter's "Not fixed" comment, its spaces tidied: COMMENT_MIN..COMMENT_MAX.
    Refused "comment_too_short" | "comment_too_long"."""
    comment = " ".join(comment.split())
    if len(comment) < COMMENT_MIN:
        raise Refused("comment_too_short", N_("followup.comment_too_short"), min=COMMENT_MIN)
    if len(comment) > COMMENT_MAX:
        raise Refused(
            "comment_too_long",
            N_("followup.comment_too_long"),
            max=COMMENT_MAX,
            length=len(comment),
        )
    return comment


async def reopen(work: Work, report: Report, comment: str) -> int:
    """The reporter says a resolved report is not fixed: back to acknowledged, marked as
    reopened, staff see it among the reports needing attention; its followers are told.
    Returns how many citizens were told."""
    refusal = reopen_refusal(work, report)
    if refusal is not None:
        raise refusal
    citizen_id = _person(work.actor)
    event = await reports.reopen(
        work.session,
        report=report,
        citizen_id=citizen_id,
        comment=check_comment(comment),
        now=work.now,
    )
    await forwarding_queue.queue_reopening(work, report, event)
    log.info("report %s reopened by its reporter", report.public_id)
    return await report_news.tell(work, report, event, REOPEN_WINDOW.days)


def _person(actor: Actor) -> int:
    """The citizen acting; a system actor cannot follow or reopen."""
    if actor.citizen_id is None:
        raise Forbidden(Role.CITIZEN)
    return actor.citizen_id


async def attach_photos(
    work: Work, report_id: int, photos: Sequence[NewPhoto], *, after: int | None = None
) -> None:
    """Add stored photos to a report after the ones it has (`after`: how many, when the
    caller knows — a report being filed has none), dated now: the console shows a "not
    fixed" answer's photo with the answer (written at the same moment)."""
    have = (
        after if after is not None else len(await reports.photos(work.session, report_id=report_id))
    )
    for offset, photo in enumerate(photos):
        await reports.add_photo(
            work.session,
            report_id=report_id,
            name=photo.name,
            width=photo.width,
            height=photo.height,
            size=photo.size,
            position=have + offset,
            now=work.now,
        )
