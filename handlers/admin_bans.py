"""Admins ban and unban citizens: `/ban REF [reason]`, `/unban REF`.

A banned citizen is told once, at their next message, and then ignored (the dispatcher's
ban check). Their reports leave public view: /ban hides the ones still visible (a "hidden"
report event each, as staff's hide makes, with the note "/ban C-7F3K2" that staff see in the
report's history; the citizen gets no report news: the ban notice says it all). /unban shows
again exactly what the ban hid, known by that note; a report staff hid on its own, before or
during the ban, stays hidden (staff can show it again one by one).

A banned citizen keeps the public alerts they subscribed to (storage.repos.notices: public
information, emergencies above all, is for every resident) but is not invited to surveys
(storage.repos.surveys) and cannot answer one (the ban check).

Staff and admins cannot be banned (the ban check does not hold them): their role is revoked
first. Nobody bans themselves.

/ban asks first: a confirmation naming the citizen's ref, what a ban does and the reason,
with Yes (aby:<citizen id>) and No (abx). What is confirmed waits in the admin's conversation
data (key "ban"), beside whatever conversation they are in, so a draft is not lost.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from bot.core.context import Context
from bot.core.messages import Button, IncomingMessage, rows
from bot.core.router import Router
from bot.i18n import N_
from handlers.admin_targets import (
    admin_by_setting,
    effective_role,
    find_target,
    ref_of,
    role_label,
    tell,
)
from handlers.audit_log import audit
from handlers.menu import main_menu
from handlers.report_views import BAN_NOTE_PREFIX, local_time
from storage.models import Citizen, Report, Role
from storage.refs import public_ref
from storage.repos import citizen_card, citizens, moderation, reports

log = logging.getLogger(__name__)
router = Router("admin_bans")

BAN_USAGE = N_("admin.ban_usage")
UNBAN_USAGE = N_("admin.unban_usage")
REASON_MAX = 200  # citizen.ban_reason
PENDING = "ban"  # the conversation-data key of a ban waiting for its confirmation


def ban_note(ref: str) -> str:
    """The note on the report events of a ban's hiding (shown in the staff history)."""
    return f"{BAN_NOTE_PREFIX}{ref}"


@router.command("ban", role=Role.ADMIN)
async def on_ban(msg: IncomingMessage, ctx: Context) -> None:
    typed, _, reason = msg.args.strip().partition(" ")
    target = await find_target(ctx, typed, BAN_USAGE)
    if target is None or not await may_ban(ctx, target):
        return
    ref = ref_of(target)
    if target.banned_at is not None:
        ctx.reply(ctx.t("admin.already_banned", ref=ref, when=local_time(ctx, target.banned_at)))
        return
    reason = " ".join(reason.split())
    if len(reason) > REASON_MAX:
        ctx.reply(ctx.t("admin.reason_too_long", max=REASON_MAX, length=len(reason)))
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
            Button(ctx.t("admin.btn_ban_yes"), payload=f"aby:{target.id}"),
            Button(ctx.t("admin.btn_ban_no"), payload="abx"),
            per_row=2,
        ),
    )


@router.button("abn", role=Role.ADMIN)
async def on_ban_button(msg: IncomingMessage, ctx: Context) -> None:
    """The ban button of /find's card: the same confirmation as /ban (without a reason)."""
    wanted = (msg.payload or "").partition(":")[2]
    valid = wanted.isdigit() and len(wanted) <= 12
    target = await citizens.get(ctx.session, citizen_id=int(wanted)) if valid else None
    if target is None:
        ctx.reply(ctx.t("fallback.button"), main_menu(ctx))
        return
    if not await may_ban(ctx, target):
        return
    if target.banned_at is not None:
        when = local_time(ctx, target.banned_at)
        ctx.reply(ctx.t("admin.already_banned", ref=ref_of(target), when=when))
        return
    await ask_ban(ctx, target)


@router.button("aby", role=Role.ADMIN)
async def on_ban_yes(msg: IncomingMessage, ctx: Context) -> None:
    pending = ctx.state.data.pop(PENDING, None)
    wanted = (msg.payload or "").partition(":")[2]
    if not isinstance(pending, dict) or str(pending.get("citizen")) != wanted:
        ctx.reply(ctx.t("fallback.button"), main_menu(ctx))
        return
    target = await citizens.get(ctx.session, citizen_id=int(wanted))
    if target is None:
        ctx.reply(ctx.t("admin.ref_unknown", ref=public_ref(int(wanted))))
        return
    if not await may_ban(ctx, target):  # their role may have changed meanwhile
        return
    ref = ref_of(target)
    if target.banned_at is not None:
        ctx.reply(ctx.t("admin.already_banned", ref=ref, when=local_time(ctx, target.banned_at)))
        return
    reason = str(pending.get("reason") or "")
    await moderation.ban(ctx.session, citizen=target, reason=reason or None, now=ctx.now)
    hidden = await _hide_reports(ctx, target)
    # What the ban leaves them, for whoever reads the log later (README: bans and pushes).
    await audit(
        ctx, "ban", "citizen", ref, reason=reason, hidden=hidden, alerts="kept", surveys="none"
    )
    log.info("citizen #%s banned by citizen #%s", target.id, ctx.citizen.id)
    ctx.reply(ctx.t("admin.banned", ref=ref, count=hidden))


@router.button("abx", role=Role.ADMIN)
async def on_ban_no(msg: IncomingMessage, ctx: Context) -> None:
    pending = ctx.state.data.pop(PENDING, None)
    if not isinstance(pending, dict):
        ctx.reply(ctx.t("fallback.button"), main_menu(ctx))
        return
    ctx.reply(ctx.t("admin.ban_cancelled", ref=public_ref(int(pending.get("citizen", 0)))))


async def may_ban(ctx: Context, target: Citizen) -> bool:
    if target.id == ctx.citizen.id:
        ctx.reply(ctx.t("admin.ban_self"))
        return False
    if await admin_by_setting(ctx, target):
        ctx.reply(ctx.t("admin.admin_by_setting", ref=ref_of(target)))
        return False
    role = await effective_role(ctx, target)
    if role.at_least(Role.STAFF):
        ctx.reply(ctx.t("admin.ban_privileged", ref=ref_of(target), role=role_label(ctx, role)))
        return False
    return True


async def _hide_reports(ctx: Context, target: Citizen) -> int:
    """Hide the citizen's visible reports, noting the ban on each (how /unban knows them)."""
    assert target.id is not None and ctx.citizen.id is not None
    visible = await moderation.visible_reports_of(ctx.session, citizen_id=target.id)
    await _set_hidden(ctx, visible, hidden=True, note=ban_note(ref_of(target)))
    return len(visible)


async def _set_hidden(ctx: Context, found: Sequence[Report], *, hidden: bool, note: str) -> None:
    assert ctx.citizen.id is not None
    for report in found:
        await reports.set_hidden(
            ctx.session,
            report=report,
            hidden=hidden,
            actor_id=ctx.citizen.id,
            actor_role=ctx.role.value,
            note=note,
            now=ctx.now,
        )


@router.command("unban", role=Role.ADMIN)
async def on_unban(msg: IncomingMessage, ctx: Context) -> None:
    words = msg.args.split()
    if len(words) > 1:
        ctx.reply(ctx.t(UNBAN_USAGE))
        return
    target = await find_target(ctx, words[0] if words else None, UNBAN_USAGE)
    if target is None:
        return
    ref = ref_of(target)
    if target.banned_at is None:
        ctx.reply(ctx.t("admin.not_banned", ref=ref))
        return
    assert ctx.citizen.id is not None
    assert target.id is not None
    shown = await moderation.hidden_by_ban(
        ctx.session, citizen_id=target.id, ban_note=ban_note(ref)
    )
    await _set_hidden(ctx, shown, hidden=False, note=f"/unban {ref}")
    await moderation.unban(ctx.session, citizen=target)
    await audit(ctx, "unban", "citizen", ref, shown=len(shown))
    await tell(ctx, target, N_("admin.told_unbanned"))
    log.info("citizen #%s unbanned by citizen #%s", target.id, ctx.citizen.id)
    ctx.reply(ctx.t("admin.unbanned", ref=ref, count=len(shown)))
