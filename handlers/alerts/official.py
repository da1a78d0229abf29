"""An official feed's alert as the chat says it (bot/feeds/ holds the feeds' rules)."""

from __future__ import annotations

from bot.core.context import Context
from bot.feeds import alerts as feed_alerts
from bot.feeds.alerts import Desk
from storage.models import FeedAlert


def desk(ctx: Context) -> Desk:
    services = ctx.services
    return Desk(
        services.city, services.translator, services.settings, services.settings.admin_addresses
    )


def describe(ctx: Context, alert: FeedAlert) -> str:
    d = desk(ctx)
    lines = [
        feed_alerts.heading(d, alert, ctx.language),
        feed_alerts.body(alert, ctx.language),
        feed_alerts.until_line(d, alert, ctx.language) or "",
        feed_alerts.source_line(d, alert, ctx.language),
    ]
    return "\n".join(line for line in lines if line)
