"""The composer's audience: all of the city, districts, or a circle around a pin."""

from __future__ import annotations

import re

from bot.core.context import Context
from bot.core.messages import IncomingMessage, Kind
from bot.core.router import Router
from handlers.broadcast.buttons import (
    AROUND,
    NEXT,
    TO_ALL,
    TO_DISTRICTS,
    AudienceButton,
    DistrictButton,
    RadiusButton,
)
from handlers.broadcast.flow import (
    AUDIENCE,
    DISTRICTS,
    FLOW,
    PIN,
    RADII_M,
    RADIUS,
    URGENCY,
    draft,
)
from storage.models import Role

router = Router("broadcast.audience")

_COORDS = re.compile(r"^\s*(-?\d{1,2}\.\d+)\s*[,; ]\s*(-?\d{1,3}\.\d+)\s*$")


@router.button(AudienceButton, role=Role.STAFF, state=(AUDIENCE, DISTRICTS))
async def on_audience(msg: IncomingMessage, ctx: Context) -> None:
    choice = AudienceButton.of(msg).choice
    if ctx.state.name == DISTRICTS:  # the districts step's one audience button is Next
        if choice != NEXT:
            return FLOW.ask_again(ctx)
        chosen = list(draft(ctx).get("districts") or [])
        if not chosen:
            return FLOW.ask_again(ctx, note=ctx.t("broadcast.choose_a_district"))
        ctx.state.update(audience={"kind": "districts", "districts": sorted(chosen)})
        return FLOW.goto(ctx, URGENCY)
    if choice == TO_ALL:
        ctx.state.update(audience={"kind": "all"})
        return FLOW.goto(ctx, URGENCY)
    if choice == TO_DISTRICTS:
        ctx.state.update(districts=[])
        return FLOW.goto(ctx, DISTRICTS)
    if choice == AROUND:
        return FLOW.goto(ctx, PIN)
    FLOW.ask_again(ctx)


@router.button(DistrictButton, role=Role.STAFF, state=DISTRICTS)
async def on_district(msg: IncomingMessage, ctx: Context) -> None:
    tapped = DistrictButton.of(msg)
    if ctx.services.city.district(tapped.district) is not None:
        chosen = set(draft(ctx).get("districts") or [])
        chosen = chosen | {tapped.district} if tapped.on else chosen - {tapped.district}
        ctx.state.update(districts=sorted(chosen))
    FLOW.ask_again(ctx)


@router.state(PIN, kinds=(Kind.LOCATION,), role=Role.STAFF)
async def on_pin(msg: IncomingMessage, ctx: Context) -> None:
    assert msg.location is not None
    await _take_pin(ctx, *msg.location)


@router.state(PIN, kinds=(Kind.TEXT, Kind.PHOTO, Kind.CONTACT), role=Role.STAFF)
async def on_pin_typed(msg: IncomingMessage, ctx: Context) -> None:
    match = _COORDS.match(msg.text)
    if match is None:
        return FLOW.ask_again(ctx, note=ctx.t("broadcast.pin_expected"))
    await _take_pin(ctx, float(match[1]), float(match[2]))


async def _take_pin(ctx: Context, lat: float, lon: float) -> None:
    city = ctx.services.city
    if not city.contains(lat, lon):
        note = ctx.t("broadcast.pin_outside", city=city.name(ctx.language))
        return FLOW.ask_again(ctx, note=note)
    ctx.state.update(pin=[lat, lon])
    FLOW.goto(ctx, RADIUS)


@router.button(RadiusButton, role=Role.STAFF, state=RADIUS)
async def on_radius(msg: IncomingMessage, ctx: Context) -> None:
    metres = RadiusButton.of(msg).metres
    if metres not in RADII_M:
        return FLOW.ask_again(ctx)
    lat, lon = draft(ctx)["pin"]  # the radius step comes after the pin, always
    ctx.state.update(audience={"kind": "radius", "lat": lat, "lon": lon, "radius_m": metres})
    FLOW.goto(ctx, URGENCY)
