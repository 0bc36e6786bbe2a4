"""The write path's baseline: the least any write service must do for a create, and nothing
more. One FastAPI route on the same path as the service's, run by uvicorn with one worker as
the services are: parse the JSON body, then in one transaction insert the same domain row
(the service's table, the same columns) and one outbox row, with raw asyncpg; answer 201.
No auth, validation, Idempotency-Key, change log, response model or relay. It shares the
services' pool (qaf_shared.database.create_pool) and process tuning, so that the ratio
measures the work per request.

`uvicorn --factory bench.baseline:create_app` with QA_DATABASE_URL (a database migrated for
the service) and BENCH_BASELINE_KIND = audit | escalation | feedback."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any

import orjson
from fastapi import FastAPI, Request
from starlette.responses import Response

from qaf_shared.collector import settle_after_start_up
from qaf_shared.database import create_pool
from qaf_shared.events.audit import AuditScheduled
from qaf_shared.events.escalation import EscalationRaised
from qaf_shared.events.feedback import FeedbackReceived

TENANT = "886"
CLIENT = "bench-client"
ACTOR = "bench-actor"

_OUTBOX = """
INSERT INTO outbox (id, aggregatetype, aggregateid, type, tenant, payload)
VALUES ($1, $2, $3, $4, $5, $6)
"""

_AUDIT = """
INSERT INTO audits (id, tenant, case_ref, area, district, team, service, plan_type, auditor,
    due_date, programme_id, kind, template_id, template_version, status, version,
    created_by_client, created_by_actor, updated_by_client, updated_by_actor)
VALUES ($1, $2, $3, 'SOUTH', 'ASHFORD', $4, NULL, $5, $6, $7, NULL, NULL, 'kent-case-file', 1,
    'SCHEDULED', 1, $8, $9, $8, $9)
"""

_ESCALATION = """
INSERT INTO escalations (id, tenant, case_ref, area, district, team, service, plan_type,
    raised_by, raised_by_role, categories, summary, desired_outcome, raised_on, bypass_reason,
    status, stage, stage_seq, stage_opened_on, stage_due_date, formal_started_on,
    formal_deadline, last_activity_on, version,
    created_by_client, created_by_actor, updated_by_client, updated_by_actor)
VALUES ($1, $2, $3, 'SOUTH', 'ASHFORD', $4, NULL, $5, $6, $7, $8, $9, $10, $11, NULL,
    'AWAITING_RESPONSE', 'INFORMAL', 1, $11, $11, NULL, NULL, $11, 1, $12, $13, $12, $13)
"""

_FEEDBACK = """
INSERT INTO feedback_items (id, tenant, source, respondent, partner_type, conference_type,
    case_ref, area, district, team, service, received_on, answers, comment,
    created_by_client, created_by_actor)
VALUES ($1, $2, $3, $4, NULL, $5, $6, 'SOUTH', 'ASHFORD', $7, NULL, $8, $9, $10, $11, $12)
"""


async def _audit(conn: Any, new_id: uuid.UUID, body: dict[str, Any]) -> tuple[str, str]:
    await conn.execute(
        _AUDIT,
        new_id,
        TENANT,
        body["case_ref"],
        body["team"],
        body["plan_type"],
        body["auditor"],
        date.fromisoformat(body["due_date"]),
        CLIENT,
        ACTOR,
    )
    return "audit", AuditScheduled.event_type


async def _escalation(conn: Any, new_id: uuid.UUID, body: dict[str, Any]) -> tuple[str, str]:
    await conn.execute(
        _ESCALATION,
        new_id,
        TENANT,
        body["case_ref"],
        body["team"],
        body["plan_type"],
        body["raised_by"],
        body["raised_by_role"],
        body["categories"],
        body["summary"],
        body.get("desired_outcome"),
        date.today(),
        CLIENT,
        ACTOR,
    )
    return "escalation", EscalationRaised.event_type


async def _feedback(conn: Any, new_id: uuid.UUID, body: dict[str, Any]) -> tuple[str, str]:
    await conn.execute(
        _FEEDBACK,
        new_id,
        TENANT,
        body["source"],
        body.get("respondent"),
        body.get("conference_type"),
        body.get("case_ref"),
        body["team"],
        date.fromisoformat(body["received_on"]),
        body.get("answers", {}),
        body.get("comment"),
        CLIENT,
        ACTOR,
    )
    return "feedback", FeedbackReceived.event_type


KINDS = {
    "audit": ("/v1/audits", _audit),
    "escalation": ("/v1/escalations", _escalation),
    "feedback": ("/v1/feedback", _feedback),
}


def create_app() -> FastAPI:
    kind = os.environ["BENCH_BASELINE_KIND"]
    path, insert = KINDS[kind]
    dsn = os.environ["QA_DATABASE_URL"]

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.pool = await create_pool(dsn, size=10)
        # The same process tuning as the services (qaf_shared.http.app), so that the ratio
        # measures the work each request does, not how the process is set up.
        settle_after_start_up()
        yield
        await app.state.pool.close()

    app = FastAPI(lifespan=lifespan)

    @app.get("/readyz")
    async def readyz(request: Request) -> dict[str, str]:
        await request.app.state.pool.fetchval("SELECT 1")
        return {"status": "ok"}

    @app.post(path, status_code=201)
    async def create(request: Request) -> Response:
        body = orjson.loads(await request.body())
        new_id = uuid.uuid4()
        async with request.app.state.pool.acquire() as conn, conn.transaction():
            aggregate, event_type = await insert(conn, new_id, body)
            event_id = uuid.uuid4()
            event = {
                "specversion": "1.0",
                "id": str(event_id),
                "source": f"/services/{aggregate}-service",
                "type": event_type,
                "time": datetime.now(UTC).isoformat(),
                "subject": str(new_id),
                "tenant": TENANT,
                "datacontenttype": "application/json",
                "data": {f"{aggregate}_id": str(new_id), "team": body["team"]},
            }
            await conn.execute(_OUTBOX, event_id, aggregate, str(new_id), event_type, TENANT, event)
        return Response(
            orjson.dumps({"id": str(new_id), **body}),
            status_code=201,
            media_type="application/json",
            headers={"Location": f"{path}/{new_id}"},
        )

    return app
