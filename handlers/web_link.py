"""/web: a staff member's one-time link to the staff web console (bot/web/console/), valid
for ten minutes and for one browser; a citizen is told the console is for staff. The link's
rules are bot/domain/console_access.py's."""

from __future__ import annotations

from bot.core.context import Context
from bot.core.messages import IncomingMessage
from bot.core.router import Router
from bot.domain import console_access
from storage.models import Role

router = Router("web_link")


@router.command("web")
async def on_web(msg: IncomingMessage, ctx: Context) -> None:
    if not ctx.role.at_least(Role.STAFF):
        ctx.reply(ctx.t("web.staff_only"))
        return
    url = await console_access.issue_link(ctx.work)
    minutes = int(console_access.LINK_TTL.total_seconds() // 60)
    ctx.reply(ctx.tn("web.link", minutes, url=url, minutes=minutes))
