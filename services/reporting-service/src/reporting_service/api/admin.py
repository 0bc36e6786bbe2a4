"""Admin routes: rebuild the projections from the topics."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request

from qaf_shared.database import database_ssl
from qaf_shared.http.problems import Problem, problem_responses
from reporting_service.api.deps import Admin
from reporting_service.api.schemas.admin import rebuild_body
from reporting_service.repository import generations
from reporting_service.repository.rebuild_lock import RebuildLock, rebuild_running
from reporting_service.workers.rebuild import run_rebuild

router = APIRouter(prefix="/v1/admin", tags=["admin"])


@router.post("/rebuild", status_code=202, responses=problem_responses(409))
async def start_rebuild(request: Request, principal: Admin) -> dict[str, Any]:
    """Rebuild every projection from offset 0 in the background; the service keeps answering
    from the current projections and switches when the rebuild has caught up. Poll
    `GET /v1/admin/rebuild`. Projections are shared by all tenants, so this needs `admin`.
    One rebuild runs at a time across every replica: while one runs, this answers 409."""
    settings, pool = request.app.state.settings, request.app.state.pool
    # Taken before answering 202, so a second request to any replica already sees it held.
    lock = await RebuildLock.try_acquire(
        settings.database_url.get_secret_value(), ssl=database_ssl(settings)
    )
    if lock is None:
        raise Problem(409, "A rebuild is already running.")
    # Kept so that the task is not collected while it runs.
    request.app.state.rebuild_task = asyncio.create_task(
        run_rebuild(settings, pool, lock, "requested", request.app.state.clock)
    )
    async with pool.acquire() as conn:
        return rebuild_body("started", await generations.rebuild_state(conn))


@router.get("/rebuild")
async def rebuild_status(request: Request, principal: Admin) -> dict[str, Any]:
    """Whether a rebuild is running on any replica and why (`requested` by an admin, or
    `projections_version`: the active generation was built by older projections), the
    active generation and the projections' version it was built with, and this replica's."""
    async with request.app.state.pool.acquire() as conn:
        running = await rebuild_running(conn)
        state = await generations.rebuild_state(conn)
    return rebuild_body("running" if running else "idle", state)
