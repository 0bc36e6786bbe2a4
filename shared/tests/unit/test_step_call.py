"""What a route is called with, as one dependency: a step route's caller, X-Actor, If-Match
and Idempotency-Key (`step_call`), a get route's caller and X-Actor (`read_call`), a list
route's caller and limit (`list_call`), a create route's caller, X-Actor and Idempotency-Key
(`create_call`). A route declares it where it declared them one by one: the same OpenAPI
parameters, the same validation errors in the same order, the same values handed to the
route."""

from __future__ import annotations

from typing import Annotated, Any

import httpx
import pytest
from fastapi import FastAPI, Query, Request
from pydantic import BaseModel

from qaf_shared.http.auth import Actor, OptionalActor, Principal, requires
from qaf_shared.http.creates import CreateCall, create_call
from qaf_shared.http.idempotency import IdempotencyKey
from qaf_shared.http.list_query import UnitFilters
from qaf_shared.http.pagination import Cursor, Limit
from qaf_shared.http.reads import ListCall, ReadCall, list_call, read_call
from qaf_shared.http.resources import IfMatch
from qaf_shared.http.steps import StepCall, step_call
from qaf_shared.testing.apps import bare_app, send

PRINCIPAL = Principal(
    client="client-1", tenant="886", scopes=frozenset({"things:read", "things:write"})
)

Reader = Annotated[Principal, requires("things:read")]
Writer = Annotated[Principal, requires("things:write")]
WriterStep = Annotated[StepCall, step_call("things:write")]
WriterPatch = Annotated[StepCall, step_call("things:write", idempotent=False)]
ReaderGet = Annotated[ReadCall, read_call("things:read")]
ReaderList = Annotated[ListCall, list_call("things:read")]
WriterCreate = Annotated[CreateCall, create_call("things:write")]


class CloseIn(BaseModel):
    closed_on: str


class ThingIn(BaseModel):
    name: str


def _app() -> FastAPI:
    return bare_app(principal=PRINCIPAL, list_limit_max=200)


def one_by_one() -> FastAPI:
    """The routes as they were declared before the calls."""
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

    @app.get("/v1/things/{thing_id}")
    async def get_thing(
        thing_id: str, principal: Reader, actor: OptionalActor = None
    ) -> dict[str, Any]:
        return {"id": thing_id, "tenant": principal.tenant, "by": actor}

    @app.get("/v1/things")
    async def list_things(
        principal: Reader,
        actor: OptionalActor = None,
        size: Annotated[int | None, Query(ge=1)] = None,
        limit: Limit = 50,
        cursor: Cursor = None,
    ) -> dict[str, Any]:
        return {"tenant": principal.tenant, "by": actor, "size": size, "limit": limit}

    @app.post("/v1/things", status_code=201)
    async def create_thing(
        body: ThingIn,
        principal: Writer,
        actor: Actor,
        idempotency_key: IdempotencyKey = None,
    ) -> dict[str, Any]:
        return {"name": body.name, "tenant": principal.tenant, "by": actor, "key": idempotency_key}

    return app


def gathered() -> FastAPI:
    """The same routes over `StepCall`, `ReadCall`, `ListCall` and `CreateCall`."""
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

    @app.get("/v1/things/{thing_id}")
    async def get_thing(thing_id: str, call: ReaderGet) -> dict[str, Any]:
        assert call.request.url.path == f"/v1/things/{thing_id}"
        return {"id": thing_id, "tenant": call.principal.tenant, "by": call.actor}

    @app.get("/v1/things")
    async def list_things(
        call: ReaderList,
        actor: OptionalActor = None,
        size: Annotated[int | None, Query(ge=1)] = None,
        cursor: Cursor = None,
    ) -> dict[str, Any]:
        assert call.request.url.path == "/v1/things"
        return {"tenant": call.principal.tenant, "by": actor, "size": size, "limit": call.limit}

    @app.post("/v1/things", status_code=201)
    async def create_thing(body: ThingIn, call: WriterCreate) -> dict[str, Any]:
        assert call.request.url.path == "/v1/things"
        return {
            "name": body.name,
            "tenant": call.principal.tenant,
            "by": call.actor,
            "key": call.idempotency_key,
        }

    return app


async def _both(method: str, path: str, **kwargs: Any) -> tuple[httpx.Response, httpx.Response]:
    """The same request to the routes one by one, then to the gathered ones."""
    return (
        await send(one_by_one(), method, path, **kwargs),
        await send(gathered(), method, path, **kwargs),
    )


def test_the_openapi_operations_are_those_of_the_parameters_one_by_one() -> None:
    before, after = one_by_one().openapi(), gathered().openapi()
    assert after["paths"] == before["paths"]
    assert after["components"] == before["components"]
    parameters = after["paths"]["/v1/things/{thing_id}/close"]["post"]["parameters"]
    assert [p["name"] for p in parameters] == ["thing_id", "X-Actor", "If-Match", "Idempotency-Key"]
    patch = after["paths"]["/v1/things/{thing_id}"]["patch"]["parameters"]
    assert [p["name"] for p in patch] == ["thing_id", "X-Actor", "If-Match"]


def test_get_list_and_create_parameters_keep_their_places() -> None:
    paths = gathered().openapi()["paths"]
    names = {
        (path, method): [p["name"] for p in paths[path][method]["parameters"]]
        for path, method in [
            ("/v1/things/{thing_id}", "get"),
            ("/v1/things", "get"),
            ("/v1/things", "post"),
        ]
    }
    assert names == {
        ("/v1/things/{thing_id}", "get"): ["thing_id", "X-Actor"],
        ("/v1/things", "get"): ["size", "cursor", "limit", "X-Actor"],
        ("/v1/things", "post"): ["X-Actor", "Idempotency-Key"],
    }


BAD_HEADERS = {"X-Actor": "not an actor!", "If-Match": "x" * 65, "Idempotency-Key": ""}
GOOD_HEADERS = {"X-Actor": "staff-1", "If-Match": '"3"', "Idempotency-Key": "close-1"}


@pytest.mark.parametrize(
    ("method", "path"), [("POST", "/v1/things/t-1/close"), ("PATCH", "/v1/things/t-1")]
)
async def test_bad_headers_and_body_give_the_same_422_in_the_same_order(
    method: str, path: str
) -> None:
    headers = {"Authorization": "Bearer t", **BAD_HEADERS}
    before, after = await _both(method, path, json={}, headers=headers)
    assert before.status_code == after.status_code == 422
    assert after.json() == before.json()
    assert len(after.json()["errors"]) >= 3


async def test_without_a_token_it_is_401_before_any_header_is_checked() -> None:
    path = "/v1/things/t-1/close"
    before, after = await _both("POST", path, json={}, headers=BAD_HEADERS)
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
    before, after = await _both(method, path, json={"closed_on": "x"}, headers=headers)
    assert before.status_code == after.status_code == 200
    assert (
        after.json()
        == before.json()
        == {"id": "t-1", "by": "staff-1", "if_match": '"3"', "key": key}
    )


BAD_ACTOR = {"Authorization": "Bearer t", "X-Actor": "not an actor!"}


@pytest.mark.parametrize(
    ("method", "path", "headers", "errors"),
    [
        ("GET", "/v1/things/t-1", BAD_ACTOR, 1),
        ("GET", f"/v1/things?size=0&limit=0&cursor={'c' * 201}", BAD_ACTOR, 4),
        ("POST", "/v1/things", {**BAD_ACTOR, "Idempotency-Key": ""}, 3),
    ],
)
async def test_bad_parameters_of_a_get_list_or_create_give_the_same_422_in_the_same_order(
    method: str, path: str, headers: dict[str, str], errors: int
) -> None:
    before, after = await _both(method, path, headers=headers, json={})
    assert before.status_code == after.status_code == 422
    assert after.json() == before.json()
    assert len(after.json()["errors"]) == errors


@pytest.mark.parametrize(
    ("method", "path"), [("GET", "/v1/things/t-1"), ("GET", "/v1/things"), ("POST", "/v1/things")]
)
async def test_a_get_list_or_create_without_a_token_is_401_before_any_parameter_is_checked(
    method: str, path: str
) -> None:
    headers = {"X-Actor": "not an actor!", "Idempotency-Key": ""}
    before, after = await _both(method, f"{path}?limit=0", headers=headers, json={})
    assert before.status_code == after.status_code == 401
    assert after.json() == before.json()


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("GET", "/v1/things/t-1", {"id": "t-1", "tenant": "886", "by": "staff-1"}),
        ("GET", "/v1/things?size=3", {"tenant": "886", "by": "staff-1", "size": 3, "limit": 50}),
        ("GET", "/v1/things?limit=7", {"tenant": "886", "by": "staff-1", "size": None, "limit": 7}),
        ("POST", "/v1/things", {"name": "n", "tenant": "886", "by": "staff-1", "key": "k-1"}),
    ],
)
async def test_a_get_list_or_create_is_given_the_caller_and_its_parameters(
    method: str, path: str, expected: dict[str, Any]
) -> None:
    headers = {"Authorization": "Bearer t", "X-Actor": "staff-1", "Idempotency-Key": "k-1"}
    before, after = await _both(method, path, headers=headers, json={"name": "n"})
    assert before.status_code == after.status_code == (201 if method == "POST" else 200)
    assert after.json() == before.json() == expected


def test_a_list_without_unit_filters_reads_no_tenant_tree() -> None:
    call = ListCall(request=None, principal=PRINCIPAL, limit=50)  # type: ignore[arg-type]
    assert call.units(area=None, district=None, team=None, service=None) == UnitFilters()
