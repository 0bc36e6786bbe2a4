from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr

from audit_service.configuration import DEFAULT_DIR
from qaf_shared.settings import ServiceSettings


class AuditSettings(ServiceSettings):
    service_name: str = "audit-service"
    database_url: SecretStr = SecretStr(
        "postgresql://audit_service_app:audit_service_app@127.0.0.1:5432/audit_service"
    )
    # Templates and per-tenant settings (moderation rate, action due days): YAML files, the
    # package's own by default (see audit_service/configuration.py).
    config_dir: Path = DEFAULT_DIR
