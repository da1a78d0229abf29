"""`/find REF` (admins): a citizen's card by their public reference: channels by name,
language, role, dates, whether pushes reach them, a ban, and counts of their reports,
subscriptions and survey responses. Never a name, phone number or platform user id."""

from __future__ import annotations

from bot.core.context import Context
from bot.core.messages import IncomingMessage, rows
from bot.core.router import Router
from bot.domain import citizens as citizens_domain
from bot.domain.errors import Refused
from bot.i18n import N_
from handlers.admin.bans import BanButton
from handlers.admin.targets import (
    admin_by_setting,
    find_target,
    ref_of,
)
from handlers.labels import channel_label, language_label, role_label
from storage.models import Citizen, Role
from storage.repos import citizen_card

router = Router("admin.find")

FIND_USAGE = N_("admin.find_usage")


@router.command("find", role=Role.ADMIN)
async def on_find(msg: IncomingMessage, ctx: Context) -> None:
    words = msg.args.split()
    if len(words) > 1:
        ctx.reply(ctx.t(FIND_USAGE))
        return
    target = await find_target(ctx, words[0] if words else None, FIND_USAGE)
    if target is None:
        return
    buttons = []
    if target.banned_at is None and await bannable(ctx, target):
        label = ctx.t("admin.btn_ban", ref=ref_of(target))
        buttons.append(BanButton(target.id).button(label))
    ctx.reply(await card(ctx, target), rows(*buttons))


async def bannable(ctx: Context, citizen: Citizen) -> bool:
    """Whether the ban's own checks let this citizen be banned now."""
    try:
        await citizens_domain.check_ban(ctx.work, citizen)
    except Refused:
        return False
    return True


async def card(ctx: Context, citizen: Citizen) -> str:
    assert citizen.id is not None
    facts = await citizen_card.facts(ctx.session, citizen_id=citizen.id)
    by_setting = await admin_by_setting(ctx, citizen)
    role = role_label(ctx, Role.ADMIN if by_setting else citizen.role)
    if by_setting:
        role += " " + ctx.t("admin.staff_by_setting")
    return ctx.t(
        "admin.card",
        ref=ref_of(citizen),
        channels=", ".join(channel_label(ctx, c) for c in facts.channels) or "—",
        language=language_label(ctx, citizen.language),
        role=role,
        joined=ctx.when(citizen.created_at),
        seen=ctx.when(citizen.last_seen_at),
        pushes=_pushes(ctx, citizen, stopped=facts.stopped),
        banned=_ban(ctx, citizen),
        reports=facts.reports,
        hidden=facts.hidden_reports,
        topics=facts.topics,
        places=facts.places,
        surveys=facts.survey_responses,
    )


def _pushes(ctx: Context, citizen: Citizen, *, stopped: bool) -> str:
    if citizen.opted_out:
        return ctx.t("admin.pushes_blocked")
    if stopped:
        return ctx.t("admin.pushes_stopped")
    return ctx.t("admin.pushes_on")


def _ban(ctx: Context, citizen: Citizen) -> str:
    if citizen.banned_at is None:
        return ctx.t("admin.ban_none")
    text = ctx.t("admin.ban_since", when=ctx.when(citizen.banned_at))
    if citizen.ban_reason:
        text += f" — “{citizen.ban_reason}”"
    return text
