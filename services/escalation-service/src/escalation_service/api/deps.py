"""What every escalation route shares: who may read and write, and the pool and settings
from app state."""

from __future__ import annotations

from typing import Annotated

import asyncpg
from fastapi import Request

from escalation_service.settings import EscalationSettings
from qaf_shared.http.auth import Principal, requires

Reader = Annotated[Principal, requires("escalations:read")]
Writer = Annotated[Principal, requires("escalations:write")]


def pool(request: Request) -> asyncpg.Pool:
    value: asyncpg.Pool = request.app.state.pool
    return value


def settings(request: Request) -> EscalationSettings:
    value: EscalationSettings = request.app.state.settings
    return value
