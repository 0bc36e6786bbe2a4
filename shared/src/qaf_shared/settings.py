"""Typed settings shared by every service, read once at start-up from `QA_*` variables."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal, Self

from pydantic import AliasChoices, BeforeValidator, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[3]
RUN_DIR = REPO_ROOT / ".run"

SslMode = Literal["disable", "allow", "prefer", "require", "verify-ca", "verify-full"]
"""libpq's `sslmode` values, with libpq's meanings (qaf_shared.database.database_ssl)."""


def _empty_is_none(value: object) -> object:
    # A manifest says "not set" with an empty value (`QA_KAFKA_SSL_CA_FILE=`).
    return None if value == "" else value


OptionalPath = Annotated[Path | None, BeforeValidator(_empty_is_none)]
OptionalStr = Annotated[str | None, BeforeValidator(_empty_is_none)]


class ServiceSettings(BaseSettings):
    """The settings every service has; each service subclasses it with its own defaults.

    Authentication (`QA_AUTH_*`): `auth_jwks` is a JWKS file (read once at start-up) or an
    `https://` URL, whose keys are fetched in the background, never inside a request:

    - `auth_jwks_ttl_s` (default 300): how long a fetched key set is trusted, counted from the
      start of its fetch. It is refreshed at half that age, so a key the identity provider
      removes stops verifying (cached tokens included) within the TTL; if no refresh succeeds
      within the TTL, requests answer 503 until one does.
    - `auth_jwks_cooldown_s` (default 10): a token naming an unknown `kid` fetches the JWKS
      again at once, but at most once per cool-down (a storm of made-up `kid`s costs the
      identity provider one request per cool-down); also the wait between retries of a failed
      refresh, and the `Retry-After` of the 503.
    - `auth_jwks_wait_s` (default 0.5): the longest a request waits for a fetch under way
      before answering (401 for an unknown key, 503 with no trusted set); the fetch carries on.
    - `auth_leeway_s` (default 30): clock skew allowed between the identity provider and this
      service on `exp`, `nbf` and `iat`.

    PostgreSQL over TLS (`QA_DATABASE_SSLMODE`, `QA_DATABASE_SSLROOTCERT`): every connection
    (the pool, the relay's and workers' own connections, the migrations) uses them, with
    libpq's meanings: `verify-full` checks the server's certificate against the CA file (the
    system's trust store when no file is named) and its name against the DSN's host; a
    managed PostgreSQL wants `verify-full` (deploy/README.md).

    Operations: `docs_enabled` (default on) serves `/docs`, `/redoc` and `/openapi.json`;
    `metrics_port`, when set, serves `/metrics` on that port alone (the public port then has
    none). Traces are exported by OTLP/HTTP to `otlp_endpoint` (`QA_OTLP_ENDPOINT`, or the
    standard `OTEL_EXPORTER_OTLP_ENDPOINT`) only when it is set (qaf_shared.tracing).
    """

    model_config = SettingsConfigDict(
        env_prefix="QA_", extra="ignore", frozen=True, populate_by_name=True
    )

    service_name: str = "service"
    database_url: SecretStr = SecretStr("postgresql://localhost:5432/postgres")
    database_pool_size: int = Field(default=10, ge=1, le=200)
    # For the migrations only (they run as the owner): the role the service runs as, which
    # they grant its row privileges (qaf_shared/runtime_role.py).
    database_runtime_role: str | None = None
    # None: asyncpg's own default (a DSN's `sslmode`, else libpq's PGSSLMODE, else prefer).
    database_sslmode: SslMode | None = None
    database_sslrootcert: Path | None = None

    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    # Prepended to every topic name: lets tests (or several stacks on one broker) stay apart.
    kafka_topic_prefix: str = ""
    # How every Kafka client of the service authenticates (docs/architecture.md, Security,
    # Kafka connections); qaf_shared.kafka.client_options turns these into the clients' arguments.
    # PLAINTEXT is for a private development broker only. With SSL or SASL_SSL the broker's
    # certificate is checked against `kafka_ssl_ca_file` (the system's trust store when
    # unset, as for a managed offering with a public CA); `kafka_ssl_cert_file` (and
    # `kafka_ssl_key_file`, unless the key is in the cert file) is a client certificate for
    # mutual TLS. SASL's username and password are read from files (Secrets mounted as
    # files), never from variables; OAUTHBEARER takes a token provider instead: the dotted
    # path (`package.module:factory` or `package.module.factory`) of a callable that returns
    # an `aiokafka.abc.AbstractTokenProvider`.
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_SSL"] = "PLAINTEXT"
    kafka_ssl_ca_file: OptionalPath = None
    kafka_ssl_cert_file: OptionalPath = None
    kafka_ssl_key_file: OptionalPath = None
    kafka_sasl_mechanism: Annotated[
        Literal["SCRAM-SHA-256", "SCRAM-SHA-512", "PLAIN", "OAUTHBEARER"] | None,
        BeforeValidator(_empty_is_none),
    ] = None
    kafka_sasl_username_file: OptionalPath = None
    kafka_sasl_password_file: OptionalPath = None
    kafka_sasl_oauth_token_provider: OptionalStr = None

    auth_jwks: str = str(RUN_DIR / "dev-keys" / "jwks.json")
    auth_issuer: str = "https://dev.qa.local/"
    auth_audience: str = "qa-api"
    auth_jwks_ttl_s: float = Field(default=300.0, gt=0)
    auth_jwks_cooldown_s: float = Field(default=10.0, gt=0)
    auth_jwks_wait_s: float = Field(default=0.5, gt=0, le=10)
    auth_leeway_s: float = Field(default=30.0, ge=0, le=300)

    relay_enabled: bool = True
    relay_poll_interval_s: float = Field(default=1.0, gt=0)
    relay_batch_size: int = Field(default=500, ge=1, le=5000)

    max_body_bytes: int = 1024 * 1024
    list_limit_max: int = Field(default=200, ge=1)
    # How long an Idempotency-Key answers its first response; at least 24 hours (the
    # contract). Past it the key's row, which holds that whole response, is deleted by the
    # write services' retention worker (qaf_shared.http.idempotency_retention), which runs
    # every `idempotency_purge_interval_s` seconds, `idempotency_purge_batch_size` rows a
    # statement.
    idempotency_ttl_hours: int = Field(default=48, ge=24)
    idempotency_purge_interval_s: float = Field(default=300.0, gt=0)
    idempotency_purge_batch_size: int = Field(default=1000, ge=1, le=10_000)
    log_level: str = "INFO"
    workers: int = Field(default=1, ge=1)

    docs_enabled: bool = True
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    # The OTLP/HTTP base URL (the exporter adds /v1/traces), as OpenTelemetry's own variable
    # names it; the exporter reads its other OTEL_EXPORTER_OTLP_* variables (headers,
    # certificate, timeout) itself.
    otlp_endpoint: str | None = Field(
        default=None,
        validation_alias=AliasChoices(
            "otlp_endpoint", "QA_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT"
        ),
    )

    @model_validator(mode="after")
    def _kafka_security_is_complete(self) -> Self:
        """Refuse at start-up a Kafka security setting that could never connect."""
        protocol = self.kafka_security_protocol
        tls = (self.kafka_ssl_ca_file, self.kafka_ssl_cert_file, self.kafka_ssl_key_file)
        if protocol == "PLAINTEXT" and any(tls):
            raise ValueError(
                "QA_KAFKA_SSL_* files are set but QA_KAFKA_SECURITY_PROTOCOL is PLAINTEXT"
            )
        if self.kafka_ssl_key_file and not self.kafka_ssl_cert_file:
            raise ValueError("QA_KAFKA_SSL_KEY_FILE needs QA_KAFKA_SSL_CERT_FILE")
        sasl = (
            self.kafka_sasl_mechanism,
            self.kafka_sasl_username_file,
            self.kafka_sasl_password_file,
            self.kafka_sasl_oauth_token_provider,
        )
        if protocol != "SASL_SSL":
            if any(sasl):
                raise ValueError(
                    "QA_KAFKA_SASL_* is set but QA_KAFKA_SECURITY_PROTOCOL is not SASL_SSL"
                )
            return self
        if self.kafka_sasl_mechanism is None:
            raise ValueError("QA_KAFKA_SECURITY_PROTOCOL=SASL_SSL needs QA_KAFKA_SASL_MECHANISM")
        if self.kafka_sasl_mechanism == "OAUTHBEARER":
            if not self.kafka_sasl_oauth_token_provider:
                raise ValueError(
                    "QA_KAFKA_SASL_MECHANISM=OAUTHBEARER needs QA_KAFKA_SASL_OAUTH_TOKEN_PROVIDER"
                )
        elif not (self.kafka_sasl_username_file and self.kafka_sasl_password_file):
            raise ValueError(
                f"QA_KAFKA_SASL_MECHANISM={self.kafka_sasl_mechanism} needs "
                "QA_KAFKA_SASL_USERNAME_FILE and QA_KAFKA_SASL_PASSWORD_FILE"
            )
        return self

    def topic(self, name: str) -> str:
        """The real topic name for a catalogue topic name."""
        return f"{self.kafka_topic_prefix}{name}"
