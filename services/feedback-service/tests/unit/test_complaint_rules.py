"""The statutory complaint lifecycle: stages, due dates in working days, the window for the
next stage, and every step that does not apply."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from feedback_service.domain.complaints import Complaint
from qaf_shared.enums import ComplaintOutcome, ComplaintStage, ComplaintStatus
from qaf_shared.rules import RuleBroken, StepNotAllowed
from qaf_shared.working_days import add_working_days, is_working_day, working_days_between

S1, S2, S3 = ComplaintStage.STAGE1, ComplaintStage.STAGE2, ComplaintStage.STAGE3
UPHELD, NOT_UPHELD, WITHDRAWN = (
    ComplaintOutcome.UPHELD,
    ComplaintOutcome.NOT_UPHELD,
    ComplaintOutcome.WITHDRAWN,
)
FRI_BEFORE_CHRISTMAS_2026 = date(2026, 12, 18)
FRI_BEFORE_EASTER_2027 = date(2027, 3, 19)  # Good Friday 26 March, Easter Monday 29 March


def at_stage3(received: date = date(2026, 5, 1)) -> Complaint:
    c = Complaint.open(received).decide(S1, NOT_UPHELD, received + timedelta(days=7))
    c = c.request_stage(S2, received + timedelta(days=10))
    c = c.decide(S2, NOT_UPHELD, received + timedelta(days=30))
    return c.request_stage(S3, received + timedelta(days=35))


class TestDueDates:
    def test_stage1_is_due_in_10_working_days_skipping_christmas_and_new_year(self) -> None:
        # 25, 26 (Sat) and 28 (Boxing Day observed) December and 1 January are not counted.
        complaint = Complaint.open(FRI_BEFORE_CHRISTMAS_2026)
        assert complaint.current.due_date == date(2027, 1, 6)
        assert complaint.status is ComplaintStatus.STAGE1 and complaint.stage is S1

    def test_stage1_extended_is_due_in_20_working_days(self) -> None:
        extended = Complaint.open(FRI_BEFORE_CHRISTMAS_2026).extend(S1, date(2026, 12, 22))
        assert extended.current.due_date == date(2027, 1, 20)
        assert extended.current.extended_on == date(2026, 12, 22)

    def test_stage1_due_date_skips_good_friday_and_easter_monday(self) -> None:
        assert Complaint.open(FRI_BEFORE_EASTER_2027).current.due_date == date(2027, 4, 6)

    def test_stage2_is_due_in_25_working_days_and_65_when_extended(self) -> None:
        c = Complaint.open(date(2027, 2, 1)).decide(S1, NOT_UPHELD, date(2027, 3, 1))
        c = c.request_stage(S2, date(2027, 3, 12))
        assert c.current.due_date == date(2027, 4, 20) == add_working_days(date(2027, 3, 12), 25)
        extended = c.extend(S2, date(2027, 3, 15))
        assert extended.current.due_date == add_working_days(date(2027, 3, 12), 65)

    def test_stage3_is_due_panel_then_report_then_response(self) -> None:
        c = at_stage3()
        requested = c.current.started_on
        assert c.current.due_date == add_working_days(requested, 30)
        held = requested + timedelta(days=20)
        c = c.record_panel(held)
        assert c.current.due_date == add_working_days(held, 5)
        issued = held + timedelta(days=3)
        c = c.record_panel_report(issued)
        assert c.current.due_date == add_working_days(issued, 15)
        decided = c.decide(S3, UPHELD, issued + timedelta(days=10))
        assert decided.outcomes == {S1: NOT_UPHELD, S2: NOT_UPHELD, S3: UPHELD}
        assert decided.awaiting_due is None

    @given(st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 12, 31)))
    def test_due_dates_are_working_days_the_statutory_count_away(self, received: date) -> None:
        complaint = Complaint.open(received)
        due = complaint.current.due_date
        assert is_working_day(due) and working_days_between(received, due) == 10
        extended = complaint.extend(S1, received).current.due_date
        assert is_working_day(extended) and working_days_between(received, extended) == 20


class TestOverdue:
    def test_an_unanswered_stage_is_overdue_the_day_after_its_due_date(self) -> None:
        c = Complaint.open(FRI_BEFORE_CHRISTMAS_2026)
        assert not c.is_overdue(date(2027, 1, 6))
        assert c.is_overdue(date(2027, 1, 7))

    def test_an_answered_or_closed_complaint_is_never_overdue(self) -> None:
        decided = Complaint.open(date(2026, 5, 1)).decide(S1, UPHELD, date(2026, 6, 30))
        assert not decided.is_overdue(date(2027, 1, 1))
        closed = decided.close(date(2026, 7, 1), False)
        assert not closed.is_overdue(date(2027, 1, 1)) and closed.awaiting_due is None

    def test_a_stage3_panel_not_held_by_its_due_date_is_overdue(self) -> None:
        c = at_stage3()
        assert c.is_overdue(c.current.due_date + timedelta(days=1))


class TestNextStageWindow:
    def test_stage2_may_be_requested_up_to_20_working_days_after_the_stage1_response(
        self,
    ) -> None:
        c = Complaint.open(date(2027, 3, 1)).decide(S1, NOT_UPHELD, FRI_BEFORE_EASTER_2027)
        last_day = add_working_days(FRI_BEFORE_EASTER_2027, 20)
        assert last_day == date(2027, 4, 20)  # Easter's two bank holidays push it on
        assert c.next_stage_request_by() == last_day
        assert c.request_stage(S2, last_day).status is ComplaintStatus.STAGE2
        with pytest.raises(StepNotAllowed, match="within 20 working days"):
            c.request_stage(S2, last_day + timedelta(days=1))

    def test_stage3_has_the_same_window_after_the_stage2_response(self) -> None:
        c = Complaint.open(date(2026, 5, 1)).decide(S1, NOT_UPHELD, date(2026, 5, 8))
        c = c.request_stage(S2, date(2026, 5, 11)).decide(S2, NOT_UPHELD, date(2026, 6, 1))
        window_end = add_working_days(date(2026, 6, 1), 20)
        with pytest.raises(StepNotAllowed):
            c.request_stage(S3, window_end + timedelta(days=1))
        assert c.request_stage(S3, window_end).stage is S3

    def test_stage2_before_a_stage1_response_only_once_stage1_is_overdue(self) -> None:
        c = Complaint.open(date(2026, 5, 1))
        due = c.current.due_date
        with pytest.raises(StepNotAllowed, match="not yet past its due date"):
            c.request_stage(S2, due)
        moved = c.request_stage(S2, due + timedelta(days=1))
        assert moved.stage is S2 and moved.stages[0].outcome is None

    def test_a_request_before_the_response_is_an_invalid_date(self) -> None:
        c = Complaint.open(date(2026, 5, 1)).decide(S1, NOT_UPHELD, date(2026, 5, 8))
        with pytest.raises(RuleBroken) as caught:
            c.request_stage(S2, date(2026, 5, 7))
        assert caught.value.field == "body.requested_on"

    def test_stages_go_up_one_at_a_time(self) -> None:
        c = Complaint.open(date(2026, 5, 1)).decide(S1, NOT_UPHELD, date(2026, 5, 8))
        with pytest.raises(StepNotAllowed, match="one at a time"):
            c.request_stage(S3, date(2026, 5, 11))
        with pytest.raises(StepNotAllowed):
            at_stage3().request_stage(S2, date(2026, 7, 1))

    def test_a_withdrawn_complaint_goes_no_further(self) -> None:
        c = Complaint.open(date(2026, 5, 1)).decide(S1, WITHDRAWN, date(2026, 5, 4))
        assert c.next_stage_request_by() is None
        with pytest.raises(StepNotAllowed, match="withdrawn"):
            c.request_stage(S2, date(2026, 5, 5))

    def test_a_complaint_closed_after_stage1_reopens_at_stage2_within_the_window(self) -> None:
        closed = (
            Complaint.open(date(2026, 5, 1))
            .decide(S1, NOT_UPHELD, date(2026, 5, 8))
            .close(date(2026, 5, 8), False)
        )
        reopened = closed.request_stage(S2, date(2026, 5, 20))
        assert reopened.status is ComplaintStatus.STAGE2 and reopened.closed_on is None

    def test_no_further_stage_after_an_ombudsman_referral(self) -> None:
        closed = (
            Complaint.open(date(2026, 5, 1))
            .decide(S1, NOT_UPHELD, date(2026, 5, 8))
            .close(date(2026, 5, 8), True)
        )
        with pytest.raises(StepNotAllowed, match="Ombudsman"):
            closed.request_stage(S2, date(2026, 5, 11))


class TestStepsThatDoNotApply:
    def test_an_outcome_is_for_the_current_stage_and_only_once(self) -> None:
        c = Complaint.open(date(2026, 5, 1))
        with pytest.raises(StepNotAllowed, match="not STAGE2"):
            c.decide(S2, UPHELD, date(2026, 5, 5))
        decided = c.decide(S1, UPHELD, date(2026, 5, 5))
        with pytest.raises(StepNotAllowed, match="already has its outcome"):
            decided.decide(S1, NOT_UPHELD, date(2026, 5, 6))

    def test_stage3_outcome_needs_the_panel_report_unless_withdrawn(self) -> None:
        c = at_stage3()
        when = c.current.started_on + timedelta(days=5)
        with pytest.raises(StepNotAllowed, match="panel"):
            c.decide(S3, UPHELD, when)
        assert c.decide(S3, WITHDRAWN, when).outcomes[S3] is WITHDRAWN
        with pytest.raises(StepNotAllowed, match="panel has not been recorded"):
            c.record_panel_report(when)

    def test_panel_and_report_are_recorded_once_and_only_at_stage3(self) -> None:
        with pytest.raises(StepNotAllowed):
            Complaint.open(date(2026, 5, 1)).record_panel(date(2026, 5, 2))
        held = at_stage3().record_panel(date(2026, 7, 1))
        with pytest.raises(StepNotAllowed, match="already"):
            held.record_panel(date(2026, 7, 2))
        reported = held.record_panel_report(date(2026, 7, 3))
        with pytest.raises(StepNotAllowed, match="already"):
            reported.record_panel_report(date(2026, 7, 4))

    def test_an_extension_is_once_by_the_due_date_and_never_at_stage3(self) -> None:
        c = Complaint.open(date(2026, 5, 1))
        once = c.extend(S1, date(2026, 5, 5))
        with pytest.raises(StepNotAllowed, match="already been extended"):
            once.extend(S1, date(2026, 5, 6))
        with pytest.raises(StepNotAllowed, match="agreed by then"):
            c.extend(S1, c.current.due_date + timedelta(days=1))
        with pytest.raises(StepNotAllowed, match="no extension"):
            at_stage3().extend(S3, date(2026, 7, 1))
        with pytest.raises(StepNotAllowed, match="not STAGE2"):
            c.extend(S2, date(2026, 5, 5))

    def test_closing_needs_the_current_stages_outcome_and_happens_once(self) -> None:
        c = Complaint.open(date(2026, 5, 1))
        with pytest.raises(StepNotAllowed, match="no outcome yet"):
            c.close(date(2026, 5, 2), False)
        closed = c.decide(S1, UPHELD, date(2026, 5, 5)).close(date(2026, 5, 6), True)
        assert closed.status is ComplaintStatus.CLOSED and closed.ombudsman_referred
        for step in (
            lambda: closed.close(date(2026, 5, 7), False),
            lambda: closed.decide(S1, UPHELD, date(2026, 5, 7)),
            lambda: closed.extend(S1, date(2026, 5, 7)),
        ):
            with pytest.raises(StepNotAllowed):
                step()

    @pytest.mark.parametrize(
        ("step", "field"),
        [
            (lambda c: c.decide(S1, UPHELD, date(2026, 4, 30)), "body.decided_on"),
            (lambda c: c.extend(S1, date(2026, 4, 30)), "body.extended_on"),
            (
                lambda c: c.decide(S1, UPHELD, date(2026, 5, 5)).close(date(2026, 5, 4), False),
                "body.closed_on",
            ),
        ],
    )
    def test_dates_before_what_they_follow_are_invalid(
        self, step: Callable[[Complaint], Complaint], field: str
    ) -> None:
        with pytest.raises(RuleBroken) as caught:
            step(Complaint.open(date(2026, 5, 1)))
        assert caught.value.field == field


def test_a_complaint_survives_its_stored_form() -> None:
    original = at_stage3().record_panel(date(2026, 7, 1))
    stored = Complaint.from_stored(
        received_on=original.received_on,
        stages=original.stages_json(),
        closed_on=original.closed_on,
        ombudsman_referred=original.ombudsman_referred,
    )
    assert stored == original
