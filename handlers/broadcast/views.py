"""How a notice is said: its topic, audience, urgency, schedule and states, the same words in
the composer's preview, /notices and /notice."""

from __future__ import annotations

from typing import Any

from bot.core.context import Context
from bot.i18n import N_
from handlers.labels import channel_counts, radius_label, topic_label
from storage.models import Notice, NoticeStatus, RunStatus

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


def with_note(note: str | None, text: str) -> str:
    """`text` with an explanation above it (e.g. why the last answer could not be used)."""
    return f"{note}\n\n{text}" if note else text


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


def summary(ctx: Context, notice: Notice) -> str:
    return "\n".join(
        [
            ctx.t("broadcast.summary_topic", topic=topic_label(ctx, notice.topic)),
            ctx.t("broadcast.summary_audience", audience=audience_label(ctx, notice.audience)),
            urgency_line(ctx, notice),
        ]
    )


def urgency_line(ctx: Context, notice: Notice) -> str:
    return ctx.t("broadcast.summary_urgency", urgency=ctx.t(URGENCY_LABELS[notice.urgent]))


def audience_size(ctx: Context, counts: dict[str, int]) -> str:
    total = sum(counts.values())
    if not total:
        return ctx.t("broadcast.audience_none")
    return ctx.t("broadcast.audience_size", total=total, channels=channel_counts(ctx, counts))


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
        radius = radius_label(ctx, int(audience["radius_m"]))
        lat_text, lon_text = f"{lat:.5f}", f"{lon:.5f}"
        return ctx.t(
            "broadcast.audience_radius", radius=radius, lat=lat_text, lon=lon_text, district=where
        )
    return ctx.t("alerts.place_all", city=city.name(ctx.language))
