"""Separation of duties over HTTP: whoever submitted an audit (the `X-Actor` of any submit
call, or its auditor) may not peer review or moderate it, and its peer reviewer (the
`X-Actor` of a peer-review call, or the `reviewer` it named) may not moderate it. Such a
step is 403 problem+json naming the rule, and writes nothing: no row change, no change log
row, no outbox event, no Idempotency-Key row."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import asyncpg
import httpx
import pytest

from qaf_shared.testing.fixtures import auth


class Duties:
    """Steps on one audit, each taken by a named person."""

    def __init__(
        self, client: httpx.AsyncClient, token: Callable[..., str], days_ago: Callable[[int], str]
    ) -> None:
        self.client = client
        self.token = token
        self.days_ago = days_ago

    def writer(self, actor: str) -> dict[str, str]:
        return auth(self.token("audits:write audits:read"), actor=actor)

    def moderator(self, actor: str) -> dict[str, str]:
        return auth(self.token("audits:moderate audits:read"), actor=actor)

    async def scheduled(self) -> str:
        body = {
            "case_ref": "CASE-SOD",
            "team": "ASH-CP1",
            "plan_type": "CP",
            "auditor": "tm-1",
            "due_date": self.days_ago(-30),
        }
        response = await self.client.post("/v1/audits", json=body, headers=self.writer("sched-1"))
        assert response.status_code == 201, response.text
        audit_id: str = response.json()["id"]
        return audit_id

    async def submit(self, audit_id: str, actor: str, days_ago: int = 10) -> httpx.Response:
        body = {
            "overall_grade": "GOOD",
            "themes": [],
            "child_voice_evident": True,
            "submitted_on": self.days_ago(days_ago),
        }
        return await self.client.post(
            f"/v1/audits/{audit_id}/submit", json=body, headers=self.writer(actor)
        )

    async def peer_review(
        self,
        audit_id: str,
        actor: str,
        reviewer: str,
        outcome: str = "AGREED",
        days_ago: int = 8,
        key: str | None = None,
    ) -> httpx.Response:
        body = {"reviewer": reviewer, "outcome": outcome, "reviewed_on": self.days_ago(days_ago)}
        headers = self.writer(actor)
        if key is not None:
            headers["Idempotency-Key"] = key
        return await self.client.post(
            f"/v1/audits/{audit_id}/peer-review", json=body, headers=headers
        )

    async def moderate(
        self, audit_id: str, actor: str, moderator: str = "mo-1", **headers: str
    ) -> httpx.Response:
        body = {"moderator": moderator, "grade": "GOOD", "moderated_on": self.days_ago(5)}
        return await self.client.post(
            f"/v1/audits/{audit_id}/moderation",
            json=body,
            headers={**self.moderator(actor), **headers},
        )

    async def in_moderation(self, *, submitter: str, review_caller: str, reviewer: str) -> str:
        audit_id = await self.scheduled()
        assert (await self.submit(audit_id, submitter)).status_code == 200
        reviewed = await self.peer_review(audit_id, review_caller, reviewer)
        assert reviewed.status_code == 200, reviewed.text
        assert reviewed.json()["status"] == "MODERATION"
        return audit_id


async def _written(db: asyncpg.Connection, audit_id: str) -> tuple[Any, ...]:
    """Everything a step writes about an audit: its row, its change log, its events."""
    ident = uuid.UUID(audit_id)
    row = await db.fetchrow("SELECT * FROM audits WHERE id = $1", ident)
    changes = await db.fetch(
        "SELECT change, actor FROM change_log WHERE resource_id = $1 ORDER BY id", ident
    )
    events = await db.fetch("SELECT type FROM outbox WHERE aggregateid = $1 ORDER BY seq", audit_id)
    return dict(row), [tuple(c) for c in changes], [e["type"] for e in events]


async def _keys(db: asyncpg.Connection, key: str) -> int:
    count: int = await db.fetchval("SELECT count(*) FROM idempotency_keys WHERE key = $1", key)
    return count


def _refused(response: httpx.Response, rule: str, *people: str) -> None:
    """403 problem+json naming the rule (and none of the people)."""
    assert response.status_code == 403, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"].endswith("/separation-of-duties") and problem["status"] == 403
    assert rule in problem["detail"], problem
    for person in people:
        assert person not in response.text


@pytest.fixture
def duties(
    always_moderated: httpx.AsyncClient, token: Callable[..., str], days_ago: Callable[[int], str]
) -> Duties:
    return Duties(always_moderated, token, days_ago)


async def test_the_submitter_may_not_peer_review_and_nothing_is_written(
    duties: Duties, audit_db: asyncpg.Connection
) -> None:
    audit_id = await duties.scheduled()
    assert (await duties.submit(audit_id, "sub-1")).status_code == 200
    before = await _written(audit_db, audit_id)
    key = f"k-{uuid.uuid4()}"

    refused = await duties.peer_review(audit_id, "sub-1", "pr-1", key=key)
    _refused(refused, "may not peer review", "sub-1", "pr-1")
    assert await _written(audit_db, audit_id) == before
    assert await _keys(audit_db, key) == 0

    # The submitter named as the reviewer by someone else is refused alike.
    _refused(await duties.peer_review(audit_id, "staff-9", "sub-1"), "may not peer review")
    assert await _written(audit_db, audit_id) == before
    # So is the audit's auditor, named in the body: the same rule, the same answer.
    _refused(await duties.peer_review(audit_id, "staff-9", "tm-1"), "may not peer review")
    assert await _written(audit_db, audit_id) == before

    # Another person may; the key stored nothing, so with it this is a new request.
    done = await duties.peer_review(audit_id, "pr-1", "pr-1", key=key)
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "MODERATION"
    assert await _keys(audit_db, key) == 1


async def test_the_submitter_and_the_peer_reviewer_may_not_moderate(
    duties: Duties, audit_db: asyncpg.Connection
) -> None:
    audit_id = await duties.in_moderation(
        submitter="sub-1", review_caller="rev-caller", reviewer="pr-1"
    )
    before = await _written(audit_db, audit_id)
    attempts = [
        ("rev-caller", "mo-1", "peer reviewer may not moderate"),  # X-Actor of the review
        ("pr-1", "mo-1", "peer reviewer may not moderate"),  # the reviewer it named
        ("sub-1", "mo-1", "may not moderate"),  # X-Actor of the submission
        ("tm-1", "mo-1", "may not moderate"),  # the auditor
        ("mod-officer", "sub-1", "may not moderate"),  # the submitter named as moderator
        ("mod-officer", "rev-caller", "peer reviewer may not moderate"),
    ]
    for actor, moderator, rule in attempts:
        key = f"k-{uuid.uuid4()}"
        refused = await duties.moderate(audit_id, actor, moderator, **{"Idempotency-Key": key})
        _refused(refused, rule, actor, moderator)
        assert await _written(audit_db, audit_id) == before, (actor, moderator)
        assert await _keys(audit_db, key) == 0

    done = await duties.moderate(audit_id, "mod-officer", "mo-1")
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "MODERATED"
    _, changes, events = await _written(audit_db, audit_id)
    assert changes[-1] == ("moderated", "mod-officer")
    assert events[-1] == "uk.gov.qa.audit.moderated.v1"


async def test_whoever_took_a_step_in_an_earlier_round_stays_bound(
    duties: Duties, audit_db: asyncpg.Connection
) -> None:
    """A returned audit resubmitted by someone else: its first submitter still may not
    review it, and whoever returned it may not moderate it."""
    audit_id = await duties.scheduled()
    assert (await duties.submit(audit_id, "sub-1", days_ago=12)).status_code == 200
    returned = await duties.peer_review(audit_id, "pr-2", "pr-2", "RETURNED", days_ago=11)
    assert returned.json()["status"] == "IN_PROGRESS"
    assert (await duties.submit(audit_id, "sub-2", days_ago=10)).status_code == 200

    before = await _written(audit_db, audit_id)
    _refused(await duties.peer_review(audit_id, "sub-1", "pr-3"), "may not peer review")
    assert await _written(audit_db, audit_id) == before

    reviewed = await duties.peer_review(audit_id, "pr-3", "pr-3")
    assert reviewed.json()["status"] == "MODERATION", reviewed.text
    before = await _written(audit_db, audit_id)
    _refused(await duties.moderate(audit_id, "pr-2"), "peer reviewer may not moderate")
    assert await _written(audit_db, audit_id) == before
    assert (await duties.moderate(audit_id, "mod-officer")).status_code == 200
