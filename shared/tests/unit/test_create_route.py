"""`CreateRoute`: a create route called without FastAPI's dependency solving answers every
request exactly as FastAPI's own handler does (status, headers, body), valid or not, and the
OpenAPI document is the same; only a well-formed request skips the solving."""

from __future__ import annotations

import enum
from datetime import date
from typing import Annotated, Any, Literal, Self

import fastapi.routing
import httpx
import orjson
import pytest
from fastapi import APIRouter, FastAPI, Request
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field, model_validator
from starlette.responses import Response

from qaf_shared.http.auth import Principal
from qaf_shared.http.creates import CreateCall, CreateRoute, create_call
from qaf_shared.http.middleware import BodyLimit
from qaf_shared.http.resources import json_response
from qaf_shared.testing.apps import bare_app, send

PRINCIPAL = Principal(client="client-1", tenant="886", scopes=frozenset({"things:write"}))
WriterCreate = Annotated[CreateCall, create_call("things:write")]
OtherCreate = Annotated[CreateCall, create_call("others:write")]


class Colour(enum.StrEnum):
    RED = "RED"
    BLUE = "BLUE"


class ThingIn(BaseModel):
    """A body with the kinds of field the services' creates take."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(min_length=1, max_length=10, pattern=r"^[a-z]+$")]
    colour: Colour
    made_on: date
    size: Literal["S", "M", "L"] = "M"
    answers: dict[str, Annotated[int, Field(ge=1, le=5)]] = {}
    tags: list[str] = []
    weight: float | None = None
    team: str | None = None
    service: str | None = None

    @model_validator(mode="after")
    def _one_unit(self) -> Self:
        if (self.team is None) == (self.service is None):
            raise ValueError("give exactly one of team or service")
        return self


def _app(route_class: type[APIRoute]) -> FastAPI:
    app = bare_app(principal=PRINCIPAL)
    app.add_middleware(BodyLimit, max_bytes=2_000)
    router = APIRouter(prefix="/v1/things", route_class=route_class)

    @router.post("", status_code=201)
    async def create_thing(body: ThingIn, call: WriterCreate) -> Response:
        return json_response(
            {
                "thing": body.model_dump(mode="json"),
                "tenant": call.principal.tenant,
                "by": call.actor,
                "key": call.idempotency_key,
                "path": call.request.url.path,
            },
            status=201,
            headers={"Location": "/v1/things/1"},
        )

    @router.post("/others", status_code=201)
    async def create_other(body: ThingIn, call: OtherCreate) -> Response:
        return json_response({"by": call.actor}, status=201)

    @router.post("/{thing_id}/parts", status_code=201)
    async def create_part(thing_id: str, body: ThingIn, call: WriterCreate) -> Response:
        return json_response({"thing": thing_id, "by": call.actor}, status=201)

    app.include_router(router)
    return app


GOOD = {"name": "box", "colour": "RED", "made_on": "2026-05-01", "team": "ASH-CP1"}
HEADERS = {
    "Authorization": "Bearer t",
    "X-Actor": "staff-1",
    "Idempotency-Key": "k-1",
    "Content-Type": "application/json",
}

CASES: list[tuple[str, bytes | None, dict[str, Any]]] = [
    ("valid", None, {}),
    ("no key", None, {"Idempotency-Key": None}),
    ("charset", None, {"Content-Type": "application/json; charset=utf-8"}),
    ("upper-case type", None, {"Content-Type": "Application/JSON"}),
    ("+json type", None, {"Content-Type": "application/merge-patch+json"}),
    ("text type", None, {"Content-Type": "text/plain"}),
    ("no content type", None, {"Content-Type": None}),
    ("empty body", b"", {}),
    ("not JSON", b"{nope", {}),
    ("not JSON, no token", b"{nope", {"Authorization": None}),
    ("a list", b"[]", {}),
    ("a string", b'"box"', {}),
    ("null", b"null", {}),
    ("NaN", b'{"name": "box", "colour": "RED", "made_on": "2026-05-01", "weight": NaN}', {}),
    ("BOM", b"\xef\xbb\xbf" + b'{"name": "box"}', {}),
    ("latin-1", '{"name": "bo\xe9"}'.encode("latin-1"), {}),
    ("missing fields", b"{}", {}),
    ("unknown field", None, {"extra": "1"}),
    ("bad values", None, {"name": "BOX!", "colour": "GREEN", "made_on": "01/05/2026"}),
    ("bad nested", None, {"answers": {"a": 9, "b": "x"}, "tags": [1]}),
    ("model rule", None, {"service": "CWD"}),
    ("no token", None, {"Authorization": None}),
    ("no token, bad body", b"{}", {"Authorization": None}),
    ("not bearer", None, {"Authorization": "Basic dDp0"}),
    ("no actor", None, {"X-Actor": None}),
    ("bad actor", None, {"X-Actor": "not an actor!"}),
    ("long actor", None, {"X-Actor": "a" * 65}),
    ("bad actor and body", b"{}", {"X-Actor": "x y", "Idempotency-Key": ""}),
    ("empty key", None, {"Idempotency-Key": ""}),
    ("long key", None, {"Idempotency-Key": "k" * 256}),
    ("longest key", None, {"Idempotency-Key": "k" * 255}),
    ("too large", b'{"name": "' + b"x" * 3_000 + b'"}', {}),
]


def _request(body: bytes | None, changes: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    headers = dict(HEADERS)
    fields = dict(GOOD)
    for name, value in changes.items():
        if name in HEADERS or name in ("Content-Type",):
            if value is None:
                headers.pop(name, None)
            else:
                headers[name] = value
        else:
            fields[name] = value
    return (orjson.dumps(fields) if body is None else body), headers


async def _both(
    path: str, body: bytes, headers: dict[str, str]
) -> tuple[httpx.Response, httpx.Response]:
    """The same request to the route as FastAPI runs it, then as `CreateRoute` does."""
    return (
        await send(_app(APIRoute), "POST", path, content=body, headers=headers),
        await send(_app(CreateRoute), "POST", path, content=body, headers=headers),
    )


@pytest.mark.parametrize(("case", "body", "changes"), CASES, ids=[c[0] for c in CASES])
async def test_every_request_is_answered_as_fastapi_answers_it(
    case: str, body: bytes | None, changes: dict[str, Any]
) -> None:
    content, headers = _request(body, changes)
    fastapi, direct = await _both("/v1/things", content, headers)
    assert direct.status_code == fastapi.status_code
    assert direct.headers.multi_items() == fastapi.headers.multi_items()
    assert direct.content == fastapi.content


async def test_a_valid_create_is_given_its_body_caller_and_headers() -> None:
    body = {**GOOD, "answers": {"a": 5}, "tags": ["x"], "weight": 2.5, "size": "L"}
    content, headers = _request(None, {k: v for k, v in body.items() if k not in GOOD})
    _, direct = await _both("/v1/things", content, headers)
    assert direct.status_code == 201
    assert direct.json() == {
        "thing": {**ThingIn.model_validate(body).model_dump(mode="json")},
        "tenant": "886",
        "by": "staff-1",
        "key": "k-1",
        "path": "/v1/things",
    }


async def test_a_token_without_the_scope_is_403_as_fastapi_answers_it() -> None:
    content, headers = _request(None, {})
    fastapi, direct = await _both("/v1/things/others", content, headers)
    assert direct.status_code == fastapi.status_code == 403
    assert direct.content == fastapi.content


def _count_solving(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """The dependants FastAPI's handler solves from now on, as they are solved."""
    solved: list[object] = []
    solve = getattr(fastapi.routing, "solve_dependencies")  # noqa: B009 (not exported)

    async def counted(**kwargs: Any) -> Any:
        solved.append(kwargs["dependant"].call)
        return await solve(**kwargs)

    monkeypatch.setattr(fastapi.routing, "solve_dependencies", counted)
    return solved


@pytest.mark.parametrize("valid", [True, False])
async def test_only_a_well_formed_create_skips_fastapis_dependency_solving(
    monkeypatch: pytest.MonkeyPatch, valid: bool
) -> None:
    solved = _count_solving(monkeypatch)
    content, headers = _request(None if valid else b"{}", {})
    answer = await send(_app(CreateRoute), "POST", "/v1/things", content=content, headers=headers)
    assert answer.status_code == (201 if valid else 422)
    assert len(solved) == (0 if valid else 1)


async def test_a_route_of_another_shape_is_fastapis(monkeypatch: pytest.MonkeyPatch) -> None:
    solved = _count_solving(monkeypatch)
    content, headers = _request(None, {})
    answer = await send(
        _app(CreateRoute), "POST", "/v1/things/t-1/parts", content=content, headers=headers
    )
    assert answer.status_code == 201
    assert answer.json() == {"thing": "t-1", "by": "staff-1"}
    assert len(solved) == 1


async def test_overridden_dependencies_are_honoured() -> None:
    app = _app(CreateRoute)

    async def someone_else(request: Request) -> CreateCall:
        return CreateCall(request, PRINCIPAL, "override-1", None)

    [dependency] = getattr(WriterCreate, "__metadata__")  # noqa: B009 (Annotated's)
    app.dependency_overrides[dependency.dependency] = someone_else
    content, headers = _request(None, {})
    answer = await send(app, "POST", "/v1/things", content=content, headers=headers)
    assert answer.status_code == 201
    assert answer.json()["by"] == "override-1"


def test_the_openapi_document_is_fastapis() -> None:
    assert _app(CreateRoute).openapi() == _app(APIRoute).openapi()
