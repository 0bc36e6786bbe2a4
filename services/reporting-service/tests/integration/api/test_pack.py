"""The Deep Dive pack against real Kafka and PostgreSQL, over a seeded workload: its figures
are the JSON Deep Dive's (HTML tables and pdftotext of the PDF), every suppressed figure is
`c` in both, and in a real headless Chromium (Debian's, driven by Playwright) the page
loads with no error and no request to any other host, shows every chart, and renders."""

from __future__ import annotations

import asyncio
import contextlib
import io
import shutil
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import pytest_asyncio
import uvicorn
from PIL import Image
from playwright.async_api import Browser, async_playwright

from qaf_shared import devtoken
from qaf_shared.quarters import previous_quarter
from qaf_shared.settings import REPO_ROOT, RUN_DIR
from qaf_shared.testing.fixtures import DatabaseFactory, TopicsFactory, auth, eventually
from qaf_shared.testing.processes import free_port
from reporting_service.domain.pack import BREAKDOWN, HEADLINES
from reporting_service.main import create_app

from ..feed import all_applied, settings_for
from .pack_reading import (
    Tables,
    field_label,
    figures_of,
    pdf_lines,
    row_printed,
    symbols_in,
    unit_printed,
)
from .workload import build, produce

QUARTER = "FY2025Q4"
BENCHMARKS = REPO_ROOT / "deploy" / "local" / "demo" / "benchmarks-synthetic.csv"
UNITS = [None, "WEST"]  # the tenant, and an area (districts and teams in its breakdown)


@dataclass
class Live:
    base: str
    client: httpx.AsyncClient


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def live(make_database: DatabaseFactory, make_topics: TopicsFactory) -> AsyncIterator[Live]:
    """reporting-service on a port of its own (the browser needs one), having applied a
    seeded workload."""
    prefix = await make_topics()
    dsn = await make_database("reporting_service")
    load = build(seed=16, size=80)
    await produce(prefix, load, seed=16)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings_for(dsn, prefix, "pack")),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            access_log=False,
        )
    )
    task = asyncio.create_task(server.serve())

    async def started() -> bool:
        return server.started

    try:
        await eventually(started, timeout=30)
        await all_applied(dsn, len({e.id for e in load.events}))
        base = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient(base_url=base, timeout=60) as client:
            # The demo's synthetic reference figures: the tenant's Deep Dive has benchmarks.
            loaded = await client.post(
                "/v1/benchmarks",
                content=BENCHMARKS.read_bytes(),
                headers=auth(
                    devtoken.mint(scopes="reports:admin", tenant="886"),
                    **{"Content-Type": "text/csv"},
                ),
            )
            assert loaded.status_code == 200, loaded.text
            yield Live(base, client)
    finally:
        server.should_exit = True
        await task


async def _json(
    live: Live, headers: dict[str, str], unit: str | None, quarter: str = QUARTER
) -> Any:
    params = {"unit": unit} if unit else {}
    response = await live.client.get(f"/v1/deep-dives/{quarter}", params=params, headers=headers)
    assert response.status_code == 200
    return response.json()


async def _pack(
    live: Live, headers: dict[str, str], unit: str | None, *, pdf: bool = False
) -> httpx.Response:
    params = {"unit": unit} if unit else {}
    path = f"/v1/deep-dives/{QUARTER}/pack" + (".pdf" if pdf else "")
    response = await live.client.get(path, params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response


async def test_the_pack_is_a_page_by_default_and_a_pdf_when_asked_for(
    live: Live, token: Callable[..., str]
) -> None:
    reader = auth(token("reports:read"))
    page = await _pack(live, reader, None)
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert page.text.startswith("<!doctype html>")
    by_accept = await _pack(live, {**reader, "Accept": "application/pdf"}, None)
    by_suffix = await _pack(live, reader, None, pdf=True)
    for response in (by_accept, by_suffix):
        assert response.headers["content-type"] == "application/pdf"
        assert response.content.startswith(b"%PDF-")
    assert 'filename="deep-dive-886-886-FY2025Q4.pdf"' in by_suffix.headers["content-disposition"]


async def test_a_bad_quarter_unit_or_token_is_refused_as_a_problem(
    live: Live, token: Callable[..., str]
) -> None:
    reader = auth(token("reports:read"))
    missing = await live.client.get("/v1/deep-dives/FY2025Q5/pack", headers=reader)
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    unknown = await live.client.get(
        f"/v1/deep-dives/{QUARTER}/pack", params={"unit": "ASH-CP1"}, headers=reader
    )
    assert unknown.status_code == 422
    assert unknown.headers["content-type"] == "application/problem+json"
    assert (await live.client.get(f"/v1/deep-dives/{QUARTER}/pack")).status_code == 401
    wrong = auth(token("audits:read"))
    assert (
        await live.client.get(f"/v1/deep-dives/{QUARTER}/pack", headers=wrong)
    ).status_code == 403


@pytest.mark.parametrize("unit", UNITS)
@pytest.mark.parametrize("scope", ["reports:read", "reports:read_unsuppressed"])
async def test_every_figure_on_the_page_is_the_json_figure(
    live: Live, token: Callable[..., str], unit: str | None, scope: str
) -> None:
    headers = auth(token(scope))
    body = await _json(live, headers, unit)
    tables = Tables((await _pack(live, headers, unit)).text)
    now, before = figures_of(body), figures_of(body["previous"])
    assert set(now) <= set(tables.rows)
    for key, value in now.items():
        for row in tables.rows[key]:
            assert (row["now"], row["previous"]) == (str(value), str(before.get(key, ""))), key
    for entry in body["breakdown"]:
        shown = tables.units[entry["unit"]["code"]]
        for key in BREAKDOWN:
            if key in figures_of(entry):
                assert shown[key] == str(figures_of(entry)[key]), (entry["unit"], key)
    hidden = [k for k, v in now.items() if v == "c"]
    if scope == "reports:read":
        assert hidden, "the seeded workload has small counts to suppress"
        assert all(row["now"] == "c" for k in hidden for row in tables.rows[k])
    else:
        assert not hidden


@pytest.mark.parametrize("unit", UNITS)
async def test_pdftotext_of_the_pdf_gives_the_json_figures_suppressed_alike(
    live: Live, token: Callable[..., str], unit: str | None
) -> None:
    headers = auth(token("reports:read"))
    body = await _json(live, headers, unit)
    lines = pdf_lines((await _pack(live, headers, unit, pdf=True)).content)
    now, before = figures_of(body), figures_of(body["previous"])
    missing = [
        k for k, v in now.items() if not row_printed(lines, field_label(k), v, before.get(k))
    ]
    assert missing == []
    for entry in body["breakdown"]:
        figures = figures_of(entry)
        values = [figures[k] for k in BREAKDOWN if k in figures]
        assert unit_printed(lines, entry["unit"]["code"], entry["unit"]["kind"], values), entry[
            "unit"
        ]
    suppressed = sum(v == "c" for v in [*now.values(), *before.values()])
    assert suppressed > 0
    assert symbols_in(lines) >= suppressed


async def test_the_benchmarks_are_the_jsons_beside_the_authoritys_own_figure(
    live: Live, token: Callable[..., str]
) -> None:
    headers = auth(token("reports:read"))
    body = await _json(live, headers, None)
    assert body["benchmarks"], "the synthetic reference file gives the tenant benchmarks"
    tables = Tables((await _pack(live, headers, None)).text)
    for measure, figures in body["benchmarks"].items():
        (row,) = tables.rows[f"benchmarks.{measure}"]
        own = figures_of(body).get(f"activity.{measure}", "")
        assert row == {
            "own": str(own),
            "neighbours_mean": str(figures["neighbours_mean"]),
            "neighbours_median": str(figures["neighbours_median"]),
            "region": str(figures["region"]),
            "england": str(figures["england"]),
            "band": str(figures["band"] or ""),
        }, measure
    area = Tables((await _pack(live, headers, "WEST")).text)
    assert not any(k.startswith("benchmarks.") for k in area.rows)


async def test_each_headline_trend_is_eight_quarters_of_the_json(
    live: Live, token: Callable[..., str]
) -> None:
    headers = auth(token("reports:read"))
    tables = Tables((await _pack(live, headers, None)).text)
    quarters = [QUARTER]
    while len(quarters) < 8:
        quarters.insert(0, previous_quarter(quarters[0]))
    bodies = {q: figures_of(await _json(live, headers, None, q)) for q in quarters}
    for key in HEADLINES:
        if key not in bodies[QUARTER]:
            continue
        caption = tables.captions[f"trend-{key.replace('.', '-').replace('_', '-')}"]
        for q in quarters:
            assert f"{q} {bodies[q][key]};" in caption or caption.endswith(
                f"{q} {bodies[q][key]}."
            ), (key, q)


# --- In a real browser ------------------------------------------------------------------


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def browser() -> AsyncIterator[Browser]:
    """Debian's chromium (make test installs it), launched once for the module."""
    executable = shutil.which("chromium")
    assert executable, "no chromium: deploy/local/debian-packages.sh test installs it"
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=executable)
        try:
            yield launched
        finally:
            await launched.close()


def _expected_charts(body: dict[str, Any]) -> set[str]:
    """The charts a person should find, from what the Deep Dive has."""
    figures = figures_of(body)
    charts = {f"trend-{k.replace('.', '-').replace('_', '-')}" for k in HEADLINES if k in figures}
    charts |= {
        "audits-grades",
        "audits-good-or-better-trend",
        "audits-themes",
        "escalations-stage",
        "escalations-category",
        "escalations-monthly",
        "feedback-source",
        "feedback-complaints",
    }
    if (
        body["feedback"]["conference_question_means"]
        or body["previous"]["feedback"]["conference_question_means"]
    ):
        charts.add("feedback-questions")
    if "activity" in body:
        charts |= {"activity-funnel", "activity-timeliness", "activity-routes"}
    if body.get("benchmarks"):
        charts.add("benchmarks-dots")
    if any(b["unit"]["kind"] != "team" for b in body["breakdown"]):
        charts.add("breakdown-good-or-better")
    return charts


async def test_in_chromium_the_page_loads_cleanly_from_the_service_alone_with_every_chart(
    live: Live, browser: Browser, token: Callable[..., str]
) -> None:
    # Unsuppressed, so that every chart has figures to draw (suppression is tested above).
    bearer = token("reports:read_unsuppressed")
    body = await _json(live, auth(bearer), None)
    # What an authority's token-injecting proxy does for a person's browser.
    context = await browser.new_context(
        extra_http_headers={"Authorization": f"Bearer {bearer}"},
        viewport={"width": 1280, "height": 900},
    )
    page = await context.new_page()
    errors: list[str] = []
    requests: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    try:
        response = await page.goto(f"{live.base}/v1/deep-dives/{QUARTER}/pack", wait_until="load")
        assert response is not None and response.status == 200
        await page.wait_for_load_state("networkidle")
        assert errors == []
        assert requests and all(
            u.startswith(f"{live.base}/") or u.startswith("data:") for u in requests
        ), requests
        ids = await page.locator("figure.chart").evaluate_all(
            "figures => figures.map(f => f.dataset.chart)"
        )
        assert set(ids) == _expected_charts(body)
        assert len(ids) == len(set(ids))
        for chart in await page.locator("figure.chart svg").all():
            box = await chart.bounding_box()
            assert box is not None and box["width"] > 50 and box["height"] > 10
        assert (
            await page.locator("figure.chart").count()
            == await page.locator("figure.chart svg[role=img][aria-label]").count()
        )

        summary = page.locator("#summary")
        box = await summary.bounding_box()
        assert box is not None
        shot = await summary.screenshot()
        image = Image.open(io.BytesIO(shot))
        (RUN_DIR / "test-logs").mkdir(parents=True, exist_ok=True)
        image.save(RUN_DIR / "test-logs" / "pack-summary.png")  # for a person to look at
        # whole pixels covering the box, which may start part-way into one
        assert abs(image.width - box["width"]) <= 2 and abs(image.height - box["height"]) <= 2
        assert image.width >= 900 and image.height >= 400  # a table of headlines, not a stub
        colours = image.convert("RGB").getcolors(maxcolors=1 << 24) or []
        assert len(colours) > 20  # text and charts drawn, not a blank page
    finally:
        with contextlib.suppress(Exception):
            await context.close()
