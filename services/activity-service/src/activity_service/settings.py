from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr

from qaf_shared.settings import RUN_DIR, ServiceSettings


class ActivitySettings(ServiceSettings):
    service_name: str = "activity-service"
    database_url: SecretStr = SecretStr(
        "postgresql://activity_service_app:activity_service_app@127.0.0.1:5432/activity_service"
    )
    # The per-deployment secret of `child_key` (HMAC-SHA256 of tenant and child_ref): only
    # this service holds it. QA_CHILD_KEY_SECRET, or a file (QA_CHILD_KEY_SECRET_FILE, a
    # Kubernetes Secret mounted as a file); `make keys` generates the development one.
    child_key_secret: SecretStr | None = None
    child_key_secret_file: Path = RUN_DIR / "dev-keys" / "child-key.secret"
    # How often the return loads' worker looks for queued loads besides being woken by NOTIFY
    # (and so how soon after a restart it takes up a load a dead process left).
    return_load_poll_interval_s: float = Field(default=5.0, gt=0)
