"""The provider integration's bodies (its README, Endpoints; docs/provider-integration.md)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, ValidationError

from feedback_service.api.schemas.fields import Answers, Comment
from feedback_service.domain.feedback import PROVIDER_SOURCES, QuestionSet
from feedback_service.domain.provider import MAX_BATCH
from feedback_service.handlers.provider import BatchOutcome, ItemFields, ReadItem
from qaf_shared.enums import (
    FeedbackSource,
    ProviderTheme,
)
from qaf_shared.http.org_units import UnitChoice
from qaf_shared.http.schemas import CaseRef, Strict
from qaf_shared.rules import FieldError
from qaf_shared.text import storable

EXTERNAL_ID_PATTERN = r"^[A-Za-z0-9._:/\-]+$"
ExternalId = Annotated[
    str,
    Field(
        min_length=1,
        max_length=100,
        pattern=EXTERNAL_ID_PATTERN,
        description="The provider's own id for the item; resubmitting it never makes a second record",
    ),
]
Count = Annotated[int, Field(strict=True, ge=0, le=1_000_000)]
Quarter = Annotated[str, Field(pattern=r"^FY\d{4}Q[1-4]$", examples=["FY2026Q1"])]


class ProviderItem(UnitChoice):
    """One per-case feedback item from the commissioned provider."""

    external_id: ExternalId
    source: Literal[FeedbackSource.ADVOCACY, FeedbackSource.INDEPENDENT_VISITOR]
    case_ref: CaseRef | None = None
    received_on: date
    answers: Answers = Field(default_factory=dict)
    comment: Comment | None = None


def _inline_refs(schema: dict[str, Any]) -> dict[str, Any]:
    """A model's JSON schema with its `$defs` written in place, for embedding in OpenAPI."""
    defs = schema.pop("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return walk(defs[ref.removeprefix("#/$defs/")])
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    inlined: dict[str, Any] = walk(schema)
    return inlined


class ProviderBatch(Strict):
    """Items are checked one by one (a bad item is answered REJECTED and never loses the
    others), so the body only insists on a list of 1-500; each item's shape is documented."""

    items: list[Any] = Field(
        min_length=1,
        max_length=MAX_BATCH,
        json_schema_extra={"items": _inline_refs(ProviderItem.model_json_schema())},
    )


class ItemError(BaseModel):
    field: str
    message: str


class ProviderItemResult(BaseModel):
    index: int = Field(description="The item's position in the batch, from 0")
    external_id: str | None
    status: Literal["ACCEPTED", "DUPLICATE", "REJECTED"]
    id: uuid.UUID | None = Field(
        default=None, description="The record's id (ACCEPTED, and DUPLICATE of a stored item)"
    )
    errors: list[ItemError] | None = Field(default=None, description="Why (REJECTED)")


class ProviderBatchResult(BaseModel):
    submission_id: uuid.UUID
    accepted: int
    duplicates: int
    rejected: int
    results: list[ProviderItemResult]


class ProviderReportIn(Strict):
    quarter: Quarter
    referrals_received: Count
    children_advocated_for: Count
    issues_by_theme: dict[ProviderTheme, Count] = Field(default_factory=dict)
    outcomes_achieved: Count
    iv_matched: Count
    iv_waiting: Count


class ProviderReportOut(BaseModel):
    id: uuid.UUID
    version: int
    provider: str
    quarter: str
    referrals_received: int
    children_advocated_for: int
    issues_by_theme: dict[ProviderTheme, int]
    outcomes_achieved: int
    iv_matched: int
    iv_waiting: int
    submission_id: uuid.UUID
    created_at: datetime


class ProviderSubmissionOut(BaseModel):
    id: uuid.UUID
    kind: Literal["FEEDBACK_BATCH", "REPORT"]
    received_at: datetime
    items: int
    accepted: int
    duplicates: int
    rejected: int
    report_id: uuid.UUID | None
    quarter: str | None


class ProviderSubmissionDetail(ProviderSubmissionOut):
    results: list[ProviderItemResult]


class ProviderSubmissionPage(BaseModel):
    items: list[ProviderSubmissionOut]
    next_cursor: str | None


class ProviderReferenceOut(BaseModel):
    tenant: str
    areas: list[dict[str, Any]]
    services: list[str]
    question_sets: dict[FeedbackSource, list[str]]
    themes: list[ProviderTheme]


def _pydantic_errors(exc: ValidationError) -> list[FieldError]:
    # Field paths can hold the caller's own keys (`answers.<anything>`): made storable,
    # since the answer is kept with the submission.
    return [
        FieldError(storable(".".join(str(p) for p in err["loc"]))[:200] or "item", err["msg"])
        for err in exc.errors()
    ]


def read_item(raw: Any) -> ReadItem:
    """One item of a batch read on its own (a bad one is answered, never fails the batch)."""
    external_id = None
    if isinstance(raw, dict) and isinstance(raw.get("external_id"), str):
        external_id = storable(raw["external_id"][:100])
    if not isinstance(raw, dict):
        return ReadItem(None, None, [FieldError("item", "must be a JSON object")])
    try:
        item = ProviderItem.model_validate(raw)
    except ValidationError as exc:
        return ReadItem(external_id, None, _pydantic_errors(exc))
    fields = ItemFields(
        external_id=item.external_id,
        source=FeedbackSource(item.source),
        case_ref=item.case_ref,
        team=item.team,
        service=item.service,
        received_on=item.received_on,
        answers=dict(item.answers),
        comment=item.comment,
    )
    return ReadItem(item.external_id, fields, [])


def batch_result(outcome: BatchOutcome) -> dict[str, Any]:
    return {
        "submission_id": str(outcome.submission_id),
        "accepted": outcome.accepted,
        "duplicates": outcome.duplicates,
        "rejected": outcome.rejected,
        "results": outcome.results,
    }


def submission_out(row: Mapping[str, Any], *, detail: bool = False) -> dict[str, Any]:
    data = {
        "id": row["id"],
        "kind": row["kind"],
        "received_at": row["created_at"],
        "items": row["item_count"],
        "accepted": row["accepted"],
        "duplicates": row["duplicates"],
        "rejected": row["rejected"],
        "report_id": row["report_id"],
        "quarter": row["quarter"],
    }
    if not detail:
        return ProviderSubmissionOut.model_validate(data).model_dump(mode="json")
    # The results as they were answered (keys that did not apply are absent, not null).
    checked = ProviderSubmissionDetail.model_validate({**data, "results": row["results"]})
    return {**checked.model_dump(mode="json", exclude={"results"}), "results": row["results"]}


def report_out(row: Mapping[str, Any]) -> dict[str, Any]:
    return ProviderReportOut.model_validate(dict(row)).model_dump(mode="json")


def reference_out(units: dict[str, Any], questions: QuestionSet) -> dict[str, Any]:
    """What a provider needs to build valid items (`units`: the tenant's org units)."""
    return {
        **units,
        "question_sets": {s.value: list(questions.questions(s)) for s in sorted(PROVIDER_SOURCES)},
        "themes": [t.value for t in ProviderTheme],
    }
