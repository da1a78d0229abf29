"""Staff and admin commands. Each route names the role it needs; the dispatcher checks it on
every message."""

from __future__ import annotations

from bot.core.context import Context
from bot.core.messages import IncomingMessage
from bot.core.router import Router
from storage.models import Role

router = Router("admin.help")


@router.command("staffhelp", role=Role.STAFF)
async def on_staff_help(msg: IncomingMessage, ctx: Context) -> None:
    # Each capability's lines, before the list's last line ("/staffhelp – this list").
    lines = ctx.t("staff.help").split("\n")
    extra = [ctx.t("desk.help_web"), ctx.t("bodies.staff_help"), ctx.t("card.staff_help")]
    text = "\n".join((*lines[:-1], *extra, *lines[-1:]))
    if ctx.role.at_least(Role.ADMIN):
        text += (
            "\n\n"
            + ctx.t("admin.help")
            + "\n"
            + ctx.t("bodies.admin_help")
            + "\n"
            + ctx.t("forward.help")
        )
    ctx.reply(text)
