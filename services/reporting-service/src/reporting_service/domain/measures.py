"""The Deep Dive's fields (the counts it publishes and the measures they are stored as) and
its sections for one unit, from a quarter's disclosure decision (publication.py)."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any, get_args

from qaf_shared.enums import (
    AuditTheme,
    ComplaintStage,
    EscalationCategory,
    EscalationStage,
    FeedbackSource,
    Grade,
    PnCode,
)
from qaf_shared.events.activity import CareRoute, VisitPlanType
from qaf_shared.org_units import TenantUnits
from reporting_service.domain.disclosure import SUPPRESSED, Cell, mean, median, percentage

if TYPE_CHECKING:
    from reporting_service.domain.publication import Decision

GOOD = "audits.good_or_better"  # stored by the decision: outstanding + good
Unit = tuple[str, str]  # (kind, code)
Raw = dict[tuple[str, str], int]  # (measure, dimension) -> value, for one quarter and unit


def _values(enum: type[StrEnum]) -> list[str]:
    return [e.value for e in enum]


# The funnel's stages, each a count of the referrals dated in the quarter.
FUNNEL = ("referrals", "assessed", "s47", "icpc", "cp_plan")

# Published counts: (section, field, stored measure, dimension prefix, dimensions or None).
COUNTS: list[tuple[str, str, str, str, list[str] | None]] = [
    ("audits", "completed", "audits.completed", "", None),
    ("audits", "grades", "audits.grades", "", _values(Grade)),
    ("audits", "moderated", "audits.moderated", "", None),
    ("audits", "themes", "audits.themes", "", _values(AuditTheme)),
    ("audits", "actions_raised", "audits.actions_raised", "", None),
    ("audits", "actions_completed", "audits.actions_completed", "", None),
    ("audits", "actions_overdue_at_end", "audits.actions_overdue_at_end", "", None),
    ("audits", "safeguarding_concerns", "audits.safeguarding_concerns", "", None),
    ("escalations", "raised", "escalations.raised", "", None),
    ("escalations", "resolved", "escalations.resolved", "", None),
    ("escalations", "open_at_end", "escalations.open_at_end", "", None),
    ("escalations", "by_category", "escalations.raised", "category:", _values(EscalationCategory)),
    (
        "escalations",
        "by_stage_reached",
        "escalations.by_stage_reached",
        "",
        _values(EscalationStage),
    ),
    ("escalations", "breached_timescale", "escalations.breached_timescale", "", None),
    ("feedback", "by_source", "feedback.by_source", "", _values(FeedbackSource)),
    ("feedback", "cic_reviews", "feedback.cic_reviews", "", None),
    ("feedback", "complaints_received", "feedback.complaints_received", "", None),
    (
        "feedback",
        "complaints_by_stage",
        "feedback.complaints_by_stage",
        "",
        _values(ComplaintStage),
    ),
    ("feedback", "complaints_upheld", "feedback.complaints_upheld", "", None),
    ("feedback", "compliments", "feedback.compliments", "", None),
    ("activity", "referrals", "activity.referrals", "", None),
    ("activity", "assessments_completed", "activity.assessments_completed", "", None),
    ("activity", "s47_started", "activity.s47_started", "", None),
    ("activity", "icpc_held", "activity.icpc_held", "", None),
    ("activity", "cp_plans_started", "activity.cp_plans_started", "", None),
    ("activity", "cp_plans_ended", "activity.cp_plans_ended", "", None),
    ("activity", "cp_open_at_end", "activity.cp_open_at_end", "", None),
    ("activity", "cp_open_2y_plus_at_end", "activity.cp_open_2y_plus_at_end", "", None),
    ("activity", "cla_started", "activity.cla_started", "", None),
    ("activity", "cla_routes", "activity.cla_routes", "", list(get_args(CareRoute))),
    ("activity", "cla_open_at_end", "activity.cla_open_at_end", "", None),
    ("activity", "funnel", "activity.funnel", "", list(FUNNEL)),
]
# Rates shown beside their published denominator: (field, stored numerator, denominator).
# The numerator is published by the rate, and so is the rest of the denominator.
SHARES: list[tuple[str, str, str]] = [
    ("audits.moderation_agreement_pct", "audits.moderation_agreed", "audits.moderated"),
    ("escalations.resolved_early_pct", "escalations.resolved_early", "escalations.resolved"),
    ("activity.re_referrals_12m_pct", "activity.re_referrals_12m", "activity.referrals"),
    ("activity.referrals_nfa_pct", "activity.referrals_nfa", "activity.referrals"),
    (
        "activity.assessments_within_45wd_pct",
        "activity.assessments_within_45wd",
        "activity.assessments_completed",
    ),
    ("activity.s47_to_icpc_pct", "activity.s47_to_icpc", "activity.s47_started"),
    ("activity.icpc_within_15wd_pct", "activity.icpc_within_15wd", "activity.icpc_held"),
    (
        "activity.cp_second_or_subsequent_pct",
        "activity.cp_second_or_subsequent",
        "activity.cp_plans_started",
    ),
    (
        "activity.cla_3plus_placements_12m_pct",
        "activity.cla_3plus_placements_12m",
        "activity.cla_open_at_end",
    ),
]
# Rates over counts that are not published: (field, numerator, denominator, dimension).
# Hidden when the numerator, the denominator or their difference is small.
UNPUBLISHED_SHARES: list[tuple[str, str, str, str]] = [
    (
        "activity.cp_reviews_on_time_pct",
        "activity.cp_reviews_on_time",
        "activity.cp_open_3m_at_end",
        "",
    ),
    (
        "activity.cla_reviews_on_time_pct",
        "activity.cla_reviews_on_time",
        "activity.cla_reviews",
        "",
    ),
    *(
        (f"activity.visits_on_time_pct.{t}", "activity.visits_on_time", "activity.visits", t)
        for t in get_args(VisitPlanType)
    ),
]
# The Deep Dive's activity fields, in the contract's order.
ACTIVITY_FIELDS = (
    "referrals",
    "re_referrals_12m_pct",
    "referrals_nfa_pct",
    "assessments_completed",
    "assessments_within_45wd_pct",
    "median_assessment_wd",
    "s47_started",
    "s47_to_icpc_pct",
    "icpc_held",
    "icpc_within_15wd_pct",
    "cp_plans_started",
    "cp_second_or_subsequent_pct",
    "cp_plans_ended",
    "cp_open_at_end",
    "cp_open_2y_plus_at_end",
    "cp_reviews_on_time_pct",
    "cla_started",
    "cla_routes",
    "cla_open_at_end",
    "cla_3plus_placements_12m_pct",
    "cla_reviews_on_time_pct",
    "visits_on_time_pct",
    "funnel",
)


def children(units: TenantUnits, kind: str, code: str) -> list[Unit]:
    """The units directly under one, which partition it."""
    if kind == "tenant":
        return [("area", a) for a in units.areas] + [("service", s) for s in units.services]
    if kind == "area":
        return [("district", d) for d in units.areas[code]]
    if kind == "district":
        for districts in units.areas.values():
            if code in districts:
                return [("team", t) for t in districts[code]]
    return []


def sections(decision: Decision, period: str, kind: str, code: str) -> dict[str, Any]:
    """The Deep Dive sections of one unit in the decision's quarter (`period`), as decided:
    a count as shown everywhere, a rate or mean "c" when a count it is built on is hidden."""
    raw = decision.raw.get((period, kind, code), {})

    def cell(measure: str, dim: str = "") -> Cell:
        return decision.cell(period, kind, code, measure, dim)

    out: dict[str, dict[str, Any]] = {
        "audits": {},
        "escalations": {},
        "feedback": {},
        "activity": {},
    }
    for section, field, measure, prefix, dims in COUNTS:
        out[section][field] = (
            cell(measure) if dims is None else {d: cell(measure, prefix + d) for d in dims}
        )

    grades = out["audits"]["grades"]
    good = _add(grades[Grade.OUTSTANDING.value], grades[Grade.GOOD.value], cell(GOOD))
    out["audits"]["good_or_better_pct"] = percentage(good, out["audits"]["completed"])
    for name, numerator, denominator in SHARES:
        section, field = name.split(".")
        out[section][field] = percentage(cell(numerator), cell(denominator))

    resolved = out["escalations"]["resolved"]
    days = {int(d): v for (m, d), v in raw.items() if m == "escalations.resolve_days" and v}
    out["escalations"]["median_working_days_to_resolve"] = (
        SUPPRESSED if resolved == SUPPRESSED else median(days)
    )

    questions = sorted({d for (m, d) in raw if m == "feedback.answer_count"})
    out["feedback"]["conference_question_means"] = {
        q: mean(
            raw.get(("feedback.answer_sum", q), 0),
            raw.get(("feedback.answer_count", q), 0),
            decision.threshold,
        )
        for q in questions
    }
    reviews = out["feedback"]["cic_reviews"]
    pn = {p: raw.get(("feedback.pn_codes", p), 0) for p in _values(PnCode)}
    participated = sum(pn[p] for p in ("PN1", "PN2", "PN3", "PN4", "PN5", "PN6"))
    eligible = sum(pn.values()) - pn["PN0"]
    # A rate with a small numerator, denominator or rest gives the small count away to
    # whoever knows a bound on the denominator (the reviews held).
    out["feedback"]["cic_participation_pct"] = (
        SUPPRESSED
        if reviews == SUPPRESSED
        or any(decision.small(n) for n in (participated, eligible, eligible - participated))
        else percentage(participated, eligible)
    )

    activity = out["activity"]
    completed = activity["assessments_completed"]
    days = {int(d): v for (m, d), v in raw.items() if m == "activity.assessment_wd" and v}
    activity["median_assessment_wd"] = SUPPRESSED if completed == SUPPRESSED else median(days)
    visits: dict[str, Cell] = {}
    for name, numerator, denominator, dim in UNPUBLISHED_SHARES:
        counted, of = raw.get((numerator, dim), 0), raw.get((denominator, dim), 0)
        # Published only as a rate: a small numerator, denominator or rest would be given away
        # to whoever knows a bound on the other (as cic_participation_pct).
        rate = (
            SUPPRESSED
            if any(decision.small(n) for n in (counted, of, of - counted))
            else percentage(counted, of)
        )
        if dim:
            visits[dim] = rate
        else:
            activity[name.split(".")[1]] = rate
    activity["visits_on_time_pct"] = visits
    out["activity"] = {f: activity[f] for f in ACTIVITY_FIELDS}
    return out


def _add(outstanding: Cell, good: Cell, both: Cell) -> Cell:
    """Outstanding + good: hidden when either is, or their sum is."""
    if any(isinstance(c, str) for c in (outstanding, good, both)):
        return SUPPRESSED
    return both
