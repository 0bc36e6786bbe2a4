"""The base of every event payload, and the parts they share.

Payloads carry structured facts only (ids, org unit, dates, enums, grades, counts): no free
text and no names ever go into an event. Within a `.v1` type only optional fields are
added; consumers ignore unknown fields."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, TypedDict

from pydantic import BaseModel, ConfigDict


class Payload(BaseModel):
    """An event's payload model. Each event's class names its CloudEvents type in
    `event_type`, the one place a type string is written; a ClassVar, so it is no field and
    the payload's schema does not show it."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    event_type: ClassVar[str]


class UnitColumns(TypedDict):
    """The four columns every write service stores a record's org unit in."""

    area: str | None
    district: str | None
    team: str | None
    service: str | None


class OrgUnitRef(Payload):
    """The resolved org unit, so that reporting never needs a lookup."""

    area: str | None = None
    district: str | None = None
    team: str | None = None
    service: str | None = None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> OrgUnitRef:
        """The org unit a stored row was resolved to (its `area`, `district`, `team` and
        `service` columns): every write service stores the same four."""
        return cls(
            area=row["area"], district=row["district"], team=row["team"], service=row["service"]
        )

    def columns(self) -> UnitColumns:
        """The four columns a row stores the unit in (what `from_row` reads back)."""
        return {
            "area": self.area,
            "district": self.district,
            "team": self.team,
            "service": self.service,
        }


_UNIT_COLUMNS = ("area", "district", "team", "service")


def unit_json(row: Mapping[str, Any]) -> dict[str, str]:
    """The org unit a stored row was resolved to, in its JSON form: what
    `OrgUnitRef.from_row(row)` dumps (`mode="json", exclude_none=True`), built without the
    model, for producers that build their events straight in their JSON form."""
    return {name: row[name] for name in _UNIT_COLUMNS if row[name] is not None}
