"""PostgreSQL over TLS, against a cluster of the test's own that takes TLS connections only
(deploy/local/postgres.sh with POSTGRES_TLS_DIR: a CA and a server certificate for localhost
and 127.0.0.1 made by openssl, `hostssl` alone in pg_hba): the migrations and a service run
with `verify-full` and its CA; a wrong CA and a plaintext connection are refused."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Final

import asyncpg
import pytest

from audit_service.main import create_app
from audit_service.settings import AuditSettings
from qaf_shared.database import connect, ssl_option
from qaf_shared.testing.fixtures import auth, create_database, serve
from qaf_shared.testing.postgres import PrivateCluster, private_cluster

VERIFY_FULL: Final = "verify-full"


@pytest.fixture(scope="module")
def tls_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivateCluster]:
    with private_cluster(tls_dir=tmp_path_factory.mktemp("pg-tls")) as cluster:
        yield cluster


def other_ca(directory: Path) -> Path:
    """A CA that signed nothing the server has (same subject, another key)."""
    ca = directory / "other-ca.crt"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=QA local PostgreSQL CA", "-keyout", str(directory / "other-ca.key"),
         "-out", str(ca)],
        check=True, capture_output=True,
    )  # fmt: skip
    return ca


async def test_a_service_migrates_connects_and_serves_with_verify_full(
    tls_cluster: PrivateCluster, topic_prefix: str, token: Callable[..., str]
) -> None:
    ssl = ssl_option(VERIFY_FULL, tls_cluster.ca_file)
    dsn = await create_database("audit_service", "tls_audit", tls_cluster.role_dsn, ssl=ssl)
    settings = AuditSettings(
        database_url=dsn,
        database_sslmode=VERIFY_FULL,
        database_sslrootcert=tls_cluster.ca_file,
        kafka_topic_prefix=topic_prefix,
        relay_enabled=False,
    )
    async with serve(create_app(settings)) as client:
        created = await client.post(
            "/v1/audits",
            json={
                "case_ref": "C-TLS",
                "team": "ASH-CP1",
                "plan_type": "CIC",
                "auditor": "a-1",
                "due_date": "2027-01-31",
            },
            headers=auth(token("audits:write audits:read")),
        )
        assert created.status_code == 201, created.text
        assert (await client.get("/readyz")).json()["checks"]["database"] == "ok"
        pool: asyncpg.Pool = client._transport.app.state.pool  # type: ignore[attr-defined]
        # The service's own connections, as the server sees them: every one over TLS.
        encrypted = await pool.fetch(
            "SELECT s.ssl FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid)"
            " WHERE a.usename = current_user"
        )
        assert encrypted and all(row["ssl"] for row in encrypted)


async def test_verify_full_refuses_a_server_whose_certificate_another_ca_signed(
    tls_cluster: PrivateCluster, tmp_path: Path
) -> None:
    wrong = ssl_option(VERIFY_FULL, other_ca(tmp_path))
    with pytest.raises(OSError, match="certificate verify failed"):
        await connect(tls_cluster.role_dsn("audit_service", "audit_service"), ssl=wrong)


async def test_a_plaintext_connection_is_refused(tls_cluster: PrivateCluster) -> None:
    with pytest.raises(asyncpg.InvalidAuthorizationSpecificationError, match="no encryption"):
        await connect(tls_cluster.role_dsn("audit_service", "audit_service"), ssl="disable")
