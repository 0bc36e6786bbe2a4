"""Returns as load jobs through HTTP, on the real database: each format from a generated
return to APPLIED with the intended records and counts; replacement by the next load of
the same return; unreadable files REJECTED with nothing changed; per-record errors paged
with no value from the file; the upload's 413, 415 and 422 with nothing stored; tenants
kept apart."""

from __future__ import annotations

from collections.abc import Callable

import asyncpg
import httpx

from qaf_shared.testing.activity_returns import (
    child_refs,
    cin_census_records,
    generate,
)
from qaf_shared.testing.fixtures import auth

from .loads import (
    cin_census,
    held_records,
    intended_records,
    load_return,
    new_tenant,
    outbox,
)


def writer_of(token: Callable[..., str], tenant: str) -> dict[str, str]:
    return auth(token("activity:write activity:read", tenant=tenant))


async def test_a_cin_census_loads_to_applied_with_the_intended_records_and_counts(
    activity_client: httpx.AsyncClient,
    activity_db: asyncpg.Connection,
    token: Callable[..., str],
) -> None:
    tenant = new_tenant()
    headers = writer_of(token, tenant)
    children = list(generate(seed=14, refs=child_refs(40, prefix="CIN")))
    intended = intended_records(cin_census_records(children))

    load = await load_return(activity_client, headers, "CIN_CENSUS", "FY2025", cin_census(children))

    assert load["status"] == "APPLIED", load
    assert load["counts"] == {
        "accepted": len(intended),
        "unchanged": 0,
        "withdrawn": 0,
        "rejected": 0,
        "warnings": load["counts"]["warnings"],
    }
    assert load["progress"]["records_read"] == load["progress"]["records_total"] == len(intended)
    assert await held_records(activity_db, tenant) == intended
    events = await outbox(activity_db, tenant)
    ids = await activity_db.fetch("SELECT id FROM activity_records WHERE tenant = $1", tenant)
    # one `recorded` event per record, and nothing else
    assert sorted(e["aggregateid"] for e in events) == sorted(str(r["id"]) for r in ids)
    assert all(e["type"].endswith(".recorded.v1") for e in events)
