"""/stats for admins: citizens, reports, the median time to resolve, subscriptions, deliveries,
survey responses and data retention as a short text, then each body's figures
(bot/domain/body_figures.py) and a chart of reports per week. For staff: their bodies'
figures only."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import TypeVar

from bot.core.context import Context
from bot.core.messages import IncomingMessage, Reply
from bot.core.router import Router
from bot.domain.body_figures import BodyFigures, body_figures
from bot.stats_chart import WEEKS, WeeklySpec, render, week_bounds, week_labels
from handlers.broadcast.feeds_review import feeds_section
from handlers.labels import channel_label, language_label
from handlers.reports.views import category_label, district_label, status_label
from storage.models import ReportStatus, Role
from storage.repos import stats

log = logging.getLogger(__name__)

router = Router("admin.stats")

TOP = 10  # longest breakdown shown; the rest is summed up as "others"
DELIVERY_STATUSES = ("sent", "failed", "blocked")

K = TypeVar("K")


@router.command("stats", role=Role.STAFF)
async def on_stats(msg: IncomingMessage, ctx: Context) -> None:
    bodies = bodies_text(ctx, await body_figures(ctx.work))
    if not ctx.role.at_least(Role.ADMIN):
        ctx.reply(bodies)
        return
    figures = await stats.figures(ctx.session, now=ctx.now)
    tz = ctx.services.city.timezone
    bounds = week_bounds(ctx.now, tz)
    weekly = await stats.reports_filed_between(ctx.session, bounds=bounds)
    sections = [stats_text(ctx, figures), await feeds_section(ctx), bodies]
    ctx.reply("\n\n".join(filter(None, sections)))
    spec = WeeklySpec(
        title=ctx.t("stats.chart_title", weeks=WEEKS),
        labels=week_labels(bounds, tz, ctx.language),
        counts=tuple(weekly),
    )
    # Drawing takes tens of milliseconds: after the commit, in a thread.
    ctx.after_commit.append(functools.partial(_send_chart, ctx, spec))


async def _send_chart(ctx: Context, spec: WeeklySpec) -> None:
    try:
        image = await render(spec)
    except Exception:
        log.exception("the /stats chart could not be drawn")
        ctx.outgoing.append((ctx.address, Reply(ctx.t("stats.chart_failed"))))
        return
    ctx.outgoing.append((ctx.address, Reply(f"📊 {spec.title}", image=image)))


def stats_text(ctx: Context, figures: stats.Figures) -> str:
    sections = [
        ctx.t("stats.title", when=ctx.when(ctx.now)),
        _citizens(ctx, figures),
        _reports(ctx, figures),
        ctx.t(
            "stats.subscriptions",
            topics=breakdown(ctx, figures.subscriptions, functools.partial(_topic, ctx)),
        ),
        _deliveries(ctx, figures.outbox),
        ctx.t("stats.surveys", total=figures.survey_responses, completed=figures.survey_completed),
        ctx.t("stats.retention", months=ctx.services.settings.retention_months),
    ]
    return "\n\n".join(sections)


def _citizens(ctx: Context, figures: stats.Figures) -> str:
    return ctx.t(
        "stats.citizens",
        total=figures.citizens,
        channels=breakdown(
            ctx, figures.by_channel, functools.partial(channel_label, ctx), by_count=False
        ),
        languages=breakdown(
            ctx, figures.by_language, functools.partial(language_label, ctx), by_count=False
        ),
        active_7=figures.active[7],
        active_30=figures.active[30],
    )


def _reports(ctx: Context, figures: stats.Figures) -> str:
    by_status = figures.reports_by_status
    statuses = " · ".join(
        f"{status_label(ctx, s)} {by_status[s]}" for s in ReportStatus if by_status.get(s)
    )
    resolution = figures.resolution
    if resolution.median is None:
        median = ctx.t("stats.median_none")
    else:
        median = ctx.t(
            "stats.median", duration=duration(ctx, resolution.median), count=resolution.reports
        )
    lines = [
        ctx.t("stats.reports", total=figures.reports, statuses=statuses or "—"),
        ctx.t(
            "stats.categories",
            categories=breakdown(
                ctx, figures.reports_by_category, functools.partial(category_label, ctx)
            ),
        ),
        ctx.t(
            "stats.districts",
            districts=breakdown(
                ctx, figures.reports_by_district, functools.partial(district_label, ctx)
            ),
        ),
        median,
    ]
    return "\n".join(lines)


def bodies_text(ctx: Context, found: list[BodyFigures]) -> str:
    """Each body's figures, one paragraph per body; bodies with nothing yet in one line."""
    lines = [ctx.t("figures.bodies_title")]
    idle = []
    for f in found:
        body = ctx.services.city.body(f.code)
        name = body.name(ctx.language) if body else f.code
        if not (
            f.open or f.resolved_on_time or f.resolved_late or f.confirmed_fixed or f.not_fixed
        ):
            idle.append(name)
            continue
        lines.append(
            ctx.t(
                "figures.body_line",
                body=name,
                open=f.open,
                overdue=f.overdue,
                on_time=percent(ctx, f.on_time_share),
                acknowledge=median(ctx, f.acknowledge_median),
                resolve=median(ctx, f.resolve_median),
                fixed=percent(ctx, f.confirmed_share),
                not_fixed=f.not_fixed,
            )
        )
    if idle:
        lines.append(ctx.tn("figures.bodies_idle", len(idle), n=len(idle)))
    if len(lines) == 1:
        lines.append(ctx.t("figures.bodies_none"))
    return "\n\n".join(lines)


def percent(ctx: Context, share: float | None) -> str:
    return "—" if share is None else f"{ctx.number(share * 100, 1)} %"


def median(ctx: Context, span: timedelta | None) -> str:
    return "—" if span is None else duration(ctx, span)


def _topic(ctx: Context, code: str) -> str:
    topic = ctx.services.city.topic(code)
    return topic.name(ctx.language) if topic else code


def _deliveries(ctx: Context, outbox: Mapping[tuple[str, str], int]) -> str:
    channels = sorted({channel for channel, _ in outbox})
    if not channels:
        return ctx.t("stats.deliveries_none")
    lines = [ctx.t("stats.deliveries")]
    for channel in channels:
        counts = " / ".join(str(outbox.get((channel, s), 0)) for s in DELIVERY_STATUSES)
        lines.append(f"{channel_label(ctx, channel)}: {counts}")
    return "\n".join(lines)


def breakdown(
    ctx: Context, counts: Mapping[K, int], name: Callable[[K], str], *, by_count: bool = True
) -> str:
    """ "Name 3 · Name 2 · others 4": the largest first (or by name), at most TOP shown."""
    named = [(name(key), n) for key, n in counts.items() if n]
    named.sort(key=(lambda kv: (-kv[1], kv[0])) if by_count else (lambda kv: kv[0]))
    shown = [f"{label} {n}" for label, n in named[:TOP]]
    rest = sum(n for _, n in named[TOP:])
    if rest:
        shown.append(ctx.t("stats.others", n=rest))
    return " · ".join(shown) or "—"


def duration(ctx: Context, span: timedelta) -> str:
    minutes = round(span.total_seconds() / 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return ctx.t("stats.duration_days", days=days, hours=hours)
    if hours:
        return ctx.t("stats.duration_hours", hours=hours, minutes=minutes)
    return ctx.t("stats.duration_minutes", minutes=minutes)
