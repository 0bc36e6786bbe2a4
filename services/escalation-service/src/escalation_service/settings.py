from __future__ import annotations

from pydantic import Field, SecretStr

from escalation_service.domain.timescales import Timescales
from qaf_shared.settings import ServiceSettings


class EscalationSettings(ServiceSettings):
    service_name: str = "escalation-service"
    database_url: SecretStr = SecretStr(
        "postgresql://escalation_service_app:escalation_service_app@127.0.0.1:5432/escalation_service"
    )

    # Timescales for every tenant, and per tenant overrides, as JSON in the environment:
    # QA_TENANT_TIMESCALES='{"887": {"formal_stage_days": 7, "formal_limit_days": 25}}'
    timescales: Timescales = Timescales()
    tenant_timescales: dict[str, Timescales] = Field(default_factory=dict)

    # The overdue scheduler: how often it looks for stages past their due date, and how many
    # escalations it claims per transaction.
    overdue_scan_enabled: bool = True
    overdue_scan_interval_s: float = Field(default=60.0, gt=0)
    overdue_scan_batch_size: int = Field(default=200, ge=1, le=5000)

    def timescales_for(self, tenant: str) -> Timescales:
        return self.tenant_timescales.get(tenant, self.timescales)
