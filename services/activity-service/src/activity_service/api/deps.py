"""What every activity-service route shares: who may call it, and where its settings, pool and
child keys are."""

from __future__ import annotations

from typing import Annotated

from activity_service.domain.child_key import ChildKeys
from activity_service.settings import ActivitySettings
from qaf_shared.http.app import app_state
from qaf_shared.http.auth import Principal, requires
from qaf_shared.http.creates import CreateCall, create_call
from qaf_shared.http.reads import ListCall, list_call

settings = app_state("settings", ActivitySettings)
child_keys = app_state("child_keys", ChildKeys)


Reader = Annotated[Principal, requires("activity:read")]
ReaderList = Annotated[ListCall, list_call("activity:read")]
Writer = Annotated[Principal, requires("activity:write")]
# A batch write's caller, with X-Actor and Idempotency-Key (as a create's).
WriterBatch = Annotated[CreateCall, create_call("activity:write")]
