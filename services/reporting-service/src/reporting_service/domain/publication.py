"""Everything published for one tenant's quarter, and the one disclosure decision over it.

Every view of a quarter (the tenant's Deep Dive, each area's and service's, their
breakdowns, the previous-quarter block of the next quarter's Deep Dive, the aggregates and
the escalation trends by quarter and by month) shows figures out of one set of cells: the
counts of every unit of the tenant in the quarter, and the escalation trend cells of the
tenant, its areas and services in the quarter and its months. Suppression is decided once
over all of them, with every equation a reader can write between them (disclosure.py), so
a figure hidden in one view is hidden in all and no comparison of views recovers it.

The equations:
- a unit is the sum of the units directly under it (the tenant: its areas and services; an
  area: its districts; a district: its teams), cell by cell, at the quarter and, for the
  trends, by month;
- within a unit: audits completed = the grades; escalations raised = by the highest stage
  reached = by the stage each opened at; resolved and open at the end = by stage; complaints
  received = by stage; compliments = feedback by source COMPLIMENT; children who started to
  be looked after = by route; referrals = the funnel's referrals;
- a rate publishes its numerator where its denominator is shown, so the numerator is a
  cell too, and so is the rest of the denominator (good or better = outstanding + good;
  moderated = agreed + not agreed;
  resolved = resolved early + later; resolved early = resolved at INFORMAL + at
  TEAM_MANAGER; and each activity rate over a published count, measures.SHARES);
- a quarter's raised and resolved are the sum of its months'; its open at the end is its
  last month's.
Where the figures do not add up exactly (a record without a unit, a team moved between
districts), the difference is an unpublished cell of the equation, so a small difference
is protected like any small count."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from qaf_shared.enums import EscalationCategory, EscalationStage, Grade
from qaf_shared.org_units import TenantUnits
from reporting_service.domain.disclosure import SUPPRESSED, Cell, Equation, protect, sums_to
from reporting_service.domain.measures import COUNTS, GOOD, SHARES, Raw, Unit, children
from reporting_service.domain.trends import METRICS, months_or_none

Key = tuple[str, str, str, str, str]  # period, unit kind, unit code, stored measure, dimension
NOT = "~not"  # dimension of the unpublished rest of a rate's denominator
REST = "~rest:"  # dimension prefix of the unpublished difference of an equation

TREND_DIMENSIONS = [
    "",
    *(f"category:{c.value}" for c in EscalationCategory),
    *(f"stage:{s.value}" for s in EscalationStage),
]
STAGES = [f"stage:{s.value}" for s in EscalationStage]
EARLY = ["stage:INFORMAL", "stage:TEAM_MANAGER"]
GOOD_GRADES = [Grade.OUTSTANDING.value, Grade.GOOD.value]
# Totals and the Deep Dive field whose cells add up to them, within one unit.
WITHIN_UNIT = [
    ("audits.completed", "audits.grades"),
    ("escalations.raised", "escalations.by_stage_reached"),
    ("feedback.complaints_received", "feedback.complaints_by_stage"),
    ("activity.cla_started", "activity.cla_routes"),
]


def every_unit(tenant: str, units: TenantUnits) -> list[Unit]:
    """The tenant and every unit in it, parents before children."""
    out: list[Unit] = [("tenant", tenant)]
    for area, districts in units.areas.items():
        out.append(("area", area))
        for district, teams in districts.items():
            out.append(("district", district))
            out.extend(("team", t) for t in teams)
    out.extend(("service", s) for s in units.services)
    return out


def trend_units(tenant: str, units: TenantUnits) -> list[Unit]:
    return [("tenant", tenant), *(("area", a) for a in units.areas)] + [
        ("service", s) for s in units.services
    ]


@dataclass(frozen=True)
class Decision:
    """One quarter's figures and which of them are hidden (none when `threshold` is None)."""

    quarter: str
    raw: dict[tuple[str, str, str], Raw]  # (period, kind, code) -> raw counts
    threshold: int | None
    hidden: frozenset[Key] = field(default_factory=frozenset)

    def value(self, period: str, kind: str, code: str, measure: str, dim: str = "") -> int:
        return self.raw.get((period, kind, code), {}).get((measure, dim), 0)

    def cell(self, period: str, kind: str, code: str, measure: str, dim: str = "") -> Cell:
        if (period, kind, code, measure, dim) in self.hidden:
            return SUPPRESSED
        return self.value(period, kind, code, measure, dim)

    def small(self, value: int) -> bool:
        """A count that is published only through a rate or mean: small ones hide it."""
        return self.threshold is not None and 1 <= value <= self.threshold


def decide(
    raw: dict[tuple[str, str, str], Raw],
    quarter: str,
    tenant: str,
    units: TenantUnits,
    threshold: int | None,
) -> Decision:
    raw = {unit: dict(cells) for unit, cells in raw.items()}
    for (period, _, _), cells in raw.items():
        if period == quarter:
            # The count behind the rate, published by the rate where `completed` is.
            cells[(GOOD, "")] = sum(cells.get(("audits.grades", g), 0) for g in GOOD_GRADES)
    if threshold is None:
        return Decision(quarter, raw, None)
    values, equations, unpublished = _published(raw, quarter, tenant, units)
    hidden = protect(values, equations, threshold, unpublished=unpublished)
    return Decision(quarter, raw, threshold, frozenset(hidden))


def _unit_cells(kind: str) -> list[tuple[str, str]]:
    """The (stored measure, dimension) cells of a unit at the quarter."""
    out = [
        (measure, prefix + dim)
        for _, _, measure, prefix, dims in COUNTS
        for dim in (dims if dims is not None else [""])
    ]
    out += [(GOOD, ""), *((numerator, "") for _, numerator, _ in SHARES)]
    if kind in ("tenant", "area", "service"):
        out += [(m, d) for m in METRICS.values() for d in TREND_DIMENSIONS]
    return list(dict.fromkeys(out))


def _published(
    raw: dict[tuple[str, str, str], Raw], quarter: str, tenant: str, units: TenantUnits
) -> tuple[dict[Key, int], list[Equation[Key]], set[Key]]:
    """The cells published for the quarter, the equations between them, and the cells that
    take part in the equations without being published."""
    values: dict[Key, int] = {}
    unpublished: set[Key] = set()
    equations: list[Equation[Key]] = []

    def get(period: str, kind: str, code: str, measure: str, dim: str) -> int:
        return raw.get((period, kind, code), {}).get((measure, dim), 0)

    def equal(total: Key, parts: Sequence[Key], tag: str) -> None:
        """total == sum(parts), with the difference as an unpublished cell if any."""
        difference = values[total] - sum(values[p] for p in parts)
        equation = sums_to(total, parts)
        if difference:
            rest = (*total[:4], f"{REST}{tag}:{total[4]}")
            values[rest] = abs(difference)
            unpublished.add(rest)
            equation = (*equation, (rest, -1 if difference > 0 else 1))
        equations.append(equation)

    months = months_or_none(quarter)
    everything = every_unit(tenant, units)
    trending = set(trend_units(tenant, units))
    for kind, code in everything:
        for measure, dim in _unit_cells(kind):
            values[(quarter, kind, code, measure, dim)] = get(quarter, kind, code, measure, dim)
        for month in months if (kind, code) in trending else []:
            for measure in METRICS.values():
                for dim in TREND_DIMENSIONS:
                    values[(month, kind, code, measure, dim)] = get(month, kind, code, measure, dim)
        for _, measure, total in SHARES:
            rest = (quarter, kind, code, measure, NOT)
            values[rest] = get(quarter, kind, code, total, "") - get(
                quarter, kind, code, measure, ""
            )
            unpublished.add(rest)

    def key(period: str, unit: Unit, measure: str, dim: str = "") -> Key:
        return (period, unit[0], unit[1], measure, dim)

    for unit in everything:
        q = quarter
        # Within the unit.
        for total, field_ in WITHIN_UNIT:
            equal(key(q, unit, total), _dims(q, unit, field_), field_)
        equal(key(q, unit, GOOD), [key(q, unit, "audits.grades", g) for g in GOOD_GRADES], "good")
        equal(
            key(q, unit, "feedback.compliments"),
            [key(q, unit, "feedback.by_source", "COMPLIMENT")],
            "source",
        )
        equal(
            key(q, unit, "activity.referrals"),
            [key(q, unit, "activity.funnel", "referrals")],
            "funnel",
        )
        for _, measure, total in SHARES:
            equal(key(q, unit, total), [key(q, unit, measure), key(q, unit, measure, NOT)], "rate")
        if unit in trending:
            equal(
                key(q, unit, "escalations.resolved_early"),
                [key(q, unit, "escalations.resolved", d) for d in EARLY],
                "early",
            )
            for period in [q, *months]:
                for measure in METRICS.values():
                    equal(
                        key(period, unit, measure),
                        [key(period, unit, measure, s) for s in STAGES],
                        "stages",
                    )
            for measure in METRICS.values() if months else []:
                for dim in TREND_DIMENSIONS:
                    if measure == "escalations.open_at_end":
                        # A stock: the quarter's end is its last month's end.
                        equal(
                            key(q, unit, measure, dim), [key(months[-1], unit, measure, dim)], "m"
                        )
                    else:
                        parts = [key(m, unit, measure, dim) for m in months]
                        equal(key(q, unit, measure, dim), parts, "months")
        # Across units: the unit and those directly under it.
        below = children(units, *unit)
        if not below:
            continue
        for measure, dim in _unit_cells(unit[0]):
            if all(key(q, b, measure, dim) in values for b in below):
                equal(key(q, unit, measure, dim), [key(q, b, measure, dim) for b in below], "units")
        for month in months if unit in trending and all(b in trending for b in below) else []:
            for measure in METRICS.values():
                for dim in TREND_DIMENSIONS:
                    parts = [key(month, b, measure, dim) for b in below]
                    equal(key(month, unit, measure, dim), parts, "units")
        for _, measure, _ in SHARES:
            parts = [key(q, b, measure, NOT) for b in below]
            equal(key(q, unit, measure, NOT), parts, "units")
    return values, equations, unpublished


def _dims(quarter: str, unit: Unit, field: str) -> list[Key]:
    """The cells of a field with dimensions (a Deep Dive name such as `audits.grades`)."""
    for section, name, measure, prefix, dims in COUNTS:
        if f"{section}.{name}" == field:
            return [(quarter, unit[0], unit[1], measure, prefix + d) for d in dims or []]
    raise KeyError(field)
