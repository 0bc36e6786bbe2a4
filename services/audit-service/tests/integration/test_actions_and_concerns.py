"""Actions raised from audits and their lifecycle; safeguarding concerns."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date
from typing import Any

import asyncpg
import pytest

from qaf_shared.testing.fixtures import auth
from qaf_shared.working_days import add_working_days


async def _raise(
    flow: Any, audit: dict[str, Any], expect: int = 201, **body: Any
) -> dict[str, Any]:
    payload = {"description": "Update the chronology", "owner": "sw-1", **body}
    return await flow.call("POST", f"/v1/audits/{audit['id']}/actions", expect, payload)


async def _move(
    flow: Any, action: dict[str, Any], status: str, expect: int = 200, **body: Any
) -> dict[str, Any]:
    return await flow.call(
        "PATCH",
        f"/v1/actions/{action['id']}",
        expect,
        {"status": status, **body},
        **{"If-Match": f'"{action["version"]}"'},
    )


async def test_an_action_is_due_twenty_working_days_after_it_is_raised(
    flow: Any, outbox: Callable[[str], Any]
) -> None:
    audit = await flow.in_state("SUBMITTED")
    raised_on = date(2026, 3, 30)  # Easter 2026 falls inside the twenty days
    action = await _raise(flow, audit, raised_on=raised_on.isoformat())
    assert action["due_date"] == "2026-04-29" == add_working_days(raised_on, 20).isoformat()
    assert (action["status"], action["version"], action["audit_id"]) == ("OPEN", 1, audit["id"])
    assert (action["area"], action["team"]) == ("SOUTH", "ASH-CP1")
    assert action["overdue"] is True  # open past its due date
    given = await _raise(flow, audit, due_date="2026-12-31", raised_on="2026-06-01")
    assert given["due_date"] == "2026-12-31"
    assert (await outbox(audit["id"]))[-2:] == ["action_raised", "action_raised"]


async def test_an_action_moves_through_its_lifecycle_with_one_event_per_change(
    flow: Any, audit_db: asyncpg.Connection, days_ago: Callable[[int], str]
) -> None:
    audit = await flow.in_state("CLOSED")
    action = await _raise(flow, audit, raised_on=days_ago(20))
    path = f"/v1/actions/{action['id']}"
    await flow.call("PATCH", path, 428, {"status": "IN_PROGRESS"})
    await flow.call("PATCH", path, 412, {"status": "IN_PROGRESS"}, **{"If-Match": '"5"'})
    await _move(flow, action, "VERIFIED", expect=409)
    bad = await _move(flow, action, "IN_PROGRESS", expect=422, completed_on=days_ago(1))
    assert bad["errors"][0]["field"] == "body.completed_on"
    action = await _move(flow, action, "IN_PROGRESS")
    too_early = await _move(flow, action, "COMPLETED", expect=422, completed_on=days_ago(21))
    assert too_early["errors"][0]["field"] == "body.completed_on"
    action = await _move(flow, action, "COMPLETED", completed_on=days_ago(2))
    assert (action["status"], action["completed_on"], action["overdue"]) == (
        "COMPLETED",
        days_ago(2),
        False,
    )
    action = await _move(flow, action, "VERIFIED")
    assert (action["status"], action["completed_on"], action["version"]) == (
        "VERIFIED",
        days_ago(2),
        4,
    )
    await _move(flow, action, "CANCELLED", expect=409)
    events = await audit_db.fetch(
        "SELECT payload->'data' AS d FROM outbox WHERE aggregateid = $1"
        " AND type = 'uk.gov.qa.audit.action_status_changed.v1' ORDER BY seq",
        audit["id"],
    )
    assert [(e["d"]["previous_status"], e["d"]["status"]) for e in events] == [
        ("OPEN", "IN_PROGRESS"),
        ("IN_PROGRESS", "COMPLETED"),
        ("COMPLETED", "VERIFIED"),
    ]
    assert events[1]["d"]["completed_on"] == events[1]["d"]["changed_on"] == days_ago(2)
    assert events[2]["d"]["completed_on"] == days_ago(2)
    assert all(e["d"]["action_id"] == action["id"] for e in events)
    assert (await flow.call("GET", path, 200)) == action


@pytest.mark.parametrize("status", ["SCHEDULED", "CANCELLED"])
async def test_no_action_is_raised_from_an_audit_not_started_or_cancelled(
    flow: Any, status: str
) -> None:
    audit = await flow.in_state(status)
    problem = await _raise(flow, audit, expect=409)
    assert status in problem["detail"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"due_date": "2026-05-01", "raised_on": "2026-05-04"}, "body.due_date"),
        ({"raised_on": "2999-01-01"}, "body.raised_on"),
        ({"owner": "two words"}, "body.owner"),
        ({"description": ""}, "body.description"),
        ({"description": "nul \x00"}, "body.description"),
    ],
)
async def test_a_bad_action_names_its_field(flow: Any, body: dict[str, Any], field: str) -> None:
    audit = await flow.in_state("IN_PROGRESS")
    problem = await _raise(flow, audit, expect=422, **body)
    assert [e["field"] for e in problem["errors"]] == [field]


async def test_actions_list_by_status_audit_owner_unit_and_overdue(
    flow: Any, days_ago: Callable[[int], str]
) -> None:
    owner = f"owner-{uuid.uuid4().hex[:8]}"  # this test's own actions
    north = await flow.in_state("SUBMITTED", team="GRA-CP1")
    south = await flow.in_state("SUBMITTED")
    late = await _raise(flow, north, owner=owner, raised_on=days_ago(40))
    open_ = await _raise(flow, south, owner=owner)
    started = await _move(flow, await _raise(flow, south, owner=owner), "IN_PROGRESS")

    async def ids(query: str) -> list[str]:
        body = await flow.call("GET", f"/v1/actions?owner={owner}&{query}", 200)
        return [a["id"] for a in body["items"]]

    assert await ids("") == [late["id"], open_["id"], started["id"]]
    assert await ids("status=IN_PROGRESS") == [started["id"]]
    assert await ids("overdue=true") == [late["id"]]
    assert await ids("area=NORTH") == [late["id"]]
    assert await ids(f"audit_id={south['id']}") == [open_["id"], started["id"]]
    assert await ids(f"due_to={days_ago(1)}") == [late["id"]]
    page = await flow.call("GET", f"/v1/actions?owner={owner}&limit=2", 200)
    rest = await flow.call(
        "GET", f"/v1/actions?owner={owner}&limit=2&cursor={page['next_cursor']}", 200
    )
    assert [a["id"] for a in page["items"] + rest["items"]] == await ids("")
    assert rest["next_cursor"] is None
    problem = await flow.call("GET", "/v1/actions?status=DONE", 422)
    assert problem["errors"][0]["field"] == "query.status.0"


@pytest.mark.parametrize("status", ["SCHEDULED", "SUBMITTED", "CLOSED", "CANCELLED"])
async def test_a_safeguarding_concern_is_raised_in_any_state_and_emitted_at_once(
    flow: Any, audit_db: asyncpg.Connection, status: str
) -> None:
    audit = await flow.in_state(status)
    concern = await flow.call(
        "POST",
        f"/v1/audits/{audit['id']}/safeguarding-concerns",
        201,
        {"raised_by": "tm-1", "detail": "Unexplained bruising noted in the record"},
    )
    assert (concern["audit_id"], concern["version"]) == (audit["id"], 1)
    row = await audit_db.fetchrow(
        "SELECT payload FROM outbox WHERE aggregateid = $1"
        " AND type = 'uk.gov.qa.audit.safeguarding_concern_raised.v1'",
        audit["id"],
    )
    assert row["payload"]["data"]["concern_id"] == concern["id"]
    assert "bruising" not in str(row["payload"])
    after = await flow.call("GET", f"/v1/audits/{audit['id']}", 200)
    assert after["safeguarding_concern"] is True and after["status"] == status
    assert after["version"] == audit["version"] + 1
    listed = await flow.call("GET", f"/v1/audits/{audit['id']}/safeguarding-concerns", 200)
    assert listed["items"] == [concern]
    logged = await audit_db.fetchval(
        "SELECT count(*) FROM access_log WHERE resource_type = 'safeguarding_concern'"
        " AND resource_id = $1",
        concern["id"],
    )
    assert logged == 1


async def test_a_concern_answers_at_its_location_for_its_tenant_and_its_detail_is_never_logged(
    flow: Any,
    audit_db: asyncpg.Connection,
    token: Callable[..., str],
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    secret = f"Bruising on the forearm {uuid.uuid4().hex}"
    audit = await flow.in_state("SUBMITTED")
    response = await flow.client.post(
        f"/v1/audits/{audit['id']}/safeguarding-concerns",
        json={"raised_by": "tm-1", "detail": secret},
        headers=flow.headers,
    )
    assert response.status_code == 201, response.text
    concern = response.json()
    location = response.headers["location"]
    assert location == f"/v1/audits/{audit['id']}/safeguarding-concerns/{concern['id']}"

    read = await flow.client.get(location, headers=auth(token("audits:read"), actor="reader-1"))
    assert read.status_code == 200, read.text
    assert read.json() == concern and read.json()["detail"] == secret
    assert read.headers["etag"] == '"1"'
    logged = await audit_db.fetch(
        "SELECT client, actor, action FROM access_log"
        " WHERE resource_type = 'safeguarding_concern' AND resource_id = $1 ORDER BY id",
        concern["id"],
    )
    assert [tuple(r) for r in logged] == [("dev-client", "reader-1", "read")]

    # Only audits:read holders of the tenant: another tenant's is 404 (and not logged), a
    # token without the scope is 403; a concern under another audit or an unknown id is 404.
    medway = await flow.client.get(location, headers=auth(token("audits:read", tenant="887")))
    assert medway.status_code == 404 and secret not in medway.text
    writer_only = await flow.client.get(location, headers=auth(token("audits:write")))
    assert writer_only.status_code == 403 and secret not in writer_only.text
    other = await flow.in_state("SCHEDULED")
    for path in (
        f"/v1/audits/{other['id']}/safeguarding-concerns/{concern['id']}",
        f"/v1/audits/{audit['id']}/safeguarding-concerns/{uuid.uuid4()}",
        f"/v1/audits/{audit['id']}/safeguarding-concerns/not-a-uuid",
        f"/v1/audits/not-a-uuid/safeguarding-concerns/{concern['id']}",
    ):
        missing = await flow.client.get(path, headers=flow.headers)
        assert missing.status_code == 404, path
        assert missing.headers["content-type"] == "application/problem+json"
    assert (
        len(
            await audit_db.fetch(
                "SELECT 1 FROM access_log WHERE resource_type = 'safeguarding_concern'"
                " AND resource_id = $1",
                concern["id"],
            )
        )
        == 1
    )

    # Whatever the service logged meanwhile, the detail is not in it.
    out, err = capfd.readouterr()
    assert secret not in out and secret not in err and secret not in caplog.text


async def test_a_concern_cannot_be_dated_in_the_future(flow: Any) -> None:
    audit = await flow.in_state("SUBMITTED")
    problem = await flow.call(
        "POST",
        f"/v1/audits/{audit['id']}/safeguarding-concerns",
        422,
        {"raised_by": "tm-1", "detail": "x", "raised_on": "2999-01-01"},
    )
    assert problem["errors"][0]["field"] == "body.raised_on"
