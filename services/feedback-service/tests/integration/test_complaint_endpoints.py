"""Complaints through the API against real PostgreSQL: the statutory lifecycle, its events,
and every step that does not apply."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import asyncpg
import httpx
import pytest

from qaf_shared.testing.calls import changed, creator, refused, stepper
from qaf_shared.testing.fixtures import auth
from qaf_shared.working_days import add_working_days

TODAY = date.today()
# Two days on: still ahead of the service's (UTC) today if the run crosses midnight, or the
# machine's zone is not UTC (the module is imported once, before the tests run).
FUTURE = TODAY + timedelta(days=2)
START = TODAY - timedelta(days=120)
NEW = {
    "case_ref": "CASE-C1",
    "team": "ASH-CP1",
    "received_on": START.isoformat(),
    "complainant_role": "PARENT",
    "categories": ["COMMUNICATION", "DELAY"],
}


def day(offset: int) -> str:
    return (START + timedelta(days=offset)).isoformat()


_open = creator("/v1/complaints", NEW)
_step = stepper("/v1/complaints")


async def _decided(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    complaint: dict[str, Any],
    outcome: str,
    on: str,
    stage: str = "STAGE1",
) -> dict[str, Any]:
    """`complaint` with the outcome of its `stage` recorded."""
    body = {"stage": stage, "outcome": outcome, "decided_on": on}
    return await _step(client, headers, complaint, "outcome", body)


async def _events(db: asyncpg.Connection, complaint_id: str) -> list[dict[str, Any]]:
    rows = await db.fetch(
        "SELECT payload FROM outbox WHERE aggregateid = $1 ORDER BY seq", complaint_id
    )
    return [r["payload"] for r in rows]


async def test_a_complaint_through_all_three_stages_to_the_ombudsman(
    feedback_client: httpx.AsyncClient, writer: dict[str, str], feedback_db: asyncpg.Connection
) -> None:
    c = await _open(feedback_client, writer)
    assert (c["status"], c["stage"], c["version"], c["overdue"]) == ("STAGE1", "STAGE1", 1, True)
    assert c["stage_due_date"] == add_working_days(START, 10).isoformat()
    c = await _step(
        feedback_client, writer, c, "extension", {"stage": "STAGE1", "extended_on": day(1)}
    )
    assert c["stage_due_date"] == add_working_days(START, 20).isoformat()
    c = await _decided(feedback_client, writer, c, "NOT_UPHELD", day(14))
    assert c["overdue"] is False
    assert (
        c["next_stage_request_by"] == add_working_days(START + timedelta(days=14), 20).isoformat()
    )
    assert c["stages"][0]["decided_in_timescale"] is True
    c = await _step(
        feedback_client, writer, c, "stage", {"stage": "STAGE2", "requested_on": day(20)}
    )
    assert (c["status"], c["stage"]) == ("STAGE2", "STAGE2")
    assert c["stage_due_date"] == add_working_days(START + timedelta(days=20), 25).isoformat()
    c = await _decided(feedback_client, writer, c, "PARTLY_UPHELD", day(50), "STAGE2")
    c = await _step(
        feedback_client, writer, c, "stage", {"stage": "STAGE3", "requested_on": day(55)}
    )
    c = await _step(feedback_client, writer, c, "panel", {"held_on": day(70)})
    assert c["stage_due_date"] == add_working_days(START + timedelta(days=70), 5).isoformat()
    c = await _step(feedback_client, writer, c, "panel-report", {"issued_on": day(74)})
    assert c["stage_due_date"] == add_working_days(START + timedelta(days=74), 15).isoformat()
    c = await _decided(feedback_client, writer, c, "UPHELD", day(90), "STAGE3")
    c = await _step(
        feedback_client, writer, c, "close", {"closed_on": day(91), "ombudsman_referred": True}
    )
    assert (c["status"], c["stage"], c["closed_on"], c["ombudsman_referred"]) == (
        "CLOSED",
        "STAGE3",
        day(91),
        True,
    )
    assert [s["outcome"] for s in c["stages"]] == ["NOT_UPHELD", "PARTLY_UPHELD", "UPHELD"]
    assert c["version"] == 10

    events = await _events(feedback_db, c["id"])
    assert [e["type"].split(".")[-2] for e in events] == [
        "complaint_opened",
        *["complaint_stage_changed"] * 8,
        "complaint_closed",
    ]
    opened, extended = events[0]["data"], events[1]["data"]
    assert opened["status"] == "STAGE1" and opened["categories"] == ["COMMUNICATION", "DELAY"]
    assert opened["org_unit"] == {"area": "SOUTH", "district": "ASHFORD", "team": "ASH-CP1"}
    assert extended["extended_on"] == day(1) and extended["stage"] == "STAGE1"
    assert events[5]["data"]["stage_opened"] is True and events[5]["data"]["stage"] == "STAGE3"
    assert events[5]["data"]["requested_on"] == day(55)
    assert events[6]["data"]["panel_held_on"] == day(70)
    assert events[7]["data"]["panel_report_issued_on"] == day(74)
    assert events[8]["data"]["outcome"] == "UPHELD" and events[8]["data"]["decided_on"] == day(90)
    closed = events[-1]["data"]
    assert closed["ombudsman_referred"] is True and closed["closed_on"] == day(91)
    assert closed["outcomes"] == {
        "STAGE1": "NOT_UPHELD",
        "STAGE2": "PARTLY_UPHELD",
        "STAGE3": "UPHELD",
    }
    assert "CASE-C1" not in str(events)

    stored = await feedback_db.fetchrow(
        "SELECT updated_by_client, updated_by_actor FROM complaints WHERE id = $1::uuid", c["id"]
    )
    assert tuple(stored) == ("dev-client", "staff-1")


async def test_steps_that_do_not_apply_are_409_and_change_nothing(
    feedback_client: httpx.AsyncClient, writer: dict[str, str], feedback_db: asyncpg.Connection
) -> None:
    c = await _open(feedback_client, writer, received_on=TODAY.isoformat())
    outbox = await feedback_db.fetchval("SELECT count(*) FROM outbox")
    for step, body in [
        ("stage", {"stage": "STAGE3", "requested_on": TODAY.isoformat()}),
        ("stage", {"stage": "STAGE2", "requested_on": TODAY.isoformat()}),  # not answered yet
        ("outcome", {"stage": "STAGE2", "outcome": "UPHELD", "decided_on": TODAY.isoformat()}),
        ("panel", {"held_on": TODAY.isoformat()}),
        ("close", {"closed_on": TODAY.isoformat()}),
    ]:
        problem = await _step(feedback_client, writer, c, step, body, expected=409)
        assert problem["status"] == 409 and problem["detail"]
    assert await feedback_db.fetchval("SELECT count(*) FROM outbox") == outbox
    again = await feedback_client.get(f"/v1/complaints/{c['id']}", headers=writer)
    assert again.json()["version"] == 1


async def test_stage2_outside_the_20_working_day_window_is_409(
    feedback_client: httpx.AsyncClient, writer: dict[str, str]
) -> None:
    c = await _open(feedback_client, writer)
    c = await _decided(feedback_client, writer, c, "NOT_UPHELD", day(5))
    late = add_working_days(START + timedelta(days=5), 21).isoformat()
    problem = await _step(
        feedback_client, writer, c, "stage", {"stage": "STAGE2", "requested_on": late}, 409
    )
    assert "20 working days" in problem["detail"]


async def test_a_withdrawn_complaint_closes_without_further_stages(
    feedback_client: httpx.AsyncClient, writer: dict[str, str]
) -> None:
    c = await _open(feedback_client, writer)
    c = await _decided(feedback_client, writer, c, "WITHDRAWN", day(2))
    assert c["next_stage_request_by"] is None
    await _step(
        feedback_client, writer, c, "stage", {"stage": "STAGE2", "requested_on": day(3)}, 409
    )
    closed = await _step(feedback_client, writer, c, "close", {"closed_on": day(3)})
    assert closed["status"] == "CLOSED" and closed["ombudsman_referred"] is False


@pytest.mark.parametrize(
    ("step", "body", "field"),
    [
        (
            "outcome",
            {"stage": "STAGE1", "outcome": "MAYBE", "decided_on": "2026-01-01"},
            "body.outcome",
        ),
        (
            "outcome",
            {"stage": "STAGE1", "outcome": "UPHELD", "decided_on": "2001-01-01"},
            "body.decided_on",
        ),
        (
            "outcome",
            {"stage": "STAGE1", "outcome": "UPHELD", "decided_on": "2999-01-01"},
            "body.decided_on",
        ),
        ("stage", {"stage": "STAGE1", "requested_on": "2026-01-01"}, "body.stage"),
        ("extension", {"stage": "STAGE3", "extended_on": "2026-01-01"}, "body.stage"),
        ("close", {"closed_on": "yesterday"}, "body.closed_on"),
    ],
)
async def test_bad_step_bodies_name_the_field(
    feedback_client: httpx.AsyncClient,
    writer: dict[str, str],
    step: str,
    body: dict[str, Any],
    field: str,
) -> None:
    c = await _open(feedback_client, writer)
    problem = await _step(feedback_client, writer, c, step, body, 422)
    assert any(e["field"] == field for e in problem["errors"]), problem


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"categories": []}, "body.categories"),
        ({"categories": ["lower case"]}, "body.categories.0"),
        ({"categories": ["DELAY", "DELAY"]}, "body.categories"),
        ({"complainant_role": "NEIGHBOUR"}, "body.complainant_role"),
        ({"received_on": FUTURE.isoformat()}, "body.received_on"),
        ({"team": None, "service": "NOT_A_SERVICE"}, "body.service"),
    ],
)
async def test_bad_complaints_name_the_field(
    feedback_client: httpx.AsyncClient,
    writer: dict[str, str],
    change: dict[str, Any],
    field: str,
) -> None:
    await refused(feedback_client, "/v1/complaints", changed(NEW, change), writer, field)


async def test_a_stale_if_match_is_412_and_a_current_one_passes(
    feedback_client: httpx.AsyncClient, writer: dict[str, str]
) -> None:
    c = await _open(feedback_client, writer)
    body = {"stage": "STAGE1", "outcome": "UPHELD", "decided_on": day(3)}
    stale = await feedback_client.post(
        f"/v1/complaints/{c['id']}/outcome", json=body, headers={**writer, "If-Match": '"9"'}
    )
    assert stale.status_code == 412
    current = await feedback_client.post(
        f"/v1/complaints/{c['id']}/outcome", json=body, headers={**writer, "If-Match": '"1"'}
    )
    assert current.status_code == 200 and current.headers["etag"] == '"2"'


async def test_the_list_filters_by_status_stage_overdue_and_dates(
    feedback_client: httpx.AsyncClient, token: Callable[..., str]
) -> None:
    headers = auth(token("feedback:write feedback:read", tenant="887"))
    units = (await feedback_client.get("/v1/org-units", headers=headers)).json()
    team = units["areas"][0]["districts"][-1]["teams"][0]
    overdue = await _open(feedback_client, headers, team=team)
    fresh = await _open(feedback_client, headers, team=team, received_on=TODAY.isoformat())
    answered = await _open(feedback_client, headers, team=team)
    answered = await _decided(feedback_client, headers, answered, "UPHELD", day(5))
    closed = await _step(feedback_client, headers, answered, "close", {"closed_on": day(6)})

    async def ids(**params: Any) -> list[str]:
        response = await feedback_client.get(
            "/v1/complaints", params={"team": team, **params}, headers=headers
        )
        assert response.status_code == 200, response.text
        return [i["id"] for i in response.json()["items"]]

    assert await ids() == [overdue["id"], fresh["id"], closed["id"]]
    assert await ids(overdue="true") == [overdue["id"]]
    assert await ids(overdue="false") == [fresh["id"], closed["id"]]
    assert await ids(status="CLOSED") == [closed["id"]]
    assert await ids(stage="STAGE1", received_from=TODAY.isoformat()) == [fresh["id"]]
    assert await ids(stage="STAGE2") == []
    kent = auth(token("feedback:read feedback:write"))
    assert (
        await feedback_client.get(f"/v1/complaints/{fresh['id']}", headers=kent)
    ).status_code == 404
    outcome = await feedback_client.post(
        f"/v1/complaints/{fresh['id']}/outcome",
        json={"stage": "STAGE1", "outcome": "UPHELD", "decided_on": TODAY.isoformat()},
        headers=kent,
    )
    assert outcome.status_code == 404


async def test_a_retried_step_with_its_idempotency_key_answers_the_first_response(
    feedback_client: httpx.AsyncClient, writer: dict[str, str], feedback_db: asyncpg.Connection
) -> None:
    c = await _open(feedback_client, writer)
    headers = {**writer, "Idempotency-Key": f"outcome-{c['id']}"}
    body = {"stage": "STAGE1", "outcome": "UPHELD", "decided_on": day(3)}
    first = await feedback_client.post(
        f"/v1/complaints/{c['id']}/outcome", json=body, headers=headers
    )
    second = await feedback_client.post(
        f"/v1/complaints/{c['id']}/outcome", json=body, headers=headers
    )
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    assert len(await _events(feedback_db, c["id"])) == 2
