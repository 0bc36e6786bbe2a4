"""The commissioned provider's submissions, free of I/O: which items of a batch become
records, and whether a quarterly report may be accepted."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from qaf_shared.dates import EARLIEST_DATE
from qaf_shared.quarters import parse_quarter, quarter_bounds
from qaf_shared.rules import FieldError

MAX_BATCH = 500


@dataclass(frozen=True)
class BatchPlan:
    """`insert`: indexes of the items to store (the first valid item for each external id),
    in external-id order so that two concurrent batches lock their rows in the same order
    and never deadlock. `repeats`: a later valid item with an external id already in the
    batch -> the index of the first one (answered DUPLICATE)."""

    insert: list[int]
    repeats: dict[int, int]


def plan_batch(external_ids: Sequence[str | None], valid: Sequence[bool]) -> BatchPlan:
    first: dict[str, int] = {}
    repeats: dict[int, int] = {}
    for index, (external_id, ok) in enumerate(zip(external_ids, valid, strict=True)):
        if not ok or external_id is None:
            continue
        if external_id in first:
            repeats[index] = first[external_id]
        else:
            first[external_id] = index
    insert = [first[k] for k in sorted(first)]
    return BatchPlan(insert=insert, repeats=repeats)


def check_report_quarter(quarter: str, today: date) -> list[FieldError]:
    """A report covers a quarter that has begun (a provider reports on work done) and that
    falls within the records this service keeps."""
    try:
        parse_quarter(quarter)
    except ValueError:
        return [FieldError("quarter", "must be a quarter id like FY2026Q1")]
    start, _ = quarter_bounds(quarter)
    if start > today:
        return [FieldError("quarter", "has not begun yet")]
    if start < EARLIEST_DATE:
        return [FieldError("quarter", f"is before {EARLIEST_DATE.isoformat()}")]
    return []
