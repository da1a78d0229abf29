"""Where a citizen's alerts are about: all of the city, districts, or a circle around a pin."""

from __future__ import annotations

from bot.core.context import Context
from bot.core.messages import Button, IncomingMessage, Kind, rows
from bot.core.router import Router
from handlers.alerts.buttons import (
    DISTRICTS,
    WHOLE_CITY,
    DistrictToggle,
    MineButton,
    PlacesButton,
    PlacesChoice,
    RadiusButton,
    RemovePlaceButton,
)
from handlers.alerts.buttons import (
    PIN as AROUND_PIN,
)
from handlers.alerts.flow import (
    FLOW,
    PIN,
    RADII_M,
    RADIUS,
    citizen_id,
    enter,
    leave,
    radius_buttons,
    with_note,
)
from handlers.labels import radius_label
from storage.models import AlertPlace, PlaceKind
from storage.repos import alerts

router = Router("alerts.places")


def place_label(ctx: Context, place: AlertPlace) -> str:
    city = ctx.services.city
    if place.kind == PlaceKind.ALL:
        return ctx.t("alerts.place_all", city=city.name(ctx.language))
    district = city.district(place.district) if place.district else None
    name = district.name(ctx.language) if district else "—"
    if place.kind == PlaceKind.DISTRICT:
        return name
    return ctx.t("alerts.place_pin", radius=radius_label(ctx, place.radius_m or 0), district=name)


def places_text(ctx: Context, places: list[AlertPlace]) -> str:
    if not places:
        return ctx.t("alerts.place_all", city=ctx.services.city.name(ctx.language))
    return "; ".join(place_label(ctx, p) for p in places)


async def show_places(ctx: Context, note: str | None = None) -> None:
    leave(ctx)
    places = await alerts.places(ctx.session, citizen_id=citizen_id(ctx))
    whole = any(p.kind == PlaceKind.ALL for p in places)
    city = ctx.services.city.name(ctx.language)
    text = ctx.t("alerts.places_intro", places=places_text(ctx, places))
    all_label = ctx.t("alerts.btn_all", city=city)
    buttons: list[Button | tuple[Button, ...]] = [
        PlacesChoice(WHOLE_CITY).button(f"✅ {all_label}" if whole else all_label),
        PlacesChoice(DISTRICTS).button(ctx.t("alerts.btn_districts")),
        PlacesChoice(AROUND_PIN).button(ctx.t("alerts.btn_pin")),
    ]
    for place in places:
        if place.kind == PlaceKind.RADIUS and place.id is not None:
            label = ctx.t("alerts.btn_remove", place=place_label(ctx, place))
            buttons.append(RemovePlaceButton(place.id).button(label))
    buttons.append((MineButton().button(ctx.t("alerts.btn_done")),))
    ctx.reply(with_note(note, text), rows(*buttons))


@router.button(PlacesButton.prefix)
async def on_places(msg: IncomingMessage, ctx: Context) -> None:
    tapped = PlacesChoice.parse(msg.payload)
    action = tapped.choice if tapped else None  # None: "ap" itself, the places
    if action == WHOLE_CITY:
        await alerts.set_whole_city(ctx.session, citizen_id=citizen_id(ctx), now=ctx.now)
        return await show_places(ctx)
    if action == DISTRICTS:
        return await show_districts(ctx)
    if action == AROUND_PIN:
        return enter(ctx, PIN)
    await show_places(ctx)


async def show_districts(ctx: Context) -> None:
    leave(ctx)
    places = await alerts.places(ctx.session, citizen_id=citizen_id(ctx))
    chosen = {p.district for p in places if p.kind == PlaceKind.DISTRICT}
    buttons = []
    for district in ctx.services.city.districts:
        on = district.code in chosen
        name = district.name(ctx.language)
        buttons.append(DistrictToggle(district.code, not on).button(f"✅ {name}" if on else name))
    back = (PlacesButton().button(ctx.t("alerts.btn_back")),)
    ctx.reply(ctx.t("alerts.districts_intro"), rows(*buttons, back, per_row=3))


@router.button(DistrictToggle)
async def on_district(msg: IncomingMessage, ctx: Context) -> None:
    tapped = DistrictToggle.of(msg)
    if ctx.services.city.district(tapped.district) is None:
        return await show_districts(ctx)
    await alerts.set_district(
        ctx.session, citizen_id=citizen_id(ctx), district=tapped.district, on=tapped.on, now=ctx.now
    )
    await show_districts(ctx)


@router.state(PIN, RADIUS, kinds=(Kind.LOCATION,))
async def on_pin(msg: IncomingMessage, ctx: Context) -> None:
    assert msg.location is not None
    lat, lon = msg.location
    city = ctx.services.city
    district = city.district_at(lat, lon)
    if district is None:
        note = ctx.t("alerts.pin_outside", city=city.name(ctx.language))
        return FLOW.goto(ctx, PIN, note=note)
    ctx.state.update(lat=lat, lon=lon, district=district.code)
    FLOW.goto(ctx, RADIUS)


@router.state(PIN, kinds=(Kind.TEXT, Kind.PHOTO, Kind.CONTACT))
async def on_pin_expected(msg: IncomingMessage, ctx: Context) -> None:
    FLOW.ask_again(ctx, note=ctx.t("alerts.pin_expected"))


@router.button(RadiusButton, state=RADIUS)
async def on_radius(msg: IncomingMessage, ctx: Context) -> None:
    metres = RadiusButton.of(msg).metres
    if metres not in RADII_M:
        return FLOW.ask_again(ctx)
    data = ctx.state.data
    await alerts.add_pin(
        ctx.session,
        citizen_id=citizen_id(ctx),
        lat=float(data["lat"]),
        lon=float(data["lon"]),
        radius_m=metres,
        district=str(data["district"]),
        now=ctx.now,
    )
    ctx.state.clear()
    await show_places(ctx, ctx.t("alerts.pin_added"))


@router.state(RADIUS, kinds=(Kind.TEXT, Kind.PHOTO, Kind.CONTACT))
async def on_radius_expected(msg: IncomingMessage, ctx: Context) -> None:
    ctx.reply(ctx.t("alerts.choose_radius"), rows(*radius_buttons(ctx), per_row=3))


@router.button(RemovePlaceButton)
async def on_remove_place(msg: IncomingMessage, ctx: Context) -> None:
    place_id = RemovePlaceButton.of(msg).place
    if 0 < place_id < 10**11:  # a forged id beyond the column's range finds nothing either
        await alerts.remove_place(
            ctx.session, citizen_id=citizen_id(ctx), place_id=place_id, now=ctx.now
        )
    await show_places(ctx)
