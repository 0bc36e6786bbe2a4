"""`write_service_workers`: every service that writes records runs the outbox relay (unless its
settings turn it off) and the retention of its idempotency keys."""

from __future__ import annotations

from qaf_shared.http.app import write_service_workers
from qaf_shared.http.idempotency_retention import idempotency_retention_worker
from qaf_shared.outbox.relay import outbox_relay_worker
from qaf_shared.settings import ServiceSettings


def test_a_write_service_runs_the_relay_and_the_key_retention() -> None:
    settings = ServiceSettings.model_construct(relay_enabled=True)
    assert write_service_workers(settings) == [outbox_relay_worker, idempotency_retention_worker]


def test_with_the_relay_turned_off_only_the_key_retention_runs() -> None:
    settings = ServiceSettings.model_construct(relay_enabled=False)
    assert write_service_workers(settings) == [idempotency_retention_worker]
