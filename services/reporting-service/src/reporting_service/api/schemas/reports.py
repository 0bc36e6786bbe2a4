"""The documented shapes of the reports (OpenAPI); a figure is a number, or "c" (suppressed),
"z" (nothing to compute it from) or "k" (rounds to 0 but is not 0)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from reporting_service.api.schemas.benchmarks import BenchmarkOut

Figure = Annotated[
    int | float | Literal["c", "z", "k"], Field(description='A number, or "c", "z" or "k"')
]


class UnitOut(BaseModel):
    code: str
    kind: Literal["tenant", "area", "district", "team", "service"]


class AuditsOut(BaseModel):
    completed: Figure
    grades: dict[str, Figure]
    good_or_better_pct: Figure
    moderated: Figure
    moderation_agreement_pct: Figure
    themes: dict[str, Figure]
    actions_raised: Figure
    actions_completed: Figure
    actions_overdue_at_end: Figure
    safeguarding_concerns: Figure


class EscalationsOut(BaseModel):
    raised: Figure
    resolved: Figure
    open_at_end: Figure
    by_category: dict[str, Figure]
    by_stage_reached: dict[str, Figure]
    median_working_days_to_resolve: Figure
    resolved_early_pct: Figure
    breached_timescale: Figure


class FeedbackOut(BaseModel):
    by_source: dict[str, Figure]
    conference_question_means: dict[str, Figure]
    cic_reviews: Figure
    cic_participation_pct: Figure
    complaints_received: Figure
    complaints_by_stage: dict[str, Figure]
    complaints_upheld: Figure
    compliments: Figure


class ActivityOut(BaseModel):
    referrals: Figure
    re_referrals_12m_pct: Figure
    referrals_nfa_pct: Figure
    assessments_completed: Figure
    assessments_within_45wd_pct: Figure
    median_assessment_wd: Figure
    s47_started: Figure
    s47_to_icpc_pct: Figure
    icpc_held: Figure
    icpc_within_15wd_pct: Figure
    cp_plans_started: Figure
    cp_second_or_subsequent_pct: Figure
    cp_plans_ended: Figure
    cp_open_at_end: Figure
    cp_open_2y_plus_at_end: Figure
    cp_reviews_on_time_pct: Figure
    cla_started: Figure
    cla_routes: dict[str, Figure] = Field(description="CP_PLAN, CIN, NONE")
    cla_open_at_end: Figure
    cla_3plus_placements_12m_pct: Figure
    cla_reviews_on_time_pct: Figure
    visits_on_time_pct: dict[str, Figure] = Field(description="CIN, CP, CLA")
    funnel: dict[str, Figure] = Field(description="referrals, assessed, s47, icpc, cp_plan")


class Measures(BaseModel):
    audits: AuditsOut
    escalations: EscalationsOut
    feedback: FeedbackOut
    activity: ActivityOut


class PreviousOut(Measures):
    quarter: str


class BreakdownOut(Measures):
    unit: UnitOut


class SuppressionOut(BaseModel):
    applied: bool
    threshold: int


class DeepDiveOut(Measures):
    tenant: str
    quarter: str
    unit: UnitOut
    suppression: SuppressionOut
    benchmarks: dict[str, BenchmarkOut] | None = Field(
        default=None, description="The tenant's own Deep Dive only: by activity measure"
    )
    previous: PreviousOut
    breakdown: list[BreakdownOut]


class AggregateRow(BaseModel):
    quarter: str
    unit: str
    unit_kind: str
    measure: str
    dimension: str
    value: Figure


class AggregatesOut(BaseModel):
    tenant: str
    quarter: str
    suppression: dict[str, bool]
    rows: list[AggregateRow]


class TrendPoint(BaseModel):
    period: str
    key: str
    raised: Figure
    resolved: Figure
    open_at_end: Figure


class TrendsOut(BaseModel):
    from_: str = Field(alias="from")
    to: str
    by: str
    granularity: str
    unit: UnitOut
    suppression: dict[str, bool]
    series: list[TrendPoint]
