"""Listing escalations: the filters, and pages that follow the cursor (every escalation listed
is access-logged)."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import asyncpg
import httpx
import pytest

from qaf_shared.testing.fixtures import auth
from qaf_shared.testing.units import UNIT_FILTERS, UnitFilter

from .calls import (
    NEW,
    RESPONSE,
    raise_escalation,
    take_step,
)


class TestListing:
    async def test_filters_narrow_the_list(
        self, escalation_client: httpx.AsyncClient, token: Callable[..., str]
    ) -> None:
        # A tenant of its own (Medway's tree) keeps the other tests' escalations out.
        headers = auth(token("escalations:read escalations:write", tenant="887"))
        marker = f"LIST-{uuid.uuid4().hex[:8]}"
        medway = {**NEW, "team": "STR-CP1"}
        made = {
            "open_overdue": await raise_escalation(
                escalation_client,
                headers,
                **{
                    **medway,
                    "case_ref": marker,
                    "raised_on": "2026-05-04",
                    "categories": ["HEALTH"],
                },
            ),
            "answered": await raise_escalation(
                escalation_client,
                headers,
                **{**medway, "case_ref": marker, "raised_on": "2026-05-05"},
            ),
            "service": await raise_escalation(
                escalation_client,
                headers,
                **{
                    **medway,
                    "team": None,
                    "service": "ADOPTION",
                    "case_ref": marker,
                    "raised_on": "2026-05-06",
                },
            ),
            "formal": await raise_escalation(
                escalation_client,
                headers,
                **{
                    **medway,
                    "case_ref": marker,
                    "raised_on": "2026-05-07",
                    "stage": "HEAD_OF_SERVICE",
                    "bypass_reason": "x",
                    "categories": ["RESOURCES", "HEALTH"],
                },
            ),
        }
        await take_step(escalation_client, headers, made["answered"], "responses", RESPONSE)
        wanted = {v["id"]: k for k, v in made.items()}

        async def names(**query: str) -> set[str]:
            params = {"limit": "200", "raised_from": "2026-05-04", "raised_to": "2026-05-07"}
            response = await escalation_client.get(
                "/v1/escalations", params={**params, **query}, headers=headers
            )
            assert response.status_code == 200, response.text
            return {wanted[e["id"]] for e in response.json()["items"] if e["id"] in wanted}

        team_units = {"open_overdue", "answered", "formal"}
        assert await names() == set(made)
        assert await names(status="RESPONSE_RECEIVED") == {"answered"}
        assert await names(stage="HEAD_OF_SERVICE") == {"formal"}
        assert await names(category="HEALTH") == {"open_overdue", "formal"}
        assert await names(area="NORTH") == team_units
        assert await names(area="SOUTH") == set()
        assert await names(district="STROOD") == team_units
        assert await names(team="STR-CP1") == team_units
        assert await names(service="ADOPTION") == {"service"}
        assert await names(overdue="true") == {"open_overdue", "service", "formal"}
        assert await names(overdue="false") == {"answered"}
        assert await names(raised_from="2026-05-06") == {"service", "formal"}
        assert await names(raised_to="2026-05-05") == {"open_overdue", "answered"}
        assert await names(status="WITHDRAWN") == set()
        bad = await escalation_client.get("/v1/escalations?status=NOPE", headers=headers)
        assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "query.status"

    async def test_pages_follow_the_cursor_without_gaps_or_repeats_and_are_access_logged(
        self,
        escalation_client: httpx.AsyncClient,
        token: Callable[..., str],
        escalation_db: asyncpg.Connection,
    ) -> None:
        headers = auth(token("escalations:read escalations:write", tenant="887"), actor="reader-9")
        made = [
            (
                await raise_escalation(
                    escalation_client, headers, team="STR-CP1", raised_on="2026-01-05"
                )
            )["id"]
            for _ in range(5)
        ]
        seen: list[str] = []
        cursor: str | None = None
        while True:
            query = "limit=2&raised_to=2026-01-05" + (f"&cursor={cursor}" if cursor else "")
            response = await escalation_client.get(f"/v1/escalations?{query}", headers=headers)
            assert response.status_code == 200
            body = response.json()
            assert len(body["items"]) <= 2
            seen.extend(e["id"] for e in body["items"])
            cursor = body["next_cursor"]
            if cursor is None:
                break
        assert [i for i in seen if i in made] == made
        assert len(seen) == len(set(seen))
        logged = await escalation_db.fetchval(
            "SELECT count(*) FROM access_log WHERE actor = 'reader-9' AND resource_id = ANY($1)",
            made,
        )
        assert logged == len(made)
        bad = await escalation_client.get("/v1/escalations?cursor=nonsense", headers=headers)
        assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "query.cursor"


@pytest.mark.parametrize("unit_filter", UNIT_FILTERS)
async def test_a_unit_filter_narrows_the_list_to_a_known_unit_and_an_unknown_one_is_422(
    escalation_client: httpx.AsyncClient,
    token: Callable[..., str],
    unit_filter: UnitFilter,
) -> None:
    await unit_filter.check(escalation_client, "/v1/escalations", auth(token("escalations:read")))
