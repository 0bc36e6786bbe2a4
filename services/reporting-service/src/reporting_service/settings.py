from __future__ import annotations

from pydantic import Field, SecretStr

from qaf_shared.settings import ServiceSettings


class ReportingSettings(ServiceSettings):
    service_name: str = "reporting-service"
    database_url: SecretStr = SecretStr(
        "postgresql://reporting_service:reporting_service@127.0.0.1:5432/reporting_service"
    )
    consumer_group: str = "reporting-service"
    # Low, so that a write shows in the Deep Dive quickly (aiokafka's default waits 500 ms).
    consumer_fetch_max_wait_ms: int = Field(default=10, ge=0, le=1000)
    consumer_max_records: int = Field(default=1000, ge=1)
    suppression_threshold: int = Field(default=5, ge=0)
    # reporting-service publishes nothing of its own through an outbox.
    relay_enabled: bool = False
