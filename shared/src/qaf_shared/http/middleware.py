"""Pure ASGI middleware (cheaper than Starlette's BaseHTTPMiddleware on the hot path):
request-size limit, cache headers, request metrics and request ids."""

from __future__ import annotations

import os
import time
from collections.abc import Collection
from typing import Any

import structlog
from prometheus_client import Counter, Histogram
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from qaf_shared.http.problems import Problem, problem_response

REQUESTS = Counter(
    "qa_http_requests_total", "HTTP requests", ["service", "method", "route", "status"]
)
LATENCY = Histogram(
    "qa_http_request_seconds",
    "HTTP request latency",
    ["service", "method", "route"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)


class _TooLarge(HTTPException):
    """A body that grew past the limit while it streamed in (chunked, or longer than its
    Content-Length said). An `HTTPException`, because FastAPI's body parsing passes those on
    and turns any other error into a 400: so the app's own handler answers the 413."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(413, _too_large(max_bytes))


def _too_large(max_bytes: int) -> str:
    return f"The request body is larger than {max_bytes} bytes."


class BodyLimit:
    """Refuse bodies over `max_bytes` with 413, by header and by counting what arrives.

    `exempt` names routes, as (method, path), that take larger bodies and enforce limits of
    their own as they stream them in (a return's upload): their bodies pass untouched."""

    def __init__(
        self, app: ASGIApp, max_bytes: int, exempt: Collection[tuple[str, str]] = ()
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.exempt = frozenset((method.upper(), path) for method, path in exempt)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or (scope["method"], scope["path"]) in self.exempt:
            await self.app(scope, receive, send)
            return
        for name, value in scope["headers"]:
            if name == b"content-length" and (not value.isdigit() or int(value) > self.max_bytes):
                await self._refuse(scope, send)
                return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise _TooLarge(self.max_bytes)
            return message

        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, tracking_send)
        except _TooLarge:
            # Only where no exception handler answered it (a body read outside FastAPI's).
            if not started:
                await self._refuse(scope, send)

    async def _refuse(self, scope: Scope, send: Send) -> None:
        problem = Problem(413, _too_large(self.max_bytes))
        response = problem_response(problem, scope.get("path"))
        await response({"type": "http"}, _empty_receive, send)


async def _empty_receive() -> Message:
    return {"type": "http.disconnect"}


class CacheHeaders:
    """Every answer under `/v1/` (where every route needs a token) says `Cache-Control:
    no-store`, errors included: it is one tenant's data, for one caller, and no browser or
    shared cache may keep it. Answers under `vary_prefixes` (reports, whose body follows the
    `Accept` header and the token's scopes) also say `Vary: Accept, Authorization`, so that a
    cache that ignores no-store still never serves one caller's variant to another."""

    def __init__(
        self, app: ASGIApp, *, private_prefix: str = "/v1/", vary_prefixes: tuple[str, ...] = ()
    ) -> None:
        self.app = app
        self.private_prefix = private_prefix
        self.vary_prefixes = vary_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if not path.startswith(self.private_prefix):
            await self.app(scope, receive, send)
            return
        added = _VARIED if path.startswith(self.vary_prefixes) else _PRIVATE

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (k, v)
                    for k, v in message.get("headers", ())
                    if k.lower() not in (b"cache-control", b"vary")
                ]
                message["headers"] = headers + added
            await send(message)

        await self.app(scope, receive, send_with_headers)


_PRIVATE = [(b"cache-control", b"no-store")]
_VARIED = [*_PRIVATE, (b"vary", b"Accept, Authorization")]


class RequestContext:
    """A request id per request (echoed as `X-Request-Id`), bound into every log line, and
    Prometheus counters labelled by route template (never by raw path: ids are not labels)."""

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service
        # The labelled children, looked up once per (method, route, status) rather than
        # through `labels()` (a lock and a tuple per call) on every request.
        self._counters: dict[tuple[str, str, int], Any] = {}
        self._histograms: dict[tuple[str, str], Any] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # 128 random bits as 32 hex digits, like a uuid4's hex without building the UUID
        # (a tenth of its cost, on every request).
        request_id = _header(scope, b"x-request-id") or os.urandom(16).hex()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        start = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", "unmatched")
            method = scope["method"]
            counter = self._counters.get((method, template, status))
            if counter is None:
                counter = REQUESTS.labels(self.service, method, template, str(status))
                self._counters[(method, template, status)] = counter
            counter.inc()
            histogram = self._histograms.get((method, template))
            if histogram is None:
                histogram = LATENCY.labels(self.service, method, template)
                self._histograms[(method, template)] = histogram
            histogram.observe(time.perf_counter() - start)
            structlog.contextvars.unbind_contextvars("request_id")


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            decoded: Any = value.decode("latin-1")
            if 0 < len(decoded) <= 128 and decoded.isprintable():
                return str(decoded)
    return None
