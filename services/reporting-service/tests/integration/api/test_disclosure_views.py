"""Every view of a quarter through HTTP, on the real broker and database, fed with events
where suppression decided per response printed in one view what another hid: the tenant's
Deep Dive hid EAST's audits (to protect NORTH's 3) while EAST's own Deep Dive, and the
aggregates' EAST row, printed them, so NORTH's 3 came out by subtraction. Now each figure
is printed alike in every view, and the exact attacker of the unit tests, reading them all,
recovers no small count. The trends of every figure, by quarter and by month, are among
the views."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from datetime import date, timedelta
from typing import Any

import httpx
import pytest_asyncio

from qaf_shared.enums import Grade, PlanType
from qaf_shared.events import audit as a
from qaf_shared.events.envelope import CloudEvent
from qaf_shared.org_units import OrgUnitDirectory
from qaf_shared.testing.fixtures import DatabaseFactory, TopicsFactory, auth, serve
from qaf_shared.testing.kafka import publish
from reporting_service.main import create_app

from ...unit.domain import attacker
from ..feed import all_applied, escalation_raised, event, settings_for

QUARTER, NEXT = "FY2025Q2", "FY2025Q3"  # July to September 2025, and the one after
DAY = date(2025, 7, 14)
# Audits completed in the quarter, by team: NORTH's 3 are small, EAST's 7 the smallest
# other area (the one a tenant-only decision hid to protect them).
AUDITS = {"DAR-CIN1": 3, "CAN-CIN1": 7, "ASH-CIN1": 6, "DOV-CIN1": 6, "MAI-CIN1": 15}
ESCALATIONS = {"DAR-CP1": 2, "CAN-CP1": 9, "ASH-CP1": 8, "MAI-CP1": 12, "SEV-CP1": 1}


def _events() -> list[CloudEvent]:
    units = OrgUnitDirectory().tenant("886")
    assert units is not None
    out = []
    for team, count in AUDITS.items():
        unit = units.team(team)
        assert unit is not None
        for n in range(count):
            audit = uuid.uuid4()
            grade = [Grade.GOOD, Grade.REQUIRES_IMPROVEMENT][n % 2]
            data = a.AuditSubmitted(
                audit_id=audit,
                org_unit=unit,
                plan_type=PlanType.CIN,
                submitted_on=DAY + timedelta(days=n),
                overall_grade=grade,
                final_grade=grade,
                child_voice_evident=True,
            )
            out.append(event(data, audit))
    for team, count in ESCALATIONS.items():
        unit = units.team(team)
        assert unit is not None
        for n in range(count):
            out.append(escalation_raised(DAY + timedelta(days=20 * (n % 3)), unit=unit))
    return out


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def client(
    make_database: DatabaseFactory, make_topics: TopicsFactory
) -> AsyncIterator[httpx.AsyncClient]:
    prefix = await make_topics()
    dsn = await make_database("reporting_service")
    events = _events()
    await publish(prefix, events)
    async with serve(create_app(settings_for(dsn, prefix, "dv"))) as http:
        await all_applied(dsn, len(events))
        yield http


async def _views(client: httpx.AsyncClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    """Every JSON view of the quarter a reader can ask for (the next quarter's Deep Dives for
    their previous block)."""
    units = OrgUnitDirectory().tenant("886")
    assert units is not None
    top: list[tuple[str, str | None]] = [("tenant", None), *(("area", x) for x in units.areas)]
    top += [("service", s) for s in units.services]
    out: list[dict[str, Any]] = []

    async def get(path: str, **params: str) -> dict[str, Any]:
        response = await client.get(path, params=params, headers=headers)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    for quarter in (QUARTER, NEXT):
        for _, code in top:
            params = {"unit": code} if code else {}
            out.append({"deep_dive": await get(f"/v1/deep-dives/{quarter}", **params)})
        out.append({"aggregates": await get(f"/v1/aggregates/{quarter}")})
    for kind, code in top:
        for by in ("category", "stage", "area", "service"):
            if by in ("area", "service") and kind not in ("tenant", by):
                continue
            for granularity in ("quarter", "month"):
                params = {"from": QUARTER, "to": QUARTER, "by": by, "granularity": granularity}
                if code:
                    params["unit"] = code
                out.append({"trends": await get("/v1/escalation-trends", **params)})
    # Every audit and escalation count (each dimension) and rate by `GET /v1/trends`: for the
    # tenant, each area and service, by area, service and district, by quarter and month.
    wanted = [
        (m, d)
        for m, dims in attacker.COUNT_FIELDS.items()
        if not m.startswith("feedback.")
        for d in dims or [None]
    ]
    wanted += [(m, None) for m in attacker.DENOMINATORS]
    scopes: list[dict[str, str]] = [{"unit": code} if code else {} for _, code in top]
    scopes += [{"by": by} for by in ("area", "service", "district")]
    scopes += [{"unit": area, "by": "district"} for area in units.areas]
    for scope in scopes:
        for granularity in ("quarter", "month"):
            for measure, dim in wanted:
                params = {"measure": measure, "from": QUARTER, "to": NEXT, **scope}
                params["granularity"] = granularity
                if dim:
                    params["dimension"] = dim
                out.append({"measure_trends": await get("/v1/trends", **params)})
    return out


async def test_every_view_prints_each_figure_alike_and_none_gives_a_small_count_away(
    client: httpx.AsyncClient, token: Callable[..., str]
) -> None:
    units = OrgUnitDirectory().tenant("886")
    assert units is not None
    raw = attacker.read(units, await _views(client, auth(token("reports:read_unsuppressed"))))
    shown = attacker.read(units, await _views(client, auth(token("reports:read"))))
    truth = {k: v for k, v in raw.values.items() if v is not None}
    assert len(truth) == len(raw.values)  # reports:read_unsuppressed sees every figure
    assert truth[(QUARTER, "EAST", "audits.completed", "")] == 7
    assert truth[(QUARTER, "NORTH", "audits.completed", "")] == 3

    # One figure, one printing: EAST's 7 is hidden in the tenant's breakdown, in EAST's own
    # Deep Dive and in the aggregates alike (a view that printed it gave NORTH's 3 away).
    assert shown.disagreements == []
    assert shown.values[(QUARTER, "NORTH", "audits.completed", "")] is None
    assert shown.values[(QUARTER, "EAST", "audits.completed", "")] is None
    assert all(shown.values[k] in (None, v) for k, v in truth.items())
    assert all(shown.values[k] is None for k, v in truth.items() if 1 <= v <= 5)
    # (The next quarter's previous block is among the views: it agrees too.) Only what
    # protects is hidden: the tenant's total is printed.
    assert shown.values[(QUARTER, "886", "audits.completed", "")] == 37
    assert attacker.recovered(shown, truth, 5) == []


async def test_quarters_at_the_ends_of_the_calendar_are_read_like_any_other(
    client: httpx.AsyncClient, token: Callable[..., str]
) -> None:
    # FY0000Q1 has no previous quarter id and no dated months; FY9999Q4 ends in year 10000.
    # A decision covers a quarter's months, so both must still be answered, not a 500.
    headers = auth(token("reports:read"))
    for quarter in ("FY0000Q1", "FY9999Q4"):
        assert (await client.get(f"/v1/deep-dives/{quarter}", headers=headers)).status_code == 200
        assert (await client.get(f"/v1/aggregates/{quarter}", headers=headers)).status_code == 200
        trend = await client.get(
            "/v1/escalation-trends",
            params={"from": quarter, "to": quarter, "granularity": "month"},
            headers=headers,
        )
        assert trend.status_code == 200
        assert [p["period"] for p in trend.json()["series"]][:1] in (["0000-04"], ["10000-01"])
