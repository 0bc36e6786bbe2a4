"""What every benchmark runs in: PostgreSQL and Kafka (started through deploy/local/ if they
do not answer), throwaway databases and topics, service processes on spare ports, tokens,
and the load generator. Everything made is removed again when the environment closes.

    from bench.env import BenchEnv

    with BenchEnv() as env:              # makes the dev signing keys; starts nothing yet
        env.quick                        # BENCH_QUICK=1: shorter runs (a smoke test, not figures)
        env.seconds(20)                  # 20, or BENCH_QUICK_SECONDS (default 3) in quick mode
        env.repeats                      # runs per figure: BENCH_REPEATS, default 3 (2 quick)
        dsn = env.database("audit_service")   # new database, that service's migrations applied
        prefix = env.topics()            # a prefix under which every topic of deploy/topics.yaml
                                         # exists, empty (QA_KAFKA_TOPIC_PREFIX)
        bearer = env.token("audits:write", tenant="886")
        svc = env.start_service(         # `uvicorn --factory audit_service.main:create_app`, one
            "audit_service",             # worker, no access log (as deploy/local/services.sh),
            database=dsn, topic_prefix=prefix,   # on a spare port; returns once /readyz answers
            settings={"QA_RELAY_ENABLED": "true"},
        )
        # reporting_service gets a consumer group of its own (QA_CONSUMER_GROUP) unless given
        svc.url                          # http://127.0.0.1:<port>
        svc.pid                          # for py-spy
        svc.cpu_seconds()                # its CPU time so far (user + system)
        env.start_app("bench.baseline:create_app", name="baseline", settings={...})
        svc.stop()                       # or leave it: close() stops whatever is still running
        env.wrk                          # path of wrk (installed from Debian's packages if absent)

Helpers: `role_dsn(package, database)` (local roles: password = name), `answers_tcp(host,
port)`, `ensure_debian_tool(command)`.

Call it from synchronous code (a benchmark's `run(env)`); from a coroutine, go through
`asyncio.to_thread`. Services never take ports 8001-8005: those are the development system's.
Logs of the processes started are in .run/bench-logs/."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import asyncpg
import httpx

from qaf_shared import devtoken, migrations
from qaf_shared.kafka import admin_client, ensure_topics
from qaf_shared.runtime_role import runtime_role_for
from qaf_shared.settings import REPO_ROOT, RUN_DIR, ServiceSettings
from qaf_shared.testing.processes import free_port

PG_HOST = "127.0.0.1"
PG_PORT = 5432
# The broker and how to reach it (QA_KAFKA_*, security included), as the services read it.
KAFKA_SETTINGS = ServiceSettings()
KAFKA = KAFKA_SETTINGS.kafka_bootstrap_servers
RESERVED_PORTS = range(8001, 8006)  # the development system's (make run)
LOG_DIR = RUN_DIR / "bench-logs"


def role_dsn(package: str, database: str) -> str:
    """Locally each service package has a role of the same name (password = name)."""
    return f"postgresql://{package}:{package}@{PG_HOST}:{PG_PORT}/{database}"


def answers_tcp(host: str, port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex((host, port)) == 0


def _run_quietly(args: list[str]) -> None:
    result = subprocess.run(args, cwd=REPO_ROOT, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")


def ensure_debian_tool(name: str, package: str | None = None) -> str:
    """The path of a command, installing its Debian package with apt-get when it is missing."""
    path = shutil.which(name)
    if path:
        return path
    apt = ["apt-get"] if os.geteuid() == 0 else ["sudo", "apt-get"]
    print(f"bench: installing {package or name} from Debian's packages", file=sys.stderr)
    _run_quietly([*apt, "update", "-qq"])
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    result = subprocess.run(
        [*apt, "install", "-y", "-qq", package or name], env=env, capture_output=True, text=True
    )
    path = shutil.which(name)
    if result.returncode != 0 or not path:
        raise RuntimeError(f"apt-get could not install {package or name}:\n{result.stderr}")
    return path


@dataclass
class Process:
    """A process this environment started (stopped by its own pid, never by name)."""

    name: str
    url: str
    port: int
    popen: subprocess.Popen[bytes]
    log_path: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the process has used so far: what a request costs, read
        this way, holds up when other work on the machine slows the wall clock down."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=10)


@dataclass
class BenchEnv:
    quick: bool = field(default_factory=lambda: os.environ.get("BENCH_QUICK", "") not in ("", "0"))
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    _databases: list[tuple[str, str]] = field(default_factory=list)
    _topics: list[str] = field(default_factory=list)
    _processes: list[Process] = field(default_factory=list)
    _wrk: str | None = None
    _infrastructure_checked: bool = False

    def __enter__(self) -> BenchEnv:
        devtoken.ensure_keys()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # --- how long and how often ---

    @property
    def repeats(self) -> int:
        default = "2" if self.quick else "3"
        return max(1, int(os.environ.get("BENCH_REPEATS", default)))

    def seconds(self, full: float) -> float:
        """A run's duration: `full` (the issue's), or the quick mode's few seconds."""
        if not self.quick:
            return full
        return min(full, float(os.environ.get("BENCH_QUICK_SECONDS", "3")))

    # --- infrastructure ---

    def ensure_infrastructure(self) -> None:
        """PostgreSQL on 5432 and Kafka on 9092; started through deploy/local/ only when they
        do not answer (the scripts install what is missing). Called by the first database,
        topics or service asked for, so a benchmark that wants the ports free (start-up) can
        look before anything is started."""
        if self._infrastructure_checked:
            return
        if not answers_tcp(PG_HOST, PG_PORT):
            _run_quietly(["bash", "deploy/local/postgres.sh", "start"])
        if not answers_tcp("127.0.0.1", 9092):
            _run_quietly(["bash", "deploy/local/kafka.sh", "start"])
            _run_quietly([sys.executable, "-m", "qaf_shared.kafka"])
        self._infrastructure_checked = True

    def database(self, package: str) -> str:
        """The DSN of a new database owned by `package`'s role, with its migrations applied."""
        self.ensure_infrastructure()
        name = f"bench_{package}_{self.run_id}_{len(self._databases)}"

        async def create() -> None:
            admin = await asyncpg.connect(role_dsn(package, package))
            try:
                await admin.execute(f'CREATE DATABASE "{name}"')
            finally:
                await admin.close()

        asyncio.run(create())
        self._databases.append((package, name))
        dsn = role_dsn(package, name)
        # The owner's DSN is what the benchmarks get (they bulk-load as it, temporary tables
        # included); the runtime role's grants are made all the same, as in production.
        migrations.upgrade(package, dsn, runtime_role=runtime_role_for(package))
        return dsn

    def topics(self) -> str:
        """A new topic prefix under which every topic of deploy/topics.yaml exists."""
        self.ensure_infrastructure()
        prefix = f"bench{self.run_id}.{uuid.uuid4().hex[:4]}."
        self._topics.extend(asyncio.run(ensure_topics(KAFKA_SETTINGS, prefix=prefix)))
        return prefix

    def token(self, scopes: str, *, tenant: str = "886", ttl: int = 7200) -> str:
        return devtoken.mint(scopes=scopes, tenant=tenant, ttl=ttl, subject="bench-client")

    @property
    def wrk(self) -> str:
        if self._wrk is None:
            self._wrk = ensure_debian_tool("wrk")
        return self._wrk

    # --- processes ---

    def start_service(
        self,
        package: str,
        *,
        database: str,
        topic_prefix: str,
        settings: dict[str, str] | None = None,
        name: str | None = None,
    ) -> Process:
        """One of the five services, as `make run` starts it but on a spare port."""
        env = {
            "QA_DATABASE_URL": database,
            "QA_KAFKA_TOPIC_PREFIX": topic_prefix,
            "QA_KAFKA_BOOTSTRAP_SERVERS": KAFKA,
            **(settings or {}),
        }
        if package == "reporting_service":
            env.setdefault("QA_CONSUMER_GROUP", f"bench-{self.run_id}-{len(self._processes)}")
        return self.start_app(f"{package}.main:create_app", name=name or package, settings=env)

    def start_app(
        self, factory: str, *, name: str, settings: dict[str, str], timeout: float = 60.0
    ) -> Process:
        """`uvicorn --factory <factory>` with one worker on a spare port; waits for /readyz."""
        self.ensure_infrastructure()
        port = free_port()
        while port in RESERVED_PORTS:
            port = free_port()
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        log_path = LOG_DIR / f"{self.run_id}-{name}.log"
        clean = {k: v for k, v in os.environ.items() if not k.startswith("QA_")}
        with log_path.open("ab") as log:
            popen = subprocess.Popen(
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
                    "--workers",
                    "1",
                    "--no-access-log",
                ],
                cwd=REPO_ROOT,
                env={**clean, **settings},
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        process = Process(name, f"http://127.0.0.1:{port}", port, popen, log_path)
        self._processes.append(process)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not process.alive():
                raise RuntimeError(f"{name} exited at start; see {log_path}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{process.url}/readyz", timeout=2).status_code == 200:
                    return process
            time.sleep(0.2)
        process.stop()
        raise RuntimeError(f"{name} was not ready within {timeout}s; see {log_path}")

    # --- the end ---

    def close(self) -> None:
        for process in reversed(self._processes):
            with contextlib.suppress(Exception):
                process.stop()
        self._processes.clear()

        async def drop() -> None:
            for package, name in self._databases:
                with contextlib.suppress(Exception):
                    admin = await asyncpg.connect(role_dsn(package, package))
                    try:
                        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                    finally:
                        await admin.close()
            if self._topics:
                admin = admin_client(KAFKA_SETTINGS)
                await admin.start()
                try:
                    with contextlib.suppress(Exception):
                        await admin.delete_topics(self._topics)
                finally:
                    await admin.close()

        asyncio.run(drop())
        self._databases.clear()
        self._topics.clear()
