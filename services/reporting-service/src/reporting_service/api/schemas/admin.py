"""The rebuild's state as the admin routes answer it."""

from __future__ import annotations

from typing import Any

from reporting_service.projections.version import PROJECTIONS_VERSION
from reporting_service.repository.generations import RebuildState


def rebuild_body(status: str, state: RebuildState) -> dict[str, Any]:
    """`reason` is the latest rebuild's (the running one's while `status` is running);
    `projections_version` the active generation's, `code_version` this replica's."""
    return {
        "status": status,
        "reason": state.reason,
        "active": state.active,
        "generation": state.generation,
        "projections_version": state.version,
        "code_version": PROJECTIONS_VERSION,
        "started_at": state.started_at.isoformat() if state.started_at else None,
        "finished_at": state.finished_at.isoformat() if state.finished_at else None,
        "error": state.error,
    }
