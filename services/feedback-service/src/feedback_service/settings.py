from __future__ import annotations

from pydantic import SecretStr

from qaf_shared.settings import ServiceSettings


class FeedbackSettings(ServiceSettings):
    service_name: str = "feedback-service"
    database_url: SecretStr = SecretStr(
        "postgresql://feedback_service:feedback_service@127.0.0.1:5432/feedback_service"
    )
