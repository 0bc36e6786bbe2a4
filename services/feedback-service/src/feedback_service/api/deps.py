"""What every feedback-service route shares: who may call it, and where its settings and
question sets are."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Depends, Request

from feedback_service.api.rate_limit import TokenBucket, retry_after_seconds
from feedback_service.configuration import QuestionSets
from feedback_service.settings import FeedbackSettings
from qaf_shared.http.app import app_state
from qaf_shared.http.auth import Principal, requires
from qaf_shared.http.creates import CreateCall, create_call
from qaf_shared.http.problems import Problem
from qaf_shared.http.reads import ListCall, ReadCall, list_call, read_call
from qaf_shared.http.steps import StepCall, step_call

PROVIDER_PATTERN = re.compile(r"^[A-Za-z0-9._\-]{1,64}$")


settings = app_state("settings", FeedbackSettings)
question_sets = app_state("question_sets", QuestionSets)


# async: FastAPI runs a plain `def` dependency in its thread pool (a thread hop per request).
async def _provider(
    request: Request, principal: Annotated[Principal, requires("provider:submit")]
) -> Principal:
    provider = principal.provider
    if not isinstance(provider, str) or not PROVIDER_PATTERN.match(provider):
        raise Problem(403, "The token names no provider (its `provider` claim).")
    limiter: TokenBucket = request.app.state.provider_rate_limit
    wait = limiter.take(principal.client)
    if wait > 0:
        seconds = retry_after_seconds(wait)
        raise Problem(
            429,
            f"Too many requests from this client; retry after {seconds} s.",
            slug="rate-limited",
            headers={"Retry-After": str(seconds)},
        )
    return principal


# A provider's token is refused here by the shared authentication itself (it may use only
# /v1/provider), whatever scopes it carries.
StaffReader = Annotated[Principal, requires("feedback:read")]
StaffWriter = Annotated[Principal, requires("feedback:write")]
# A staff get's caller with X-Actor; a staff list's with the page's limit; a staff create's
# with X-Actor and Idempotency-Key.
StaffGet = Annotated[ReadCall, read_call("feedback:read")]
StaffList = Annotated[ListCall, list_call("feedback:read")]
StaffCreate = Annotated[CreateCall, create_call("feedback:write")]
# A complaint step's caller: a staff writer, with X-Actor, If-Match and Idempotency-Key.
StaffStep = Annotated[StepCall, step_call("feedback:write")]
ProviderClient = Annotated[Principal, Depends(_provider)]
