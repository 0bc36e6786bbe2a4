"""The Kafka security settings: refused at start-up when they could never connect, and turned
into the clients' options by the one function every client uses."""

from __future__ import annotations

import os
import ssl
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from aiokafka.abc import AbstractTokenProvider
from pydantic import ValidationError

from qaf_shared.kafka import KafkaSettingsError, client_options
from qaf_shared.settings import ServiceSettings


class StaticToken(AbstractTokenProvider):
    async def token(self) -> str:
        return "a-token"


def token_provider() -> StaticToken:
    """What QA_KAFKA_SASL_OAUTH_TOKEN_PROVIDER names in these tests."""
    return StaticToken()


def not_a_provider() -> object:
    return object()


def _from_env(**env: str) -> ServiceSettings:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("QA_")}
    with mock.patch.dict(os.environ, {**clean, **env}, clear=True):
        return ServiceSettings()


@pytest.fixture
def credentials(tmp_path: Path) -> dict[str, Any]:
    (tmp_path / "username").write_text("audit-service\n")
    (tmp_path / "password").write_text("s3cret-pw\n")
    return {
        "kafka_security_protocol": "SASL_SSL",
        "kafka_sasl_mechanism": "SCRAM-SHA-512",
        "kafka_sasl_username_file": tmp_path / "username",
        "kafka_sasl_password_file": tmp_path / "password",
    }


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({"kafka_security_protocol": "SASL_SSL"}, "QA_KAFKA_SASL_MECHANISM"),
        (
            {"kafka_security_protocol": "SASL_SSL", "kafka_sasl_mechanism": "SCRAM-SHA-512"},
            "QA_KAFKA_SASL_PASSWORD_FILE",
        ),
        (
            {
                "kafka_security_protocol": "SASL_SSL",
                "kafka_sasl_mechanism": "PLAIN",
                "kafka_sasl_username_file": "/run/kafka/username",
            },
            "QA_KAFKA_SASL_PASSWORD_FILE",
        ),
        (
            {"kafka_security_protocol": "SASL_SSL", "kafka_sasl_mechanism": "OAUTHBEARER"},
            "QA_KAFKA_SASL_OAUTH_TOKEN_PROVIDER",
        ),
        ({"kafka_sasl_mechanism": "SCRAM-SHA-256"}, "not SASL_SSL"),
        ({"kafka_ssl_ca_file": "/etc/ca.pem"}, "PLAINTEXT"),
        (
            {"kafka_security_protocol": "SSL", "kafka_ssl_key_file": "/run/key.pem"},
            "QA_KAFKA_SSL_CERT_FILE",
        ),
    ],
)
def test_settings_that_could_never_connect_are_refused_at_start_up(
    settings: dict[str, Any], named: str
) -> None:
    with pytest.raises(ValidationError, match=named):
        ServiceSettings(**settings)


def test_an_unknown_protocol_or_mechanism_is_refused() -> None:
    with pytest.raises(ValidationError):
        ServiceSettings(kafka_security_protocol="SASL_PLAINTEXT")
    with pytest.raises(ValidationError):
        ServiceSettings(kafka_security_protocol="SASL_SSL", kafka_sasl_mechanism="GSSAPI")


def test_an_empty_variable_leaves_a_setting_unset() -> None:
    settings = _from_env(
        QA_KAFKA_SECURITY_PROTOCOL="SSL",
        QA_KAFKA_SSL_CA_FILE="",
        QA_KAFKA_SASL_MECHANISM="",
        QA_KAFKA_SASL_OAUTH_TOKEN_PROVIDER="",
    )
    assert settings.kafka_ssl_ca_file is None and settings.kafka_sasl_mechanism is None


def test_plaintext_gives_the_bootstrap_servers_only() -> None:
    options = client_options(ServiceSettings(kafka_bootstrap_servers="k1:9092,k2:9092"))
    assert options == {"bootstrap_servers": "k1:9092,k2:9092", "security_protocol": "PLAINTEXT"}


def test_sasl_ssl_verifies_the_broker_and_reads_the_credentials_from_their_files(
    credentials: dict[str, Any],
) -> None:
    options = client_options(ServiceSettings(**credentials))
    context = options.pop("ssl_context")
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert options == {
        "bootstrap_servers": "127.0.0.1:9092",
        "security_protocol": "SASL_SSL",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "audit-service",
        "sasl_plain_password": "s3cret-pw",
    }


def test_a_rotated_password_is_read_by_the_next_client(credentials: dict[str, Any]) -> None:
    settings = ServiceSettings(**credentials)
    credentials["kafka_sasl_password_file"].write_text("rotated\n")
    assert client_options(settings)["sasl_plain_password"] == "rotated"


def test_a_missing_or_empty_secret_file_is_named_and_its_content_never_shown(
    credentials: dict[str, Any],
) -> None:
    credentials["kafka_sasl_password_file"].write_text("\n")
    with pytest.raises(KafkaSettingsError, match="QA_KAFKA_SASL_PASSWORD_FILE names an empty"):
        client_options(ServiceSettings(**credentials))
    credentials["kafka_sasl_password_file"].unlink()
    with pytest.raises(KafkaSettingsError, match="QA_KAFKA_SASL_PASSWORD_FILE cannot be read"):
        client_options(ServiceSettings(**credentials))


def test_an_unloadable_ca_file_is_a_settings_error(tmp_path: Path) -> None:
    (tmp_path / "ca.pem").write_text("not a certificate")
    settings = ServiceSettings(kafka_security_protocol="SSL", kafka_ssl_ca_file=tmp_path / "ca.pem")
    with pytest.raises(KafkaSettingsError, match="QA_KAFKA_SSL_"):
        client_options(settings)


def test_oauthbearer_calls_the_token_provider_hook() -> None:
    settings = ServiceSettings(
        kafka_security_protocol="SASL_SSL",
        kafka_sasl_mechanism="OAUTHBEARER",
        kafka_sasl_oauth_token_provider=f"{__name__}:token_provider",
    )
    options = client_options(settings)
    assert options["sasl_mechanism"] == "OAUTHBEARER"
    assert isinstance(options["sasl_oauth_token_provider"], StaticToken)
    assert "sasl_plain_password" not in options


@pytest.mark.parametrize("hook", [f"{__name__}:not_a_provider", "no_such_module:factory"])
def test_a_hook_that_gives_no_token_provider_is_a_settings_error(hook: str) -> None:
    settings = ServiceSettings(
        kafka_security_protocol="SASL_SSL",
        kafka_sasl_mechanism="OAUTHBEARER",
        kafka_sasl_oauth_token_provider=hook,
    )
    with pytest.raises(KafkaSettingsError, match="QA_KAFKA_SASL_OAUTH_TOKEN_PROVIDER"):
        client_options(settings)
