"""Staff triage: /reports (a filtered list), a report's staff view (`/report SOF-…` through
handlers.report_detail), status changes with a public note, duplicates, hiding.

Every route needs Role.STAFF, so the dispatcher refuses citizens before a handler runs; each
handler still re-reads the report and re-checks the state, so stale or forged buttons get a
polite answer. The rules (which changes, the notes, the audit, the news) are the domain's:
bot/domain/reports.py; this module is the conversation around them. Staff never see who a
citizen is: no platform name or user id, and a phone number only when the citizen shared it
for this report on purpose.

Buttons (payload prefixes): stp:<list version>:<page> a page of the list, sto:<report id>
the staff view, sts:<report id>:<status> change the status, sth:<report id>:<1|0> hide or
unhide, shr:<n> one of the common reasons for hiding, shy yes, hide it; stk skip the note,
stx cancel. The list's filters live in the conversation state (key "stl"), so the page
buttons stay short.

Hiding takes three steps: Hide → a reason (a common one from a button, or written) → a
confirmation naming it; the reporter is told the reason and still follows the report.
Showing it again is one tap (nothing is lost by it).
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from bot.core.context import Context
from bot.core.messages import Button, IncomingMessage, Kind, Rows, rows
from bot.core.router import Router
from bot.domain import reports as domain
from bot.domain.bodies import list_filter
from bot.domain.errors import Refused
from bot.domain.report_news import HIDE_REASONS, hide_reason
from bot.i18n import N_
from handlers.menu import main_menu
from handlers.picker import LIMIT, Choice, offer
from handlers.refusals import refusal_text
from handlers.report_detail import send_photos
from handlers.report_views import (
    category_label,
    district_label,
    local_time,
    report_card,
    status_label,
)
from storage.models import CLOSED_STATUSES, OPEN_STATUSES, Report, ReportEvent, ReportStatus, Role
from storage.refs import public_ref
from storage.repos import reports

router = Router("staff")

PAGE_SIZE = 10
NOTE = "staff.note"
DUPLICATE_OF = "staff.duplicate_of"
HIDE_REASON = "staff.hide_reason"
HIDE_CONFIRM = "staff.hide_confirm"
ACTION_STATES = (NOTE, DUPLICATE_OF, HIDE_REASON, HIDE_CONFIRM)
LIST_KEY = "stl"

S = ReportStatus
STATUS_BUTTONS = {
    S.ACKNOWLEDGED: N_("staff.btn_acknowledge"),
    S.IN_PROGRESS: N_("staff.btn_in_progress"),
    S.RESOLVED: N_("staff.btn_resolved"),
    S.REJECTED: N_("staff.btn_reject"),
    S.DUPLICATE: N_("staff.btn_duplicate"),
}
_ORDER = list(ReportStatus)
STATUS_WORDS: dict[str, tuple[str, ...]] = {s.value: (s.value,) for s in ReportStatus} | {
    "open": tuple(s.value for s in _ORDER if s in OPEN_STATUSES),
    "closed": tuple(s.value for s in _ORDER if s in CLOSED_STATUSES),
}
GROUP_LABELS = {"open": N_("staff.filter_open"), "closed": N_("staff.filter_closed")}
# The words staff may type for each status filter, in every language: comma-separated lists
# in the catalogs ("нов, нови", "new"), besides the codes themselves.
FILTER_WORDS = {
    S.NEW.value: N_("staff.words_new"),
    S.ACKNOWLEDGED.value: N_("staff.words_acknowledged"),
    S.IN_PROGRESS.value: N_("staff.words_in_progress"),
    S.RESOLVED.value: N_("staff.words_resolved"),
    S.REJECTED.value: N_("staff.words_rejected"),
    S.DUPLICATE.value: N_("staff.words_duplicate"),
    "open": N_("staff.words_open"),
    "closed": N_("staff.words_closed"),
}
LONGEST_NAME = 4  # words in the longest district or category name ("Нови Искър" has two)
WHO = {
    "citizen": N_("staff.who_citizen"),
    "staff": N_("staff.who_staff"),
    "admin": N_("staff.who_admin"),
    "api": N_("staff.who_api"),
}


# -- /reports: the list -------------------------------------------------------------------


def _phrase(text: str) -> str:
    return " ".join(text.casefold().split())


def filter_vocabulary(ctx: Context) -> dict[str, tuple[str, str]]:
    """What staff may type, case-insensitive, in Bulgarian or English: status words and codes,
    categories by code or name, districts by code, number or name. Maps the phrase to
    ("w", status word), ("c", category code) or ("d", district code)."""
    translator = ctx.services.translator
    city = ctx.services.city
    vocabulary: dict[str, tuple[str, str]] = {}
    for district in city.districts:
        vocabulary[district.code.casefold()] = ("d", district.code)
        for language in translator.languages:
            vocabulary[_phrase(district.name(language))] = ("d", district.code)
    for category in city.categories:
        vocabulary[category.code.casefold()] = ("c", category.code)
        for language in translator.languages:
            for name in (category.name(language), category.label(language)):
                vocabulary[_phrase(name)] = ("c", category.code)
    for word, key in FILTER_WORDS.items():
        vocabulary[word] = ("w", word)
        for language in translator.languages:
            for phrase in translator.translate(language, key).split(","):
                vocabulary[_phrase(phrase)] = ("w", word)
    return vocabulary


def parse_filters(ctx: Context, args: str) -> tuple[dict[str, Any], list[str]]:
    """Statuses (and open/closed), a category and a district, in any order, by code or by
    name (the longest name that fits wins: "Нови Искър" is a district, "нови" a status); the
    words that are none of these come back as the second value."""
    vocabulary = filter_vocabulary(ctx)
    found: dict[str, Any] = {"w": [], "c": None, "d": None}
    unknown: list[str] = []
    tokens = args.replace(",", " ").split()
    i = 0
    while i < len(tokens):
        for size in range(min(LONGEST_NAME, len(tokens) - i), 0, -1):
            phrase = _phrase(" ".join(tokens[i : i + size]))
            if size == 1 and phrase.isdigit():
                phrase = phrase.zfill(2)
            kind, value = vocabulary.get(phrase, ("", ""))
            if kind == "w":
                if value not in found["w"]:
                    found["w"].append(value)
                break
            if kind and found[kind] in (None, value):
                found[kind] = value
                break
        else:
            unknown.append(tokens[i][:40])
            size = 1
        i += size
    return found, unknown


@router.command("reports", role=Role.STAFF)
async def on_reports(msg: IncomingMessage, ctx: Context) -> None:
    filters, unknown = parse_filters(ctx, msg.args)
    if unknown:
        ctx.reply(_filters_help(ctx, unknown))
        return
    _leave_action(ctx)
    previous = ctx.state.data.get(LIST_KEY) or {}
    version = int(previous.get("v", 0)) % 999 + 1
    ctx.state.update(**{LIST_KEY: {"v": version, **filters}})
    await show_list(ctx, 0)


def _filters_help(ctx: Context, unknown: list[str]) -> str:
    districts = [d.code for d in ctx.services.city.districts]
    return ctx.t(
        "staff.filters_help",
        words=", ".join(unknown[:5]),
        statuses=", ".join(ctx.t(key).split(",")[-1].strip() for key in FILTER_WORDS.values()),
        categories=", ".join(c.code for c in ctx.services.city.categories),
        districts=f"{districts[0]}–{districts[-1]}" if districts else "—",
    )


async def show_list(ctx: Context, page: int) -> None:
    filters = ctx.state.data[LIST_KEY]
    statuses = [s for word in filters["w"] for s in STATUS_WORDS[word]]
    page = max(page, 0)
    found, total = await reports.search(
        ctx.session,
        statuses=statuses or None,
        category=filters["c"],
        district=filters["d"],
        include_hidden=True,
        bodies=await list_filter(ctx.work),
        offset=page * PAGE_SIZE,
        limit=PAGE_SIZE,
    )
    pages = max(1, math.ceil(total / PAGE_SIZE))
    if not found and page > 0 and total:
        return await show_list(ctx, pages - 1)
    described = _describe(ctx, filters)
    if not found:
        ctx.reply(ctx.t("staff.list_empty", filters=described))
        return
    lines = [ctx.t("staff.list_title", filters=described, total=total, page=page + 1, pages=pages)]
    lines += [_list_line(ctx, report) for report in found]
    buttons: list[Button | tuple[Button, ...]] = [
        Button(report.public_id, payload=f"sto:{report.id}") for report in found
    ]
    nav = []
    if page > 0:
        nav.append(Button("◀️", payload=f"stp:{filters['v']}:{page - 1}"))
    if page + 1 < pages:
        nav.append(Button("▶️", payload=f"stp:{filters['v']}:{page + 1}"))
    layout = rows(*buttons, per_row=2)
    if nav:
        layout = (*layout, tuple(nav))
    ctx.reply("\n".join(lines), layout)


async def offer_reports(ctx: Context) -> bool:
    """`/report` without an id, for staff: the newest reports needing attention to open, and
    a button to file one themselves. False (nothing said) for citizens: /report files one."""
    if not ctx.role.at_least(Role.STAFF):
        return False
    found = await reports.needing_attention(
        ctx.session, bodies=await list_filter(ctx.work), limit=LIMIT
    )
    offer(
        ctx,
        ctx.t("staff.pick_report"),
        [Choice(r.public_id, f"sto:{r.id}", line=_list_line(ctx, r)) for r in found],
        empty=ctx.t("staff.pick_report_none"),
        extra=[Button(ctx.t("staff.btn_file_report"), payload="menu:report")],
        per_row=2,
    )
    return True


def _describe(ctx: Context, filters: dict[str, Any]) -> str:
    parts = [
        ctx.t(GROUP_LABELS[word]) if word in GROUP_LABELS else status_label(ctx, word)
        for word in filters["w"]
    ]
    if filters["c"]:
        parts.append(category_label(ctx, filters["c"]))
    if filters["d"]:
        parts.append(district_label(ctx, filters["d"]))
    return ", ".join(parts) if parts else ctx.t("staff.filter_all")


def _list_line(ctx: Context, report: Report) -> str:
    line = ctx.t(
        "staff.list_line",
        id=report.public_id,
        status=status_label(ctx, report.status),
        category=category_label(ctx, report.category),
        district=district_label(ctx, report.district),
        age=_age(ctx, report.created_at),
    )
    if report.reopened:
        line += " · " + ctx.t("staff.reopened", count=report.reopened)
    if report.hidden:
        line += " · 🙈"
    return line


def _age(ctx: Context, since: datetime) -> str:
    seconds = max(0, int((ctx.now - since).total_seconds()))
    if seconds < 3600:
        return ctx.t("staff.age_minutes", n=seconds // 60)
    if seconds < 48 * 3600:
        return ctx.t("staff.age_hours", n=seconds // 3600)
    return ctx.tn("staff.age_days", seconds // 86400, n=seconds // 86400)


@router.button("stp", role=Role.STAFF)
async def on_list_page(msg: IncomingMessage, ctx: Context) -> None:
    version, _, page = _arg(msg).partition(":")
    filters = ctx.state.data.get(LIST_KEY)
    if (
        not isinstance(filters, dict)
        or str(filters.get("v")) != version
        or not page.isdigit()
        or len(page) > 6
    ):
        ctx.reply(ctx.t("staff.list_stale"))
        return
    _leave_action(ctx)
    await show_list(ctx, int(page))


# -- the staff view of one report ---------------------------------------------------------


async def show_staff_view(ctx: Context, report: Report, note: str | None = None) -> None:
    """Details, photos, contact (only if shared for this report), the full history and the
    actions that are valid now."""
    _leave_action(ctx)
    photos = await reports.photos(ctx.session, report_id=report.id)
    await send_photos(ctx, report, [photo.name for photo in photos])
    lines = [report_card(ctx, report, photos=len(photos))]
    extra = []
    if report.reopened:
        extra.append(ctx.t("staff.reopened", count=report.reopened))
    if report.hidden:
        extra.append(ctx.t("staff.hidden"))
    if report.duplicate_of_id is not None:
        original = await reports.get(ctx.session, report_id=report.duplicate_of_id)
        if original is not None:
            extra.append(ctx.t("followup.duplicate_of", id=original.public_id))
    if report.reporter_id is not None:
        extra.append(ctx.t("staff.reporter", ref=public_ref(report.reporter_id)))
    if report.contact_phone:
        extra.append(ctx.t("staff.contact", phone=report.contact_phone))
    if extra:
        lines.append("\n".join(extra))
    lines.append(staff_history(ctx, await reports.history(ctx.session, report_id=report.id)))
    if note:
        lines.insert(0, note)
    ctx.reply("\n\n".join(lines), staff_buttons(ctx, report))


def staff_buttons(ctx: Context, report: Report) -> Rows:
    changes = [
        Button(ctx.t(STATUS_BUTTONS[to]), payload=f"sts:{report.id}:{to.value}")
        for to in domain.next_statuses(report)
    ]
    if report.hidden:
        moderation = Button(ctx.t("staff.btn_unhide"), payload=f"sth:{report.id}:0")
    else:
        moderation = Button(ctx.t("staff.btn_hide"), payload=f"sth:{report.id}:1")
    return rows(*changes, (moderation,), per_row=2)


def staff_history(ctx: Context, events: list[ReportEvent]) -> str:
    """Every event, moderation included, with who did it (a role, never a person)."""
    lines = [ctx.t("report.history_title")]
    for event in events:
        when = local_time(ctx, event.at)
        who = ctx.t(WHO[event.actor_role]) if event.actor_role in WHO else event.actor_role
        if event.kind == "created":
            line = ctx.t("staff.event_created", when=when, who=who)
        elif event.kind == "status":
            line = ctx.t(
                "staff.event_status",
                when=when,
                before=status_label(ctx, event.from_status or S.NEW.value),
                after=status_label(ctx, event.to_status or S.NEW.value),
                who=who,
            )
        elif event.kind == "reopened":
            line = ctx.t("staff.event_reopened", when=when)
        elif event.kind == "hidden":
            line = ctx.t("staff.event_hidden", when=when, who=who)
        elif event.kind == "shown":
            line = ctx.t("staff.event_shown", when=when, who=who)
        else:
            line = f"{when} — {event.kind}"
        note = event.note
        if note and event.kind == "hidden":
            note = hide_reason(ctx.t, note) or note
        if note and event.kind != "created":
            line += f"\n   “{note}”"
        lines.append(line)
    return "\n".join(lines)


@router.button("sto", role=Role.STAFF)
async def on_open(msg: IncomingMessage, ctx: Context) -> None:
    report = await _report(ctx, _arg(msg))
    if report is None:
        return _unavailable(ctx)
    await show_staff_view(ctx, report)


# -- status changes -----------------------------------------------------------------------


@router.button("sts", role=Role.STAFF)
async def on_status_button(msg: IncomingMessage, ctx: Context) -> None:
    report_id, _, to = _arg(msg).partition(":")
    report = await _report(ctx, report_id)
    if report is None:
        return _unavailable(ctx)
    target = _status(to)
    if target is None or target not in domain.next_statuses(report):
        return await show_staff_view(ctx, report, note=ctx.t("staff.stale"))
    action = {"id": report.id, "from": report.status, "to": target.value}
    if target is S.DUPLICATE:
        _begin(ctx, DUPLICATE_OF, action)
        ctx.reply(ctx.t("staff.ask_original", id=report.public_id), rows(_cancel_button(ctx)))
        return
    _ask_note(ctx, report, action)


def _ask_note(ctx: Context, report: Report, action: dict[str, Any]) -> None:
    _begin(ctx, NOTE, action)
    if action["to"] == S.REJECTED.value:
        ctx.reply(ctx.t("staff.ask_reason", id=report.public_id), rows(_cancel_button(ctx)))
        return
    ctx.reply(
        ctx.t("staff.ask_note", id=report.public_id, status=status_label(ctx, action["to"])),
        rows(
            Button(ctx.t("staff.btn_skip"), payload="stk"),
            _cancel_button(ctx),
            per_row=2,
        ),
    )


@router.state(DUPLICATE_OF, role=Role.STAFF)
async def on_original(msg: IncomingMessage, ctx: Context) -> None:
    action = _action(ctx)
    report = await _report(ctx, str(action.get("id", "")))
    if report is None:
        _leave_action(ctx)
        return _unavailable(ctx)
    wanted = (msg.text.split() or [""])[0][:32]
    found = await reports.get_by_public_id(ctx.session, public_id=wanted) if wanted else None
    try:
        original = domain.check_original(report, found)
    except Refused as refusal:
        shown = found.public_id if found is not None else wanted.upper() or "—"
        ctx.reply(refusal_text(ctx, refusal, id=shown), rows(_cancel_button(ctx)))
        return
    _ask_note(ctx, report, {**action, "dup": original.id})


@router.state(NOTE, role=Role.STAFF)
async def on_note(msg: IncomingMessage, ctx: Context) -> None:
    target = _status(str(_action(ctx).get("to")))
    try:
        note = domain.check_note(target or S.NEW, msg.text)
    except Refused as refusal:
        return _refuse_note(ctx, refusal)
    await _apply(ctx, note)


def _refuse_note(ctx: Context, refusal: Refused) -> None:
    """The note (or reason) does not do: say why and ask again."""
    text = refusal_text(ctx, refusal)
    if refusal.code == "note_too_long":
        ctx.reply(text)
    elif refusal.code == "hide_reason_needed":
        ctx.reply(text, _hide_reason_buttons(ctx))
    else:
        ctx.reply(text, rows(_cancel_button(ctx)))


@router.button("stk", role=Role.STAFF)
async def on_skip_note(msg: IncomingMessage, ctx: Context) -> None:
    if ctx.state.name != NOTE:
        return _stale(ctx)
    target = _status(str(_action(ctx).get("to")))
    try:
        domain.check_note(target or S.NEW, None)
    except Refused as refusal:
        return _refuse_note(ctx, refusal)
    await _apply(ctx, None)


async def _apply(ctx: Context, note: str | None) -> None:
    """Make the change the staff member asked for, if it is still what they saw, and say
    how many citizens were told."""
    action = _action(ctx)
    _leave_action(ctx)
    report_id = action.get("id")
    report = (
        await reports.get_for_update(ctx.session, report_id=report_id)
        if isinstance(report_id, int)
        else None
    )
    if report is None:
        return _unavailable(ctx)
    target = _status(str(action.get("to")))
    if target is None or report.status != action.get("from"):
        return await show_staff_view(ctx, report, note=ctx.t("staff.stale"))
    dup = action.get("dup")
    original = await reports.get(ctx.session, report_id=dup) if isinstance(dup, int) else None
    try:
        told = await domain.change_status(
            ctx.work, report, target, note=note, duplicate_of=original
        )
    except Refused:
        return await show_staff_view(ctx, report, note=ctx.t("staff.stale"))
    ctx.reply(
        ctx.t(
            "staff.status_changed",
            id=report.public_id,
            status=status_label(ctx, target.value),
            count=told,
        ),
        _after_buttons(ctx, report),
    )


@router.state(
    NOTE,
    DUPLICATE_OF,
    HIDE_REASON,
    kinds=(Kind.LOCATION, Kind.PHOTO, Kind.CONTACT),
    role=Role.STAFF,
)
async def on_action_wrong_kind(msg: IncomingMessage, ctx: Context) -> None:
    ctx.reply(ctx.t("staff.text_expected"), rows(_cancel_button(ctx)))


@router.button("stx", role=Role.STAFF)
async def on_cancel(msg: IncomingMessage, ctx: Context) -> None:
    if ctx.state.name not in ACTION_STATES:
        return _stale(ctx)
    action = _action(ctx)
    _leave_action(ctx)
    report = await _report(ctx, str(action.get("id", "")))
    buttons = _after_buttons(ctx, report) if report is not None else ()
    ctx.reply(ctx.t("staff.cancelled"), buttons)


# -- moderation ---------------------------------------------------------------------------


@router.button("sth", role=Role.STAFF)
async def on_hide(msg: IncomingMessage, ctx: Context) -> None:
    report_id, _, flag = _arg(msg).partition(":")
    report = await _report(ctx, report_id, lock=flag == "0")
    if report is None or flag not in ("0", "1"):
        return _unavailable(ctx)
    hidden = flag == "1"
    if report.hidden == hidden:
        return await show_staff_view(ctx, report, note=ctx.t("staff.stale"))
    if hidden:
        _begin(ctx, HIDE_REASON, {"id": report.id})
        _ask_hide_reason(ctx, report)
        return
    _leave_action(ctx)
    await domain.show(ctx.work, report)
    ctx.reply(ctx.t("staff.shown_done", id=report.public_id), _after_buttons(ctx, report))


def _ask_hide_reason(ctx: Context, report: Report) -> None:
    ctx.reply(ctx.t("staff.ask_hide_reason", id=report.public_id), _hide_reason_buttons(ctx))


def _hide_reason_buttons(ctx: Context) -> Rows:
    reasons = [
        Button(ctx.t(key), payload=f"shr:{number}") for number, key in enumerate(HIDE_REASONS)
    ]
    return rows(*reasons, _cancel_button(ctx))


@router.button("shr", role=Role.STAFF)
async def on_hide_reason_button(msg: IncomingMessage, ctx: Context) -> None:
    number = _arg(msg)
    if ctx.state.name != HIDE_REASON or not number.isdigit() or int(number) >= len(HIDE_REASONS):
        return _stale(ctx)
    await _confirm_hide(ctx, HIDE_REASONS[int(number)])


@router.state(HIDE_REASON, role=Role.STAFF)
async def on_hide_reason_text(msg: IncomingMessage, ctx: Context) -> None:
    try:
        reason = domain.check_hide_reason(msg.text)
    except Refused as refusal:
        return _refuse_note(ctx, refusal)
    await _confirm_hide(ctx, reason)


async def _confirm_hide(ctx: Context, reason: str) -> None:
    """Ask "hide it?", naming the reason the reporter will read (kept in the state)."""
    action = {**_action(ctx), "reason": reason}
    report = await _report(ctx, str(action.get("id", "")))
    if report is None:
        _leave_action(ctx)
        return _unavailable(ctx)
    _begin(ctx, HIDE_CONFIRM, action)
    ctx.reply(
        ctx.t(
            "staff.confirm_hide",
            id=report.public_id,
            reason=hide_reason(ctx.t, reason) or reason,
        ),
        rows(
            Button(ctx.t("staff.btn_hide_yes"), payload="shy"),
            _cancel_button(ctx),
            per_row=2,
        ),
    )


@router.state(
    HIDE_CONFIRM, kinds=(Kind.TEXT, Kind.LOCATION, Kind.PHOTO, Kind.CONTACT), role=Role.STAFF
)
async def on_hide_confirm_other(msg: IncomingMessage, ctx: Context) -> None:
    """Anything but the two buttons: ask again (nothing is hidden without the "yes")."""
    await _confirm_hide(ctx, str(_action(ctx).get("reason", "")))


@router.button("shy", role=Role.STAFF)
async def on_hide_yes(msg: IncomingMessage, ctx: Context) -> None:
    if ctx.state.name != HIDE_CONFIRM:
        return _stale(ctx)
    action = _action(ctx)
    _leave_action(ctx)
    report = await _report(ctx, str(action.get("id", "")), lock=True)
    reason = action.get("reason")
    if report is None or not isinstance(reason, str) or not reason:
        return _unavailable(ctx)
    try:
        await domain.hide(ctx.work, report, reason)
    except Refused:
        return await show_staff_view(ctx, report, note=ctx.t("staff.stale"))
    ctx.reply(ctx.t("staff.hidden_done", id=report.public_id), _after_buttons(ctx, report))


# -- helpers ------------------------------------------------------------------------------


def _begin(ctx: Context, state: str, action: dict[str, Any]) -> None:
    """Enter a staff question, keeping the list's filters (and nothing else)."""
    listing = ctx.state.data.get(LIST_KEY)
    ctx.state.set(state, act=action, **({LIST_KEY: listing} if listing else {}))


def _leave_action(ctx: Context) -> None:
    """Drop an unanswered staff question (other conversations are left alone)."""
    if ctx.state.name in ACTION_STATES:
        ctx.state.name = None
        ctx.state.data.pop("act", None)


def _action(ctx: Context) -> dict[str, Any]:
    action = ctx.state.data.get("act")
    return action if isinstance(action, dict) else {}


def _after_buttons(ctx: Context, report: Report) -> Rows:
    buttons = [Button(ctx.t("staff.btn_open", id=report.public_id), payload=f"sto:{report.id}")]
    listing = ctx.state.data.get(LIST_KEY)
    if isinstance(listing, dict) and "v" in listing:
        buttons.append(Button(ctx.t("staff.btn_list"), payload=f"stp:{listing['v']}:0"))
    return rows(*buttons, per_row=2)


def _cancel_button(ctx: Context) -> Button:
    return Button(ctx.t("staff.btn_cancel"), payload="stx")


async def _report(ctx: Context, arg: str, *, lock: bool = False) -> Report | None:
    if not arg.isdigit() or len(arg) > 12:
        return None
    if lock:
        return await reports.get_for_update(ctx.session, report_id=int(arg))
    return await reports.get(ctx.session, report_id=int(arg))


def _status(value: str) -> ReportStatus | None:
    try:
        return ReportStatus(value)
    except ValueError:
        return None


def _unavailable(ctx: Context) -> None:
    ctx.reply(ctx.t("staff.unavailable"))


def _stale(ctx: Context) -> None:
    ctx.reply(ctx.t("fallback.button"), main_menu(ctx))


def _arg(msg: IncomingMessage) -> str:
    return (msg.payload or "").partition(":")[2]
