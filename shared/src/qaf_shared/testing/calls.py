"""The HTTP calls the services' integration tests make over and over: create a resource, or
post to one, insisting on the status the test expects (the response's text shown when not)."""

from __future__ import annotations

from typing import Any

import httpx


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


async def refused(
    client: httpx.AsyncClient,
    path: str,
    body: dict[str, Any],
    headers: dict[str, str],
    field: str,
) -> None:
    """POST `body` to `path`, which must refuse it as a problem+json 422 naming `field`."""
    response = await client.post(path, json=body, headers=headers)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert any(e["field"] == field for e in response.json()["errors"]), response.json()
