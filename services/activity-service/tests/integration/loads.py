"""What the return load tests share: generated returns as upload parts, the upload, waiting
for a load to finish, and what a tenant's records and outbox hold (`TenantLoads`, as the
`tenants` fixture gives them); and the type of the `relayed` fixture, which the tests of
publishing start from."""

from __future__ import annotations

import asyncio
import io
import uuid
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx

from activity_service.domain.kinds import KEY_DATE, Kind
from activity_service.domain.records import json_facts
from qaf_shared.testing.activity_returns import (
    Child,
    Intended,
    IntendedError,
    write_annex_a_csv,
    write_annex_a_xlsx,
    write_cin_census,
    write_ssda903,
)

XML = "application/xml"
CSV = "text/csv"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FINISHED = ("APPLIED", "REJECTED")

Parts = dict[str, tuple[str, bytes, str]]
# `async with relayed() as (client, topic)` (conftest.py)
Relayed = Callable[..., AbstractAsyncContextManager[tuple[httpx.AsyncClient, str]]]


def new_tenant() -> str:
    """A tenant of its own per test: a load replaces what earlier loads of its tenant, kind
    and year supplied, so tests sharing a database must not share one."""
    return f"T{uuid.uuid4().hex[:10]}"


def cin_census(children: Iterable[Child], **kwargs: Any) -> Parts:
    out = io.BytesIO()
    write_cin_census(children, out, **kwargs)
    return {"file": ("census.xml", out.getvalue(), XML)}


def ssda903(children: Sequence[Child]) -> Parts:
    tables = {name: io.BytesIO() for name in ("header", "episodes", "reviews")}
    write_ssda903(children, **tables)
    return {name: (f"{name}.csv", t.getvalue(), CSV) for name, t in tables.items()}


def annex_a_xlsx(children: Sequence[Child]) -> Parts:
    out = io.BytesIO()
    write_annex_a_xlsx(children, out)
    return {"file": ("annex-a.xlsx", out.getvalue(), XLSX)}


def annex_a_csv(children: Sequence[Child]) -> Parts:
    lists = {n: io.BytesIO() for n in range(3, 9)}
    write_annex_a_csv(children, lists)
    return {f"list_{n}": (f"list{n}.csv", s.getvalue(), CSV) for n, s in lists.items()}


async def upload(
    client: httpx.AsyncClient, headers: dict[str, str], kind: str, year: str, parts: Parts
) -> httpx.Response:
    return await client.post(
        "/v1/returns", data={"kind": kind, "year": year}, files=parts, headers=headers
    )


async def load_return(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    kind: str,
    year: str,
    parts: Parts,
    *,
    timeout: float = 60.0,
) -> dict[str, Any]:
    """Upload a return and wait for its load to finish; the load as GET shows it."""
    response = await upload(client, headers, kind, year, parts)
    assert response.status_code == 202, response.text
    return await finished(client, headers, response.headers["Location"], timeout=timeout)


async def finished(
    client: httpx.AsyncClient, headers: dict[str, str], location: str, *, timeout: float = 60.0
) -> dict[str, Any]:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        body: dict[str, Any] = (await client.get(location, headers=headers)).json()
        if body["status"] in FINISHED:
            return body
        assert asyncio.get_running_loop().time() < deadline, body
        await asyncio.sleep(0.1)


def counts(
    *,
    accepted: int = 0,
    unchanged: int = 0,
    withdrawn: int = 0,
    rejected: int = 0,
    warnings: int = 0,
) -> dict[str, int]:
    """A load's `counts` as GET shows them: each zero but those given."""
    return {
        "accepted": accepted,
        "unchanged": unchanged,
        "withdrawn": withdrawn,
        "rejected": rejected,
        "warnings": warnings,
    }


async def all_errors(
    client: httpx.AsyncClient, headers: dict[str, str], load_id: str, *, limit: int = 50
) -> tuple[list[dict[str, Any]], int]:
    """Every error of a load, page by page; and how many pages it took."""
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": limit}
        if cursor:
            params["cursor"] = cursor
        response = await client.get(f"/v1/returns/{load_id}/errors", params=params, headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        items += body["items"]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            return items, pages


Key = tuple[str, str, str, str]  # kind, child_ref, key date, plan type


def intended_key(record: Intended) -> Key:
    kind = Kind(record.kind)
    plan_type = str(record.facts.get("plan_type") or "") if kind is Kind.VISIT else ""
    return record.kind, record.child_ref, str(record.facts[KEY_DATE[kind]]), plan_type


def stored_facts(facts: dict[str, object]) -> dict[str, Any]:
    """Facts as a load stores them (JSON form, no empty facts)."""
    return {k: v for k, v in json_facts(facts).items() if v is not None}


def intended_records(
    records: Iterable[Intended | IntendedError],
) -> dict[Key, dict[str, Any]]:
    """The records a load of a return should hold: each by its key, with its facts."""
    return {
        intended_key(r): stored_facts(r.facts)
        for r in records
        if isinstance(r, Intended) and r.rejected_by is None
    }


async def held_records(conn: asyncpg.Connection, tenant: str) -> dict[Key, dict[str, Any]]:
    rows = await conn.fetch(
        "SELECT kind, child_ref, key_date, plan_type, facts FROM activity_records "
        "WHERE tenant = $1 AND NOT withdrawn",
        tenant,
    )
    return {stored_key(r): r["facts"] for r in rows}


def stored_key(row: asyncpg.Record) -> Key:
    """A stored record's natural key, as `intended_key` gives an intended record's."""
    return row["kind"], row["child_ref"], row["key_date"].isoformat(), row["plan_type"]


async def outbox(conn: asyncpg.Connection, tenant: str) -> list[asyncpg.Record]:
    """The tenant's events in the outbox, in order: (type, subject)."""
    rows: list[asyncpg.Record] = await conn.fetch(
        "SELECT type, aggregateid FROM outbox WHERE tenant = $1 ORDER BY seq",
        tenant,
    )
    return rows


@dataclass(frozen=True)
class TenantLoads:
    """A tenant's writer on the session's service (the `tenants` fixture): its loads, and
    what its records and outbox hold."""

    client: httpx.AsyncClient
    db: asyncpg.Connection
    tenant: str
    headers: dict[str, str]

    async def load(self, kind: str, year: str, parts: Parts) -> dict[str, Any]:
        return await load_return(self.client, self.headers, kind, year, parts)

    async def supplied(self, load: dict[str, Any]) -> dict[Key, asyncpg.Record]:
        """The records `load` supplied, by natural key, with their team."""
        rows = await self.db.fetch(
            "SELECT kind, child_ref, key_date, plan_type, team FROM activity_records "
            "WHERE tenant = $1 AND load_id = $2",
            self.tenant,
            uuid.UUID(load["id"]),
        )
        return {stored_key(r): r for r in rows}

    async def held(self) -> dict[Key, dict[str, Any]]:
        return await held_records(self.db, self.tenant)

    async def outbox(self) -> list[asyncpg.Record]:
        return await outbox(self.db, self.tenant)
