"""The HTTP calls the services' integration tests make over and over: create a resource, or
post to one, insisting on the status the test expects (the response's text shown when not);
and the checks every write service's tests make of them (a refused write writes nothing, a
retried create creates once, a read is access-logged)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import httpx

# What a test counts in the service's tables (rows of each table it cares about).
Counts = Callable[[], Awaitable[tuple[int, ...]]]
# `await create(client, headers, **changes)`, as `creator` makes it.
Create = Callable[..., Awaitable[dict[str, Any]]]
# `await step(client, headers, resource, step, body, expected=200)`, as `stepper` makes it.
Step = Callable[..., Awaitable[dict[str, Any]]]


def changed(base: dict[str, Any], change: dict[str, Any]) -> dict[str, Any]:
    """`base` with `change` applied, a None in `change` leaving that field out."""
    return {k: v for k, v in {**base, **change}.items() if v is not None}


async def created(
    client: httpx.AsyncClient, path: str, body: dict[str, Any], headers: dict[str, str]
) -> dict[str, Any]:
    """POST `body` to the collection at `path`, which must answer 201; the created resource."""
    return await posted(client, path, body, headers, expected=201)


async def posted(
    client: httpx.AsyncClient,
    path: str,
    body: dict[str, Any],
    headers: dict[str, str],
    expected: int = 200,
) -> dict[str, Any]:
    """POST `body` to `path`, which must answer `expected`; the answer's JSON."""
    response = await client.post(path, json=body, headers=headers)
    assert response.status_code == expected, response.text
    answer: dict[str, Any] = response.json()
    return answer


def creator(path: str, base: dict[str, Any]) -> Create:
    """`create(client, headers, **changes)`: POST `base` with `changes` to the collection at
    `path`, which must answer 201; the created resource."""

    async def create(
        client: httpx.AsyncClient, headers: dict[str, str], **changes: Any
    ) -> dict[str, Any]:
        return await created(client, path, {**base, **changes}, headers)

    return create


def stepper(path: str) -> Step:
    """`step(client, headers, resource, step, body, expected=200)`: POST `body` to the step
    `step` of `resource` (a resource of the collection at `path`), which must answer
    `expected` (a problem+json when it is an error); the answer."""

    async def step(
        client: httpx.AsyncClient,
        headers: dict[str, str],
        resource: dict[str, Any],
        step: str,
        body: dict[str, Any],
        expected: int = 200,
    ) -> dict[str, Any]:
        response = await client.post(f"{path}/{resource['id']}/{step}", json=body, headers=headers)
        assert response.status_code == expected, response.text
        if expected >= 400:
            assert response.headers["content-type"] == "application/problem+json"
        answer: dict[str, Any] = response.json()
        return answer

    return step


async def refused(
    client: httpx.AsyncClient,
    path: str,
    body: dict[str, Any],
    headers: dict[str, str],
    field: str,
    counts: Counts | None = None,
) -> None:
    """POST `body` to `path`, which must refuse it as a problem+json 422 naming `field`; and,
    with `counts`, write nothing it counts."""
    before = await counts() if counts else None
    response = await client.post(path, json=body, headers=headers)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert any(e["field"] == field for e in response.json()["errors"]), response.json()
    if counts:
        assert await counts() == before


async def actor_required(
    client: httpx.AsyncClient, path: str, body: dict[str, Any], headers: dict[str, str]
) -> None:
    """POST `body` to `path` with `headers`, which carry no X-Actor: a 422 naming the header."""
    response = await client.post(path, json=body, headers=headers)
    assert response.status_code == 422
    assert any(e["field"] == "header.X-Actor" for e in response.json()["errors"])


async def created_once(
    counts: Counts,
    client: httpx.AsyncClient,
    path: str,
    body: dict[str, Any],
    headers: dict[str, str],
) -> None:
    """One row more of each table `counts` counts, however often `body` is POSTed to the
    collection at `path` with one Idempotency-Key: both answers are the one resource's 201;
    the key with another body is 422 and writes nothing."""
    headers = {**headers, "Idempotency-Key": f"key-{uuid.uuid4()}"}
    before = await counts()
    first = await client.post(path, json=body, headers=headers)
    second = await client.post(path, json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second.headers["location"] == first.headers["location"]
    once = tuple(n + 1 for n in before)
    assert await counts() == once
    reused = await client.post(path, json={**body, "case_ref": "OTHER"}, headers=headers)
    assert reused.status_code == 422
    assert await counts() == once


async def read_and_logged(
    client: httpx.AsyncClient,
    path: str,
    resource: dict[str, Any],
    headers: dict[str, str],
    db: asyncpg.Connection,
) -> httpx.Response:
    """GET `path`, which must answer `resource` as it was written; the read, and nothing
    else of it, is in the access log (the dev token's client, the headers' actor staff-1)."""
    response = await client.get(path, headers=headers)
    assert response.status_code == 200 and response.json() == resource
    logged = await db.fetch(
        "SELECT client, actor, action FROM access_log WHERE resource_id = $1", resource["id"]
    )
    assert [tuple(r) for r in logged] == [("dev-client", "staff-1", "read")]
    return response
