"""Admins give and take staff roles: `/grant staff|admin REF`, `/revoke REF`, and `/staff`
(who has a role). A new role takes effect with the target's next message (the dispatcher
reads the role on every message); the target is told in their own language.

The rules (who may change whose role) are bot.domain.citizens'; this is the conversation.
"""

from __future__ import annotations

import logging

from bot.core.context import Context
from bot.core.messages import IncomingMessage
from bot.core.router import Router
from bot.domain import citizens as domain
from bot.domain.errors import Refused
from bot.i18n import N_
from handlers.admin.targets import (
    admin_by_setting,
    find_target,
    ref_of,
    tell,
)
from handlers.labels import role_label
from handlers.refusals import refusal_text
from storage.models import Citizen, Role
from storage.refs import parse_ref
from storage.repos import citizens, moderation

log = logging.getLogger(__name__)
router = Router("admin.roles")

GRANTABLE = {
    "staff": Role.STAFF,
    "служител": Role.STAFF,
    "admin": Role.ADMIN,
    "администратор": Role.ADMIN,
}
GRANT_USAGE = N_("admin.grant_usage")
REVOKE_USAGE = N_("admin.revoke_usage")
TOLD = {
    Role.STAFF: N_("admin.told_staff"),
    Role.ADMIN: N_("admin.told_admin"),
}


@router.command("grant", role=Role.ADMIN)
async def on_grant(msg: IncomingMessage, ctx: Context) -> None:
    words = msg.args.split()
    bodies: list[str] = []
    if len(words) == 3 and words[0].lower() in GRANTABLE and parse_ref(words[1]) is None:
        bodies.append(words.pop(1))  # `/grant staff BODY C-7F3K2`
    if not words or len(words) > 2:
        ctx.reply(ctx.t(GRANT_USAGE))
        return
    if len(words) > 1 and words[0].lower() not in GRANTABLE and words[1].lower() in GRANTABLE:
        words[0], words[1] = words[1], words[0]  # `/grant C-7F3K2 staff` is understood too
    role = GRANTABLE.get(words[0].lower())
    if role is None:
        problem = ctx.t("admin.unknown_role", role=words[0][:20])
        usage = ctx.t(GRANT_USAGE)
        ctx.reply(f"{problem}\n\n{usage}")
        return
    target = await find_target(ctx, words[1] if len(words) > 1 else None, GRANT_USAGE)
    if target is None:
        return
    try:
        await domain.grant(ctx.work, target, role, bodies)
    except Refused as refusal:
        ctx.reply(refusal_text(ctx, refusal))
        return
    await tell(ctx, target, TOLD[role])
    ctx.reply(ctx.t("admin.granted", ref=ref_of(target), role=role_label(ctx, role)))


@router.command("revoke", role=Role.ADMIN)
async def on_revoke(msg: IncomingMessage, ctx: Context) -> None:
    words = msg.args.split()
    bodies, words = words[:-1], words[-1:]  # `/revoke BODY C-7F3K2`: that body only
    if len(bodies) > 1 or any(parse_ref(word) is not None for word in bodies):
        ctx.reply(ctx.t(REVOKE_USAGE))
        return
    target = await find_target(ctx, words[0] if words else None, REVOKE_USAGE)
    if target is None:
        return
    try:
        await domain.revoke(ctx.work, target, bodies)
    except Refused as refusal:
        ctx.reply(refusal_text(ctx, refusal))
        return
    if bodies:
        ctx.reply(ctx.t("admin.revoked_body", ref=ref_of(target), body=bodies[0].lower()))
        return
    await tell(ctx, target, N_("admin.told_revoked"))
    ctx.reply(ctx.t("admin.revoked", ref=ref_of(target)))


@router.command("staff", role=Role.ADMIN)
async def on_staff(msg: IncomingMessage, ctx: Context) -> None:
    """Staff and admins, admins first; those of the ADMINS setting marked as such."""
    people = {c.id: c for c in await moderation.privileged(ctx.session)}
    unseen = 0
    for address in ctx.services.settings.admins:
        citizen = await citizens.find_by_identity(
            ctx.session, channel=address.channel, user_id=address.user_id
        )
        if citizen is None:
            unseen += 1  # has not written to the bot yet, so has no ref
        else:
            people[citizen.id] = citizen
    listed = [(c, await admin_by_setting(ctx, c)) for c in people.values()]
    listed.sort(key=lambda item: (not item[1], -Role(item[0].role).rank, item[0].id or 0))
    lines = [ctx.t("admin.staff_title", count=len(listed))] if listed else []
    lines += [_staff_line(ctx, citizen, by_setting) for citizen, by_setting in listed]
    if not listed:
        lines.append(ctx.t("admin.staff_none"))
    if unseen:
        lines.append(ctx.t("admin.staff_unseen", count=unseen))
    ctx.reply("\n".join(lines))


def _staff_line(ctx: Context, citizen: Citizen, by_setting: bool) -> str:
    line = ctx.t(
        "admin.staff_line",
        ref=ref_of(citizen),
        role=role_label(ctx, Role.ADMIN if by_setting else citizen.role),
        seen=ctx.when(citizen.last_seen_at),
    )
    if by_setting:
        line += " " + ctx.t("admin.staff_by_setting")
    return line
