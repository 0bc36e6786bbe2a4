"""Programmes with their audits' progress, and the audit list: filters, cursor pages in a
stable order, and an access-log row for every audit listed."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import asyncpg
import pytest

from qaf_shared.testing.calls import changed

from .statuses import STATES

THEMED = {
    "kind": "THEMED",
    "name": "Neglect thematic",
    "period": "FY2026Q2",
    "theme": "Neglect",
    "hypothesis": "Chronologies are not used to evidence cumulative harm",
    "due_date": "2026-09-30",
}


async def test_a_programme_counts_its_audits_by_status_and_overdue(
    flow: Any, days_ago: Callable[[int], str]
) -> None:
    programme = await flow.programme({**THEMED, "area": "SOUTH", "due_date": days_ago(1)})
    assert programme["progress"] == {
        "total": 0,
        "by_status": dict.fromkeys(STATES, 0),
        "overdue": 0,
    }
    assert programme["overdue"] is False and programme["version"] == 1
    pid = programme["id"]
    await flow.in_state("SCHEDULED", programme_id=pid, due_date=days_ago(2))  # overdue
    await flow.in_state("IN_PROGRESS", programme_id=pid)
    await flow.in_state("CLOSED", programme_id=pid, due_date=days_ago(30))  # submitted: not
    await flow.in_state("CANCELLED", programme_id=pid, team="DOV-CP1")
    got = await flow.call("GET", f"/v1/programmes/{pid}", 200)
    assert got["progress"]["total"] == 4 and got["progress"]["overdue"] == 1
    counts = got["progress"]["by_status"]
    assert (counts["SCHEDULED"], counts["IN_PROGRESS"], counts["CLOSED"], counts["CANCELLED"]) == (
        1,
        1,
        1,
        1,
    )
    assert got["overdue"] is True  # past its due date with audits unsubmitted
    listed = await flow.call("GET", f"/v1/programmes/{pid}/audits", 200)
    assert len(listed["items"]) == 4 and {a["kind"] for a in listed["items"]} == {"THEMED"}


async def test_an_audit_of_a_programme_takes_its_kind_and_stays_within_its_scope(
    flow: Any,
) -> None:
    programme = await flow.programme(
        {
            "kind": "AREA",
            "name": "South area",
            "period": "2026-05",
            "area": "SOUTH",
            "due_date": "2026-06-30",
        },
    )
    pid = programme["id"]
    assert (await flow.schedule(programme_id=pid))["kind"] == "AREA"
    problem = await flow.schedule(422, programme_id=pid, team="DAR-CP1")  # NORTH
    assert problem["errors"][0]["field"] == "body.team"
    problem = await flow.schedule(422, programme_id=pid, kind="MONTHLY")
    assert problem["errors"][0]["field"] == "body.kind"
    problem = await flow.schedule(422, programme_id=str(uuid.uuid4()))
    assert problem["errors"][0]["field"] == "body.programme_id"
    # An ad hoc audit names its kind, or none.
    assert (await flow.schedule(kind="CLOSURE"))["kind"] == "CLOSURE"


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"hypothesis": None}, {"body.hypothesis"}),
        ({"theme": None, "hypothesis": None}, {"body.theme", "body.hypothesis"}),
        ({"kind": "AREA", "theme": None, "hypothesis": None}, {"body.area"}),
        ({"area": "ASHFORD"}, {"body.area"}),
        ({"district": "NOWHERE"}, {"body.district"}),
        ({"area": "NORTH", "district": "ASHFORD"}, {"body.district"}),
        ({"service": "FOSTERING", "area": "SOUTH"}, {"body.service"}),
        ({"service": "NOT_A_SERVICE"}, {"body.service"}),
        ({"period": "2026-13"}, {"body.period"}),
        ({"kind": "ANNUAL"}, {"body.kind"}),
        ({"name": ""}, {"body.name"}),
        ({"name": "a\x00b"}, {"body.name"}),  # PostgreSQL text holds no NUL
        ({"due_date": "soon"}, {"body.due_date"}),
    ],
)
async def test_a_bad_programme_names_its_fields_and_writes_nothing(
    flow: Any, audit_db: asyncpg.Connection, changes: dict[str, Any], fields: set[str]
) -> None:
    before = await audit_db.fetchval("SELECT count(*) FROM programmes")
    problem = await flow.programme(changed(THEMED, changes), 422)
    assert {e["field"] for e in problem["errors"]} == fields
    assert await audit_db.fetchval("SELECT count(*) FROM programmes") == before


async def test_a_district_scope_is_stored_with_its_area_and_programmes_list_by_kind(
    flow: Any,
) -> None:
    period = f"20{uuid.uuid4().int % 90 + 10}-03"  # a period of this test's own
    created = await flow.programme(
        {
            "kind": "MULTI_AGENCY",
            "name": "KSCMP",
            "period": period,
            "district": "DOVER",
            "due_date": "2026-04-30",
        },
    )
    assert (created["area"], created["district"]) == ("SOUTH", "DOVER")
    await flow.programme(
        {
            "kind": "CLOSURE",
            "name": "Closures",
            "period": period,
            "service": "FOSTERING",
            "due_date": "2026-04-30",
        },
    )
    listed = await flow.call("GET", f"/v1/programmes?period={period}&kind=MULTI_AGENCY", 200)
    assert [p["id"] for p in listed["items"]] == [created["id"]]
    assert len((await flow.call("GET", f"/v1/programmes?period={period}", 200))["items"]) == 2


async def test_the_audit_list_filters_pages_stably_and_logs_each_read(
    flow: Any, moderated_flow: Any, audit_db: asyncpg.Connection, days_ago: Callable[[int], str]
) -> None:
    programme = await flow.programme(
        {"kind": "MONTHLY", "name": "List test", "period": "2026-06", "due_date": "2026-07-31"},
    )
    pid = programme["id"]
    made = {
        "scheduled_overdue": await flow.in_state(
            "SCHEDULED", programme_id=pid, due_date=days_ago(1)
        ),
        "in_progress": await flow.in_state("IN_PROGRESS", programme_id=pid, team="DAR-CIN1"),
        "submitted": await flow.in_state(
            "SUBMITTED", programme_id=pid, service=None, team="CAN-CP1"
        ),
        "moderation": await moderated_flow.in_state("MODERATION", programme_id=pid, team="DOV-CP1"),
        "closed": await flow.in_state("CLOSED", programme_id=pid),
        "fostering": await flow.in_state(
            "CANCELLED", programme_id=pid, team=None, service="FOSTERING"
        ),
    }
    regraded = await flow.in_state("SUBMITTED", programme_id=pid)
    made["regraded"] = await flow.peer_review(regraded, "REGRADED", grade="INADEQUATE")
    late = await flow.in_state("SCHEDULED", programme_id=pid)
    made["late"] = await flow.submit(late, submitted_on=days_ago(1))

    async def ids(query: str) -> set[str]:
        body = await flow.call("GET", f"/v1/audits?programme_id={pid}&{query}", 200)
        return {a["id"] for a in body["items"]}

    def of(*names: str) -> set[str]:
        return {made[n]["id"] for n in names}

    assert await ids("status=SUBMITTED") == of("submitted", "late")
    assert await ids("status=SUBMITTED&status=MODERATION") == of("submitted", "late", "moderation")
    assert await ids("area=NORTH") == of("in_progress")
    assert await ids("district=DOVER") == of("moderation")
    assert await ids("team=CAN-CP1") == of("submitted")
    assert await ids("service=FOSTERING") == of("fostering")
    assert await ids("overdue=true") == of("scheduled_overdue")
    assert len(await ids("overdue=false")) == len(made) - 1
    assert await ids("grade=INADEQUATE") == of("regraded")
    assert await ids(f"submitted_from={days_ago(1)}") == of("late")
    assert await ids(f"submitted_to={days_ago(2)}") == of(
        "submitted", "moderation", "closed", "regraded"
    )

    # Pages of 3 walk every audit once, in a stable order that a second walk repeats.
    async def walk() -> list[str]:
        seen: list[str] = []
        cursor = None
        while True:
            query = f"/v1/audits?programme_id={pid}&limit=3" + (
                f"&cursor={cursor}" if cursor else ""
            )
            body = await flow.call("GET", query, 200)
            assert len(body["items"]) <= 3
            seen += [a["id"] for a in body["items"]]
            cursor = body["next_cursor"]
            if cursor is None:
                return seen

    first = await walk()
    assert len(first) == len(set(first)) == len(made) and set(first) == of(*made)
    assert await walk() == first

    logged = await audit_db.fetchval(
        "SELECT count(*) FROM access_log WHERE resource_type = 'audit' AND resource_id = $1",
        made["in_progress"]["id"],
    )
    assert logged >= 4  # each list answer that held it, besides the reads of the flow


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("area=ASHFORD", "query.area"),  # a district, not an area
        ("district=NOWHERE", "query.district"),
        ("team=lower", "query.team"),
        ("service=SOUTH", "query.service"),
        ("status=DONE", "query.status.0"),
        ("grade=SUPER", "query.grade"),
        ("programme_id=nope", "query.programme_id"),
        ("submitted_from=2026-05-02&submitted_to=2026-05-01", "query.submitted_to"),
        ("cursor=garbage", "query.cursor"),
        ("limit=0", "query.limit"),
        ("limit=201", "query.limit"),
    ],
)
async def test_a_bad_list_query_names_the_parameter(flow: Any, query: str, field: str) -> None:
    problem = await flow.call("GET", f"/v1/audits?{query}", 422)
    assert [e["field"] for e in problem["errors"]] == [field]


async def test_templates_are_published_with_the_tenants_default(flow: Any) -> None:
    listed = await flow.call("GET", "/v1/audit-templates", 200)
    assert listed["default"] == {"id": "kent-case-file", "version": 1}
    one = await flow.call("GET", "/v1/audit-templates/kent-case-file/versions/1", 200)
    assert one == listed["items"][0]
    assert one["sections"][0]["questions"][0]["kind"] == "YES_NO_NA"
    await flow.call("GET", "/v1/audit-templates/kent-case-file/versions/9", 404)
    await flow.call("GET", "/v1/audit-templates/kent-case-file/versions/x", 404)
