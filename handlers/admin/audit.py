"""The audit log. `audit(ctx, action, object_type, object_id, **detail)` records what a staff
member or admin just did, in the same transaction as the action itself (so an action that
rolls back leaves no entry); `/audit [REF]` (admins) shows the newest entries, or those by or
about one citizen and on the reports they filed, a page at a time (buttons aup:<ref or
*>:<page>, newest first).

Actions by object type: report (by its public id): status, hide, unhide; notice (by its
number): send, schedule, pause, resume, cancel; survey (by its number): create, publish,
close, public, private, export, invite; citizen (by their ref): grant, revoke, ban, unban.
Details hold codes and counts (and an admin's ban reason), never anything a citizen wrote.
"""

from __future__ import annotations

from typing import Any

from bot.core.buttons import ButtonData
from bot.core.context import Context
from bot.core.messages import IncomingMessage, rows
from bot.core.router import Router
from bot.i18n import N_
from handlers.labels import role_label
from handlers.reports.views import status_label
from storage.models import AuditEntry, ReportStatus, Role
from storage.refs import parse_ref, public_ref
from storage.repos import audit as repo

router = Router("admin.audit")

LIMIT = 20  # entries a page
ALL = "*"  # the paging buttons' "whole log"
REASON_SHOWN = 60

ACTIONS = {
    "status": N_("audit.status"),
    "hide": N_("audit.hide"),
    "unhide": N_("audit.unhide"),
    "send": N_("audit.send"),
    "schedule": N_("audit.schedule"),
    "pause": N_("audit.pause"),
    "resume": N_("audit.resume"),
    "cancel": N_("audit.cancel"),
    "create": N_("audit.create"),
    "publish": N_("audit.publish"),
    "close": N_("audit.close"),
    "public": N_("audit.public"),
    "private": N_("audit.private"),
    "export": N_("audit.export"),
    "invite": N_("audit.invite"),
    "grant": N_("audit.grant"),
    "revoke": N_("audit.revoke"),
    "ban": N_("audit.ban"),
    "unban": N_("audit.unban"),
}
OBJECTS = {"notice": N_("audit.notice"), "survey": N_("audit.survey")}


async def audit(
    ctx: Context, action: str, object_type: str, object_id: object, /, **detail: Any
) -> None:
    """Record that the sender did `action` on the object, now (the domain's audit entry)."""
    await ctx.work.audit(action, object_type, object_id, **detail)


@router.command("audit", role=Role.ADMIN)
async def on_audit(msg: IncomingMessage, ctx: Context) -> None:
    words = msg.args.split()
    if not words:
        return await show_page(ctx, None, 0)
    citizen_id = parse_ref(words[0]) if len(words) == 1 else None
    if citizen_id is None:
        problem = ctx.t("admin.ref_invalid", text=" ".join(words)[:20])
        usage = ctx.t("audit.usage")
        ctx.reply(f"{problem}\n\n{usage}")
        return
    await show_page(ctx, citizen_id, 0)


class PageButton(ButtonData, prefix="aup"):
    who: str  # ALL, or the citizen's public ref
    page: int


@router.button(PageButton, role=Role.ADMIN)
async def on_page(msg: IncomingMessage, ctx: Context) -> None:
    tapped = PageButton.of(msg)
    citizen_id = None if tapped.who == ALL else parse_ref(tapped.who)
    if (tapped.who != ALL and citizen_id is None) or tapped.page < 0:
        ctx.reply(ctx.t("fallback.button"))
        return
    await show_page(ctx, citizen_id, tapped.page)


async def show_page(ctx: Context, citizen_id: int | None, page: int) -> None:
    """One page of the log (or of one citizen's part of it), newest first, with Previous and
    Next buttons."""
    if citizen_id is None:
        filters: dict[str, Any] = {}
    else:
        ref = public_ref(citizen_id)
        filters = {
            "object_id": ref,
            "actor_id": citizen_id,
            "actor_ref": ref,
            "reports_of": citizen_id,
        }
    found = await repo.recent(ctx.session, limit=LIMIT + 1, offset=page * LIMIT, **filters)
    entries, more = found[:LIMIT], len(found) > LIMIT
    if not entries and page > 0:
        ctx.reply(ctx.t("audit.page_gone"))
        return
    if citizen_id is None:
        title, empty = ctx.t("audit.title", count=len(entries)), ctx.t("audit.empty")
    else:
        title, empty = ctx.t("audit.title_for", ref=ref), ctx.t("audit.empty_for", ref=ref)
    if not entries:
        ctx.reply(empty)
        return
    lines = [title, *(entry_line(ctx, entry) for entry in entries)]
    if page > 0 or more:
        lines.append(ctx.t("audit.page", page=page + 1))
    who = ALL if citizen_id is None else public_ref(citizen_id)
    nav = []
    if page > 0:
        nav.append(PageButton(who, page - 1).button(ctx.t("audit.btn_previous")))
    if more:
        nav.append(PageButton(who, page + 1).button(ctx.t("audit.btn_next")))
    ctx.reply("\n".join(lines), rows(*nav, per_row=2))


def entry_line(ctx: Context, entry: AuditEntry) -> str:
    """`27.11.2026 12:00 · C-7F3K2 · status of SOF-2026-000001: New → Acknowledged`"""
    key = ACTIONS.get(entry.action)
    what = _object(ctx, entry)
    if key is not None:
        what = ctx.t(key, object=what, **_values(ctx, entry))
    else:
        what = f"{entry.action} {what}"
    reason = entry.detail.get("reason") if entry.action == "ban" else None
    if isinstance(reason, str) and reason:
        what += f" — “{reason[:REASON_SHOWN]}”"
    return f"{ctx.when(entry.at)} · {entry.actor_ref} · {what}"


def _object(ctx: Context, entry: AuditEntry) -> str:
    key = OBJECTS.get(entry.object_type)
    return ctx.t(key, id=entry.object_id) if key else entry.object_id


def _values(ctx: Context, entry: AuditEntry) -> dict[str, object]:
    detail = entry.detail or {}
    if entry.action == "status":
        return {"was": _status(ctx, detail.get("was")), "to": _status(ctx, detail.get("to"))}
    if entry.action == "grant":
        role = detail.get("role")
        return {"role": role_label(ctx, role) if role in set(Role) else "?"}
    if entry.action == "invite":
        return {"count": detail.get("citizens", "?")}
    return {}


def _status(ctx: Context, value: object) -> str:
    return status_label(ctx, str(value)) if value in set(ReportStatus) else "?"
