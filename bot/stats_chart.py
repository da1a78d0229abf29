"""The /stats chart: reports filed per week, in the city's weeks (Monday to Sunday, local time).

A column chart drawn with matplotlib's Agg canvas like the survey charts (no pyplot), sized
for a phone screen; `render` does the CPU work in a thread so the event loop keeps serving.
"""

from __future__ import annotations

import asyncio
import io
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.i18n import format_when
from bot.surveys.charts import _RENDERING, BAR_COLOUR, DPI, MUTED_COLOUR, TEXT_COLOUR, printable

WEEKS = 12
WIDTH_IN = 10.8
HEIGHT_IN = 6.0
FONT_TITLE = 24
FONT_TICKS = 16
FONT_VALUE = 18


def week_bounds(now: datetime, tz: ZoneInfo, weeks: int = WEEKS) -> list[datetime]:
    """weeks + 1 instants (UTC): local Mondays 00:00 from `weeks` - 1 weeks before the
    current week to the next Monday. Local midnights, so a week is 167 or 169 hours across a
    clock change."""
    today = now.astimezone(tz).date()
    monday = today - timedelta(days=today.weekday())
    days = [monday - timedelta(weeks=weeks - 1 - i) for i in range(weeks + 1)]
    return [datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC) for day in days]


@dataclass(frozen=True, slots=True)
class WeeklySpec:
    title: str
    labels: tuple[str, ...]  # one per week, e.g. its Monday's date
    counts: tuple[int, ...]


def week_labels(bounds: list[datetime], tz: ZoneInfo, language: str) -> tuple[str, ...]:
    return tuple(format_when(start, language, tz, "day") for start in bounds[:-1])


def render_png(spec: WeeklySpec) -> bytes:
    """The chart as PNG bytes (CPU-bound: call through `render` from async code)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    with _RENDERING:
        figure = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI, facecolor="white")
        axes = figure.add_subplot()
        positions = list(range(len(spec.counts)))
        axes.bar(positions, spec.counts, color=BAR_COLOUR, width=0.7, antialiased=False)
        top = max(spec.counts, default=0)
        axes.set_ylim(0, top * 1.2 if top else 1)
        for x, count in zip(positions, spec.counts, strict=True):
            if count:
                axes.text(
                    x,
                    count,
                    str(count),
                    ha="center",
                    va="bottom",
                    fontsize=FONT_VALUE,
                    color=TEXT_COLOUR,
                )
        axes.set_xticks(positions, spec.labels, fontsize=FONT_TICKS, color=MUTED_COLOUR)
        axes.tick_params(axis="x", length=0, pad=8)
        axes.set_yticks([])
        for side in ("top", "right", "left"):
            axes.spines[side].set_visible(False)
        axes.set_title(
            printable(spec.title),
            fontsize=FONT_TITLE,
            color=TEXT_COLOUR,
            fontweight="bold",
            loc="left",
        )
        figure.tight_layout()
        out = io.BytesIO()
        FigureCanvasAgg(figure).print_png(out)
    return out.getvalue()


async def render(spec: WeeklySpec) -> bytes:
    return await asyncio.to_thread(render_png, spec)
