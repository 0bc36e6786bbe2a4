"""`step_call`: a step route's caller, X-Actor, If-Match and Idempotency-Key as one dependency,
which a route declares as it declared them one by one: the same OpenAPI parameters, the same
validation errors in the same order, the same values handed to the route."""

from __future__ import annotations

from typing import Annotated, Any

import httpx
import pytest
from fastapi import FastAPI, Request
from pydantic import BaseModel

from qaf_shared.http.auth import Actor, Principal, requires
from qaf_shared.http.idempotency import IdempotencyKey
from qaf_shared.http.problems import install_problem_handlers
from qaf_shared.http.resources import IfMatch
from qaf_shared.http.steps import StepCall, step_call

PRINCIPAL = Principal(client="client-1", tenant="886", scopes=frozenset({"things:write"}))

Writer = Annotated[Principal, requires("things:write")]
WriterStep = Annotated[StepCall, step_call("things:write")]
WriterPatch = Annotated[StepCall, step_call("things:write", idempotent=False)]


class CloseIn(BaseModel):
    closed_on: str


class _Verifier:
    """Every bearer token is the one principal's (the scopes are what is under test here)."""

    async def verify(self, token: str) -> Principal:
        return PRINCIPAL


def _app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)
    app.state.authenticator = _Verifier()
    return app


def one_by_one() -> FastAPI:
    """The step routes as they were declared before `StepCall`."""
    app = _app()

    @app.post("/v1/things/{thing_id}/close")
    async def close_thing(
        request: Request,
        thing_id: str,
        body: CloseIn,
        principal: Writer,
        actor: Actor,
        if_match: IfMatch = None,
        idempotency_key: IdempotencyKey = None,
    ) -> dict[str, Any]:
        return {"id": thing_id, "by": actor, "if_match": if_match, "key": idempotency_key}

    @app.patch("/v1/things/{thing_id}")
    async def draft_thing(
        request: Request,
        thing_id: str,
        body: CloseIn,
        principal: Writer,
        actor: Actor,
        if_match: IfMatch = None,
    ) -> dict[str, Any]:
        return {"id": thing_id, "by": actor, "if_match": if_match, "key": None}

    return app


def gathered() -> FastAPI:
    """The same routes over `StepCall`."""
    app = _app()

    @app.post("/v1/things/{thing_id}/close")
    async def close_thing(thing_id: str, body: CloseIn, call: WriterStep) -> dict[str, Any]:
        assert call.principal == PRINCIPAL and call.request.url.path.endswith("/close")
        return {
            "id": thing_id,
            "by": call.actor,
            "if_match": call.if_match,
            "key": call.idempotency_key,
        }

    @app.patch("/v1/things/{thing_id}")
    async def draft_thing(thing_id: str, body: CloseIn, call: WriterPatch) -> dict[str, Any]:
        return {
            "id": thing_id,
            "by": call.actor,
            "if_match": call.if_match,
            "key": call.idempotency_key,
        }

    return app


def test_the_openapi_operations_are_those_of_the_parameters_one_by_one() -> None:
    before, after = one_by_one().openapi(), gathered().openapi()
    assert after["paths"] == before["paths"]
    assert after["components"] == before["components"]
    parameters = after["paths"]["/v1/things/{thing_id}/close"]["post"]["parameters"]
    assert [p["name"] for p in parameters] == ["thing_id", "X-Actor", "If-Match", "Idempotency-Key"]
    patch = after["paths"]["/v1/things/{thing_id}"]["patch"]["parameters"]
    assert [p["name"] for p in patch] == ["thing_id", "X-Actor", "If-Match"]


async def _call(app: FastAPI, method: str, path: str, **kwargs: Any) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.request(method, path, **kwargs)


BAD_HEADERS = {"X-Actor": "not an actor!", "If-Match": "x" * 65, "Idempotency-Key": ""}
GOOD_HEADERS = {"X-Actor": "staff-1", "If-Match": '"3"', "Idempotency-Key": "close-1"}


@pytest.mark.parametrize(
    ("method", "path"), [("POST", "/v1/things/t-1/close"), ("PATCH", "/v1/things/t-1")]
)
async def test_bad_headers_and_body_give_the_same_422_in_the_same_order(
    method: str, path: str
) -> None:
    headers = {"Authorization": "Bearer t", **BAD_HEADERS}
    before = await _call(one_by_one(), method, path, json={}, headers=headers)
    after = await _call(gathered(), method, path, json={}, headers=headers)
    assert before.status_code == after.status_code == 422
    assert after.json() == before.json()
    assert len(after.json()["errors"]) >= 3


async def test_without_a_token_it_is_401_before_any_header_is_checked() -> None:
    path = "/v1/things/t-1/close"
    before = await _call(one_by_one(), "POST", path, json={}, headers=BAD_HEADERS)
    after = await _call(gathered(), "POST", path, json={}, headers=BAD_HEADERS)
    assert before.status_code == after.status_code == 401
    assert after.json() == before.json()


@pytest.mark.parametrize(
    ("method", "path", "key"),
    [("POST", "/v1/things/t-1/close", "close-1"), ("PATCH", "/v1/things/t-1", None)],
)
async def test_the_route_is_given_the_caller_and_its_headers(
    method: str, path: str, key: str | None
) -> None:
    headers = {"Authorization": "Bearer t", **GOOD_HEADERS}
    before = await _call(one_by_one(), method, path, json={"closed_on": "x"}, headers=headers)
    after = await _call(gathered(), method, path, json={"closed_on": "x"}, headers=headers)
    assert before.status_code == after.status_code == 200
    assert (
        after.json()
        == before.json()
        == {"id": "t-1", "by": "staff-1", "if_match": '"3"', "key": key}
    )
