"""End to end: the service with its relay on publishes each state change, exactly once and
in order, to its (prefixed) topic, keyed by the audit."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from typing import Any

import yaml

from audit_service.configuration import DEFAULT_DIR
from audit_service.main import create_app
from audit_service.settings import AuditSettings
from qaf_shared.events.catalogue import AUDIT_TOPIC, spec_for
from qaf_shared.testing.fixtures import DatabaseFactory, TopicsFactory, auth, serve
from qaf_shared.testing.kafka import read_topic


async def test_each_state_change_is_published_once_in_order(
    make_database: DatabaseFactory,
    make_topics: TopicsFactory,
    token: Callable[..., str],
    make_flow: Callable[..., Any],
    tmp_path: Any,
) -> None:
    # A database and topics of its own: the relay publishes everything unpublished.
    dsn = await make_database("audit_service")
    prefix = await make_topics()
    config_dir = tmp_path / "config"
    shutil.copytree(DEFAULT_DIR, config_dir)
    (config_dir / "tenants" / "886.yaml").write_text(
        yaml.safe_dump({"tenant": "886", "moderation_rate": 1.0})
    )
    settings = AuditSettings(
        database_url=dsn,
        kafka_topic_prefix=prefix,
        relay_poll_interval_s=0.2,
        config_dir=config_dir,
    )
    async with serve(create_app(settings)) as client:
        flow = make_flow(client, auth(token("audits:write audits:read")))
        audit = await flow.in_state("MODERATED")
        await flow.close(audit)
        cancelled = await flow.in_state("CANCELLED")
        await flow.call(
            "POST",
            f"/v1/audits/{audit['id']}/safeguarding-concerns",
            201,
            {"raised_by": "tm-1", "detail": "concern"},
        )
        action = await flow.call(
            "POST", f"/v1/audits/{audit['id']}/actions", 201, {"description": "d", "owner": "o-1"}
        )
        await flow.call(
            "PATCH",
            f"/v1/actions/{action['id']}",
            200,
            {"status": "IN_PROGRESS"},
            **{"If-Match": '"1"'},
        )
        records = await read_topic(prefix + AUDIT_TOPIC, expected=11)

    by_audit: dict[bytes, list[str]] = {}
    for key, event in records:
        assert key.decode() == event.subject and event.tenant == "886"
        spec_for(event.type).payload.model_validate(event.data)  # each matches its contract
        by_audit.setdefault(key, []).append(event.type.split(".")[-2])
    assert by_audit == {
        audit["id"].encode(): [
            "scheduled",
            "submitted",
            "peer_reviewed",
            "moderation_selected",
            "moderated",
            "closed",
            "safeguarding_concern_raised",
            "action_raised",
            "action_status_changed",
        ],
        cancelled["id"].encode(): ["scheduled", "cancelled"],
    }
