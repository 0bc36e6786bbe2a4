"""The one way a service's FastAPI app is put together: lifespan (pool, auth, Kafka probe,
background workers), problem+json, limits, metrics, traces, health and readiness."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import asyncpg
from fastapi import APIRouter, FastAPI, Request
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest, start_http_server
from starlette.middleware import Middleware
from starlette.responses import Response

from qaf_shared.clock import BusinessClock
from qaf_shared.collector import settle_after_start_up
from qaf_shared.database import create_pool, database_ssl
from qaf_shared.http.auth import Authenticator
from qaf_shared.http.idempotency_retention import idempotency_retention_worker
from qaf_shared.http.middleware import BodyLimit, CacheHeaders, RequestContext
from qaf_shared.http.org_units import org_units_router
from qaf_shared.http.pagination import declare_limit_cap
from qaf_shared.http.problems import COMMON_PROBLEMS, install_problem_handlers, problem_responses
from qaf_shared.http.resources import json_response
from qaf_shared.kafka import KafkaProbe
from qaf_shared.logging import configure_logging, get_logger
from qaf_shared.org_units import OrgUnitDirectory
from qaf_shared.outbox.relay import outbox_relay_worker
from qaf_shared.settings import ServiceSettings
from qaf_shared.tracing import TraceRequests, start_tracing, tracer_of

log = get_logger(__name__)

Held = TypeVar("Held")

Worker = Callable[[FastAPI], Coroutine[Any, Any, None]]
"""A background coroutine the service runs for its lifetime (relay, consumer, scheduler)."""


def write_service_workers(settings: ServiceSettings) -> list[Worker]:
    """The workers of every service that writes records: the outbox relay (unless the
    settings turn it off, `relay_enabled`) and the retention of the idempotency keys."""
    return [
        *([outbox_relay_worker] if settings.relay_enabled else []),
        idempotency_retention_worker,
    ]


def app_state(name: str, kind: type[Held]) -> Callable[[Request], Held]:
    """How a route reads what its app holds on `app.state.<name>` (set when the app is made
    or at start-up), as a `kind`: a dependency, or a plain call with the request. `kind`
    types it for the routes; it is not checked (tests hold stand-ins)."""

    def held(request: Request) -> Held:
        found: Held = getattr(request.app.state, name)
        return found

    return held


def app_pool(request: Request) -> asyncpg.Pool:
    """The app's database pool (made at start-up, see `create_service_app`)."""
    pool: asyncpg.Pool = request.app.state.pool
    return pool


def create_service_app(
    *,
    settings: ServiceSettings,
    title: str,
    description: str,
    routers: Sequence[APIRouter],
    workers: Sequence[Worker] = (),
    on_startup: Sequence[Callable[[FastAPI], Coroutine[Any, Any, None]]] = (),
    vary_prefixes: Sequence[str] = (),
    clock: BusinessClock | None = None,
    body_limit_exempt: Sequence[tuple[str, str]] = (),
    innermost: Sequence[Middleware] = (),
) -> FastAPI:
    """`on_startup` hooks run once the pool exists, before requests are served; a failing hook
    (say, the database is not up yet) is logged and the service starts anyway, since
    `/readyz` tells whether it can serve. Answers under `vary_prefixes` carry `Vary: Accept,
    Authorization` (every `/v1/` answer carries `Cache-Control: no-store`). `clock` is the
    business clock the app holds on `app.state.clock` (default: the real one).
    `body_limit_exempt` names the routes, as (method, path), that the request-size limit
    (`max_body_bytes`) lets through because they stream their bodies and limit them
    themselves. `innermost` are pure ASGI layers inside every other middleware (request id,
    metrics, cache headers, body limit) and outside FastAPI's exception handling and
    routing, in order, outermost first: a fast path that answers some requests itself
    (reporting-service's cached reports) and passes every other on."""

    # Before uvicorn logs its own start-up lines: they come out as JSON too.
    configure_logging(settings.log_level)
    tracer_provider = start_tracing(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # The internal metrics port: prometheus_client's own server in a thread of its own,
        # so a scrape never waits behind requests on the event loop.
        metrics_server = (
            start_http_server(settings.metrics_port)[0] if settings.metrics_port else None
        )
        app.state.pool = await create_pool(
            settings.database_url.get_secret_value(),
            size=settings.database_pool_size,
            ssl=database_ssl(settings),
        )
        # A JWKS URL's first fetch and refreshes run in the background from here on (returns
        # at once: a service starts while its identity provider does not answer).
        authenticator: Authenticator = app.state.authenticator
        await authenticator.start()
        app.state.kafka_probe = KafkaProbe(settings)
        for hook in on_startup:
            try:
                await hook(app)
            except Exception as exc:
                log.warning("startup_hook_failed", hook=hook.__name__, error=type(exc).__name__)
        tasks = [asyncio.create_task(worker(app)) for worker in workers]
        # What start-up built lives as long as the process: out of the collector's sight.
        settle_after_start_up()
        log.info("service_started", service=settings.service_name)
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            await app.state.kafka_probe.close()
            await app.state.pool.close()
            await authenticator.close()
            if metrics_server is not None:
                metrics_server.shutdown()
                metrics_server.server_close()
            if tracer_provider is not None:
                tracer_provider.shutdown()  # exports the spans still waiting

    # `docs_enabled` off: no /docs, /redoc or /openapi.json (the published contract is
    # deploy/openapi/); `app.openapi()` still builds it for `make contracts`.
    docs = settings.docs_enabled
    app = FastAPI(
        title=title,
        description=description,
        version="1.0.0",
        lifespan=lifespan,
        docs_url="/docs" if docs else None,
        redoc_url="/redoc" if docs else None,
        openapi_url="/openapi.json" if docs else None,
        # FastAPI's own OpenTelemetry (0.165+) would instrument requests through the
        # process-wide providers, which this project never sets (traces are
        # `TraceRequests`', with the service's own provider), and its logs would carry
        # exception messages, which can hold request content. Off, rather than asked on
        # every request whether a global provider has appeared (a few microseconds each).
        telemetry={"tracing": False, "metrics": False, "logs": False, "operation_spans": False},
    )
    app.state.settings = settings
    # None when traces are not exported: the relay and the consumer then make no spans.
    app.state.tracer = tracer_of(tracer_provider)
    app.state.clock = clock or BusinessClock()
    app.state.authenticator = Authenticator.from_settings(settings)
    app.state.org_units = OrgUnitDirectory()
    install_problem_handlers(app)
    for layer in reversed(innermost):
        app.add_middleware(layer.cls, *layer.args, **layer.kwargs)
    app.add_middleware(
        BodyLimit, max_bytes=settings.max_body_bytes, exempt=tuple(body_limit_exempt)
    )
    # Outside BodyLimit, so that its own 413 carries the cache headers too.
    app.add_middleware(CacheHeaders, vary_prefixes=tuple(vary_prefixes))
    app.add_middleware(RequestContext, service=settings.service_name)
    if app.state.tracer is not None:
        # Outermost: the request's span covers everything else, its request id included.
        app.add_middleware(TraceRequests, tracer=app.state.tracer)
    app.include_router(_operations_router(public_metrics=settings.metrics_port is None))
    common = problem_responses(*COMMON_PROBLEMS)
    app.include_router(org_units_router(), responses=common)
    for router in routers:
        app.include_router(router, responses=common)
    _complete_openapi(app, list_limit_max=settings.list_limit_max)
    return app


Settings = TypeVar("Settings", bound=ServiceSettings)


@dataclass(frozen=True)
class WriteService(Generic[Settings]):
    """A service that writes records, described once in its main.py: its settings class, its
    OpenAPI title and description, its routers, the workers it runs besides every write
    service's (`write_service_workers`), the routes the body limit leaves alone, and what it
    sets up on the app beyond what every app holds (`setup`, with the settings). Its
    `create_app` is the service's app factory (`uvicorn --factory <package>.main:create_app`)."""

    settings: type[Settings]
    title: str
    description: str
    routers: Sequence[APIRouter]
    workers: Callable[[Settings], Sequence[Worker]] | None = None
    setup: Callable[[FastAPI, Settings], None] | None = None
    body_limit_exempt: Sequence[tuple[str, str]] = ()

    def create_app(
        self, settings: Settings | None = None, *, clock: BusinessClock | None = None
    ) -> FastAPI:
        """The app; `clock` replaces the business clock (tests run it at a chosen instant)."""
        settings = settings or self.settings()
        own = self.workers(settings) if self.workers is not None else ()
        app = create_service_app(
            settings=settings,
            title=self.title,
            description=self.description,
            routers=self.routers,
            workers=[*write_service_workers(settings), *own],
            clock=clock,
            body_limit_exempt=self.body_limit_exempt,
        )
        if self.setup is not None:
            self.setup(app, settings)
        return app


def _complete_openapi(app: FastAPI, *, list_limit_max: int) -> None:
    """Add the RFC 9457 problem document to the OpenAPI components the responses refer to,
    and the configured cap to every list's `limit`."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = build()
            schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = (
                PROBLEM_SCHEMA
            )
            declare_limit_cap(schema, list_limit_max)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem details",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "field": {"type": "string"},
                    "message": {"type": "string"},
                    "type": {"type": "string"},
                },
            },
        },
    },
}


def _operations_router(*, public_metrics: bool) -> APIRouter:
    """/healthz, /readyz and, unless the metrics have a port of their own, /metrics."""
    router = APIRouter(tags=["operations"])

    @router.get("/healthz", summary="The process is alive")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get(
        "/readyz",
        summary="The database and Kafka answer",
        responses={503: {"description": "A dependency does not answer"}},
    )
    async def readyz(request: Request) -> Response:
        pool: asyncpg.Pool = request.app.state.pool
        checks: dict[str, Any] = {}
        try:
            await asyncio.wait_for(pool.fetchval("SELECT 1"), 2)
            checks["database"] = "ok"
        except Exception:
            checks["database"] = "unavailable"
        checks["kafka"] = await request.app.state.kafka_probe.check()
        # A relay the broker refuses (say, no ACL for its topic) while the broker answers:
        # the writes are kept in the outbox, but none reaches reporting until this is fixed.
        relay = getattr(request.app.state, "relay", None)
        if relay is not None:
            checks["outbox"] = relay.failure or "ok"
        ok = all(v == "ok" for v in checks.values())
        return json_response(
            {"status": "ok" if ok else "unavailable", "checks": checks}, status=200 if ok else 503
        )

    if public_metrics:

        @router.get("/metrics", summary="Prometheus metrics", response_class=Response)
        async def metrics() -> Response:
            return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router
