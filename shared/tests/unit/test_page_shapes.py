"""`each_row_with`: a page's records shaped one by one, each with what one lookup for the whole
page found under its id, in the caller's tenant (the rows'), and no lookup for an empty page."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date
from typing import Any

from qaf_shared.http.reads import each_row_with

ON = date(2026, 7, 1)


class Lookup:
    def __init__(self) -> None:
        self.calls: list[tuple[str, list[uuid.UUID], date]] = []

    async def __call__(
        self, conn: Any, tenant: str, ids: list[uuid.UUID], on: date
    ) -> Mapping[uuid.UUID, str]:
        self.calls.append((tenant, ids, on))
        return {ident: f"found-{n}" for n, ident in enumerate(ids)}


def _shape(row: Any, found: str, on: date) -> dict[str, Any]:
    return {"id": row["id"], "found": found, "on": on}


async def test_each_record_is_shaped_with_what_one_lookup_found_for_it() -> None:
    lookup = Lookup()
    rows = [{"id": uuid.uuid4(), "tenant": "886"} for _ in range(3)]
    shaped = await each_row_with(lookup, _shape)(None, rows, ON)  # type: ignore[arg-type]
    assert shaped == [
        {"id": row["id"], "found": f"found-{n}", "on": ON} for n, row in enumerate(rows)
    ]
    assert lookup.calls == [("886", [row["id"] for row in rows], ON)]


async def test_an_empty_page_looks_nothing_up() -> None:
    lookup = Lookup()
    assert await each_row_with(lookup, _shape)(None, [], ON) == []  # type: ignore[arg-type]
    assert lookup.calls == []
