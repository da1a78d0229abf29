"""Admins ban and unban citizens: `/ban REF [reason]`, `/unban REF`.

A banned citizen is told once, at their next message, and then ignored (the dispatcher's
ban check). Their reports leave public view: /ban hides the ones still visible (a "hidden"
report event each, as staff's hide makes, with the note "/ban C-7F3K2" that staff see in the
report's history; the citizen gets no report news: the ban notice says it all). /unban shows
again exactly what the ban hid, known by that note; a report staff hid on its own, before or
during the ban, stays hidden (staff can show it again one by one).

A banned citizen keeps the public alerts they subscribed to (storage.repos.notice_audience: public
information, emergencies above all, is for every resident) but is not invited to surveys
(storage.repos.surveys) and cannot answer one (the ban check).

Staff and admins cannot be banned (the ban check does not hold them): their role is revoked
first. Nobody bans themselves. These rules, the hiding and the audit entry are
bot.domain.citizens' (ban, unban); this is the conversation.

/ban asks first: a confirmation naming the citizen's ref, what a ban does and the reason,
with Yes (aby:<citizen id>) and No (abx). What is confirmed waits in the admin's conversation
data (key "ban"), beside whatever conversation they are in, so a draft is not lost.
"""

from __future__ import annotations

import logging

from bot.core.buttons import ButtonData
from bot.core.context import Context
from bot.core.messages import IncomingMessage, rows
from bot.core.router import Router
from bot.domain import citizens as domain
from bot.domain.errors import Refused
from bot.i18n import N_
from handlers.admin.targets import (
    find_target,
    ref_of,
    tell,
)
from handlers.menu import show_menu
from handlers.refusals import refusal_text
from storage.models import Citizen, Role
from storage.refs import public_ref
from storage.repos import citizen_card, citizens

log = logging.getLogger(__name__)
router = Router("admin.bans")

BAN_USAGE = N_("admin.ban_usage")
UNBAN_USAGE = N_("admin.unban_usage")
PENDING = "ban"  # the conversation-data key of a ban waiting for its confirmation


ban_note = domain.ban_note


class BanButton(ButtonData, prefix="abn"):
    """The ban button of /find's card: asks for the confirmation."""

    citizen: int


class BanYesButton(ButtonData, prefix="aby"):
    citizen: int


class BanNoButton(ButtonData, prefix="abx"):
    pass


@router.command("ban", role=Role.ADMIN)
async def on_ban(msg: IncomingMessage, ctx: Context) -> None:
    typed, _, reason = msg.args.strip().partition(" ")
    target = await find_target(ctx, typed, BAN_USAGE)
    if target is None:
        return
    try:
        reason = await domain.check_ban(ctx.work, target, reason)
    except Refused as refusal:
        ctx.reply(refusal_text(ctx, refusal))
        return
    await ask_ban(ctx, target, reason)


async def ask_ban(ctx: Context, target: Citizen, reason: str = "") -> None:
    """The confirmation: the ref, what a ban does, the reason; Yes and No. Used by /ban and
    by the ban button of /find's card (the caller checked the citizen may be banned)."""
    assert target.id is not None
    ref = ref_of(target)
    facts = await citizen_card.facts(ctx.session, citizen_id=target.id)
    ctx.state.update(**{PENDING: {"citizen": target.id, "reason": reason}})
    lines = [ctx.t("admin.confirm_ban", ref=ref, count=facts.reports - facts.hidden_reports)]
    if reason:
        lines.append(ctx.t("admin.confirm_ban_reason", reason=reason))
    ctx.reply(
        "\n".join(lines),
        rows(
            BanYesButton(target.id).button(ctx.t("admin.btn_ban_yes")),
            BanNoButton().button(ctx.t("admin.btn_ban_no")),
            per_row=2,
        ),
    )


@router.button(BanButton, role=Role.ADMIN)
async def on_ban_button(msg: IncomingMessage, ctx: Context) -> None:
    """The ban button of /find's card: the same confirmation as /ban (without a reason)."""
    target = await citizens.get(ctx.session, citizen_id=BanButton.of(msg).citizen)
    if target is None:  # forgotten since /find showed the card
        show_menu(ctx, N_("fallback.button"))
        return
    try:
        await domain.check_ban(ctx.work, target)
    except Refused as refusal:
        ctx.reply(refusal_text(ctx, refusal))
        return
    await ask_ban(ctx, target)


# The confirmation waits in the conversation data, beside whatever conversation the admin is
# in, so it is not bound to a state: a Yes or No with nothing (or someone else) pending is an
# old keyboard's, answered as the router answers any stale button.


@router.button(BanYesButton, role=Role.ADMIN)
async def on_ban_yes(msg: IncomingMessage, ctx: Context) -> None:
    pending = ctx.state.data.pop(PENDING, None)
    wanted = BanYesButton.of(msg).citizen
    if not isinstance(pending, dict) or pending.get("citizen") != wanted:
        show_menu(ctx, N_("fallback.button"))
        return
    target = await citizens.get(ctx.session, citizen_id=wanted)
    if target is None:
        ctx.reply(ctx.t("admin.ref_unknown", ref=public_ref(wanted)))
        return
    try:  # their role may have changed meanwhile
        hidden = await domain.ban(ctx.work, target, str(pending.get("reason") or ""))
    except Refused as refusal:
        ctx.reply(refusal_text(ctx, refusal))
        return
    ctx.reply(ctx.t("admin.banned", ref=ref_of(target), count=hidden))


@router.button(BanNoButton, role=Role.ADMIN)
async def on_ban_no(msg: IncomingMessage, ctx: Context) -> None:
    pending = ctx.state.data.pop(PENDING, None)
    if not isinstance(pending, dict):
        show_menu(ctx, N_("fallback.button"))
        return
    ctx.reply(ctx.t("admin.ban_cancelled", ref=public_ref(int(pending.get("citizen", 0)))))


@router.command("unban", role=Role.ADMIN)
async def on_unban(msg: IncomingMessage, ctx: Context) -> None:
    words = msg.args.split()
    if len(words) > 1:
        ctx.reply(ctx.t(UNBAN_USAGE))
        return
    target = await find_target(ctx, words[0] if words else None, UNBAN_USAGE)
    if target is None:
        return
    try:
        shown = await domain.unban(ctx.work, target)
    except Refused as refusal:
        ctx.reply(refusal_text(ctx, refusal))
        return
    await tell(ctx, target, N_("admin.told_unbanned"))
    ctx.reply(ctx.t("admin.unbanned", ref=ref_of(target), count=shown))
