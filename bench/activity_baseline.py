"""The baseline of `activity_write`: the least a `POST /v1/activity` of new records must do,
and nothing more. One FastAPI route on the same path as the service's, run by uvicorn with one
worker as the service is: parse the JSON body; for each record its id, its child_key (the same
HMAC), its natural key's date, its facts and its team's unit; then in one transaction the
rows into the service's own migrated `activity_records` table and one `recorded` event per
record into the outbox, each table with one COPY (`copy_records_to_table`); answer a result
per record. No auth, validation, Idempotency-Key, history read, derivation, merge or relay.
It shares the service's pool (`qaf_shared.database.create_pool`) and process tuning, so the
ratio measures the work per record.

`uvicorn --factory bench.activity_baseline:create_app` with QA_DATABASE_URL (a database
migrated for activity-service); the child_key secret is the development one (`make keys`)."""

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

from activity_service.domain.child_key import load_child_keys
from activity_service.domain.kinds import KEY_DATE, Kind
from qaf_shared.collector import settle_after_start_up
from qaf_shared.database import create_pool
from qaf_shared.events.activity import RECORDED
from qaf_shared.org_units import OrgUnitDirectory
from qaf_shared.settings import RUN_DIR

TENANT = "886"
CLIENT = "bench-client"
ACTOR = "bench-actor"
SOURCE = "/services/activity-service"

_RECORD_COLUMNS = [
    "id", "tenant", "kind", "child_ref", "child_key", "key_date", "plan_type", "facts",
    "derived", "area", "district", "team", "service", "source", "version", "created_at",
    "updated_at", "created_by_client", "created_by_actor", "updated_by_client",
    "updated_by_actor",
]  # fmt: skip
_OUTBOX_COLUMNS = ["id", "aggregatetype", "aggregateid", "type", "tenant", "payload"]
_NOT_FACTS = frozenset({"kind", "child_ref", "team", "service"})
_KEY_DATE = {kind.value: name for kind, name in KEY_DATE.items()}
_TYPE = {kind: payload.event_type for kind, payload in RECORDED.items()}
_DATASCHEMA = {kind: f"urn:qa:schemas:{t}" for kind, t in _TYPE.items()}


def create_app() -> FastAPI:
    dsn = os.environ["QA_DATABASE_URL"]
    keys = load_child_keys(None, RUN_DIR / "dev-keys" / "child-key.secret")
    units = OrgUnitDirectory().tenant(TENANT)
    assert units is not None

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # The services' pool, whose jsonb codec is binary, as COPY needs.
        app.state.pool = await create_pool(dsn, size=10)
        settle_after_start_up()
        yield
        await app.state.pool.close()

    app = FastAPI(lifespan=lifespan)

    @app.get("/readyz")
    async def readyz(request: Request) -> dict[str, str]:
        await request.app.state.pool.fetchval("SELECT 1")
        return {"status": "ok"}

    @app.post("/v1/activity")
    async def write(request: Request) -> Response:
        records = orjson.loads(await request.body())["records"]
        now = datetime.now(UTC)
        stamp = now.isoformat()
        child_keys: dict[str, str] = {}
        rows: list[tuple[Any, ...]] = []
        outbox: list[tuple[Any, ...]] = []
        results: list[dict[str, Any]] = []
        for index, record in enumerate(records):
            kind, ref = record["kind"], record["child_ref"]
            child_key = child_keys.get(ref)
            if child_key is None:
                child_key = child_keys[ref] = keys.key(TENANT, ref)
            facts = {k: v for k, v in record.items() if k not in _NOT_FACTS}
            unit = units.team(record["team"])
            assert unit is not None
            record_id = uuid.uuid4()
            rows.append(
                (
                    record_id, TENANT, kind, ref, child_key,
                    date.fromisoformat(record[_KEY_DATE[kind]]),
                    record["plan_type"] if kind == Kind.VISIT else "", facts, {},
                    unit.area, unit.district, unit.team, unit.service, "REST", 1, now, now,
                    CLIENT, ACTOR, CLIENT, ACTOR,
                )
            )  # fmt: skip
            event_id = uuid.uuid4()
            event = {
                "specversion": "1.0",
                "id": str(event_id),
                "source": SOURCE,
                "type": _TYPE[kind],
                "time": stamp,
                "subject": str(record_id),
                "tenant": TENANT,
                "datacontenttype": "application/json",
                "dataschema": _DATASCHEMA[kind],
                "data": {
                    "record_id": str(record_id),
                    "child_key": child_key,
                    "org_unit": unit.model_dump(mode="json"),
                    "version": 1,
                    "source": "REST",
                    **facts,
                },
            }
            outbox.append((event_id, kind, str(record_id), _TYPE[kind], TENANT, event))
            results.append({"index": index, "status": "ACCEPTED", "id": str(record_id)})
        async with request.app.state.pool.acquire() as conn, conn.transaction():
            await conn.copy_records_to_table(
                "activity_records", records=rows, columns=_RECORD_COLUMNS
            )
            await conn.copy_records_to_table("outbox", records=outbox, columns=_OUTBOX_COLUMNS)
        return Response(orjson.dumps({"results": results}), media_type="application/json")

    return app
