from __future__ import annotations

from pydantic import SecretStr

from qaf_shared.settings import ServiceSettings


class EscalationSettings(ServiceSettings):
    service_name: str = "escalation-service"
    database_url: SecretStr = SecretStr(
        "postgresql://escalation_service:escalation_service@127.0.0.1:5432/escalation_service"
    )
