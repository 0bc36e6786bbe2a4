"""The Deep Dive, trends, aggregates and rebuild against real Kafka and PostgreSQL, over a
seeded workload whose figures are computed independently from the records."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
import pytest_asyncio

from qaf_shared.testing.fixtures import DatabaseFactory, TopicsFactory, auth, eventually, serve
from reporting_service.domain import trends
from reporting_service.main import create_app

from ..feed import all_applied, settings_for
from .workload import Workload, build, produce

QUARTERS = ["FY2025Q1", "FY2025Q2", "FY2025Q3", "FY2025Q4", "FY2026Q1", "FY2026Q2"]


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def loaded(
    make_database: DatabaseFactory, make_topics: TopicsFactory
) -> AsyncIterator[tuple[httpx.AsyncClient, Workload, str]]:
    prefix = await make_topics()
    dsn = await make_database("reporting_service")
    load = build(seed=7, size=80)
    await produce(prefix, load, seed=7)
    async with serve(create_app(settings_for(dsn, prefix, "dd"))) as client:
        await all_applied(dsn, len({e.id for e in load.events}))
        yield client, load, dsn


def _flatten(body: dict[str, Any]) -> dict[str, Any]:
    return {
        f"{section}.{field}": value
        for section in ("audits", "escalations", "feedback")
        for field, value in body[section].items()
    }


@pytest.mark.parametrize("tenant", ["886", "887"])
async def test_every_quarter_equals_the_figures_computed_from_the_records(
    loaded: tuple[httpx.AsyncClient, Workload, str], token: Callable[..., str], tenant: str
) -> None:
    client, load, _ = loaded
    headers = auth(token("reports:read_unsuppressed", tenant=tenant))
    for quarter in QUARTERS:
        response = await client.get(f"/v1/deep-dives/{quarter}", headers=headers)
        assert response.status_code == 200
        got = _flatten(response.json())
        want = load.expected(tenant, quarter)
        assert {k: got[k] for k in want} == want, quarter


async def test_an_area_and_its_breakdown_add_up(
    loaded: tuple[httpx.AsyncClient, Workload, str], token: Callable[..., str]
) -> None:
    client, load, _ = loaded
    headers = auth(token("reports:read_unsuppressed"))
    body = (
        await client.get("/v1/deep-dives/FY2025Q3", params={"unit": "WEST"}, headers=headers)
    ).json()
    want = load.expected("886", "FY2025Q3", area="WEST")
    got = _flatten(body)
    assert {k: got[k] for k in want} == want
    districts = [b for b in body["breakdown"] if b["unit"]["kind"] == "district"]
    teams = [b for b in body["breakdown"] if b["unit"]["kind"] == "team"]
    assert sum(d["audits"]["completed"] for d in districts) == body["audits"]["completed"]
    assert sum(t["escalations"]["raised"] for t in teams) == body["escalations"]["raised"]
    assert body["previous"]["quarter"] == "FY2025Q2"
    assert (
        _flatten(body["previous"])["audits.completed"]
        == load.expected("886", "FY2025Q2", area="WEST")["audits.completed"]
    )


async def test_reports_read_never_shows_a_small_count(
    loaded: tuple[httpx.AsyncClient, Workload, str], token: Callable[..., str]
) -> None:
    client, _, _ = loaded
    headers = auth(token("reports:read"))
    for quarter in QUARTERS[:3]:
        rows = (await client.get(f"/v1/aggregates/{quarter}", headers=headers)).json()["rows"]
        counts = [r for r in rows if not r["measure"].endswith(("_pct", "_means", "_resolve"))]
        assert all(not (isinstance(r["value"], int) and 1 <= r["value"] <= 5) for r in counts)
        assert any(r["value"] == "c" for r in counts)


async def test_csv_matches_json(
    loaded: tuple[httpx.AsyncClient, Workload, str], token: Callable[..., str]
) -> None:
    client, _, _ = loaded
    headers = auth(token("reports:read_unsuppressed"))
    as_json = (await client.get("/v1/aggregates/FY2025Q4", headers=headers)).json()["rows"]
    as_csv = await client.get("/v1/aggregates/FY2025Q4.csv", headers=headers)
    assert as_csv.headers["content-type"].startswith("text/csv")
    lines = as_csv.text.strip().split("\n")
    assert lines[0] == "quarter,unit,unit_kind,measure,dimension,value"
    assert len(lines) == len(as_json) + 1
    by_accept = await client.get(
        "/v1/deep-dives/FY2025Q4", headers={**headers, "Accept": "text/csv"}
    )
    assert by_accept.text.startswith("quarter,unit,unit_kind,measure,dimension,value")


async def _trends(
    client: httpx.AsyncClient, headers: dict[str, str], params: dict[str, str]
) -> Any:
    response = await client.get("/v1/escalation-trends", params=params, headers=headers)
    return response.json()


async def test_trends_by_month_add_up_to_their_quarter(
    loaded: tuple[httpx.AsyncClient, Workload, str], token: Callable[..., str]
) -> None:
    client, load, _ = loaded
    headers = auth(token("reports:read_unsuppressed"))
    quarterly = await _trends(
        client, headers, {"from": "FY2025Q1", "to": "FY2026Q2", "by": "category"}
    )
    monthly = await _trends(
        client,
        headers,
        {"from": "FY2025Q1", "to": "FY2026Q2", "by": "category", "granularity": "month"},
    )
    drift_q = {p["period"]: p for p in quarterly["series"] if p["key"] == "DRIFT_DELAY"}
    drift_m = [p for p in monthly["series"] if p["key"] == "DRIFT_DELAY"]
    assert len(drift_m) == 18
    assert sum(p["raised"] for p in drift_m[:3]) == drift_q["FY2025Q1"]["raised"]
    assert drift_m[2]["open_at_end"] == drift_q["FY2025Q1"]["open_at_end"]
    for quarter in QUARTERS:
        assert (
            drift_q[quarter]["raised"]
            == load.expected("886", quarter)["escalations.by_category"]["DRIFT_DELAY"]
        )
    by_area = await _trends(client, headers, {"from": "FY2025Q2", "to": "FY2025Q2", "by": "area"})
    assert (
        sum(p["raised"] for p in by_area["series"])
        <= load.expected("886", "FY2025Q2")["escalations.raised"]
    )
    bad = await client.get(
        "/v1/escalation-trends", params={"from": "FY2026Q1", "to": "FY2025Q1"}, headers=headers
    )
    assert bad.status_code == 422


async def _trend(
    client: httpx.AsyncClient, headers: dict[str, str], measure: str, dim: str, **params: str
) -> dict[tuple[str, str], Any]:
    query = {"measure": measure, "from": QUARTERS[0], "to": QUARTERS[-1], **params}
    if dim:
        query["dimension"] = dim
    response = await client.get("/v1/trends", params=query, headers=headers)
    assert response.status_code == 200, response.text
    return {(p["period"], p["unit"]): p["value"] for p in response.json()["series"]}


async def test_the_trend_of_every_figure_equals_the_figures_computed_from_the_records(
    loaded: tuple[httpx.AsyncClient, Workload, str], token: Callable[..., str]
) -> None:
    client, load, _ = loaded
    headers = auth(token("reports:read_unsuppressed"))
    want = {q: load.expected("886", q) for q in QUARTERS}
    south = {q: load.expected("886", q, area="SOUTH") for q in QUARTERS}
    for measure, first in want[QUARTERS[0]].items():
        for dim in first if isinstance(first, dict) else [""]:

            def pick(figures: dict[str, Any], dim: str = dim, measure: str = measure) -> Any:
                # A conference question nobody in the unit answered in the quarter: "z".
                return figures[measure].get(dim, "z") if dim else figures[measure]

            tenant = await _trend(client, headers, measure, dim)
            assert {q: tenant[(q, "886")] for q in QUARTERS} == {
                q: pick(want[q]) for q in QUARTERS
            }, (measure, dim)
            by_area = await _trend(client, headers, measure, dim, by="area")
            assert {q: by_area[(q, "SOUTH")] for q in QUARTERS} == {
                q: pick(south[q]) for q in QUARTERS
            }, (measure, dim)


async def test_the_months_of_every_count_add_up_to_its_quarter(
    loaded: tuple[httpx.AsyncClient, Workload, str], token: Callable[..., str]
) -> None:
    client, _, _ = loaded
    headers = auth(token("reports:read_unsuppressed"))
    stocks = ("escalations.open_at_end",)  # (the workload has no overdue actions)
    for measure in ("audits.completed", "escalations.raised", "feedback.cic_reviews", *stocks):
        quarterly = await _trend(client, headers, measure, "", by="district")
        monthly = await _trend(client, headers, measure, "", by="district", granularity="month")
        for (quarter, district), value in quarterly.items():
            months = [monthly[(m, district)] for m in trends.months_of(quarter)]
            assert value == (months[-1] if measure in stocks else sum(months)), measure
        assert any(quarterly.values()), measure  # the workload has some


async def test_a_rebuild_gives_identical_figures_and_reads_go_on_meanwhile(
    loaded: tuple[httpx.AsyncClient, Workload, str], token: Callable[..., str]
) -> None:
    client, _, _ = loaded
    reader = auth(token("reports:read_unsuppressed"))
    admin = auth(token("admin"))
    before = {q: (await client.get(f"/v1/aggregates/{q}", headers=reader)).json() for q in QUARTERS}
    monthly = {"granularity": "month", "by": "district"}
    months_before = await _trend(client, reader, "escalations.open_at_end", "", **monthly)
    status_before = (await client.get("/v1/status", headers=reader)).json()
    assert (
        await client.post("/v1/admin/rebuild", headers=auth(token("reports:read")))
    ).status_code == 403
    started = await client.post("/v1/admin/rebuild", headers=admin)
    assert started.status_code == 202
    during = await client.get("/v1/deep-dives/FY2025Q3", headers=reader)
    assert during.status_code == 200

    async def finished() -> bool:
        state = (await client.get("/v1/admin/rebuild", headers=admin)).json()
        return state["status"] == "idle" and state["finished_at"] is not None

    await eventually(finished, timeout=60)
    status_after = (await client.get("/v1/status", headers=reader)).json()
    assert status_after["projection"] != status_before["projection"]
    after = {q: (await client.get(f"/v1/aggregates/{q}", headers=reader)).json() for q in QUARTERS}
    assert after == before
    assert await _trend(client, reader, "escalations.open_at_end", "", **monthly) == months_before
    await asyncio.sleep(0)
