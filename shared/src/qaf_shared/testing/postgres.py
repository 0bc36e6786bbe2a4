"""A PostgreSQL cluster of a test's own, for what the shared server must never see: a TLS-only
configuration, or a restart in the middle of a run. It is made, started, stopped and dropped by
deploy/local/postgres.sh with its settings (another port and cluster name), the one way this
project installs and runs PostgreSQL; its roles and databases are the developer's server's."""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from qaf_shared.settings import REPO_ROOT
from qaf_shared.testing.processes import free_port

POSTGRES_SH = REPO_ROOT / "deploy" / "local" / "postgres.sh"


class PrivateCluster:
    """One cluster on a free port; `tls_dir` makes it take TLS connections only, with the CA
    its `ca_file` names (made by the script)."""

    def __init__(self, *, tls_dir: Path | None = None) -> None:
        self.name = f"qa-test-{uuid.uuid4().hex[:8]}"
        self.port = free_port()
        self.tls_dir = tls_dir

    @property
    def ca_file(self) -> Path:
        assert self.tls_dir is not None, "a cluster without TLS has no CA"
        return self.tls_dir / "ca.crt"

    def role_dsn(self, role: str, database: str, host: str = "127.0.0.1") -> str:
        """The DSN of a role of deploy/local/postgres.sh (password = role name)."""
        return f"postgresql://{role}:{role}@{host}:{self.port}/{database}"

    def start(self) -> None:
        """Create the cluster if need be, start it and wait until it answers."""
        self._run("start")

    def stop(self) -> None:
        self._run("stop")

    def drop(self) -> None:
        self._run("drop")

    def _run(self, command: str) -> None:
        env = {
            **os.environ,
            "POSTGRES_PORT": str(self.port),
            "POSTGRES_CLUSTER": self.name,
            "POSTGRES_TLS_DIR": str(self.tls_dir or ""),
        }
        result = subprocess.run(
            ["bash", str(POSTGRES_SH), command], env=env, capture_output=True, text=True
        )
        assert result.returncode == 0, f"postgres.sh {command}: {result.stdout}{result.stderr}"


@contextmanager
def private_cluster(*, tls_dir: Path | None = None) -> Iterator[PrivateCluster]:
    """A started private cluster, dropped (data and all) when the block ends."""
    cluster = PrivateCluster(tls_dir=tls_dir)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.drop()
