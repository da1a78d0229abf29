"""Citizens choose what alerts they get: topics, places, quiet hours, a daily digest, /stop.

/alerts (and the menu's "Alerts") shows the topics as toggle buttons, then the places: all of
the city, districts, or a circle (500 m, 1 km, 2 km) around a pin the citizen shares.
/mysubs shows everything with a button for each setting; /stop stops alerts, notices and
survey invitations after a confirmation, until the citizen turns them back on. News about the
citizen's own and followed reports goes on after /stop; it has its own switch in /mysubs.

Every change is one tap and the buttons say what they will do ("at:water:1" turns water on),
so an old keyboard tapped later can never undo what the citizen sees as done.

Buttons (payload prefixes): at the topics, at:<topic>:<1|0> on/off; ap the places,
ap:all | ap:districts | ap:pin; ad:<district>:<1|0>; ar:<metres> the circle around the pin
just shared; ax:<place id> remove a pin; am my subscriptions; aq quiet hours, aq:on | aq:off |
aq:type | aq:<from>-<to> (minutes after midnight); ag the digest, ag:<hour> | ag:off;
as:ask | as:yes | as:no | as:resume for /stop; an:<1|0> news about my reports on/off.
"""

from __future__ import annotations

import re

from bot.core.context import Context
from bot.core.messages import Button, IncomingMessage, Kind, Rows, rows
from bot.core.router import Router
from bot.i18n import N_
from handlers.menu import main_menu, menu_entry, show_menu
from storage.models import AlertPlace, AlertSettings, PlaceKind
from storage.repos import alerts
from storage.repos.notices import next_digest

router = Router("alerts")

PIN = "alerts.pin"  # waiting for the citizen's location
RADIUS = "alerts.radius"  # a pin was shared; waiting for the circle's size
QUIET = "alerts.quiet"  # waiting for typed quiet hours
STATES = (PIN, RADIUS, QUIET)

RADII_M = (500, 1000, 2000)
DIGEST_HOURS = (7, 8, 12, 18, 20)
QUIET_PRESETS = ((22 * 60, 7 * 60), (23 * 60, 7 * 60), (23 * 60, 8 * 60), (0, 6 * 60))
_QUIET_TYPED = re.compile(r"^\s*(\d{1,2})[:.](\d{2})\s*[-–—]\s*(\d{1,2})[:.](\d{2})\s*$")


def _citizen_id(ctx: Context) -> int:
    assert ctx.citizen.id is not None
    return ctx.citizen.id


def _arg(msg: IncomingMessage) -> str:
    return (msg.payload or "").partition(":")[2]


def _leave(ctx: Context) -> None:
    """Drop an unanswered alerts question (other conversations are left alone)."""
    if ctx.state.name in STATES:
        ctx.state.clear()


def hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def radius_label(ctx: Context, metres: int) -> str:
    if metres >= 1000:
        return ctx.t("alerts.radius_km", km=ctx.number(metres / 1000, 1))
    return ctx.t("alerts.radius_m", m=metres)


# -- topics -------------------------------------------------------------------------------


@menu_entry("alerts")
async def show_topics(ctx: Context, note: str | None = None) -> None:
    _leave(ctx)
    chosen = await alerts.topics(ctx.session, citizen_id=_citizen_id(ctx))
    settings = await alerts.settings(ctx.session, citizen_id=_citizen_id(ctx))
    lines = [note] if note else []
    if settings.stopped:
        lines.append(ctx.t("alerts.stopped_banner"))
    lines.append(ctx.t("alerts.topics_intro"))
    buttons = []
    for topic in ctx.services.city.topics:
        on = topic.code in chosen
        label = f"✅ {topic.name(ctx.language)}" if on else topic.short_name(ctx.language)
        buttons.append(Button(label, payload=f"at:{topic.code}:{0 if on else 1}"))
    nav = (
        Button(ctx.t("alerts.btn_places"), payload="ap"),
        Button(ctx.t("alerts.btn_my"), payload="am"),
    )
    ctx.reply("\n\n".join(lines), rows(*buttons, nav, per_row=2))


@router.command("alerts")
async def on_alerts(msg: IncomingMessage, ctx: Context) -> None:
    await show_topics(ctx)


@router.button("at")
async def on_topic(msg: IncomingMessage, ctx: Context) -> None:
    code, _, flag = _arg(msg).partition(":")
    topic = ctx.services.city.topic(code)
    if topic is None or flag not in ("0", "1"):
        return await show_topics(ctx)
    on = flag == "1"
    resumed = on and (await alerts.settings(ctx.session, citizen_id=_citizen_id(ctx))).stopped
    await alerts.set_topic(ctx.session, citizen_id=_citizen_id(ctx), topic=code, on=on, now=ctx.now)
    name = topic.name(ctx.language)
    note = ctx.t("alerts.topic_on", topic=name) if on else ctx.t("alerts.topic_off", topic=name)
    if resumed:
        note += "\n" + ctx.t("alerts.resumed")
    await show_topics(ctx, note)


# -- places -------------------------------------------------------------------------------


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
    _leave(ctx)
    places = await alerts.places(ctx.session, citizen_id=_citizen_id(ctx))
    whole = any(p.kind == PlaceKind.ALL for p in places)
    city = ctx.services.city.name(ctx.language)
    text = ctx.t("alerts.places_intro", places=places_text(ctx, places))
    all_label = ctx.t("alerts.btn_all", city=city)
    buttons: list[Button | tuple[Button, ...]] = [
        Button(f"✅ {all_label}" if whole else all_label, payload="ap:all"),
        Button(ctx.t("alerts.btn_districts"), payload="ap:districts"),
        Button(ctx.t("alerts.btn_pin"), payload="ap:pin"),
    ]
    for place in places:
        if place.kind == PlaceKind.RADIUS:
            label = ctx.t("alerts.btn_remove", place=place_label(ctx, place))
            buttons.append(Button(label, payload=f"ax:{place.id}"))
    buttons.append((Button(ctx.t("alerts.btn_done"), payload="am"),))
    ctx.reply(f"{note}\n\n{text}" if note else text, rows(*buttons))


@router.button("ap")
async def on_places(msg: IncomingMessage, ctx: Context) -> None:
    action = _arg(msg)
    if action == "all":
        await alerts.set_whole_city(ctx.session, citizen_id=_citizen_id(ctx), now=ctx.now)
        return await show_places(ctx)
    if action == "districts":
        return await show_districts(ctx)
    if action == "pin":
        return ask_pin(ctx)
    await show_places(ctx)


async def show_districts(ctx: Context) -> None:
    _leave(ctx)
    places = await alerts.places(ctx.session, citizen_id=_citizen_id(ctx))
    chosen = {p.district for p in places if p.kind == PlaceKind.DISTRICT}
    buttons = []
    for district in ctx.services.city.districts:
        on = district.code in chosen
        name = district.name(ctx.language)
        buttons.append(
            Button(f"✅ {name}" if on else name, payload=f"ad:{district.code}:{0 if on else 1}")
        )
    back = (Button(ctx.t("alerts.btn_back"), payload="ap"),)
    ctx.reply(ctx.t("alerts.districts_intro"), rows(*buttons, back, per_row=3))


@router.button("ad")
async def on_district(msg: IncomingMessage, ctx: Context) -> None:
    code, _, flag = _arg(msg).partition(":")
    if ctx.services.city.district(code) is None or flag not in ("0", "1"):
        return await show_districts(ctx)
    await alerts.set_district(
        ctx.session, citizen_id=_citizen_id(ctx), district=code, on=flag == "1", now=ctx.now
    )
    await show_districts(ctx)


def ask_pin(ctx: Context, note: str | None = None) -> None:
    ctx.state.set(PIN)
    text = ctx.t("alerts.ask_pin")
    ctx.reply(
        f"{note}\n\n{text}" if note else text,
        rows(
            Button(ctx.t("alerts.btn_send_location"), request_location=True),
            Button(ctx.t("alerts.btn_back"), payload="ap"),
        ),
    )


@router.state(PIN, RADIUS, kinds=(Kind.LOCATION,))
async def on_pin(msg: IncomingMessage, ctx: Context) -> None:
    assert msg.location is not None
    lat, lon = msg.location
    city = ctx.services.city
    district = city.district_at(lat, lon)
    if district is None:
        return ask_pin(ctx, ctx.t("alerts.pin_outside", city=city.name(ctx.language)))
    ctx.state.set(RADIUS, lat=lat, lon=lon, district=district.code)
    buttons = [Button(radius_label(ctx, m), payload=f"ar:{m}") for m in RADII_M]
    ctx.reply(
        ctx.t("alerts.ask_radius", district=district.name(ctx.language)),
        rows(*buttons, (Button(ctx.t("alerts.btn_back"), payload="ap"),), per_row=3),
    )


@router.state(PIN, kinds=(Kind.TEXT, Kind.PHOTO, Kind.CONTACT))
async def on_pin_expected(msg: IncomingMessage, ctx: Context) -> None:
    ask_pin(ctx, ctx.t("alerts.pin_expected"))


@router.button("ar")
async def on_radius(msg: IncomingMessage, ctx: Context) -> None:
    metres = _arg(msg)
    data = ctx.state.data
    if ctx.state.name != RADIUS or not metres.isdigit() or int(metres) not in RADII_M:
        return show_menu(ctx, N_("fallback.button"))
    await alerts.add_pin(
        ctx.session,
        citizen_id=_citizen_id(ctx),
        lat=float(data["lat"]),
        lon=float(data["lon"]),
        radius_m=int(metres),
        district=str(data["district"]),
        now=ctx.now,
    )
    ctx.state.clear()
    await show_places(ctx, ctx.t("alerts.pin_added"))


@router.state(RADIUS, kinds=(Kind.TEXT, Kind.PHOTO, Kind.CONTACT))
async def on_radius_expected(msg: IncomingMessage, ctx: Context) -> None:
    buttons = [Button(radius_label(ctx, m), payload=f"ar:{m}") for m in RADII_M]
    ctx.reply(ctx.t("alerts.choose_radius"), rows(*buttons, per_row=3))


@router.button("ax")
async def on_remove_place(msg: IncomingMessage, ctx: Context) -> None:
    arg = _arg(msg)
    if arg.isdigit() and len(arg) < 12:
        await alerts.remove_place(
            ctx.session, citizen_id=_citizen_id(ctx), place_id=int(arg), now=ctx.now
        )
    await show_places(ctx)


# -- my subscriptions ---------------------------------------------------------------------


def quiet_text(ctx: Context, settings: AlertSettings) -> str:
    if not settings.quiet_enabled or settings.quiet_from == settings.quiet_to:
        return ctx.t("alerts.quiet_off")
    return ctx.t("alerts.quiet_on", start=hhmm(settings.quiet_from), end=hhmm(settings.quiet_to))


def digest_text(ctx: Context, settings: AlertSettings) -> str:
    if settings.digest_hour is None:
        return ctx.t("alerts.digest_off")
    return ctx.t("alerts.digest_at", time=hhmm(settings.digest_hour * 60))


async def show_mine(ctx: Context, note: str | None = None) -> None:
    _leave(ctx)
    citizen_id = _citizen_id(ctx)
    chosen = await alerts.topics(ctx.session, citizen_id=citizen_id)
    settings = await alerts.settings(ctx.session, citizen_id=citizen_id)
    lines = [note] if note else []
    if settings.stopped:
        lines.append(ctx.t("alerts.stopped_banner"))
    if not chosen:
        lines += [ctx.t("alerts.mine_none"), report_news_text(ctx, settings)]
        ctx.reply(
            "\n\n".join(lines),
            rows(
                Button(ctx.t("alerts.btn_topics"), payload="at"),
                report_news_button(ctx, settings),
            ),
        )
        return
    names = [t.short_name(ctx.language) for t in ctx.services.city.topics if t.code in chosen]
    places = await alerts.places(ctx.session, citizen_id=citizen_id)
    lines.append(
        ctx.t(
            "alerts.mine",
            topics=", ".join(names),
            places=places_text(ctx, places),
            quiet=quiet_text(ctx, settings),
            digest=digest_text(ctx, settings),
        )
    )
    lines.append(report_news_text(ctx, settings))
    if settings.stopped:
        last = Button(ctx.t("alerts.btn_resume"), payload="as:resume")
    else:
        last = Button(ctx.t("alerts.btn_stop"), payload="as:ask")
    ctx.reply(
        "\n\n".join(lines),
        rows(
            Button(ctx.t("alerts.btn_topics"), payload="at"),
            Button(ctx.t("alerts.btn_places"), payload="ap"),
            Button(ctx.t("alerts.btn_quiet"), payload="aq"),
            Button(ctx.t("alerts.btn_digest"), payload="ag"),
            last,
            report_news_button(ctx, settings),
            per_row=2,
        ),
    )


@router.command("mysubs")
async def on_mysubs(msg: IncomingMessage, ctx: Context) -> None:
    await show_mine(ctx)


@router.button("am")
async def on_mine_button(msg: IncomingMessage, ctx: Context) -> None:
    await show_mine(ctx)


# -- news about my reports (apart from /stop) ---------------------------------------------


def report_news_text(ctx: Context, settings: AlertSettings) -> str:
    if settings.report_news:
        return ctx.t("alerts.report_news_on")
    return ctx.t("alerts.report_news_off")


def report_news_button(ctx: Context, settings: AlertSettings) -> Button:
    if settings.report_news:
        return Button(ctx.t("alerts.btn_report_news_off"), payload="an:0")
    return Button(ctx.t("alerts.btn_report_news_on"), payload="an:1")


@router.button("an")
async def on_report_news(msg: IncomingMessage, ctx: Context) -> None:
    on = _arg(msg) == "1"
    await alerts.set_report_news(ctx.session, citizen_id=_citizen_id(ctx), on=on, now=ctx.now)
    note = N_("alerts.report_news_resumed") if on else N_("alerts.report_news_stopped")
    await show_mine(ctx, ctx.t(note))


# -- quiet hours --------------------------------------------------------------------------


async def show_quiet(ctx: Context, note: str | None = None) -> None:
    _leave(ctx)
    settings = await alerts.settings(ctx.session, citizen_id=_citizen_id(ctx))
    text = ctx.t("alerts.quiet_intro", now=quiet_text(ctx, settings))
    on = settings.quiet_enabled
    current = (settings.quiet_from, settings.quiet_to)
    presets = [
        Button(
            ("✅ " if on and preset == current else "") + f"{hhmm(preset[0])}–{hhmm(preset[1])}",
            payload=f"aq:{preset[0]}-{preset[1]}",
        )
        for preset in QUIET_PRESETS
    ]
    toggle = (
        Button(ctx.t("alerts.btn_quiet_off"), payload="aq:off")
        if on
        else Button(ctx.t("alerts.btn_quiet_on"), payload="aq:on")
    )
    ctx.reply(
        f"{note}\n\n{text}" if note else text,
        rows(
            *presets,
            (Button(ctx.t("alerts.btn_quiet_type"), payload="aq:type"), toggle),
            (Button(ctx.t("alerts.btn_back"), payload="am"),),
            per_row=2,
        ),
    )


@router.button("aq")
async def on_quiet(msg: IncomingMessage, ctx: Context) -> None:
    action = _arg(msg)
    citizen_id = _citizen_id(ctx)
    if action in ("on", "off"):
        await alerts.set_quiet(
            ctx.session, citizen_id=citizen_id, enabled=action == "on", now=ctx.now
        )
        return await show_quiet(ctx, ctx.t("alerts.saved"))
    if action == "type":
        ctx.state.set(QUIET)
        ctx.reply(ctx.t("alerts.ask_quiet"), rows(Button(ctx.t("alerts.btn_back"), payload="aq")))
        return
    window = _preset(action)
    if window is not None:
        await alerts.set_quiet(
            ctx.session, citizen_id=citizen_id, enabled=True, window=window, now=ctx.now
        )
        return await show_quiet(ctx, ctx.t("alerts.saved"))
    await show_quiet(ctx)


def _preset(arg: str) -> tuple[int, int] | None:
    start, _, end = arg.partition("-")
    if not (start.isdigit() and end.isdigit() and len(start) <= 4 and len(end) <= 4):
        return None
    window = (int(start), int(end))
    return window if all(0 <= m < 24 * 60 for m in window) and window[0] != window[1] else None


def parse_quiet(text: str) -> tuple[int, int] | None:
    """ "22:00-07:00" (or 22.00–7.00) → minutes after midnight; None if it is not that."""
    match = _QUIET_TYPED.match(text)
    if match is None:
        return None
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
        return None
    window = (h1 * 60 + m1, h2 * 60 + m2)
    return window if window[0] != window[1] else None


@router.state(QUIET)
async def on_quiet_typed(msg: IncomingMessage, ctx: Context) -> None:
    window = parse_quiet(msg.text)
    if window is None:
        ctx.reply(ctx.t("alerts.quiet_bad"), rows(Button(ctx.t("alerts.btn_back"), payload="aq")))
        return
    await alerts.set_quiet(
        ctx.session, citizen_id=_citizen_id(ctx), enabled=True, window=window, now=ctx.now
    )
    await show_quiet(ctx, ctx.t("alerts.saved"))


@router.state(QUIET, kinds=(Kind.LOCATION, Kind.PHOTO, Kind.CONTACT))
async def on_quiet_wrong_kind(msg: IncomingMessage, ctx: Context) -> None:
    ctx.reply(ctx.t("alerts.quiet_bad"), rows(Button(ctx.t("alerts.btn_back"), payload="aq")))


# -- digest -------------------------------------------------------------------------------


async def show_digest(ctx: Context, note: str | None = None) -> None:
    _leave(ctx)
    settings = await alerts.settings(ctx.session, citizen_id=_citizen_id(ctx))
    text = ctx.t("alerts.digest_intro", now=digest_text(ctx, settings))
    hours = [
        Button(
            ("✅ " if settings.digest_hour == hour else "") + hhmm(hour * 60),
            payload=f"ag:{hour}",
        )
        for hour in DIGEST_HOURS
    ]
    off = ctx.t("alerts.btn_digest_off")
    ctx.reply(
        f"{note}\n\n{text}" if note else text,
        rows(
            *hours,
            (Button(f"✅ {off}" if settings.digest_hour is None else off, payload="ag:off"),),
            (Button(ctx.t("alerts.btn_back"), payload="am"),),
            per_row=3,
        ),
    )


@router.button("ag")
async def on_digest(msg: IncomingMessage, ctx: Context) -> None:
    arg = _arg(msg)
    if arg == "off" or (arg.isdigit() and int(arg) in DIGEST_HOURS):
        hour = None if arg == "off" else int(arg)
        tz = ctx.services.city.timezone
        await alerts.set_digest(
            ctx.session,
            citizen_id=_citizen_id(ctx),
            hour=hour,
            next_digest_at=None if hour is None else next_digest(ctx.now, tz, hour),
            now=ctx.now,
        )
        return await show_digest(ctx, ctx.t("alerts.saved"))
    await show_digest(ctx)


# -- /stop --------------------------------------------------------------------------------


def stop_question(ctx: Context) -> Rows:
    return rows(
        Button(ctx.t("alerts.btn_stop_yes"), payload="as:yes"),
        Button(ctx.t("alerts.btn_stop_no"), payload="as:no"),
        per_row=2,
    )


@router.command("stop")
async def on_stop_command(msg: IncomingMessage, ctx: Context) -> None:
    await ask_stop(ctx)


async def ask_stop(ctx: Context) -> None:
    _leave(ctx)
    settings = await alerts.settings(ctx.session, citizen_id=_citizen_id(ctx))
    if settings.stopped:
        ctx.reply(
            ctx.t("alerts.already_stopped"),
            rows(Button(ctx.t("alerts.btn_resume"), payload="as:resume")),
        )
        return
    ctx.reply(ctx.t("alerts.stop_confirm"), stop_question(ctx))


@router.button("as")
async def on_stop_answer(msg: IncomingMessage, ctx: Context) -> None:
    answer = _arg(msg)
    citizen_id = _citizen_id(ctx)
    if answer == "ask":
        return await ask_stop(ctx)
    if answer == "yes":
        await alerts.stop(ctx.session, citizen_id=citizen_id, now=ctx.now)
        settings = await alerts.settings(ctx.session, citizen_id=citizen_id)
        buttons = [Button(ctx.t("alerts.btn_resume"), payload="as:resume")]
        if settings.report_news:
            buttons.append(report_news_button(ctx, settings))
        text = N_("alerts.stopped") if settings.report_news else N_("alerts.stopped_no_report_news")
        ctx.reply(ctx.t(text), rows(*buttons))
        return
    if answer == "resume":
        await alerts.resume(ctx.session, citizen_id=citizen_id, now=ctx.now)
        if not await alerts.topics(ctx.session, citizen_id=citizen_id):
            return await show_topics(ctx, ctx.t("alerts.resumed"))
        return await show_mine(ctx, ctx.t("alerts.resumed"))
    ctx.reply(ctx.t("alerts.stop_kept"), main_menu(ctx))
