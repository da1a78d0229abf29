"""/reports: the staff list of reports, filtered by status, category and district typed in
any order (by code or by name, in either language), a page at a time; and `/report` without
an id for staff: the reports waiting for us, to pick one.

Every route needs Role.STAFF. Buttons (buttons.py): stp:<list version>:<page> a page of the
list (the filters are in the conversation state, desk.py), sto:<report id> a report's staff
view (triage.py).
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from bot.core.context import Context
from bot.core.messages import Button, IncomingMessage, rows
from bot.core.router import Router
from bot.domain.bodies import list_filter
from bot.domain.body_figures import overdue_reports
from bot.i18n import N_
from handlers.picker import LIMIT, Choice, offer
from handlers.reports.buttons import ListPage, StaffOpen
from handlers.reports.desk import LIST_KEY, leave_action
from handlers.reports.views import category_label, district_label, status_label
from storage.models import CLOSED_STATUSES, OPEN_STATUSES, Report, ReportStatus, Role
from storage.repos import reports

router = Router("report_staff_list")

PAGE_SIZE = 10
MAX_PAGE = 10**6  # a page number beyond any list: the last page is shown

S = ReportStatus

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
# `/reports overdue`: the open reports past their resolve deadline, the latest first.
OVERDUE_WORDS = N_("figures.words_overdue")
LONGEST_NAME = 4  # words in the longest district or category name ("Нови Искър" has two)
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
    if _is_overdue(ctx, msg.args):
        filters: dict[str, Any] = {"w": [], "c": None, "d": None, "o": True}
        unknown: list[str] = []
    else:
        filters, unknown = parse_filters(ctx, msg.args)
    if unknown:
        ctx.reply(_filters_help(ctx, unknown))
        return
    await _show_filtered(ctx, filters)


async def show_new(ctx: Context) -> None:
    """The list of new reports (of the staff member's bodies), as `/reports new` shows it."""
    await _show_filtered(ctx, {"w": [S.NEW.value], "c": None, "d": None})


async def _show_filtered(ctx: Context, filters: dict[str, Any]) -> None:
    leave_action(ctx)
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


def _is_overdue(ctx: Context, args: str) -> bool:
    words = {_phrase(w) for lang in ctx.services.translator.languages for w in _overdue(ctx, lang)}
    return _phrase(args) in words | {"overdue"}


def _overdue(ctx: Context, language: str) -> list[str]:
    return ctx.services.translator.translate(language, OVERDUE_WORDS).split(",")


async def show_list(ctx: Context, page: int) -> None:
    filters = ctx.state.data[LIST_KEY]
    page = max(page, 0)
    overdue = bool(filters.get("o"))
    if overdue:
        found, total = await overdue_reports(ctx.work, offset=page * PAGE_SIZE, limit=PAGE_SIZE)
    else:
        statuses = [s for word in filters["w"] for s in STATUS_WORDS[word]]
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
    if overdue:
        if not found:
            ctx.reply(ctx.t("figures.overdue_empty"))
            return
        lines = [ctx.tn("figures.overdue_title", total, total=total, page=page + 1, pages=pages)]
        lines += [_overdue_line(ctx, report) for report in found]
    else:
        described = _describe(ctx, filters)
        if not found:
            ctx.reply(ctx.t("staff.list_empty", filters=described))
            return
        lines = [
            ctx.t("staff.list_title", filters=described, total=total, page=page + 1, pages=pages)
        ]
        lines += [list_line(ctx, report) for report in found]
    buttons: list[Button | tuple[Button, ...]] = [
        StaffOpen(report.id or 0).button(report.public_id) for report in found
    ]
    nav = []
    if page > 0:
        nav.append(ListPage(filters["v"], page - 1).button("◀️"))
    if page + 1 < pages:
        nav.append(ListPage(filters["v"], page + 1).button("▶️"))
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
        [Choice(r.public_id, StaffOpen(r.id or 0).pack(), line=list_line(ctx, r)) for r in found],
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


def list_line(ctx: Context, report: Report) -> str:
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


def _overdue_line(ctx: Context, report: Report) -> str:
    line = list_line(ctx, report)
    if report.resolve_due_at is not None:
        line += " · " + ctx.t("figures.late_by", late=_age(ctx, report.resolve_due_at))
    body = ctx.services.city.body(report.body_code)
    if body is not None:
        line += " · " + body.name(ctx.language)
    return line


def _age(ctx: Context, since: datetime) -> str:
    seconds = max(0, int((ctx.now - since).total_seconds()))
    if seconds < 3600:
        return ctx.t("staff.age_minutes", n=seconds // 60)
    if seconds < 48 * 3600:
        return ctx.t("staff.age_hours", n=seconds // 3600)
    return ctx.tn("staff.age_days", seconds // 86400, n=seconds // 86400)


@router.button(ListPage, role=Role.STAFF)
async def on_list_page(msg: IncomingMessage, ctx: Context) -> None:
    tapped = ListPage.of(msg)
    filters = ctx.state.data.get(LIST_KEY)
    if not isinstance(filters, dict) or filters.get("v") != tapped.version:
        ctx.reply(ctx.t("staff.list_stale"))  # the page of an older list's filters
        return
    leave_action(ctx)
    await show_list(ctx, min(tapped.page, MAX_PAGE))
