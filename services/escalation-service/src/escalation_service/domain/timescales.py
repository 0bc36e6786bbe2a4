"""When each stage is due, and the limit on the formal stages together, in working days
(weekends and England and Wales bank holidays excluded). docs/domain.md, Escalations: 5 working
days per formal stage, the informal stage's due date set by the chair (default 5), the formal
stages together within 20 working days of the first formal stage; all configurable per tenant."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from escalation_service.domain.stages import is_formal
from qaf_shared.enums import EscalationStage
from qaf_shared.working_days import add_working_days


class Timescales(BaseModel):
    """One tenant's timescales. Due dates are computed when a stage opens and stored, so a
    later change of configuration never moves a date already given to the addressee."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    informal_days: int = Field(default=5, ge=1, le=60)
    formal_stage_days: int = Field(default=5, ge=1, le=60)
    # Per formal stage overrides of `formal_stage_days` (e.g. more time at DIRECTOR).
    stage_days: dict[EscalationStage, int] = Field(default_factory=dict)
    formal_limit_days: int = Field(default=20, ge=1, le=250)

    def days_for(self, stage: EscalationStage) -> int:
        if not is_formal(stage):
            return self.informal_days
        return self.stage_days.get(stage, self.formal_stage_days)


def stage_due_date(
    stage: EscalationStage,
    opened_on: date,
    timescales: Timescales,
    *,
    chair_due_date: date | None = None,
) -> date:
    """The date a stage's response is due. Only the informal stage takes the chair's date."""
    if chair_due_date is not None:
        if is_formal(stage):
            raise ValueError("only the informal stage takes a due date from the chair")
        return chair_due_date
    return add_working_days(opened_on, timescales.days_for(stage))


def formal_deadline(first_formal_opened_on: date, timescales: Timescales) -> date:
    """The date by which the formal stages together should have closed."""
    return add_working_days(first_formal_opened_on, timescales.formal_limit_days)


def formal_limit_breached(deadline: date | None, closed_on: date | None, as_of: date) -> bool:
    """Whether the formal stages ran past their limit: an escalation closed (resolved or
    withdrawn) after its deadline, or still open on a day after it. Nothing is breached
    before a formal stage opens."""
    if deadline is None:
        return False
    end = closed_on if closed_on is not None and closed_on <= as_of else as_of
    return end > deadline
