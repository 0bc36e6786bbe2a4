"""What every escalation route shares: who may read and write, the problems a step answers,
and the pool and settings from app state."""

from __future__ import annotations

from typing import Annotated

import asyncpg
from fastapi import Request

from escalation_service.settings import EscalationSettings
from qaf_shared.http.auth import Principal, requires
from qaf_shared.http.problems import problem_responses

Reader = Annotated[Principal, requires("escalations:read")]
Writer = Annotated[Principal, requires("escalations:write")]

# 409 (the step does not apply, or the same Idempotency-Key is still running), 412 (a stale
# If-Match).
STEP_ERRORS = problem_responses(409, 412)


def pool(request: Request) -> asyncpg.Pool:
    value: asyncpg.Pool = request.app.state.pool
    return value


def settings(request: Request) -> EscalationSettings:
    value: EscalationSettings = request.app.state.settings
    return value
