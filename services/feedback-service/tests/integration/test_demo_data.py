"""deploy/local/demo_feedback.py against the real service process: it loads every kind of
record (every source, every PN code, every complaint stage and outcome, provider batches and
reports) for both tenants over six quarters, quickly, and a second run adds nothing."""

from __future__ import annotations

import importlib.util
import random
import sys
import time
from collections.abc import Callable
from datetime import date
from types import ModuleType

import asyncpg
import httpx
import pytest

from qaf_shared.database import connect
from qaf_shared.settings import REPO_ROOT
from qaf_shared.testing.fixtures import DatabaseFactory
from qaf_shared.testing.processes import start_service

DEMO_DIR = REPO_ROOT / "deploy" / "local"


def demo_module(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, DEMO_DIR / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def demo() -> tuple[ModuleType, ModuleType]:
    sys.path.insert(0, str(DEMO_DIR))  # demo.py imports its siblings by name
    try:
        return demo_module("demo"), demo_module("demo_feedback")
    finally:
        sys.path.remove(str(DEMO_DIR))


async def _values(db: asyncpg.Connection, sql: str) -> set[str]:
    return {r[0] for r in await db.fetch(sql)}


async def test_the_demo_loads_every_kind_of_record_quickly_and_only_once(
    make_database: DatabaseFactory,
    topic_prefix: str,
    demo: tuple[ModuleType, ModuleType],
    token: Callable[..., str],
) -> None:
    token("feedback:read")  # the dev keys exist before the service starts
    demo_main, loader = demo
    dsn = await make_database("feedback_service")
    env = {"QA_DATABASE_URL": dsn, "QA_KAFKA_TOPIC_PREFIX": topic_prefix}
    process, base = start_service("feedback-demo", "feedback_service.main:create_app", env)
    loader.FEEDBACK = base
    today = date.today()
    quarters = demo_main.quarters_back(today, demo_main.QUARTERS)
    try:
        with httpx.Client(timeout=10) as client:
            started = time.monotonic()
            loaded = sum(
                loader.load(client, tenant, random.Random(7), today, quarters)
                for tenant in demo_main.TENANTS
            )
            took = time.monotonic() - started
            db = await connect(dsn)
            try:
                counts = await db.fetchval(
                    "SELECT (SELECT count(*) FROM feedback_items) + (SELECT count(*) FROM complaints)"
                    " + (SELECT count(*) FROM participation_records)"
                    " + (SELECT count(*) FROM provider_reports)"
                )
                assert loaded == counts
                again = sum(
                    loader.load(client, tenant, random.Random(7), today, quarters)
                    for tenant in demo_main.TENANTS
                )
                assert again == loaded  # the same records, answered again by their keys
                assert (
                    await db.fetchval(
                        "SELECT (SELECT count(*) FROM feedback_items) + (SELECT count(*) FROM complaints)"
                        " + (SELECT count(*) FROM participation_records)"
                        " + (SELECT count(*) FROM provider_reports)"
                    )
                    == counts
                )
                assert await _values(db, "SELECT DISTINCT tenant FROM feedback_items") == {
                    "886",
                    "887",
                }
                assert await _values(db, "SELECT DISTINCT source FROM feedback_items") == {
                    "CP_CONFERENCE",
                    "CIC_REVIEW",
                    "ADVOCACY",
                    "INDEPENDENT_VISITOR",
                    "PARTNER",
                    "STAFF",
                    "COMPLIMENT",
                }
                assert await _values(db, "SELECT DISTINCT pn_code FROM participation_records") == {
                    f"PN{n}" for n in range(8)
                }
                assert await _values(db, "SELECT DISTINCT status FROM complaints") == {
                    "STAGE1",
                    "STAGE2",
                    "STAGE3",
                    "CLOSED",
                }
                outcomes = await db.fetch(
                    "SELECT DISTINCT s->>'stage' AS stage, s->>'outcome' AS outcome "
                    "FROM complaints, jsonb_array_elements(stages) s WHERE s->>'outcome' IS NOT NULL"
                )
                assert {r["outcome"] for r in outcomes} == {
                    "UPHELD",
                    "PARTLY_UPHELD",
                    "NOT_UPHELD",
                    "WITHDRAWN",
                }
                assert {r["stage"] for r in outcomes} == {"STAGE1", "STAGE2", "STAGE3"}
                assert (
                    await db.fetchval("SELECT count(DISTINCT quarter) FROM provider_reports")
                    == len(quarters) - 1
                )
                assert await db.fetchval("SELECT bool_or(ombudsman_referred) FROM complaints")
                assert await db.fetchval("SELECT sum(rejected) FROM provider_submissions") > 0
            finally:
                await db.close()
    finally:
        process.kill()
    print(f"demo: {loaded} records in {took:.1f}s")
    # About 6 s on an idle 2-core machine; the margin is for a busy one.
    assert took < 40, f"the demo took {took:.1f}s"
