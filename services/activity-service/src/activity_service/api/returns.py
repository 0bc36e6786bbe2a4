"""HTTP routes for the returns as load jobs: the upload (streamed into the load's stored
files; 202 with the load's Location), the loads, and a load's errors page by page. The load
itself runs in the worker (workers/return_loads.py)."""

from __future__ import annotations

import base64
import binascii
import uuid
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from activity_service.api import uploads
from activity_service.api.deps import Reader, ReaderList, Writer
from activity_service.api.schemas.returns import (
    LoadErrorPage,
    LoadOut,
    LoadPage,
    error_out,
    load_out,
)
from activity_service.domain.loads import (
    CIN_CENSUS_LIMIT,
    CSV_TYPES,
    MIB,
    OTHER_LIMIT,
    XLSX_TYPES,
    XML_TYPES,
)
from activity_service.repository import loads as load_rows
from qaf_shared.http.app import app_pool
from qaf_shared.http.auth import Actor
from qaf_shared.http.pagination import Cursor, decode_cursor, page
from qaf_shared.http.problems import field_error, problem_responses
from qaf_shared.http.resources import json_response, not_found, parse_id

router = APIRouter(tags=["returns"])

UPLOAD_PATH = "/v1/returns"


def _file(description: str) -> dict[str, Any]:
    return {"type": "string", "format": "binary", "description": description}


_UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["kind", "year"],
                    "properties": {
                        "kind": {"type": "string", "enum": ["CIN_CENSUS", "SSDA903", "ANNEX_A"]},
                        "year": {
                            "type": "string",
                            "pattern": "^FY20[0-9]{2}$",
                            "description": "The collection year: FY2025 is April 2025 to "
                            "March 2026",
                        },
                        "file": _file(
                            f"CIN_CENSUS: the XML ({', '.join(sorted(XML_TYPES))}; at most "
                            f"{CIN_CENSUS_LIMIT // MIB} MiB). ANNEX_A: the XLSX workbook "
                            f"({', '.join(sorted(XLSX_TYPES))}; at most {OTHER_LIMIT // MIB} MiB)"
                        ),
                        **{
                            table: _file(f"SSDA903's {table} table (CSV)")
                            for table in ("header", "episodes", "reviews")
                        },
                        **{f"list_{n}": _file(f"ANNEX_A's list {n} as CSV") for n in range(3, 9)},
                    },
                },
                "encoding": {
                    name: {"contentType": ", ".join(sorted(CSV_TYPES))}
                    for name in (
                        "header",
                        "episodes",
                        "reviews",
                        *(f"list_{n}" for n in range(3, 9)),
                    )
                },
            }
        },
    }
}


@router.post(
    UPLOAD_PATH,
    status_code=202,
    response_model=LoadOut,
    responses=problem_responses(413, 415, 422),
    openapi_extra=_UPLOAD_BODY,
)
async def upload_return(request: Request, principal: Writer, actor: Actor) -> Response:
    """Upload one return of one kind for one collection year, as `multipart/form-data`:
    `kind`, `year` and the files (`file` for a CIN census XML or an Annex A workbook; the
    SSDA903 tables `header`, `episodes`, `reviews`; Annex A as CSV, `list_3` ... `list_8`).
    Answers 202 with the load's `Location` once the files are stored; the load then runs
    in the service. A file over its limit (256 MiB for a CIN census, 64 MiB for any other)
    is 413 and a part of another media type 415, as soon as they show; a missing or unknown
    kind, a bad year or the wrong files for the kind are 422. Nothing is stored then."""
    load_id = uuid.uuid4()
    async with app_pool(request).acquire() as conn, conn.transaction():
        uploaded = await uploads.receive(request, conn, load_id)
        row = await load_rows.create(
            conn,
            load_id=load_id,
            tenant=principal.tenant,
            kind=uploaded.kind.value,
            year=uploaded.year,
            parts=uploaded.parts,
            client=principal.client,
            actor=actor,
        )
    return json_response(
        load_out(row), status=202, headers={"Location": f"{UPLOAD_PATH}/{load_id}"}
    )


@router.get(UPLOAD_PATH, response_model=LoadPage)
async def list_loads(call: ReaderList, cursor: Cursor = None) -> Response:
    """The tenant's loads, oldest first."""
    after = decode_cursor(cursor)
    async with app_pool(call.request).acquire() as conn:
        rows = await load_rows.list_loads(
            conn, call.principal.tenant, after=after, limit=call.limit
        )
    items, next_cursor = page(rows, call.limit)
    return json_response({"items": [load_out(r) for r in items], "next_cursor": next_cursor})


@router.get(f"{UPLOAD_PATH}/{{load_id}}", response_model=LoadOut)
async def get_load(request: Request, load_id: str, principal: Reader) -> Response:
    """A load: its `status`, its `progress` and its `counts`."""
    ident = parse_id(load_id, "return load")
    async with app_pool(request).acquire() as conn:
        row = await load_rows.get(conn, principal.tenant, ident)
    if row is None:
        raise not_found("return load")
    return json_response(load_out(row))


def _error_cursor(cursor: str | None) -> int:
    if cursor is None:
        return 0
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if not raw.startswith("e") or not raw[1:].isdigit():
            raise ValueError(raw)
        return int(raw[1:])
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise field_error("query.cursor", "not a cursor this API issued") from None


def _next_error_cursor(seq: int) -> str:
    return base64.urlsafe_b64encode(f"e{seq}".encode()).decode().rstrip("=")


@router.get(f"{UPLOAD_PATH}/{{load_id}}/errors", response_model=LoadErrorPage)
async def list_load_errors(load_id: str, call: ReaderList, cursor: Cursor = None) -> Response:
    """A load's errors and warnings in file order, each with its `location`, `field`, `rule`
    and `message` (never a value from the file)."""
    ident = parse_id(load_id, "return load")
    after = _error_cursor(cursor)
    async with app_pool(call.request).acquire() as conn:
        if await load_rows.get(conn, call.principal.tenant, ident) is None:
            raise not_found("return load")
        rows = await load_rows.errors(conn, ident, after=after, limit=call.limit)
    items = rows[: call.limit]
    next_cursor = _next_error_cursor(items[-1]["seq"]) if len(rows) > call.limit else None
    return json_response({"items": [error_out(r) for r in items], "next_cursor": next_cursor})
