"""The problem+json handlers on an app of their own (no database needed)."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from qaf_shared.http.problems import install_problem_handlers


async def test_an_unexpected_error_is_a_problem_that_no_cache_keeps_and_that_names_no_content() -> (
    None
):
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/v1/boom")
    async def boom() -> None:
        raise RuntimeError("case ref 1234567 in a message")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        answer = await client.get("/v1/boom")
    assert answer.status_code == 500
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.headers["cache-control"] == "no-store"
    assert "1234567" not in answer.text
