"""Everything published for one tenant's quarter, and the one disclosure decision over it.

Every view of a quarter (the tenant's Deep Dive, each area's and service's, their
breakdowns, the previous-quarter block of the next quarter's Deep Dive, the aggregates, the
escalation trends and the trends of every measure, by quarter and by month) shows figures
out of one set of cells: the counts of every unit of the tenant in the quarter, the counts
of every unit but the teams in each of its months, and the escalation trend cells (by stage
and category) of the tenant, its areas and services in the quarter and its months.
Suppression is decided once over all of them, with every equation a reader can write
between them (disclosure.py), so a figure hidden in one view is hidden in all and no
comparison of views recovers it: no month reveals a quarter's hidden figure, nor the reverse.

The equations, in the quarter and in each month alike:
- a unit is the sum of the units directly under it (the tenant: its areas and services; an
  area: its districts; a district: its teams, at the quarter only), cell by cell;
- within a unit: audits completed = the grades; escalations raised = by the highest stage
  reached = by the stage each opened at; resolved and open at the end = by stage; complaints
  received = by stage; compliments = feedback by source COMPLIMENT; children who started to
  be looked after = by route; referrals = the funnel's referrals;
- a rate publishes its numerator where its denominator is shown, so the numerator is a
  cell too, and so is the rest of the denominator (good or better = outstanding + good;
  moderated = agreed + not agreed;
  resolved = resolved early + later; resolved early = resolved at INFORMAL + at
  TEAM_MANAGER; and each activity rate over a published count, measures.SHARES);
- a quarter's count is the sum of its months'; a stock at its end (measures.STOCKS: open
  at the end, overdue at the end, the rolling twelve months) is its last month's.
Where the figures do not add up exactly (a record without a unit, a team moved between
districts), the difference is an unpublished cell of the equation, so a small difference
is protected like any small count."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache

from qaf_shared.enums import EscalationCategory, EscalationStage, Grade
from qaf_shared.org_units import TenantUnits
from reporting_service.domain.disclosure import SUPPRESSED, Cell, Equation, protect, sums_to
from reporting_service.domain.measures import COUNTS, GOOD, SHARES, STOCKS, Raw, Unit, children
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
# The units the escalation trends break down by stage and category.
ESCALATION_TREND_KINDS = ("tenant", "area", "service")
# Rates whose numerator is a cell: (numerator, denominator); the rest is unpublished (NOT).
RATES = [(numerator, total) for _, numerator, total in SHARES]
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


def month_units(tenant: str, units: TenantUnits) -> list[Unit]:
    """The units whose cells are published by month too: every unit but the teams, parents
    before children (the projections' month units)."""
    return [u for u in every_unit(tenant, units) if u[0] != "team"]


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
    for cells in raw.values():
        # The count behind the rate, published by the rate where `completed` is (at the
        # quarter and at each month).
        cells[(GOOD, "")] = sum(cells.get(("audits.grades", g), 0) for g in GOOD_GRADES)
    if threshold is None:
        return Decision(quarter, raw, None)
    values, equations, unpublished = _published(raw, quarter, tenant, units)
    rank = {k: _rank(k, quarter) for k in values}
    hidden = protect(values, equations, threshold, unpublished=unpublished, rank=rank)
    return Decision(quarter, raw, threshold, frozenset(hidden))


def _rank(key: Key, quarter: str) -> int:
    """How much readers would miss a figure hidden to protect another (docs/measures.md):
    the quarter's figures of the tenant, its areas and services (the Deep Dives) most, then
    their months (the trends) and the districts' quarter, then the rest."""
    period, kind = key[0], key[1]
    if kind in _DEEP_DIVE_KINDS:
        return 2 if period == quarter else 1
    return 1 if kind == "district" and period == quarter else 0


_DEEP_DIVE_KINDS = frozenset({"tenant", "area", "service"})


@cache
def _unit_cells(kind: str) -> tuple[tuple[str, str], ...]:
    """The (stored measure, dimension) cells of a unit in a period (worked out once per
    kind: a decision asks for them once per unit and period)."""
    out = [
        (measure, prefix + dim)
        for _, _, measure, prefix, dims in COUNTS
        for dim in (dims if dims is not None else [""])
    ]
    out += [(GOOD, ""), *((numerator, "") for _, numerator, _ in SHARES)]
    if kind in ESCALATION_TREND_KINDS:
        out += [(m, d) for m in METRICS.values() for d in TREND_DIMENSIONS]
    return tuple(dict.fromkeys(out))


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

    def key(period: str, unit: Unit, measure: str, dim: str = "") -> Key:
        return (period, unit[0], unit[1], measure, dim)

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
    monthly = month_units(tenant, units)
    # Every unit at the quarter; every unit but the teams at each of its months.
    periods = [(quarter, everything), *((m, monthly) for m in months)]
    for period, present in periods:
        for kind, code in present:
            for measure, dim in _unit_cells(kind):
                values[(period, kind, code, measure, dim)] = get(period, kind, code, measure, dim)
            for measure, total in RATES:
                rest = (period, kind, code, measure, NOT)
                values[rest] = get(period, kind, code, total, "") - get(
                    period, kind, code, measure, ""
                )
                unpublished.add(rest)

    for period, present in periods:
        shown = set(present)
        for unit in present:
            # Within the unit.
            for total, field_ in WITHIN_UNIT:
                equal(key(period, unit, total), _dims(period, unit, field_), field_)
            grades = [key(period, unit, "audits.grades", g) for g in GOOD_GRADES]
            equal(key(period, unit, GOOD), grades, "good")
            equal(
                key(period, unit, "feedback.compliments"),
                [key(period, unit, "feedback.by_source", "COMPLIMENT")],
                "source",
            )
            equal(
                key(period, unit, "activity.referrals"),
                [key(period, unit, "activity.funnel", "referrals")],
                "funnel",
            )
            for measure, total in RATES:
                parts = [key(period, unit, measure), key(period, unit, measure, NOT)]
                equal(key(period, unit, total), parts, "rate")
            if unit[0] in ESCALATION_TREND_KINDS:
                equal(
                    key(period, unit, "escalations.resolved_early"),
                    [key(period, unit, "escalations.resolved", d) for d in EARLY],
                    "early",
                )
                for measure in METRICS.values():
                    equal(
                        key(period, unit, measure),
                        [key(period, unit, measure, s) for s in STAGES],
                        "stages",
                    )
            # Across units: the unit and those directly under it (a district's teams have
            # no months).
            below = children(units, *unit)
            if not below or not all(b in shown for b in below):
                continue
            for measure, dim in _unit_cells(unit[0]):
                if all(key(period, b, measure, dim) in values for b in below):
                    parts = [key(period, b, measure, dim) for b in below]
                    equal(key(period, unit, measure, dim), parts, "units")
            for measure, _ in RATES:
                parts = [key(period, b, measure, NOT) for b in below]
                equal(key(period, unit, measure, NOT), parts, "units")

    if months:
        _across_periods(quarter, months, monthly, equal)
    return values, equations, unpublished


def _across_periods(
    quarter: str,
    months: list[str],
    monthly: list[Unit],
    equal: Callable[[Key, list[Key], str], None],
) -> None:
    """A quarter's count is the sum of its months', a stock at its end is its last month's,
    in every unit shown by month (the rests of rates follow from their totals')."""
    for kind, code in monthly:
        for measure, dim in _unit_cells(kind):
            total = (quarter, kind, code, measure, dim)
            if measure in STOCKS:
                equal(total, [(months[-1], kind, code, measure, dim)], "m")
            else:
                equal(total, [(m, kind, code, measure, dim) for m in months], "months")


def _dims(period: str, unit: Unit, field: str) -> list[Key]:
    """The cells of a field with dimensions (a Deep Dive name such as `audits.grades`)."""
    for section, name, measure, prefix, dims in COUNTS:
        if f"{section}.{name}" == field:
            return [(period, unit[0], unit[1], measure, prefix + d) for d in dims or []]
    raise KeyError(field)
