"""The field types and the base of request bodies that every write service shares.

The OpenAPI component schemas are built from these, so a change here changes every service's
contract (tests/test_contracts.py)."""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field

from qaf_shared.http.auth import ACTOR_PATTERN

CaseRef = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9/\-_.]+$")]
"""A case reference of the case-management system: stored, never logged or put in an event."""
StaffId = Annotated[str, Field(pattern=ACTOR_PATTERN)]
"""A staff id (an auditor, a raiser, an owner): the same form as the `X-Actor` header."""

CASE_RECORD_FIELDS = ("id", "version", "case_ref", "area", "district", "team", "service")
"""What an answer about a case-level record begins with, as stored: its id and version, the
child's case and the org unit it is stored with (`qaf_shared.migrations.CASE_RECORD_COLUMNS_V1`)."""


class Strict(BaseModel):
    """A request body: unknown fields are refused, so a typo does not pass silently."""

    model_config = ConfigDict(extra="forbid")

    @classmethod
    def read_json(cls, raw: bytes) -> Self:
        """The body from its raw JSON, as `model_validate_json` reads it (the model, or its
        ValidationError), which is what this does; a body whose fields its route checks
        again may read them here in one pass instead (activity-service's batch).
        `qaf_shared.http.creates.CreateRoute` reads a body with it."""
        return cls.model_validate_json(raw)
