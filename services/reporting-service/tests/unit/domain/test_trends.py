"""The trend of one Deep Dive figure (`measure_trend_body`) over records folded through the
projections as the consumer folds them: a count, a rate, a median and a stock, by quarter
and by month, for the tenant and by area, service and district. The expected figures are
worked out by hand from the records below."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from qaf_shared.enums import (
    EscalationCategory,
    EscalationPlanType,
    EscalationStage,
    EscalationStatus,
    FeedbackSource,
    Grade,
    PlanType,
    RaisedByRole,
    ResolutionOutcome,
)
from qaf_shared.events import audit as a
from qaf_shared.events import escalation as e
from qaf_shared.events import feedback as f
from qaf_shared.events.envelope import CloudEvent
from qaf_shared.events.payloads import OrgUnitRef
from qaf_shared.org_units import OrgUnitDirectory, TenantUnits
from reporting_service.domain import measures, publication, trends
from reporting_service.domain.disclosure import SUPPRESSED

from ..projections.activity_events import recorded
from ..projections.projection_helpers import TENANT, event, fold_all, quarter_raw

ASHFORD = OrgUnitRef(area="SOUTH", district="ASHFORD", team="ASH-CIN1")
DOVER = OrgUnitRef(area="SOUTH", district="DOVER", team="DOV-CIN1")
DARTFORD = OrgUnitRef(area="NORTH", district="DARTFORD", team="DAR-CP1")
FOSTERING = OrgUnitRef(service="FOSTERING")
Q1, Q2 = "FY2025Q1", "FY2025Q2"  # April to June 2025, July to September 2025


def _units() -> TenantUnits:
    units = OrgUnitDirectory().tenant(TENANT)
    assert units is not None
    return units


def _audit(unit: OrgUnitRef, on: str, grade: Grade) -> CloudEvent:
    audit = uuid.uuid4()
    data = a.AuditSubmitted(
        audit_id=audit,
        org_unit=unit,
        plan_type=PlanType.CIN,
        submitted_on=date.fromisoformat(on),
        overall_grade=grade,
        final_grade=grade,
        child_voice_evident=True,
    )
    return event("audit.submitted", audit, data)


def _escalation(unit: OrgUnitRef, raised: str, resolved: str | None) -> list[CloudEvent]:
    ident = uuid.uuid4()
    snap: dict[str, Any] = {
        "escalation_id": ident,
        "org_unit": unit,
        "plan_type": EscalationPlanType.CP,
        "raised_by_role": RaisedByRole.CP_CHAIR,
        "categories": [EscalationCategory.DRIFT_DELAY],
        "raised_on": date.fromisoformat(raised),
        "stage": EscalationStage.INFORMAL,
        "status": EscalationStatus.AWAITING_RESPONSE,
        "stage_opened_on": date.fromisoformat(raised),
        "stage_due_date": date.fromisoformat(raised),
    }
    out = [event("escalation.raised", ident, e.EscalationRaised(**snap))]
    if resolved is not None:
        snap |= {
            "status": EscalationStatus.RESOLVED,
            "outcome": ResolutionOutcome.ACTION_AGREED,
            "resolved_on": date.fromisoformat(resolved),
        }
        out.append(event("escalation.resolved", ident, e.EscalationResolved(**snap)))
    return out


def _compliment(unit: OrgUnitRef, on: str) -> CloudEvent:
    ident = uuid.uuid4()
    data = f.FeedbackReceived(
        feedback_id=ident,
        org_unit=unit,
        source=FeedbackSource.COMPLIMENT,
        received_on=date.fromisoformat(on),
    )
    return event("feedback.received", ident, data)


def _records() -> list[CloudEvent]:
    return [
        # Audits: NORTH 1 GOOD in April; SOUTH 3 GOOD and 1 INADEQUATE (ASHFORD) in May, 2
        # OUTSTANDING (DOVER) in June.
        _audit(DARTFORD, "2025-04-14", Grade.GOOD),
        *(_audit(ASHFORD, "2025-05-12", Grade.GOOD) for _ in range(3)),
        _audit(ASHFORD, "2025-05-13", Grade.INADEQUATE),
        *(_audit(DOVER, "2025-06-16", Grade.OUTSTANDING) for _ in range(2)),
        # Escalations (no bank holiday in these weeks): resolved in 4 and 8 working days in
        # June, 5 in July (ASHFORD); one in DARTFORD raised in May and never resolved.
        *_escalation(ASHFORD, "2025-06-02", "2025-06-06"),
        *_escalation(ASHFORD, "2025-06-09", "2025-06-19"),
        *_escalation(ASHFORD, "2025-07-01", "2025-07-08"),
        *_escalation(DARTFORD, "2025-05-20", None),
        # Compliments: 2 to FOSTERING in April, 1 in September.
        _compliment(FOSTERING, "2025-04-03"),
        _compliment(FOSTERING, "2025-04-30"),
        _compliment(FOSTERING, "2025-09-01"),
        # Case activity: referrals, 1 in April (DARTFORD), 2 in May (ASHFORD, one a
        # re-referral), 1 in July (DOVER); CP plans, one from 10 April and open, one from
        # 5 May to 15 June (ASHFORD).
        recorded("referral", unit=DARTFORD, child="a", referral_date=date(2025, 4, 7)),
        recorded("referral", unit=ASHFORD, child="b", referral_date=date(2025, 5, 6)),
        recorded(
            "referral",
            unit=ASHFORD,
            child="c",
            referral_date=date(2025, 5, 7),
            re_referral_12m=True,
        ),
        recorded("referral", unit=DOVER, child="d", referral_date=date(2025, 7, 1)),
        recorded("cp_plan", unit=DARTFORD, child="e", start_date=date(2025, 4, 10)),
        recorded(
            "cp_plan",
            unit=ASHFORD,
            child="f",
            start_date=date(2025, 5, 5),
            end_date=date(2025, 6, 15),
        ),
    ]


def _decisions(threshold: int | None) -> dict[str, publication.Decision]:
    cells = fold_all(_records())
    units = _units()
    return {
        q: publication.decide(quarter_raw(cells, q), q, TENANT, units, threshold) for q in (Q1, Q2)
    }


def _trend(
    decisions: dict[str, publication.Decision],
    measure: str,
    *,
    granularity: str = "month",
    by: str | None = None,
    scope: tuple[str, str] = ("tenant", TENANT),
    dimension: str | None = None,
) -> dict[tuple[str, str], Any]:
    body = trends.measure_trend_body(
        decisions,
        measure=measure,
        dimension=dimension,
        first=Q1,
        last=Q2,
        by=by,
        granularity=granularity,
        scope=scope,
        series=trends.series_units(_units(), scope, by),
        applied=decisions[Q1].threshold is not None,
    )
    assert body["measure"] == measure and body["by"] == by
    return {(p["period"], p["unit"]): p["value"] for p in body["series"]}


@pytest.fixture(scope="module")
def raw() -> dict[str, publication.Decision]:
    return _decisions(None)


def test_a_count_by_month_and_quarter_for_the_tenant_and_by_area_and_district(
    raw: dict[str, publication.Decision],
) -> None:
    monthly = _trend(raw, "audits.completed")
    assert [monthly[(m, TENANT)] for m in ("2025-04", "2025-05", "2025-06", "2025-07")] == [
        1,
        4,
        2,
        0,
    ]
    by_area = _trend(raw, "audits.completed", granularity="quarter", by="area")
    assert by_area[(Q1, "SOUTH")] == 6 and by_area[(Q1, "NORTH")] == 1
    assert by_area[(Q2, "SOUTH")] == 0
    assert {u for _, u in by_area} == set(_units().areas)
    districts = _trend(raw, "audits.completed", by="district", scope=("area", "SOUTH"))
    assert districts[("2025-05", "ASHFORD")] == 4 and districts[("2025-05", "DOVER")] == 0
    assert districts[("2025-06", "DOVER")] == 2
    assert {u for _, u in districts} == set(_units().areas["SOUTH"])
    # Every district of the tenant, without a scope.
    everywhere = _trend(raw, "audits.completed", by="district")
    assert everywhere[("2025-04", "DARTFORD")] == 1
    assert len({u for _, u in everywhere}) == sum(len(d) for d in _units().areas.values())


def test_a_figure_with_dimensions_gives_the_series_of_the_one_asked_for(
    raw: dict[str, publication.Decision],
) -> None:
    good = _trend(raw, "audits.grades", dimension="GOOD", granularity="quarter", by="area")
    assert good[(Q1, "SOUTH")] == 3 and good[(Q1, "NORTH")] == 1
    compliments = _trend(raw, "feedback.by_source", dimension="COMPLIMENT", by="service")
    assert compliments[("2025-04", "FOSTERING")] == 2
    assert compliments[("2025-09", "FOSTERING")] == 1
    assert compliments[("2025-05", "FOSTERING")] == 0
    assert {u for _, u in compliments} == set(_units().services)


def test_a_rate_by_month_is_computed_from_the_months_counts(
    raw: dict[str, publication.Decision],
) -> None:
    monthly = _trend(raw, "audits.good_or_better_pct")
    # April 1 of 1, May 3 of 4, June 2 of 2, July nothing to compute it from.
    assert monthly[("2025-04", TENANT)] == 100.0
    assert monthly[("2025-05", TENANT)] == 75.0
    assert monthly[("2025-06", TENANT)] == 100.0
    assert monthly[("2025-07", TENANT)] == "z"
    quarterly = _trend(raw, "audits.good_or_better_pct", granularity="quarter")
    assert quarterly[(Q1, TENANT)] == 85.7  # 6 of 7


def test_a_median_by_month_and_by_quarter(raw: dict[str, publication.Decision]) -> None:
    monthly = _trend(raw, "escalations.median_working_days_to_resolve")
    assert monthly[("2025-05", TENANT)] == "z"
    assert monthly[("2025-06", TENANT)] == 6  # 4 and 8
    assert monthly[("2025-07", TENANT)] == 5
    quarterly = _trend(raw, "escalations.median_working_days_to_resolve", granularity="quarter")
    assert quarterly[(Q1, TENANT)] == 6 and quarterly[(Q2, TENANT)] == 5


def test_a_stock_by_month_is_its_state_at_each_months_end(
    raw: dict[str, publication.Decision],
) -> None:
    monthly = _trend(raw, "escalations.open_at_end", by="area")
    north = [monthly[(m, "NORTH")] for m in trends.months_of(Q1) + trends.months_of(Q2)]
    assert north == [0, 1, 1, 1, 1, 1]
    assert all(monthly[(m, "SOUTH")] == 0 for m in trends.months_of(Q1))
    quarterly = _trend(raw, "escalations.open_at_end", granularity="quarter", by="district")
    assert quarterly[(Q1, "DARTFORD")] == 1 and quarterly[(Q1, "ASHFORD")] == 0


def test_suppressed_trends_show_each_figure_as_the_deep_dive_does() -> None:
    # With a threshold of 5 every month's count here is small: hidden in the trend as in
    # the Deep Dive, and so is every rate and median built on one. The quarter's 7 is not
    # small, and nothing pins its months (1, 4 and 2, all hidden): shown, in both.
    decisions = _decisions(5)
    assert _trend(decisions, "audits.completed")[("2025-05", TENANT)] == SUPPRESSED
    quarter = _trend(decisions, "audits.completed", granularity="quarter")[(Q1, TENANT)]
    tenant = measures.sections(decisions[Q1], Q1, "tenant", TENANT)["audits"]["completed"]
    assert quarter == tenant == 7
    assert _trend(decisions, "audits.good_or_better_pct")[("2025-05", TENANT)] == SUPPRESSED
    median = _trend(decisions, "escalations.median_working_days_to_resolve")
    assert median[("2025-06", TENANT)] == SUPPRESSED
    # Zero is shown.
    assert _trend(decisions, "audits.completed")[("2025-07", TENANT)] == 0
    for quarter, decision in decisions.items():
        deep_dive = measures.sections(decision, quarter, "area", "SOUTH")
        trend = _trend(decisions, "audits.completed", granularity="quarter", by="area")
        assert trend[(quarter, "SOUTH")] == deep_dive["audits"]["completed"]


def test_a_breakdown_the_scope_has_not_is_refused() -> None:
    units = _units()
    with pytest.raises(ValueError):
        trends.series_units(units, ("service", "FOSTERING"), "district")
    with pytest.raises(ValueError):
        trends.series_units(units, ("area", "SOUTH"), "service")
    assert trends.series_units(units, ("area", "SOUTH"), "area") == [("area", "SOUTH")]
    assert trends.series_units(units, ("tenant", TENANT), None) == [("tenant", TENANT)]


def test_activity_figures_by_month_a_count_a_rate_and_a_stock(
    raw: dict[str, publication.Decision],
) -> None:
    referrals = _trend(raw, "activity.referrals", by="district", scope=("area", "SOUTH"))
    assert referrals[("2025-05", "ASHFORD")] == 2 and referrals[("2025-07", "DOVER")] == 1
    assert referrals[("2025-04", "ASHFORD")] == 0
    rate = _trend(raw, "activity.re_referrals_12m_pct")
    assert rate[("2025-04", TENANT)] == 0 and rate[("2025-05", TENANT)] == 50.0
    assert rate[("2025-06", TENANT)] == "z"
    quarterly = _trend(raw, "activity.re_referrals_12m_pct", granularity="quarter")
    assert quarterly[(Q1, TENANT)] == 33.3  # 1 of 3
    open_plans = _trend(raw, "activity.cp_open_at_end")
    assert [open_plans[(m, TENANT)] for m in trends.months_of(Q1)] == [1, 2, 1]
    by_area = _trend(raw, "activity.cp_open_at_end", granularity="quarter", by="area")
    assert by_area[(Q1, "NORTH")] == 1 and by_area[(Q1, "SOUTH")] == 0


@example(first=(2000, 1), last=(2014, 4))  # the cap's 60 quarters
@example(first=(2000, 2), last=(2015, 2))  # one more
@example(first=(2020, 3), last=(2020, 2))
@given(
    first=st.tuples(st.integers(2000, 2099), st.integers(1, 4)),
    last=st.tuples(st.integers(2000, 2099), st.integers(1, 4)),
)
def test_a_range_is_refused_exactly_when_backwards_or_longer_than_the_cap(
    first: tuple[int, int], last: tuple[int, int]
) -> None:
    start, end = f"FY{first[0]}Q{first[1]}", f"FY{last[0]}Q{last[1]}"
    listed = trends.quarters_between(start, end)
    refused = first > last or len(listed) > trends.MAX_QUARTERS
    try:
        trends.validate_range(start, end)
    except ValueError:
        assert refused
    else:
        assert not refused
