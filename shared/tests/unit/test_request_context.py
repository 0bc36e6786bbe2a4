"""Request ids (docs/api-conventions.md): every answer carries `X-Request-Id`, the caller's
when it sent a printable one of at most 128 characters, otherwise a new one, different for
every request, and the same id is bound into the request's log lines."""

from __future__ import annotations

import re

import httpx
import structlog
from starlette.types import Receive, Scope, Send

from qaf_shared.http.middleware import RequestContext


async def bound_id(scope: Scope, receive: Receive, send: Send) -> None:
    """Answer the request id bound for the request's log lines."""
    bound = structlog.contextvars.get_contextvars().get("request_id", "")
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": str(bound).encode()})


def client() -> httpx.AsyncClient:
    app = RequestContext(bound_id, service="test-service")
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


async def test_a_request_without_an_id_gets_a_new_random_one_each_time() -> None:
    async with client() as http:
        answers = [await http.get("/v1/anything") for _ in range(50)]
    ids = [a.headers["x-request-id"] for a in answers]
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids)
    assert len(set(ids)) == len(ids)
    assert [a.text for a in answers] == ids


async def test_the_callers_printable_id_is_kept_and_any_other_replaced() -> None:
    async with client() as http:
        kept = await http.get("/", headers={"X-Request-Id": "trace-42"})
        too_long = await http.get("/", headers={"X-Request-Id": "x" * 129})
        unprintable = await http.get("/", headers={"X-Request-Id": "a\tb"})
    assert (kept.headers["x-request-id"], kept.text) == ("trace-42", "trace-42")
    for answer in (too_long, unprintable):
        assert re.fullmatch(r"[0-9a-f]{32}", answer.headers["x-request-id"])
        assert answer.text == answer.headers["x-request-id"]
