from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr

from qaf_shared.settings import ServiceSettings

DEFAULT_QUESTION_SETS = Path(__file__).parent / "config" / "question_sets.yaml"


class FeedbackSettings(ServiceSettings):
    service_name: str = "feedback-service"
    database_url: SecretStr = SecretStr(
        "postgresql://feedback_service_app:feedback_service_app@127.0.0.1:5432/feedback_service"
    )
    # The question ids each tenant asks per feedback source (QA_QUESTION_SETS_FILE).
    question_sets_file: Path = DEFAULT_QUESTION_SETS
    # The provider integration's rate limit per client (token sub), per replica: a steady
    # rate in requests per second and the burst a client may save up.
    provider_rate_per_second: float = Field(default=2.0, gt=0)
    provider_rate_burst: int = Field(default=20, ge=1)
