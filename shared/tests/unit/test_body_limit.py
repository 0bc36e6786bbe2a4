"""The request-size limit: every route's body is refused past `max_bytes` (413), except the
routes named exempt, which stream their bodies under limits of their own."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
from starlette.requests import Request
from starlette.types import Receive, Scope, Send

from qaf_shared.http.middleware import BodyLimit

LIMIT = 1024


async def echo_size(scope: Scope, receive: Receive, send: Send) -> None:
    """Read the whole body and answer its size."""
    body = await Request(scope, receive).body()
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": str(len(body)).encode()})


def client() -> httpx.AsyncClient:
    app = BodyLimit(echo_size, max_bytes=LIMIT, exempt=[("post", "/v1/uploads")])
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


async def chunks(total: int) -> AsyncIterator[bytes]:
    for _ in range(total // 256):
        yield b"x" * 256


async def test_an_exempt_route_takes_a_body_over_the_limit() -> None:
    async with client() as http:
        declared = await http.post("/v1/uploads", content=b"x" * (LIMIT * 4))
        streamed = await http.post("/v1/uploads", content=chunks(LIMIT * 4))
    assert (declared.status_code, declared.text) == (200, str(LIMIT * 4))
    assert (streamed.status_code, streamed.text) == (200, str(LIMIT * 4))


async def test_other_routes_and_methods_keep_the_limit() -> None:
    async with client() as http:
        other_route = await http.post("/v1/other", content=b"x" * (LIMIT + 1))
        other_method = await http.put("/v1/uploads", content=b"x" * (LIMIT + 1))
        streamed = await http.post("/v1/other", content=chunks(LIMIT * 4))
        within = await http.post("/v1/other", content=b"x" * LIMIT)
    assert other_route.status_code == 413
    assert other_route.headers["content-type"] == "application/problem+json"
    assert other_method.status_code == 413
    assert streamed.status_code == 413
    assert (within.status_code, within.text) == (200, str(LIMIT))
