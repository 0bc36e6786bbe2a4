"""Cursor pagination for every list: `limit`, `cursor`, `next_cursor`, ordered stably by
(created_at, id). The cursor is opaque to callers (base64 of the last row's sort key)."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any

from fastapi import Query

from qaf_shared import jsonutil
from qaf_shared.http.problems import field_error

MAX_LIMIT = 200

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page (at most 200).")]
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


# The SQL every list uses after its filters: rows strictly after the cursor, in order.
AFTER_CURSOR_SQL = "(created_at, id) > (${at}, ${ident})"
ORDER_SQL = "ORDER BY created_at, id LIMIT ${limit}"
