"""`read_call`, `list_call` and `create_call`: what a get, list or create route is called with,
as one dependency, which a route declares where it declared the parameters one by one: the
same OpenAPI parameters, the same validation errors in the same order, the same values handed
to the route."""

from __future__ import annotations

from types import SimpleNamespace
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
from qaf_shared.http.problems import install_problem_handlers
from qaf_shared.http.reads import ListCall, ReadCall, list_call, read_call

PRINCIPAL = Principal(
    client="client-1", tenant="886", scopes=frozenset({"things:read", "things:write"})
)

Reader = Annotated[Principal, requires("things:read")]
Writer = Annotated[Principal, requires("things:write")]
ReaderGet = Annotated[ReadCall, read_call("things:read")]
ReaderList = Annotated[ListCall, list_call("things:read")]
WriterCreate = Annotated[CreateCall, create_call("things:write")]


class ThingIn(BaseModel):
    name: str


class _Verifier:
    """Every bearer token is the one principal's (the scopes are what is under test here)."""

    async def verify(self, token: str) -> Principal:
        return PRINCIPAL


def _app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)
    app.state.authenticator = _Verifier()
    app.state.settings = SimpleNamespace(list_limit_max=200)
    return app


def one_by_one() -> FastAPI:
    """The routes as they were declared before the calls."""
    app = _app()

    @app.get("/v1/things/{thing_id}")
    async def get_thing(
        request: Request, thing_id: str, principal: Reader, actor: OptionalActor = None
    ) -> dict[str, Any]:
        return {"id": thing_id, "tenant": principal.tenant, "by": actor}

    @app.get("/v1/things")
    async def list_things(
        request: Request,
        principal: Reader,
        actor: OptionalActor = None,
        size: Annotated[int | None, Query(ge=1)] = None,
        limit: Limit = 50,
        cursor: Cursor = None,
    ) -> dict[str, Any]:
        return {"tenant": principal.tenant, "by": actor, "size": size, "limit": limit}

    @app.post("/v1/things", status_code=201)
    async def create_thing(
        request: Request,
        body: ThingIn,
        principal: Writer,
        actor: Actor,
        idempotency_key: IdempotencyKey = None,
    ) -> dict[str, Any]:
        return {"name": body.name, "tenant": principal.tenant, "by": actor, "key": idempotency_key}

    return app


def gathered() -> FastAPI:
    """The same routes over `ReadCall`, `ListCall` and `CreateCall`."""
    app = _app()

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


def test_the_openapi_operations_are_those_of_the_parameters_one_by_one() -> None:
    before, after = one_by_one().openapi(), gathered().openapi()
    assert after["paths"] == before["paths"]
    assert after["components"] == before["components"]
    names = {
        (path, method): [p["name"] for p in operation.get("parameters", ())]
        for path, operations in after["paths"].items()
        for method, operation in operations.items()
    }
    assert names == {
        ("/v1/things/{thing_id}", "get"): ["thing_id", "X-Actor"],
        ("/v1/things", "get"): ["size", "cursor", "limit", "X-Actor"],
        ("/v1/things", "post"): ["X-Actor", "Idempotency-Key"],
    }


async def _call(app: FastAPI, method: str, path: str, **kwargs: Any) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.request(method, path, **kwargs)


BAD_ACTOR = {"Authorization": "Bearer t", "X-Actor": "not an actor!"}


@pytest.mark.parametrize(
    ("method", "path", "headers", "errors"),
    [
        ("GET", "/v1/things/t-1", BAD_ACTOR, 1),
        ("GET", f"/v1/things?size=0&limit=0&cursor={'c' * 201}", BAD_ACTOR, 4),
        ("POST", "/v1/things", {**BAD_ACTOR, "Idempotency-Key": ""}, 3),
    ],
)
async def test_bad_parameters_give_the_same_422_in_the_same_order(
    method: str, path: str, headers: dict[str, str], errors: int
) -> None:
    body = {"json": {}} if method == "POST" else {}
    before = await _call(one_by_one(), method, path, headers=headers, **body)
    after = await _call(gathered(), method, path, headers=headers, **body)
    assert before.status_code == after.status_code == 422
    assert after.json() == before.json()
    assert len(after.json()["errors"]) == errors


@pytest.mark.parametrize(
    ("method", "path"), [("GET", "/v1/things/t-1"), ("GET", "/v1/things"), ("POST", "/v1/things")]
)
async def test_without_a_token_it_is_401_before_any_parameter_is_checked(
    method: str, path: str
) -> None:
    headers = {"X-Actor": "not an actor!", "Idempotency-Key": ""}
    before = await _call(one_by_one(), method, f"{path}?limit=0", headers=headers, json={})
    after = await _call(gathered(), method, f"{path}?limit=0", headers=headers, json={})
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
async def test_the_route_is_given_the_caller_and_its_parameters(
    method: str, path: str, expected: dict[str, Any]
) -> None:
    headers = {"Authorization": "Bearer t", "X-Actor": "staff-1", "Idempotency-Key": "k-1"}
    body = {"json": {"name": "n"}} if method == "POST" else {}
    before = await _call(one_by_one(), method, path, headers=headers, **body)
    after = await _call(gathered(), method, path, headers=headers, **body)
    assert before.status_code == after.status_code == (201 if method == "POST" else 200)
    assert after.json() == before.json() == expected


def test_a_list_without_unit_filters_reads_no_tenant_tree() -> None:
    call = ListCall(request=None, principal=PRINCIPAL, limit=50)  # type: ignore[arg-type]
    assert call.units(area=None, district=None, team=None, service=None) == UnitFilters()
