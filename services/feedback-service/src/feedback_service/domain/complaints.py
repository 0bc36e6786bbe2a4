"""The statutory children's complaints procedure (Children Act 1989 Representations
Procedure (England) Regulations 2006), free of I/O.

A complaint opens at stage 1 on the day it is received. Each stage has a response due date
in working days from the day it started; stages 1 and 2 may be extended once. The next stage
may be requested within 20 working days of the previous stage's response (or once the
previous stage has gone past its due date with no response). Stage 3 is a review panel:
panel within 30 working days of the request, the panel's report within 5 working days of the
panel, the authority's response within 15 working days of the report.

Every method returns a new `Complaint`; a step that does not apply to the current state
raises `StepNotAllowed` (HTTP 409), an impossible date raises `RuleBroken` naming the
request field (HTTP 422)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from qaf_shared.enums import ComplaintOutcome, ComplaintStage, ComplaintStatus
from qaf_shared.rules import FieldError, RuleBroken, StepNotAllowed
from qaf_shared.working_days import add_working_days

Stage = ComplaintStage
Outcome = ComplaintOutcome

# Working days from the start of the stage: (standard, extended).
RESPONSE_DAYS: dict[ComplaintStage, tuple[int, int]] = {
    Stage.STAGE1: (10, 20),
    Stage.STAGE2: (25, 65),
}
STAGE3_PANEL_DAYS = 30  # from the request
STAGE3_REPORT_DAYS = 5  # from the panel
STAGE3_RESPONSE_DAYS = 15  # from the panel's report
NEXT_STAGE_REQUEST_DAYS = 20  # from the previous stage's response

NEXT_STAGE: dict[ComplaintStage, ComplaintStage] = {
    Stage.STAGE1: Stage.STAGE2,
    Stage.STAGE2: Stage.STAGE3,
}


def check_categories(categories: list[str]) -> list[FieldError]:
    if len(set(categories)) != len(categories):
        return [FieldError("categories", "lists a category twice")]
    return []


@dataclass(frozen=True)
class StageRecord:
    stage: ComplaintStage
    started_on: date
    extended_on: date | None = None
    panel_held_on: date | None = None
    panel_report_issued_on: date | None = None
    outcome: ComplaintOutcome | None = None
    decided_on: date | None = None

    @property
    def decided(self) -> bool:
        return self.outcome is not None

    @property
    def due_date(self) -> date:
        """When the stage's next statutory step is due: the response for stages 1 and 2; for
        stage 3 the panel, then its report, then the authority's response."""
        if self.stage is Stage.STAGE3:
            if self.panel_report_issued_on is not None:
                return add_working_days(self.panel_report_issued_on, STAGE3_RESPONSE_DAYS)
            if self.panel_held_on is not None:
                return add_working_days(self.panel_held_on, STAGE3_REPORT_DAYS)
            return add_working_days(self.started_on, STAGE3_PANEL_DAYS)
        standard, extended = RESPONSE_DAYS[self.stage]
        return add_working_days(
            self.started_on, extended if self.extended_on is not None else standard
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "stage": self.stage.value,
            "started_on": self.started_on.isoformat(),
            "extended_on": _iso(self.extended_on),
            "panel_held_on": _iso(self.panel_held_on),
            "panel_report_issued_on": _iso(self.panel_report_issued_on),
            "outcome": self.outcome.value if self.outcome else None,
            "decided_on": _iso(self.decided_on),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> StageRecord:
        return cls(
            stage=Stage(data["stage"]),
            started_on=date.fromisoformat(data["started_on"]),
            extended_on=_date(data.get("extended_on")),
            panel_held_on=_date(data.get("panel_held_on")),
            panel_report_issued_on=_date(data.get("panel_report_issued_on")),
            outcome=Outcome(data["outcome"]) if data.get("outcome") else None,
            decided_on=_date(data.get("decided_on")),
        )


@dataclass(frozen=True)
class Complaint:
    received_on: date
    stages: tuple[StageRecord, ...]
    closed_on: date | None = None
    ombudsman_referred: bool = False

    @classmethod
    def open(cls, received_on: date) -> Complaint:
        return cls(received_on=received_on, stages=(StageRecord(Stage.STAGE1, received_on),))

    @property
    def current(self) -> StageRecord:
        return self.stages[-1]

    @property
    def stage(self) -> ComplaintStage:
        """The highest stage reached."""
        return self.current.stage

    @property
    def status(self) -> ComplaintStatus:
        if self.closed_on is not None:
            return ComplaintStatus.CLOSED
        return ComplaintStatus(self.current.stage.value)

    @property
    def awaiting_due(self) -> date | None:
        """The due date of what the authority owes now; None when nothing is owed (the
        current stage is decided, or the complaint is closed)."""
        if self.closed_on is not None or self.current.decided:
            return None
        return self.current.due_date

    def is_overdue(self, today: date) -> bool:
        due = self.awaiting_due
        return due is not None and today > due

    @property
    def outcomes(self) -> dict[ComplaintStage, ComplaintOutcome]:
        return {s.stage: s.outcome for s in self.stages if s.outcome is not None}

    def next_stage_request_by(self) -> date | None:
        """The last day on which the next stage may be requested, once the current stage
        has been answered; None when no further stage can be requested."""
        current = self.current
        if (
            current.stage not in NEXT_STAGE
            or current.decided_on is None
            or current.outcome is Outcome.WITHDRAWN
            or self.ombudsman_referred
        ):
            return None
        return add_working_days(current.decided_on, NEXT_STAGE_REQUEST_DAYS)

    # Steps

    def request_stage(self, stage: ComplaintStage, requested_on: date) -> Complaint:
        """Open the next stage. From a closed complaint this reopens it, as long as the
        request is within the window (closing after a stage's response does not take away
        the complainant's right to ask for the next stage)."""
        current = self.current
        if NEXT_STAGE.get(current.stage) is not stage:
            raise StepNotAllowed(
                f"A complaint at {current.stage.value} cannot move to {stage.value}; "
                "stages go up one at a time."
            )
        if self.ombudsman_referred:
            raise StepNotAllowed("The complaint was closed with a referral to the Ombudsman.")
        if current.outcome is Outcome.WITHDRAWN:
            raise StepNotAllowed(f"The complaint was withdrawn at {current.stage.value}.")
        if requested_on < current.started_on:
            raise RuleBroken("body.requested_on", f"is before {current.stage.value} started")
        if current.decided_on is None:
            if requested_on <= current.due_date:
                raise StepNotAllowed(
                    f"{current.stage.value} has not been answered and is not yet past its due "
                    f"date ({current.due_date.isoformat()})."
                )
        else:
            if requested_on < current.decided_on:
                raise RuleBroken(
                    "body.requested_on", f"is before the {current.stage.value} response"
                )
            window_end = add_working_days(current.decided_on, NEXT_STAGE_REQUEST_DAYS)
            if requested_on > window_end:
                raise StepNotAllowed(
                    f"{stage.value} must be requested within {NEXT_STAGE_REQUEST_DAYS} working "
                    f"days of the {current.stage.value} response (by {window_end.isoformat()})."
                )
        return replace(
            self,
            stages=(*self.stages, StageRecord(stage, requested_on)),
            closed_on=None,
        )

    def extend(self, stage: ComplaintStage, extended_on: date) -> Complaint:
        current = self._open_stage(stage, "extended")
        if stage not in RESPONSE_DAYS:
            raise StepNotAllowed(f"{stage.value} has no extension.")
        if current.extended_on is not None:
            raise StepNotAllowed(f"{stage.value} has already been extended.")
        if extended_on < current.started_on:
            raise RuleBroken("body.extended_on", f"is before {stage.value} started")
        if extended_on > current.due_date:
            raise StepNotAllowed(
                f"{stage.value} was due on {current.due_date.isoformat()}; an extension must be "
                "agreed by then."
            )
        return self._with_current(replace(current, extended_on=extended_on))

    def record_panel(self, held_on: date) -> Complaint:
        current = self._open_stage(Stage.STAGE3, "given a panel")
        if current.panel_held_on is not None:
            raise StepNotAllowed("The review panel has already been recorded.")
        if held_on < current.started_on:
            raise RuleBroken("body.held_on", "is before stage 3 was requested")
        return self._with_current(replace(current, panel_held_on=held_on))

    def record_panel_report(self, issued_on: date) -> Complaint:
        current = self._open_stage(Stage.STAGE3, "given a panel report")
        if current.panel_held_on is None:
            raise StepNotAllowed("The review panel has not been recorded yet.")
        if current.panel_report_issued_on is not None:
            raise StepNotAllowed("The panel's report has already been recorded.")
        if issued_on < current.panel_held_on:
            raise RuleBroken("body.issued_on", "is before the panel was held")
        return self._with_current(replace(current, panel_report_issued_on=issued_on))

    def decide(
        self, stage: ComplaintStage, outcome: ComplaintOutcome, decided_on: date
    ) -> Complaint:
        """Record a stage's outcome (for stage 3, the authority's response to the panel's
        report; a withdrawal may come at any point in a stage)."""
        current = self._open_stage(stage, "decided")
        if (
            stage is Stage.STAGE3
            and outcome is not Outcome.WITHDRAWN
            and current.panel_report_issued_on is None
        ):
            raise StepNotAllowed(
                "Stage 3's outcome is the authority's response to the panel's report; "
                "record the panel and its report first."
            )
        floor = current.panel_report_issued_on or current.started_on
        if decided_on < floor:
            raise RuleBroken("body.decided_on", f"is before {floor.isoformat()}")
        return self._with_current(replace(current, outcome=outcome, decided_on=decided_on))

    def close(self, closed_on: date, ombudsman_referred: bool) -> Complaint:
        if self.closed_on is not None:
            raise StepNotAllowed("The complaint is already closed.")
        current = self.current
        if current.decided_on is None:
            raise StepNotAllowed(
                f"{current.stage.value} has no outcome yet; record it before closing."
            )
        if closed_on < current.decided_on:
            raise RuleBroken("body.closed_on", f"is before the {current.stage.value} outcome")
        return replace(self, closed_on=closed_on, ombudsman_referred=ombudsman_referred)

    # Helpers

    def _open_stage(self, stage: ComplaintStage, step: str) -> StageRecord:
        if self.closed_on is not None:
            raise StepNotAllowed(f"A closed complaint cannot be {step}.")
        current = self.current
        if current.stage is not stage:
            raise StepNotAllowed(f"The complaint is at {current.stage.value}, not {stage.value}.")
        if current.decided:
            raise StepNotAllowed(f"{stage.value} already has its outcome.")
        return current

    def _with_current(self, record: StageRecord) -> Complaint:
        return replace(self, stages=(*self.stages[:-1], record))

    def stages_json(self) -> list[dict[str, Any]]:
        return [s.to_json() for s in self.stages]

    @classmethod
    def from_stored(
        cls,
        *,
        received_on: date,
        stages: list[dict[str, Any]],
        closed_on: date | None,
        ombudsman_referred: bool,
    ) -> Complaint:
        return cls(
            received_on=received_on,
            stages=tuple(StageRecord.from_json(s) for s in stages),
            closed_on=closed_on,
            ombudsman_referred=ombudsman_referred,
        )


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None
