"""When the composed notice goes out: now, at a date and time, or repeatedly (daily, weekly,
monthly, or a cron expression) with an optional end date. Dates and times are typed in city
time ("28.11 18:30", "28.11.2026 18:30", "утре 9:00" / "tomorrow 9:00") and explained when
they cannot be used."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

from bot.core.context import Context
from bot.core.messages import IncomingMessage, rows
from bot.core.router import Router
from bot.dates import WHEN_ERRORS, parse_date, parse_time, parse_when
from bot.domain import notices as domain
from bot.domain.errors import Refused
from handlers.broadcast.buttons import (
    BY_CRON,
    DAILY,
    MONTHLY,
    SEND_AT,
    SEND_NOW,
    SEND_REPEATEDLY,
    WEEKLY,
    NoEndButton,
    RepeatButton,
    WeekdayButton,
    WhenButton,
)
from handlers.broadcast.flow import (
    AT,
    CRON,
    FLOW,
    PREVIEW,
    REPEAT,
    REPEAT_TIME,
    UNTIL,
    WEEKDAY,
    cancel_button,
    draft,
    refused,
    show_preview,
)
from handlers.broadcast.views import WEEKDAYS, describe_recurrence
from handlers.menu import main_menu
from storage.models import Notice, Role

router = Router("broadcast.schedule")

_DAY_TIME = re.compile(r"^(?P<day>\d{1,2})\s+(?P<H>\d{1,2})[:.](?P<M>\d{2})$")


@router.button(WhenButton, role=Role.STAFF, state=PREVIEW)
async def on_when(msg: IncomingMessage, ctx: Context) -> None:
    choice = WhenButton.of(msg).choice
    if choice == SEND_NOW:
        return await send_now(ctx)
    if choice == SEND_AT:
        return FLOW.goto(ctx, AT)
    if choice == SEND_REPEATEDLY:
        return FLOW.goto(ctx, REPEAT)
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
        ctx.reply(ctx.t(WHEN_ERRORS[when], now=ctx.when(ctx.now)), rows(cancel_button(ctx)))
        return
    notice = await _create(ctx, domain.When.once(when))
    if notice is None:
        return
    ctx.reply(ctx.t("broadcast.scheduled", id=notice.id, when=ctx.when(when)), main_menu(ctx))


@router.button(RepeatButton, role=Role.STAFF, state=REPEAT)
async def on_repeat(msg: IncomingMessage, ctx: Context) -> None:
    kind = RepeatButton.of(msg).kind
    if kind in (DAILY, MONTHLY):
        ctx.state.update(repeat=kind)
        FLOW.goto(ctx, REPEAT_TIME)
    elif kind == WEEKLY:
        ctx.state.update(repeat=kind)
        FLOW.goto(ctx, WEEKDAY)
    elif kind == BY_CRON:
        FLOW.goto(ctx, CRON)
    else:
        FLOW.ask_again(ctx)


@router.button(WeekdayButton, role=Role.STAFF, state=WEEKDAY)
async def on_weekday(msg: IncomingMessage, ctx: Context) -> None:
    day = WeekdayButton.of(msg).day
    if day not in dict(WEEKDAYS):
        return FLOW.ask_again(ctx)
    ctx.state.update(weekday=day)
    FLOW.goto(ctx, REPEAT_TIME)


@router.state(REPEAT_TIME, role=Role.STAFF)
async def on_repeat_time(msg: IncomingMessage, ctx: Context) -> None:
    data = draft(ctx)
    text = msg.text.strip()
    if data.get("repeat") == MONTHLY:
        match = _DAY_TIME.match(text)
        at = parse_time(f"{match['H']}:{match['M']}") if match else None
        if match is None or at is None or not 1 <= int(match["day"]) <= 28:
            ctx.reply(ctx.t("broadcast.day_time_bad"), rows(cancel_button(ctx)))
            return
        cron = f"{at[1]} {at[0]} {int(match['day'])} * *"
    else:
        at = parse_time(text)
        if at is None:
            ctx.reply(ctx.t("broadcast.time_bad"), rows(cancel_button(ctx)))
            return
        weekday = data.get("weekday") if data.get("repeat") == WEEKLY else None
        cron = f"{at[1]} {at[0]} * * {'*' if weekday is None else weekday}"
    take_schedule(ctx, cron)


@router.state(CRON, role=Role.STAFF)
async def on_cron(msg: IncomingMessage, ctx: Context) -> None:
    take_schedule(ctx, " ".join(msg.text.split()))


def take_schedule(ctx: Context, cron: str) -> None:
    """Ask for the end date of a usable schedule; else say why it cannot be used."""
    try:
        first = domain.check_recurrence_usable(ctx.work, cron)
    except Refused as refusal:
        return refused(ctx, refusal)
    ctx.state.update(cron=cron)
    FLOW.goto(ctx, UNTIL, first=first)


@router.state(UNTIL, role=Role.STAFF)
async def on_until(msg: IncomingMessage, ctx: Context) -> None:
    tz = ctx.services.city.timezone
    day = parse_date(msg.text, now=ctx.now, tz=tz)
    if day is None:
        ctx.reply(ctx.t("broadcast.until_bad"), rows(cancel_button(ctx)))
        return
    ends_at = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
    await _schedule_repeating(ctx, ends_at)


@router.button(NoEndButton, role=Role.STAFF, state=UNTIL)
async def on_no_end(msg: IncomingMessage, ctx: Context) -> None:
    await _schedule_repeating(ctx, None)


async def _schedule_repeating(ctx: Context, ends_at: datetime | None) -> None:
    cron = draft(ctx)["cron"]
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
    data = draft(ctx)
    try:
        notice = await domain.create(
            ctx.work,
            domain.Draft(
                topic=data["topic"],
                urgent=bool(data.get("urgent")),
                text_bg=data["text_bg"],
                text_en=data.get("text_en"),
                photo=data.get("photo"),
                audience=data["audience"],
            ),
            when,
            progress=(ctx.address.channel, ctx.address.user_id) if progress else None,
        )
    except Refused as refusal:
        refused(ctx, refusal)
        return None
    ctx.state.clear()  # the photo now belongs to the notice
    return notice
