"""The demo loader (deploy/local/demo_audits.py) against a real service process with a
database of its own: everything through the public API, every audit state, every action
status, programmes of every kind, a few safeguarding concerns; and a second run changes
nothing."""

from __future__ import annotations

import asyncio
import importlib.util
import random
import shutil
import sys
from collections import Counter
from collections.abc import Callable
from datetime import date
from pathlib import Path
from types import ModuleType
from typing import Any

import asyncpg
import httpx
import yaml

from audit_service.configuration import DEFAULT_DIR
from qaf_shared.clock import BusinessClock
from qaf_shared.database import connect
from qaf_shared.quarters import previous_quarter, quarter_of
from qaf_shared.settings import REPO_ROOT
from qaf_shared.testing.fixtures import DatabaseFactory
from qaf_shared.testing.processes import start_service

from .statuses import STATES


def _demo_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "demo_audits", REPO_ROOT / "deploy" / "local" / "demo_audits.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _quarters(day: date, count: int) -> list[str]:
    quarters = [quarter_of(day)]
    while len(quarters) < count:
        quarters.append(previous_quarter(quarters[-1]))
    return list(reversed(quarters))


async def test_the_demo_loads_every_state_through_the_api_and_reloads_idempotently(
    make_database: DatabaseFactory, topic_prefix: str, token: Callable[..., str], tmp_path: Path
) -> None:
    dsn = await make_database("audit_service")
    # A higher moderation rate than Kent's 10%, so that the service's random choice sends
    # enough audits to moderation for the loader's MODERATION and MODERATED states.
    config_dir = tmp_path / "config"
    shutil.copytree(DEFAULT_DIR, config_dir)
    (config_dir / "tenants" / "886.yaml").write_text(
        yaml.safe_dump({"tenant": "886", "moderation_rate": 0.3})
    )
    env = {
        "QA_DATABASE_URL": dsn,
        "QA_KAFKA_TOPIC_PREFIX": topic_prefix,
        "QA_RELAY_ENABLED": "false",
        "QA_CONFIG_DIR": str(config_dir),
    }
    process, base = start_service("audit-demo", "audit_service.main:create_app", env)
    demo = _demo_module()
    on = BusinessClock().today()
    quarters = _quarters(on, 6)

    def run() -> int:
        with httpx.Client(timeout=10) as client:
            loaded: int = demo.load(client, "886", random.Random(7), on, quarters, base_url=base)
            return loaded

    try:
        loaded = await asyncio.to_thread(run)
        conn = await connect(dsn)
        try:
            first = await _snapshot(conn)
            again = await asyncio.to_thread(run)  # a second run answers from its keys
            assert again == loaded and await _snapshot(conn) == first
        finally:
            await conn.close()
    finally:
        process.kill()

    statuses, kinds, actions, concerns, quarters_seen, areas, writers, _ = first
    assert sum(statuses.values()) == loaded
    assert set(statuses) == set(STATES), statuses
    assert set(kinds) == {"MONTHLY", "THEMED", "AREA", "MULTI_AGENCY", "CLOSURE"}
    assert set(actions) == {"OPEN", "IN_PROGRESS", "COMPLETED", "VERIFIED", "CANCELLED"}
    assert concerns >= 3
    assert quarters_seen == set(quarters)
    assert areas == {"NORTH", "EAST", "SOUTH", "WEST"}
    # The loader acts for itself, except that peer reviews and moderations are done by the
    # reviewer and moderator they name (separation of duties).
    assert {client for client, _ in writers} == {"demo-loader"}
    actors = {actor for _, actor in writers}
    assert "demo" in actors and any(a.startswith("pr-") for a in actors)
    assert any(a.startswith("mo-") for a in actors)
    assert actors <= {"demo"} | {f"pr-{n}" for n in range(20)} | {f"mo-{n}" for n in range(5)}


async def _snapshot(conn: asyncpg.Connection) -> tuple[Any, ...]:
    statuses = Counter(
        {
            r["status"]: r["n"]
            for r in await conn.fetch("SELECT status, count(*) AS n FROM audits GROUP BY status")
        }
    )
    kinds = {r["kind"] for r in await conn.fetch("SELECT DISTINCT kind FROM programmes")}
    actions = {r["status"] for r in await conn.fetch("SELECT DISTINCT status FROM audit_actions")}
    concerns = await conn.fetchval("SELECT count(*) FROM safeguarding_concerns")
    submitted = await conn.fetch("SELECT submitted_on FROM audits WHERE submitted_on IS NOT NULL")
    quarters_seen = {quarter_of(r["submitted_on"]) for r in submitted}
    areas = {
        r["area"]
        for r in await conn.fetch("SELECT DISTINCT area FROM audits WHERE area IS NOT NULL")
    }
    writers = {
        (r["client"], r["actor"])
        for r in await conn.fetch("SELECT DISTINCT client, actor FROM change_log")
    }
    outbox = await conn.fetchval("SELECT count(*) FROM outbox")
    return statuses, kinds, actions, concerns, quarters_seen, areas, writers, outbox
