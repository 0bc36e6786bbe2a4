"""Benchmark reference data through HTTP on the real database: loads replace only what their
file covers, bad files change nothing, the scope is needed, and the Deep Dive shows the
benchmarks at tenant level only."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import date
from statistics import mean, median

import httpx
import pytest_asyncio

from qaf_shared.database import connect
from qaf_shared.events import activity as ev
from qaf_shared.events.envelope import new_event
from qaf_shared.testing.demo_scripts import demo_scripts
from qaf_shared.testing.fixtures import auth, serve
from qaf_shared.testing.kafka import publish
from reporting_service.main import create_app

from ..feed import UNIT, Own, all_applied, settings_for

# DOMAIN.md "Benchmarks": the May 2025 model's neighbours, closest first.
KENT_NEIGHBOURS = ["881", "845", "878", "303", "935", "926", "891", "938", "822", "933"]
MEDWAY_NEIGHBOURS = ["866", "332", "886", "303", "926", "935", "883", "891", "351", "384"]
SOUTH_EAST = "E12000008"
MEASURE = "cla_3plus_placements_12m_pct"
HEAD = "year,area_code,area_level,measure,value\n"


def figures_file(year: int, base: float) -> tuple[str, dict[str, float]]:
    """A file for `year`: England, the South East, another region, and 20 LAs (Kent's and
    Medway's neighbours among them, 926 with no figure); the LAs' figures by code."""
    las = {
        code: base + i
        for i, code in enumerate(sorted({*KENT_NEIGHBOURS, *MEDWAY_NEIGHBOURS, "886", "887"}))
    }
    del las["926"]
    lines = [
        f"{year},E92000001,ENGLAND,{MEASURE},{base + 1}",
        f"{year},{SOUTH_EAST},REGION,{MEASURE},{base + 2}",
        f"{year},E12000007,REGION,{MEASURE},{base + 3}",
        f"{year},926,LA,{MEASURE},c",
        *(f"{year},{code},LA,{MEASURE},{v}" for code, v in las.items()),
    ]
    return HEAD + "\n".join(lines) + "\n", las


@pytest_asyncio.fixture
async def client(own: Own) -> AsyncIterator[httpx.AsyncClient]:
    async with serve(create_app(settings_for(own.dsn, own.prefix, "bench"))) as c:
        yield c


async def post(
    client: httpx.AsyncClient, token: Callable[..., str], body: str, path: str = "/v1/benchmarks"
) -> httpx.Response:
    return await client.post(
        path,
        content=body.encode(),
        headers={**auth(token("reports:admin")), "Content-Type": "text/csv"},
    )


async def benchmarks_of(
    client: httpx.AsyncClient, token: Callable[..., str], quarter: str, tenant: str = "886"
) -> dict[str, dict[str, object]]:
    response = await client.get(
        f"/v1/deep-dives/{quarter}", headers=auth(token("reports:read", tenant=tenant))
    )
    assert response.status_code == 200, response.text
    block: dict[str, dict[str, object]] = response.json()["benchmarks"]
    return block


async def test_a_load_answers_its_counts_and_the_tenant_deep_dive_shows_it(
    client: httpx.AsyncClient, token: Callable[..., str]
) -> None:
    body, las = figures_file(2024, 10.0)
    response = await post(client, token, body)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "years": [2024],
        "rows": len(las) + 4,
        "replaced": 0,
        "measures": 1,
        "areas": len(las) + 4,
    }
    kent = [las[c] for c in KENT_NEIGHBOURS if c in las]
    block = (await benchmarks_of(client, token, "FY2025Q1"))[MEASURE]
    assert block["year"] == 2024
    assert block["england"] == 11.0
    assert block["region"] == 12.0
    assert block["neighbours_mean"] == round(mean(kent), 1)
    assert block["neighbours_median"] == round(median(kent), 1)
    assert block["band"] == "z"  # its own figure has nothing to compute it from: no events
    assert "peers" not in block  # consent is off by default
    medway = [las[c] for c in MEDWAY_NEIGHBOURS if c in las]
    other = (await benchmarks_of(client, token, "FY2025Q1", tenant="887"))[MEASURE]
    assert other["neighbours_mean"] == round(mean(medway), 1)


async def test_benchmarks_are_absent_below_the_tenant_and_before_their_first_year(
    client: httpx.AsyncClient, token: Callable[..., str]
) -> None:
    assert (await post(client, token, figures_file(2024, 10.0)[0])).status_code == 200
    area = await client.get(
        "/v1/deep-dives/FY2025Q1?unit=NORTH", headers=auth(token("reports:read"))
    )
    assert area.status_code == 200
    assert "benchmarks" not in area.json()
    assert await benchmarks_of(client, token, "FY2023Q4") == {}


async def test_the_deep_dive_csv_has_a_row_per_benchmark_figure_at_tenant_level(
    client: httpx.AsyncClient, token: Callable[..., str]
) -> None:
    assert (await post(client, token, figures_file(2024, 10.0)[0])).status_code == 200
    response = await client.get("/v1/deep-dives/FY2025Q1.csv", headers=auth(token("reports:read")))
    rows = list(csv.DictReader(io.StringIO(response.text)))
    figures = {r["dimension"]: r["value"] for r in rows if r["measure"] == f"benchmarks.{MEASURE}"}
    assert figures["england"] == "11.0" and figures["region"] == "12.0"
    assert set(figures) == {
        "year", "england", "region", "neighbours_mean", "neighbours_median", "band"
    }  # fmt: skip


async def test_a_load_replaces_only_the_years_in_its_file(
    client: httpx.AsyncClient, token: Callable[..., str]
) -> None:
    both = figures_file(2023, 30.0)[0] + figures_file(2024, 10.0)[0].removeprefix(HEAD)
    assert (await post(client, token, both)).json()["years"] == [2023, 2024]
    assert (await benchmarks_of(client, token, "FY2025Q1"))[MEASURE]["england"] == 11.0
    again = await post(client, token, figures_file(2024, 50.0)[0])
    assert again.json()["replaced"] == again.json()["rows"]
    # Read after the load, through the report cache: the new 2024 figures, 2023's as they were.
    assert (await benchmarks_of(client, token, "FY2025Q1"))[MEASURE]["england"] == 51.0
    assert (await benchmarks_of(client, token, "FY2023Q2"))[MEASURE]["england"] == 31.0


async def test_a_neighbours_file_replaces_only_the_las_it_names(
    client: httpx.AsyncClient, token: Callable[..., str], own: Own
) -> None:
    body, las = figures_file(2024, 10.0)
    await post(client, token, body)
    response = await post(
        client, token, "la_code,rank,neighbour_la_code\n886,1,887\n886,2,866\n",
        "/v1/benchmarks/neighbours",
    )  # fmt: skip
    assert response.status_code == 200, response.text
    assert response.json() == {"las": ["886"], "rows": 2, "replaced": 10}
    kent = (await benchmarks_of(client, token, "FY2025Q1"))[MEASURE]
    assert kent["neighbours_mean"] == round(mean([las["887"], las["866"]]), 1)
    medway = [las[c] for c in MEDWAY_NEIGHBOURS if c in las]
    other = (await benchmarks_of(client, token, "FY2025Q1", tenant="887"))[MEASURE]
    assert other["neighbours_mean"] == round(mean(medway), 1)
    conn = await connect(own.dsn)
    try:
        logged = await conn.fetchrow(
            "SELECT kind, client, actor, covers, rows FROM benchmark_loads ORDER BY id DESC LIMIT 1"
        )
    finally:
        await conn.close()
    assert dict(logged) == {
        "kind": "neighbours", "client": "dev-client", "actor": "staff-1", "covers": ["886"],
        "rows": 2,
    }  # fmt: skip


async def test_loading_needs_reports_admin(
    client: httpx.AsyncClient, token: Callable[..., str]
) -> None:
    body = figures_file(2024, 10.0)[0]
    for scopes in ("reports:read", "reports:read_unsuppressed admin"):
        for path in ("/v1/benchmarks", "/v1/benchmarks/neighbours"):
            response = await client.post(
                path,
                content=body.encode(),
                headers={**auth(token(scopes)), "Content-Type": "text/csv"},
            )
            assert response.status_code == 403, response.text
    assert await benchmarks_of(client, token, "FY2025Q1") == {}


async def test_a_bad_file_is_refused_whole_and_changes_nothing(
    client: httpx.AsyncClient, token: Callable[..., str], own: Own
) -> None:
    assert (await post(client, token, figures_file(2024, 10.0)[0])).status_code == 200
    before = await benchmarks_of(client, token, "FY2025Q1")
    good_2025 = figures_file(2025, 70.0)[0]
    bad = good_2025 + f"2024,E92000001,ENGLAND,{MEASURE},not-a-number\n"
    response = await post(client, token, bad)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert [e["field"] for e in problem["errors"]] == [f"row {bad.count(chr(10))}.value"]
    assert "not-a-number" not in response.text
    neighbours = await post(
        client, token, "la_code,rank,neighbour_la_code\n886,1,887\n886,1,866\n",
        "/v1/benchmarks/neighbours",
    )  # fmt: skip
    assert neighbours.status_code == 422
    assert [e["field"] for e in neighbours.json()["errors"]] == ["row 3.rank"]
    assert await benchmarks_of(client, token, "FY2025Q1") == before
    assert await benchmarks_of(client, token, "FY2026Q1") == before  # 2025 never loaded
    conn = await connect(own.dsn)
    try:
        assert await conn.fetchval("SELECT count(*) FROM benchmark_loads") == 2  # 0003's, ours
    finally:
        await conn.close()


async def test_a_file_must_be_csv_and_within_the_size_limit(
    client: httpx.AsyncClient, token: Callable[..., str]
) -> None:
    body = figures_file(2024, 10.0)[0]
    response = await client.post(
        "/v1/benchmarks",
        content=body.encode(),
        headers={**auth(token("reports:admin")), "Content-Type": "application/json"},
    )
    assert response.status_code == 415
    large = HEAD + f"2024,886,LA,{MEASURE},1\n" * 40_000
    assert (await post(client, token, large)).status_code == 413
    assert await benchmarks_of(client, token, "FY2025Q1") == {}


async def test_the_synthetic_demo_file_loads_and_gives_kent_every_measure(
    client: httpx.AsyncClient, token: Callable[..., str]
) -> None:
    demo = demo_scripts("demo_benchmarks").loader
    shipped = demo.FILE.read_text()
    assert shipped == demo.text()  # the generator writes it again unchanged
    response = await post(client, token, shipped)
    assert response.status_code == 200, response.text
    assert response.json()["years"] == list(demo.YEARS)
    block = await benchmarks_of(client, token, f"FY{demo.YEARS[-1]}Q4")
    assert set(block) == set(demo.MEASURES)
    for figures in block.values():
        assert figures["year"] == demo.YEARS[-1]
        assert all(isinstance(figures[k], float) for k in ("england", "region", "neighbours_mean"))


async def test_the_band_places_the_tenants_own_activity_figure_among_the_las(
    own: Own, token: Callable[..., str]
) -> None:
    """End to end: referral events give Kent 6 re-referrals of 12 (50.0%) in FY2025Q1; with
    every LA at 60 or more that is the best quarter of a lower-is-better measure."""
    events = [
        new_event(
            source="/test",
            tenant="886",
            subject=str(record),
            data=ev.ReferralRecorded(
                record_id=record,
                child_key=f"child-{n}",
                org_unit=UNIT,
                version=1,
                source="REST",
                referral_date=date(2025, 5, 1),
                re_referral_12m=n % 2 == 0,
            ),
        )
        for n, record in enumerate(uuid.uuid4() for _ in range(12))
    ]
    await publish(own.prefix, events)
    async with serve(create_app(settings_for(own.dsn, own.prefix, "bench-band"))) as c:
        await all_applied(own.dsn, len(events))
        body, _ = figures_file(2024, 60.0)
        assert (await post(c, token, body.replace(MEASURE, "re_referrals_12m_pct"))).is_success
        response = await c.get("/v1/deep-dives/FY2025Q1", headers=auth(token("reports:read")))
        assert response.json()["activity"]["re_referrals_12m_pct"] == 50.0
        assert response.json()["benchmarks"]["re_referrals_12m_pct"]["band"] == "A"
        lines = body.replace(MEASURE, "re_referrals_12m_pct").splitlines()
        raised = "\n".join(x if ",LA," not in x else x.rsplit(",", 1)[0] + ",40.0" for x in lines)
        assert (await post(c, token, raised + "\n")).is_success  # every LA at 40: 50 is worst
        response = await c.get("/v1/deep-dives/FY2025Q1", headers=auth(token("reports:read")))
        assert response.json()["benchmarks"]["re_referrals_12m_pct"]["band"] == "D"
