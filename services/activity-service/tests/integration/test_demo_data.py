"""deploy/local/demo_activity.py: its REST part against the real service process loads every
kind the Deep Dive's activity measures read, for both tenants, on their teams, quickly and
only once; and the returns it ships under deploy/local/demo/ are exactly what the generator
intends, as the service's readers read them, and regenerate byte for byte."""

from __future__ import annotations

import random
import time
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any, NamedTuple

import httpx
import pytest

from activity_service.domain.kinds import Kind
from activity_service.domain.returns.annex_a import read_annex_a_workbook
from activity_service.domain.returns.cin_census import read_cin_census
from activity_service.domain.returns.reading import ReadError, ReadItem, ReadRecord
from activity_service.domain.returns.ssda903 import read_ssda903
from qaf_shared.database import connect
from qaf_shared.testing.activity_returns import (
    Intended,
    IntendedError,
    annex_a_records,
    cin_census_records,
    ssda903_records,
)
from qaf_shared.testing.demo_scripts import DEMO_DIR, Demo, demo_scripts
from qaf_shared.testing.fixtures import DatabaseFactory, auth
from qaf_shared.testing.processes import start_service

TENANTS = ("886", "887")


@pytest.fixture(scope="module")
def demo() -> Demo:
    return demo_scripts("demo_activity")


class Service(NamedTuple):
    """activity-service started for one test, with the demo's loader pointed at it."""

    dsn: str
    base: str
    today: date
    quarters: list[str]


@pytest.fixture
async def service(
    make_database: DatabaseFactory,
    topic_prefix: str,
    demo: Demo,
    token: Callable[..., str],
    request: pytest.FixtureRequest,
) -> AsyncIterator[Service]:
    """The real service process on a database of its own, its log named for the test."""
    token("activity:read")  # the dev keys exist before the service starts
    dsn = await make_database("activity_service")
    env = {
        "QA_DATABASE_URL": dsn,
        "QA_KAFKA_TOPIC_PREFIX": topic_prefix,
        "QA_CHILD_KEY_SECRET": "demo-test-child-key-secret-of-32-bytes",
    }
    name = f"activity-demo-{request.node.name}"
    process, base = start_service(name, "activity_service.main:create_app", env)
    demo.loader.ACTIVITY = base
    today = date.today()
    try:
        yield Service(dsn, base, today, demo.main.quarters_back(today, demo.main.QUARTERS))
    finally:
        process.kill()


async def test_the_rest_part_loads_every_kind_for_both_tenants_on_their_teams_quickly_and_once(
    service: Service, demo: Demo
) -> None:
    demo_main, loader = demo
    dsn, base, today, quarters = service
    with httpx.Client(timeout=60) as client:
        assert demo_main.TENANTS == TENANTS
        feeds = {tenant: loader.rest_feed(tenant, today) for tenant in TENANTS}
        started = time.monotonic()
        loaded = {
            tenant: loader.load(client, tenant, random.Random(7), today, quarters)
            for tenant in TENANTS
        }
        took = time.monotonic() - started
        # every record of the feed accepted: the generator keeps the service's rules
        assert loaded == {tenant: len(feed) for tenant, feed in feeds.items()}
        db = await connect(dsn)
        try:
            stored = await db.fetchval("SELECT count(*) FROM activity_records")
            assert stored == sum(loaded.values())
            again = [
                loader.load(client, tenant, random.Random(7), today, quarters) for tenant in TENANTS
            ]
            assert again == [0, 0]
            assert await db.fetchval("SELECT count(*) FROM activity_records") == stored
        finally:
            await db.close()
        for tenant in TENANTS:
            _check_listed(client, base, tenant, loader, today)
    print(f"demo activity over REST: {sum(loaded.values())} records in {took:.1f}s")


def _loads(client: httpx.Client, base: str, headers: dict[str, str]) -> list[dict[str, Any]]:
    response = client.get(f"{base}/v1/returns", headers=headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_the_shipped_returns_load_to_applied_for_both_tenants_and_only_once(
    service: Service, demo: Demo, token: Callable[..., str]
) -> None:
    _, loader = demo
    _, base, today, quarters = service
    with httpx.Client(timeout=120) as client:
        for tenant in TENANTS:
            assert not loader.returns_loaded(client, tenant)
            accepted = loader.load_returns(client, tenant, random.Random(7), today, quarters)
            assert accepted > 0
            assert loader.returns_loaded(client, tenant)
            headers = auth(token("activity:read", tenant=tenant))
            loads = _loads(client, base, headers)
            assert sorted(load["kind"] for load in loads) == sorted(loader.return_files(tenant))
            for load in loads:
                assert load["status"] == "APPLIED", load
                assert load["counts"]["rejected"] == 0, load
            # Loaded once: a second run finds every return APPLIED and uploads nothing.
            again = loader.load_returns(client, tenant, random.Random(7), today, quarters)
            assert again == 0
            assert len(_loads(client, base, headers)) == 3


def _check_listed(
    client: httpx.Client, base: str, tenant: str, loader: ModuleType, today: date
) -> None:
    """Through HTTP: every kind is listed for the tenant, on its teams, from REST; and the
    feed reaches the last weeks before today and never passes it."""
    headers = loader._headers(tenant)
    for kind in Kind:
        page = client.get(
            f"{base}/v1/activity/records",
            params={"kind": kind.value, "limit": 200},
            headers=headers,
        )
        assert page.status_code == 200, page.text
        items = page.json()["items"]
        assert items, (tenant, kind)
        assert {i["team"] for i in items} <= set(loader.teams(tenant))
        assert {i["source"] for i in items} == {"REST"}
    recent = client.get(
        f"{base}/v1/activity/records",
        params={"kind": "referral", "from": (today - timedelta(days=60)).isoformat()},
        headers=headers,
    ).json()["items"]
    assert recent, tenant
    assert max(date.fromisoformat(r["referral_date"]) for r in recent) <= today


def _shaped(items: Iterator[ReadItem]) -> list[tuple[object, ...]]:
    return [
        (i.kind.value, i.child_ref, i.facts, i.team_name)
        if isinstance(i, ReadRecord)
        else (i.field, i.rule)
        for i in items
        if isinstance(i, ReadRecord | ReadError)
    ]


def _intended(items: Iterator[Intended | IntendedError]) -> list[tuple[object, ...]]:
    return [
        (i.kind, i.child_ref, i.facts, i.team) if isinstance(i, Intended) else (i.field, i.rule)
        for i in items
    ]


@pytest.mark.parametrize("tenant", TENANTS)
def test_the_shipped_returns_read_back_as_exactly_the_records_the_generator_intends(
    demo: Demo, tenant: str
) -> None:
    _, loader = demo
    children = loader.returned_children(tenant)
    files = {
        kind: {part: path for part, (_, path, _) in parts.items()}
        for kind, parts in loader.return_files(tenant).items()
    }
    with files["CIN_CENSUS"]["file"].open("rb") as census:
        assert _shaped(read_cin_census(census)) == _intended(cin_census_records(children))
    tables = {part: path.open("rb") for part, path in files["SSDA903"].items()}
    try:
        assert _shaped(read_ssda903(**tables)) == _intended(ssda903_records(children))
    finally:
        for stream in tables.values():
            stream.close()
    with files["ANNEX_A"]["file"].open("rb") as workbook:
        read = _shaped(read_annex_a_workbook(workbook))
    assert read == _intended(annex_a_records(children))
    # Annex A names the tenant's teams, which the demo's aliases map back to its codes.
    aliases = loader.team_aliases(loader.teams(tenant))
    assert {r[3] for r in read} <= set(aliases)
    assert {r[0] for r in read} == {k.value for k in Kind} - {"care_episode"}


@pytest.mark.parametrize("tenant", TENANTS)
def test_the_shipped_returns_are_labelled_synthetic_and_regenerate_byte_for_byte(
    demo: Demo, tenant: str, tmp_path: Path
) -> None:
    _, loader = demo
    written = loader.write_returns(tenant, tmp_path)
    shipped = [
        path for parts in loader.return_files(tenant).values() for _, path, _ in parts.values()
    ]
    assert [p.name for p in written] == [p.name for p in shipped]
    for new, old in zip(written, shipped, strict=True):
        assert new.read_bytes() == old.read_bytes(), old.name
        assert "synthetic" in old.name
    census = shipped[0].read_bytes()
    assert b"<!-- SYNTHETIC" in census[:300]
    assert f"<LEA>{tenant}</LEA>".encode() in census[:1000]
    assert sum(p.stat().st_size for p in shipped) < 2_000_000
    assert "SYNTHETIC" in (DEMO_DIR / "demo" / "README.md").read_text()
