"""How every change to a resource begins: its row, locked, after the caller's If-Match.

The SQL stays with each service's repository; this is the order of the checks every service
answers the same way: another tenant's or an unknown record is 404 before anything is said
about its version (412 stale, 428 missing where required)."""

from __future__ import annotations

from collections.abc import Awaitable

import asyncpg

from qaf_shared.http.resources import check_if_match, not_found


async def locked_for_change(
    fetch: Awaitable[asyncpg.Record | None],
    kind: str,
    *,
    if_match: str | None = None,
    required: bool = False,
) -> asyncpg.Record:
    """The row that `fetch` reads (a repository's `get(..., for_update=True)` of the caller's
    tenant, in the caller's transaction); a 404 naming `kind` when there is none, then the
    If-Match check against its `version`."""
    row = await fetch
    if row is None:
        raise not_found(kind)
    check_if_match(if_match, row["version"], required=required)
    return row
