"""What every escalation route shares: who may read, write and step, and the settings from app
state."""

from __future__ import annotations

from typing import Annotated

from escalation_service.settings import EscalationSettings
from qaf_shared.http.app import app_state
from qaf_shared.http.auth import Principal, requires
from qaf_shared.http.creates import CreateCall, create_call
from qaf_shared.http.reads import ListCall, ReadCall, list_call, read_call
from qaf_shared.http.steps import StepCall, step_call

Reader = Annotated[Principal, requires("escalations:read")]
Writer = Annotated[Principal, requires("escalations:write")]
# A get's caller with X-Actor; a list's with the page's limit.
ReaderGet = Annotated[ReadCall, read_call("escalations:read")]
ReaderList = Annotated[ListCall, list_call("escalations:read")]
# A create's caller: a writer, with X-Actor and Idempotency-Key.
WriterCreate = Annotated[CreateCall, create_call("escalations:write")]
# A lifecycle step's caller: a writer, with X-Actor, If-Match and Idempotency-Key.
WriterStep = Annotated[StepCall, step_call("escalations:write")]
settings = app_state("settings", EscalationSettings)
