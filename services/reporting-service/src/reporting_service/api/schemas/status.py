"""The consumer's status (OpenAPI) and its shaping from the figures per topic."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from qaf_shared.events.catalogue import DOMAIN_TOPICS
from reporting_service.repository.consumer_state import TopicStats
from reporting_service.repository.publications import Backlog


class TopicStatus(BaseModel):
    applied: int
    lag: int | None = Field(description="Records not yet applied (admin only; null otherwise)")


class PublicationStatus(BaseModel):
    backlog: int = Field(
        description="Changed quarters whose snapshot is not yet published: until it is, "
        "every view shows the quarter's last published snapshot"
    )
    oldest_change_at: str | None = Field(
        description="When the oldest change not yet published was applied (null: none waits)"
    )


class StatusOut(BaseModel):
    tenant: str | None = Field(
        description="The tenant whose figures these are; null for the admin totals"
    )
    topics: dict[str, TopicStatus]
    consumer_lag_total: int | None = Field(description="Admin only; null otherwise")
    newest_event_time: str | None
    dead_letters: int
    projection: str
    publication: PublicationStatus


def status_body(
    stats: Sequence[TopicStats],
    *,
    tenant: str | None,
    lag: Mapping[str, int] | None,
    projection: str,
    backlog: Backlog,
) -> dict[str, Any]:
    """`tenant` None for the admin totals; `lag` None where it is not shown (a tenant's
    view), else by topic (empty without a running consumer)."""
    topics: dict[str, dict[str, int | None]] = {
        t: {"applied": 0, "lag": lag.get(t, 0) if lag is not None else None} for t in DOMAIN_TOPICS
    }
    newest: datetime | None = None
    dead = 0
    for row in stats:
        dead += row.dead_letters
        if row.topic in topics:
            topics[row.topic]["applied"] = row.applied
        if row.newest_event_time and (newest is None or row.newest_event_time > newest):
            newest = row.newest_event_time
    return {
        "tenant": tenant,
        "topics": topics,
        "consumer_lag_total": (
            sum(lag.get(t, 0) for t in DOMAIN_TOPICS) if lag is not None else None
        ),
        "newest_event_time": newest.isoformat() if newest else None,
        "dead_letters": dead,
        "projection": projection,
        "publication": {
            "backlog": backlog.quarters,
            "oldest_change_at": backlog.oldest.isoformat() if backlog.oldest else None,
        },
    }
