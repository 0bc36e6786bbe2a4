"""Admin routes: rebuild the projections from the topics."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

import asyncpg
from fastapi import APIRouter, Request

from qaf_shared.http.auth import Principal, requires
from qaf_shared.http.problems import Problem, problem_responses
from qaf_shared.logging import get_logger
from reporting_service.rebuild import rebuild

router = APIRouter(prefix="/v1/admin", tags=["admin"])
log = get_logger(__name__)

Admin = Annotated[Principal, requires("admin")]


async def _state(pool: asyncpg.Pool) -> dict[str, Any]:
    row = await pool.fetchrow(
        "SELECT active_schema, generation, rebuild_started_at, rebuild_finished_at, rebuild_error FROM projection_state"
    )

    def iso(v: Any) -> Any:
        return v.isoformat() if v else None

    return {
        "active": row["active_schema"],
        "generation": row["generation"],
        "started_at": iso(row["rebuild_started_at"]),
        "finished_at": iso(row["rebuild_finished_at"]),
        "error": row["rebuild_error"],
    }


@router.post("/rebuild", status_code=202, responses=problem_responses(409))
async def start_rebuild(request: Request, principal: Admin) -> dict[str, Any]:
    """Rebuild every projection from offset 0 in the background; the service keeps answering
    from the current projections and switches when the rebuild has caught up. Poll
    `GET /v1/admin/rebuild`. Projections are shared by all tenants, so this needs `admin`."""
    running: asyncio.Task[str | None] | None = getattr(request.app.state, "rebuild_task", None)
    if running is not None and not running.done():
        raise Problem(409, "A rebuild is already running.")
    settings, pool = request.app.state.settings, request.app.state.pool

    async def run() -> str | None:
        try:
            return await rebuild(settings, pool)
        except Exception as exc:
            # Recorded in projection_state too; the active projections are untouched.
            log.error("rebuild_failed", error=type(exc).__name__)
            return None

    request.app.state.rebuild_task = asyncio.create_task(run())
    return {"status": "started", **await _state(pool)}


@router.get("/rebuild")
async def rebuild_status(request: Request, principal: Admin) -> dict[str, Any]:
    """Whether a rebuild is running, and the active generation."""
    task: asyncio.Task[str | None] | None = getattr(request.app.state, "rebuild_task", None)
    status = "running" if task is not None and not task.done() else "idle"
    return {"status": status, **await _state(request.app.state.pool)}
