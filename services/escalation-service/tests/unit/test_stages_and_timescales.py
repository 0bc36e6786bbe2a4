"""Stage order, due dates in working days (weekends and E&W bank holidays excluded) and the
20-working-day limit for the formal stages together."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from escalation_service.domain.stages import ADDRESSEE, AddresseeRole, is_formal, next_stage, rank
from escalation_service.domain.timescales import (
    Timescales,
    formal_deadline,
    formal_limit_breached,
    stage_due_date,
)
from qaf_shared.enums import EscalationStage
from qaf_shared.working_days import is_working_day, working_days_between

G = EscalationStage
DEFAULT = Timescales()


def test_stages_go_up_in_the_domains_order() -> None:
    order = [G.INFORMAL, G.TEAM_MANAGER, G.SERVICE_MANAGER, G.HEAD_OF_SERVICE, G.DIRECTOR]
    assert [rank(s) for s in order] == [0, 1, 2, 3, 4]
    walked = [G.INFORMAL]
    while (after := next_stage(walked[-1])) is not None:
        assert rank(after) == rank(walked[-1]) + 1
        walked.append(after)
    assert walked == order


def test_only_informal_is_not_formal() -> None:
    assert [s for s in EscalationStage if not is_formal(s)] == [G.INFORMAL]


def test_each_stage_has_an_addressee() -> None:
    assert ADDRESSEE[G.INFORMAL] is AddresseeRole.SOCIAL_WORKER_OR_TEAM_MANAGER
    assert ADDRESSEE[G.DIRECTOR] is AddresseeRole.DIRECTOR
    assert set(ADDRESSEE) == set(EscalationStage)


class TestDueDates:
    def test_raised_the_thursday_before_easter_2026_skips_good_friday_and_easter_monday(
        self,
    ) -> None:
        # 2 April 2026 is a Thursday; 3 April is Good Friday, 6 April Easter Monday.
        thursday = date(2026, 4, 2)
        assert stage_due_date(G.INFORMAL, thursday, DEFAULT) == date(2026, 4, 13)
        assert stage_due_date(G.TEAM_MANAGER, thursday, DEFAULT) == date(2026, 4, 13)

    def test_a_stage_opened_on_friday_is_due_the_next_friday(self) -> None:
        assert stage_due_date(G.SERVICE_MANAGER, date(2026, 5, 15), DEFAULT) == date(2026, 5, 22)

    def test_a_stage_opened_on_a_saturday_counts_from_monday(self) -> None:
        assert stage_due_date(G.TEAM_MANAGER, date(2026, 5, 16), DEFAULT) == date(2026, 5, 22)

    def test_christmas_boxing_day_substitute_and_new_year_are_skipped(self) -> None:
        # From Wed 23 Dec 2026: Thu 24 (1); Christmas (Fri), the weekend and Boxing Day's
        # substitute (Mon 28) off; 29, 30, 31 (2-4); New Year's Day (Fri), weekend; Mon 4 (5).
        assert stage_due_date(G.TEAM_MANAGER, date(2026, 12, 23), DEFAULT) == date(2027, 1, 4)

    def test_the_chair_sets_the_informal_due_date(self) -> None:
        chosen = date(2026, 4, 20)
        assert stage_due_date(G.INFORMAL, date(2026, 4, 2), DEFAULT, chair_due_date=chosen) == (
            chosen
        )
        with pytest.raises(ValueError):
            stage_due_date(G.TEAM_MANAGER, date(2026, 4, 2), DEFAULT, chair_due_date=chosen)

    def test_timescales_are_configurable_per_stage(self) -> None:
        slower = Timescales(informal_days=3, formal_stage_days=10, stage_days={G.DIRECTOR: 15})
        opened = date(2026, 6, 1)  # a Monday
        assert stage_due_date(G.INFORMAL, opened, slower) == date(2026, 6, 4)
        assert stage_due_date(G.HEAD_OF_SERVICE, opened, slower) == date(2026, 6, 15)
        assert stage_due_date(G.DIRECTOR, opened, slower) == date(2026, 6, 22)

    @given(
        opened=st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31)),
        stage=st.sampled_from(list(EscalationStage)),
        days=st.integers(min_value=1, max_value=30),
    )
    def test_a_due_date_is_a_working_day_exactly_n_working_days_on(
        self, opened: date, stage: EscalationStage, days: int
    ) -> None:
        timescales = Timescales(informal_days=days, formal_stage_days=days)
        due = stage_due_date(stage, opened, timescales)
        assert is_working_day(due)
        assert working_days_between(opened, due) == days
        assert due - opened <= timedelta(days=days * 2 + 10)


class TestFormalLimit:
    def test_the_deadline_is_twenty_working_days_after_the_first_formal_stage(self) -> None:
        # From Thursday 2 April 2026: Good Friday and Easter Monday and the May Day bank
        # holiday (4 May) are not counted.
        assert formal_deadline(date(2026, 4, 2), DEFAULT) == date(2026, 5, 5)
        assert working_days_between(date(2026, 4, 2), date(2026, 5, 5)) == 20

    def test_the_limit_is_configurable(self) -> None:
        assert formal_deadline(date(2026, 6, 1), Timescales(formal_limit_days=10)) == date(
            2026, 6, 15
        )

    def test_nothing_is_breached_before_a_formal_stage(self) -> None:
        assert not formal_limit_breached(None, None, date(2030, 1, 1))

    def test_an_open_escalation_breaches_the_day_after_its_deadline(self) -> None:
        deadline = date(2026, 5, 5)
        assert not formal_limit_breached(deadline, None, deadline)
        assert formal_limit_breached(deadline, None, date(2026, 5, 6))

    def test_a_closed_escalation_is_judged_by_its_closing_date(self) -> None:
        deadline = date(2026, 5, 5)
        assert not formal_limit_breached(deadline, date(2026, 5, 5), date(2026, 9, 1))
        assert formal_limit_breached(deadline, date(2026, 5, 6), date(2026, 9, 1))

    def test_a_closing_after_the_as_of_date_is_not_yet_known(self) -> None:
        deadline = date(2026, 5, 5)
        assert not formal_limit_breached(deadline, date(2026, 5, 20), date(2026, 5, 4))
