"""The TLS a connection gets from the settings, with libpq's meanings of `sslmode`."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest

from qaf_shared.database import database_ssl, ssl_option
from qaf_shared.settings import ServiceSettings


def test_verify_full_checks_the_chain_and_the_name_verify_ca_the_chain_only() -> None:
    full = ssl_option("verify-full")
    ca = ssl_option("verify-ca")
    assert isinstance(full, ssl.SSLContext) and isinstance(ca, ssl.SSLContext)
    assert full.verify_mode == ca.verify_mode == ssl.CERT_REQUIRED
    assert (full.check_hostname, ca.check_hostname) == (True, False)


def test_the_modes_that_check_nothing_are_left_to_asyncpg_and_unset_is_its_default() -> None:
    for mode in ("disable", "allow", "prefer", "require"):
        assert ssl_option(mode) == mode
    assert database_ssl(ServiceSettings()) is None


def test_a_named_ca_file_that_is_missing_fails_at_once(tmp_path: Path) -> None:
    settings = ServiceSettings(
        database_sslmode="verify-full", database_sslrootcert=tmp_path / "missing.crt"
    )
    with pytest.raises(FileNotFoundError):
        database_ssl(settings)
