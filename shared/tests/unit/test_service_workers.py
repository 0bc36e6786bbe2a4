"""`write_service_workers`: every service that writes records runs the outbox relay (unless its
settings turn it off) and the retention of its idempotency keys; `WriteService` makes such a
service's app from its description."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from qaf_shared.http.app import WriteService, write_service_workers
from qaf_shared.http.idempotency_retention import idempotency_retention_worker
from qaf_shared.outbox.relay import outbox_relay_worker
from qaf_shared.settings import ServiceSettings


def test_a_write_service_runs_the_relay_and_the_key_retention() -> None:
    settings = ServiceSettings.model_construct(relay_enabled=True)
    assert write_service_workers(settings) == [outbox_relay_worker, idempotency_retention_worker]


def test_with_the_relay_turned_off_only_the_key_retention_runs() -> None:
    settings = ServiceSettings.model_construct(relay_enabled=False)
    assert write_service_workers(settings) == [idempotency_retention_worker]


class _Settings(ServiceSettings):
    service_name: str = "test-service"


def test_a_write_services_app_is_made_from_its_description_with_its_own_setup() -> None:
    router = APIRouter()

    @router.get("/v1/things")
    async def things() -> dict[str, str]:
        return {}

    seen: list[tuple[FastAPI, ServiceSettings]] = []
    service = WriteService(
        _Settings,
        title="test-service",
        description="What it does.",
        routers=[router],
        setup=lambda app, settings: seen.append((app, settings)),
    )
    given = _Settings(database_url="postgresql://localhost/test")
    app = service.create_app(given)
    assert (app.title, app.description) == ("test-service", "What it does.")
    assert "/v1/things" in app.openapi()["paths"]
    assert seen == [(app, given)] and app.state.settings is given
    made = service.create_app()
    assert isinstance(made.state.settings, _Settings) and seen[-1] == (made, made.state.settings)
