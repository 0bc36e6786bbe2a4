"""What every use case shares: the 422 builder, the resource shapes callers see."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date
from typing import Any

import asyncpg

from audit_service.api.schemas.actions import ActionOut, ConcernOut
from audit_service.api.schemas.audits import AuditOut
from audit_service.domain.actions import action_is_overdue
from audit_service.domain.audits import is_overdue
from qaf_shared.enums import ActionStatus, AuditStatus
from qaf_shared.http.problems import Problem


def invalid(errors: list[tuple[str, str]]) -> Problem:
    """A 422 naming every bad field."""
    fields = ", ".join(field for field, _ in errors)
    return Problem(
        422,
        f"Invalid fields: {fields}",
        slug="validation",
        errors=[{"field": f, "message": m, "type": "value_error"} for f, m in errors],
    )


def audit_out(row: Mapping[str, Any], on: date) -> dict[str, Any]:
    """The audit as callers see it (derived fields included), checked by its model."""
    selected = row["moderation_selected"]
    body = {
        **{k: row[k] for k in _AUDIT_FIELDS},
        "template": {"id": row["template_id"], "version": row["template_version"]},
        "overdue": is_overdue(AuditStatus(row["status"]), row["due_date"], on),
        "answers": row["answers"] or {},
        "section_grades": row["section_grades"] or {},
        "themes": row["themes"] or [],
        "submission_number": row["submission_count"],
        "peer_reviews": row["peer_reviews"] or [],
        "moderation_selection": None
        if selected is None
        else {
            "selected": selected,
            "seed": row["moderation_seed"],
            "draw": row["moderation_draw"],
            "rate": row["moderation_rate"],
            "decided_on": row["moderation_decided_on"],
        },
        "moderation": None
        if row["moderated_grade"] is None
        else {
            "moderator": row["moderator"],
            "grade_before": row["grade_before_moderation"],
            "grade": row["moderated_grade"],
            "rationale": row["moderation_rationale"],
            "moderated_on": row["moderated_on"],
        },
        "safeguarding_concern": row["safeguarding_concerns"] > 0,
    }
    return AuditOut.model_validate(body).model_dump(mode="json")


_AUDIT_FIELDS = (
    "id",
    "version",
    "case_ref",
    "area",
    "district",
    "team",
    "service",
    "plan_type",
    "auditor",
    "due_date",
    "programme_id",
    "kind",
    "status",
    "overall_grade",
    "final_grade",
    "child_voice_evident",
    "commentary",
    "submitted_on",
    "returned_on",
    "peer_reviewer",
    "moderation_selected",
    "moderator",
    "safeguarding_concerns",
    "closed_on",
    "cancelled_on",
    "created_at",
    "updated_at",
)


def action_out(row: asyncpg.Record, on: date) -> dict[str, Any]:
    body = {
        **dict(row),
        "overdue": action_is_overdue(ActionStatus(row["status"]), row["due_date"], on),
    }
    return ActionOut.model_validate(body).model_dump(mode="json")


def concern_out(row: asyncpg.Record) -> dict[str, Any]:
    return ConcernOut.model_validate(dict(row)).model_dump(mode="json")


def new_id() -> uuid.UUID:
    return uuid.uuid4()
