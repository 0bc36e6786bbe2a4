"""What the routes depend on: who may call them (the scopes as `Annotated` aliases), the
configuration from app state, and the type of the lists' org-unit filters."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from audit_service.configuration import AuditConfiguration
from qaf_shared.http.app import app_state
from qaf_shared.http.auth import Principal, requires
from qaf_shared.http.creates import CreateCall, create_call
from qaf_shared.http.reads import ListCall, ReadCall, list_call, read_call
from qaf_shared.http.steps import StepCall, step_call

Reader = Annotated[Principal, requires("audits:read")]
Writer = Annotated[Principal, requires("audits:write")]
Moderator = Annotated[Principal, requires("audits:moderate")]
# A get's caller with X-Actor; a list's with the page's limit.
ReaderGet = Annotated[ReadCall, read_call("audits:read")]
ReaderList = Annotated[ListCall, list_call("audits:read")]
# A create's caller, with X-Actor and Idempotency-Key.
WriterCreate = Annotated[CreateCall, create_call("audits:write")]
# A lifecycle step's caller, with X-Actor, If-Match and (on a POST) Idempotency-Key.
WriterStep = Annotated[StepCall, step_call("audits:write")]
ModeratorStep = Annotated[StepCall, step_call("audits:moderate")]
WriterPatch = Annotated[StepCall, step_call("audits:write", idempotent=False)]

UnitQuery = Annotated[str | None, Query(min_length=1, max_length=64, pattern=r"^[A-Z0-9_\-]+$")]
configuration = app_state("audit_configuration", AuditConfiguration)
