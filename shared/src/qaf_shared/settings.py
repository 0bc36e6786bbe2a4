"""Typed settings shared by every service, read once at start-up from `QA_*` variables."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[3]
RUN_DIR = REPO_ROOT / ".run"


class ServiceSettings(BaseSettings):
    """The settings every service has; each service subclasses it with its own defaults."""

    model_config = SettingsConfigDict(env_prefix="QA_", extra="ignore", frozen=True)

    service_name: str = "service"
    database_url: SecretStr = SecretStr("postgresql://localhost:5432/postgres")
    database_pool_size: int = Field(default=10, ge=1, le=200)

    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    # Prepended to every topic name: lets tests (or several stacks on one broker) stay apart.
    kafka_topic_prefix: str = ""

    auth_jwks: str = str(RUN_DIR / "dev-keys" / "jwks.json")
    auth_issuer: str = "https://dev.qa.local/"
    auth_audience: str = "qa-api"

    relay_enabled: bool = True
    relay_poll_interval_s: float = Field(default=1.0, gt=0)
    relay_batch_size: int = Field(default=500, ge=1, le=5000)

    max_body_bytes: int = 1024 * 1024
    list_limit_max: int = Field(default=200, ge=1)
    idempotency_ttl_hours: int = Field(default=48, ge=24)
    log_level: str = "INFO"
    workers: int = Field(default=1, ge=1)

    def topic(self, name: str) -> str:
        """The real topic name for a catalogue topic name."""
        return f"{self.kafka_topic_prefix}{name}"
