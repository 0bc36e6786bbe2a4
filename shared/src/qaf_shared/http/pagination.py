"""Cursor pagination for every list: `limit`, `cursor`, `next_cursor`, ordered stably by
(created_at, id). The cursor is opaque to callers (base64 of the last row's sort key)."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Query, Request

from qaf_shared import jsonutil
from qaf_shared.http.problems import field_error

DEFAULT_LIMIT = 50


async def _limit(
    request: Request,
    limit: Annotated[
        int,
        Query(
            ge=1,
            description="Items per page, at most the deployment's QA_LIST_LIMIT_MAX (the "
            "schema's `maximum`).",
        ),
    ] = DEFAULT_LIMIT,
) -> int:
    # The cap is a setting (`list_limit_max`), so it cannot be a constraint fixed when the
    # route is declared; a limit asked above it is the same 422 pydantic gives below 1, and
    # the default comes down to a cap below it. The OpenAPI document states the configured
    # cap as the parameter's maximum (`declare_limit_cap`).
    cap: int = request.app.state.settings.list_limit_max
    if limit > cap:
        if "limit" not in request.query_params:
            return cap
        raise field_error(
            "query.limit", f"Input should be less than or equal to {cap}", "less_than_equal"
        )
    return limit


Limit = Annotated[int, Depends(_limit)]
"""A list's `limit` query parameter (default 50), refused above the configured cap."""
Cursor = Annotated[
    str | None,
    Query(max_length=200, description="The `next_cursor` of the previous page."),
]


def encode_cursor(created_at: datetime, ident: uuid.UUID) -> str:
    raw = jsonutil.dumpb([created_at.isoformat(), str(ident)])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> tuple[datetime, uuid.UUID] | None:
    """The sort key after which the page starts; a cursor we did not issue is a 422."""
    if cursor is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        created_at, ident = jsonutil.loads(raw)
        parsed = datetime.fromisoformat(created_at)
        if parsed.tzinfo is None:
            raise ValueError("naive timestamp")
        return parsed, uuid.UUID(ident)
    except (ValueError, TypeError):
        raise field_error("query.cursor", "not a cursor this API issued") from None


def page(rows: Sequence[Any], limit: int, *, key: str = "id") -> tuple[list[Any], str | None]:
    """Split `limit + 1` fetched rows into the page and the cursor of the next one."""
    items = list(rows[:limit])
    if len(rows) <= limit or not items:
        return items, None
    last = items[-1]
    return items, encode_cursor(last["created_at"], last[key])


def declare_limit_cap(openapi: dict[str, Any], cap: int) -> None:
    """State the configured cap as the `maximum` of every list's `limit` parameter (and as
    its default, where the cap is below the usual one)."""
    for operations in openapi.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", ()):
                if parameter.get("in") == "query" and parameter.get("name") == "limit":
                    schema = parameter.setdefault("schema", {})
                    schema["maximum"] = cap
                    schema["default"] = min(schema.get("default", DEFAULT_LIMIT), cap)
