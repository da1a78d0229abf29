"""Result charts are PNGs a phone can show: one bar per option, as long as its count."""

from __future__ import annotations

import io

from PIL import Image

from bot.surveys.charts import BAR_COLOUR, ChartSpec, build_figure, printable, render, render_png

SPEC = ChartSpec(
    title="Как оценявате услугите на общината като цяло? 🏛️",
    subtitle="42 отговорили",
    labels=("1 – много недоволен", "2", "3", "4", "5 – много доволен"),
    counts=(3, 0, 10, 20, 9),
    percents=(7.1, 0.0, 23.8, 47.6, 21.4),
)
RGB = tuple(int(BAR_COLOUR[i : i + 2], 16) for i in (1, 3, 5))


def bars(image: Image.Image) -> list[int]:
    """The length in pixels of each bar, top to bottom: runs of rows with bar-coloured pixels."""
    rgb = image.convert("RGB")
    width, height = rgb.size
    pixels = rgb.load()
    lengths: list[int] = []
    in_bar = False
    for y in range(height):
        n = sum(1 for x in range(width) if pixels[x, y] == RGB)
        if n and not in_bar:
            lengths.append(n)
        elif n:
            lengths[-1] = max(lengths[-1], n)
        in_bar = bool(n)
    return lengths


def test_the_chart_is_a_png_with_one_bar_per_nonzero_count():
    image = Image.open(io.BytesIO(render_png(SPEC)))
    assert image.format == "PNG" and image.width == 1080 and 400 <= image.height <= 1400
    lengths = bars(image)
    assert len(lengths) == 4  # the zero bar has no length
    longest = max(lengths)
    ratios = [round(n / longest, 2) for n in lengths]
    expected = [round(c / 20, 2) for c in SPEC.counts if c]
    assert all(abs(a - b) <= 0.02 for a, b in zip(ratios, expected, strict=True)), ratios


def test_the_figure_has_the_labels_values_and_title():
    figure = build_figure(SPEC)
    (axes,) = figure.axes
    widths = [patch.get_width() for patch in axes.patches]
    assert widths == [3, 0, 10, 20, 9]
    assert [t.get_text() for t in axes.get_yticklabels()] == [
        "1 – много недоволен",
        "2",
        "3",
        "4",
        "5 – много доволен",
    ]
    values = [t.get_text() for t in axes.texts]
    assert values == ["3 · 7%", "0 · 0%", "10 · 24%", "20 · 48%", "9 · 21%"]
    assert figure.get_suptitle() == "Как оценявате услугите на общината като\nцяло?"
    assert axes.yaxis_inverted()  # the first option on top


def test_long_labels_wrap_and_pictographs_are_dropped():
    assert printable("🚌 Градски транспорт ✅") == "Градски транспорт"
    spec = ChartSpec(
        "Q", "1", ("Много дълъг етикет, който не се събира на един ред",), (1,), (100.0,)
    )
    (axes,) = build_figure(spec).axes
    (label,) = axes.get_yticklabels()
    assert label.get_text().count("\n") >= 2


async def test_render_runs_off_the_event_loop():
    png = await render(SPEC)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
