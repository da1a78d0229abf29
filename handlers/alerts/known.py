"""The report step's "we already know": a citizen filing a report in a category a feed covers
(feeds.json `report_categories`) with a pin inside an active alert's area is told what is
known and offered a message when it ends instead (fo:watch:<id>), or to file anyway
(fo:file).

The report flow calls `known_outage` at its location step and routes the answer (a button of
the prefix KNOWN_PREFIX, offered at that step) to `watch_if_chosen`; this module imports
nothing of the report flow, so the flow may import it.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.buttons import ButtonData
from bot.core.context import Context
from bot.core.messages import IncomingMessage, rows
from bot.feeds.alerts import area_of
from handlers.alerts.official import describe, desk
from storage.repos import feeds

KNOWN_PREFIX = "fo"


@dataclass(frozen=True)
class WatchButton(ButtonData, prefix=KNOWN_PREFIX):
    """Tell me when it is over (and file nothing)."""

    action: str  # "watch"
    alert: int


@dataclass(frozen=True)
class FileAnywayButton(ButtonData, prefix=KNOWN_PREFIX):
    action: str = "file"


async def known_outage(ctx: Context, *, category: str, lat: float, lon: float) -> bool:
    """At a report's location step: if an active alert of a feed covering `category` covers
    the pin, say what is known and offer a message when it ends; True if offered."""
    city = ctx.services.city
    covering = {f.id for f in city.feeds if category in f.report_categories}
    if not covering:
        return False
    for alert in await feeds.active(ctx.session, now=ctx.now):
        if alert.feed_id in covering and area_of(desk(ctx), alert).contains(lat, lon):
            assert alert.id is not None
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
            ctx.reply(
                text,
                rows(
                    WatchButton("watch", alert.id).button(ctx.t("feeds.btn_watch")),
                    FileAnywayButton().button(ctx.t("feeds.btn_file")),
                ),
            )
            return True
    return False


async def watch_if_chosen(ctx: Context, msg: IncomingMessage) -> bool:
    """The answer to known_outage's offer: True if the citizen chose to be told when the alert
    ends (they are now watching it; the report's draft is the flow's to drop), False to go on
    filing the report."""
    alert_id = ctx.state.data.pop("known_alert", None)
    watch = WatchButton.parse(msg.payload)
    if watch is None or watch.alert != alert_id:
        return False
    assert ctx.citizen.id is not None
    await feeds.watch(ctx.session, alert_id=watch.alert, citizen_id=ctx.citizen.id, now=ctx.now)
    return True
