"""The citizen an admin command is about, named by their public reference (`C-7F3K2`): staff
never see names, phone numbers or platform ids. Shared by /grant, /revoke, /ban, /unban and
/find."""

from __future__ import annotations

from bot.core.context import Context
from bot.core.messages import Address, Reply
from bot.domain import citizens as domain
from storage.models import Citizen, Role
from storage.refs import parse_ref, public_ref
from storage.repos import citizens

TYPED_MAX = 20  # how much of a mistyped reference is echoed back


async def find_target(ctx: Context, typed: str | None, usage_key: str) -> Citizen | None:
    """The citizen behind `typed`; None after telling the admin what is wrong, with the
    command's usage line (its i18n key)."""
    if not typed:
        problem = ctx.t("admin.ref_missing")
    else:
        citizen_id = parse_ref(typed)
        citizen = await citizens.get(ctx.session, citizen_id=citizen_id) if citizen_id else None
        if citizen is not None:
            return citizen
        if citizen_id is None:
            problem = ctx.t("admin.ref_invalid", text=typed[:TYPED_MAX])
        else:
            problem = ctx.t("admin.ref_unknown", ref=public_ref(citizen_id))
    usage = ctx.t(usage_key)
    ctx.reply(f"{problem}\n\n{usage}")
    return None


ref_of = domain.ref_of


async def addresses_of(ctx: Context, citizen: Citizen) -> list[Address]:
    assert citizen.id is not None
    found = await citizens.identities(ctx.session, citizen_id=citizen.id)
    return [Address(identity.channel, identity.user_id) for identity in found]


async def admin_by_setting(ctx: Context, citizen: Citizen) -> bool:
    """Whether one of the citizen's accounts is listed in the ADMINS setting (their role
    there is admin whatever the database says)."""
    return await domain.admin_by_setting(ctx.work, citizen)


async def effective_role(ctx: Context, citizen: Citizen) -> Role:
    return await domain.effective_role(ctx.work, citizen)


async def tell(ctx: Context, citizen: Citizen, key: str, /, **values: object) -> None:
    """Send the citizen a message in their own language on each of their channels (after the
    commit); not to those who blocked the bot."""
    if citizen.opted_out:
        return
    text = ctx.services.translator.translate(citizen.language, key, **values)
    for address in await addresses_of(ctx, citizen):
        ctx.send_to(address, Reply(text=text))
