"""Staff broadcast notices: /broadcast (a guided flow), /notices (the list), /notice ID (without
an id: the list, to pick one).

/broadcast: topic → audience (all of the city, districts, or a circle around a pin) →
urgency → text in Bulgarian (required) → English (optional) → photo (optional) → preview:
the exact message in each language and how many would receive it now, by channel → send now,
at a date and time, or repeatedly (daily, weekly, monthly, or a cron expression) with an
optional end date. Dates and times are typed in city time ("28.11 18:30", "28.11.2026 18:30",
"утре 9:00" / "tomorrow 9:00") and explained when they cannot be used.

The notice is a row (storage.repos.notices); scheduler.notices sends it when due, the delivery
engine delivers it and keeps the sender's progress message up to date.

Every route needs Role.STAFF. Buttons (payload prefixes): bt:<topic>; ba:all | ba:districts |
ba:radius | ba:next; bd:<district>:<1|0>; br:<metres>; bu:<0|1> urgency; bs:noen | bs:nophoto
skip a step; bw:now | bw:at | bw:repeat; bq:daily | bq:weekly | bq:monthly | bq:cron;
bk:<0-6> weekday (cron numbers, 0 = Sunday); be:none no end date; bx cancel; nl the list;
no:<id> a notice; np:<id> pause; nr:<id> resume; nc:<id> cancel?; ny:<id> cancel!
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, time, timedelta
from typing import Any

from bot.core.context import Context
from bot.core.messages import Button, IncomingMessage, Kind, Rows, rows
from bot.core.router import Router
from bot.dates import WHEN_ERRORS, parse_date, parse_time, parse_when
from bot.domain import notices as domain
from bot.domain.errors import Refused
from bot.domain.notices import TEXT_MAX
from bot.i18n import N_
from bot.media.photos import ProcessedPhoto
from bot.media.preload import PhotoProblem
from handlers.labels import channel_counts, language_label
from handlers.menu import main_menu
from handlers.refusals import refusal_text
from handlers.reports import PHOTO_PROBLEMS
from scheduler.notices import resolve_audience
from scheduler.payloads import notice_text
from storage.models import Notice, NoticeRun, NoticeStatus, Role, RunStatus
from storage.repos import notices, outbox

log = logging.getLogger(__name__)
router = Router("broadcast")

TOPIC = "bc.topic"
AUDIENCE = "bc.audience"
DISTRICTS = "bc.districts"
PIN = "bc.pin"
RADIUS = "bc.radius"
URGENCY = "bc.urgency"
TEXT_BG = "bc.text_bg"
TEXT_EN = "bc.text_en"
PHOTO = "bc.photo"
PREVIEW = "bc.preview"
AT = "bc.at"
REPEAT = "bc.repeat"
WEEKDAY = "bc.weekday"
REPEAT_TIME = "bc.repeat_time"
CRON = "bc.cron"
UNTIL = "bc.until"
BUTTON_STEPS = (TOPIC, AUDIENCE, DISTRICTS, RADIUS, URGENCY, PREVIEW, REPEAT, WEEKDAY)
TYPED_STEPS = (PIN, TEXT_BG, TEXT_EN, PHOTO, AT, REPEAT_TIME, CRON, UNTIL)

RADII_M = (500, 1000, 2000, 5000)
LIST_LIMIT = 10
RECENT = timedelta(days=7)

WEEKDAYS = (
    (1, N_("broadcast.dow_1")),
    (2, N_("broadcast.dow_2")),
    (3, N_("broadcast.dow_3")),
    (4, N_("broadcast.dow_4")),
    (5, N_("broadcast.dow_5")),
    (6, N_("broadcast.dow_6")),
    (0, N_("broadcast.dow_0")),
)
NOTICE_STATUS = {
    NoticeStatus.SCHEDULED: N_("broadcast.status_scheduled"),
    NoticeStatus.PAUSED: N_("broadcast.status_paused"),
    NoticeStatus.DONE: N_("broadcast.status_done"),
    NoticeStatus.CANCELLED: N_("broadcast.status_cancelled"),
    NoticeStatus.MISSED: N_("broadcast.status_missed"),
}
RUN_STATUS = {
    RunStatus.SELECTING: N_("broadcast.run_selecting"),
    RunStatus.SENDING: N_("broadcast.run_sending"),
    RunStatus.DONE: N_("broadcast.run_done"),
    RunStatus.MISSED: N_("broadcast.run_missed"),
    RunStatus.CANCELLED: N_("broadcast.run_cancelled"),
}
URGENCY_LABELS = {False: N_("broadcast.normal"), True: N_("broadcast.urgent")}
_DAY_TIME = re.compile(r"^(?P<day>\d{1,2})\s+(?P<H>\d{1,2})[:.](?P<M>\d{2})$")
_COORDS = re.compile(r"^\s*(-?\d{1,2}\.\d+)\s*[,; ]\s*(-?\d{1,3}\.\d+)\s*$")


# -- the draft ----------------------------------------------------------------------------


def _draft(ctx: Context) -> dict[str, Any]:
    return ctx.state.data


def _goto(ctx: Context, state: str) -> None:
    ctx.state.name = state


def _arg(msg: IncomingMessage) -> str:
    return (msg.payload or "").partition(":")[2]


def in_flow(ctx: Context) -> bool:
    return (ctx.state.name or "").startswith("bc.")


def _cancel_button(ctx: Context) -> Button:
    return Button(ctx.t("broadcast.btn_cancel"), payload="bx")


def _stale(ctx: Context) -> None:
    ctx.reply(ctx.t("fallback.button"), main_menu(ctx))


def _discard_photo(ctx: Context) -> None:
    """Delete the draft's photo once the transaction that drops the draft has committed."""
    store = ctx.services.photos
    name = ctx.state.data.get("photo") if in_flow(ctx) else None
    if store is None or not name:
        return

    async def delete() -> None:
        await store.delete(name)

    ctx.after_commit.append(delete)


@router.command("broadcast", role=Role.STAFF)
async def on_broadcast(msg: IncomingMessage, ctx: Context) -> None:
    _discard_photo(ctx)
    ctx.state.set(TOPIC)
    ask_topic(ctx)


@router.button("bx", role=Role.STAFF)
async def on_cancel(msg: IncomingMessage, ctx: Context) -> None:
    if not in_flow(ctx):
        return _stale(ctx)
    _discard_photo(ctx)
    ctx.state.clear()
    ctx.reply(ctx.t("broadcast.cancelled"), main_menu(ctx))


def _note(note: str | None, text: str) -> str:
    return f"{note}\n\n{text}" if note else text


# -- topic and audience -------------------------------------------------------------------


def ask_topic(ctx: Context, note: str | None = None) -> None:
    _goto(ctx, TOPIC)
    buttons = [
        Button(t.short_name(ctx.language), payload=f"bt:{t.code}") for t in ctx.services.city.topics
    ]
    ctx.reply(
        _note(note, ctx.t("broadcast.ask_topic")),
        rows(*buttons, (_cancel_button(ctx),), per_row=2),
    )


@router.button("bt", role=Role.STAFF)
async def on_topic(msg: IncomingMessage, ctx: Context) -> None:
    if ctx.state.name != TOPIC:
        return _stale(ctx)
    topic = ctx.services.city.topic(_arg(msg))
    if topic is None:
        return ask_topic(ctx)
    ctx.state.update(topic=topic.code, urgent=topic.urgent_by_default)
    ask_audience(ctx)


def ask_audience(ctx: Context, note: str | None = None) -> None:
    _goto(ctx, AUDIENCE)
    city = ctx.services.city.name(ctx.language)
    ctx.reply(
        _note(note, ctx.t("broadcast.ask_audience")),
        rows(
            Button(ctx.t("broadcast.btn_all", city=city), payload="ba:all"),
            Button(ctx.t("broadcast.btn_districts"), payload="ba:districts"),
            Button(ctx.t("broadcast.btn_radius"), payload="ba:radius"),
            _cancel_button(ctx),
        ),
    )


@router.button("ba", role=Role.STAFF)
async def on_audience(msg: IncomingMessage, ctx: Context) -> None:
    choice = _arg(msg)
    if ctx.state.name == DISTRICTS and choice == "next":
        chosen = list(_draft(ctx).get("districts") or [])
        if not chosen:
            return ask_districts(ctx, ctx.t("broadcast.choose_a_district"))
        ctx.state.update(audience={"kind": "districts", "districts": sorted(chosen)})
        return ask_urgency(ctx)
    if ctx.state.name != AUDIENCE:
        return _stale(ctx)
    if choice == "all":
        ctx.state.update(audience={"kind": "all"})
        return ask_urgency(ctx)
    if choice == "districts":
        ctx.state.update(districts=[])
        return ask_districts(ctx)
    if choice == "radius":
        return ask_pin(ctx)
    ask_audience(ctx)


def ask_districts(ctx: Context, note: str | None = None) -> None:
    _goto(ctx, DISTRICTS)
    chosen = set(_draft(ctx).get("districts") or [])
    buttons = []
    for district in ctx.services.city.districts:
        on = district.code in chosen
        name = district.name(ctx.language)
        buttons.append(
            Button(f"✅ {name}" if on else name, payload=f"bd:{district.code}:{0 if on else 1}")
        )
    ctx.reply(
        _note(note, ctx.t("broadcast.ask_districts")),
        rows(
            *buttons,
            (Button(ctx.t("broadcast.btn_next"), payload="ba:next"), _cancel_button(ctx)),
            per_row=3,
        ),
    )


@router.button("bd", role=Role.STAFF)
async def on_district(msg: IncomingMessage, ctx: Context) -> None:
    if ctx.state.name != DISTRICTS:
        return _stale(ctx)
    code, _, flag = _arg(msg).partition(":")
    if ctx.services.city.district(code) is not None and flag in ("0", "1"):
        chosen = set(_draft(ctx).get("districts") or [])
        chosen = chosen | {code} if flag == "1" else chosen - {code}
        ctx.state.update(districts=sorted(chosen))
    ask_districts(ctx)


def ask_pin(ctx: Context, note: str | None = None) -> None:
    _goto(ctx, PIN)
    ctx.reply(
        _note(note, ctx.t("broadcast.ask_pin")),
        rows(
            Button(ctx.t("broadcast.btn_send_location"), request_location=True),
            _cancel_button(ctx),
        ),
    )


@router.state(PIN, kinds=(Kind.LOCATION,), role=Role.STAFF)
async def on_pin(msg: IncomingMessage, ctx: Context) -> None:
    assert msg.location is not None
    await _take_pin(ctx, *msg.location)


@router.state(PIN, kinds=(Kind.TEXT, Kind.PHOTO, Kind.CONTACT), role=Role.STAFF)
async def on_pin_typed(msg: IncomingMessage, ctx: Context) -> None:
    match = _COORDS.match(msg.text)
    if match is None:
        return ask_pin(ctx, ctx.t("broadcast.pin_expected"))
    await _take_pin(ctx, float(match[1]), float(match[2]))


async def _take_pin(ctx: Context, lat: float, lon: float) -> None:
    city = ctx.services.city
    if not city.contains(lat, lon):
        return ask_pin(ctx, ctx.t("broadcast.pin_outside", city=city.name(ctx.language)))
    ctx.state.update(pin=[lat, lon])
    ask_radius(ctx)


def ask_radius(ctx: Context, note: str | None = None) -> None:
    _goto(ctx, RADIUS)
    buttons = [Button(_radius_label(ctx, m), payload=f"br:{m}") for m in RADII_M]
    ctx.reply(
        _note(note, ctx.t("broadcast.ask_radius")),
        rows(*buttons, (_cancel_button(ctx),), per_row=4),
    )


@router.button("br", role=Role.STAFF)
async def on_radius(msg: IncomingMessage, ctx: Context) -> None:
    metres = _arg(msg)
    pin = _draft(ctx).get("pin")
    if ctx.state.name != RADIUS or not pin:
        return _stale(ctx)
    if not metres.isdigit() or int(metres) not in RADII_M:
        return ask_radius(ctx)
    lat, lon = pin
    ctx.state.update(audience={"kind": "radius", "lat": lat, "lon": lon, "radius_m": int(metres)})
    ask_urgency(ctx)


def _radius_label(ctx: Context, metres: int) -> str:
    if metres >= 1000:
        return ctx.t("alerts.radius_km", km=ctx.number(metres / 1000, 1))
    return ctx.t("alerts.radius_m", m=metres)


# -- urgency, texts, photo ----------------------------------------------------------------


def ask_urgency(ctx: Context, note: str | None = None) -> None:
    _goto(ctx, URGENCY)
    urgent = bool(_draft(ctx).get("urgent"))
    normal = ctx.t("broadcast.btn_normal")
    emergency = ctx.t("broadcast.btn_emergency")
    ctx.reply(
        _note(note, ctx.t("broadcast.ask_urgency")),
        rows(
            Button(normal if urgent else f"✅ {normal}", payload="bu:0"),
            Button(f"✅ {emergency}" if urgent else emergency, payload="bu:1"),
            _cancel_button(ctx),
        ),
    )


@router.button("bu", role=Role.STAFF)
async def on_urgency(msg: IncomingMessage, ctx: Context) -> None:
    if ctx.state.name != URGENCY:
        return _stale(ctx)
    flag = _arg(msg)
    if flag not in ("0", "1"):
        return ask_urgency(ctx)
    ctx.state.update(urgent=flag == "1")
    ask_text_bg(ctx)


def ask_text_bg(ctx: Context, note: str | None = None) -> None:
    _goto(ctx, TEXT_BG)
    ctx.reply(_note(note, ctx.t("broadcast.ask_text_bg", max=TEXT_MAX)), rows(_cancel_button(ctx)))


def _checked_text(ctx: Context, text: str) -> str | None:
    """The text if it can be sent, else None after saying why."""
    try:
        return domain.check_text(text)
    except Refused as refusal:
        _refused(ctx, refusal)
        return None


def _refused(ctx: Context, refusal: Refused) -> None:
    ctx.reply(refusal_text(ctx, refusal), rows(_cancel_button(ctx)))


@router.state(TEXT_BG, role=Role.STAFF)
async def on_text_bg(msg: IncomingMessage, ctx: Context) -> None:
    text = _checked_text(ctx, msg.text)
    if text is None:
        return
    ctx.state.update(text_bg=text)
    _goto(ctx, TEXT_EN)
    ctx.reply(
        ctx.t("broadcast.ask_text_en"),
        rows(Button(ctx.t("broadcast.btn_no_english"), payload="bs:noen"), _cancel_button(ctx)),
    )


@router.state(TEXT_EN, role=Role.STAFF)
async def on_text_en(msg: IncomingMessage, ctx: Context) -> None:
    text = _checked_text(ctx, msg.text)
    if text is None:
        return
    ctx.state.update(text_en=text)
    ask_photo(ctx)


def ask_photo(ctx: Context, note: str | None = None) -> None:
    _goto(ctx, PHOTO)
    ctx.reply(
        _note(note, ctx.t("broadcast.ask_photo")),
        rows(Button(ctx.t("broadcast.btn_no_photo"), payload="bs:nophoto"), _cancel_button(ctx)),
    )


@router.button("bs", role=Role.STAFF)
async def on_skip(msg: IncomingMessage, ctx: Context) -> None:
    step = _arg(msg)
    if step == "noen" and ctx.state.name == TEXT_EN:
        ctx.state.update(text_en=None)
        return ask_photo(ctx)
    if step == "nophoto" and ctx.state.name == PHOTO:
        return await show_preview(ctx)
    _stale(ctx)


@router.state(PHOTO, kinds=(Kind.PHOTO,), role=Role.STAFF)
async def on_photo(msg: IncomingMessage, ctx: Context) -> None:
    prepared = ctx.attachment
    if not isinstance(prepared, ProcessedPhoto):
        reason = prepared.reason if isinstance(prepared, PhotoProblem) else "download_failed"
        return ask_photo(ctx, ctx.t(PHOTO_PROBLEMS.get(reason, "report.photo_not_image")))
    store = ctx.services.photos
    assert store is not None, "the photo store is part of the running bot"
    _discard_photo(ctx)  # a second photo replaces the first
    name = await store.save(prepared.content)
    ctx.state.update(photo=name)
    await show_preview(ctx)


@router.state(PHOTO, kinds=(Kind.TEXT, Kind.LOCATION, Kind.CONTACT), role=Role.STAFF)
async def on_photo_expected(msg: IncomingMessage, ctx: Context) -> None:
    ask_photo(ctx, ctx.t("broadcast.photo_expected"))


@router.state(
    TEXT_BG,
    TEXT_EN,
    AT,
    REPEAT_TIME,
    CRON,
    UNTIL,
    kinds=(Kind.LOCATION, Kind.PHOTO, Kind.CONTACT),
    role=Role.STAFF,
)
async def on_text_expected(msg: IncomingMessage, ctx: Context) -> None:
    ctx.reply(ctx.t("broadcast.text_expected"), rows(_cancel_button(ctx)))


@router.state(
    *BUTTON_STEPS, kinds=(Kind.TEXT, Kind.LOCATION, Kind.PHOTO, Kind.CONTACT), role=Role.STAFF
)
async def on_use_buttons(msg: IncomingMessage, ctx: Context) -> None:
    """A step that waits for a button: ask it again."""
    note = ctx.t("broadcast.use_buttons")
    step = ctx.state.name
    if step == TOPIC:
        return ask_topic(ctx, note)
    if step == AUDIENCE:
        return ask_audience(ctx, note)
    if step == DISTRICTS:
        return ask_districts(ctx, note)
    if step == RADIUS:
        return ask_radius(ctx, note)
    if step == URGENCY:
        return ask_urgency(ctx, note)
    if step in (REPEAT, WEEKDAY):
        return ask_repeat(ctx, note)
    await show_preview(ctx, note)


# -- preview ------------------------------------------------------------------------------


def draft_notice(ctx: Context) -> Notice:
    data = _draft(ctx)
    return Notice(
        topic=data["topic"],
        urgent=bool(data.get("urgent")),
        text_bg=data["text_bg"],
        text_en=data.get("text_en"),
        photo=data.get("photo"),
        audience=data["audience"],
    )


async def show_preview(ctx: Context, note: str | None = None) -> None:
    """The exact message in each language, then what, to whom, and how many."""
    _goto(ctx, PREVIEW)
    notice = draft_notice(ctx)
    image = await _photo_bytes(ctx, notice.photo)
    languages = ["bg", "en"] if notice.text_en else ["bg"]
    if note is None:
        for language in languages:
            label = language_label(ctx, language)
            ctx.reply(ctx.t("broadcast.preview_of", language=label))
            ctx.reply(notice_text(notice, language), image=image)
    counts = await notices.count_audience(
        ctx.session,
        topic=notice.topic,
        audience=resolve_audience(ctx.services.city, notice.audience),
        urgent=notice.urgent,
    )
    lines = [summary(ctx, notice), audience_size(ctx, counts)]
    if not notice.text_en:
        lines.append(ctx.t("broadcast.only_bulgarian"))
    ctx.reply(
        _note(note, "\n".join(lines)),
        rows(
            Button(ctx.t("broadcast.btn_send_now"), payload="bw:now"),
            Button(ctx.t("broadcast.btn_at"), payload="bw:at"),
            Button(ctx.t("broadcast.btn_repeat"), payload="bw:repeat"),
            _cancel_button(ctx),
        ),
    )


async def _photo_bytes(ctx: Context, name: str | None) -> bytes | None:
    store = ctx.services.photos
    if not name or store is None:
        return None
    try:
        return await store.read(name)
    except (FileNotFoundError, ValueError):
        log.warning("the draft notice's photo is missing")
        return None


def summary(ctx: Context, notice: Notice) -> str:
    return "\n".join(
        [
            ctx.t("broadcast.summary_topic", topic=topic_label(ctx, notice.topic)),
            ctx.t("broadcast.summary_audience", audience=audience_label(ctx, notice.audience)),
            ctx.t(
                "broadcast.summary_urgency",
                urgency=ctx.t(URGENCY_LABELS[notice.urgent]),
            ),
        ]
    )


def audience_size(ctx: Context, counts: dict[str, int]) -> str:
    total = sum(counts.values())
    if not total:
        return ctx.t("broadcast.audience_none")
    return ctx.t("broadcast.audience_size", total=total, channels=channel_counts(ctx, counts))


def topic_label(ctx: Context, code: str) -> str:
    topic = ctx.services.city.topic(code)
    return topic.short_name(ctx.language) if topic else code


def audience_label(ctx: Context, audience: dict[str, Any]) -> str:
    city = ctx.services.city
    kind = audience.get("kind")
    if kind == "districts":
        names = [
            d.name(ctx.language) for d in city.districts if d.code in audience.get("districts", [])
        ]
        return ", ".join(names) or "—"
    if kind == "radius":
        lat, lon = float(audience["lat"]), float(audience["lon"])
        district = city.district_at(lat, lon)
        where = district.name(ctx.language) if district else "—"
        radius = _radius_label(ctx, int(audience["radius_m"]))
        lat_text, lon_text = f"{lat:.5f}", f"{lon:.5f}"
        return ctx.t(
            "broadcast.audience_radius", radius=radius, lat=lat_text, lon=lon_text, district=where
        )
    return ctx.t("alerts.place_all", city=city.name(ctx.language))


# -- when: now, at a time, repeatedly -----------------------------------------------------


@router.button("bw", role=Role.STAFF)
async def on_when(msg: IncomingMessage, ctx: Context) -> None:
    if ctx.state.name != PREVIEW:
        return _stale(ctx)
    choice = _arg(msg)
    if choice == "now":
        return await send_now(ctx)
    if choice == "at":
        _goto(ctx, AT)
        ctx.reply(ctx.t("broadcast.ask_when"), rows(_cancel_button(ctx)))
        return
    if choice == "repeat":
        return ask_repeat(ctx)
    await show_preview(ctx)


async def send_now(ctx: Context) -> None:
    notice = await _create(ctx, domain.When.now(), progress=True)
    if notice is not None:
        ctx.reply(ctx.t("broadcast.sending", id=notice.id), main_menu(ctx))


@router.state(AT, role=Role.STAFF)
async def on_at(msg: IncomingMessage, ctx: Context) -> None:
    tz = ctx.services.city.timezone
    when = parse_when(msg.text, now=ctx.now, tz=tz)
    if isinstance(when, str):
        ctx.reply(ctx.t(WHEN_ERRORS[when], now=ctx.when(ctx.now)), rows(_cancel_button(ctx)))
        return
    notice = await _create(ctx, domain.When.once(when))
    if notice is None:
        return
    ctx.reply(ctx.t("broadcast.scheduled", id=notice.id, when=ctx.when(when)), main_menu(ctx))


def ask_repeat(ctx: Context, note: str | None = None) -> None:
    _goto(ctx, REPEAT)
    ctx.reply(
        _note(note, ctx.t("broadcast.ask_repeat")),
        rows(
            Button(ctx.t("broadcast.btn_daily"), payload="bq:daily"),
            Button(ctx.t("broadcast.btn_weekly"), payload="bq:weekly"),
            Button(ctx.t("broadcast.btn_monthly"), payload="bq:monthly"),
            Button(ctx.t("broadcast.btn_cron"), payload="bq:cron"),
            _cancel_button(ctx),
            per_row=2,
        ),
    )


@router.button("bq", role=Role.STAFF)
async def on_repeat(msg: IncomingMessage, ctx: Context) -> None:
    if ctx.state.name != REPEAT:
        return _stale(ctx)
    kind = _arg(msg)
    if kind == "daily":
        ctx.state.update(repeat="daily")
        _goto(ctx, REPEAT_TIME)
        ctx.reply(ctx.t("broadcast.ask_time"), rows(_cancel_button(ctx)))
    elif kind == "weekly":
        ctx.state.update(repeat="weekly")
        _goto(ctx, WEEKDAY)
        buttons = [Button(ctx.t(key), payload=f"bk:{n}") for n, key in WEEKDAYS]
        ctx.reply(ctx.t("broadcast.ask_weekday"), rows(*buttons, (_cancel_button(ctx),), per_row=4))
    elif kind == "monthly":
        ctx.state.update(repeat="monthly")
        _goto(ctx, REPEAT_TIME)
        ctx.reply(ctx.t("broadcast.ask_day_time"), rows(_cancel_button(ctx)))
    elif kind == "cron":
        _goto(ctx, CRON)
        ctx.reply(ctx.t("broadcast.ask_cron"), rows(_cancel_button(ctx)))
    else:
        ask_repeat(ctx)


@router.button("bk", role=Role.STAFF)
async def on_weekday(msg: IncomingMessage, ctx: Context) -> None:
    day = _arg(msg)
    if ctx.state.name != WEEKDAY or day not in {str(n) for n, _ in WEEKDAYS}:
        return _stale(ctx)
    ctx.state.update(weekday=int(day))
    _goto(ctx, REPEAT_TIME)
    ctx.reply(ctx.t("broadcast.ask_time"), rows(_cancel_button(ctx)))


@router.state(REPEAT_TIME, role=Role.STAFF)
async def on_repeat_time(msg: IncomingMessage, ctx: Context) -> None:
    data = _draft(ctx)
    text = msg.text.strip()
    if data.get("repeat") == "monthly":
        match = _DAY_TIME.match(text)
        at = parse_time(f"{match['H']}:{match['M']}") if match else None
        if match is None or at is None or not 1 <= int(match["day"]) <= 28:
            ctx.reply(ctx.t("broadcast.day_time_bad"), rows(_cancel_button(ctx)))
            return
        cron = f"{at[1]} {at[0]} {int(match['day'])} * *"
    else:
        at = parse_time(text)
        if at is None:
            ctx.reply(ctx.t("broadcast.time_bad"), rows(_cancel_button(ctx)))
            return
        weekday = data.get("weekday") if data.get("repeat") == "weekly" else None
        cron = f"{at[1]} {at[0]} * * {'*' if weekday is None else weekday}"
    ask_until(ctx, cron)


@router.state(CRON, role=Role.STAFF)
async def on_cron(msg: IncomingMessage, ctx: Context) -> None:
    ask_until(ctx, " ".join(msg.text.split()))


def ask_until(ctx: Context, cron: str) -> None:
    try:
        first = domain.check_recurrence_usable(ctx.work, cron)
    except Refused as refusal:
        return _refused(ctx, refusal)
    ctx.state.update(cron=cron)
    _goto(ctx, UNTIL)
    ctx.reply(
        ctx.t(
            "broadcast.ask_until",
            schedule=describe_recurrence(ctx, cron),
            first=ctx.when(first),
        ),
        rows(Button(ctx.t("broadcast.btn_no_end"), payload="be:none"), _cancel_button(ctx)),
    )


@router.state(UNTIL, role=Role.STAFF)
async def on_until(msg: IncomingMessage, ctx: Context) -> None:
    tz = ctx.services.city.timezone
    day = parse_date(msg.text, now=ctx.now, tz=tz)
    if day is None:
        ctx.reply(ctx.t("broadcast.until_bad"), rows(_cancel_button(ctx)))
        return
    ends_at = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
    await _schedule_repeating(ctx, ends_at)


@router.button("be", role=Role.STAFF)
async def on_no_end(msg: IncomingMessage, ctx: Context) -> None:
    if ctx.state.name != UNTIL:
        return _stale(ctx)
    await _schedule_repeating(ctx, None)


async def _schedule_repeating(ctx: Context, ends_at: datetime | None) -> None:
    cron = _draft(ctx)["cron"]
    notice = await _create(ctx, domain.When.repeating(cron, ends_at))
    if notice is None:
        return
    assert notice.next_run_at is not None
    first = notice.next_run_at
    last_day = ends_at - timedelta(minutes=1) if ends_at else None
    until = ctx.when(last_day, "date") if last_day else ctx.t("broadcast.no_end")
    ctx.reply(
        ctx.t(
            "broadcast.scheduled_repeat",
            id=notice.id,
            schedule=describe_recurrence(ctx, cron),
            first=ctx.when(first),
            until=until,
        ),
        main_menu(ctx),
    )


async def _create(ctx: Context, when: domain.When, *, progress: bool = False) -> Notice | None:
    """Create the drafted notice; None after saying why the domain refused it."""
    draft = _draft(ctx)
    try:
        notice = await domain.create(
            ctx.work,
            domain.Draft(
                topic=draft["topic"],
                urgent=bool(draft.get("urgent")),
                text_bg=draft["text_bg"],
                text_en=draft.get("text_en"),
                photo=draft.get("photo"),
                audience=draft["audience"],
            ),
            when,
            progress=(ctx.address.channel, ctx.address.user_id) if progress else None,
        )
    except Refused as refusal:
        _refused(ctx, refusal)
        return None
    ctx.state.clear()  # the photo now belongs to the notice
    return notice


def describe_recurrence(ctx: Context, cron: str) -> str:
    """Our own schedules in words; anything else as the cron expression."""
    fields = cron.split()
    if len(fields) == 5 and fields[0].isdigit() and fields[1].isdigit() and fields[3] == "*":
        at = f"{int(fields[1]):02d}:{int(fields[0]):02d}"
        day, weekday = fields[2], fields[4]
        if day == "*" and weekday == "*":
            return ctx.t("broadcast.every_day", time=at)
        if day == "*" and weekday.isdigit() and int(weekday) <= 7:
            key = dict(WEEKDAYS)[int(weekday) % 7]
            return ctx.t("broadcast.every_week", day=ctx.t(key), time=at)
        if day.isdigit() and weekday == "*":
            return ctx.t("broadcast.every_month", day=int(day), time=at)
    return ctx.t("broadcast.every_cron", cron=cron)


# -- /notices and /notice ID --------------------------------------------------------------


@router.command("notices", role=Role.STAFF)
async def on_notices(msg: IncomingMessage, ctx: Context) -> None:
    await show_list(ctx)


@router.button("nl", role=Role.STAFF)
async def on_list_button(msg: IncomingMessage, ctx: Context) -> None:
    await show_list(ctx)


async def show_list(ctx: Context, note: str | None = None) -> None:
    """The notices to come, going out and of the last days, each a button; `note` above."""
    session = ctx.session
    upcoming = await notices.upcoming(session, limit=LIST_LIMIT)
    active = await notices.runs(session, statuses=notices.ACTIVE_RUNS, limit=LIST_LIMIT)
    done = [RunStatus.DONE.value, RunStatus.MISSED.value, RunStatus.CANCELLED.value]
    recent = await notices.runs(session, statuses=done, since=ctx.now - RECENT, limit=LIST_LIMIT)
    if not (upcoming or active or recent):
        ctx.reply(ctx.t("broadcast.list_empty"))
        return
    lines = [_note(note, ctx.t("broadcast.list_title"))]
    ids: list[int] = []
    if upcoming:
        lines.append("\n" + ctx.t("broadcast.list_scheduled"))
        for notice in upcoming:
            lines.append(_upcoming_line(ctx, notice))
            ids.append(notice.id or 0)
    if active:
        lines.append("\n" + ctx.t("broadcast.list_running"))
        for run, notice in active:
            counts = await outbox.run_counts(session, run_id=run.id or 0)
            lines.append(_run_line(ctx, run, notice, counts))
            ids.append(notice.id or 0)
    if recent:
        lines.append("\n" + ctx.t("broadcast.list_recent"))
        for run, notice in recent:
            counts = await outbox.run_counts(session, run_id=run.id or 0)
            lines.append(_run_line(ctx, run, notice, counts))
            ids.append(notice.id or 0)
    buttons = [Button(f"#{i}", payload=f"no:{i}") for i in dict.fromkeys(ids)]
    ctx.reply("\n".join(lines), rows(*buttons, per_row=5))


def _upcoming_line(ctx: Context, notice: Notice) -> str:
    when = ctx.when(notice.next_run_at) if notice.next_run_at else "—"
    line = f"#{notice.id} {topic_label(ctx, notice.topic)} — {when}"
    if notice.recurrence:
        line += f" · 🔁 {describe_recurrence(ctx, notice.recurrence)}"
    if notice.status == NoticeStatus.PAUSED:
        line += f" · ⏸️ {ctx.t(NOTICE_STATUS[NoticeStatus.PAUSED])}"
    return line


def _run_line(ctx: Context, run: NoticeRun, notice: Notice, counts: dict[str, int]) -> str:
    when, state = ctx.when(run.due_at), _run_state(ctx, run, counts)
    return f"#{notice.id} {topic_label(ctx, notice.topic)} — {when} · {state}"


def _run_state(ctx: Context, run: NoticeRun, counts: dict[str, int]) -> str:
    """How a run stands, the same words in /notices and /notice: "sending · 0 of 1 sent"."""
    text = ctx.t(RUN_STATUS[RunStatus(run.status)])
    sent, total = outbox.sent_of(counts)
    if total or run.status not in (RunStatus.MISSED, RunStatus.CANCELLED):
        text += " · " + ctx.t("broadcast.sent_of", sent=sent, total=total)
    return text


@router.command("notice", role=Role.STAFF)
async def on_notice(msg: IncomingMessage, ctx: Context) -> None:
    arg = msg.args.strip().lstrip("#")
    if not arg:
        return await show_list(ctx, ctx.t("broadcast.pick_notice"))
    notice = await _notice(ctx, arg)
    if notice is None:
        ctx.reply(ctx.t("broadcast.not_found"))
        return
    await show_notice(ctx, notice)


@router.button("no", role=Role.STAFF)
async def on_open(msg: IncomingMessage, ctx: Context) -> None:
    notice = await _tapped_notice(ctx, msg)
    if notice is None:
        return
    await show_notice(ctx, notice)


async def show_notice(ctx: Context, notice: Notice, note: str | None = None) -> None:
    assert notice.id is not None
    runs = await notices.runs_of(ctx.session, notice_id=notice.id)
    lines = [
        ctx.t("broadcast.notice_title", id=notice.id, topic=topic_label(ctx, notice.topic)),
        ctx.t("broadcast.notice_status", status=_notice_state(ctx, notice, runs)),
        ctx.t("broadcast.summary_audience", audience=audience_label(ctx, notice.audience)),
        ctx.t(
            "broadcast.summary_urgency",
            urgency=ctx.t(URGENCY_LABELS[notice.urgent]),
        ),
        ctx.t("broadcast.notice_schedule", schedule=_schedule_text(ctx, notice)),
    ]
    if notice.next_run_at and notice.status in (NoticeStatus.SCHEDULED, NoticeStatus.PAUSED):
        lines.append(ctx.t("broadcast.notice_next", when=ctx.when(notice.next_run_at)))
    lines.append(ctx.t("broadcast.notice_created", when=ctx.when(notice.created_at)))
    lines.append("")
    lines.append(ctx.t("broadcast.notice_text_bg", text=notice.text_bg))
    lines.append(ctx.t("broadcast.notice_text_en", text=notice.text_en or "—"))
    if notice.photo:
        lines.append(ctx.t("broadcast.notice_photo"))
    if runs:
        lines.append("")
        lines.append(ctx.t("broadcast.notice_runs"))
        for run in runs:
            lines.append(await _run_detail(ctx, run))
    active = any(r.status in notices.ACTIVE_RUNS for r in runs)
    text = "\n".join(lines)
    ctx.reply(f"{note}\n\n{text}" if note else text, _notice_buttons(ctx, notice, active))


def _notice_state(ctx: Context, notice: Notice, runs: list[NoticeRun]) -> str:
    state = notices.state(notice, runs)
    if state in NOTICE_STATUS:
        return ctx.t(NOTICE_STATUS[NoticeStatus(state)])
    return ctx.t(RUN_STATUS[RunStatus(state)])


async def _run_detail(ctx: Context, run: NoticeRun) -> str:
    counts = await outbox.run_counts(ctx.session, run_id=run.id or 0)
    line = f"{ctx.when(run.due_at)} — {_run_state(ctx, run, counts)}"
    if sum(counts.values()) or run.status in notices.ACTIVE_RUNS or run.status == RunStatus.DONE:
        line += "\n   " + ctx.t("broadcast.counts", **counts)
    if counts["sent"] or counts["failed"]:
        line += _receipts_detail(ctx, await outbox.run_receipts(ctx.session, run_id=run.id or 0))
    return line


RECEIPT_CHANNELS = ("viber",)  # the channels that report delivered and seen


def _receipts_detail(ctx: Context, figures: dict[str, outbox.ChannelReceipts]) -> str:
    """Delivered and seen where the channels report them; what Viber bills."""
    known = [figures[name] for name in RECEIPT_CHANNELS if name in figures]
    text = ""
    if any(f.sent for f in known):
        delivered, seen = sum(f.delivered for f in known), sum(f.seen for f in known)
        text += "\n   " + ctx.t("broadcast.receipts", delivered=delivered, seen=seen)
    if "viber" in figures and figures["viber"].messages:
        text += "\n   " + ctx.t("broadcast.viber_billed", count=figures["viber"].messages)
    return text


def _schedule_text(ctx: Context, notice: Notice) -> str:
    if not notice.recurrence:
        if notice.next_run_at is None:
            return ctx.t("broadcast.once")
        return ctx.t("broadcast.once_at", when=ctx.when(notice.next_run_at))
    text = describe_recurrence(ctx, notice.recurrence)
    if notice.ends_at is not None:
        until = ctx.when(notice.ends_at - timedelta(minutes=1), "date")
        text += ", " + ctx.t("broadcast.until", date=until)
    return text


def _notice_buttons(ctx: Context, notice: Notice, active: bool) -> Rows:
    buttons = []
    if domain.can_pause(notice):
        buttons.append(Button(ctx.t("broadcast.btn_pause"), payload=f"np:{notice.id}"))
    if domain.can_resume(notice):
        buttons.append(Button(ctx.t("broadcast.btn_resume"), payload=f"nr:{notice.id}"))
    if domain.can_cancel(notice, sending=active):
        buttons.append(Button(ctx.t("broadcast.btn_cancel_notice"), payload=f"nc:{notice.id}"))
    buttons.append(Button(ctx.t("broadcast.btn_refresh"), payload=f"no:{notice.id}"))
    buttons.append(Button(ctx.t("broadcast.btn_list"), payload="nl"))
    return rows(*buttons, per_row=2)


@router.button("np", role=Role.STAFF)
async def on_pause(msg: IncomingMessage, ctx: Context) -> None:
    notice = await _tapped_notice(ctx, msg)
    if notice is None:
        return
    try:
        await domain.pause(ctx.work, notice)
    except Refused as refusal:
        return await show_notice(ctx, notice, refusal_text(ctx, refusal))
    await show_notice(ctx, await _reload(ctx, notice), ctx.t("broadcast.paused"))


@router.button("nr", role=Role.STAFF)
async def on_resume(msg: IncomingMessage, ctx: Context) -> None:
    notice = await _tapped_notice(ctx, msg)
    if notice is None:
        return
    try:
        await domain.resume(ctx.work, notice)
    except Refused as refusal:
        return await show_notice(ctx, notice, refusal_text(ctx, refusal))
    await show_notice(ctx, await _reload(ctx, notice), ctx.t("broadcast.resumed"))


@router.button("nc", role=Role.STAFF)
async def on_cancel_notice(msg: IncomingMessage, ctx: Context) -> None:
    notice = await _tapped_notice(ctx, msg)
    if notice is None:
        return
    ctx.reply(
        ctx.t("broadcast.cancel_confirm", id=notice.id),
        rows(
            Button(ctx.t("broadcast.btn_cancel_yes"), payload=f"ny:{notice.id}"),
            Button(ctx.t("broadcast.btn_cancel_no"), payload=f"no:{notice.id}"),
            per_row=2,
        ),
    )


@router.button("ny", role=Role.STAFF)
async def on_cancel_confirmed(msg: IncomingMessage, ctx: Context) -> None:
    notice = await _tapped_notice(ctx, msg)
    if notice is None:
        return
    try:
        withdrawn = await domain.cancel(ctx.work, notice)
    except Refused as refusal:
        return await show_notice(ctx, notice, refusal_text(ctx, refusal))
    await show_notice(
        ctx, await _reload(ctx, notice), ctx.t("broadcast.cancelled_notice", count=withdrawn)
    )


async def _tapped_notice(ctx: Context, msg: IncomingMessage) -> Notice | None:
    """The notice a button names; a gone one is said to be not found."""
    notice = await _notice(ctx, _arg(msg))
    if notice is None:
        ctx.reply(ctx.t("broadcast.not_found"))
    return notice


async def _notice(ctx: Context, arg: str) -> Notice | None:
    if not arg.isdigit() or len(arg) > 12:
        return None
    return await notices.get(ctx.session, notice_id=int(arg))


async def _reload(ctx: Context, notice: Notice) -> Notice:
    assert notice.id is not None
    fresh = await notices.get(ctx.session, notice_id=notice.id)
    return fresh or notice
