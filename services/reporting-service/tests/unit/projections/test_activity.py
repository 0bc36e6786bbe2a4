"""The activity projections' arithmetic (docs/measures.md, "activity"), folded in memory as
the engine folds it, around each measure's boundaries."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from qaf_shared.events.payloads import OrgUnitRef

from .activity_events import record_of, recorded, withdrawn, working_day
from .projection_helpers import d, fold_all, nonzero, value

NORTH = OrgUnitRef(area="NORTH", district="CANTERBURY", team="CAN-CP1")


class TestReferrals:
    def test_referrals_count_in_their_quarter_with_the_derived_re_referral_and_nfa(self) -> None:
        cells = fold_all(
            [
                recorded("referral", referral_date=d("2025-06-30"), re_referral_12m=True),
                recorded("referral", referral_date=d("2025-07-01"), nfa=True),
                recorded("referral", referral_date=d("2025-04-01"), child="child-2"),
            ]
        )
        assert value(cells, "FY2025Q1", "activity.referrals") == 2
        assert value(cells, "FY2025Q1", "activity.re_referrals_12m") == 1
        assert value(cells, "FY2025Q1", "activity.referrals_nfa") == 0
        assert value(cells, "FY2025Q2", "activity.referrals") == 1
        assert value(cells, "FY2025Q2", "activity.referrals_nfa") == 1
        assert value(cells, "FY2025Q1", "activity.referrals", unit=("team", "ASH-CP1")) == 2

    def test_a_republished_referral_that_became_a_re_referral_moves_its_quarter(self) -> None:
        # An earlier referral loaded late makes activity-service publish this one again.
        first = recorded("referral", referral_date=d("2025-05-01"))
        again = recorded(
            "referral",
            record=record_of(first),
            version=2,
            referral_date=d("2025-05-01"),
            re_referral_12m=True,
        )
        assert value(fold_all([first]), "FY2025Q1", "activity.re_referrals_12m") == 0
        cells = fold_all([first, again])
        assert value(cells, "FY2025Q1", "activity.re_referrals_12m") == 1
        assert value(cells, "FY2025Q1", "activity.referrals") == 1


class TestAssessments:
    def test_authorised_on_the_45th_working_day_is_within_and_the_46th_is_not(self) -> None:
        # Referred the Monday before Easter: Good Friday and Easter Monday are not counted.
        referral = d("2025-04-14")
        on_45, on_46 = working_day(referral, 45), working_day(referral, 46)
        assert referral < d("2025-04-18") < d("2025-05-05") < on_45
        events = [
            recorded(
                "assessment",
                start_date=referral,
                referral_date=referral,
                authorised_date=authorised,
                child=child,
            )
            for child, authorised in (("a", on_45), ("b", on_46))
        ]
        events.append(recorded("assessment", start_date=referral, referral_date=referral))
        cells = fold_all(events)
        assert value(cells, "FY2025Q1", "activity.assessments_completed") == 2
        assert value(cells, "FY2025Q1", "activity.assessments_within_45wd") == 1
        assert value(cells, "FY2025Q1", "activity.assessment_wd", "45") == 1
        assert value(cells, "FY2025Q1", "activity.assessment_wd", "46") == 1


class TestEnquiries:
    def test_an_icpc_on_working_day_15_is_within_and_16_is_not(self) -> None:
        start = d("2025-04-14")
        events = [
            recorded(
                "s47_enquiry",
                start_date=start,
                referral_date=start,
                icpc_date=working_day(start, n),
                child=child,
            )
            for child, n in (("a", 15), ("b", 16))
        ]
        cells = fold_all(events)
        assert value(cells, "FY2025Q1", "activity.s47_started") == 2
        assert value(cells, "FY2025Q1", "activity.s47_to_icpc") == 2
        assert value(cells, "FY2025Q1", "activity.icpc_held") == 2
        assert value(cells, "FY2025Q1", "activity.icpc_within_15wd") == 1

    def test_an_icpc_before_its_s47_counts_in_no_icpc_measure_nor_the_funnel(self) -> None:
        cells = fold_all(
            [
                recorded("referral", referral_date=d("2025-05-01")),
                recorded(
                    "s47_enquiry",
                    start_date=d("2025-05-10"),
                    referral_date=d("2025-05-01"),
                    icpc_date=d("2025-05-09"),
                ),
                recorded("cp_plan", start_date=d("2025-05-12")),
            ]
        )
        assert value(cells, "FY2025Q1", "activity.s47_started") == 1
        assert value(cells, "FY2025Q1", "activity.s47_to_icpc") == 0
        assert value(cells, "FY2025Q1", "activity.icpc_held") == 0
        assert value(cells, "FY2025Q1", "activity.funnel", "s47") == 1
        assert value(cells, "FY2025Q1", "activity.funnel", "icpc") == 0
        assert value(cells, "FY2025Q1", "activity.funnel", "cp_plan") == 0


class TestFunnel:
    def _funnel(self, assessed_after: int, s47_after: int, plan_after_icpc: int) -> dict[str, int]:
        referral = d("2025-04-02")
        s47 = referral + timedelta(days=s47_after)
        icpc = s47 + timedelta(days=10)
        cells = fold_all(
            [
                recorded("referral", referral_date=referral),
                recorded(
                    "assessment",
                    start_date=referral + timedelta(days=assessed_after),
                    referral_date=referral,
                ),
                recorded("s47_enquiry", start_date=s47, referral_date=referral, icpc_date=icpc),
                recorded("cp_plan", start_date=icpc + timedelta(days=plan_after_icpc)),
            ]
        )
        stages = ("referrals", "assessed", "s47", "icpc", "cp_plan")
        return {s: value(cells, "FY2025Q1", "activity.funnel", s) for s in stages}

    def test_a_referral_goes_through_each_stage_within_its_window(self) -> None:
        assert self._funnel(30, 30, 45) == {
            "referrals": 1,
            "assessed": 1,
            "s47": 1,
            "icpc": 1,
            "cp_plan": 1,
        }

    def test_a_day_past_each_window_leaves_the_stage_out(self) -> None:
        assert self._funnel(31, 31, 46) == {
            "referrals": 1,
            "assessed": 0,
            "s47": 0,
            "icpc": 0,
            "cp_plan": 0,
        }
        assert self._funnel(0, 0, 46)["cp_plan"] == 0

    def test_an_assessment_of_another_referral_does_not_count(self) -> None:
        cells = fold_all(
            [
                recorded("referral", referral_date=d("2025-04-02")),
                recorded("assessment", start_date=d("2025-04-05"), referral_date=d("2025-04-03")),
            ]
        )
        assert value(cells, "FY2025Q1", "activity.funnel", "assessed") == 0


class TestPlans:
    def test_a_plan_of_exactly_730_days_on_the_quarter_end_counts_as_two_years(self) -> None:
        end = d("2026-03-31")  # FY2025Q4's last day
        cells = fold_all(
            [
                recorded("cp_plan", start_date=end - timedelta(days=730), child="a"),
                recorded("cp_plan", start_date=end - timedelta(days=729), child="b"),
                recorded(
                    "cp_plan", start_date=d("2024-01-01"), end_date=end, child="c"
                ),  # ended that day: not open
            ]
        )
        assert value(cells, "FY2025Q4", "activity.cp_open_at_end") == 2
        assert value(cells, "FY2025Q4", "activity.cp_open_2y_plus_at_end") == 1
        assert value(cells, "FY2026Q1", "activity.cp_open_2y_plus_at_end") == 2
        assert value(cells, "FY2025Q4", "activity.cp_plans_ended") == 1
        assert value(cells, "FY2025Q3", "activity.cp_open_at_end") == 3

    def test_plans_started_and_second_or_subsequent(self) -> None:
        cells = fold_all(
            [
                recorded("cp_plan", start_date=d("2025-04-02")),
                recorded("cp_plan", start_date=d("2025-05-02"), second_or_subsequent=True),
            ]
        )
        assert value(cells, "FY2025Q1", "activity.cp_plans_started") == 2
        assert value(cells, "FY2025Q1", "activity.cp_second_or_subsequent") == 1

    def test_a_review_on_its_due_date_is_on_time_and_the_day_after_is_not(self) -> None:
        # Start 15 January: the first review is due 15 April, the next 6 months after it.
        start = d("2025-01-15")
        cells = fold_all(
            [
                recorded("cp_plan", start_date=start, review_dates=[d("2025-04-15")], child="a"),
                recorded("cp_plan", start_date=start, review_dates=[d("2025-04-16")], child="b"),
            ]
        )
        # 30 June: both open 3 months or more; only the first held its review by its due date.
        assert value(cells, "FY2025Q1", "activity.cp_open_3m_at_end") == 2
        assert value(cells, "FY2025Q1", "activity.cp_reviews_on_time") == 1
        # 30 September: the next is due 15 October, not yet overdue.
        assert value(cells, "FY2025Q2", "activity.cp_reviews_on_time") == 1
        # 31 December: overdue since 16 October; the late one never comes back.
        assert value(cells, "FY2025Q3", "activity.cp_reviews_on_time") == 0
        assert value(cells, "FY2025Q3", "activity.cp_open_3m_at_end") == 2

    def test_a_plan_three_months_old_on_the_quarter_end_is_measured_and_on_time(self) -> None:
        cells = fold_all([recorded("cp_plan", start_date=d("2025-03-31"))])
        # 31 March + 3 months is 30 June: its first review is due on the quarter's last day.
        assert value(cells, "FY2025Q1", "activity.cp_open_3m_at_end") == 1
        assert value(cells, "FY2025Q1", "activity.cp_reviews_on_time") == 1
        assert value(cells, "FY2024Q4", "activity.cp_open_3m_at_end") == 0
        assert value(cells, "FY2025Q2", "activity.cp_reviews_on_time") == 0


class TestCare:
    def test_only_s_episodes_start_care_and_count_by_their_route(self) -> None:
        cells = fold_all(
            [
                recorded(
                    "care_episode",
                    start_date=d("2025-04-02"),
                    reason_new_episode="S",
                    route="CP_PLAN",
                    end_date=d("2025-05-01"),
                ),
                recorded(
                    "care_episode",
                    start_date=d("2025-05-01"),
                    reason_new_episode="P",
                    route="CP_PLAN",
                ),
                recorded(
                    "care_episode",
                    start_date=d("2025-06-01"),
                    reason_new_episode="S",
                    route="NONE",
                    child="b",
                ),
            ]
        )
        assert value(cells, "FY2025Q1", "activity.cla_started") == 2
        assert value(cells, "FY2025Q1", "activity.cla_routes", "CP_PLAN") == 1
        assert value(cells, "FY2025Q1", "activity.cla_routes", "NONE") == 1

    def test_a_child_counts_once_a_day_in_the_unit_of_the_episode_open(self) -> None:
        cells = fold_all(
            [
                recorded(
                    "care_episode",
                    start_date=d("2025-04-02"),
                    reason_new_episode="S",
                    end_date=d("2025-08-01"),
                ),
                recorded(
                    "care_episode",
                    start_date=d("2025-08-01"),
                    reason_new_episode="P",
                    unit=NORTH,
                    end_date=d("2026-01-10"),
                ),
            ]
        )
        for quarter, south, north in (("FY2025Q1", 1, 0), ("FY2025Q2", 0, 1), ("FY2025Q3", 0, 1)):
            assert value(cells, quarter, "activity.cla_open_at_end") == 1
            assert (
                value(cells, quarter, "activity.cla_open_at_end", unit=("area", "SOUTH")) == south
            )
            assert (
                value(cells, quarter, "activity.cla_open_at_end", unit=("area", "NORTH")) == north
            )
        assert value(cells, "FY2025Q4", "activity.cla_open_at_end") == 0

    def _three_placements(self, first_ends: date) -> dict[str, int]:
        """Placements S (to `first_ends`), P (to 1 September 2024) and P (open), read at
        31 March 2025: the 12 months to it run from 1 April 2024."""
        cells = fold_all(
            [
                recorded(
                    "care_episode",
                    start_date=d("2023-06-01"),
                    reason_new_episode="S",
                    end_date=first_ends,
                ),
                recorded(
                    "care_episode",
                    start_date=first_ends,
                    reason_new_episode="P",
                    end_date=d("2024-06-01"),
                ),
                # A change of legal status: the same placement goes on.
                recorded(
                    "care_episode",
                    start_date=d("2024-06-01"),
                    reason_new_episode="L",
                    end_date=d("2024-09-01"),
                ),
                recorded("care_episode", start_date=d("2024-09-01"), reason_new_episode="P"),
            ]
        )
        return {
            m: value(cells, "FY2024Q4", f"activity.{m}")
            for m in ("cla_open_at_end", "cla_3plus_placements_12m")
        }

    def test_a_placement_last_open_on_the_day_the_12_months_begin_counts(self) -> None:
        # Ended 2 April 2024: open on 1 April, the first day of the 12 months to 31 March.
        assert self._three_placements(d("2024-04-02")) == {
            "cla_open_at_end": 1,
            "cla_3plus_placements_12m": 1,
        }

    def test_a_placement_last_open_the_day_before_the_12_months_does_not(self) -> None:
        assert self._three_placements(d("2024-04-01")) == {
            "cla_open_at_end": 1,
            "cla_3plus_placements_12m": 0,
        }

    def test_a_child_no_longer_looked_after_is_in_neither_figure(self) -> None:
        s, p, q = d("2025-01-10"), d("2025-02-10"), d("2025-03-10")
        cells = fold_all(
            [
                recorded("care_episode", start_date=s, reason_new_episode="S", end_date=p),
                recorded("care_episode", start_date=p, reason_new_episode="P", end_date=q),
                recorded(
                    "care_episode",
                    start_date=q,
                    reason_new_episode="P",
                    end_date=d("2025-06-01"),
                ),
            ]
        )
        assert value(cells, "FY2024Q4", "activity.cla_3plus_placements_12m") == 1
        assert value(cells, "FY2025Q1", "activity.cla_open_at_end") == 0
        assert value(cells, "FY2025Q1", "activity.cla_3plus_placements_12m") == 0


class TestReviewsAndVisits:
    def test_measured_reviews_and_visits_count_by_plan_type_and_unmeasured_nowhere(
        self,
    ) -> None:
        cells = fold_all(
            [
                recorded("care_review", review_date=d("2025-05-01"), on_time=True),
                recorded("care_review", review_date=d("2025-05-02"), on_time=False),
                recorded("care_review", review_date=d("2025-05-03")),
                recorded("visit", plan_type="CP", visit_date=d("2025-05-01"), on_time=True),
                recorded("visit", plan_type="CP", visit_date=d("2025-05-09"), on_time=False),
                recorded("visit", plan_type="CLA", visit_date=d("2025-05-09"), seen=False),
            ]
        )
        assert value(cells, "FY2025Q1", "activity.cla_reviews") == 2
        assert value(cells, "FY2025Q1", "activity.cla_reviews_on_time") == 1
        assert value(cells, "FY2025Q1", "activity.visits", "CP") == 2
        assert value(cells, "FY2025Q1", "activity.visits_on_time", "CP") == 1
        assert value(cells, "FY2025Q1", "activity.visits", "CLA") == 0


class TestVersions:
    def test_a_replacement_moves_a_record_and_a_withdrawal_removes_it(self) -> None:
        first = recorded("referral", referral_date=d("2025-06-01"))
        record = record_of(first)
        moved = recorded(
            "referral", record=record, version=2, unit=NORTH, referral_date=d("2025-06-01")
        )
        gone = withdrawn("referral", record, d("2025-06-01"), version=3, unit=NORTH)
        cells = fold_all([first, moved])
        assert value(cells, "FY2025Q1", "activity.referrals", unit=("area", "NORTH")) == 1
        assert value(cells, "FY2025Q1", "activity.referrals", unit=("area", "SOUTH")) == 0
        assert not nonzero(fold_all([first, moved, gone]))

    def test_a_lower_version_after_a_higher_one_changes_nothing(self) -> None:
        record = uuid.uuid4()
        newer = recorded("cp_plan", record=record, version=2, start_date=d("2025-04-02"))
        older = recorded("cp_plan", record=record, version=1, start_date=d("2025-04-02"))
        gone = withdrawn("cp_plan", record, d("2025-04-02"), version=3)
        assert fold_all([newer, older]) == fold_all([newer])
        # A stale `recorded` after the withdrawal does not bring it back; a newer one does.
        assert not nonzero(fold_all([gone, newer, older]))
        back = recorded("cp_plan", record=record, version=4, start_date=d("2025-04-02"))
        assert value(fold_all([gone, back]), "FY2025Q1", "activity.cp_plans_started") == 1

    def test_a_withdrawn_visit_stays_withdrawn_whatever_arrives_after(self) -> None:
        visit = recorded("visit", plan_type="CIN", visit_date=d("2025-05-01"), on_time=True)
        gone = withdrawn("visit", record_of(visit), d("2025-05-01"), version=2, plan_type="CIN")
        assert value(fold_all([visit]), "FY2025Q1", "activity.visits", "CIN") == 1
        assert not nonzero(fold_all([visit, gone]))
        assert not nonzero(fold_all([gone, visit]))
