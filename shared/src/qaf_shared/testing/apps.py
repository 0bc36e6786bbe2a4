"""A bare app for the tests of the shared route helpers (`qaf_shared.http.steps`, `.reads`,
`.creates`): problem+json answers and only the state a test gives it, called in process."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace
from typing import Any

import asyncpg
import httpx
from fastapi import FastAPI

from qaf_shared.http.auth import Principal
from qaf_shared.http.problems import install_problem_handlers
from qaf_shared.testing.clock import fixed_clock


class OnePrincipal:
    """An authenticator to which every bearer token is the one principal's (for tests where
    the scopes, not the token, are what is under test)."""

    def __init__(self, principal: Principal) -> None:
        self.principal = principal

    async def verify(self, token: str) -> Principal:
        return self.principal


def bare_app(
    *,
    principal: Principal | None = None,
    pool: asyncpg.Pool | None = None,
    instant: datetime | None = None,
    **settings: Any,
) -> FastAPI:
    """An app with the problem handlers and, where given, a caller (`principal`, whatever the
    token), a pool, a business clock stopped at `instant` and the `settings` the helpers read
    (`idempotency_ttl_hours`, `list_limit_max`)."""
    app = FastAPI()
    install_problem_handlers(app)
    if principal is not None:
        app.state.authenticator = OnePrincipal(principal)
    if pool is not None:
        app.state.pool = pool
    if instant is not None:
        app.state.clock = fixed_clock(instant)
    app.state.settings = SimpleNamespace(**settings)
    return app


async def send(app: FastAPI, method: str, path: str, **kwargs: Any) -> httpx.Response:
    """One request to `app`, in process."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.request(method, path, **kwargs)
