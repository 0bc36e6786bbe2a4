"""The projections' keys are compared byte for byte (`COLLATE "C"`, repository/generations.py)
whatever the database's collation: on a database whose default collation is a locale's (ICU
en-GB, as an authority's managed PostgreSQL may have it), every figure, running totals over
periods included, and every published list and its order are what they are on the cluster's
C.UTF-8, through HTTP. (The lists take their order from the org-unit tree and the code,
never from the database: bench/README.md, "Consumer and rebuild".)"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date
from typing import Any

import httpx

from qaf_shared.database import connect
from qaf_shared.enums import ActionStatus, Grade, PlanType
from qaf_shared.events.audit import ActionRaised, AuditSubmitted
from qaf_shared.events.envelope import CloudEvent
from qaf_shared.events.payloads import OrgUnitRef
from qaf_shared.testing.fixtures import DatabaseFactory, TopicsFactory, auth, serve
from qaf_shared.testing.kafka import publish
from reporting_service.main import create_app

from ..feed import all_applied, event, settings_for

# Kent's units, codes with '-' and '_' among them (which C and en-GB weigh differently).
UNITS = [
    OrgUnitRef(area="SOUTH", district="ASHFORD", team="ASH-CP1"),
    OrgUnitRef(area="SOUTH", district="FOLKESTONE_HYTHE", team="FOL-CIN1"),
    OrgUnitRef(area="WEST", district="TUNBRIDGE_WELLS", team="TUN-CP1"),
    OrgUnitRef(area="EAST", district="CANTERBURY", team="CAN-CIC1"),
]


def _events() -> list[CloudEvent]:
    events = []
    for n, unit in enumerate(UNITS * 3):
        audit_id = uuid.uuid4()
        grade = (Grade.GOOD, Grade.REQUIRES_IMPROVEMENT, Grade.OUTSTANDING)[n % 3]
        data: Any = AuditSubmitted(
            audit_id=audit_id,
            org_unit=unit,
            plan_type=PlanType.CIN,
            submitted_on=date(2025, 4 + n % 6, 10),
            overall_grade=grade,
            final_grade=grade,
            child_voice_evident=True,
        )
        events.append(event(data, audit_id))
        # An action overdue from a quarter on: a state, summed over every period up to the
        # one read.
        action = ActionRaised(
            audit_id=audit_id,
            org_unit=unit,
            plan_type=PlanType.CIN,
            action_id=uuid.uuid4(),
            status=ActionStatus.OPEN,
            raised_on=date(2025, 4, 1),
            due_date=date(2025, 4 + n % 5, 20),
        )
        events.append(event(action, audit_id))
    return events


async def _reads(client: httpx.AsyncClient, headers: dict[str, str]) -> list[Any]:
    out: list[Any] = []
    for quarter in ("FY2025Q1", "FY2025Q2", "FY2025Q3"):
        deep = await client.get(f"/v1/deep-dives/{quarter}", headers=headers)
        assert deep.status_code == 200, deep.text
        out.append(deep.json())
        csv = await client.get(f"/v1/aggregates/{quarter}.csv", headers=headers)
        assert csv.status_code == 200, csv.text
        out.append(csv.text)
    for measure, by in (
        ("audits.completed", "district"),
        ("audits.actions_overdue_at_end", "area"),
    ):
        query = {"from": "FY2025Q1", "to": "FY2025Q3", "granularity": "month", "by": by}
        trend = await client.get(
            "/v1/trends", params={**query, "measure": measure}, headers=headers
        )
        assert trend.status_code == 200, trend.text
        out.append(trend.json())
    return out


async def test_a_database_of_another_collation_publishes_the_same_figures_in_the_same_order(
    make_database: DatabaseFactory, make_topics: TopicsFactory, token: Callable[..., str]
) -> None:
    prefix = await make_topics()
    cluster = await make_database("reporting_service")
    locale = await make_database("reporting_service", icu_locale="en-GB")
    conn = await connect(locale)
    try:
        # The database does compare text as en-GB does, unlike the cluster's C.UTF-8.
        assert await conn.fetchval("SELECT 'ash' < 'Bex'")
    finally:
        await conn.close()
    events = _events()
    await publish(prefix, events)
    headers = auth(token("reports:read_unsuppressed"))
    reads = []
    for dsn in (cluster, locale):
        async with serve(create_app(settings_for(dsn, prefix, "collation"))) as client:
            await all_applied(dsn, len(events))
            reads.append(await _reads(client, headers))
    assert reads[0] == reads[1]
    districts = {p["unit"] for p in reads[0][-2]["series"] if p["value"]}
    assert districts == {u.district for u in UNITS}
    overdue = [p["value"] for p in reads[0][-1]["series"] if p["value"]]
    assert overdue  # the state's running totals are in what was compared
