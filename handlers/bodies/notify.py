"""/notify: a staff member chooses how they hear of their bodies' new reports in their own
chat: every report (the default), a daily digest, or none. The team chat is told regardless."""

from __future__ import annotations

from bot.core.context import Context
from bot.core.messages import IncomingMessage, rows
from bot.core.router import Router
from bot.domain import body_news
from bot.domain.errors import Refused
from bot.i18n import N_
from handlers.bodies.buttons import NotifyChoice
from handlers.refusals import refusal_text
from storage.models import Role

router = Router("bodies.notify")

LABELS = {
    body_news.EVERY: N_("bodies.notify_every"),
    body_news.DIGEST: N_("bodies.notify_digest"),
    body_news.NONE: N_("bodies.notify_none"),
}


@router.command("notify", role=Role.STAFF)
async def on_notify(msg: IncomingMessage, ctx: Context) -> None:
    mode = await body_news.notify_mode(ctx.work)
    buttons = [
        NotifyChoice(choice).button(("✓ " if choice == mode else "") + ctx.t(LABELS[choice]))
        for choice in body_news.NOTIFY_MODES
    ]
    time = ctx.services.settings.body_digest_time
    ctx.reply(ctx.t("bodies.notify_ask", current=ctx.t(LABELS[mode]), time=time), rows(*buttons))


@router.button(NotifyChoice, role=Role.STAFF)
async def on_choice(msg: IncomingMessage, ctx: Context) -> None:
    mode = NotifyChoice.of(msg).mode
    try:
        await body_news.set_notify(ctx.work, mode)
    except Refused as refusal:
        ctx.reply(refusal_text(ctx, refusal))
        return
    ctx.reply(ctx.t("bodies.notify_set", choice=ctx.t(LABELS[mode])))
