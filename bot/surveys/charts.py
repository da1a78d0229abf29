"""Bar charts of survey results, made to be read on a phone and forwarded.

One PNG per choice or scale question: horizontal bars in the question's order, labels wrapped
on the left, "count · percent" at the end of each bar, large type, the question as the title
and how many answered under it. Drawn with matplotlib's Agg canvas (no pyplot, no display);
`render` does the CPU work in a thread so the event loop keeps serving messages.
"""

from __future__ import annotations

import asyncio
import io
import textwrap
import threading
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.surveys.results import QuestionResult
from bot.surveys.schema import Rating, localized

if TYPE_CHECKING:
    from matplotlib.figure import Figure

BAR_COLOUR = "#1f6fb2"
TEXT_COLOUR = "#222222"
MUTED_COLOUR = "#555555"
WIDTH_IN = 10.8  # 1080 px at DPI 100: a phone screen's width
DPI = 100
LABEL_WRAP = 22  # characters per line of a bar's label
TITLE_WRAP = 42
FONT_LABEL = 22
FONT_VALUE = 22
FONT_TITLE = 24
FONT_SUBTITLE = 18

_RENDERING = threading.Lock()  # matplotlib's font cache and text layout are not thread-safe


@dataclass(frozen=True, slots=True)
class ChartSpec:
    title: str
    subtitle: str
    labels: tuple[str, ...]
    counts: tuple[int, ...]
    percents: tuple[float, ...]


def chart_spec(result: QuestionResult, language: str | None, subtitle: str) -> ChartSpec:
    """The chart of one question's results, labelled in `language`."""
    question = result.question
    labels = [option.label(language) for option in result.options]
    if isinstance(question, Rating) and labels:
        if question.low:
            labels[0] = f"{labels[0]} – {localized(question.low, language)}"
        if question.high:
            labels[-1] = f"{labels[-1]} – {localized(question.high, language)}"
    return ChartSpec(
        title=question.label(language),
        subtitle=subtitle,
        labels=tuple(labels),
        counts=tuple(o.count for o in result.options),
        percents=tuple(o.percent for o in result.options),
    )


def printable(text: str) -> str:
    """Without emoji and other pictographs the chart font has no glyphs for."""
    kept = (
        ch
        for ch in text
        if ord(ch) <= 0xFFFF
        and unicodedata.category(ch) not in ("So", "Cs", "Co")
        and ch not in "\ufe0f\u200d"
    )
    return " ".join("".join(kept).split())


def wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(printable(text), width=width, break_long_words=True)) or " "


def value_text(count: int, percent: float) -> str:
    return f"{count} · {percent:.0f}%"


def build_figure(spec: ChartSpec) -> Figure:
    """The chart as a matplotlib Figure (not drawn yet)."""
    from matplotlib.figure import Figure

    labels = [wrap(label, LABEL_WRAP) for label in spec.labels]
    lines = sum(max(1, label.count("\n") + 1) for label in labels)
    title = wrap(spec.title, TITLE_WRAP)
    title_lines = title.count("\n") + 1
    height = 1.2 + 0.45 * title_lines + 0.42 * lines + 0.35 * len(labels)
    figure = Figure(figsize=(WIDTH_IN, max(4.0, height)), dpi=DPI, facecolor="white")
    axes = figure.add_subplot()
    positions = list(range(len(labels)))
    axes.barh(positions, spec.counts, color=BAR_COLOUR, height=0.62, antialiased=False)
    axes.set_yticks(positions, labels, fontsize=FONT_LABEL, color=TEXT_COLOUR)
    axes.invert_yaxis()  # the first option on top
    top = max(spec.counts, default=0)
    axes.set_xlim(0, top * 1.45 if top else 1)
    for y, (count, pct) in enumerate(zip(spec.counts, spec.percents, strict=True)):
        axes.text(
            count + (top or 1) * 0.02,
            y,
            value_text(count, pct),
            va="center",
            ha="left",
            fontsize=FONT_VALUE,
            color=TEXT_COLOUR,
        )
    axes.tick_params(axis="y", length=0, pad=10)
    axes.set_xticks([])
    for side in ("top", "right", "bottom"):
        axes.spines[side].set_visible(False)
    figure.suptitle(
        title, fontsize=FONT_TITLE, color=TEXT_COLOUR, fontweight="bold", x=0.02, ha="left"
    )
    axes.set_title(printable(spec.subtitle), fontsize=FONT_SUBTITLE, color=MUTED_COLOUR, loc="left")
    figure.tight_layout()
    return figure


def render_png(spec: ChartSpec) -> bytes:
    """The chart as PNG bytes (CPU-bound: call through `render` from async code)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    with _RENDERING:
        figure = build_figure(spec)
        canvas = FigureCanvasAgg(figure)
        out = io.BytesIO()
        canvas.print_png(out)
    return out.getvalue()


async def render(spec: ChartSpec) -> bytes:
    return await asyncio.to_thread(render_png, spec)


async def render_all(specs: Sequence[ChartSpec]) -> list[bytes]:
    return [await render(spec) for spec in specs]
