"""The pack as one HTML page: Jinja2, autoescaped, from templates/pack.html.j2. The page is
whole in itself: its style inline, its charts inline SVG, no script, nothing to fetch.

The page the PDF is made from differs in one thing: each chart is an image whose source
(`chart:<id>`) the PDF renderer is handed with it (render/pdf.py), not SVG inline in the
page. WeasyPrint then reads each chart as one SVG document instead of cascading the page's
style over every element of it, which halves the time a PDF takes."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined, pass_context, select_autoescape
from jinja2.runtime import Context
from markupsafe import Markup, escape

from reporting_service.domain.pack import SYMBOLS, Chart, Pack, label, shown
from reporting_service.render import charts

LONDON = ZoneInfo("Europe/London")
# What the page may load: nothing but its own inline style and data. The browser enforces
# it (no script runs, no request leaves), so a field can never pull anything in.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)
CHART_SCHEME = "chart:"


@pass_context
def _chart(context: Context, chart: Chart) -> Markup:
    if context.get("for_print"):
        alt = escape(f"{chart.title}. {chart.description}")
        return Markup(f'<img class="chart" src="{CHART_SCHEME}{escape(chart.id)}" alt="{alt}">')
    # charts.svg escapes the one text it adds; the rest is matplotlib's own SVG.
    return Markup(charts.svg(chart))


def _when(at: datetime | None) -> str:
    return at.astimezone(LONDON).strftime("%d %B %Y, %H:%M %Z") if at else "no events yet"


_ENV = Environment(
    loader=PackageLoader("reporting_service", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_ENV.globals.update(chart=_chart, when=_when, symbols=SYMBOLS, label=label, shown=shown)


def _render(pack: Pack, **context: Any) -> str:
    return _ENV.get_template("pack.html.j2").render(pack=pack, **context)


def html(pack: Pack) -> str:
    """The pack's page."""
    return _render(pack, for_print=False)


def printed(pack: Pack) -> tuple[str, dict[str, bytes]]:
    """The page the PDF is made from, and its charts' SVG by their `chart:` source."""
    images = {f"{CHART_SCHEME}{c.id}": charts.svg(c).encode() for c in pack.charts}
    return _render(pack, for_print=True), images
