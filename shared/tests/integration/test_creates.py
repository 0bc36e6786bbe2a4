"""`Creates`, the one way a create route that reads before it writes runs: the handler run in
the write's transaction on the business date, the new record answered 201 with its ETag and
Location, written once per Idempotency-Key, and nothing kept of a create that fails."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

import asyncpg
import httpx
from fastapi import FastAPI, Request
from starlette.responses import Response

from qaf_shared.http.auth import Principal
from qaf_shared.http.creates import CreateCall, Creates
from qaf_shared.rules import RuleBroken
from qaf_shared.testing.apps import bare_app, send

PRINCIPAL = Principal(client="client-1", tenant="886", scopes=frozenset({"things:write"}))
# 23:30 UTC on 30 June is 1 July in London (British Summer Time): the business date.
INSTANT = datetime(2026, 6, 30, 23, 30, tzinfo=UTC)


class Making:
    """A thing's create: it logs the new thing's id in the write's transaction (so that what a
    failed create kept can be counted), then answers its row or, when told to, fails after."""

    def __init__(self, *, fail: bool = False) -> None:
        self.fail = fail
        self.runs: list[date] = []
        self.made: list[str] = []

    async def __call__(self, conn: asyncpg.Connection, on: date) -> asyncpg.Record:
        self.runs.append(on)
        ident = uuid.uuid4()
        self.made.append(str(ident))
        await conn.execute(
            "INSERT INTO access_log (tenant, client, resource_type, resource_id, action) "
            "VALUES ('886', 'client-1', 'thing', $1, 'create')",
            str(ident),
        )
        if self.fail:
            raise RuleBroken("name", "A thing needs a name.")
        row: asyncpg.Record = await conn.fetchrow("SELECT $1::uuid AS id, 1 AS version", ident)
        return row


async def _shape(
    conn: asyncpg.Connection, rows: Sequence[asyncpg.Record], on: date
) -> list[dict[str, Any]]:
    return [{"id": str(r["id"]), "version": r["version"], "made_on": on.isoformat()} for r in rows]


def app_for(pool: asyncpg.Pool, making: Making) -> FastAPI:
    app = bare_app(pool=pool, instant=INSTANT, idempotency_ttl_hours=48)
    creates = Creates(_shape, lambda row: f"/v1/things/{row['id']}")

    @app.post("/v1/things")
    async def create(request: Request) -> Response:
        key = request.headers.get("Idempotency-Key")
        return await creates.create(CreateCall(request, PRINCIPAL, "staff-1", key), making)

    return app


async def _post(app: FastAPI, headers: dict[str, str] | None = None) -> httpx.Response:
    return await send(app, "POST", "/v1/things", headers=headers or {})


async def _logged(pool: asyncpg.Pool, ident: str) -> int:
    count: int = await pool.fetchval(
        "SELECT count(*) FROM access_log WHERE resource_type = 'thing' AND resource_id = $1",
        ident,
    )
    return count


async def test_a_create_answers_201_with_the_new_record_its_etag_and_location(
    pool: asyncpg.Pool,
) -> None:
    making = Making()
    answer = await _post(app_for(pool, making))
    assert answer.status_code == 201
    body = answer.json()
    assert body == {"id": body["id"], "version": 1, "made_on": "2026-07-01"}
    assert answer.headers["etag"] == '"1"'
    assert answer.headers["location"] == f"/v1/things/{body['id']}"
    assert making.runs == [date(2026, 7, 1)]
    assert await _logged(pool, body["id"]) == 1


async def test_a_retry_with_the_same_key_answers_the_first_response(pool: asyncpg.Pool) -> None:
    making = Making()
    app = app_for(pool, making)
    key = {"Idempotency-Key": f"make-{uuid.uuid4()}"}
    first = await _post(app, key)
    retry = await _post(app, key)
    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    assert retry.headers["location"] == first.headers["location"]
    # The retry ran, met the key and was rolled back: only the first thing was kept.
    assert len(making.made) == 2
    assert first.json()["id"] == making.made[0]
    assert [await _logged(pool, ident) for ident in making.made] == [1, 0]


async def test_a_failed_create_keeps_nothing_and_its_key_stays_free(pool: asyncpg.Pool) -> None:
    failing = Making(fail=True)
    key = {"Idempotency-Key": f"make-{uuid.uuid4()}"}
    refused = await _post(app_for(pool, failing), key)
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    assert await _logged(pool, failing.made[0]) == 0
    making = Making()
    retried = await _post(app_for(pool, making), key)
    assert retried.status_code == 201
    assert retried.json()["id"] == making.made[0]
    assert await _logged(pool, making.made[0]) == 1
