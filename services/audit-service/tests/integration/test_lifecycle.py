"""The audit lifecycle over HTTP against real PostgreSQL: each step's answer, what it
stores, and exactly one outbox event of the right type per state change."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import httpx
import pytest

from audit_service.domain.moderation import select
from qaf_shared.testing.fixtures import auth

from .statuses import STATES


async def test_an_audit_goes_through_moderation_to_closed_with_one_event_per_change(
    moderated_flow: Any, outbox: Callable[[str], Any], token: Callable[..., str]
) -> None:
    flow = moderated_flow
    audit = await flow.schedule()
    assert (audit["status"], audit["template"]) == (
        "SCHEDULED",
        {"id": "kent-case-file", "version": 1},
    )
    assert await outbox(audit["id"]) == ["scheduled"]

    audit = await flow.draft(audit, {"answers": {"child_seen_alone": "YES"}})
    assert (audit["status"], audit["version"]) == ("IN_PROGRESS", 2)
    assert await outbox(audit["id"]) == ["scheduled"]  # drafting is no business fact

    audit = await flow.submit(audit, overall_grade="REQUIRES_IMPROVEMENT")
    assert (audit["status"], audit["final_grade"], audit["submission_number"]) == (
        "SUBMITTED",
        "REQUIRES_IMPROVEMENT",
        1,
    )
    assert await outbox(audit["id"]) == ["scheduled", "submitted"]

    audit = await flow.peer_review(audit, "AGREED", comment="well evidenced")
    assert audit["status"] == "MODERATION" and audit["moderation_selected"] is True
    choice = audit["moderation_selection"]
    assert choice["rate"] == 1.0 and choice["decided_on"] == audit["peer_reviews"][0]["reviewed_on"]
    # The recorded seed reproduces the choice.
    assert select(choice["rate"], choice["seed"]).draw == choice["draw"]
    assert audit["peer_reviews"][0]["comment"] == "well evidenced"
    assert await outbox(audit["id"]) == [
        "scheduled",
        "submitted",
        "peer_reviewed",
        "moderation_selected",
    ]

    # Moderation needs audits:moderate; audits:write is not enough.
    refused = await flow.client.post(
        f"/v1/audits/{audit['id']}/moderation",
        json={"moderator": "mo-1", "grade": "GOOD"},
        headers=flow.headers,
    )
    assert refused.status_code == 403
    audit = await flow.moderate(audit, grade="GOOD", rationale="stronger than graded")
    assert audit["status"] == "MODERATED"
    assert audit["moderation"]["grade_before"] == "REQUIRES_IMPROVEMENT"
    assert audit["moderation"]["grade"] == audit["final_grade"] == "GOOD"
    assert audit["overall_grade"] == "REQUIRES_IMPROVEMENT"  # the auditor's grade is kept
    audit = await flow.close(audit)
    assert audit["status"] == "CLOSED" and audit["closed_on"] is not None
    assert (await outbox(audit["id"]))[-2:] == ["moderated", "closed"]


async def test_an_audit_not_chosen_for_moderation_closes_with_the_reviewers_grade(
    flow: Any, outbox: Callable[[str], Any], audit_db: asyncpg.Connection
) -> None:
    audit = await flow.in_state("SUBMITTED")
    audit = await flow.peer_review(audit, "REGRADED", grade="INADEQUATE")
    assert audit["status"] == "PEER_REVIEWED" and audit["moderation_selected"] is False
    assert audit["final_grade"] == "INADEQUATE" and audit["overall_grade"] == "GOOD"
    await flow.moderate(audit, expect=409)
    audit = await flow.close(audit, closed_on=audit["peer_reviews"][0]["reviewed_on"])
    assert audit["status"] == "CLOSED"
    assert await outbox(audit["id"]) == [
        "scheduled",
        "submitted",
        "peer_reviewed",
        "moderation_selected",
        "closed",
    ]
    payloads = {
        r["type"].split(".")[-2]: r["payload"]["data"]
        for r in await audit_db.fetch(
            "SELECT type, payload FROM outbox WHERE aggregateid = $1", audit["id"]
        )
    }
    assert payloads["peer_reviewed"]["reviewer_grade"] == "INADEQUATE"
    assert payloads["peer_reviewed"]["auditor_grade"] == "GOOD"
    assert payloads["moderation_selected"]["selected"] is False
    assert payloads["closed"]["final_grade"] == "INADEQUATE"


async def test_a_returned_audit_is_resubmitted_and_counts_by_its_latest_submission(
    flow: Any,
    outbox: Callable[[str], Any],
    audit_db: asyncpg.Connection,
    days_ago: Callable[[int], str],
) -> None:
    audit = await flow.in_state("SUBMITTED")
    audit = await flow.peer_review(audit, "RETURNED", reviewed_on=days_ago(9))
    assert (audit["status"], audit["final_grade"], audit["moderation_selected"]) == (
        "IN_PROGRESS",
        None,
        None,
    )
    assert audit["returned_on"] == days_ago(9)
    # Submitted once, it is a record: it cannot be cancelled any more.
    problem = await flow.cancel(audit, expect=409)
    assert "stays a record" in problem["detail"]
    # A resubmission cannot predate the return.
    bad = await flow.submit(audit, expect=422, submitted_on=days_ago(10))
    assert bad["errors"][0]["field"] == "body.submitted_on"
    audit = await flow.submit(audit, overall_grade="OUTSTANDING", submitted_on=days_ago(7))
    assert (audit["submission_number"], audit["submitted_on"], audit["final_grade"]) == (
        2,
        days_ago(7),
        "OUTSTANDING",
    )
    audit = await flow.peer_review(audit, "AGREED", reviewed_on=days_ago(6))
    assert [r["outcome"] for r in audit["peer_reviews"]] == ["RETURNED", "AGREED"]
    assert [r["submission_number"] for r in audit["peer_reviews"]] == [1, 2]
    assert await outbox(audit["id"]) == [
        "scheduled",
        "submitted",
        "peer_reviewed",
        "submitted",
        "peer_reviewed",
        "moderation_selected",
    ]
    numbers = await audit_db.fetch(
        "SELECT payload->'data'->>'submission_number' AS n, payload->'data'->>'final_grade' AS g"
        " FROM outbox WHERE aggregateid = $1 AND type LIKE '%.peer_reviewed.v1' ORDER BY seq",
        audit["id"],
    )
    assert [(r["n"], r["g"]) for r in numbers] == [("1", None), ("2", "OUTSTANDING")]


STEPS = ["draft", "submit", "peer_review", "moderate", "close", "cancel"]
ALLOWED = {
    ("draft", "SCHEDULED"),
    ("draft", "IN_PROGRESS"),
    ("submit", "SCHEDULED"),
    ("submit", "IN_PROGRESS"),
    ("peer_review", "SUBMITTED"),
    ("moderate", "MODERATION"),
    ("close", "PEER_REVIEWED"),
    ("close", "MODERATED"),
    ("cancel", "SCHEDULED"),
    ("cancel", "IN_PROGRESS"),
}


@pytest.mark.parametrize("status", STATES)
async def test_every_step_answers_409_where_it_does_not_apply_and_changes_nothing(
    status: str, flow: Any, moderated_flow: Any, outbox: Callable[[str], Any]
) -> None:
    driver = moderated_flow if status in ("MODERATION", "MODERATED") else flow
    for step in STEPS:
        audit = await driver.in_state(status)
        before = await outbox(audit["id"])
        if step == "draft":
            answer = await driver.draft(
                audit, {}, expect=409 if (step, status) not in ALLOWED else 200
            )
        else:
            expect = 200 if (step, status) in ALLOWED else 409
            answer = await getattr(driver, step)(audit, expect=expect)
        if (step, status) in ALLOWED:
            assert answer["status"] != status or step == "draft"
        else:
            assert status in answer["detail"], answer
            assert await outbox(audit["id"]) == before
            current = await driver.call("GET", f"/v1/audits/{audit['id']}", 200)
            assert (current["status"], current["version"]) == (status, audit["version"])


async def test_drafts_need_if_match_and_a_stale_one_changes_nothing(flow: Any) -> None:
    audit = await flow.schedule()
    path = f"/v1/audits/{audit['id']}"
    await flow.call("PATCH", path, 428, {"commentary": "x"})
    await flow.call("PATCH", path, 412, {"commentary": "x"}, **{"If-Match": '"9"'})
    current = await flow.call("GET", path, 200)
    assert (current["status"], current["version"], current["commentary"]) == (
        "SCHEDULED",
        1,
        None,
    )
    # Lifecycle POSTs take If-Match too, optionally.
    await flow.call(
        "POST",
        f"{path}/cancel",
        412,
        None,
        **{"If-Match": '"2"'},
    )
    cancelled = await flow.call("POST", f"{path}/cancel", 200, None, **{"If-Match": '"1"'})
    assert cancelled["status"] == "CANCELLED"


async def test_drafts_merge_answers_and_are_checked_against_the_template(flow: Any) -> None:
    audit = await flow.schedule()
    audit = await flow.draft(
        audit,
        {
            "answers": {"child_seen_alone": "YES", "lived_experience_score": 7},
            "section_grades": {"assessment": "GOOD"},
            "themes": ["CHILD_VOICE", "CHILD_VOICE"],
        },
    )
    audit = await flow.draft(
        audit, {"answers": {"child_seen_alone": None, "strengths": "Good rapport"}}
    )
    assert audit["answers"] == {"lived_experience_score": 7, "strengths": "Good rapport"}
    assert audit["section_grades"] == {"assessment": "GOOD"} and audit["themes"] == ["CHILD_VOICE"]
    problem = await flow.draft(
        audit,
        {
            "answers": {"lived_experience_score": 11, "no_such_question": "YES"},
            "section_grades": {"summary": "GOOD"},
        },
        expect=422,
    )
    assert {e["field"] for e in problem["errors"]} == {
        "body.answers.lived_experience_score",
        "body.answers.no_such_question",
        "body.section_grades.summary",
    }
    again = await flow.call("GET", f"/v1/audits/{audit['id']}", 200)
    assert again["version"] == audit["version"]


async def test_a_submission_is_checked_against_the_template_and_merges_answers(flow: Any) -> None:
    audit = await flow.schedule()
    audit = await flow.draft(audit, {"answers": {"child_seen_alone": "NO"}})
    bad = await flow.submit(audit, expect=422, answers={"visits_in_timescale": "YES"})
    assert bad["errors"][0]["field"] == "body.answers.visits_in_timescale"
    submitted = await flow.submit(
        audit,
        answers={"visits_in_timescale": "COMPLIANT"},
        section_grades={"statutory_visits": "GOOD"},
    )
    assert submitted["answers"] == {"child_seen_alone": "NO", "visits_in_timescale": "COMPLIANT"}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"outcome": "REGRADED"}, "body.grade"),
        ({"outcome": "REGRADED", "grade": "GOOD"}, "body.grade"),  # same as the auditor's
        ({"grade": "GOOD"}, "body.grade"),
        ({"reviewed_on": "2020-01-01"}, "body.reviewed_on"),  # before the submission
        ({"outcome": "MAYBE"}, "body.outcome"),
    ],
)
async def test_a_peer_review_that_breaks_a_rule_names_the_field_and_changes_nothing(
    flow: Any, outbox: Callable[[str], Any], changes: dict[str, Any], field: str
) -> None:
    audit = await flow.in_state("SUBMITTED")
    problem = await flow.peer_review(audit, **{"expect": 422, **changes})
    assert [e["field"] for e in problem["errors"]] == [field]
    assert await outbox(audit["id"]) == ["scheduled", "submitted"]


async def test_a_moderator_is_not_the_auditor_nor_the_peer_reviewer(moderated_flow: Any) -> None:
    # One rule, one answer: the person named in the body is held to separation of duties
    # exactly as the caller's X-Actor is (test_separation_of_duties has the rest).
    audit = await moderated_flow.in_state("MODERATION")
    for person in ("tm-1", "pr-1"):
        problem = await moderated_flow.moderate(audit, expect=403, moderator=person)
        assert problem["type"].endswith("/separation-of-duties")


async def test_moderation_records_a_grade_unchanged_as_agreement(
    moderated_flow: Any, audit_db: asyncpg.Connection
) -> None:
    audit = await moderated_flow.in_state("MODERATION")
    audit = await moderated_flow.moderate(audit, grade="GOOD")
    assert audit["moderation"]["grade_before"] == audit["moderation"]["grade"] == "GOOD"
    data = await audit_db.fetchval(
        "SELECT payload->'data' FROM outbox WHERE aggregateid = $1 AND type LIKE '%moderated.v1'",
        audit["id"],
    )
    assert (data["grade_before"], data["moderated_grade"], data["final_grade"]) == (
        "GOOD",
        "GOOD",
        "GOOD",
    )


async def test_the_package_rate_sends_about_a_tenth_to_moderation(
    audit_client: httpx.AsyncClient, token: Callable[..., str], make_flow: Callable[..., Any]
) -> None:
    flow = make_flow(audit_client, auth(token("audits:write audits:read")))
    chosen = []
    for _ in range(40):
        audit = await flow.in_state("SUBMITTED")
        reviewed = await flow.peer_review(audit)
        selection = reviewed["moderation_selection"]
        assert selection["rate"] == 0.10
        assert selection["selected"] is (selection["draw"] < 0.10)
        assert reviewed["status"] == ("MODERATION" if selection["selected"] else "PEER_REVIEWED")
        chosen.append(selection["selected"])
    # 40 draws at 10%: all chosen or none chosen beyond 4 of 40 would be very unlikely.
    assert sum(chosen) <= 14


async def test_events_carry_the_unit_and_programme_and_never_free_text(
    flow: Any, audit_db: asyncpg.Connection
) -> None:
    programme = await flow.programme(
        {
            "kind": "MONTHLY",
            "name": "Ashford monthly",
            "period": "2026-06",
            "due_date": "2026-07-01",
        },
    )
    audit = await flow.in_state("CLOSED", programme_id=programme["id"], case_ref="SECRET-REF")
    await flow.call(
        "POST",
        f"/v1/audits/{audit['id']}/safeguarding-concerns",
        201,
        {"raised_by": "tm-1", "detail": "SECRET detail about a child"},
    )
    await flow.call(
        "POST",
        f"/v1/audits/{audit['id']}/actions",
        201,
        {"description": "SECRET action text", "owner": "sw-1"},
    )
    rows = await audit_db.fetch("SELECT payload FROM outbox WHERE aggregateid = $1", audit["id"])
    assert len(rows) == 7
    for row in rows:
        data = row["payload"]["data"]
        assert data["org_unit"] == {"area": "SOUTH", "district": "ASHFORD", "team": "ASH-CP1"}
        assert data["programme_id"] == programme["id"] and data["programme_kind"] == "MONTHLY"
        assert data["plan_type"] == "CP" and row["payload"]["subject"] == audit["id"]
        assert "SECRET" not in str(row["payload"])


async def test_every_write_records_the_client_and_actor(
    flow: Any, audit_db: asyncpg.Connection, append_only: Callable[[str], Awaitable[None]]
) -> None:
    audit = await flow.in_state("CLOSED")
    logged = await audit_db.fetch(
        "SELECT change, from_status, to_status, client, actor FROM change_log"
        " WHERE resource_id = $1 ORDER BY id",
        uuid.UUID(audit["id"]),
    )
    assert [tuple(r) for r in logged] == [
        ("scheduled", None, "SCHEDULED", "dev-client", "staff-1"),
        ("submitted", "SCHEDULED", "SUBMITTED", "dev-client", "tm-1"),  # the auditor
        ("peer_reviewed", "SUBMITTED", "PEER_REVIEWED", "dev-client", "staff-1"),
        ("closed", "PEER_REVIEWED", "CLOSED", "dev-client", "staff-1"),
    ]
    row = await audit_db.fetchrow(
        "SELECT created_by_actor, updated_by_actor, updated_by_client FROM audits WHERE id = $1",
        uuid.UUID(audit["id"]),
    )
    assert tuple(row) == ("staff-1", "staff-1", "dev-client")
    # The service's role may not change it; its owner hits the append-only trigger.
    await append_only("UPDATE change_log SET actor = 'x'")
