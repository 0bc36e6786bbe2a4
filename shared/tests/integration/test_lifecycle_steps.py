"""`LifecycleSteps`, the one way a step route runs: the path's id parsed (malformed: 404,
before anything runs), the business date read from the app's clock, the step written once
per Idempotency-Key, and the record answered as it stands after the step."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import asyncpg
import httpx
from fastapi import FastAPI, Header, Request
from starlette.responses import Response

from qaf_shared.http.auth import Principal
from qaf_shared.http.resources import StoredResponse
from qaf_shared.http.steps import LifecycleSteps
from qaf_shared.rules import StepNotAllowed
from qaf_shared.testing.apps import bare_app, send

PRINCIPAL = Principal(client="client-1", tenant="886", scopes=frozenset({"audits:write"}))
# 23:30 UTC on 30 June is 1 July in London (British Summer Time): the business date.
INSTANT = datetime(2026, 6, 30, 23, 30, tzinfo=UTC)


class Closing:
    """A thing's close step: the first run closes it, any later one finds it closed."""

    def __init__(self) -> None:
        self.runs: list[tuple[uuid.UUID, date]] = []

    async def __call__(
        self, conn: asyncpg.Connection, ident: uuid.UUID, on: date
    ) -> dict[str, str]:
        self.runs.append((ident, on))
        if len(self.runs) > 1:
            raise StepNotAllowed("A CLOSED thing cannot be closed.")
        await conn.execute("SELECT 1")
        return {"id": str(ident), "status": "CLOSED"}


async def _after_step(conn: asyncpg.Connection, row: dict[str, str], on: date) -> StoredResponse:
    return StoredResponse(200, {**row, "answered_on": on.isoformat()}, {"ETag": '"2"'})


def app_for(pool: asyncpg.Pool, closing: Closing) -> FastAPI:
    app = bare_app(pool=pool, instant=INSTANT, idempotency_ttl_hours=48)
    steps = LifecycleSteps("thing", _after_step)

    @app.post("/v1/things/{thing_id}/close")
    async def close(
        request: Request,
        thing_id: str,
        idempotency_key: str | None = Header(default=None, alias="Idempotency-Key"),
    ) -> Response:
        return await steps.run(request, PRINCIPAL, idempotency_key, thing_id, closing)

    return app


async def _post(app: FastAPI, path: str, headers: dict[str, str] | None = None) -> httpx.Response:
    return await send(app, "POST", path, headers=headers or {})


async def test_a_step_answers_the_record_after_it_on_the_business_date(pool: asyncpg.Pool) -> None:
    closing = Closing()
    ident = uuid.uuid4()
    answer = await _post(app_for(pool, closing), f"/v1/things/{ident}/close")
    assert answer.status_code == 200
    assert answer.json() == {"id": str(ident), "status": "CLOSED", "answered_on": "2026-07-01"}
    assert answer.headers["etag"] == '"2"'
    assert closing.runs == [(ident, date(2026, 7, 1))]


async def test_a_malformed_id_is_404_and_nothing_runs(pool: asyncpg.Pool) -> None:
    closing = Closing()
    answer = await _post(app_for(pool, closing), "/v1/things/not-a-uuid/close")
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["detail"] == "No such thing."
    assert closing.runs == []


async def test_a_step_that_no_longer_applies_is_409(pool: asyncpg.Pool) -> None:
    closing = Closing()
    app = app_for(pool, closing)
    ident = uuid.uuid4()
    assert (await _post(app, f"/v1/things/{ident}/close")).status_code == 200
    again = await _post(app, f"/v1/things/{ident}/close")
    assert again.status_code == 409
    assert again.json()["type"] == "https://qa.example.gov.uk/problems/transition-not-allowed"
    assert again.json()["detail"] == "A CLOSED thing cannot be closed."


async def test_a_retry_with_the_same_key_answers_the_first_response(pool: asyncpg.Pool) -> None:
    closing = Closing()
    app = app_for(pool, closing)
    ident = uuid.uuid4()
    key = {"Idempotency-Key": f"close-{ident}"}
    first = await _post(app, f"/v1/things/{ident}/close", key)
    retry = await _post(app, f"/v1/things/{ident}/close", key)
    assert first.status_code == retry.status_code == 200
    assert retry.json() == first.json()
    assert len(closing.runs) == 2  # the retry ran, met the key, and was rolled back
