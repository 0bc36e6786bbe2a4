"""activity-service: case activity from the case-management system, record by record over
REST or as the statutory returns (CIN census, SSDA903, Ofsted Annex A).
`uvicorn --factory activity_service.main:create_app`."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from fastapi import FastAPI

from activity_service.api import records, returns, team_aliases
from activity_service.domain.child_key import load_child_keys
from activity_service.settings import ActivitySettings
from activity_service.workers.return_loads import return_load_worker
from qaf_shared.http.app import WriteService

Lifespan = Callable[[Any], AbstractAsyncContextManager[Any]]


def _child_keys_first(app: FastAPI, settings: ActivitySettings) -> None:
    app.router.lifespan_context = _with_child_keys(app.router.lifespan_context, settings)


def _with_child_keys(lifespan: Lifespan, settings: ActivitySettings) -> Lifespan:
    """The lifespan, reading the child_key secret first: once, at start-up, and a service
    without one does not start (the error names the setting, never the secret). Building the
    app (its OpenAPI document) needs no secret."""

    @contextlib.asynccontextmanager
    async def with_keys(app: FastAPI) -> AsyncIterator[None]:
        secret = settings.child_key_secret
        app.state.child_keys = load_child_keys(
            secret.get_secret_value() if secret else None, settings.child_key_secret_file
        )
        async with lifespan(app):
            yield

    return with_keys


SERVICE = WriteService(
    ActivitySettings,
    title="activity-service",
    description=(
        "Case activity from the case-management system: referrals, assessments, Section 47 "
        "enquiries, child protection plans, care episodes and reviews, and visits, record "
        "by record or as the statutory returns."
    ),
    routers=[records.router, team_aliases.router, returns.router],
    workers=lambda _settings: [return_load_worker],
    setup=_child_keys_first,
    # an upload streams into the load's stored files under limits of its own
    body_limit_exempt=[("POST", returns.UPLOAD_PATH)],
)
create_app = SERVICE.create_app
