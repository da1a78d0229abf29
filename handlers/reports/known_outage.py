"""The filing's "we already know": a citizen filing a report in a category a feed covers
(feeds.json `report_categories`) with a pin inside an active alert's area is told what is
known and offered a message when it ends instead (fo:watch:<id>), or to file anyway
(fo:file). file.py asks at its location step and takes the answer (`on_known_outage`)."""

from __future__ import annotations

from bot.core.context import Context
from bot.core.messages import rows
from bot.feeds.alerts import area_of
from handlers.alerts.official import describe, desk
from handlers.reports.buttons import KnownOutageChoice
from storage.repos import feeds


async def known_outage(ctx: Context, *, category: str, lat: float, lon: float) -> bool:
    """At a report's location step: if an active alert of a feed covering `category` covers
    the pin, say what is known and offer a message when it ends; True if offered."""
    city = ctx.services.city
    covering = {f.id for f in city.feeds if category in f.report_categories}
    if not covering:
        return False
    for alert in await feeds.active(ctx.session, now=ctx.now):
        if alert.feed_id in covering and area_of(desk(ctx), alert).contains(lat, lon):
            feed = city.feed(alert.feed_id)
            source = feed.attribution_text(ctx.language) if feed else alert.feed_id
            ctx.state.update(known_alert=alert.id)
            text = "\n\n".join(
                [
                    ctx.t("feeds.known", source=source),
                    describe(ctx, alert),
                    ctx.t("feeds.known_ask"),
                ]
            )
            assert alert.id is not None
            ctx.reply(
                text,
                rows(
                    KnownOutageChoice.watch(alert.id).button(ctx.t("feeds.btn_watch")),
                    KnownOutageChoice(KnownOutageChoice.FILE).button(ctx.t("feeds.btn_file")),
                ),
            )
            return True
    return False
