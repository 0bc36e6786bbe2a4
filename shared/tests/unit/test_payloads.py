"""The org unit an event carries is read from the stored row the same way in every service."""

from __future__ import annotations

from qaf_shared.events.payloads import OrgUnitRef


def test_a_rows_unit_is_its_four_unit_columns_and_nothing_else() -> None:
    row = {"id": 7, "area": "SOUTH", "district": "ASHFORD", "team": "ASH-CP1", "service": None}
    assert OrgUnitRef.from_row(row) == OrgUnitRef(area="SOUTH", district="ASHFORD", team="ASH-CP1")


def test_a_county_wide_rows_unit_is_its_service() -> None:
    row = {"area": None, "district": None, "team": None, "service": "FOSTERING"}
    assert OrgUnitRef.from_row(row).model_dump() == {
        "area": None,
        "district": None,
        "team": None,
        "service": "FOSTERING",
    }


def test_a_unit_is_stored_in_the_four_columns_it_is_read_back_from() -> None:
    unit = OrgUnitRef(area="SOUTH", district="ASHFORD", team="ASH-CP1")
    assert unit.columns() == {
        "area": "SOUTH",
        "district": "ASHFORD",
        "team": "ASH-CP1",
        "service": None,
    }
    assert OrgUnitRef.from_row({"id": 7, **unit.columns()}) == unit
