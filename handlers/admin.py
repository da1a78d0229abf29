"""Staff and admin commands. Each route names the role it needs; the dispatcher checks it on
every message."""

from __future__ import annotations

from datetime import timedelta

from bot.core.context import Context
from bot.core.messages import IncomingMessage
from bot.core.router import Router
from storage.models import Role
from storage.repos import citizens

router = Router("admin")


@router.command("staffhelp", role=Role.STAFF)
async def on_staff_help(msg: IncomingMessage, ctx: Context) -> None:
    text = ctx.t("staff.help")
    if ctx.role.at_least(Role.ADMIN):
        text += "\n\n" + ctx.t("admin.help")
    ctx.reply(text)


@router.command("stats", role=Role.ADMIN)
async def on_stats(msg: IncomingMessage, ctx: Context) -> None:
    session = ctx.session
    total = await citizens.count(session)
    by_channel = await citizens.count_by(session, column="channel")
    by_language = await citizens.count_by(session, column="language")
    active_7 = await citizens.count_active(session, since=ctx.now - timedelta(days=7))
    active_30 = await citizens.count_active(session, since=ctx.now - timedelta(days=30))
    ctx.reply(
        ctx.t(
            "admin.stats",
            total=total,
            channels=_breakdown(by_channel),
            languages=_breakdown(by_language),
            active_7=active_7,
            active_30=active_30,
        )
    )


def _breakdown(counts: dict[str, int]) -> str:
    return ", ".join(f"{key} {n}" for key, n in sorted(counts.items())) or "—"
