"""reporting-service: Deep Dives and trends from the domain events.
`uvicorn --factory reporting_service.main:create_app`."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.middleware import Middleware

from qaf_shared.clock import BusinessClock
from qaf_shared.http.app import create_service_app
from reporting_service.api.admin import router as admin_router
from reporting_service.api.benchmarks import router as benchmarks_router
from reporting_service.api.fast_reads import FastReads
from reporting_service.api.pack import router as pack_router
from reporting_service.api.reports import router as reports_router
from reporting_service.api.status import router as status_router
from reporting_service.repository import generations, publications
from reporting_service.settings import ReportingSettings
from reporting_service.workers.auto_rebuild import auto_rebuild_worker
from reporting_service.workers.consumer import consumer_worker
from reporting_service.workers.publisher import publisher_worker


async def ensure_projections(app: FastAPI) -> None:
    """Create the first projection generation on a new database; give one made before the
    published snapshots their tables."""
    async with app.state.pool.acquire() as conn:
        schema = await generations.active_schema(conn)
        await conn.execute(publications.publication_ddl(schema))


# The reports: their bodies follow `Accept` (JSON, CSV, HTML, PDF) and the token (suppressed
# or not), so a cache must key them on both.
REPORT_PATHS = (
    "/v1/deep-dives",
    "/v1/aggregates",
    "/v1/trends",
    "/v1/escalation-trends",
    "/v1/status",
)


def create_app(
    settings: ReportingSettings | None = None,
    *,
    consume: bool = True,
    clock: BusinessClock | None = None,
) -> FastAPI:
    """The app; `consume=False` leaves the consumer and the publisher off (and the rebuild an
    outdated generation would start by itself), `clock` replaces the business clock (tests run
    it at a chosen instant)."""
    settings = settings or ReportingSettings()
    workers = [consumer_worker, publisher_worker] if consume else []
    if consume and settings.auto_rebuild:
        workers.append(auto_rebuild_worker)
    return create_service_app(
        settings=settings,
        title="reporting-service",
        description="Quarterly Deep Dives, escalation trends and published aggregates.",
        routers=[reports_router, pack_router, status_router, admin_router, benchmarks_router],
        workers=workers,
        on_startup=[ensure_projections],
        vary_prefixes=REPORT_PATHS,
        clock=clock,
        innermost=[Middleware(FastReads)] if settings.report_fast_path else [],
    )
