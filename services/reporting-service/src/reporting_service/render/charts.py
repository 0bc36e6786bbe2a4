"""The pack's charts, drawn by matplotlib as SVG: inline in the page, vectors in the PDF.

Each chart is matplotlib's lines, patches, markers and text placed on a figure directly,
not in an Axes: an Axes builds its tick machinery whether it shows ticks or not, which
costs 15-25 ms a chart here against 2-3 ms without, and the pack's 300 ms holds about 30
charts. Nothing needs an axis: every bar and point is labelled with its figure, and the
table beside the chart has them all.

Text stays text (`svg.fonttype: none`), in the reader's own sans-serif font: the page loads
no font. Colour is never the only cue: the previous quarter is hatched, each series has
its own marker and line style, and the legend names them. The colours are dark enough for
WCAG 2.2 AA on white (at least 4.5:1, so that they serve as text colour too).

A chart is drawn once for its figures (`svg` is cached by the Chart, which is its figures),
so a pack rebuilt after events that changed other figures redraws only what changed.

The SVG is matplotlib's, written by its SVG renderer with two changes (`_Renderer`): no
`<g>` around each artist (nothing refers to them, and WeasyPrint's cost in the PDF grows
with the number of elements: a third less time drawing the charts there) and text measured
once per string and font for the process, not once per chart (most labels recur: the
quarters, the units, "c"). No metadata, and no white background: the page is white."""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Sequence
from functools import lru_cache
from typing import Any, Literal

import matplotlib
from markupsafe import escape
from matplotlib.backends.backend_svg import RendererSVG
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.textpath import TextToPath
from matplotlib.typing import LineStyleType

from reporting_service.domain.pack import Cell, Chart, shown

# Contrast on white: 9.0, 5.9, 6.4 and 10.4 to 1.
INK = "#1b1b1b"
SERIES = ["#1d4f7c", "#a3430b", "#2b6b2f", "#4a4a4a"]
MARKERS = ["o", "s", "^", "D"]
STYLES: list[LineStyleType] = ["-", "--", ":", "-."]
FONT = 7.5
WIDTH = 6.2  # inches; the page's content is about 6.3 wide on A4
# A bar is a line of text high (its label is beside it), a category's bars a gap apart:
# printed, 16 categories take a third of a page.
BAR, GAP = 0.12, 0.06
MATPLOTLIB_SETTINGS: dict[Any, Any] = {
    "svg.fonttype": "none",
    # Labels are enumeration values, unit codes and question ids, never TeX.
    "text.parse_math": False,
    "svg.hashsalt": "qaf-pack",  # the same figures give the same file
    "font.family": ["sans-serif"],
    "font.sans-serif": ["DejaVu Sans", "Liberation Sans", "Arial"],
    "hatch.linewidth": 0.8,
    "hatch.color": SERIES[1],
}
# Set once for the process (nothing else in the service draws): a context per chart would
# copy and validate every one of matplotlib's settings twice, a tenth of a chart's time.
matplotlib.rcParams.update(MATPLOTLIB_SETTINGS)
# The renderer's defaults (format, type, creator, date), each set to None, write no metadata.
NO_METADATA: dict[str, Any] = {"Format": None, "Type": None, "Creator": None, "Date": None}
# A figure is not safe to draw on from two threads at once (charts are drawn off the event
# loop): one chart at a time.
_LOCK = threading.Lock()


def svg(chart: Chart) -> str:
    """The chart as an inline `<svg>` element, its ids its own, labelled for assistive
    technology with its description."""
    return _svg(chart)


@lru_cache(maxsize=1024)
def _svg(chart: Chart) -> str:
    with _LOCK:
        text = _draw(_DRAW[chart.kind](chart))
    text = text[text.index("<svg") :]
    # matplotlib writes a rotation on every text, a turn by 0 on all of ours.
    text = re.sub(r' transform="rotate\(-0 [^)]*\)"', "", text)
    # Many charts share one page: each one's ids (and what refers to them) are prefixed.
    text = re.sub(r'\bid="', f'id="{chart.id}-', text)
    text = re.sub(r'(href|xlink:href)="#', rf'\1="#{chart.id}-', text)
    text = re.sub(r"url\(#", f"url(#{chart.id}-", text)
    label = escape(f"{chart.title}. {chart.description}")
    return text.replace("<svg ", f'<svg role="img" aria-label="{label}" ', 1)


class _Renderer(RendererSVG):
    """matplotlib's SVG renderer, writing each artist without a group of its own and
    measuring each text once for the process."""

    def open_group(self, s: str, gid: str | None = None) -> None:
        """No `<g>` for an artist: its own element carries all it draws."""

    def close_group(self, s: str) -> None:
        """No `<g>` to close."""

    def get_text_width_height_descent(
        self, s: str, prop: FontProperties, ismath: bool | Literal["TeX"]
    ) -> tuple[float, float, float]:
        """The text's extent, the same for every chart (each is drawn at 72 dpi)."""
        return _measure(s, prop.copy(), ismath)


@lru_cache(maxsize=4096)
def _measure(
    s: str, prop: FontProperties, ismath: bool | Literal["TeX"]
) -> tuple[float, float, float]:
    extent: tuple[float, float, float] = _TEXT.get_text_width_height_descent(s, prop, ismath)
    return extent


_TEXT = TextToPath()  # what RendererSVG measures with


def _draw(figure: Figure) -> str:
    """The figure as SVG, as `savefig(format="svg")` writes it but through `_Renderer`."""
    out = io.StringIO()
    figure.dpi = 72  # SVG's user unit is the point
    figure.patch.set_visible(False)
    width, height = figure.get_size_inches()
    # matplotlib types neither (its RendererSVG is untyped).
    renderer = _Renderer(width * 72, height * 72, out, metadata=NO_METADATA)  # type: ignore[no-untyped-call]
    figure.draw(renderer)
    renderer.finalize()  # type: ignore[no-untyped-call]
    return out.getvalue()


def cache_clear() -> None:
    """Forget every chart drawn (the pack benchmark's cold case)."""
    _svg.cache_clear()


def _number(value: Cell | None) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def _legend(figure: Figure, names: Sequence[str], y: float, *, hatched: bool) -> None:
    """Swatches (or markers) and names along the top."""
    x = 0.02
    for i, name in enumerate(names):
        if hatched:
            figure.add_artist(
                Rectangle(
                    (x, y - 0.012),
                    0.025,
                    0.03,
                    transform=figure.transFigure,
                    **_bar_style(i),
                )
            )
        else:
            figure.add_artist(
                Line2D(
                    [x, x + 0.03],
                    [y, y],
                    transform=figure.transFigure,
                    color=SERIES[i],
                    linestyle=STYLES[i],
                    marker=MARKERS[i],
                    markevery=[1],
                    markersize=4,
                )
            )
        figure.text(x + 0.04, y, name, fontsize=FONT, va="center", color=INK)
        x += 0.07 + 0.0105 * len(name)


def _bar_style(series: int) -> dict[str, Any]:
    if series == 0:
        return {"facecolor": SERIES[0], "edgecolor": SERIES[0]}
    return {"facecolor": "white", "edgecolor": SERIES[series], "hatch": "////"}


def _bars(chart: Chart) -> Figure:
    """Horizontal bars, a group per category (this quarter solid, the other hatched), each
    labelled with its figure; a hidden figure draws no bar and prints its symbol."""
    groups = len(chart.points)
    per = len(chart.series)
    row = BAR * per + GAP  # inches per category
    height = 0.35 + row * groups
    figure = Figure(figsize=(WIDTH, height))
    top = 1 - 0.3 / height
    _legend(figure, chart.series, 1 - 0.15 / height, hatched=True)
    numbers = [n for _, values in chart.points for v in values if (n := _number(v)) is not None]
    scale = max(numbers, default=0) or 1
    left, span = 0.36, 0.54
    bar = BAR / height
    for g, (name, values) in enumerate(chart.points):
        y0 = top - (g * row + GAP / 2) / height
        figure.text(
            left - 0.01,
            y0 - bar * per / 2,
            name,
            fontsize=FONT,
            ha="right",
            va="center",
            color=INK,
        )
        for s, value in enumerate(values):
            y = y0 - bar * (s + 1)
            n = _number(value)
            width = span * (n or 0) / scale
            if n:
                figure.add_artist(
                    Rectangle(
                        (left, y + bar * 0.1),
                        width,
                        bar * 0.8,
                        transform=figure.transFigure,
                        linewidth=0.6,
                        **_bar_style(s),
                    )
                )
            figure.text(
                left + width + 0.008,
                y + bar / 2,
                shown(value),
                fontsize=FONT,
                va="center",
                color=INK,
            )
    figure.add_artist(
        Line2D(
            [left, left],
            [top - groups * row / height, top],
            transform=figure.transFigure,
            color=INK,
            linewidth=0.6,
        )
    )
    return figure


def _lines(chart: Chart) -> Figure:
    """Series over periods: a marker and a style per series, the last figure of each
    labelled, the periods named along the bottom (every third where there are many)."""
    spark = chart.kind == "spark"
    height = 0.5 if spark else 2.1
    width = 1.9 if spark else WIDTH
    figure = Figure(figsize=(width, height))
    periods = [p for p, _ in chart.points]
    numbers = [n for _, values in chart.points for v in values if (n := _number(v)) is not None]
    low = 0.0 if not spark else min(numbers, default=0.0)
    high = max(numbers, default=1.0)
    high = high if high > low else low + 1
    left, right = (0.04, 0.8) if spark else (0.08, 0.9)
    bottom, top = (0.12, 0.85) if spark else (0.16, 0.8)
    if not spark:
        _legend(figure, chart.series, 0.93, hatched=False)
        for level in (low, (low + high) / 2, high):
            y = bottom + (top - bottom) * (level - low) / (high - low)
            figure.add_artist(
                Line2D(
                    [left, right],
                    [y, y],
                    transform=figure.transFigure,
                    color="#8a8a8a",
                    linewidth=0.4,
                )
            )
            figure.text(
                left - 0.01, y, f"{level:.4g}", fontsize=FONT, ha="right", va="center", color=INK
            )
    step = (right - left) / max(len(periods) - 1, 1)
    xs = [left + i * step for i in range(len(periods))]
    # Level, not turned: every third of many (months) is a label's width apart.
    every = 1 if len(periods) <= 8 else 3
    if not spark:
        for i, p in enumerate(periods):
            if i % every == 0 or i == len(periods) - 1:
                figure.text(
                    xs[i],
                    bottom - 0.05,
                    p,
                    fontsize=FONT - 1,
                    ha="center",
                    va="top",
                    color=INK,
                )
    for s in range(len(chart.series)):
        values = [_number(v[s]) for _, v in chart.points]
        ys = [
            float("nan") if n is None else bottom + (top - bottom) * (n - low) / (high - low)
            for n in values
        ]
        figure.add_artist(
            Line2D(
                xs,
                ys,
                transform=figure.transFigure,
                color=SERIES[s],
                linestyle=STYLES[s],
                marker=MARKERS[s],
                markersize=3.5,
                linewidth=1.2,
            )
        )
        last = chart.points[-1][1][s]
        y_last = ys[-1] if values[-1] is not None else bottom
        figure.text(xs[-1] + 0.02, y_last, shown(last), fontsize=FONT, va="center", color=SERIES[s])
    return figure


def _dots(chart: Chart) -> Figure:
    """One row per measure: the authority and its comparators as distinct markers on a
    common line from the lowest figure to the highest of that row."""
    rows = len(chart.points)
    height = 0.4 + 0.32 * rows
    figure = Figure(figsize=(WIDTH, height))
    _legend(figure, chart.series, 1 - 0.15 / height, hatched=False)
    left, right = 0.4, 0.92
    for r, (name, values) in enumerate(chart.points):
        y = 1 - (0.4 + 0.32 * r + 0.16) / height
        figure.text(left - 0.02, y, name, fontsize=FONT, ha="right", va="center", color=INK)
        numbers = [n for v in values if (n := _number(v)) is not None]
        if not numbers:
            continue
        low, high = min(numbers), max(numbers)
        pad = (high - low) * 0.1 or 1.0
        low, high = low - pad, high + pad
        figure.add_artist(
            Line2D(
                [left, right], [y, y], transform=figure.transFigure, color="#8a8a8a", linewidth=0.5
            )
        )
        for s, value in enumerate(values):
            n = _number(value)
            if n is None:
                continue
            x = left + (right - left) * (n - low) / (high - low)
            figure.add_artist(
                Line2D(
                    [x],
                    [y],
                    transform=figure.transFigure,
                    marker=MARKERS[s],
                    markersize=7 if s == 0 else 5,
                    color=SERIES[s],
                    linestyle="none",
                    markerfacecolor=SERIES[s] if s == 0 else "white",
                )
            )
        figure.text(left, y - 0.11 / height, f"{low + pad:g}", fontsize=FONT - 1.5, color=INK)
        figure.text(
            right, y - 0.11 / height, f"{high - pad:g}", fontsize=FONT - 1.5, ha="right", color=INK
        )
    return figure


_DRAW = {
    "bars": _bars,
    "funnel": _bars,
    "spark": _lines,
    "trend": _lines,
    "lines": _lines,
    "dots": _dots,
}
