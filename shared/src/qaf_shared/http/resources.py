"""Small rules every resource endpoint follows: path ids, ETags and If-Match, responses."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Header
from starlette.responses import Response

from qaf_shared import jsonutil
from qaf_shared.http.problems import Problem

IfMatch = Annotated[
    str | None,
    Header(alias="If-Match", max_length=64, description="The resource's ETag; a stale one is 412."),
]


@dataclass
class StoredResponse:
    """A write's answer, as `idempotency` stores it under the request's key to give again."""

    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


def parse_id(raw: str, kind: str) -> uuid.UUID:
    """A path id; a malformed one names no record, so it is a 404 like an unknown one."""
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise not_found(kind) from None


def not_found(kind: str) -> Problem:
    return Problem(404, f"No such {kind}.")


def etag(version: int) -> str:
    return f'"{version}"'


def check_if_match(if_match: str | None, version: int, *, required: bool = False) -> None:
    if if_match is None:
        if required:
            raise Problem(428, "This update needs an If-Match header with the resource's ETag.")
        return
    if if_match.strip() not in (etag(version), f"W/{etag(version)}", "*"):
        raise Problem(412, f"The resource has changed; its current ETag is {etag(version)}.")


def resource_response(
    body: dict[str, Any], *, status: int = 200, location: str | None = None
) -> StoredResponse:
    """What a write answers: the full resource with its ETag (and Location when created).
    Its body is the resource's JSON, made once here: a write stores it under its
    Idempotency-Key and answers it, and each of the two dumped the whole resource."""
    headers = {"ETag": etag(int(body["version"]))}
    if location:
        headers["Location"] = location
    return StoredResponse(status, jsonutil.fragment(jsonutil.dumpb(body)), headers)


def json_response(
    body: Any, *, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return Response(
        jsonutil.dumpb(body), status_code=status, headers=headers, media_type="application/json"
    )


def to_response(stored: StoredResponse) -> Response:
    return json_response(stored.body, status=stored.status, headers=stored.headers)
