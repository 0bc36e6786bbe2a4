from __future__ import annotations

import pytest

from audit_service.domain.programmes import is_period, kind_errors, within_scope
from qaf_shared.enums import ProgrammeKind
from qaf_shared.events.payloads import OrgUnitRef


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
