"""GET and PUT /v1/team-aliases through HTTP on the real database, and the lookup the return
loads use."""

from __future__ import annotations

from collections.abc import Callable

import asyncpg
import httpx

from activity_service.handlers.team_aliases import read_aliases, resolve
from qaf_shared.testing.fixtures import auth

PATH = "/v1/team-aliases"


async def test_put_replaces_the_tenants_whole_mapping_and_get_shows_names_as_given(
    activity_client: httpx.AsyncClient,
    activity_db: asyncpg.Connection,
    token: Callable[..., str],
) -> None:
    # A tenant of its own: Medway's mapping is this test's alone.
    medway = auth(token("activity:write activity:read", tenant="887"))
    teams = (await activity_client.get("/v1/org-units", headers=medway)).json()["areas"][0]
    first, second = teams["districts"][0]["teams"][:2]
    put = await activity_client.put(
        PATH,
        json={"aliases": {"Chatham CIN Team": first, "Gillingham  CP": second}},
        headers=medway,
    )
    assert put.status_code == 200, put.text

    replaced = await activity_client.put(
        PATH, json={"aliases": {"Gillingham CP": second}}, headers=medway
    )

    assert replaced.status_code == 200, replaced.text
    got = await activity_client.get(PATH, headers=medway)
    assert got.json() == {"aliases": {"Gillingham CP": second}}
    assert await resolve(activity_db, "887", "gillingham   cp") == second
    assert await resolve(activity_db, "887", "Chatham CIN Team") is None
    assert (await read_aliases(activity_db, "887")).resolve("GILLINGHAMCP") == second
    assert await resolve(activity_db, "886", "Gillingham CP") is None


async def test_an_unknown_team_code_or_two_names_that_match_is_422_naming_each_alias(
    activity_client: httpx.AsyncClient, writer: dict[str, str]
) -> None:
    before = (await activity_client.get(PATH, headers=writer)).json()
    response = await activity_client.put(
        PATH,
        json={
            "aliases": {"Ashford CIN": "ASH-CIN1", "ashford cin": "ASH-CP1", "Nowhere": "NOPE-1"}
        },
        headers=writer,
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    fields = [e["field"] for e in response.json()["errors"]]
    assert fields == ["body.aliases.ashford cin", "body.aliases.Nowhere"]
    assert (await activity_client.get(PATH, headers=writer)).json() == before


async def test_reading_needs_the_read_scope_and_writing_the_write_scope_and_an_actor(
    activity_client: httpx.AsyncClient, token: Callable[..., str]
) -> None:
    body = {"aliases": {}}
    assert (await activity_client.get(PATH, headers=auth(token("audits:read")))).status_code == 403
    reader = auth(token("activity:read"))
    assert (await activity_client.put(PATH, json=body, headers=reader)).status_code == 403
    no_actor = auth(token("activity:write"), actor=None)
    assert (await activity_client.put(PATH, json=body, headers=no_actor)).status_code == 422
