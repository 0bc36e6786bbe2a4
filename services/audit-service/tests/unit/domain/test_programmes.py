from __future__ import annotations

from datetime import date

import pytest

from audit_service.domain.programmes import (
    is_period,
    kind_errors,
    programme_is_overdue,
    scope_errors,
    within_scope,
)
from qaf_shared.enums import ProgrammeKind
from qaf_shared.events.payloads import OrgUnitRef
from qaf_shared.org_units import TenantUnits


@pytest.mark.parametrize("period", ["2026-04", "2026-12", "FY2026Q1", "FY2025Q4"])
def test_a_period_is_a_month_or_a_financial_quarter(period: str) -> None:
    assert is_period(period)


@pytest.mark.parametrize("period", ["2026-13", "2026-00", "2026-4", "FY2026Q5", "Q1", ""])
def test_anything_else_is_no_period(period: str) -> None:
    assert not is_period(period)


def test_a_themed_programme_states_theme_and_hypothesis_and_an_area_one_its_area() -> None:
    assert [
        f for f, _ in kind_errors(ProgrammeKind.THEMED, theme=None, hypothesis=None, area=None)
    ] == [
        "body.theme",
        "body.hypothesis",
    ]
    assert kind_errors(ProgrammeKind.THEMED, theme="Neglect", hypothesis="h", area=None) == []
    assert [
        f for f, _ in kind_errors(ProgrammeKind.AREA, theme=None, hypothesis=None, area=None)
    ] == ["body.area"]
    assert kind_errors(ProgrammeKind.MONTHLY, theme=None, hypothesis=None, area=None) == []


def test_an_audit_is_within_a_programmes_scope_by_area_district_or_service() -> None:
    ashford = OrgUnitRef(area="SOUTH", district="ASHFORD", team="ASH-CP1")
    fostering = OrgUnitRef(service="FOSTERING")
    assert within_scope(ashford, area=None, district=None, service=None)
    assert within_scope(ashford, area="SOUTH", district=None, service=None)
    assert not within_scope(ashford, area="NORTH", district=None, service=None)
    assert within_scope(ashford, area="SOUTH", district="ASHFORD", service=None)
    assert not within_scope(ashford, area="SOUTH", district="DOVER", service=None)
    assert within_scope(fostering, area=None, district=None, service="FOSTERING")
    assert not within_scope(ashford, area=None, district=None, service="FOSTERING")


UNITS = TenantUnits(
    tenant="t",
    name="T",
    areas={"NORTH": {"N1": ("TEAM_A",)}, "SOUTH": {"S1": ("TEAM_B",)}},
    services=("FOSTERING",),
)


def test_a_scope_names_units_of_the_tenant_and_a_district_of_its_area() -> None:
    assert scope_errors(UNITS, area="NORTH", district="N1", service=None) == []
    assert scope_errors(UNITS, area=None, district=None, service="FOSTERING") == []
    assert scope_errors(UNITS, area="N1", district="S1", service=None) == [
        ("body.area", "unknown area 'N1' for tenant t"),
        ("body.district", "not a district of N1"),
    ]
    assert scope_errors(UNITS, area="NORTH", district="S1", service=None) == [
        ("body.district", "not a district of NORTH"),
    ]
    assert scope_errors(UNITS, area=None, district="TEAM_A", service="NORTH") == [
        ("body.district", "unknown district 'TEAM_A' for tenant t"),
        ("body.service", "unknown service 'NORTH' for tenant t"),
        ("body.service", "a programme covers a service or an area, not both"),
    ]


@pytest.mark.parametrize(
    ("by_status", "today", "overdue"),
    [
        ({"SCHEDULED": 1}, date(2026, 5, 1), True),
        ({"IN_PROGRESS": 2, "CLOSED": 3}, date(2026, 5, 1), True),
        ({"SCHEDULED": 1}, date(2026, 4, 30), False),  # due today: not yet overdue
        ({"SUBMITTED": 1, "CLOSED": 1, "CANCELLED": 1}, date(2026, 5, 1), False),
        ({}, date(2026, 5, 1), False),
    ],
)
def test_a_programme_is_overdue_past_its_due_date_with_audits_unsubmitted(
    by_status: dict[str, int], today: date, overdue: bool
) -> None:
    assert programme_is_overdue(date(2026, 4, 30), by_status, today) is overdue
