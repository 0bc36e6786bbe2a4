"""The facts derived from a child's history (docs/activity.md, "Derived facts"): each rule and
its edges, on hand-built histories. The property tests are in test_history_properties.py."""

from __future__ import annotations

import uuid
from datetime import date

from activity_service.domain.history import HistoryRecord, derive
from activity_service.domain.kinds import KEY_DATE, Kind


def record(kind: Kind, day: date, **facts: object) -> HistoryRecord:
    return HistoryRecord(str(uuid.uuid4()), kind, day, {KEY_DATE[kind]: day, **facts})


def referral(day: date, closure_date: date | None = None) -> HistoryRecord:
    return record(Kind.REFERRAL, day, closure_date=closure_date)


def plan(
    day: date, end_date: date | None = None, previous_plans: int | None = None
) -> HistoryRecord:
    return record(Kind.CP_PLAN, day, end_date=end_date, previous_plans=previous_plans)


def episode(day: date, reason: str, end_date: date | None = None) -> HistoryRecord:
    return record(Kind.CARE_EPISODE, day, reason_new_episode=reason, end_date=end_date)


def review(day: date) -> HistoryRecord:
    return record(Kind.CARE_REVIEW, day, pn_code="PN1")


def visit(day: date, plan_type: str, seen: bool | None = True) -> HistoryRecord:
    return record(Kind.VISIT, day, plan_type=plan_type, seen=seen)


def fact(history: list[HistoryRecord], of: HistoryRecord, name: str, **options: int) -> object:
    return derive(history, **options)[of.id][name]


def timeliness(
    history: list[HistoryRecord], of: HistoryRecord, **options: int
) -> tuple[object, object]:
    derived = derive(history, **options)[of.id]
    return derived["due_date"], derived["on_time"]


# Re-referrals within 12 months


def test_a_childs_first_referral_is_not_a_re_referral() -> None:
    first = referral(date(2026, 5, 1))
    assert fact([first], first, "re_referral_12m") is False


def test_a_referral_on_the_same_day_a_year_after_an_earlier_one_is_a_re_referral() -> None:
    earlier, later = referral(date(2025, 6, 10)), referral(date(2026, 6, 10))
    assert fact([earlier, later], later, "re_referral_12m") is True
    assert fact([earlier, later], earlier, "re_referral_12m") is False


def test_a_referral_a_year_and_a_day_after_the_last_is_not_a_re_referral() -> None:
    earlier, later = referral(date(2025, 6, 9)), referral(date(2026, 6, 10))
    assert fact([earlier, later], later, "re_referral_12m") is False


def test_a_year_before_29_february_reaches_back_to_28_february() -> None:
    later = referral(date(2028, 2, 29))
    on_the_28th, on_the_27th = referral(date(2027, 2, 28)), referral(date(2027, 2, 27))
    assert fact([on_the_28th, later], later, "re_referral_12m") is True
    assert fact([on_the_27th, later], later, "re_referral_12m") is False


def test_only_a_referral_within_the_year_makes_a_re_referral_not_one_before_it() -> None:
    old, middle, latest = (
        referral(date(2024, 1, 5)),
        referral(date(2025, 6, 1)),
        referral(date(2025, 7, 1)),
    )
    history = [latest, old, middle]
    assert fact(history, middle, "re_referral_12m") is False
    assert fact(history, latest, "re_referral_12m") is True


def test_a_late_earlier_referral_turns_a_later_one_into_a_re_referral() -> None:
    later = referral(date(2026, 3, 1))
    assert fact([later], later, "re_referral_12m") is False
    late_but_earlier = referral(date(2025, 9, 1), closure_date=date(2025, 12, 1))
    assert fact([later, late_but_earlier], later, "re_referral_12m") is True


def test_a_withdrawn_referral_leaves_the_later_one_a_first_referral_again() -> None:
    # The handler passes the child's current records only: a withdrawn one is absent.
    withdrawn, later = referral(date(2025, 9, 1)), referral(date(2026, 3, 1))
    assert fact([withdrawn, later], later, "re_referral_12m") is True
    derived = derive([later])
    assert derived == {later.id: {"re_referral_12m": False}}


# Second or subsequent CP plans


def test_a_childs_first_plan_is_second_only_when_it_counts_previous_plans() -> None:
    first = plan(date(2026, 1, 1))
    assert fact([first], first, "second_or_subsequent") is False
    counted = plan(date(2026, 1, 1), previous_plans=2)
    assert fact([counted], counted, "second_or_subsequent") is True
    none_before = plan(date(2026, 1, 1), previous_plans=0)
    assert fact([none_before], none_before, "second_or_subsequent") is False


def test_a_plan_after_an_earlier_plan_record_is_second_however_long_ago() -> None:
    first = plan(date(2015, 4, 1), end_date=date(2016, 1, 1))
    later = plan(date(2026, 1, 1), previous_plans=0)
    assert fact([later, first], later, "second_or_subsequent") is True
    assert fact([later, first], first, "second_or_subsequent") is False


def test_a_late_earlier_plan_makes_the_later_plan_second() -> None:
    later = plan(date(2026, 1, 1))
    assert fact([later], later, "second_or_subsequent") is False
    assert fact([later, plan(date(2024, 1, 1))], later, "second_or_subsequent") is True


# Routes into care

CARE_BEGINS = date(2026, 2, 10)


def test_a_child_with_a_plan_open_when_care_began_came_in_from_a_plan() -> None:
    entered = episode(CARE_BEGINS, "S")
    history = [entered, plan(date(2025, 6, 1)), referral(date(2025, 5, 1))]
    assert fact(history, entered, "route") == "CP_PLAN"


def test_a_child_with_only_a_referral_open_came_in_from_cin() -> None:
    entered = episode(CARE_BEGINS, "S")
    history = [entered, referral(date(2025, 5, 1), closure_date=date(2026, 2, 11))]
    assert fact(history, entered, "route") == "CIN"


def test_a_child_with_nothing_open_came_in_by_no_route() -> None:
    entered = episode(CARE_BEGINS, "S")
    closed = referral(date(2025, 5, 1), closure_date=date(2025, 9, 1))
    ended = plan(date(2025, 6, 1), end_date=date(2025, 12, 1))
    assert fact([entered, closed, ended], entered, "route") == "NONE"
    assert fact([entered], entered, "route") == "NONE"


def test_a_plan_ending_the_day_care_began_was_not_open_and_one_starting_that_day_was() -> None:
    entered = episode(CARE_BEGINS, "S")
    ending = plan(date(2025, 6, 1), end_date=CARE_BEGINS)
    assert fact([entered, ending], entered, "route") == "NONE"
    starting = plan(CARE_BEGINS)
    assert fact([entered, starting], entered, "route") == "CP_PLAN"


def test_a_referral_closed_the_day_care_began_was_not_open_and_one_made_that_day_was() -> None:
    entered = episode(CARE_BEGINS, "S")
    closing = referral(date(2025, 5, 1), closure_date=CARE_BEGINS)
    assert fact([entered, closing], entered, "route") == "NONE"
    same_day = referral(CARE_BEGINS)
    assert fact([entered, same_day], entered, "route") == "CIN"


def test_a_late_plan_changes_the_route_into_care() -> None:
    entered = episode(CARE_BEGINS, "S")
    history = [entered, referral(date(2025, 5, 1))]
    assert fact(history, entered, "route") == "CIN"
    late_plan = plan(date(2025, 11, 1), end_date=date(2026, 3, 1))
    assert fact([*history, late_plan], entered, "route") == "CP_PLAN"


def test_an_episode_that_continues_another_carries_the_route_care_began_by() -> None:
    # The plan ended a week after care began; the placement moved in March.
    entered = episode(CARE_BEGINS, "S", end_date=date(2026, 3, 2))
    moved = episode(date(2026, 3, 2), "P", end_date=date(2026, 6, 1))
    status = episode(date(2026, 6, 1), "L")
    history = [status, moved, entered, plan(date(2025, 6, 1), end_date=date(2026, 2, 17))]
    assert [fact(history, e, "route") for e in (entered, moved, status)] == ["CP_PLAN"] * 3


def test_an_episode_after_a_gap_is_a_new_entry_to_care_measured_on_its_own_start() -> None:
    first = episode(date(2025, 1, 6), "S", end_date=date(2025, 4, 1))
    again = episode(date(2025, 9, 1), "S")
    history = [first, again, plan(date(2024, 12, 1), end_date=date(2025, 5, 1))]
    assert fact(history, first, "route") == "CP_PLAN"
    assert fact(history, again, "route") == "NONE"


def test_an_s_episode_starting_the_day_the_last_ended_is_measured_on_its_own_start() -> None:
    first = episode(date(2025, 1, 6), "S", end_date=date(2025, 4, 1))
    again = episode(date(2025, 4, 1), "S")
    history = [first, again, referral(date(2025, 3, 1))]
    assert fact(history, first, "route") == "NONE"
    assert fact(history, again, "route") == "CIN"


# Child looked after reviews


def test_the_first_review_is_due_20_working_days_after_care_began_skipping_easter() -> None:
    # Good Friday 3 and Easter Monday 6 April 2026 are bank holidays: 20 working days after
    # 1 April is Friday 1 May.
    entered = episode(date(2026, 4, 1), "S")
    on_the_day, late = review(date(2026, 5, 1)), review(date(2026, 5, 5))
    assert timeliness([entered, on_the_day], on_the_day) == (date(2026, 5, 1), True)
    assert timeliness([entered, late], late) == (date(2026, 5, 1), False)


def test_the_second_review_is_due_3_months_after_the_first_then_6_months_apart() -> None:
    entered = episode(date(2026, 11, 2), "S")
    first = review(date(2026, 11, 30))
    second = review(date(2027, 2, 28))  # 30 November + 3 months: the last day of February
    third = review(date(2027, 8, 29))  # one day after 28 February + 6 months
    history = [third, second, first, entered]
    assert timeliness(history, first) == (date(2026, 11, 30), True)
    assert timeliness(history, second) == (date(2027, 2, 28), True)
    assert timeliness(history, third) == (date(2027, 8, 28), False)


def test_a_late_review_moves_the_next_due_date_from_when_it_was_held() -> None:
    entered = episode(date(2026, 4, 1), "S")
    first, second = review(date(2026, 6, 1)), review(date(2026, 9, 1))
    history = [entered, first, second]
    assert timeliness(history, first) == (date(2026, 5, 1), False)
    assert timeliness(history, second) == (date(2026, 9, 1), True)


def test_episodes_with_no_gap_are_one_period_of_care_for_reviews() -> None:
    entered = episode(date(2026, 4, 1), "S", end_date=date(2026, 5, 20))
    moved = episode(date(2026, 5, 20), "P")
    first, second = review(date(2026, 4, 28)), review(date(2026, 7, 28))
    history = [entered, moved, first, second]
    assert timeliness(history, second) == (date(2026, 7, 28), True)


def test_a_new_period_of_care_after_a_gap_starts_the_reviews_again() -> None:
    before = episode(date(2025, 1, 6), "S", end_date=date(2025, 6, 1))
    again = episode(date(2026, 4, 1), "S")
    earlier_review, first_again = review(date(2025, 2, 3)), review(date(2026, 4, 29))
    history = [before, again, earlier_review, first_again]
    assert timeliness(history, first_again) == (date(2026, 5, 1), True)


def test_a_review_outside_any_period_of_care_is_not_measured() -> None:
    ended = episode(date(2025, 1, 6), "S", end_date=date(2025, 6, 1))
    after, on_the_last_day = review(date(2025, 7, 1)), review(date(2025, 6, 1))
    assert timeliness([ended, after], after) == (None, None)
    assert timeliness([ended, on_the_last_day], on_the_last_day) == (None, None)
    assert timeliness([after], after) == (None, None)


def test_a_period_of_care_begun_before_the_history_does_not_measure_its_first_review() -> None:
    # The return starts mid-care: the first episode is a placement change, not `S`.
    moved = episode(date(2025, 11, 3), "P")
    first, second, third = (
        review(date(2026, 1, 5)),
        review(date(2026, 7, 5)),
        review(date(2026, 7, 6)),
    )
    history = [moved, first, second]
    assert timeliness(history, first) == (None, None)
    assert timeliness(history, second) == (date(2026, 7, 5), True)
    assert timeliness([moved, first, third], third) == (date(2026, 7, 5), False)


def test_a_review_on_the_day_care_began_is_the_first() -> None:
    entered = episode(date(2026, 4, 1), "S")
    same_day = review(date(2026, 4, 1))
    assert timeliness([entered, same_day], same_day) == (date(2026, 5, 1), True)


# Visits


def test_a_visit_at_which_the_child_was_not_seen_is_not_measured_nor_counted_as_the_one_before() -> (
    None
):
    opened = referral(date(2026, 3, 2))
    first = visit(date(2026, 3, 9), "CIN")
    not_seen, unknown = (
        visit(date(2026, 4, 1), "CIN", seen=False),
        visit(date(2026, 4, 2), "CIN", seen=None),
    )
    next_seen = visit(date(2026, 4, 20), "CIN")
    history = [opened, first, not_seen, unknown, next_seen]
    assert timeliness(history, not_seen) == (None, None)
    assert timeliness(history, unknown) == (None, None)
    # 20 working days after 9 March 2026 (Good Friday and Easter Monday in between).
    assert timeliness(history, next_seen) == (date(2026, 4, 8), False)


def test_the_first_cin_visit_is_due_20_working_days_after_the_open_referral() -> None:
    opened = referral(date(2026, 4, 1))
    first, second = visit(date(2026, 5, 1), "CIN"), visit(date(2026, 5, 29), "CIN")
    history = [opened, first, second]
    assert timeliness(history, first) == (date(2026, 5, 1), True)
    # 20 working days after 1 May, skipping the early May and spring bank holidays.
    assert timeliness(history, second) == (date(2026, 6, 2), True)


def test_the_cin_visit_interval_is_the_tenants_own() -> None:
    opened = referral(date(2026, 4, 1))
    first = visit(date(2026, 4, 20), "CIN")
    assert timeliness([opened, first], first, cin_visit_working_days=10) == (
        date(2026, 4, 17),
        False,
    )


def test_a_visit_on_the_weekend_after_its_due_date_is_late() -> None:
    # 20 working days after Sunday 23 January 2028 is Friday 18 February.
    opened = referral(date(2028, 1, 3))
    before, saturday = visit(date(2028, 1, 23), "CIN"), visit(date(2028, 2, 19), "CIN")
    assert timeliness([opened, before, saturday], saturday) == (date(2028, 2, 18), False)


def test_a_cin_visit_with_no_open_referral_is_not_measured() -> None:
    closed = referral(date(2026, 1, 5), closure_date=date(2026, 3, 1))
    orphan = visit(date(2026, 3, 2), "CIN")
    assert timeliness([closed, orphan], orphan) == (None, None)
    assert timeliness([orphan], orphan) == (None, None)


def test_a_new_referral_starts_the_cin_visits_again() -> None:
    old = referral(date(2025, 1, 6), closure_date=date(2025, 3, 1))
    old_visit = visit(date(2025, 2, 3), "CIN")
    opened = referral(date(2026, 4, 1))
    first = visit(date(2026, 4, 29), "CIN")
    history = [old, old_visit, opened, first]
    assert timeliness(history, first) == (date(2026, 5, 1), True)


def test_cp_visits_are_due_10_working_days_apart_from_the_plans_start_over_christmas() -> None:
    started = plan(date(2026, 12, 18))
    first, second = visit(date(2027, 1, 6), "CP"), visit(date(2027, 1, 21), "CP")
    history = [started, first, second]
    # 25 and 28 December 2026 and 1 January 2027 are bank holidays.
    assert timeliness(history, first) == (date(2027, 1, 6), True)
    assert timeliness(history, second) == (date(2027, 1, 20), False)
    assert timeliness(history, second, cp_visit_working_days=15) == (date(2027, 1, 27), True)


def test_a_visit_on_the_day_a_plan_starts_is_its_first_and_on_time() -> None:
    started = plan(date(2026, 6, 1))
    same_day = visit(date(2026, 6, 1), "CP")
    assert timeliness([started, same_day], same_day) == (date(2026, 6, 15), True)


def test_each_plan_type_keeps_its_own_count_of_visits() -> None:
    opened, started = referral(date(2026, 4, 1)), plan(date(2026, 6, 1))
    cin, cp = visit(date(2026, 6, 1), "CIN"), visit(date(2026, 6, 1), "CP")
    history = [opened, started, cin, cp]
    assert timeliness(history, cin) == (date(2026, 5, 1), False)
    assert timeliness(history, cp) == (date(2026, 6, 15), True)


def test_a_cp_visit_with_no_open_plan_is_not_measured() -> None:
    ended = plan(date(2026, 1, 5), end_date=date(2026, 3, 2))
    on_the_end = visit(date(2026, 3, 2), "CP")
    assert timeliness([ended, on_the_end], on_the_end) == (None, None)


def test_cla_visits_are_due_a_week_after_a_placement_then_6_weeks_apart() -> None:
    entered = episode(date(2026, 2, 2), "S")
    first, second, third = (
        visit(date(2026, 2, 9), "CLA"),
        visit(date(2026, 3, 23), "CLA"),
        visit(date(2026, 5, 5), "CLA"),
    )
    history = [entered, first, second, third]
    assert timeliness(history, first) == (date(2026, 2, 9), True)
    assert timeliness(history, second) == (date(2026, 3, 23), True)
    assert timeliness(history, third) == (date(2026, 5, 4), False)


def test_a_new_placement_restarts_the_cla_visits_and_a_legal_status_change_does_not() -> None:
    entered = episode(date(2026, 2, 2), "S", end_date=date(2026, 3, 2))
    status = episode(date(2026, 3, 2), "L", end_date=date(2026, 4, 1))
    moved = episode(date(2026, 4, 1), "T")
    first = visit(date(2026, 2, 9), "CLA")
    after_status = visit(date(2026, 3, 9), "CLA")
    after_move = visit(date(2026, 4, 8), "CLA")
    history = [entered, status, moved, first, after_status, after_move]
    assert timeliness(history, after_status) == (date(2026, 3, 23), True)
    assert timeliness(history, after_move) == (date(2026, 4, 8), True)


def test_a_placement_begun_before_the_history_does_not_measure_its_first_visit() -> None:
    status = episode(date(2025, 11, 3), "L")
    first, second = visit(date(2026, 1, 5), "CLA"), visit(date(2026, 2, 17), "CLA")
    history = [status, first, second]
    assert timeliness(history, first) == (None, None)
    assert timeliness(history, second) == (date(2026, 2, 16), False)


def test_a_cla_visit_with_the_child_not_in_care_is_not_measured() -> None:
    ended = episode(date(2026, 1, 5), "S", end_date=date(2026, 2, 1))
    after = visit(date(2026, 2, 3), "CLA")
    assert timeliness([ended, after], after) == (None, None)


# Every record


def test_every_record_gets_an_entry_and_kinds_with_no_derived_facts_an_empty_one() -> None:
    assessment = record(Kind.ASSESSMENT, date(2026, 4, 2), referral_date=date(2026, 4, 1))
    enquiry = record(Kind.S47_ENQUIRY, date(2026, 4, 3), referral_date=date(2026, 4, 1))
    opened = referral(date(2026, 4, 1))
    derived = derive([opened, assessment, enquiry])
    assert derived == {opened.id: {"re_referral_12m": False}, assessment.id: {}, enquiry.id: {}}
    assert derive([]) == {}
