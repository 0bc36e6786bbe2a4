"""An attacker who reads every published view of a tenant's quarter and solves the equations
anyone can write between the figures, written from the domain's rules (not from the code
that suppresses), and a generator of small tenants whose figures satisfy those rules.

The attacker is exact: for each hidden count it finds, by integer programming, the least
and the greatest whole value it can take in any solution of every equation (each "c" at
least 1, no ceiling). When both are its true value, the count is recovered."""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import dok_array

from qaf_shared.enums import (
    AuditTheme,
    ComplaintStage,
    EscalationCategory,
    EscalationStage,
    FeedbackSource,
    Grade,
)
from qaf_shared.org_units import TenantUnits
from reporting_service.domain import measures, trends

if TYPE_CHECKING:
    from reporting_service.domain import publication

Id = tuple[str, str, str, str]  # period, unit code, field, dimension
QUARTER = "FY2025Q2"
PREVIOUS = "FY2025Q1"
STAGES = [s.value for s in EscalationStage]
# States at a period's end (docs/measures.md): a quarter's is its last month's. The rest are
# counts of events in the period: a quarter's is the sum of its months'.
STOCKS = {
    "escalations.open_at_end",
    "audits.actions_overdue_at_end",
    "trend.open_at_end",
    "activity.cp_open_at_end",
    "activity.cp_open_2y_plus_at_end",
    "activity.cla_open_at_end",
    "activity.cla_3plus_placements_12m",  # (the figures' numerator, held on the day)
    "activity.cla_3plus_placements_12m_pct:numerator",
}
CATEGORIES = [c.value for c in EscalationCategory]
ROUTES = ["CP_PLAN", "CIN", "NONE"]
SECTIONS = ("audits", "escalations", "feedback", "activity")
# A rate shown with its denominator gives its numerator away (the domain's definitions).
DENOMINATORS = {
    "audits.good_or_better_pct": "audits.completed",
    "audits.moderation_agreement_pct": "audits.moderated",
    "escalations.resolved_early_pct": "escalations.resolved",
    "activity.re_referrals_12m_pct": "activity.referrals",
    "activity.referrals_nfa_pct": "activity.referrals",
    "activity.assessments_within_45wd_pct": "activity.assessments_completed",
    "activity.s47_to_icpc_pct": "activity.s47_started",
    "activity.icpc_within_15wd_pct": "activity.icpc_held",
    "activity.cp_second_or_subsequent_pct": "activity.cp_plans_started",
    "activity.cla_3plus_placements_12m_pct": "activity.cla_open_at_end",
}


# --- the figures: a small tenant, counted at its teams and services and added up ---------


def small_tenant(rng: random.Random, *, areas: int, districts: int, teams: int) -> TenantUnits:
    return TenantUnits(
        tenant="T",
        name="T",
        areas={
            f"A{a}": {
                f"A{a}D{d}": tuple(f"A{a}D{d}T{t}" for t in range(rng.randint(1, teams)))
                for d in range(rng.randint(1, districts))
            }
            for a in range(areas)
        },
        services=("S0",) if rng.random() < 0.7 else (),
    )


def _leaf_counts(rng: random.Random, high: int, sparse: float) -> Iterator[tuple[str, str, int]]:
    """One team's or service's raw counts in one month: (measure, dimension, value)."""

    def n() -> int:
        return 0 if rng.random() < sparse else rng.randint(1, high)

    raised = {s: n() if s in STAGES[:2] else 0 for s in STAGES}
    total = sum(raised.values())
    yield "escalations.raised", "", total
    for stage, v in raised.items():
        yield "escalations.raised", f"stage:{stage}", v
    reached = dict.fromkeys(STAGES, 0)
    for _ in range(total):
        reached[rng.choice(STAGES[:3])] += 1
    for stage, v in reached.items():
        yield "escalations.by_stage_reached", stage, v
    for category in CATEGORIES[:3]:
        yield "escalations.raised", f"category:{category}", n()
    for measure in ("escalations.resolved", "escalations.open_at_end"):
        by_stage = {s: n() if s in STAGES[:2] else 0 for s in STAGES}
        yield measure, "", sum(by_stage.values())
        for stage, v in by_stage.items():
            yield measure, f"stage:{stage}", v
        for category in CATEGORIES[:2]:
            yield measure, f"category:{category}", n()
    grades = {g.value: n() for g in Grade}
    yield "audits.completed", "", sum(grades.values())
    for grade, v in grades.items():
        yield "audits.grades", grade, v
    moderated = n()
    yield "audits.moderated", "", moderated
    yield "audits.moderation_agreed", "", rng.randint(0, moderated)
    yield "audits.themes", AuditTheme.DRIFT_DELAY.value, n()
    yield "audits.actions_raised", "", n()
    yield "audits.actions_overdue_at_end", "", n()
    yield "audits.safeguarding_concerns", "", n()
    sources = {FeedbackSource.COMPLIMENT.value: n(), FeedbackSource.ADVOCACY.value: n()}
    for source, v in sources.items():
        yield "feedback.by_source", source, v
    yield "feedback.compliments", "", sources[FeedbackSource.COMPLIMENT.value]
    stages = {s.value: n() for s in ComplaintStage}
    yield "feedback.complaints_received", "", sum(stages.values())
    for stage, v in stages.items():
        yield "feedback.complaints_by_stage", stage, v
    yield "feedback.cic_reviews", "", n()
    referrals = n()
    yield "activity.referrals", "", referrals
    yield "activity.funnel", "referrals", referrals
    for numerator in ("activity.re_referrals_12m", "activity.referrals_nfa"):
        yield numerator, "", rng.randint(0, referrals)
    assessed = rng.randint(0, referrals)
    s47 = rng.randint(0, referrals)
    icpc = rng.randint(0, s47)
    for stage, v in (("assessed", assessed), ("s47", s47), ("icpc", icpc)):
        yield "activity.funnel", stage, v
    yield "activity.funnel", "cp_plan", rng.randint(0, icpc)
    for total, numerator in (
        ("activity.assessments_completed", "activity.assessments_within_45wd"),
        ("activity.s47_started", "activity.s47_to_icpc"),
        ("activity.icpc_held", "activity.icpc_within_15wd"),
        ("activity.cp_plans_started", "activity.cp_second_or_subsequent"),
        ("activity.cla_open_at_end", "activity.cla_3plus_placements_12m"),
    ):
        count = n()
        yield total, "", count
        yield numerator, "", rng.randint(0, count)
    routes = {r: n() for r in ROUTES}
    yield "activity.cla_started", "", sum(routes.values())
    for route, v in routes.items():
        yield "activity.cla_routes", route, v
    for measure in ("activity.cp_plans_ended", "activity.cp_open_at_end"):
        yield measure, "", n()


def figures(
    rng: random.Random, units: TenantUnits, *, high: int = 4, sparse: float = 0.5
) -> dict[str, dict[tuple[str, str, str], dict[tuple[str, str], int]]]:
    """quarter -> (period, kind, code) -> raw counts, as the projections keep them: every
    unit at the quarter, the tenant, areas and services by month."""
    out: dict[str, dict[tuple[str, str, str], dict[tuple[str, str], int]]] = {}
    leaves: list[list[tuple[str, str]]] = []  # a team's or service's units, tenant first
    for area, districts in units.areas.items():
        for district, teams in districts.items():
            for team in teams:
                leaves.append(
                    [
                        ("tenant", units.tenant),
                        ("area", area),
                        ("district", district),
                        ("team", team),
                    ]
                )
    leaves += [[("tenant", units.tenant), ("service", s)] for s in units.services]
    for quarter in (PREVIOUS, QUARTER):
        raw: dict[tuple[str, str, str], dict[tuple[str, str], int]] = {}
        months = trends.months_of(quarter)
        for chain in leaves:
            for i, month in enumerate(months):
                for measure, dim, value in _leaf_counts(rng, high, sparse):
                    for kind, code in chain:
                        # Every unit but a team by month too.
                        if kind != "team":
                            cell = raw.setdefault((month, kind, code), {})
                            cell[(measure, dim)] = cell.get((measure, dim), 0) + value
                        if measure in STOCKS and i < 2:
                            continue  # a stock: the quarter's is its last month's
                        cell = raw.setdefault((quarter, kind, code), {})
                        cell[(measure, dim)] = cell.get((measure, dim), 0) + value
        for cell in raw.values():
            early = sum(cell.get(("escalations.resolved", f"stage:{s}"), 0) for s in STAGES[:2])
            if ("escalations.resolved", "") in cell:
                cell[("escalations.resolved_early", "")] = early
        out[quarter] = raw
    return out


# --- every view, as the routes build them -------------------------------------------------


def views(
    units: TenantUnits, decisions: dict[str, publication.Decision]
) -> Iterator[dict[str, Any]]:
    """Every JSON body a reader can get for the quarter (and the previous quarter's block)."""
    tenant = units.tenant
    top = [("tenant", tenant), *(("area", a) for a in units.areas)]
    top += [("service", s) for s in units.services]
    for quarter in (PREVIOUS, QUARTER):
        previous = {QUARTER: PREVIOUS, PREVIOUS: None}[quarter]
        decision = decisions[quarter]
        for kind, code in top:
            below = measures.children(units, kind, code)
            if kind == "area":
                below = below + [t for d in below for t in measures.children(units, *d)]
            body: dict[str, Any] = {
                "quarter": quarter,
                "unit": {"code": code, "kind": kind},
                **measures.sections(decision, quarter, kind, code),
                "breakdown": [
                    {"unit": {"code": c, "kind": k}, **measures.sections(decision, quarter, k, c)}
                    for k, c in below
                ],
            }
            if previous:
                prior = measures.sections(decisions[previous], previous, kind, code)
                body["previous"] = {"quarter": previous, **prior}
            yield {"deep_dive": body}
        rows = [
            {"unit": c, "unit_kind": k, "measure": f"{s}.{f}", "dimension": d, "value": v}
            for k, c in _every_unit(units)
            for s, fields in measures.sections(decision, quarter, k, c).items()
            for f, value in fields.items()
            for d, v in (value.items() if isinstance(value, dict) else [("", value)])
        ]
        yield {"aggregates": {"quarter": quarter, "rows": rows}}
        for unit in top:
            for by in ("category", "stage", "area", "service"):
                if by in ("area", "service") and unit[0] not in ("tenant", by):
                    continue
                for granularity in ("quarter", "month"):
                    yield {
                        "trends": trends.trend_body(
                            decisions,
                            units=units,
                            first=quarter,
                            last=quarter,
                            by=by,
                            granularity=granularity,
                            unit=unit,
                            applied=True,
                        )
                    }
        yield from _measure_trends(units, decisions, quarter, top)


def _measure_trends(
    units: TenantUnits,
    decisions: dict[str, publication.Decision],
    quarter: str,
    top: list[tuple[str, str]],
) -> Iterator[dict[str, Any]]:
    """Every `GET /v1/trends` body over the quarter: each count (each of its dimensions) and
    rate over a count (DENOMINATORS), for the tenant, each area and service, and by area,
    service and district, by quarter and by month."""
    wanted = [(m, d) for m, dims in COUNT_FIELDS.items() for d in dims or [None]]
    wanted += [(m, None) for m in DENOMINATORS]
    scopes: list[tuple[tuple[str, str], str | None]] = [(u, None) for u in top]
    scopes += [(("tenant", units.tenant), by) for by in ("area", "service", "district")]
    scopes += [(("area", a), "district") for a in units.areas]
    for scope, by in scopes:
        series = trends.series_units(units, scope, by)
        for granularity in ("quarter", "month"):
            for measure, dim in wanted:
                yield {
                    "measure_trends": trends.measure_trend_body(
                        decisions,
                        measure=measure,
                        dimension=dim,
                        first=quarter,
                        last=quarter,
                        by=by,
                        granularity=granularity,
                        scope=scope,
                        series=series,
                        applied=True,
                    )
                }


def _every_unit(units: TenantUnits) -> list[tuple[str, str]]:
    out = [("tenant", units.tenant)]
    for area, districts in units.areas.items():
        out.append(("area", area))
        for district, teams in districts.items():
            out.append(("district", district))
            out.extend(("team", t) for t in teams)
    return out + [("service", s) for s in units.services]


# --- what the attacker reads off the views ------------------------------------------------


@dataclass
class Reading:
    """Every figure the views print (None: printed as "c" somewhere and as a number nowhere),
    and the equations the attacker writes between them."""

    values: dict[Id, int | None] = field(default_factory=dict)
    disagreements: list[tuple[Id, Any, Any]] = field(default_factory=list)
    equations: list[dict[Id, int]] = field(default_factory=list)
    may_be_zero: set[Id] = field(default_factory=set)  # hidden, yet possibly 0
    _printed: dict[Id, Any] = field(default_factory=dict)

    def see(self, ident: Id, value: Any) -> None:
        if not isinstance(value, int) and value != "c":
            return
        before = self._printed.get(ident)
        if before is not None and before != value:
            self.disagreements.append((ident, before, value))
        self._printed[ident] = value
        if isinstance(value, int):
            self.values[ident] = value
        else:
            self.values.setdefault(ident, None)


COUNT_FIELDS = {
    f"{s}.{f}": dims for s, f, _, _, dims in measures.COUNTS
}  # Deep Dive count fields and their dimensions (None: none)


def read(units: TenantUnits, bodies: Iterable[dict[str, Any]]) -> Reading:
    reading = Reading()
    rates: list[tuple[str, str, str, Any]] = []  # period, unit, rate field, value

    def sections(period: str, code: str, body: dict[str, Any]) -> None:
        for section in SECTIONS:
            for name, value in body[section].items():
                dotted = f"{section}.{name}"
                if dotted in COUNT_FIELDS:
                    for dim, v in value.items() if isinstance(value, dict) else [("", value)]:
                        reading.see((period, code, dotted, dim), v)
                elif name.endswith("_pct"):
                    rates.append((period, code, dotted, value))

    for view in bodies:
        if "deep_dive" in view:
            body = view["deep_dive"]
            sections(body["quarter"], body["unit"]["code"], body)
            for entry in body["breakdown"]:
                sections(body["quarter"], entry["unit"]["code"], entry)
            if "previous" in body:
                sections(body["previous"]["quarter"], body["unit"]["code"], body["previous"])
        elif "aggregates" in view:
            grouped: dict[str, dict[str, dict[str, Any]]] = {}
            for row in view["aggregates"]["rows"]:
                section, name = row["measure"].split(".", 1)
                unit = grouped.setdefault(row["unit"], {s: {} for s in SECTIONS})
                if row["dimension"]:
                    unit[section].setdefault(name, {})[row["dimension"]] = row["value"]
                else:
                    unit[section][name] = row["value"]
            for code, body in grouped.items():
                sections(view["aggregates"]["quarter"], code, body)
        elif "measure_trends" in view:
            body = view["measure_trends"]
            for point in body["series"]:
                name, dim = body["measure"], body["dimension"] or ""
                if name in COUNT_FIELDS:
                    reading.see((point["period"], point["unit"], name, dim), point["value"])
                else:
                    rates.append((point["period"], point["unit"], name, point["value"]))
        else:
            body = view["trends"]
            for point in body["series"]:
                if body["by"] in ("area", "service"):
                    code, dim = point["key"], ""
                else:
                    code, dim = body["unit"]["code"], f"{body['by']}:{point['key']}"
                for name in ("raised", "resolved", "open_at_end"):
                    reading.see((point["period"], code, f"trend.{name}", dim), point[name])

    # A rate and its shown denominator give the numerator.
    # (a hidden one is an unknown of the equations, which may be 0).
    for period, code, name, value in rates:
        denominator = DENOMINATORS.get(name)
        if denominator is None:
            continue
        numerator = (period, code, f"{name}:numerator", "")
        reading.may_be_zero.add(numerator)
        total = reading.values.get((period, code, denominator, ""))
        if value == "z":
            reading.see(numerator, 0)
        elif isinstance(value, int | float) and total is not None:
            reading.see(numerator, round(value * total / 100))
        else:
            reading.see(numerator, "c")
    _equations(units, reading)
    return reading


def _equations(units: TenantUnits, reading: Reading) -> None:
    """What anyone knows holds between the figures (docs/domain.md and docs/measures.md)."""
    eqs = reading.equations
    known = reading.values

    def add(total: Id, parts: list[Id]) -> None:
        if total in known and all(p in known for p in parts):
            equation: dict[Id, int] = {total: 1}
            for part in parts:
                equation[part] = equation.get(part, 0) - 1
            eqs.append(equation)

    tenant = units.tenant
    parents: dict[str, list[str]] = {tenant: [*units.areas, *units.services]}
    for area, districts in units.areas.items():
        parents[area] = list(districts)
        for district, teams in districts.items():
            parents[district] = list(teams)
    periods = sorted({i[0] for i in known})
    fields_ = sorted({(i[2], i[3]) for i in known})
    for period in periods:
        for name, dim in fields_:
            # A unit is the sum of the units directly under it.
            for parent, below in parents.items():
                add((period, parent, name, dim), [(period, b, name, dim) for b in below])
        codes = sorted({i[1] for i in known if i[0] == period})
        for code in codes:

            def at(name: str, dim: str = "", period: str = period, code: str = code) -> Id:
                return (period, code, name, dim)

            add(at("audits.completed"), [at("audits.grades", g.value) for g in Grade])
            add(at("escalations.raised"), [at("escalations.by_stage_reached", s) for s in STAGES])
            add(
                at("feedback.complaints_received"),
                [at("feedback.complaints_by_stage", s.value) for s in ComplaintStage],
            )
            add(at("feedback.compliments"), [at("feedback.by_source", "COMPLIMENT")])
            add(at("activity.cla_started"), [at("activity.cla_routes", r) for r in ROUTES])
            add(at("activity.referrals"), [at("activity.funnel", "referrals")])
            add(
                at("audits.good_or_better_pct:numerator"),
                [at("audits.grades", "OUTSTANDING"), at("audits.grades", "GOOD")],
            )
            add(
                at("escalations.resolved_early_pct:numerator"),
                [
                    at("trend.resolved", "stage:INFORMAL"),
                    at("trend.resolved", "stage:TEAM_MANAGER"),
                ],
            )
            # The same figure in the Deep Dive and the trends.
            for name in ("raised", "resolved", "open_at_end"):
                add(at(f"escalations.{name}"), [at(f"trend.{name}")])
                add(at(f"trend.{name}"), [at(f"trend.{name}", f"stage:{s}") for s in STAGES])
            for category in CATEGORIES:
                add(
                    at("escalations.by_category", category),
                    [at("trend.raised", f"category:{category}")],
                )
    # A quarter's flows are its months'; its stock at the end, its last month's: every
    # figure of every unit shown by month.
    for quarter in (p for p in periods if p.startswith("FY")):
        months = trends.months_of(quarter)
        for name, dim in fields_:
            for code in {i[1] for i in known}:
                if name in STOCKS:
                    add((quarter, code, name, dim), [(months[-1], code, name, dim)])
                else:
                    add((quarter, code, name, dim), [(m, code, name, dim) for m in months])


def recovered(
    reading: Reading, truth: dict[Id, int], threshold: int, targets: Iterable[Id] | None = None
) -> list[tuple[Id, int]]:
    """Every hidden count from 1 to the threshold (of `targets`, when given) for which no
    other whole-number solution of the equations gives it another value."""
    hidden = sorted(i for i, v in reading.values.items() if v is None)
    rows: list[tuple[dict[Id, int], int]] = []
    for equation in reading.equations:
        unknown = {i: c for i, c in equation.items() if reading.values[i] is None and c}
        if unknown:
            rhs = -sum(
                c * (reading.values[i] or 0) for i, c in equation.items() if i not in unknown
            )
            rows.append((unknown, rhs))
    of: dict[Id, list[int]] = {}
    for n, (unknown, _) in enumerate(rows):
        for i in unknown:
            of.setdefault(i, []).append(n)
    out = []
    # Solutions found so far, by component: one that gives a later target another value
    # settles it without solving again (every target of a component shares its equations).
    found: dict[frozenset[Id], list[dict[Id, int]]] = {}
    asked = hidden if targets is None else sorted(set(targets) & set(hidden))
    for target in asked:
        if not 1 <= truth[target] <= threshold:
            continue
        # The cells linked to the target: others can keep their true values.
        component, stack = {target}, [target]
        while stack:
            for n in of.get(stack.pop(), []):
                for i in rows[n][0]:
                    if i not in component:
                        component.add(i)
                        stack.append(i)
        solutions = found.setdefault(frozenset(component), [])
        if any(x[target] != truth[target] for x in solutions):
            continue
        floors = {c: 0 if c in reading.may_be_zero else 1 for c in component}
        if not _another(target, sorted(component), rows, of, truth, floors, solutions):
            out.append((target, truth[target]))
    return out


def _another(
    target: Id,
    cells: list[Id],
    rows: list[tuple[dict[Id, int], int]],
    of: dict[Id, list[int]],
    truth: dict[Id, int],
    floors: dict[Id, int],
    solutions: list[dict[Id, int]],
) -> bool:
    """Is there a whole-number solution of the linked equations (each cell at its floor or
    above, no ceiling) that gives `target` another value? The least and the greatest value
    it can take, by integer programming; each solution found is added to `solutions`."""
    column = {c: i for i, c in enumerate(cells)}
    mine = sorted({n for c in cells for n in of.get(c, [])})
    # Sparse: a whole tenant's quarter (14,000 cells) links thousands of cells.
    entries = dok_array((len(mine), len(cells)))
    rhs = np.zeros(len(mine))
    for r, n in enumerate(mine):
        unknown, value = rows[n]
        for cell, coefficient in unknown.items():
            entries[r, column[cell]] += coefficient
        rhs[r] = value
    matrix = entries.tocsr()
    true = np.array([truth[c] for c in cells])
    assert np.allclose(matrix @ true, rhs), "the attacker's equations must hold"
    constraints = [LinearConstraint(matrix, rhs, rhs)] if mine else []
    bounds = Bounds([floors[c] for c in cells], [np.inf] * len(cells))
    for sign in (1, -1):
        objective = np.zeros(len(cells))
        objective[column[target]] = sign
        result = milp(
            objective,
            constraints=constraints,
            bounds=bounds,
            integrality=np.ones(len(cells)),
        )
        if result.status != 0:
            # The truth is a solution (checked above), so the problem is feasible: no
            # optimum means the count can be as large as you like.
            return True
        solutions.append({c: round(result.x[column[c]]) for c in cells})
        if round(result.x[column[target]]) != truth[target]:
            return True
    return False


def reading_of(
    values: dict[Any, int],
    equations: Iterable[Iterable[tuple[Any, int]]],
    hidden: set[Any],
    unpublished: Iterable[Any] = (),
) -> tuple[Reading, dict[Any, int]]:
    """What the attacker reads off a decision made directly over cells and equations
    (`disclosure.protect`'s input, a cell with no value being 0): the hidden cells unknown,
    the unpublished ones possibly 0; and the truth."""
    reading = Reading(may_be_zero=set(unpublished))
    truth = dict(values)
    for equation in equations:
        row: dict[Any, int] = {}
        for cell, coefficient in equation:
            truth.setdefault(cell, 0)
            row[cell] = row.get(cell, 0) + coefficient
        reading.equations.append(row)
    reading.values = {k: None if k in hidden else v for k, v in truth.items()}
    return reading, truth


def truth_of(
    units: TenantUnits, raw: dict[str, dict[tuple[str, str, str], dict[tuple[str, str], int]]]
) -> dict[Id, int]:
    """Every figure's true value, in the attacker's terms."""
    from reporting_service.domain import publication

    unsuppressed = {
        q: publication.decide(raw[q], q, units.tenant, units, None) for q in (PREVIOUS, QUARTER)
    }
    reading = read(units, views(units, unsuppressed))
    assert all(v is not None for v in reading.values.values())
    return {i: v for i, v in reading.values.items() if v is not None}
