"""The DfE code lists by collection year (domain/codes.py)."""

from __future__ import annotations

from activity_service.domain.codes import BY_YEAR, CURRENT, LISTS_2022, LISTS_2024, lists_for
from activity_service.domain.kinds import FACTS, Kind


def test_the_current_lists_hold_the_handbooks_codes() -> None:
    assert CURRENT is LISTS_2024
    assert (
        len(CURRENT.referral_source) == 22 and {"1A", "3F", "5D", "10"} <= CURRENT.referral_source
    )
    assert CURRENT.primary_need == {f"N{i}" for i in range(1, 10)}
    assert CURRENT.closure_reason == {f"RC{i}" for i in range(1, 10)}
    assert CURRENT.abuse_category == {"NEG", "PHY", "SAB", "EMO", "MUL"}
    assert CURRENT.reason_new_episode == set("SLPTBU")
    assert CURRENT.cin_category == {f"N{i}" for i in range(1, 9)}
    assert "X1" in CURRENT.reason_ceased
    assert CURRENT.pn_code == {f"PN{i}" for i in range(8)}
    assert CURRENT.visit_plan_type == {"CIN", "CP", "CLA"}


def test_a_year_takes_its_own_lists_or_those_of_the_latest_year_before_it() -> None:
    assert "5D" not in LISTS_2022.referral_source and "RC9" not in LISTS_2022.closure_reason
    assert lists_for(2022) is LISTS_2022
    assert lists_for(2023) is LISTS_2022
    assert lists_for(2024) is LISTS_2024
    assert lists_for(2031) is LISTS_2024
    assert lists_for(2015) is LISTS_2022
    assert set(BY_YEAR) == {2022, 2024}


def test_every_coded_fact_names_a_fact_of_its_kind() -> None:
    coded = [(kind, fact) for kind in Kind for fact in FACTS[kind] if CURRENT.for_fact(kind, fact)]
    assert (Kind.ASSESSMENT, "factors") in coded and (Kind.VISIT, "plan_type") in coded
    assert len(coded) == 12
    assert CURRENT.for_fact(Kind.REFERRAL, "referral_date") is None
