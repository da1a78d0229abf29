"""/linkbody BODY and /unlinkbody [BODY], sent by an admin inside a Telegram group the bot was
added to: the group becomes (or stops being) the body's team chat, where its new reports and
overdue reminders are posted. The rules (admins only, in a group, a body of the pack) are
bot/domain/body_news.py's; a non-admin is refused by the route's role before that. A group
that moved to a new id (CHAT_MOVED: upgraded to a supergroup) takes its links along."""

from __future__ import annotations

from dataclasses import replace

from bot.core.context import Context
from bot.core.messages import IncomingMessage, Kind
from bot.core.router import Router
from bot.domain import body_news
from bot.domain.actors import Actor
from bot.domain.errors import Refused
from handlers.refusals import refusal_text
from storage.models import Role

router = Router("bodies.link")


@router.command("linkbody", role=Role.ADMIN, in_groups=True)
async def on_link(msg: IncomingMessage, ctx: Context) -> None:
    code = msg.args.split()[0] if msg.args.split() else ""
    if not code and msg.chat is not None:
        ctx.reply(ctx.t("bodies.link_usage"))
        return
    try:
        body = await body_news.link_chat(
            ctx.work, code, channel=ctx.address.channel, chat_id=msg.chat
        )
    except Refused as refusal:
        ctx.reply(refusal_text(ctx, refusal))
        return
    ctx.reply(ctx.t("bodies.linked", body=body.name(ctx.language), code=body.code))


@router.command("unlinkbody", role=Role.ADMIN, in_groups=True)
async def on_unlink(msg: IncomingMessage, ctx: Context) -> None:
    code = msg.args.split()[0] if msg.args.split() else None
    try:
        codes = await body_news.unlink_chat(
            ctx.work, code, channel=ctx.address.channel, chat_id=msg.chat
        )
    except Refused as refusal:
        ctx.reply(refusal_text(ctx, refusal))
        return
    city = ctx.services.city
    names = ", ".join(b.name(ctx.language) for c in codes if (b := city.body(c)) is not None)
    ctx.reply(ctx.t("bodies.unlinked", bodies=names))


@router.on(Kind.CHAT_MOVED, open_to_banned=True, in_groups=True)
async def on_moved(msg: IncomingMessage, ctx: Context) -> None:
    """The platform's fact, whoever's message carried it: told as the channel (a system
    actor), nothing said in the group."""
    if msg.chat is None or not msg.payload:
        return
    work = replace(ctx.work, actor=Actor.machine(ctx.address.channel, Role.STAFF))
    await body_news.team_chat_moved(
        work, channel=ctx.address.channel, old_id=msg.chat, new_id=msg.payload
    )
