"""The /broadcast composer's steps in one table: each state and what it asks.

topic → audience (all of the city, districts, or a circle around a pin) → urgency → text in
Bulgarian (required) → English (optional) → photo (optional) → preview: the exact message in
each language and how many would receive it now, by channel → send now, at a date and time, or
repeatedly (daily, weekly, monthly, or a cron expression) with an optional end date.

The answers are handled in compose.py (topic, urgency, texts, photo), audience.py and
schedule.py; the draft is the conversation state's data.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from bot.core.context import Context
from bot.core.conversation import Conversation
from bot.core.messages import Button, rows
from bot.domain.errors import Refused
from bot.domain.notices import TEXT_MAX
from handlers.broadcast.buttons import (
    AROUND,
    BY_CRON,
    DAILY,
    MONTHLY,
    NEXT,
    NO_ENGLISH,
    NO_PHOTO,
    SEND_AT,
    SEND_NOW,
    SEND_REPEATEDLY,
    TO_ALL,
    TO_DISTRICTS,
    WEEKLY,
    AudienceButton,
    CancelButton,
    DistrictButton,
    NoEndButton,
    RadiusButton,
    RepeatButton,
    SkipButton,
    TopicButton,
    UrgencyButton,
    WeekdayButton,
    WhenButton,
)
from handlers.broadcast.views import (
    WEEKDAYS,
    audience_size,
    describe_recurrence,
    summary,
    with_note,
)
from handlers.labels import language_label, radius_label
from handlers.refusals import refusal_text
from scheduler.notices import resolve_audience
from scheduler.payloads import notice_text
from storage.models import Notice
from storage.repos import notice_audience

log = logging.getLogger(__name__)

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

RADII_M = (500, 1000, 2000, 5000)


def draft(ctx: Context) -> dict[str, Any]:
    return ctx.state.data


def cancel_button(ctx: Context) -> Button:
    return CancelButton().button(ctx.t("broadcast.btn_cancel"))


def refused(ctx: Context, refusal: Refused) -> None:
    ctx.reply(refusal_text(ctx, refusal), rows(cancel_button(ctx)))


def discard_photo(ctx: Context) -> None:
    """Delete the draft's photo once the transaction that drops the draft has committed."""
    store = ctx.services.photos
    name = ctx.state.data.get("photo") if FLOW.active(ctx) else None
    if store is None or not name:
        return

    async def delete() -> None:
        await store.delete(name)

    ctx.after_commit.append(delete)


# -- what each step asks ------------------------------------------------------------------


def ask_topic(ctx: Context, note: str | None = None) -> None:
    topics = ctx.services.city.topics
    buttons = [TopicButton(t.code).button(t.short_name(ctx.language)) for t in topics]
    ctx.reply(
        with_note(note, ctx.t("broadcast.ask_topic")),
        rows(*buttons, (cancel_button(ctx),), per_row=2),
    )


def ask_audience(ctx: Context, note: str | None = None) -> None:
    city = ctx.services.city.name(ctx.language)
    ctx.reply(
        with_note(note, ctx.t("broadcast.ask_audience")),
        rows(
            AudienceButton(TO_ALL).button(ctx.t("broadcast.btn_all", city=city)),
            AudienceButton(TO_DISTRICTS).button(ctx.t("broadcast.btn_districts")),
            AudienceButton(AROUND).button(ctx.t("broadcast.btn_radius")),
            cancel_button(ctx),
        ),
    )


def ask_districts(ctx: Context, note: str | None = None) -> None:
    chosen = set(draft(ctx).get("districts") or [])
    buttons = []
    for district in ctx.services.city.districts:
        on = district.code in chosen
        name = district.name(ctx.language)
        buttons.append(DistrictButton(district.code, not on).button(f"✅ {name}" if on else name))
    ctx.reply(
        with_note(note, ctx.t("broadcast.ask_districts")),
        rows(
            *buttons,
            (AudienceButton(NEXT).button(ctx.t("broadcast.btn_next")), cancel_button(ctx)),
            per_row=3,
        ),
    )


def ask_pin(ctx: Context, note: str | None = None) -> None:
    ctx.reply(
        with_note(note, ctx.t("broadcast.ask_pin")),
        rows(
            Button(ctx.t("broadcast.btn_send_location"), request_location=True),
            cancel_button(ctx),
        ),
    )


def ask_radius(ctx: Context, note: str | None = None) -> None:
    buttons = [RadiusButton(m).button(radius_label(ctx, m)) for m in RADII_M]
    ctx.reply(
        with_note(note, ctx.t("broadcast.ask_radius")),
        rows(*buttons, (cancel_button(ctx),), per_row=4),
    )


def ask_urgency(ctx: Context, note: str | None = None) -> None:
    urgent = bool(draft(ctx).get("urgent"))
    normal = ctx.t("broadcast.btn_normal")
    emergency = ctx.t("broadcast.btn_emergency")
    ctx.reply(
        with_note(note, ctx.t("broadcast.ask_urgency")),
        rows(
            UrgencyButton(False).button(normal if urgent else f"✅ {normal}"),
            UrgencyButton(True).button(f"✅ {emergency}" if urgent else emergency),
            cancel_button(ctx),
        ),
    )


def ask_text_bg(ctx: Context, note: str | None = None) -> None:
    text = ctx.t("broadcast.ask_text_bg", max=TEXT_MAX)
    ctx.reply(with_note(note, text), rows(cancel_button(ctx)))


def ask_text_en(ctx: Context) -> None:
    ctx.reply(
        ctx.t("broadcast.ask_text_en"),
        rows(SkipButton(NO_ENGLISH).button(ctx.t("broadcast.btn_no_english")), cancel_button(ctx)),
    )


def ask_photo(ctx: Context, note: str | None = None) -> None:
    ctx.reply(
        with_note(note, ctx.t("broadcast.ask_photo")),
        rows(SkipButton(NO_PHOTO).button(ctx.t("broadcast.btn_no_photo")), cancel_button(ctx)),
    )


def ask_when(ctx: Context, text: str) -> None:
    """The preview's last message: what, to whom, how many (`text`), and when to send it."""
    ctx.reply(
        text,
        rows(
            WhenButton(SEND_NOW).button(ctx.t("broadcast.btn_send_now")),
            WhenButton(SEND_AT).button(ctx.t("broadcast.btn_at")),
            WhenButton(SEND_REPEATEDLY).button(ctx.t("broadcast.btn_repeat")),
            cancel_button(ctx),
        ),
    )


def ask_at(ctx: Context) -> None:
    ctx.reply(ctx.t("broadcast.ask_when"), rows(cancel_button(ctx)))


def ask_repeat(ctx: Context, note: str | None = None) -> None:
    ctx.reply(
        with_note(note, ctx.t("broadcast.ask_repeat")),
        rows(
            RepeatButton(DAILY).button(ctx.t("broadcast.btn_daily")),
            RepeatButton(WEEKLY).button(ctx.t("broadcast.btn_weekly")),
            RepeatButton(MONTHLY).button(ctx.t("broadcast.btn_monthly")),
            RepeatButton(BY_CRON).button(ctx.t("broadcast.btn_cron")),
            cancel_button(ctx),
            per_row=2,
        ),
    )


def ask_weekday(ctx: Context) -> None:
    buttons = [WeekdayButton(n).button(ctx.t(key)) for n, key in WEEKDAYS]
    ctx.reply(ctx.t("broadcast.ask_weekday"), rows(*buttons, (cancel_button(ctx),), per_row=4))


def ask_repeat_time(ctx: Context) -> None:
    if draft(ctx).get("repeat") == MONTHLY:
        ctx.reply(ctx.t("broadcast.ask_day_time"), rows(cancel_button(ctx)))
    else:
        ctx.reply(ctx.t("broadcast.ask_time"), rows(cancel_button(ctx)))


def ask_cron(ctx: Context) -> None:
    ctx.reply(ctx.t("broadcast.ask_cron"), rows(cancel_button(ctx)))


def ask_until(ctx: Context, first: datetime) -> None:
    cron = draft(ctx)["cron"]
    ctx.reply(
        ctx.t(
            "broadcast.ask_until",
            schedule=describe_recurrence(ctx, cron),
            first=ctx.when(first),
        ),
        rows(NoEndButton().button(ctx.t("broadcast.btn_no_end")), cancel_button(ctx)),
    )


FLOW = Conversation(
    "bc",
    {
        TOPIC: ask_topic,
        AUDIENCE: ask_audience,
        DISTRICTS: ask_districts,
        PIN: ask_pin,
        RADIUS: ask_radius,
        URGENCY: ask_urgency,
        TEXT_BG: ask_text_bg,
        TEXT_EN: ask_text_en,
        PHOTO: ask_photo,
        PREVIEW: ask_when,  # entered through show_preview, which counts the audience first
        AT: ask_at,
        REPEAT: ask_repeat,
        WEEKDAY: ask_weekday,
        REPEAT_TIME: ask_repeat_time,
        CRON: ask_cron,
        UNTIL: ask_until,
    },
)


# -- the preview --------------------------------------------------------------------------


def draft_notice(ctx: Context) -> Notice:
    data = draft(ctx)
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
    notice = draft_notice(ctx)
    image = await _photo_bytes(ctx, notice.photo)
    languages = ["bg", "en"] if notice.text_en else ["bg"]
    if note is None:
        for language in languages:
            label = language_label(ctx, language)
            ctx.reply(ctx.t("broadcast.preview_of", language=label))
            ctx.reply(notice_text(notice, language), image=image)
    counts = await notice_audience.count_audience(
        ctx.session,
        topic=notice.topic,
        audience=resolve_audience(ctx.services.city, notice.audience),
        urgent=notice.urgent,
    )
    lines = [summary(ctx, notice), audience_size(ctx, counts)]
    if not notice.text_en:
        lines.append(ctx.t("broadcast.only_bulgarian"))
    FLOW.goto(ctx, PREVIEW, text=with_note(note, "\n".join(lines)))


async def _photo_bytes(ctx: Context, name: str | None) -> bytes | None:
    store = ctx.services.photos
    if not name or store is None:
        return None
    try:
        return await store.read(name)
    except (FileNotFoundError, ValueError):
        log.warning("the draft notice's photo is missing")
        return None
