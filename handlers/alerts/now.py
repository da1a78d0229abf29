"""/now (and the menu's "Now"): the official alerts in force for the citizen's places, in
their language."""

from __future__ import annotations

from bot.core.context import Context
from bot.core.messages import IncomingMessage
from bot.core.router import Router
from bot.feeds.alerts import area_of
from bot.feeds.parse import circle
from handlers.alerts.official import describe, desk
from handlers.menu import main_menu, menu_entry
from storage.models import AlertPlace, FeedAlert, PlaceKind
from storage.repos import alerts, feeds

router = Router("alerts.now")


def _meets(ctx: Context, alert: FeedAlert, places: list[AlertPlace]) -> bool:
    area = area_of(desk(ctx), alert)
    if area.geometry is None or not places:
        return True
    for place in places:
        if place.kind == PlaceKind.ALL:
            return True
        if place.kind == PlaceKind.DISTRICT and place.district in alert.districts:
            return True
        if place.kind == PlaceKind.RADIUS and place.lat is not None and place.lon is not None:
            if area.geometry.intersects(circle(place.lat, place.lon, place.radius_m or 1)):
                return True
    return False


@menu_entry("now")
async def show_now(ctx: Context) -> None:
    assert ctx.citizen.id is not None
    places = await alerts.places(ctx.session, citizen_id=ctx.citizen.id)
    active = [a for a in await feeds.active(ctx.session, now=ctx.now) if _meets(ctx, a, places)]
    if not active:
        text = ctx.t("feeds.now_none")
        if not places:
            text += "\n\n" + ctx.t("feeds.now_hint")
        return ctx.reply(text, main_menu(ctx))
    parts = [ctx.t("feeds.now_title"), *(describe(ctx, a) for a in active)]
    ctx.reply("\n\n".join(parts), main_menu(ctx))


@router.command("now")
async def on_now(msg: IncomingMessage, ctx: Context) -> None:
    await show_now(ctx)
