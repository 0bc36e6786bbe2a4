"""The Deep Dive's fields (the counts it publishes and the measures they are stored as) and
its sections for one unit, from a quarter's disclosure decision (publication.py)."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any

from qaf_shared.enums import (
    AuditTheme,
    ComplaintStage,
    EscalationCategory,
    EscalationStage,
    FeedbackSource,
    Grade,
    PnCode,
)
from qaf_shared.org_units import TenantUnits
from reporting_service.domain.disclosure import SUPPRESSED, Cell, mean, median, percentage

if TYPE_CHECKING:
    from reporting_service.domain.publication import Decision

GOOD = "audits.good_or_better"  # stored by the decision: outstanding + good
Unit = tuple[str, str]  # (kind, code)
Raw = dict[tuple[str, str], int]  # (measure, dimension) -> value, for one period and unit
# The stored measures kept as states (the projections' `open_between`): a period's value is
# the state at its end, so a quarter's equals its last month's, where every other count's is
# the sum of its months'.
STOCKS = frozenset({"escalations.open_at_end", "audits.actions_overdue_at_end"})


def _values(enum: type[StrEnum]) -> list[str]:
    return [e.value for e in enum]


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
]


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
    """The Deep Dive sections of one unit in the decision's quarter or one of its months
    (`period`), as decided: a count as shown everywhere, a rate or mean "c" when a count it
    is built on is hidden. A month's are computed from the month's own cells, as a quarter's
    from the quarter's (the trends by month)."""
    raw = decision.raw.get((period, kind, code), {})

    def cell(measure: str, dim: str = "") -> Cell:
        return decision.cell(period, kind, code, measure, dim)

    out: dict[str, dict[str, Any]] = {"audits": {}, "escalations": {}, "feedback": {}}
    for section, field, measure, prefix, dims in COUNTS:
        out[section][field] = (
            cell(measure) if dims is None else {d: cell(measure, prefix + d) for d in dims}
        )

    grades = out["audits"]["grades"]
    good = _add(grades[Grade.OUTSTANDING.value], grades[Grade.GOOD.value], cell(GOOD))
    out["audits"]["good_or_better_pct"] = percentage(good, out["audits"]["completed"])
    out["audits"]["moderation_agreement_pct"] = percentage(
        cell("audits.moderation_agreed"), out["audits"]["moderated"]
    )

    resolved = out["escalations"]["resolved"]
    days = {int(d): v for (m, d), v in raw.items() if m == "escalations.resolve_days" and v}
    out["escalations"]["median_working_days_to_resolve"] = (
        SUPPRESSED if resolved == SUPPRESSED else median(days)
    )
    out["escalations"]["resolved_early_pct"] = percentage(
        cell("escalations.resolved_early"), resolved
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
    return out


def _add(outstanding: Cell, good: Cell, both: Cell) -> Cell:
    """Outstanding + good: hidden when either is, or their sum is."""
    if any(isinstance(c, str) for c in (outstanding, good, both)):
        return SUPPRESSED
    return both


def catalogue(decision: Decision) -> dict[str, list[str] | None]:
    """Every Deep Dive figure by its dotted name (as the aggregates name it): None for a
    figure without dimensions, else the dimensions every unit lists (an empty list where
    they are open-ended, as the conference questions are). Read off `sections()` itself, so
    it names exactly the figures the Deep Dive publishes."""
    out: dict[str, list[str] | None] = {}
    for section, fields in sections(decision, decision.quarter, "tenant", "").items():
        for name, value in fields.items():
            out[f"{section}.{name}"] = list(value) if isinstance(value, dict) else None
    return out
