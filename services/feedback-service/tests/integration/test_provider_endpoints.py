"""The commissioned provider's integration against real PostgreSQL: per-item answers in a
batch, one record per external id under concurrency, isolation between providers and
tenants, reports, submissions, and the rate limit."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import asyncpg
import httpx

from feedback_service.api.schemas.provider import ProviderBatchResult
from feedback_service.main import create_app
from feedback_service.settings import FeedbackSettings
from qaf_shared.quarters import previous_quarter, quarter_of
from qaf_shared.testing.fixtures import auth, serve

TODAY = date.today()
# Two days on: still ahead of the service's (UTC) today if the run crosses midnight, or the
# machine's zone is not UTC (the module is imported once, before the tests run).
FUTURE = TODAY + timedelta(days=2)
Headers = Callable[..., dict[str, str]]


def item(external_id: str, **changes: Any) -> dict[str, Any]:
    return {
        "external_id": external_id,
        "source": "ADVOCACY",
        "case_ref": "CASE-P1",
        "team": "ASH-CP1",
        "received_on": TODAY.isoformat(),
        "answers": {"felt_listened_to": 5, "views_represented": 4},
        "comment": "my advocate helped",
        **changes,
    }


def run_id() -> str:
    return uuid.uuid4().hex[:8]


async def _submit(
    client: httpx.AsyncClient, headers: dict[str, str], items: list[Any]
) -> dict[str, Any]:
    response = await client.post("/v1/provider/feedback", json={"items": items}, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    ProviderBatchResult.model_validate(body)
    return body


async def test_a_mixed_batch_keeps_the_good_items_and_says_why_each_bad_one_failed(
    feedback_client: httpx.AsyncClient,
    provider_token: Headers,
    writer: dict[str, str],
    feedback_db: asyncpg.Connection,
) -> None:
    run = run_id()
    headers = provider_token()
    items: list[Any] = [
        item(f"{run}-good-1"),
        item(f"{run}-bad-team", team="NOWHERE"),
        item(f"{run}-good-2", source="INDEPENDENT_VISITOR", answers={"enjoys_visits": 5}),
        item(f"{run}-bad-answer", answers={"felt_listened_to": 9}),
        item(f"{run}-bad-question", answers={"liked_the_biscuits": 3}),
        item(f"{run}-bad-source", source="STAFF"),
        item(f"{run}-future", received_on=FUTURE.isoformat()),
        {k: v for k, v in item("x").items() if k != "external_id"},
        "not an object",
        item(f"{run}-good-1", comment="sent twice in one batch"),
        item(f"{run}-good-3", service="FOSTERING", team=None, case_ref=None),
    ]
    body = await _submit(feedback_client, headers, items)
    statuses = [(r["index"], r["external_id"], r["status"]) for r in body["results"]]
    assert statuses == [
        (0, f"{run}-good-1", "ACCEPTED"),
        (1, f"{run}-bad-team", "REJECTED"),
        (2, f"{run}-good-2", "ACCEPTED"),
        (3, f"{run}-bad-answer", "REJECTED"),
        (4, f"{run}-bad-question", "REJECTED"),
        (5, f"{run}-bad-source", "REJECTED"),
        (6, f"{run}-future", "REJECTED"),
        (7, None, "REJECTED"),
        (8, None, "REJECTED"),
        (9, f"{run}-good-1", "DUPLICATE"),
        (10, f"{run}-good-3", "ACCEPTED"),
    ]
    assert (body["accepted"], body["duplicates"], body["rejected"]) == (3, 1, 7)
    errors = {
        r["index"]: [e["field"] for e in r["errors"]] for r in body["results"] if "errors" in r
    }
    assert errors == {
        1: ["team"],
        3: ["answers.felt_listened_to"],
        4: ["answers.liked_the_biscuits"],
        5: ["source"],
        6: ["received_on"],
        7: ["external_id"],
        8: ["item"],
    }
    results = body["results"]
    assert results[9]["id"] == results[0]["id"]
    assert "id" not in results[1] and "errors" not in results[0]

    # Stored once each, listed with the direct feedback, and one event each naming the provider.
    stored = await feedback_db.fetch(
        "SELECT id, external_id, provider, created_by_actor FROM feedback_items "
        "WHERE external_id LIKE $1 ORDER BY external_id",
        f"{run}-%",
    )
    assert [(r["external_id"], r["provider"], r["created_by_actor"]) for r in stored] == [
        (f"{run}-good-1", "brighter-futures", None),
        (f"{run}-good-2", "brighter-futures", None),
        (f"{run}-good-3", "brighter-futures", None),
    ]
    listed = await feedback_client.get(
        "/v1/feedback", params={"source": "INDEPENDENT_VISITOR", "limit": 200}, headers=writer
    )
    mine = [i for i in listed.json()["items"] if i["external_id"] == f"{run}-good-2"]
    assert len(mine) == 1 and mine[0]["provider"] == "brighter-futures"
    events = await feedback_db.fetch(
        "SELECT payload FROM outbox WHERE aggregateid = ANY($1::text[])",
        [str(r["id"]) for r in stored],
    )
    assert len(events) == 3
    assert {e["payload"]["data"]["provider"] for e in events} == {"brighter-futures"}
    assert "my advocate helped" not in str([e["payload"] for e in events])

    # The same batch again: nothing new, the same ids.
    again = await _submit(feedback_client, headers, items)
    assert [r["status"][0] for r in again["results"]] == list("DRDRRRRRRDD")
    assert again["results"][0]["id"] == results[0]["id"]
    assert again["results"][10]["id"] == results[10]["id"]
    assert (
        await feedback_db.fetchval(
            "SELECT count(*) FROM feedback_items WHERE external_id LIKE $1", f"{run}-%"
        )
        == 3
    )


async def test_items_postgresql_cannot_store_are_rejected_not_a_server_error(
    feedback_client: httpx.AsyncClient, provider_token: Headers
) -> None:
    # What schemathesis once found: a NUL in an answer's key and in an external id came back
    # in the per-item errors, which are kept with the submission (jsonb refuses NUL).
    raw = (
        '{"items": ['
        '{"external_id": "nul-key", "source": "ADVOCACY", "team": "ASH-CP1",'
        ' "received_on": "2026-01-05", "answers": {"a\\u0000": 1}},'
        '{"external_id": "nul\\u0000id", "source": "ADVOCACY"},'
        '{"external_id": "lone\\ud800", "source": "ADVOCACY"},'
        '{"external_id": "nul-comment", "source": "ADVOCACY", "team": "ASH-CP1",'
        ' "received_on": "2026-01-05", "comment": "x\\u0000"}]}'
    )
    response = await feedback_client.post(
        "/v1/provider/feedback",
        content=raw.encode(),
        headers={**provider_token(), "content-type": "application/json"},
    )
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["REJECTED"] * 4
    assert results[1]["external_id"] == "nul\ufffdid" and results[2]["external_id"] == "lone?"
    assert [e["field"] for e in results[3]["errors"]] == ["comment"]


async def test_the_same_batch_sent_concurrently_makes_one_record_per_external_id(
    feedback_client: httpx.AsyncClient, provider_token: Headers, feedback_db: asyncpg.Connection
) -> None:
    run = run_id()
    items = [item(f"{run}-{n:03d}") for n in range(60)]
    headers = provider_token()
    answers = await asyncio.gather(*[_submit(feedback_client, headers, items) for _ in range(4)])
    stored = await feedback_db.fetch(
        "SELECT external_id, id FROM feedback_items WHERE external_id LIKE $1", f"{run}-%"
    )
    assert len(stored) == 60
    ids = {r["external_id"]: str(r["id"]) for r in stored}
    for index in range(60):
        statuses = sorted(a["results"][index]["status"] for a in answers)
        assert statuses == ["ACCEPTED", "DUPLICATE", "DUPLICATE", "DUPLICATE"]
        assert {a["results"][index]["id"] for a in answers} == {ids[f"{run}-{index:03d}"]}
    events = await feedback_db.fetchval(
        "SELECT count(*) FROM outbox WHERE aggregateid = ANY($1::text[])", list(ids.values())
    )
    assert events == 60


async def test_a_provider_sees_only_its_own_submissions(
    feedback_client: httpx.AsyncClient, provider_token: Headers
) -> None:
    run = run_id()
    mine = provider_token(f"mine-{run}")
    other = provider_token(f"other-{run}")
    same_name_elsewhere = provider_token(f"mine-{run}", tenant="887", subject="medway-client")
    ours = await _submit(feedback_client, mine, [item(f"{run}-shared")])
    theirs = await _submit(feedback_client, other, [item(f"{run}-shared")])
    medway_item = item(f"{run}-shared", team="CHA-CP1")
    units = (
        await feedback_client.get("/v1/provider/reference-data", headers=same_name_elsewhere)
    ).json()
    medway_item["team"] = units["areas"][0]["districts"][0]["teams"][0]
    elsewhere = await _submit(feedback_client, same_name_elsewhere, [medway_item])
    # The same external id from another provider or tenant is a record of its own.
    assert [r["status"] for r in (*ours["results"], *theirs["results"], *elsewhere["results"])] == [
        "ACCEPTED"
    ] * 3
    assert (
        len({ours["results"][0]["id"], theirs["results"][0]["id"], elsewhere["results"][0]["id"]})
        == 3
    )

    async def listed(headers: dict[str, str]) -> list[str]:
        response = await feedback_client.get("/v1/provider/submissions", headers=headers)
        assert response.status_code == 200, response.text
        return [s["id"] for s in response.json()["items"]]

    assert await listed(mine) == [ours["submission_id"]]
    assert await listed(other) == [theirs["submission_id"]]
    assert await listed(same_name_elsewhere) == [elsewhere["submission_id"]]
    for headers, foreign in [
        (other, ours["submission_id"]),
        (same_name_elsewhere, ours["submission_id"]),
        (mine, elsewhere["submission_id"]),
    ]:
        response = await feedback_client.get(f"/v1/provider/submissions/{foreign}", headers=headers)
        assert response.status_code == 404
    detail = await feedback_client.get(
        f"/v1/provider/submissions/{ours['submission_id']}", headers=mine
    )
    assert detail.status_code == 200
    assert detail.json()["results"] == ours["results"]
    assert (detail.json()["kind"], detail.json()["accepted"]) == ("FEEDBACK_BATCH", 1)
    by_item = await feedback_client.get(
        "/v1/provider/submissions", params={"external_id": f"{run}-shared"}, headers=mine
    )
    assert [s["id"] for s in by_item.json()["items"]] == [ours["submission_id"]]


async def test_the_quarterly_report_is_accepted_once_per_quarter(
    feedback_client: httpx.AsyncClient, provider_token: Headers, feedback_db: asyncpg.Connection
) -> None:
    headers = provider_token(f"reporter-{run_id()}", actor="pw-17")
    quarter = previous_quarter(quarter_of(TODAY))
    report = {
        "quarter": quarter,
        "referrals_received": 41,
        "children_advocated_for": 37,
        "issues_by_theme": {"PLACEMENT": 12, "CIC_REVIEW": 9},
        "outcomes_achieved": 30,
        "iv_matched": 8,
        "iv_waiting": 3,
    }
    response = await feedback_client.post("/v1/provider/reports", json=report, headers=headers)
    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["location"] == f"/v1/provider/reports/{body['id']}"
    assert body["issues_by_theme"] == {"PLACEMENT": 12, "CIC_REVIEW": 9}
    fetched = await feedback_client.get(response.headers["location"], headers=headers)
    assert fetched.status_code == 200 and fetched.json() == body
    again = await feedback_client.post(
        "/v1/provider/reports", json={**report, "referrals_received": 42}, headers=headers
    )
    assert again.status_code == 409 and body["id"] in again.json()["detail"]
    payload = await feedback_db.fetchval(
        "SELECT payload FROM outbox WHERE aggregateid = $1", body["id"]
    )
    assert payload["type"] == "uk.gov.qa.feedback.provider_report_received.v1"
    assert payload["data"]["referrals_received"] == 41 and payload["data"]["quarter"] == quarter
    actor = await feedback_db.fetchval(
        "SELECT created_by_actor FROM provider_reports WHERE id = $1::uuid", body["id"]
    )
    assert actor == "pw-17"
    submissions = await feedback_client.get(
        "/v1/provider/submissions", params={"kind": "REPORT"}, headers=headers
    )
    assert [(s["report_id"], s["quarter"]) for s in submissions.json()["items"]] == [
        (body["id"], quarter)
    ]
    other_provider = provider_token("someone-else")
    assert (
        await feedback_client.get(response.headers["location"], headers=other_provider)
    ).status_code == 404


async def test_bad_reports_name_the_field(
    feedback_client: httpx.AsyncClient, provider_token: Headers
) -> None:
    good = {
        "quarter": quarter_of(TODAY),
        "referrals_received": 1,
        "children_advocated_for": 1,
        "outcomes_achieved": 1,
        "iv_matched": 0,
        "iv_waiting": 0,
    }
    next_year = quarter_of(TODAY + timedelta(days=400))
    for change, field in [
        ({"quarter": next_year}, "body.quarter"),
        ({"quarter": "2026-Q1"}, "body.quarter"),
        ({"iv_waiting": -1}, "body.iv_waiting"),
        ({"issues_by_theme": {"GARDENING": 1}}, "body.issues_by_theme.GARDENING.[key]"),
        ({"referrals_received": "5"}, "body.referrals_received"),
    ]:
        response = await feedback_client.post(
            "/v1/provider/reports", json={**good, **change}, headers=provider_token()
        )
        assert response.status_code == 422, response.text
        assert any(e["field"] == field for e in response.json()["errors"]), response.json()


async def test_the_batch_itself_must_hold_1_to_500_items(
    feedback_client: httpx.AsyncClient, provider_token: Headers
) -> None:
    run = run_id()
    full = await _submit(
        feedback_client, provider_token(), [item(f"{run}-{n}") for n in range(500)]
    )
    assert full["accepted"] == 500
    for body in [{"items": []}, {"items": [item(str(n)) for n in range(501)]}, {"items": "x"}, {}]:
        response = await feedback_client.post(
            "/v1/provider/feedback", json=body, headers=provider_token()
        )
        assert response.status_code == 422, response.text


async def test_a_batch_with_an_idempotency_key_answers_the_first_response_again(
    feedback_client: httpx.AsyncClient, provider_token: Headers
) -> None:
    headers = {**provider_token(), "Idempotency-Key": f"batch-{run_id()}"}
    items = [item(f"{run_id()}-a")]
    first = await feedback_client.post(
        "/v1/provider/feedback", json={"items": items}, headers=headers
    )
    second = await feedback_client.post(
        "/v1/provider/feedback", json={"items": items}, headers=headers
    )
    assert first.json() == second.json() and first.json()["results"][0]["status"] == "ACCEPTED"


async def test_only_a_provider_token_may_submit(
    feedback_client: httpx.AsyncClient, token: Callable[..., str], writer: dict[str, str]
) -> None:
    no_claim = auth(token("provider:submit"))
    for headers in (no_claim, writer):
        response = await feedback_client.post(
            "/v1/provider/feedback", json={"items": [item("x")]}, headers=headers
        )
        assert response.status_code == 403
    assert (
        await feedback_client.get("/v1/provider/submissions", headers=writer)
    ).status_code == 403


async def test_reference_data_gives_the_provider_what_valid_items_need(
    feedback_client: httpx.AsyncClient, provider_token: Headers
) -> None:
    response = await feedback_client.get("/v1/provider/reference-data", headers=provider_token())
    assert response.status_code == 200
    body = response.json()
    assert body["tenant"] == "886" and "FOSTERING" in body["services"]
    assert set(body["question_sets"]) == {"ADVOCACY", "INDEPENDENT_VISITOR"}
    assert "PLACEMENT" in body["themes"]


async def test_a_client_over_its_rate_is_told_when_to_retry(
    feedback_dsn: str, topic_prefix: str, provider_token: Headers
) -> None:
    settings = FeedbackSettings(
        database_url=feedback_dsn,
        kafka_topic_prefix=topic_prefix,
        relay_enabled=False,
        provider_rate_burst=3,
        provider_rate_per_second=0.1,
    )
    busy, calm = provider_token(subject="busy-client"), provider_token(subject="calm-client")
    async with serve(create_app(settings)) as client:
        answers = [
            (await client.get("/v1/provider/submissions", headers=busy)).status_code
            for _ in range(4)
        ]
        assert answers == [200, 200, 200, 429]
        limited = await client.post(
            "/v1/provider/feedback", json={"items": [item("x")]}, headers=busy
        )
        assert limited.status_code == 429
        assert limited.headers["content-type"] == "application/problem+json"
        assert 1 <= int(limited.headers["retry-after"]) <= 10
        assert (await client.get("/v1/provider/submissions", headers=calm)).status_code == 200
