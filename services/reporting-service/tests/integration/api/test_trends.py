"""`GET /v1/trends` through HTTP on the real broker and database: events on Kafka, the
service's consumer, the figure read back by month; a correction moves a record from one
month to another and the trend follows. And the requests it refuses."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from datetime import date
from typing import Any

import httpx
import pytest
import pytest_asyncio

from qaf_shared.enums import Grade, PlanType
from qaf_shared.events.audit import AuditSubmitted
from qaf_shared.testing.fixtures import auth, eventually, serve
from qaf_shared.testing.kafka import publish
from reporting_service.main import create_app

from ..feed import UNIT, Own, all_applied, event, settings_for

AUDIT = uuid.uuid4()


def _submitted(on: date, number: int, grade: Grade = Grade.GOOD) -> Any:
    data = AuditSubmitted(
        audit_id=AUDIT,
        org_unit=UNIT,
        plan_type=PlanType.CIN,
        submitted_on=on,
        overall_grade=grade,
        final_grade=grade,
        child_voice_evident=True,
        submission_number=number,
    )
    return event(data, AUDIT)


@pytest_asyncio.fixture
async def service(own: Own) -> AsyncIterator[tuple[httpx.AsyncClient, Own]]:
    async with serve(create_app(settings_for(own.dsn, own.prefix, "trends"))) as client:
        yield client, own


async def _monthly(client: httpx.AsyncClient, headers: dict[str, str], **params: str) -> Any:
    query = {"from": "FY2025Q1", "to": "FY2025Q1", "granularity": "month", **params}
    response = await client.get("/v1/trends", params=query, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_resubmission_moves_the_audit_to_its_new_month_in_the_trend(
    service: tuple[httpx.AsyncClient, Own], token: Callable[..., str]
) -> None:
    client, own = service
    headers = auth(token("reports:read_unsuppressed"))
    first = _submitted(date(2025, 5, 20), 1)
    await publish(own.prefix, [first])
    await all_applied(own.dsn, 1)
    body = await _monthly(client, headers, measure="audits.completed", by="district")
    ashford = {p["period"]: p["value"] for p in body["series"] if p["unit"] == "ASHFORD"}
    assert ashford == {"2025-04": 0, "2025-05": 1, "2025-06": 0}
    assert body["measure"] == "audits.completed" and body["by"] == "district"
    assert body["suppression"] == {"applied": False}

    # Returned and resubmitted in June: it counts in June now, and in May no more.
    await publish(own.prefix, [_submitted(date(2025, 6, 3), 2, Grade.OUTSTANDING)])

    async def moved() -> bool:
        body = await _monthly(client, headers, measure="audits.completed")
        return [p["value"] for p in body["series"]] == [0, 0, 1]

    await eventually(moved, timeout=30)
    grades = await _monthly(client, headers, measure="audits.grades", dimension="OUTSTANDING")
    assert [p["value"] for p in grades["series"]] == [0, 0, 1]
    assert [p["unit"] for p in grades["series"]] == ["886"] * 3
    rate = await _monthly(client, headers, measure="audits.good_or_better_pct", unit="SOUTH")
    assert [p["value"] for p in rate["series"]] == ["z", "z", 100.0]
    assert rate["unit"] == {"kind": "area", "code": "SOUTH"}


async def test_reports_read_sees_the_monthly_figure_suppressed(
    service: tuple[httpx.AsyncClient, Own], token: Callable[..., str]
) -> None:
    client, own = service
    await publish(own.prefix, [_submitted(date(2025, 5, 20), 1)])
    await all_applied(own.dsn, 1)
    body = await _monthly(client, auth(token("reports:read")), measure="audits.completed")
    assert [p["value"] for p in body["series"]] == [0, "c", 0]
    assert body["suppression"] == {"applied": True}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"measure": "audits.nothing"}, "query.measure"),
        ({"measure": "audits"}, "query.measure"),
        ({"measure": "audits.grades"}, "query.dimension"),
        ({"measure": "audits.grades", "dimension": "EXCELLENT"}, "query.dimension"),
        ({"measure": "audits.completed", "dimension": "GOOD"}, "query.dimension"),
        ({"measure": "audits.completed", "by": "district", "unit": "FOSTERING"}, "query.by"),
        ({"measure": "audits.completed", "by": "service", "unit": "SOUTH"}, "query.by"),
        ({"measure": "audits.completed", "unit": "ASHFORD"}, "query.unit"),
        ({"measure": "audits.completed", "from": "FY2026Q1", "to": "FY2025Q1"}, "query.from"),
        ({"measure": "audits.completed", "from": "FY2000Q1", "to": "FY2025Q1"}, "query.from"),
    ],
)
async def test_a_request_the_trends_cannot_answer_is_a_422_naming_the_field(
    service: tuple[httpx.AsyncClient, Own],
    token: Callable[..., str],
    params: dict[str, str],
    field: str,
) -> None:
    client, _ = service
    response = await client.get("/v1/trends", params=params, headers=auth(token("reports:read")))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in response.json()["errors"]] == [field]


async def test_without_a_range_the_trend_is_the_five_quarters_to_the_current_one(
    service: tuple[httpx.AsyncClient, Own], token: Callable[..., str]
) -> None:
    client, _ = service
    response = await client.get(
        "/v1/trends",
        params={"measure": "escalations.median_working_days_to_resolve", "by": "service"},
        headers=auth(token("reports:read")),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    periods = list(dict.fromkeys(p["period"] for p in body["series"]))
    assert len(periods) == 5 and periods[0] == body["from"] and periods[-1] == body["to"]
    assert {p["value"] for p in body["series"]} == {"z"}  # nothing resolved: nothing to compute
    assert len(body["series"]) == 5 * len({p["unit"] for p in body["series"]})
