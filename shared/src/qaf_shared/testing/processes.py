"""Real subprocesses for crash tests: start a service or relay, SIGKILL it, start it again."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from qaf_shared.settings import RUN_DIR


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Process:
    """A child process with its output in `.run/test-logs/`; `kill()` is a real SIGKILL."""

    def __init__(self, name: str, args: list[str], env: dict[str, str]) -> None:
        log_dir = RUN_DIR / "test-logs"
        log_dir.mkdir(parents=True, exist_ok=True)
        self.log_path: Path = log_dir / f"{name}.log"
        self._log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            args, env={**os.environ, **env}, stdout=self._log, stderr=subprocess.STDOUT
        )

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)
        self._log.close()

    def stop(self, timeout: float = 30.0) -> int:
        """SIGTERM, as an orchestrator stops it, and wait for it to exit; its exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=timeout)
        self._log.close()
        return code

    def alive(self) -> bool:
        return self.proc.poll() is None


def start_relay(name: str, env: dict[str, str]) -> Process:
    return Process(name, [sys.executable, "-m", "qaf_shared.outbox.relay"], env)


# A start-up waits this long while the process is alive: reporting-service's imports (the
# solver, numpy, every projection) took over 30 s on this 2-core machine under a full test
# suite's load, and a process that exits fails at once whatever the timeout.
START_TIMEOUT_S = 90.0


def start_service(
    name: str, factory: str, env: dict[str, str], *, timeout: float = START_TIMEOUT_S
) -> tuple[Process, str]:
    """Start `uvicorn --factory <factory>` on a free port and wait for /healthz."""
    port = free_port()
    process = Process(
        name,
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            factory,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-access-log",
        ],
        env,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not process.alive():
            raise RuntimeError(f"{name} exited; see {process.log_path}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return process, base
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"{name} did not answer within {timeout}s; see {process.log_path}")
