"""POST /v1/activity, POST /v1/activity/withdrawals and GET /v1/activity/records through HTTP
on the real database: results per record, identity by natural key, the merge, derived facts
corrected by late records, withdrawals, the list and its access log, and the outbox rows."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import httpx
import pytest

from qaf_shared.testing.fixtures import auth

POST = "/v1/activity"
WITHDRAW = "/v1/activity/withdrawals"
LIST = "/v1/activity/records"


def child() -> str:
    """A child_ref of this test alone (the database is shared by the session's tests)."""
    return f"C{uuid.uuid4().hex[:12]}"


def referral(child_ref: str, on: str = "2025-05-01", **facts: Any) -> dict[str, Any]:
    return {"kind": "referral", "child_ref": child_ref, "referral_date": on, **facts}


Post = Callable[..., Awaitable[list[dict[str, Any]]]]


@pytest.fixture
def post(activity_client: httpx.AsyncClient, writer: dict[str, str]) -> Post:
    """`await post(*records)`: one batch of the writer's; its results. `to=WITHDRAW`: a batch
    of withdrawals."""

    async def send(*records: dict[str, Any], to: str = POST) -> list[dict[str, Any]]:
        response = await activity_client.post(to, json={"records": list(records)}, headers=writer)
        assert response.status_code == 200, response.text
        results: list[dict[str, Any]] = response.json()["results"]
        return results

    return send


async def outbox(db: asyncpg.Connection, record_id: str) -> list[dict[str, Any]]:
    rows = await db.fetch(
        "SELECT type, payload FROM outbox WHERE aggregateid = $1 ORDER BY seq", record_id
    )
    return [{"type": r["type"], **r["payload"]["data"]} for r in rows]


Listed = Callable[..., Awaitable[list[dict[str, Any]]]]


@pytest.fixture
def listed(activity_client: httpx.AsyncClient, writer: dict[str, str]) -> Listed:
    """`await listed(**params)`: the list's items, as the writer or as `headers=`."""

    async def get(headers: dict[str, str] = writer, **params: str) -> list[dict[str, Any]]:
        response = await activity_client.get(LIST, params=params, headers=headers)
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["items"]
        return items

    return get


async def test_a_batch_is_answered_per_record_and_the_same_batch_again_is_unchanged_and_silent(
    post: Post, activity_db: asyncpg.Connection
) -> None:
    c = child()
    batch = [
        referral(c, referral_source="3A", primary_need="N1", team="ASH-CIN1"),
        {"kind": "assessment", "child_ref": c, "start_date": "2025-05-03",
         "referral_date": "2025-05-01", "factors": ["1A", "21"]},
        {"kind": "visit", "child_ref": c, "visit_date": "2025-05-05", "plan_type": "CIN",
         "seen": True, "service": "FRONT_DOOR"},
    ]  # fmt: skip
    first = await post(*batch)
    assert [r["status"] for r in first] == ["ACCEPTED"] * 3
    assert [r["index"] for r in first] == [0, 1, 2]
    published = await activity_db.fetchval("SELECT count(*) FROM outbox")

    again = await post(*batch)

    assert [r["status"] for r in again] == ["UNCHANGED"] * 3
    assert [r["id"] for r in again] == [r["id"] for r in first]
    assert await activity_db.fetchval("SELECT count(*) FROM outbox") == published
    [event] = await outbox(activity_db, first[0]["id"])
    assert event["type"] == "uk.gov.qa.activity.referral.recorded.v1"
    assert event["org_unit"] == {"area": "SOUTH", "district": "ASHFORD", "team": "ASH-CIN1"}
    assert event["referral_source"] == "3A" and event["version"] == 1


async def test_an_unknown_kind_or_a_malformed_record_is_that_records_rejection_not_the_batchs(
    post: Post,
) -> None:
    c = child()
    results = await post(
        {"kind": "contact", "child_ref": c, "contact_date": "2025-05-01"},
        "not an object",  # type: ignore[arg-type]
        referral(c, on="01/05/2025"),
        referral(c, colour="blue"),
        {"kind": "referral", "child_ref": c},
        referral(c),
    )
    assert [r["status"] for r in results] == ["REJECTED"] * 5 + ["ACCEPTED"]
    rules = [{e["rule"] for e in r.get("errors", [])} for r in results]
    assert rules[:5] == [
        {"unknown_kind"},
        {"invalid"},
        {"invalid"},
        {"unknown_field"},
        {"required"},
    ]
    assert results[2]["errors"][0]["field"] == "referral_date"
    # An error never echoes the value that broke the rule.
    assert "01/05/2025" not in str(results[2]) and "blue" not in str(results[3])


async def test_a_batch_of_no_records_or_more_than_a_thousand_is_422(
    activity_client: httpx.AsyncClient, writer: dict[str, str]
) -> None:
    c = child()
    for records in ([], [referral(c, on=f"2025-01-{1 + i % 28:02d}") for i in range(1001)]):
        response = await activity_client.post(POST, json={"records": records}, headers=writer)
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"


async def test_writes_need_the_actor_and_the_write_scope(
    activity_client: httpx.AsyncClient, token: Callable[..., str]
) -> None:
    body = {"records": [referral(child())]}
    no_actor = await activity_client.post(
        POST, json=body, headers=auth(token("activity:write"), actor=None)
    )
    reader = await activity_client.post(POST, json=body, headers=auth(token("activity:read")))
    assert no_actor.status_code == 422
    assert reader.status_code == 403


async def test_each_rule_broken_rejects_the_record_naming_field_and_rule_never_the_value(
    post: Post, activity_db: asyncpg.Connection
) -> None:
    c = child()
    results = await post(
        referral(c, on="2025-03-01", referral_source="ZZ"),
        referral(c, on="2025-03-02", closure_date="2025-03-01"),
        referral(c, on="2099-01-01"),
        referral(c, on="1999-12-31"),
        referral(c, on="2025-03-03", team="NOWHERE-1"),
        {"kind": "cp_plan", "child_ref": c, "start_date": "2025-03-01", "previous_plans": -1},
        {"kind": "assessment", "child_ref": c, "start_date": "2025-03-01"},
    )
    assert [r["status"] for r in results] == ["REJECTED"] * 7
    assert [(e["field"], e["rule"]) for r in results for e in r["errors"]] == [
        ("referral_source", "code_not_in_list"),
        ("closure_date", "date_order"),
        ("referral_date", "date_in_future"),
        ("referral_date", "date_too_early"),
        ("team", "unknown_team"),
        ("previous_plans", "negative"),
        ("referral_date", "required"),
    ]
    assert "ZZ" not in str(results[0]) and "NOWHERE-1" not in str(results[4])
    stored = await activity_db.fetchval(
        "SELECT count(*) FROM activity_records WHERE child_ref = $1", c
    )
    assert stored == 0


async def test_an_icpc_before_its_s47_start_is_kept_with_a_warning(post: Post) -> None:
    c = child()
    [result] = await post(
        {"kind": "s47_enquiry", "child_ref": c, "start_date": "2025-04-10",
         "referral_date": "2025-04-01", "icpc_date": "2025-04-09"},
    )  # fmt: skip
    assert result["status"] == "ACCEPTED"
    assert [(w["field"], w["rule"]) for w in result["warnings"]] == [
        ("icpc_date", "icpc_before_s47_start")
    ]


async def test_a_fact_left_out_keeps_its_value_null_clears_it_and_adding_a_team_is_accepted(
    post: Post, listed: Listed, activity_db: asyncpg.Connection
) -> None:
    c = child()
    [created] = await post(referral(c, referral_source="6", nfa=False))
    [team_added] = await post(referral(c, team="DOV-CP1"))
    [partial] = await post(referral(c, primary_need="N4"))
    [cleared] = await post(referral(c, team=None, nfa=None))

    assert [r["status"] for r in (created, team_added, partial, cleared)] == ["ACCEPTED"] * 4
    [record] = await listed(child_ref=c)
    assert record["referral_source"] == "6" and record["primary_need"] == "N4"
    assert record["nfa"] is None and record["team"] is None and record["area"] is None
    assert record["version"] == 4
    versions = [e["version"] for e in await outbox(activity_db, created["id"])]
    assert versions == [1, 2, 3, 4]


async def test_a_late_earlier_referral_makes_the_later_one_a_re_referral(
    post: Post, listed: Listed, activity_db: asyncpg.Connection
) -> None:
    c = child()
    [later] = await post(referral(c, on="2025-06-01"))
    [event] = await outbox(activity_db, later["id"])
    assert event["re_referral_12m"] is False

    [earlier] = await post(referral(c, on="2025-01-15"))

    assert earlier["status"] == "ACCEPTED"
    _, second = await outbox(activity_db, later["id"])
    assert second["type"] == "uk.gov.qa.activity.referral.recorded.v1"
    assert second["re_referral_12m"] is True and second["version"] == 2
    [earlier_event] = await outbox(activity_db, earlier["id"])
    assert earlier_event["re_referral_12m"] is False
    later_listed = await listed(child_ref=c, **{"from": "2025-06-01"})
    assert [r["derived"] for r in later_listed] == [{"re_referral_12m": True}]


async def test_a_withdrawn_record_leaves_the_list_and_the_history_and_comes_back_when_written(
    post: Post, listed: Listed, activity_db: asyncpg.Connection
) -> None:
    c = child()
    earlier, later = await post(referral(c, on="2025-01-15"), referral(c, on="2025-06-01"))
    results = await post(
        {"kind": "referral", "child_ref": c, "referral_date": "2025-01-15"},
        {"kind": "referral", "child_ref": c, "referral_date": "2025-02-01"},
        {"kind": "referral", "child_ref": c},
        to=WITHDRAW,
    )
    assert [r["status"] for r in results] == ["WITHDRAWN", "NOT_FOUND", "REJECTED"]
    assert results[0]["id"] == earlier["id"]
    assert [r["id"] for r in await listed(child_ref=c)] == [later["id"]]
    withdrawal = (await outbox(activity_db, earlier["id"]))[-1]
    assert withdrawal["type"] == "uk.gov.qa.activity.referral.withdrawn.v1"
    assert withdrawal["key_date"] == "2025-01-15" and withdrawal["version"] == 2
    # Without the earlier referral the later one is no re-referral any more.
    assert (await outbox(activity_db, later["id"]))[-1]["re_referral_12m"] is False

    [back] = await post(referral(c, on="2025-01-15"))

    assert back == {"index": 0, "status": "ACCEPTED", "id": earlier["id"]}
    assert len(await listed(child_ref=c)) == 2
    assert (await outbox(activity_db, earlier["id"]))[-1]["version"] == 3


async def test_overlapping_care_episodes_of_one_child_are_rejected(post: Post) -> None:
    c = child()

    def episode(start: str, end: str | None = None) -> dict[str, Any]:
        return {"kind": "care_episode", "child_ref": c, "start_date": start, "end_date": end,
                "reason_new_episode": "S", "legal_status": "C2", "placement": "U1"}  # fmt: skip

    first = await post(episode("2025-01-01", "2025-03-01"))
    results = await post(
        episode("2025-03-01"),  # begins the day the first ends: no overlap
        episode("2025-02-01", "2025-02-20"),
        episode("2025-04-01"),  # the one before is still open
    )
    assert first[0]["status"] == "ACCEPTED"
    assert [r["status"] for r in results] == ["ACCEPTED", "REJECTED", "REJECTED"]
    assert {e["rule"] for r in results[1:] for e in r["errors"]} == {"episodes_overlap"}


async def test_the_same_natural_key_twice_in_one_batch_rejects_the_second(post: Post) -> None:
    c = child()
    results = await post(referral(c), referral(c, primary_need="N2"))
    assert [r["status"] for r in results] == ["ACCEPTED", "REJECTED"]
    assert results[1]["errors"][0]["rule"] == "duplicate_key"


async def test_the_list_filters_by_kind_child_unit_and_key_date_and_logs_each_record_read(
    post: Post,
    listed: Listed,
    activity_client: httpx.AsyncClient,
    activity_db: asyncpg.Connection,
    writer: dict[str, str],
) -> None:
    c = child()
    results = await post(
        referral(c, on="2025-02-01", team="CAN-CP1"),
        referral(c, on="2025-08-01", team="THA-CP1"),
        {"kind": "cp_plan", "child_ref": c, "start_date": "2025-02-10", "service": "FOSTERING",
         "review_dates": ["2025-05-10"]},
    )  # fmt: skip
    ids = [r["id"] for r in results]

    # One batch's records share their created_at: the list orders them by id after it.
    assert sorted(r["id"] for r in await listed(child_ref=c)) == sorted(ids)
    by_kind = await listed(child_ref=c, kind="cp_plan")
    assert [r["id"] for r in by_kind] == ids[2:]
    assert by_kind[0]["review_dates"] == ["2025-05-10"] and by_kind[0]["kind"] == "cp_plan"
    by_team = await listed(child_ref=c, team="THA-CP1")
    assert [r["id"] for r in by_team] == ids[1:2]
    by_area = await listed(child_ref=c, area="EAST", to="2025-03-01")
    assert [r["id"] for r in by_area] == ids[:1]
    by_service = await listed(child_ref=c, service="FOSTERING")
    assert [r["id"] for r in by_service] == ids[2:]
    logged = await activity_db.fetchval(
        "SELECT count(*) FROM access_log WHERE resource_type = 'activity_record' "
        "AND resource_id = $1 AND action = 'list'",
        ids[0],
    )
    assert logged == 2  # listed by child, then by area
    unknown = await activity_client.get(LIST, params={"team": "NOWHERE-1"}, headers=writer)
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "query.team"


async def test_another_tenant_sees_none_of_the_records(
    post: Post, listed: Listed, token: Callable[..., str]
) -> None:
    c = child()
    await post(referral(c))
    medway = auth(token("activity:read", tenant="887"))
    assert await listed(child_ref=c, headers=medway) == []


async def test_events_carry_child_key_and_never_child_ref(
    post: Post, activity_db: asyncpg.Connection
) -> None:
    c, other = child(), child()
    first, second = await post(referral(c), referral(other))
    [a], [b] = await outbox(activity_db, first["id"]), await outbox(activity_db, second["id"])
    assert c not in str(a) and "child_ref" not in a
    assert len(a["child_key"]) == 64 and a["child_key"] != b["child_key"]
    [again] = await post(referral(c, on="2025-05-02"))
    assert (await outbox(activity_db, again["id"]))[0]["child_key"] == a["child_key"]


async def test_a_retry_with_the_same_idempotency_key_answers_the_first_results(
    activity_client: httpx.AsyncClient, writer: dict[str, str]
) -> None:
    body = {"records": [referral(child())]}
    headers = {**writer, "Idempotency-Key": uuid.uuid4().hex}
    first = await activity_client.post(POST, json=body, headers=headers)
    second = await activity_client.post(POST, json=body, headers=headers)
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    assert first.json()["results"][0]["status"] == "ACCEPTED"
