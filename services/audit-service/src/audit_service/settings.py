from __future__ import annotations

from pydantic import SecretStr

from qaf_shared.settings import ServiceSettings


class AuditSettings(ServiceSettings):
    service_name: str = "audit-service"
    database_url: SecretStr = SecretStr(
        "postgresql://audit_service:audit_service@127.0.0.1:5432/audit_service"
    )
