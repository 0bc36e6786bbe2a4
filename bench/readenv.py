"""The environment the read-side benchmarks (consumer, rebuild, reads) run in.

`make bench` hands each `run(env)` the shared `bench.env.BenchEnv`; run on its own
(`python -m bench.consumer`), a module makes one here. When `bench.env` is absent this falls
back to a small environment of the same shape (the methods these modules use), so that the
modules run standalone either way."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from qaf_shared import devtoken, migrations
from qaf_shared.kafka import ensure_topics
from qaf_shared.settings import REPO_ROOT, RUN_DIR
from qaf_shared.testing.processes import free_port

KAFKA = os.environ.get("QA_KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
RESERVED_PORTS = range(8001, 8005)  # the development system's
LOG_DIR = RUN_DIR / "bench-logs"


def role_dsn(package: str, database: str) -> str:
    return f"postgresql://{package}:{package}@127.0.0.1:5432/{database}"


@contextlib.contextmanager
def environment(env: Any | None) -> Iterator[Any]:
    """The caller's environment, or a new one closed at the end."""
    if env is not None:
        yield env
        return
    try:
        from bench.env import BenchEnv  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        BenchEnv = StandaloneEnv
    with BenchEnv() as made:
        yield made


@dataclass
class Service:
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

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=10)


@dataclass
class StandaloneEnv:
    """Throwaway databases, topics and service processes, removed again on close."""

    quick: bool = field(default_factory=lambda: os.environ.get("BENCH_QUICK", "") not in ("", "0"))
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    _databases: list[tuple[str, str]] = field(default_factory=list)
    _topics: list[str] = field(default_factory=list)
    _processes: list[Service] = field(default_factory=list)

    def __enter__(self) -> StandaloneEnv:
        devtoken.ensure_keys()
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    @property
    def repeats(self) -> int:
        return max(1, int(os.environ.get("BENCH_REPEATS", "2" if self.quick else "3")))

    def database(self, package: str) -> str:
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
        migrations.upgrade(package, dsn)
        return dsn

    def topics(self) -> str:
        prefix = f"bench{self.run_id}.{len(self._topics)}."
        self._topics.extend(asyncio.run(ensure_topics(KAFKA, prefix=prefix)))
        return prefix

    def token(self, scopes: str, *, tenant: str = "886", ttl: int = 7200) -> str:
        return devtoken.mint(scopes=scopes, tenant=tenant, ttl=ttl, subject="bench-client")

    @property
    def wrk(self) -> str:
        path = shutil.which("wrk")
        if path:
            return path
        apt = ["apt-get"] if os.geteuid() == 0 else ["sudo", "apt-get"]
        subprocess.run([*apt, "update", "-qq"], check=True, capture_output=True)
        subprocess.run(
            [*apt, "install", "-y", "-qq", "wrk"],
            check=True,
            capture_output=True,
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        )
        path = shutil.which("wrk")
        if not path:
            raise RuntimeError("apt-get could not install wrk")
        return path

    def start_service(
        self,
        package: str,
        *,
        database: str,
        topic_prefix: str,
        settings: dict[str, str] | None = None,
        name: str | None = None,
    ) -> Service:
        env = {
            "QA_DATABASE_URL": database,
            "QA_KAFKA_TOPIC_PREFIX": topic_prefix,
            "QA_KAFKA_BOOTSTRAP_SERVERS": KAFKA,
            **(settings or {}),
        }
        if package == "reporting_service":
            env.setdefault("QA_CONSUMER_GROUP", f"bench-{self.run_id}-{len(self._processes)}")
        port = free_port()
        while port in RESERVED_PORTS:
            port = free_port()
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        label = name or package
        log_path = LOG_DIR / f"{self.run_id}-{label}.log"
        clean = {k: v for k, v in os.environ.items() if not k.startswith("QA_")}
        with log_path.open("ab") as log:
            popen = subprocess.Popen(
                [
                    *(sys.executable, "-m", "uvicorn", "--factory", f"{package}.main:create_app"),
                    *("--host", "127.0.0.1", "--port", str(port), "--no-access-log"),
                ],
                cwd=REPO_ROOT,
                env={**clean, **env},
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        service = Service(label, f"http://127.0.0.1:{port}", port, popen, log_path)
        self._processes.append(service)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if not service.alive():
                raise RuntimeError(f"{label} exited at start; see {log_path}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{service.url}/readyz", timeout=2).status_code == 200:
                    return service
            time.sleep(0.2)
        service.stop()
        raise RuntimeError(f"{label} was not ready within 60 s; see {log_path}")

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
                from aiokafka.admin import AIOKafkaAdminClient

                client = AIOKafkaAdminClient(bootstrap_servers=KAFKA)
                await client.start()
                try:
                    with contextlib.suppress(Exception):
                        await client.delete_topics(self._topics)
                finally:
                    await client.close()

        asyncio.run(drop())
        self._databases.clear()
        self._topics.clear()


# One topic set per environment, filled once and topped up: the consumer benchmark needs
# 200,000 events on it, the rebuild 1,000,000, and producing them is the slow part.
# (The environment itself is kept with its entry, so that its id is not reused.)
_EVENT_TOPICS: dict[int, tuple[Any, str, int]] = {}


def event_topics(env: Any, at_least: int) -> str:
    """A topic prefix holding at least `at_least` events of the realistic mix."""
    from bench import eventmix

    _, prefix, held = _EVENT_TOPICS.get(id(env), (env, "", 0))
    if not prefix:
        prefix = env.topics()
    if held < at_least:
        # A top-up is new aggregates (another seed), after the ones already there.
        records = eventmix.stream(at_least - held, seed=1000 + held)
        started = time.monotonic()
        sent = asyncio.run(eventmix.produce(KAFKA, prefix, records))
        print(
            f"bench: produced {sent:,} events in {time.monotonic() - started:.0f} s",
            file=sys.stderr,
        )
        held += sent
    _EVENT_TOPICS[id(env)] = (env, prefix, held)
    return prefix


def active_schema(dsn: str) -> str:
    async def read() -> str:
        conn = await asyncpg.connect(dsn)
        try:
            return str(await conn.fetchval("SELECT active_schema FROM projection_state"))
        finally:
            await conn.close()

    return asyncio.run(read())


def topic_events(env: Any) -> int:
    """How many events `event_topics` has put on this environment's topic set."""
    entry = _EVENT_TOPICS.get(id(env))
    return entry[2] if entry else 0
