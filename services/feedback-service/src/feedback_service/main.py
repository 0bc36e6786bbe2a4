"""feedback-service: the voices of children, families, partners and staff, and the
commissioned advocacy provider's integration.
`uvicorn --factory feedback_service.main:create_app`."""

from __future__ import annotations

from fastapi import FastAPI

from feedback_service.api.complaints import router as complaints_router
from feedback_service.api.feedback import router as feedback_router
from feedback_service.api.participation import router as participation_router
from feedback_service.api.provider import router as provider_router
from feedback_service.api.rate_limit import TokenBucket
from feedback_service.configuration import QuestionSets
from feedback_service.settings import FeedbackSettings
from qaf_shared.http.app import WriteService


def _configured(app: FastAPI, settings: FeedbackSettings) -> None:
    app.state.question_sets = QuestionSets(settings.question_sets_file)
    app.state.provider_rate_limit = TokenBucket(
        rate=settings.provider_rate_per_second, burst=settings.provider_rate_burst
    )


SERVICE = WriteService(
    FeedbackSettings,
    title="feedback-service",
    description=(
        "Feedback, child in care review participation, complaints under the statutory "
        "children's procedure, and the commissioned advocacy provider's integration."
    ),
    routers=[feedback_router, participation_router, complaints_router, provider_router],
    setup=_configured,
)
create_app = SERVICE.create_app
