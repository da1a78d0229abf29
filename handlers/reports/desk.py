"""The staff desk's conversation state, shared by the list (staff_list.py) and triage
(triage.py): the list's filters (key "stl", so the page buttons stay short) and the one staff
question open about a report (key "act": which report, the change asked, and what was
answered so far). The questions' steps and what each asks are triage.py's TRIAGE and card.py's
WORK."""

from __future__ import annotations

from typing import Any

from bot.core.context import Context
from bot.core.messages import Button
from handlers.reports.buttons import ListPage

LIST_KEY = "stl"

NOTE = "staff.note"
DUPLICATE_OF = "staff.duplicate_of"
HIDE_REASON = "staff.hide_reason"
HIDE_CONFIRM = "staff.hide_confirm"
WORK_NOTE = "staff.work_note"  # card.py: an internal note's text
MOVE_BODY = "staff.move_body"  # card.py: which body to hand the report to
MOVE_REASON = "staff.move_reason"  # card.py: why
QUESTIONS = "staff.*"  # every staff question (TRIAGE.any)


def begin(ctx: Context, action: dict[str, Any]) -> None:
    """Open a staff question about a report, keeping the list's filters (and nothing else);
    the caller then enters its step."""
    listing = ctx.state.data.get(LIST_KEY)
    ctx.state.set(None, act=action, **({LIST_KEY: listing} if listing else {}))


def leave_action(ctx: Context) -> None:
    """Drop an unanswered staff question (other conversations are left alone)."""
    if (ctx.state.name or "").startswith("staff."):
        ctx.state.name = None
        ctx.state.data.pop("act", None)


def action(ctx: Context) -> dict[str, Any]:
    found = ctx.state.data.get("act")
    return found if isinstance(found, dict) else {}


def list_button(ctx: Context) -> Button | None:
    """Back to the list staff last asked for (its first page), if they asked for one."""
    listing = ctx.state.data.get(LIST_KEY)
    if isinstance(listing, dict) and isinstance(listing.get("v"), int):
        return ListPage(listing["v"], 0).button(ctx.t("staff.btn_list"))
    return None
