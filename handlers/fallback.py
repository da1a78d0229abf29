"""What the bot says when nothing else applies: never silence, always a way forward."""

from __future__ import annotations

from bot.core.context import Context
from bot.core.messages import IncomingMessage, Kind
from bot.core.router import Route, Router
from bot.i18n import N_
from handlers.menu import main_menu, show_menu
from storage.models import Role

router = Router("fallback")


@router.on(Kind.STOPPED)
async def on_stopped(msg: IncomingMessage, ctx: Context) -> None:
    # The citizen blocked the bot or unsubscribed: nothing can reach them any more.
    ctx.citizen.opted_out = True
    ctx.state.clear()


@router.on(Kind.UNSUPPORTED)
async def on_unsupported(msg: IncomingMessage, ctx: Context) -> None:
    # The conversation step stays as it is: the citizen can go on with what was asked.
    ctx.reply(ctx.t("fallback.unsupported"))


async def fallback(msg: IncomingMessage, ctx: Context) -> None:
    # Someone who has not seen the privacy notice never gets here (start.ask_consent_first).
    if msg.kind is Kind.COMMAND:
        ctx.reply(ctx.t("fallback.command", command=msg.command or ""), main_menu(ctx))
    elif msg.kind is Kind.BUTTON:
        show_menu(ctx, N_("fallback.button"))
    elif msg.kind is Kind.TEXT:
        show_menu(ctx, N_("fallback.text"))
    else:
        show_menu(ctx, N_("fallback.unexpected"))


FALLBACK = Route(handler=fallback, role=Role.CITIZEN, category="fallback", key="*")
