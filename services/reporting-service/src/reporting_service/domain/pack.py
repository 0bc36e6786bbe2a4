"""What the Deep Dive pack shows (docs/measures.md, "The pack"): the Deep Dive's own body for
the quarter (its sections, `previous`, `breakdown` and, where they are there, `activity` and
`benchmarks`) and the unit's sections in each of the eight quarters ending with it, laid out
as a summary, one section per Deep Dive section, and the breakdown. Every figure is one the
Deep Dive publishes, as it publishes it: a "c", "z" or "k" stays that symbol. Nothing here
computes a figure but the change against the previous quarter (of two published numbers)
and which breakdown rates stand out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

Cell = int | float | str
SYMBOLS = {
    "c": "suppressed for disclosure control: a count from 1 to the threshold, or a figure that "
    "would reveal one",
    "z": "not applicable: nothing to compute it from",
    "k": "rounds to 0 but is not 0",
}
ACRONYMS = {"CIN", "CP", "CLA", "S47", "ICPC", "IRO", "LADO", "PN0", "PN1", "PN7"}
# Breakdown rates this many points from their parent's stand out.
STANDS_OUT_POINTS = 10.0

LABELS = {
    "audits.completed": "Audits completed",
    "audits.grades": "Final grades",
    "audits.good_or_better_pct": "Good or better (%)",
    "audits.moderated": "Audits moderated",
    "audits.moderation_agreement_pct": "Moderation agreement (%)",
    "audits.themes": "Themes",
    "audits.actions_raised": "Actions raised",
    "audits.actions_completed": "Actions completed",
    "audits.actions_overdue_at_end": "Actions overdue at the end",
    "audits.safeguarding_concerns": "Safeguarding concerns",
    "escalations.raised": "Escalations raised",
    "escalations.resolved": "Escalations resolved",
    "escalations.open_at_end": "Escalations open at the end",
    "escalations.by_category": "By category",
    "escalations.by_stage_reached": "By highest stage reached",
    "escalations.median_working_days_to_resolve": "Median working days to resolve",
    "escalations.resolved_early_pct": "Resolved early (%)",
    "escalations.breached_timescale": "Breached a timescale",
    "feedback.by_source": "By source",
    "feedback.conference_question_means": "Conference question means (1-5)",
    "feedback.cic_reviews": "CIC reviews held",
    "feedback.cic_participation_pct": "CIC participation (%)",
    "feedback.complaints_received": "Complaints received",
    "feedback.complaints_by_stage": "Complaints by highest stage",
    "feedback.complaints_upheld": "Complaints upheld",
    "feedback.compliments": "Compliments",
    "activity.referrals": "Referrals",
    "activity.re_referrals_12m_pct": "Re-referrals within 12 months (%)",
    "activity.referrals_nfa_pct": "Referrals with no further action (%)",
    "activity.assessments_completed": "Assessments completed",
    "activity.assessments_within_45wd_pct": "Assessments within 45 working days (%)",
    "activity.median_assessment_wd": "Median working days to assessment",
    "activity.s47_started": "S47 enquiries started",
    "activity.s47_to_icpc_pct": "S47 enquiries leading to an ICPC (%)",
    "activity.icpc_held": "ICPCs held",
    "activity.icpc_within_15wd_pct": "ICPCs within 15 working days (%)",
    "activity.cp_plans_started": "CP plans started",
    "activity.cp_second_or_subsequent_pct": "CP plans second or subsequent (%)",
    "activity.cp_plans_ended": "CP plans ended",
    "activity.cp_open_at_end": "CP plans open at the end",
    "activity.cp_open_2y_plus_at_end": "CP plans open 2 years or more",
    "activity.cp_reviews_on_time_pct": "CP reviews on time (%)",
    "activity.cla_started": "Children who started to be looked after",
    "activity.cla_routes": "Routes into care",
    "activity.cla_open_at_end": "Children looked after at the end",
    "activity.cla_3plus_placements_12m_pct": "3 or more placements in 12 months (%)",
    "activity.cla_reviews_on_time_pct": "CLA reviews on time (%)",
    "activity.visits_on_time_pct": "Visits on time (%)",
    "activity.funnel": "Funnel",
}
FUNNEL = [
    ("referrals", "Referral"),
    ("assessed", "Assessment"),
    ("s47", "S47 enquiry"),
    ("icpc", "ICPC"),
    ("cp_plan", "CP plan"),
]
TIMELINESS = [
    "assessments_within_45wd_pct",
    "icpc_within_15wd_pct",
    "cp_reviews_on_time_pct",
    "cla_reviews_on_time_pct",
]
# The summary's measures, those of `activity` where the Deep Dive has that section.
HEADLINES = [
    "audits.completed",
    "audits.good_or_better_pct",
    "audits.moderation_agreement_pct",
    "escalations.raised",
    "escalations.open_at_end",
    "escalations.resolved_early_pct",
    "escalations.median_working_days_to_resolve",
    "feedback.cic_participation_pct",
    "feedback.complaints_received",
    "feedback.compliments",
    "activity.referrals",
    "activity.re_referrals_12m_pct",
    "activity.assessments_within_45wd_pct",
    "activity.icpc_within_15wd_pct",
    "activity.cp_open_at_end",
    "activity.cla_open_at_end",
    "activity.cla_3plus_placements_12m_pct",
]
BREAKDOWN = [
    "audits.completed",
    "audits.good_or_better_pct",
    "escalations.raised",
    "escalations.resolved_early_pct",
    "feedback.complaints_received",
    "feedback.cic_participation_pct",
    "activity.referrals",
    "activity.assessments_within_45wd_pct",
]
SECTION_TITLES = {
    "audits": "Audits",
    "escalations": "Escalations",
    "feedback": "Feedback",
    "activity": "Activity",
}


def label(key: str) -> str:
    """A field's name for people (a dimension's: its enumeration value in words)."""
    if key in LABELS:
        return LABELS[key]
    words = key.rsplit(".", 1)[-1].split("_")
    return " ".join(
        w if w in ACRONYMS else (w.capitalize() if i == 0 else w.lower())
        for i, w in enumerate(words)
    )


def shown(value: Cell | None) -> str:
    """A figure as the JSON has it: a number as printed there, a symbol as itself."""
    if value is None:
        return ""
    return str(value)


def change(now: Cell | None, before: Cell | None) -> str:
    """Now less the quarter before, signed; empty unless both are published numbers."""
    if not _number(now) or not _number(before):
        return ""
    assert isinstance(now, int | float) and isinstance(before, int | float)
    if isinstance(now, int) and isinstance(before, int):
        diff: Decimal = Decimal(now - before)
    else:
        diff = (Decimal(str(now)) - Decimal(str(before))).quantize(
            Decimal("0.1"), rounding=ROUND_HALF_UP
        )
    return f"+{diff}" if diff > 0 else ("0" if diff == 0 else f"−{-diff}")


def _number(value: Cell | None) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def get(sections: Mapping[str, Any], key: str) -> Any:
    """The value at a dotted key of the Deep Dive's sections (None where it is not there)."""
    node: Any = sections
    for part in key.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


@dataclass(frozen=True)
class Row:
    """One line of a table: a figure this quarter and the quarter before."""

    key: str  # the Deep Dive's dotted field ("audits.grades.GOOD")
    label: str
    now: str
    previous: str
    change: str


@dataclass(frozen=True)
class Chart:
    """A chart's figures, drawn by render/charts.py. `kind`: "bars" (categories, this and the
    previous quarter), "trend" (series over quarters; "spark" a small one), "lines" (series over months),
    "funnel" (stages), "dots" (measures against their comparators). `series` names each
    series; `points` holds, per category or period, its label and one figure per series."""

    id: str
    kind: str
    title: str
    series: tuple[str, ...]
    points: tuple[tuple[str, tuple[Cell | None, ...]], ...]
    description: str


@dataclass(frozen=True)
class Block:
    title: str
    rows: tuple[Row, ...]
    chart: Chart | None = None
    columns: tuple[str, ...] = ("This quarter", "Previous quarter", "Change")


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Benchmark:
    year: Cell
    england: Cell | None
    region: Cell | None
    neighbours_mean: Cell | None
    neighbours_median: Cell | None
    band: str | None


@dataclass(frozen=True)
class Headline:
    key: str
    label: str
    now: str
    previous: str
    change: str
    trend: Chart
    benchmark: Benchmark | None


@dataclass(frozen=True)
class BreakdownRow:
    kind: str
    code: str
    cells: tuple[tuple[str, str, str], ...]  # (key, figure, mark: "higher" / "lower" / "")


@dataclass(frozen=True)
class Pack:
    tenant: str
    quarter: str
    previous: str
    unit_kind: str
    unit_code: str
    suppression_applied: bool
    threshold: int
    made_at: datetime
    newest_event_time: datetime | None
    consumer_lag: int | None  # records not yet applied; only for an admin
    headlines: tuple[Headline, ...]
    sections: tuple[Section, ...]
    benchmarks: tuple[tuple[str, Benchmark, Cell | None], ...]  # measure, figures, own figure
    benchmark_chart: Chart | None
    breakdown_parent: str
    breakdown_columns: tuple[str, ...]
    breakdown: tuple[BreakdownRow, ...]
    breakdown_chart: Chart | None
    symbols: tuple[str, ...]  # the symbols the pack prints, for their footnotes

    @property
    def charts(self) -> list[Chart]:
        """Every chart of the pack, in page order."""
        out = [h.trend for h in self.headlines]
        out += [b.chart for s in self.sections for b in s.blocks if b.chart is not None]
        out += [c for c in (self.benchmark_chart, self.breakdown_chart) if c is not None]
        return out


def assemble(
    body: Mapping[str, Any],
    trend: Sequence[tuple[str, Mapping[str, Any]]],
    *,
    months: Sequence[tuple[str, Mapping[str, Cell]]],
    made_at: datetime,
    newest_event_time: datetime | None,
    consumer_lag: int | None,
) -> Pack:
    """The pack of one Deep Dive `body` (the JSON response's dict), with `trend` the unit's
    sections per quarter (oldest first, the body's quarter last) and `months` its escalations
    raised, resolved and open at the end per month of those quarters."""
    previous: Mapping[str, Any] = body["previous"]
    sections = [
        s
        for s in (
            _audits(body, previous, trend),
            _escalations(body, previous, months),
            _feedback(body, previous),
            _activity(body, previous),
        )
        if s is not None
    ]
    benchmarks = _benchmarks(body)
    headlines = tuple(
        _headline(key, body, previous, trend, benchmarks)
        for key in HEADLINES
        if get(body, key) is not None
    )
    columns = tuple(k for k in BREAKDOWN if get(body, k) is not None)
    rows = tuple(_breakdown_row(body, unit, columns) for unit in body.get("breakdown", []))
    pack = Pack(
        tenant=body["tenant"],
        quarter=body["quarter"],
        previous=previous["quarter"],
        unit_kind=body["unit"]["kind"],
        unit_code=body["unit"]["code"],
        suppression_applied=body["suppression"]["applied"],
        threshold=body["suppression"]["threshold"],
        made_at=made_at,
        newest_event_time=newest_event_time,
        consumer_lag=consumer_lag,
        headlines=headlines,
        sections=tuple(sections),
        benchmarks=tuple((m, b, get(body, f"activity.{m}")) for m, b in benchmarks.items()),
        benchmark_chart=_benchmark_chart(body, benchmarks),
        breakdown_parent=body["unit"]["code"],
        breakdown_columns=columns,
        breakdown=rows,
        breakdown_chart=_breakdown_chart(body, rows),
        symbols=(),
    )
    return _with_symbols(pack)


def _with_symbols(pack: Pack) -> Pack:
    printed: set[str] = set()
    for h in pack.headlines:
        printed.update((h.now, h.previous))
        printed.update(shown(v) for _, values in h.trend.points for v in values)
    for s in pack.sections:
        for b in s.blocks:
            printed.update(x for r in b.rows for x in (r.now, r.previous))
    for r in pack.breakdown:
        printed.update(v for _, v, _ in r.cells)
    for _, bench, own in pack.benchmarks:
        figures = (bench.england, bench.region, bench.neighbours_mean, bench.neighbours_median)
        printed.update(shown(v) for v in (*figures, own))
    return replace(pack, symbols=tuple(s for s in SYMBOLS if s in printed))


def _rows(
    now: Mapping[str, Any], before: Mapping[str, Any], keys: Sequence[str]
) -> tuple[Row, ...]:
    """One row per field, and per dimension of a field that has them."""
    out: list[Row] = []
    for key in keys:
        value = get(now, key)
        if isinstance(value, Mapping):
            earlier = get(before, key) or {}
            for dim in list(value) + [d for d in earlier if d not in value]:
                a, b = value.get(dim), earlier.get(dim)
                out.append(Row(f"{key}.{dim}", label(dim), shown(a), shown(b), change(a, b)))
        elif value is not None:
            b = get(before, key)
            out.append(Row(key, label(key), shown(value), shown(b), change(value, b)))
    return tuple(out)


def _bars(
    id_: str, key: str, now: Mapping[str, Any], before: Mapping[str, Any], quarters: list[str]
) -> Chart:
    """This quarter's and the previous quarter's values of a field with dimensions."""
    values: Mapping[str, Cell] = get(now, key) or {}
    earlier: Mapping[str, Cell] = get(before, key) or {}
    dims = list(values) + [d for d in earlier if d not in values]
    return Chart(
        id_,
        "bars",
        label(key),
        (quarters[0], quarters[1]),
        tuple((label(d), (values.get(d), earlier.get(d))) for d in dims),
        f"{label(key)}: {quarters[0]} against {quarters[1]}; the figures are in the table.",
    )


def _quarters(body: Mapping[str, Any]) -> list[str]:
    return [body["quarter"], body["previous"]["quarter"]]


def _audits(
    body: Mapping[str, Any], previous: Mapping[str, Any], trend: Sequence[tuple[str, Any]]
) -> Section:
    q = _quarters(body)
    themes: Mapping[str, Cell] = get(body, "audits.themes") or {}
    top = sorted(themes, key=lambda t: (-_sort_value(themes[t]), t))
    blocks = (
        Block(
            "Grades",
            _rows(body, previous, ["audits.completed", "audits.grades"]),
            _bars("audits-grades", "audits.grades", body, previous, q),
        ),
        Block(
            "Good or better and moderation",
            _rows(
                body,
                previous,
                [
                    "audits.good_or_better_pct",
                    "audits.moderated",
                    "audits.moderation_agreement_pct",
                ],
            ),
            _trend(
                "audits-good-or-better-trend",
                "audits.good_or_better_pct",
                trend,
                extra="audits.moderation_agreement_pct",
            ),
        ),
        Block(
            "Top themes",
            _rows(
                {"audits": {"themes": {t: themes[t] for t in top}}},
                previous,
                ["audits.themes"],
            ),
            _bars(
                "audits-themes",
                "audits.themes",
                {"audits": {"themes": {t: themes[t] for t in top}}},
                previous,
                q,
            ),
        ),
        Block(
            "Actions and safeguarding concerns",
            _rows(
                body,
                previous,
                [
                    "audits.actions_raised",
                    "audits.actions_completed",
                    "audits.actions_overdue_at_end",
                    "audits.safeguarding_concerns",
                ],
            ),
        ),
    )
    return Section("audits", "Audits", blocks)


def _sort_value(value: Cell | None) -> float:
    """For ordering only: a hidden figure sorts as 0, so the order gives nothing away."""
    return float(value) if isinstance(value, int | float) else 0.0


def _escalations(
    body: Mapping[str, Any],
    previous: Mapping[str, Any],
    months: Sequence[tuple[str, Mapping[str, Cell]]],
) -> Section:
    q = _quarters(body)
    blocks = [
        Block(
            "By highest stage reached",
            _rows(
                body,
                previous,
                [
                    "escalations.raised",
                    "escalations.resolved",
                    "escalations.open_at_end",
                    "escalations.by_stage_reached",
                ],
            ),
            _bars("escalations-stage", "escalations.by_stage_reached", body, previous, q),
        ),
        Block(
            "By category",
            _rows(body, previous, ["escalations.by_category"]),
            _bars("escalations-category", "escalations.by_category", body, previous, q),
        ),
        Block(
            "Timeliness",
            _rows(
                body,
                previous,
                [
                    "escalations.median_working_days_to_resolve",
                    "escalations.resolved_early_pct",
                    "escalations.breached_timescale",
                ],
            ),
        ),
    ]
    if months:
        names = ("raised", "resolved", "open_at_end")
        chart = Chart(
            "escalations-monthly",
            "lines",
            "Escalations by month",
            ("Raised", "Resolved", "Open at the end"),
            tuple((m, tuple(cells.get(n) for n in names)) for m, cells in months),
            f"Escalations raised, resolved and open at the end of each month from "
            f"{months[0][0]} to {months[-1][0]}; the figures are in the table.",
        )
        rows = tuple(
            Row(f"escalations.months.{m}", m, *(shown(cells.get(n)) for n in names))
            for m, cells in months
        )
        blocks.append(
            Block("Monthly trend", rows, chart, ("Raised", "Resolved", "Open at the end"))
        )
    return Section("escalations", "Escalations", tuple(blocks))


def _feedback(body: Mapping[str, Any], previous: Mapping[str, Any]) -> Section:
    q = _quarters(body)
    means: Mapping[str, Cell] = get(body, "feedback.conference_question_means") or {}
    blocks = (
        Block(
            "By source",
            _rows(body, previous, ["feedback.by_source"]),
            _bars("feedback-source", "feedback.by_source", body, previous, q),
        ),
        Block(
            "Conference questions",
            _rows(body, previous, ["feedback.conference_question_means"]),
            _bars("feedback-questions", "feedback.conference_question_means", body, previous, q)
            if means or get(previous, "feedback.conference_question_means")
            else None,
        ),
        Block(
            "Children in care: participation in reviews",
            _rows(body, previous, ["feedback.cic_reviews", "feedback.cic_participation_pct"]),
        ),
        Block(
            "Complaints and compliments",
            _rows(
                body,
                previous,
                [
                    "feedback.complaints_received",
                    "feedback.complaints_by_stage",
                    "feedback.complaints_upheld",
                    "feedback.compliments",
                ],
            ),
            _bars("feedback-complaints", "feedback.complaints_by_stage", body, previous, q),
        ),
    )
    return Section("feedback", "Feedback", blocks)


def _activity(body: Mapping[str, Any], previous: Mapping[str, Any]) -> Section | None:
    activity = body.get("activity")
    if not isinstance(activity, Mapping):
        return None
    q = _quarters(body)
    funnel: Mapping[str, Cell] = activity.get("funnel") or {}
    before: Mapping[str, Cell] = get(previous, "activity.funnel") or {}
    funnel_rows = tuple(
        Row(
            f"activity.funnel.{k}",
            name,
            shown(funnel.get(k)),
            shown(before.get(k)),
            change(funnel.get(k), before.get(k)),
        )
        for k, name in FUNNEL
    )
    timely = [f"activity.{k}" for k in TIMELINESS if k in activity]
    visits: Mapping[str, Cell] = activity.get("visits_on_time_pct") or {}
    timely_points = [(label(k), (get(body, k), get(previous, k))) for k in timely]
    timely_points += [
        (f"Visits on time: {p}", (v, get(previous, f"activity.visits_on_time_pct.{p}")))
        for p, v in visits.items()
    ]
    others = [
        f"activity.{k}"
        for k, v in activity.items()
        if k not in ("funnel", "cla_routes", "visits_on_time_pct", *TIMELINESS)
        and not isinstance(v, Mapping)
    ]
    blocks = (
        Block(
            "Funnel: referral to plan",
            funnel_rows,
            Chart(
                "activity-funnel",
                "funnel",
                "Funnel: referral, assessment, S47 enquiry, ICPC, CP plan",
                (q[0], q[1]),
                tuple((name, (funnel.get(k), before.get(k))) for k, name in FUNNEL),
                f"Of the referrals of {q[0]}, how many went on to each step (and of "
                f"{q[1]}'s); the figures are in the table.",
            ),
        ),
        Block(
            "Timeliness",
            _rows(body, previous, [*timely, "activity.visits_on_time_pct"]),
            Chart(
                "activity-timeliness",
                "bars",
                "Timeliness (%)",
                (q[0], q[1]),
                tuple(timely_points),
                f"The share done on time, {q[0]} against {q[1]}; the figures are in the table.",
            ),
        ),
        Block(
            "Routes into care",
            _rows(body, previous, ["activity.cla_started", "activity.cla_routes"]),
            _bars("activity-routes", "activity.cla_routes", body, previous, q),
        ),
        Block("Other activity measures", _rows(body, previous, others)),
    )
    return Section("activity", "Activity", blocks)


def _trend(
    id_: str,
    key: str,
    trend: Sequence[tuple[str, Mapping[str, Any]]],
    extra: str | None = None,
    kind: str = "trend",
) -> Chart:
    keys = [key] + ([extra] if extra else [])
    return Chart(
        id_,
        kind,
        label(key) if extra is None else " and ".join(label(k) for k in keys),
        tuple(label(k) for k in keys),
        tuple((q, tuple(get(s, k) for k in keys)) for q, s in trend),
        f"{' and '.join(label(k) for k in keys)} in each quarter from {trend[0][0]} to "
        f"{trend[-1][0]}: "
        + "; ".join(f"{q} {', '.join(shown(get(s, k)) for k in keys)}" for q, s in trend)
        + ".",
    )


def _headline(
    key: str,
    body: Mapping[str, Any],
    previous: Mapping[str, Any],
    trend: Sequence[tuple[str, Mapping[str, Any]]],
    benchmarks: Mapping[str, Benchmark],
) -> Headline:
    now, before = get(body, key), get(previous, key)
    chart = _trend(f"trend-{key.replace('.', '-').replace('_', '-')}", key, trend, kind="spark")
    bench = benchmarks.get(key.split(".", 1)[1]) if key.startswith("activity.") else None
    return Headline(key, label(key), shown(now), shown(before), change(now, before), chart, bench)


def _benchmarks(body: Mapping[str, Any]) -> dict[str, Benchmark]:
    out: dict[str, Benchmark] = {}
    for measure, b in (body.get("benchmarks") or {}).items():
        out[measure] = Benchmark(
            year=b.get("year", ""),
            england=b.get("england"),
            region=b.get("region"),
            neighbours_mean=b.get("neighbours_mean"),
            neighbours_median=b.get("neighbours_median"),
            band=b.get("band"),
        )
    return out


def _benchmark_chart(body: Mapping[str, Any], benchmarks: Mapping[str, Benchmark]) -> Chart | None:
    if not benchmarks:
        return None
    return Chart(
        "benchmarks-dots",
        "dots",
        "The authority against its statistical neighbours and England",
        (body["tenant"], "Neighbours' mean", "Neighbours' median", "England"),
        tuple(
            (
                label(f"activity.{m}") + (f" (band {b.band})" if b.band else ""),
                (get(body, f"activity.{m}"), b.neighbours_mean, b.neighbours_median, b.england),
            )
            for m, b in benchmarks.items()
        ),
        "Each measure's figure for the authority, its statistical neighbours' mean and "
        "median and England's, with the authority's band; the figures are in the table.",
    )


def _breakdown_row(
    body: Mapping[str, Any], unit: Mapping[str, Any], columns: Sequence[str]
) -> BreakdownRow:
    cells = []
    for key in columns:
        value, parent = get(unit, key), get(body, key)
        mark = ""
        if key.endswith("_pct") and _number(value) and _number(parent):
            diff = float(value) - float(parent)
            if abs(diff) >= STANDS_OUT_POINTS:
                mark = "higher" if diff > 0 else "lower"
        cells.append((key, shown(value), mark))
    return BreakdownRow(unit["unit"]["kind"], unit["unit"]["code"], tuple(cells))


def _breakdown_chart(body: Mapping[str, Any], rows: Sequence[BreakdownRow]) -> Chart | None:
    """Good or better of each unit directly under the Deep Dive's (not the teams of an
    area's districts), against the unit's own figure."""
    key = "audits.good_or_better_pct"
    below = [u for u in body.get("breakdown", []) if u["unit"]["kind"] != "team"]
    if not rows or not below:
        return None
    parent = get(body, key)
    return Chart(
        "breakdown-good-or-better",
        "bars",
        f"{label(key)} by unit, against {body['unit']['code']}",
        (body["quarter"], f"{body['unit']['code']} as a whole"),
        tuple((u["unit"]["code"], (get(u, key), parent)) for u in below),
        f"{label(key)} of each unit in {body['quarter']} against "
        f"{body['unit']['code']}'s {shown(parent)}; the figures are in the table.",
    )
