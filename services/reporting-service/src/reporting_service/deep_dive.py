"""The Deep Dive document, assembled from the maintained count projections."""

from __future__ import annotations

from typing import Any

import asyncpg

from qaf_shared.enums import Grade
from qaf_shared.org_units import TenantUnits
from qaf_shared.quarters import previous_quarter
from reporting_service.disclosure import Cell, percentage, suppress_group

Counts = dict[tuple[str, str], int]  # (measure, dimension) -> value

_READ = """
SELECT quarter, unit_kind, unit_code, measure, dimension, value FROM measure_counts
WHERE tenant = $1 AND quarter = ANY($2::text[])
  AND (unit_kind, unit_code) IN (SELECT * FROM unnest($3::text[], $4::text[]))
"""


def breakdown_units(units: TenantUnits, kind: str, code: str) -> list[tuple[str, str]]:
    """What a unit's Deep Dive breaks down into."""
    if kind == "tenant":
        return [("area", a) for a in units.areas] + [("service", s) for s in units.services]
    if kind == "area":
        out: list[tuple[str, str]] = []
        for district, teams in units.areas[code].items():
            out.append(("district", district))
            out.extend(("team", t) for t in teams)
        return out
    return []


def audits_section(counts: Counts, threshold: int | None) -> dict[str, Any]:
    """The `audits` measures of one unit and quarter; `threshold` None publishes raw figures."""
    completed = counts.get(("audits.completed", ""), 0)
    grades = {g.value: counts.get(("audits.grades", g.value), 0) for g in Grade}
    shown_completed: Cell = completed
    shown_grades: dict[str, Cell] = dict(grades)
    if threshold is not None:
        shown_completed, shown_grades = suppress_group(completed, grades, threshold)
    good = _sum(shown_grades[Grade.OUTSTANDING.value], shown_grades[Grade.GOOD.value])
    return {
        "completed": shown_completed,
        "grades": shown_grades,
        "good_or_better_pct": percentage(good, shown_completed),
    }


def _sum(*cells: Cell) -> Cell:
    if any(isinstance(c, str) for c in cells):
        return "c"
    return sum(int(c) for c in cells)


async def read_deep_dive(
    conn: asyncpg.Connection,
    *,
    tenant: str,
    quarter: str,
    units: TenantUnits,
    kind: str,
    code: str,
    threshold: int,
    suppress: bool,
) -> dict[str, Any]:
    children = breakdown_units(units, kind, code)
    wanted = [(kind, code), *children]
    previous = previous_quarter(quarter)
    counts: dict[tuple[str, str, str], Counts] = {}
    for row in await conn.fetch(
        _READ, tenant, [quarter, previous], [k for k, _ in wanted], [c for _, c in wanted]
    ):
        key = (row["quarter"], row["unit_kind"], row["unit_code"])
        counts.setdefault(key, {})[(row["measure"], row["dimension"])] = row["value"]

    def section(q: str, k: str, c: str) -> dict[str, Any]:
        return {
            "audits": audits_section(counts.get((q, k, c), {}), threshold if suppress else None)
        }

    return {
        "tenant": tenant,
        "quarter": quarter,
        "unit": {"code": code, "kind": kind},
        "suppression": {"applied": suppress, "threshold": threshold},
        **section(quarter, kind, code),
        "previous": {"quarter": previous, **section(previous, kind, code)},
        "breakdown": [
            {"unit": {"code": c, "kind": k}, **section(quarter, k, c)} for k, c in children
        ],
    }
