"""Waiting until what the services wrote shows in reporting-service's reads, end to end.

A report shows a quarter's last published snapshot (docs/architecture.md, "Published
snapshots"): reporting having applied every event is not enough, the publisher must also have
published every quarter they changed (its backlog empty), or a read may show an older
snapshot of the quarter. And a report is answered from the projections' version as last read
(api/readcache.py), so it may be `report_recheck_ms` behind the consumer's and the
publisher's commits."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
from pydantic import SecretStr

from activity_service.main import create_app as create_activity_app
from activity_service.settings import ActivitySettings
from qaf_shared.testing.fixtures import DatabaseFactory, TopicsFactory, auth, eventually, serve
from reporting_service.main import create_app as create_reporting_app
from reporting_service.settings import ReportingSettings

ACTIVITY_TOPIC = "qa.activity.events.v1"


async def caught_up(
    reports: httpx.AsyncClient, headers: dict[str, str], topic: str, events: int
) -> dict[str, Any] | None:
    """Reporting's status for the token's tenant once it has applied `events` of `topic` and
    published every quarter they changed; None until then. A dead letter fails at once: the
    figures will never be complete."""
    status: dict[str, Any] = (await reports.get("/v1/status", headers=headers)).json()
    assert not status["dead_letters"], status
    applied = status["topics"].get(topic, {}).get("applied", 0)
    return status if applied >= events and not status["publication"]["backlog"] else None


async def reports_current(
    reports: httpx.AsyncClient, headers: dict[str, str], recheck_ms: int
) -> None:
    """Once reporting has caught up: its reports have too. One read starts reading the
    projections' version again, and the next read after it has answered is from the new one
    (at least a second: the re-read is a query, slower on a busy machine)."""
    await reports.get("/v1/deep-dives/FY2025Q1", headers=headers)
    await asyncio.sleep(max(2 * recheck_ms / 1000, 1.0))


@dataclass(frozen=True)
class ActivityToReporting:
    """activity-service and reporting-service served in this process over databases and
    topics of their own: records written to `activity` are published by its relay on the real
    broker and folded by reporting's consumer into the reports read from `reports`."""

    activity: httpx.AsyncClient
    reports: httpx.AsyncClient
    activity_dsn: str
    recheck_ms: int

    async def settled(
        self, token: Callable[..., str], tenants: list[str], *, timeout: float = 120
    ) -> None:
        """Every event activity-service wrote is published, reporting has applied each
        tenant's (its status counts a tenant's own) and published every quarter they changed,
        and its reports have caught up."""
        seen: list[tuple[str, int, int, dict[str, Any] | None]] = []

        async def done() -> bool:
            conn = await asyncpg.connect(self.activity_dsn)
            try:
                rows = await conn.fetch(
                    "SELECT tenant, count(*) AS written,"
                    " count(*) FILTER (WHERE published_at IS NULL) AS unpublished"
                    " FROM outbox GROUP BY tenant"
                )
            finally:
                await conn.close()
            seen[:] = []
            for row in rows:
                headers = auth(token("reports:read_unsuppressed", tenant=row["tenant"]))
                status = await caught_up(self.reports, headers, ACTIVITY_TOPIC, row["written"])
                seen.append((row["tenant"], row["written"], row["unpublished"], status))
                if row["unpublished"] or status is None:
                    return False
            return sorted(r["tenant"] for r in rows) == sorted(tenants)

        try:
            await eventually(done, timeout=timeout, interval=0.25)
        except AssertionError:
            # Counts only: which tenant is behind and by how much.
            behind = [
                (t, written, unpublished, s is not None) for t, written, unpublished, s in seen
            ]
            raise AssertionError(
                f"not settled: (tenant, written, unpublished, caught up) {behind}"
            ) from None
        await reports_current(
            self.reports, auth(token("reports:read", tenant=tenants[0])), self.recheck_ms
        )


@contextlib.asynccontextmanager
async def activity_to_reporting(
    make_database: DatabaseFactory, make_topics: TopicsFactory, name: str
) -> AsyncIterator[ActivityToReporting]:
    """Both services over a new database each and topics of their own (reporting sees this
    test's events only), reporting consuming as a group of its own named for `name`."""
    prefix = await make_topics()
    activity_dsn = await make_database("activity_service")
    activity_settings = ActivitySettings(
        database_url=activity_dsn,
        kafka_topic_prefix=prefix,
        relay_poll_interval_s=0.1,
        return_load_poll_interval_s=0.5,
        child_key_secret=SecretStr(f"{name}-test-child-key-secret-of-32-bytes"),
    )
    reporting_settings = ReportingSettings(
        database_url=await make_database("reporting_service"),
        kafka_topic_prefix=prefix,
        consumer_group=f"{name}-{uuid.uuid4().hex[:8]}",
    )
    async with (
        serve(create_activity_app(activity_settings)) as activity,
        serve(create_reporting_app(reporting_settings)) as reports,
    ):
        yield ActivityToReporting(
            activity, reports, activity_dsn, reporting_settings.report_recheck_ms
        )
