"""The return loads' answers: a load (its status, progress and counts), a page of loads, and
a page of a load's errors."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from activity_service.domain.loads import year_name

LoadStatus = Literal["QUEUED", "VALIDATING", "APPLYING", "APPLIED", "REJECTED"]
ReturnKind = Literal["CIN_CENSUS", "SSDA903", "ANNEX_A"]


class Progress(BaseModel):
    bytes_read: int = Field(description="Bytes of the files read so far while validating")
    bytes_total: int
    records_read: int = Field(
        description="Records read so far: while validating, of the file; while applying, "
        "of `records_total`"
    )
    records_total: int | None = Field(
        description="The records (and unreadable records) the files hold, known once "
        "validation has read them all"
    )


class Counts(BaseModel):
    accepted: int
    unchanged: int
    withdrawn: int
    rejected: int
    warnings: int


class StoredPart(BaseModel):
    bytes: int
    media_type: str


class LoadOut(BaseModel):
    id: uuid.UUID
    kind: ReturnKind
    year: str = Field(examples=["FY2025"])
    status: LoadStatus
    progress: Progress
    counts: Counts
    files: dict[str, StoredPart]
    attempts: int = Field(description="Runs begun (more than one: the service restarted)")
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None


class LoadPage(BaseModel):
    items: list[LoadOut]
    next_cursor: str | None


class LoadError(BaseModel):
    severity: Literal["error", "warning"]
    location: str = Field(examples=["/Message/Children/Child[12]/CINdetails[2]"])
    field: str | None
    rule: str
    message: str


class LoadErrorPage(BaseModel):
    items: list[LoadError]
    next_cursor: str | None


def load_out(row: Any) -> dict[str, Any]:
    return {
        "id": str(row["id"]),
        "kind": row["kind"],
        "year": year_name(row["year"]),
        "status": row["status"],
        "progress": {
            "bytes_read": row["bytes_read"],
            "bytes_total": row["bytes_total"],
            "records_read": row["records_read"],
            "records_total": row["records_total"],
        },
        "counts": {
            name: row[name]
            for name in ("accepted", "unchanged", "withdrawn", "rejected", "warnings")
        },
        "files": row["parts"],
        "attempts": row["attempts"],
        "created_at": row["created_at"].isoformat(),
        "updated_at": row["updated_at"].isoformat(),
        "finished_at": row["finished_at"].isoformat() if row["finished_at"] else None,
    }


def error_out(row: Any) -> dict[str, Any]:
    return {
        "severity": row["severity"],
        "location": row["location"],
        "field": row["field"],
        "rule": row["rule"],
        "message": row["message"],
    }
