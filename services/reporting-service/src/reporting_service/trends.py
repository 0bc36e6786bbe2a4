"""Escalation trends: raised, resolved and open at the end of each quarter or month of a
range, by category, stage, area or service, with the same disclosure control as the Deep
Dive (a stage, area or service series adds up to the published total, and months add up to
their quarter, so those are suppressed as groups)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

import asyncpg

from qaf_shared.enums import EscalationCategory, EscalationStage
from qaf_shared.org_units import TenantUnits
from qaf_shared.quarters import parse_quarter, quarter_bounds, quarter_of
from reporting_service.disclosure import Cell, suppress

METRICS = {
    "raised": "escalations.raised",
    "resolved": "escalations.resolved",
    "open_at_end": "escalations.open_at_end",
}
MAX_QUARTERS = 60

_COUNTS = """
SELECT grain, period, unit_kind, unit_code, measure, dimension, value FROM {schema}.counts
WHERE tenant = $1 AND measure = ANY($2::text[]) AND period = ANY($3::text[])
  AND (unit_kind, unit_code) IN (SELECT * FROM unnest($4::text[], $5::text[]))
"""
_RUNNING = """
SELECT r.grain, p.period, r.unit_kind, r.unit_code, r.measure, r.dimension, sum(r.value)::bigint AS value
FROM unnest($3::text[]) AS p(period)
JOIN {schema}.running r ON r.tenant = $1 AND r.measure = ANY($2::text[])
  AND r.grain = CASE WHEN p.period LIKE 'FY%' THEN 'q' ELSE 'm' END AND r.period <= p.period
  AND (r.unit_kind, r.unit_code) IN (SELECT * FROM unnest($4::text[], $5::text[]))
GROUP BY 1, 2, 3, 4, 5, 6
"""


def quarters_between(first: str, last: str) -> list[str]:
    fy, q = parse_quarter(first)
    end = parse_quarter(last)
    out = []
    while (fy, q) <= end:
        out.append(f"FY{fy}Q{q}")
        fy, q = (fy, q + 1) if q < 4 else (fy + 1, 1)
    return out


def months_of(quarter: str) -> list[str]:
    start, _ = quarter_bounds(quarter)
    months = []
    for i in range(3):
        month = start.month + i
        year = start.year + (month - 1) // 12
        months.append(f"{year:04d}-{(month - 1) % 12 + 1:02d}")
    return months


async def read_trends(
    conn: asyncpg.Connection,
    schema: str,
    *,
    tenant: str,
    units: TenantUnits,
    first: str,
    last: str,
    by: str,
    granularity: str,
    unit: tuple[str, str],
    threshold: int | None,
) -> dict[str, Any]:
    quarters = quarters_between(first, last)
    months = [m for q in quarters for m in months_of(q)] if granularity == "month" else []
    if by in ("category", "stage"):
        values = [e.value for e in (EscalationCategory if by == "category" else EscalationStage)]
        keys = {v: (unit, f"{by}:{v}") for v in values}
        # The total and its parts: stages add up to it; categories (several per escalation) do not.
        total = (unit, "") if by == "stage" else None
        scope = [unit]
    else:
        parts = (
            [("area", a) for a in units.areas] + [("service", s) for s in units.services]
            if unit[0] == "tenant"
            else [unit]
        )
        keys = {
            code: ((kind, code), "") for kind, code in parts if unit[0] != "tenant" or kind == by
        }
        total = (unit, "") if unit[0] == "tenant" else None
        scope = [unit, *parts]
    periods = quarters + months
    raw: dict[tuple[str, str, str, str, str], int] = {}
    args = [tenant, list(METRICS.values()), periods, [k for k, _ in scope], [c for _, c in scope]]
    for sql in (_COUNTS, _RUNNING):
        for row in await conn.fetch(sql.format(schema=schema), *args):
            raw[
                (
                    row["period"],
                    row["unit_kind"],
                    row["unit_code"],
                    row["measure"],
                    row["dimension"],
                )
            ] = row["value"]

    cells: dict[tuple[str, str, str, str, str], int] = {}
    for period in periods:
        for measure in METRICS.values():
            for (kind, code), dim in [
                *(v for v in keys.values()),
                *([total] if total else []),
                *(((k, c), "") for k, c in scope if by not in ("category", "stage")),
            ]:
                cells[(period, kind, code, measure, dim)] = raw.get(
                    (period, kind, code, measure, dim), 0
                )
    shown: dict[Any, Cell] = dict(cells)
    if threshold is not None:
        shown = suppress(cells, _groups(cells, quarters, months, keys, total, scope, by), threshold)

    series: list[dict[str, Cell]] = []
    for period in months or quarters:
        for key, ((kind, code), dim) in keys.items():
            point: dict[str, Cell] = {"period": period, "key": key}
            for name, measure in METRICS.items():
                point[name] = shown[(period, kind, code, measure, dim)]
            series.append(point)
    return {
        "from": first,
        "to": last,
        "by": by,
        "granularity": granularity,
        "unit": {"kind": unit[0], "code": unit[1]},
        "suppression": {"applied": threshold is not None},
        "series": series,
    }


def _groups(
    cells: dict[tuple[str, str, str, str, str], int],
    quarters: list[str],
    months: list[str],
    keys: dict[str, tuple[tuple[str, str], str]],
    total: tuple[tuple[str, str], str] | None,
    scope: list[tuple[str, str]],
    by: str,
) -> Iterable[tuple[Any, list[Any]]]:
    leaves = list(keys.values())
    if by in ("area", "service") and total is not None:
        leaves = [
            ((k, c), "") for k, c in scope[1:]
        ]  # areas and services together partition the tenant
    for period in quarters + months:
        for measure in METRICS.values():
            if total is not None:
                (tk, tc), td = total
                yield (
                    (period, tk, tc, measure, td),
                    [(period, k, c, measure, d) for (k, c), d in leaves],
                )
    for quarter in quarters if months else []:
        for measure in (
            "escalations.raised",
            "escalations.resolved",
        ):  # flows add up; stocks do not
            for (k, c), d in leaves + ([total] if total else []):
                yield (
                    (quarter, k, c, measure, d),
                    [(m, k, c, measure, d) for m in months_of(quarter)],
                )


def validate_range(first: str, last: str) -> None:
    """Raises ValueError for a malformed or backwards or too long range."""
    if parse_quarter(first) > parse_quarter(last):
        raise ValueError("`from` is after `to`")
    if len(quarters_between(first, last)) > MAX_QUARTERS:
        raise ValueError(f"at most {MAX_QUARTERS} quarters at a time")


def default_range(today: date) -> tuple[str, str]:
    last = quarter_of(today)
    fy, q = parse_quarter(last)
    return f"FY{fy - 1}Q{q}", last
