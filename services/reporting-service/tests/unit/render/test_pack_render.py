"""The pack's page and PDF from a Deep Dive built by hand: self-contained (no script, nothing
from another host), its charts SVG with unique ids and text alternatives, its colours AA,
every text escaped, and an A4 PDF whose text carries the figures."""

from __future__ import annotations

import re
import subprocess
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from reporting_service.domain import pack
from reporting_service.render import charts, page, pdf

from ..domain.deep_dive_bodies import body, months, trend

NOW = datetime(2026, 7, 1, 9, 30, tzinfo=UTC)


def _pack(b: dict[str, Any], lag: int | None = None) -> pack.Pack:
    hidden = b["suppression"]["applied"]
    return pack.assemble(
        b, trend(b), months=months(hidden), made_at=NOW, newest_event_time=NOW, consumer_lag=lag
    )


@pytest.fixture(scope="module")
def suppressed() -> pack.Pack:
    return _pack(body(hidden=True))


@pytest.fixture(scope="module")
def document(suppressed: pack.Pack) -> bytes:
    return pdf.pdf(*page.printed(suppressed))


def _luminance(colour: str) -> float:
    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def test_chart_colours_have_aa_contrast_against_white() -> None:
    for colour in [charts.INK, *charts.SERIES]:
        ratio = 1.05 / (_luminance(colour) + 0.05)
        assert ratio >= 4.5, colour


def test_the_page_needs_nothing_from_anywhere_and_runs_no_script(suppressed: pack.Pack) -> None:
    html = page.html(suppressed)
    assert "<script" not in html.lower()
    assert not re.search(r"<link[^>]+stylesheet|@import|@font-face|<iframe|<object", html)
    # Namespaces name, they are not fetched; anything else with a scheme would be.
    refs = re.findall(r'(?:src|href)="([^"#][^"]*)"', html) + re.findall(r"url\(([^)#]+)\)", html)
    assert refs == ["data:,"]  # the favicon: none, so the browser asks for none
    assert "Content-Security-Policy" not in html and "default-src 'none'" in (
        page.CONTENT_SECURITY_POLICY
    )


def test_every_chart_is_inline_svg_with_a_text_alternative_and_ids_of_its_own(
    suppressed: pack.Pack,
) -> None:
    html = page.html(suppressed)
    figures = re.findall(r'<figure class="chart" data-chart="([^"]+)">\s*<svg ([^>]*)>', html)
    assert [f for f, _ in figures] == [c.id for c in suppressed.charts]
    for _, attributes in figures:
        assert 'role="img"' in attributes and 'aria-label="' in attributes
    ids = Counter(re.findall(r'\bid="([^"]+)"', html))
    assert [i for i, n in ids.items() if n > 1] == []


def test_no_field_can_inject_markup(suppressed: pack.Pack) -> None:
    html = page.html(suppressed)
    assert "<b>odd</b>" not in html
    assert "&lt;b&gt;odd&lt;/b&gt;" in html


def test_symbols_link_to_their_footnote_and_lag_is_for_admins_only(suppressed: pack.Pack) -> None:
    html = page.html(suppressed)
    for symbol in ("c", "z", "k"):
        assert f'id="symbol-{symbol}"' in html
        assert f'href="#symbol-{symbol}"' in html
    assert "shown to administrators only" in html
    admin = page.html(_pack(body(hidden=True), lag=12))
    assert "12 records not yet applied" in admin


def _pdf_text(document: bytes, tmp_path: Path, *flags: str) -> str:
    path = tmp_path / "pack.pdf"
    path.write_bytes(document)
    return subprocess.run(
        ["pdftotext", *flags, str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def test_the_pdf_is_a4_with_a_page_per_section_and_the_tables_figures(
    document: bytes, tmp_path: Path
) -> None:
    assert document.startswith(b"%PDF-")
    (tmp_path / "pack.pdf").write_bytes(document)
    info = subprocess.run(
        ["pdfinfo", str(tmp_path / "pack.pdf")], capture_output=True, text=True, check=True
    ).stdout
    assert re.search(r"Page size:\s+595\.\d* x 841\.\d* pts \(A4\)", info)
    pages = _pdf_text(document, tmp_path, "-layout").split("\f")
    starts = {p.strip().split("\n", 1)[0].strip() for p in pages if p.strip()}
    assert {"Audits", "Escalations", "Feedback", "Activity", "Benchmarks"} <= starts
    lines = {" ".join(line.split()) for line in "\n".join(pages).splitlines()}
    assert "Outstanding c 3" in lines
    assert "Good 40 20 +20" in lines
    assert "CLA k 95.0" in lines


def test_the_pdf_embeds_the_charts_as_vectors_not_pictures(document: bytes, tmp_path: Path) -> None:
    (tmp_path / "pack.pdf").write_bytes(document)
    images = subprocess.run(
        ["pdfimages", "-list", str(tmp_path / "pack.pdf")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert len(images.strip().splitlines()) == 2  # the header lines: no raster image
    text = _pdf_text(document, tmp_path)
    assert "FY2025Q4" in text and "Referral" in text  # charts' own text is text


def test_every_pdf_page_names_the_pack_and_its_page_in_the_footer(
    suppressed: pack.Pack, document: bytes, tmp_path: Path
) -> None:
    pages = [p for p in _pdf_text(document, tmp_path, "-layout").split("\f") if p.strip()]
    name = f"Deep Dive: {suppressed.unit_code} ({suppressed.unit_kind}), {suppressed.quarter}"
    assert len(pages) > 1
    for number, text in enumerate(pages, start=1):
        footer = " ".join(text.strip().splitlines()[-1].split())
        assert footer.startswith(name) and footer.endswith(f"Page {number} of {len(pages)}")


def test_printed_symbols_are_plain_text_and_the_page_still_links_them(
    suppressed: pack.Pack,
) -> None:
    printed, _ = page.printed(suppressed)
    assert 'class="symbol"' not in printed and 'id="symbol-c"' in printed
    assert 'class="symbol"' in page.html(suppressed)


def test_a_chart_is_the_same_whether_its_texts_were_measured_before_or_not(
    suppressed: pack.Pack,
) -> None:
    charts.cache_clear()
    charts._measure.cache_clear()
    first = [charts.svg(c) for c in suppressed.charts]
    charts.cache_clear()
    assert [charts.svg(c) for c in suppressed.charts] == first
    assert not any("<g id=" in svg or "<metadata>" in svg for svg in first)
