"""The rebuild's state as the admin routes answer it."""

from __future__ import annotations

from typing import Any

from reporting_service.repository.generations import RebuildState


def rebuild_body(status: str, state: RebuildState) -> dict[str, Any]:
    return {
        "status": status,
        "active": state.active,
        "generation": state.generation,
        "started_at": state.started_at.isoformat() if state.started_at else None,
        "finished_at": state.finished_at.isoformat() if state.finished_at else None,
        "error": state.error,
    }
