"""A Kafka broker of a test's own, for what the shared one must never see: a secured broker
(SASL_SSL, a user per service, ACLs) or one killed and restarted. deploy/local/kafka.sh starts
it, the way `make run` starts the development broker, on spare ports with its own state under
`.run/<name>/`; the shared broker on 9092 is left alone."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import Any, Literal

from qaf_shared.settings import REPO_ROOT, RUN_DIR
from qaf_shared.testing.processes import free_port

KAFKA_SH = REPO_ROOT / "deploy" / "local" / "kafka.sh"


class PrivateBroker:
    """One KRaft node that kafka.sh starts, stops, and whose process a test can SIGKILL."""

    def __init__(self, name: str, *, security: Literal["plaintext", "sasl_ssl"]) -> None:
        self.name = name
        self.port = free_port()
        self._env = {
            **os.environ,
            "KAFKA_SECURITY": security,
            "KAFKA_NAME": name,
            "KAFKA_PORT": str(self.port),
            "KAFKA_CONTROLLER_PORT": str(free_port()),
        }

    def _script(self, *args: str) -> str:
        result = subprocess.run(
            ["bash", str(KAFKA_SH), *args],
            env=self._env,
            capture_output=True,
            text=True,
            check=False,
            timeout=180,
        )
        if result.returncode != 0:
            raise AssertionError(
                f"kafka.sh {args[0]} ({self.name}) failed:\n{result.stdout}{result.stderr}"
            )
        return result.stdout

    def start(self) -> None:
        """Start (formatting, certificates, users and ACLs the first time); returns once the
        broker serves clients."""
        self._script("start")

    def stop(self) -> None:
        self._script("stop")

    def kill(self) -> None:
        """SIGKILL the broker's process, as a crash would, and wait until it is gone."""
        pid = int((RUN_DIR / "pids" / f"{self.name}.pid").read_text())
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                state = Path(f"/proc/{pid}/stat").read_text()
            except OSError:
                return
            if state.rsplit(")", 1)[1].split()[0] in ("Z", "X"):
                return
            time.sleep(0.05)
        raise AssertionError(f"broker pid {pid} survived SIGKILL")

    def remove(self) -> None:
        """Stop it and delete its state (data, certificates, users)."""
        try:
            self.stop()
        finally:
            shutil.rmtree(RUN_DIR / self.name, ignore_errors=True)

    def settings(self, user: str) -> dict[str, Any]:
        """The Kafka settings (ServiceSettings keyword arguments) with which `user` (admin or
        a service's name) reaches this broker."""
        lines = self._script("env", user).splitlines()
        return {
            key.removeprefix("QA_").lower(): value
            for key, value in (line.split("=", 1) for line in lines if line)
        }
