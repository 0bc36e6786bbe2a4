"""Trends: any Deep Dive figure for each quarter or month of a range, for the tenant, one
area or service, or by area, service or district (`measure_trend_body`); and the escalation
trends, raised, resolved and open at the end by category, stage, area or service
(`trend_body`). Each quarter's cells, its months' included, are shown as that quarter's one
disclosure decision has them (publication.py), so a trend hides exactly what the Deep Dive
and the aggregates hide."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

from qaf_shared.enums import EscalationCategory, EscalationStage
from qaf_shared.org_units import TenantUnits
from qaf_shared.quarters import parse_quarter, quarter_of
from reporting_service.domain import measures
from reporting_service.domain.disclosure import NOT_APPLICABLE, Cell

if TYPE_CHECKING:
    from reporting_service.domain.publication import Decision

METRICS = {
    "raised": "escalations.raised",
    "resolved": "escalations.resolved",
    "open_at_end": "escalations.open_at_end",
}
MAX_QUARTERS = 60


def quarters_between(first: str, last: str) -> list[str]:
    fy, q = parse_quarter(first)
    end = parse_quarter(last)
    out = []
    while (fy, q) <= end:
        out.append(f"FY{fy:04d}Q{q}")
        fy, q = (fy, q + 1) if q < 4 else (fy + 1, 1)
    return out


def months_of(quarter: str) -> list[str]:
    """The quarter's three months, `YYYY-MM`. By arithmetic, not dates: any quarter id has
    its months' names (FY0000Q1's months have no dates, and nothing is counted in them)."""
    fy, q = parse_quarter(quarter)
    first = fy * 12 + 3 + (q - 1) * 3  # months since year 0, January = 0: April of `fy`
    return [f"{(first + i) // 12:04d}-{(first + i) % 12 + 1:02d}" for i in range(3)]


def months_or_none(quarter: str) -> list[str]:
    """The quarter's months; none for the quarter before FY0000Q1 (the previous block of
    FY0000Q1's Deep Dive), which is not a quarter id and counts nothing."""
    try:
        return months_of(quarter)
    except ValueError:
        return []


def trend_body(
    decisions: Mapping[str, Decision],
    *,
    units: TenantUnits,
    first: str,
    last: str,
    by: str,
    granularity: str,
    unit: tuple[str, str],
    applied: bool,
) -> dict[str, Any]:
    """The trends of `unit` from each quarter's decision (`decisions`, by quarter): every
    cell as the quarter's other views show it."""
    quarters = quarters_between(first, last)
    if by in ("category", "stage"):
        values = [e.value for e in (EscalationCategory if by == "category" else EscalationStage)]
        keys = {v: (unit, f"{by}:{v}") for v in values}
    else:
        parts = (
            [("area", a) for a in units.areas] + [("service", s) for s in units.services]
            if unit[0] == "tenant"
            else [unit]
        )
        keys = {
            code: ((kind, code), "") for kind, code in parts if unit[0] != "tenant" or kind == by
        }
    series: list[dict[str, Cell]] = []
    for quarter in quarters:
        decision = decisions[quarter]
        for period in months_of(quarter) if granularity == "month" else [quarter]:
            for key, ((kind, code), dim) in keys.items():
                point: dict[str, Cell] = {"period": period, "key": key}
                for name, measure in METRICS.items():
                    point[name] = decision.cell(period, kind, code, measure, dim)
                series.append(point)
    return {
        "from": first,
        "to": last,
        "by": by,
        "granularity": granularity,
        "unit": {"kind": unit[0], "code": unit[1]},
        "suppression": {"applied": applied},
        "series": series,
    }


def series_units(units: TenantUnits, scope: tuple[str, str], by: str | None) -> list[measures.Unit]:
    """The units a measure's trend has a series for: the scope itself (the tenant, an area or
    a service) without `by`; else its areas, services or districts (an area's `by=area` is
    the area itself, as in the escalation trends). Raises ValueError for a breakdown the
    scope has not (a service has no districts, an area no services)."""
    kind, code = scope
    if by is None or by == kind:
        return [scope]
    if kind == "tenant" and by == "area":
        return [("area", a) for a in units.areas]
    if kind == "tenant" and by == "service":
        return [("service", s) for s in units.services]
    if by == "district" and kind in ("tenant", "area"):
        areas = units.areas if kind == "tenant" else {code: units.areas[code]}
        return [("district", d) for districts in areas.values() for d in districts]
    raise ValueError(f"a {kind} has no {by} breakdown")


def measure_trend_body(
    decisions: Mapping[str, Decision],
    *,
    measure: str,
    dimension: str | None,
    first: str,
    last: str,
    by: str | None,
    granularity: str,
    scope: tuple[str, str],
    series: list[measures.Unit],
    applied: bool,
) -> dict[str, Any]:
    """One Deep Dive figure (`measure`, dotted as the aggregates name it, and its `dimension`
    if it has them) of each unit of `series` in each period of the range. A period's figure
    is what `measures.sections` makes of the quarter's decision for that period: the
    quarter's Deep Dive figure itself, or the month's computed from the month's own cells
    the same way. A dimension the period has nothing for (a conference question nobody
    answered) is "z"."""
    section, name = measure.split(".", 1)
    points: list[dict[str, Cell | str]] = []
    for quarter in quarters_between(first, last):
        decision = decisions[quarter]
        for period in months_of(quarter) if granularity == "month" else [quarter]:
            for kind, code in series:
                value = measures.sections(decision, period, kind, code)[section][name]
                if dimension is not None:
                    value = value.get(dimension, NOT_APPLICABLE)
                points.append({"period": period, "unit": code, "value": value})
    return {
        "measure": measure,
        "dimension": dimension,
        "from": first,
        "to": last,
        "by": by,
        "granularity": granularity,
        "unit": {"kind": scope[0], "code": scope[1]},
        "suppression": {"applied": applied},
        "series": points,
    }


def validate_range(first: str, last: str) -> None:
    """Raises ValueError for a malformed or backwards or too long range."""
    (fy, q), (last_fy, last_q) = parse_quarter(first), parse_quarter(last)
    if (fy, q) > (last_fy, last_q):
        raise ValueError("`from` is after `to`")
    # Counted, not listed: every cached trend's request checks its range.
    if (last_fy - fy) * 4 + last_q - q + 1 > MAX_QUARTERS:
        raise ValueError(f"at most {MAX_QUARTERS} quarters at a time")


def default_range(today: date) -> tuple[str, str]:
    last = quarter_of(today)
    fy, q = parse_quarter(last)
    return f"FY{fy - 1}Q{q}", last
