"""The start of every change, on an app of its own (a fake fetch in place of the SQL): a row
that is not there is 404 whatever the If-Match says; then a stale If-Match is 412, a missing
one 428 where required."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Header

from qaf_shared.http.locking import locked_for_change
from qaf_shared.http.problems import install_problem_handlers

ROWS: dict[str, dict[str, Any]] = {"a1": {"id": "a1", "version": 3}}


async def _get(ident: str) -> Any:
    return ROWS.get(ident)


def _app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)

    @app.post("/v1/things/{ident}")
    async def change(
        ident: str,
        required: bool = False,
        if_match: str | None = Header(default=None, alias="If-Match"),
    ) -> dict[str, Any]:
        row = await locked_for_change(_get(ident), "thing", if_match=if_match, required=required)
        return {"version": row["version"]}

    return app


async def _post(path: str, **headers: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.post(path, headers=headers)


@pytest.mark.parametrize(
    ("path", "headers", "status"),
    [
        ("/v1/things/a1", {}, 200),
        ("/v1/things/a1", {"If-Match": '"3"'}, 200),
        ("/v1/things/a1", {"If-Match": 'W/"3"'}, 200),
        ("/v1/things/a1", {"If-Match": "*"}, 200),
        ("/v1/things/a1", {"If-Match": '"2"'}, 412),
        ("/v1/things/a1?required=true", {}, 428),
        ("/v1/things/a1?required=true", {"If-Match": '"3"'}, 200),
        ("/v1/things/b2", {}, 404),
        ("/v1/things/b2", {"If-Match": '"2"'}, 404),
        ("/v1/things/b2?required=true", {}, 404),
    ],
)
async def test_a_change_finds_its_row_before_it_checks_the_version(
    path: str, headers: dict[str, str], status: int
) -> None:
    answer = await _post(path, **headers)
    assert answer.status_code == status
    if status == 200:
        assert answer.json() == {"version": 3}
    else:
        assert answer.headers["content-type"] == "application/problem+json"


async def test_a_missing_row_is_named_by_its_kind() -> None:
    answer = await _post("/v1/things/b2")
    assert answer.json()["detail"] == "No such thing."
