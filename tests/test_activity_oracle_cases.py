"""The oracle itself (activity_oracle.py) on the hand-made cases of the workload, against
figures worked out by hand from API.md's definitions: each case sits on the side of its line
the workload means it to, so the end-to-end test really exercises both sides. Its working
days are checked against England's bank holidays written out here from GOV.UK's list."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest

from . import activity_oracle as oracle
from .activity_workload import (
    Tenant,
    Units,
    corrections,
    edge_cases,
    key,
    random_child,
    state_after,
)

BANK_HOLIDAYS = {
    date(2024, 1, 1), date(2024, 3, 29), date(2024, 4, 1), date(2024, 5, 6), date(2024, 5, 27),
    date(2024, 8, 26), date(2024, 12, 25), date(2024, 12, 26),
    date(2025, 1, 1), date(2025, 4, 18), date(2025, 4, 21), date(2025, 5, 5), date(2025, 5, 26),
    date(2025, 8, 25), date(2025, 12, 25), date(2025, 12, 26),
    date(2026, 1, 1), date(2026, 4, 3), date(2026, 4, 6), date(2026, 5, 4), date(2026, 5, 25),
    date(2026, 8, 31), date(2026, 12, 25), date(2026, 12, 28),
}  # fmt: skip


def test_working_days_skip_weekends_and_england_and_wales_bank_holidays() -> None:
    day = date(2024, 1, 1)
    while day.year < 2027:
        assert oracle.is_working_day(day) == (day.weekday() < 5 and day not in BANK_HOLIDAYS), day
        day += timedelta(days=1)
    assert oracle.working_days(date(2025, 4, 17), date(2025, 4, 17)) == 0
    assert oracle.working_days(date(2025, 4, 17), date(2025, 4, 22)) == 1  # Easter between
    assert oracle.working_days(date(2024, 12, 24), date(2025, 1, 2)) == 4  # 27, 30, 31 Dec, 2 Jan


def test_months_and_one_year_before_clip_to_the_months_last_day() -> None:
    assert oracle.add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)
    assert oracle.add_months(date(2024, 11, 30), 3) == date(2025, 2, 28)
    assert oracle.one_year_before(date(2024, 2, 29)) == date(2023, 2, 28)
    assert oracle.quarter_days("FY2025Q4") == (date(2026, 1, 1), date(2026, 3, 31))
    assert oracle.previous_quarter("FY2026Q1") == "FY2025Q4"


def test_rates_round_half_up_and_are_z_with_nothing_to_count() -> None:
    assert oracle.pct(1, 16) == 6.3  # 6.25
    assert oracle.pct(2, 3) == 66.7
    assert oracle.pct(0, 0) == "z"
    assert oracle.median([40, 31]) == 35.5
    assert oracle.median([]) == "z"


@pytest.fixture(scope="module")
def cases() -> dict[str, oracle.Child]:
    tenant = Tenant(Units.load("886"))
    edge_cases(tenant)
    return oracle.children_of(oracle.parse(r) for r in state_after(tenant.records).values())


def _later(child: oracle.Child, kind: str) -> oracle.Record:
    return getattr(child, kind)[-1]  # type: ignore[no-any-return]


def test_re_referrals_on_both_sides_of_the_one_year_line(cases: dict[str, oracle.Child]) -> None:
    expected = [True, False, True, False, True, False]
    got = [
        oracle.is_re_referral(cases[f"RR-{n}"], _later(cases[f"RR-{n}"], "referrals"))
        for n in range(6)
    ]
    assert got == expected


def test_assessments_around_bank_holidays_on_both_sides_of_45_working_days(
    cases: dict[str, oracle.Child],
) -> None:
    days = [
        oracle.working_days(a.date("referral_date"), a.date("authorised_date"))  # type: ignore[arg-type]
        for n in range(6)
        for a in cases[f"AS-{n}"].assessments
    ]
    assert days == [45, 45, 46, 45, 46, 49]


def test_icpcs_before_on_day_15_and_on_day_16(cases: dict[str, oracle.Child]) -> None:
    enquiries = [cases[f"IC-{n}"].s47s[0] for n in range(3)]
    assert enquiries[0].date("icpc_date") < enquiries[0].date("start_date")  # type: ignore[operator]
    assert [
        oracle.working_days(s.date("start_date"), s.date("icpc_date")) for s in enquiries[1:]
    ] == [15, 16]  # type: ignore[arg-type]


def test_second_plans_and_plans_of_730_days(cases: dict[str, oracle.Child]) -> None:
    seconds = [
        oracle.is_second_plan(cases[f"CP-{n}"], _later(cases[f"CP-{n}"], "plans")) for n in range(3)
    ]
    assert seconds == [True, True, False]
    for quarter in ("FY2025Q4", "FY2026Q1"):
        end = oracle.quarter_days(quarter)[1]
        ages = [
            (end - cases[f"P2-{quarter}-{n}"].plans[0].date("start_date")).days for n in range(2)
        ]  # type: ignore[operator]
        assert ages == [730, 729]
        due_on_time = [
            oracle.cp_reviews_on_time(cases[f"PR-{quarter}-{n}"].plans[0], end) for n in range(2)
        ]
        assert due_on_time == [True, False]
        held_on_time = [
            oracle.cp_reviews_on_time(cases[f"PH-{quarter}-{n}"].plans[0], end) for n in range(2)
        ]
        assert held_on_time == [True, False]


def test_placements_across_the_12_month_line(cases: dict[str, oracle.Child]) -> None:
    # S+L, then P+U, then T or B: three placements; the first ends on 1 January 2025 (open
    # last on 31 December 2024) or on 2 January 2025 (open on 1 January 2025).
    assert [len(oracle.placements(cases[f"PL-{n}"])) for n in range(2)] == [3, 3]
    assert [
        oracle.placements_in_12_months(cases[f"PL-{n}"], date(2025, 12, 31)) for n in range(2)
    ] == [2, 3]


def test_reviews_and_visits_on_the_day_they_fall_due_and_the_day_after(
    cases: dict[str, oracle.Child],
) -> None:
    on_time = [
        [oracle.review_on_time(c, r) for r in c.reviews] for c in (cases["PL-0"], cases["PL-1"])
    ]
    assert on_time[0][:2] == [True, True] and on_time[1][:2] == [False, False]
    for prefix, plan_type in (("VP", "CP"), ("VC", "CIN"), ("PL", "CLA")):
        for n, expected in enumerate((True, False)):
            child = cases[f"{prefix}-{n}"]
            measured = [
                oracle.visit_on_time(child, v)
                for v in child.visits
                if v.facts["plan_type"] == plan_type
            ]
            seen = 3 if plan_type == "CLA" else 2  # VC's unseen visit is measured in nothing
            assert [m for m in measured if m is not None] == [expected] * seen, (prefix, n)


def test_routes_into_care(cases: dict[str, oracle.Child]) -> None:
    day = date(2025, 7, 14)
    assert [oracle.route(cases[f"RT-{n}"], day) for n in range(4)] == [
        "CP_PLAN",
        "CIN",
        "CIN",
        "NONE",
    ]


def test_the_corrections_change_the_derived_facts_they_should() -> None:
    tenant = Tenant(Units.load("886"))
    edge_cases(tenant)
    for n in range(120):  # the corrections sample random children too
        random_child(tenant, random.Random(n), f"C-{n:04d}")
    corrections(tenant, random.Random(1))
    held = state_after([*tenant.records, *tenant.late, *tenant.replaced])
    for record in tenant.withdrawn:
        del held[key(record)]
    after = oracle.children_of(oracle.parse(r) for r in held.values())
    assert oracle.is_re_referral(after["RR-1"], after["RR-1"].referrals[1])  # 28/2/24: 15/3/23
    assert not oracle.is_re_referral(after["RR-0"], after["RR-0"].referrals[0])  # first gone
    assert oracle.is_second_plan(after["CP-2"], after["CP-2"].plans[-1])
    assert oracle.route(after["RT-3"], date(2025, 7, 14)) == "CP_PLAN"
    assert after["IC-1"].s47s == []
    late_visit = [v for v in after["VC-1"].visits if v.facts["seen"]]
    assert [oracle.visit_on_time(after["VC-1"], v) for v in late_visit] == [False, True, True]
