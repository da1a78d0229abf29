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
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from bot.core.context import Context
from bot.core.messages import IncomingMessage
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
from handlers.report_views import local_time
from storage.models import Citizen, Report, Role
from storage.repos import moderation, reports

log = logging.getLogger(__name__)
router = Router("admin_bans")

BAN_USAGE = N_("admin.ban_usage")
UNBAN_USAGE = N_("admin.unban_usage")
REASON_MAX = 200  # citizen.ban_reason


def ban_note(ref: str) -> str:
    """The note on the report events of a ban's hiding (shown in the staff history)."""
    return f"/ban {ref}"


@router.command("ban", role=Role.ADMIN)
async def on_ban(msg: IncomingMessage, ctx: Context) -> None:
    typed, _, reason = msg.args.strip().partition(" ")
    target = await find_target(ctx, typed, BAN_USAGE)
    if target is None or not await _may_ban(ctx, target):
        return
    ref = ref_of(target)
    if target.banned_at is not None:
        ctx.reply(ctx.t("admin.already_banned", ref=ref, when=local_time(ctx, target.banned_at)))
        return
    reason = " ".join(reason.split())
    if len(reason) > REASON_MAX:
        ctx.reply(ctx.t("admin.reason_too_long", max=REASON_MAX, length=len(reason)))
        return
    await moderation.ban(ctx.session, citizen=target, reason=reason or None, now=ctx.now)
    hidden = await _hide_reports(ctx, target)
    # What the ban leaves them, for whoever reads the log later (README: bans and pushes).
    await audit(
        ctx, "ban", "citizen", ref, reason=reason, hidden=hidden, alerts="kept", surveys="none"
    )
    log.info("citizen #%s banned by citizen #%s", target.id, ctx.citizen.id)
    ctx.reply(ctx.t("admin.banned", ref=ref, count=hidden))


async def _may_ban(ctx: Context, target: Citizen) -> bool:
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
