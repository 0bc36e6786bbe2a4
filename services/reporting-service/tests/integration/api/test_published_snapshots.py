"""Reads from the published snapshots, through HTTP on the real broker and database: once
the publisher has published a quarter, every view of it shows the snapshot's figures and
decision without solving anything, the same as the decision made directly over the same
figures; a snapshot made under other settings is not used; the backlog is shown."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from prometheus_client import REGISTRY

from qaf_shared.enums import Grade, PlanType
from qaf_shared.events import audit as a
from qaf_shared.events.envelope import CloudEvent
from qaf_shared.org_units import OrgUnitDirectory
from qaf_shared.testing.fixtures import auth, eventually, serve
from qaf_shared.testing.kafka import publish
from reporting_service import projections
from reporting_service.api.schemas.csv_rows import unit_rows
from reporting_service.domain import measures, publication
from reporting_service.main import create_app
from reporting_service.repository import counts, generations

from ..feed import Own, all_applied, event, settings_for
from ..workers.test_publisher import raised

TENANT = "886"
QUARTER, PREVIOUS = "FY2025Q2", "FY2025Q1"
DAY = date(2025, 7, 14)
# Audits by team: some counts small enough to be hidden, and the totals they hide behind.
AUDITS = {"DAR-CIN1": 3, "CAN-CIN1": 7, "ASH-CIN1": 6, "MAI-CIN1": 12}


def workload() -> list[CloudEvent]:
    """Audits in QUARTER, and an escalation open since the quarter before (so every quarter
    from PREVIOUS on has figures to publish)."""
    units = OrgUnitDirectory().tenant(TENANT)
    assert units is not None
    out = [raised(date(2025, 5, 2))]
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
    return out


def counting(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int | None]]:
    """The decisions solved in this process (the publisher solves in a process of its
    own): (quarter, threshold) of each."""
    solved: list[tuple[str, int | None]] = []
    decide = publication.decide

    def count(*args: Any, **kwargs: Any) -> publication.Decision:
        decision = decide(*args, **kwargs)
        solved.append((decision.quarter, decision.threshold))
        return decision

    monkeypatch.setattr(publication, "decide", count)
    return solved


async def published(client: httpx.AsyncClient, headers: dict[str, str]) -> bool:
    """Nothing of the tenant waits to be published."""
    body = (await client.get("/v1/status", headers=headers)).json()
    return bool(body["publication"]["backlog"] == 0)


async def direct(dsn: str, quarter: str, threshold: int | None) -> publication.Decision:
    """The quarter's decision made here, over its figures as they are now."""
    conn = await asyncpg.connect(dsn)
    try:
        schema = await generations.active_schema(conn)
        raw = (await counts.read_quarters(conn, schema, TENANT, [quarter]))[quarter]
    finally:
        await conn.close()
    units = OrgUnitDirectory().tenant(TENANT)
    assert units is not None
    return publication.decide(raw, quarter, TENANT, units, threshold)


def rows_of(decision: publication.Decision) -> list[dict[str, Any]]:
    """The aggregates' rows as a decision shows them."""
    units = OrgUnitDirectory().tenant(TENANT)
    assert units is not None
    q = decision.quarter
    return [
        row
        for kind, code in publication.every_unit(TENANT, units)
        for row in unit_rows(q, kind, code, measures.sections(decision, q, kind, code))
    ]


async def views(client: httpx.AsyncClient, headers: dict[str, str]) -> list[Any]:
    """Every kind of view of QUARTER (and the Deep Dive's previous quarter)."""
    paths = [
        f"/v1/deep-dives/{QUARTER}",
        f"/v1/deep-dives/{QUARTER}?unit=NORTH",
        f"/v1/aggregates/{QUARTER}",
        f"/v1/trends?measure=audits.completed&from={PREVIOUS}&to={QUARTER}&by=district",
        f"/v1/escalation-trends?from={PREVIOUS}&to={QUARTER}&granularity=month",
    ]
    out = []
    for path in paths:
        response = await client.get(path, headers=headers)
        assert response.status_code == 200, response.text
        out.append(response.json())
    return out


def inline_decisions() -> float:
    return REGISTRY.get_sample_value("qa_report_inline_decisions_total") or 0.0


async def settle(app: FastAPI, client: httpx.AsyncClient, headers: dict[str, str]) -> None:
    """Read every view once (a quarter no snapshot covers yet is marked by the read), wait
    until everything is published, and forget what this replica kept."""
    await views(client, headers)
    await eventually(lambda: published(client, headers), timeout=60)
    app.state.report_cache = None


async def test_once_published_every_view_shows_the_snapshot_and_nothing_is_solved_on_a_read(
    own: Own, token: Callable[..., str], monkeypatch: pytest.MonkeyPatch
) -> None:
    dsn, prefix = own
    events = workload()
    await publish(prefix, events)
    app = create_app(settings_for(dsn, prefix, "snap"))
    headers = auth(token("reports:read", tenant=TENANT))
    unsuppressed = auth(token("reports:read_unsuppressed", tenant=TENANT))
    async with serve(app) as client:
        await all_applied(dsn, len(events))
        await settle(app, client, headers)
        solved, inline = counting(monkeypatch), inline_decisions()
        suppressed_views = await views(client, headers)
        raw_views = await views(client, unsuppressed)
        assert solved == [] and inline_decisions() == inline

    # The same figures and "c"s as the decision made directly over the same figures.
    expected = await direct(dsn, QUARTER, 5)
    assert expected.hidden
    aggregates = suppressed_views[2]["rows"]
    assert aggregates == rows_of(expected)
    assert "c" in [row["value"] for row in aggregates]
    unhidden = await direct(dsn, QUARTER, None)
    assert raw_views[2]["rows"] == rows_of(unhidden)
    assert raw_views[0]["audits"]["completed"] == sum(AUDITS.values())


async def test_a_snapshot_made_under_another_threshold_or_unit_tree_is_not_used(
    own: Own, token: Callable[..., str], monkeypatch: pytest.MonkeyPatch
) -> None:
    dsn, prefix = own
    events = workload()
    await publish(prefix, events)
    app = create_app(settings_for(dsn, prefix, "snap"))
    headers = auth(token("reports:read", tenant=TENANT))
    async with serve(app) as client:
        await all_applied(dsn, len(events))
        await settle(app, client, headers)

        # A replica configured with another threshold decides the quarter itself.
        solved = counting(monkeypatch)
        other = create_app(
            settings_for(dsn, prefix, "other").model_copy(update={"suppression_threshold": 3}),
            consume=False,
        )
        async with serve(other) as elsewhere:
            response = await elsewhere.get(f"/v1/aggregates/{QUARTER}", headers=headers)
        assert (QUARTER, 3) in solved
        assert response.json()["rows"] == rows_of(await direct(dsn, QUARTER, 3))

        # A snapshot of another unit tree: this replica decides the quarter itself too. (The
        # other replica's read marked the quarter: this one's publisher published it again.)
        await eventually(lambda: published(client, headers), timeout=60)
        conn = await asyncpg.connect(dsn)
        try:
            schema = await generations.active_schema(conn)
            await conn.execute(
                f"UPDATE {schema}.snapshots SET units = 'another tree' WHERE quarter = $1",
                QUARTER,
            )
        finally:
            await conn.close()
        solved.clear()
        app.state.report_cache = None
        response = await client.get(f"/v1/aggregates/{QUARTER}", headers=headers)
        assert (QUARTER, 5) in solved
        assert response.json()["rows"] == rows_of(await direct(dsn, QUARTER, 5))


async def test_the_status_and_the_metrics_show_the_publication_backlog(
    own: Own, token: Callable[..., str]
) -> None:
    """Changes not yet published are counted, with the time of the oldest; the publisher
    brings the backlog to nothing."""
    dsn, prefix = own
    conn = await asyncpg.connect(dsn)
    try:
        schema = await generations.active_schema(conn)
        async with conn.transaction():
            await projections.apply(conn, schema, workload()[1:])  # the audits: one quarter
    finally:
        await conn.close()
    headers = auth(token("reports:read", tenant=TENANT))
    idle = create_app(settings_for(dsn, prefix, "backlog"), consume=False)
    async with serve(idle) as client:
        body = (await client.get("/v1/status", headers=headers)).json()
        assert body["publication"]["backlog"] == 1
        assert body["publication"]["oldest_change_at"] is not None
        other = await client.get("/v1/status", headers=auth(token("reports:read", tenant="887")))
        assert other.json()["publication"] == {"backlog": 0, "oldest_change_at": None}
    app = create_app(settings_for(dsn, prefix, "backlog"))
    async with serve(app) as client:
        await eventually(lambda: published(client, headers), timeout=60)
        body = (await client.get("/v1/status", headers=headers)).json()
        assert body["publication"]["oldest_change_at"] is None

        async def backlog_metric_empty() -> bool:
            text = (await client.get("/metrics")).text
            return "qa_publisher_backlog 0.0" in text

        await eventually(backlog_metric_empty)
