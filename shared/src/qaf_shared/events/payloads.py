"""The base of every event payload, and the parts they share.

Payloads carry structured facts only (ids, org unit, dates, enums, grades, counts): no free
text and no names ever go into an event. Within a `.v1` type only optional fields are
added; consumers ignore unknown fields."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Payload(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class OrgUnitRef(Payload):
    """The resolved org unit, so that reporting never needs a lookup."""

    area: str | None = None
    district: str | None = None
    team: str | None = None
    service: str | None = None
