"""Each write service's main create: its package, path, the scope it needs, a valid body and
the projection kind reporting-service files its events under."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any


@dataclass(frozen=True)
class Write:
    service: str  # audit-service
    package: str  # audit_service
    path: str
    scope: str
    baseline_kind: str  # bench/baseline.py's BENCH_BASELINE_KIND
    fact_kind: str  # reporting-service's facts.kind for the created aggregate

    def body(self) -> dict[str, Any]:
        today = date.today()
        bodies: dict[str, dict[str, Any]] = {
            "audit": {
                "case_ref": "CASE-B1",
                "team": "ASH-CP1",
                "plan_type": "CP",
                "auditor": "tm-1",
                "due_date": (today + timedelta(days=30)).isoformat(),
            },
            "escalation": {
                "case_ref": "CASE-B2",
                "team": "ASH-CP1",
                "plan_type": "CIC",
                "raised_by": "iro-7",
                "raised_by_role": "IRO",
                "categories": ["DRIFT_DELAY", "PERMANENCE_PLANNING"],
                "summary": "The permanence plan has drifted for months.",
                "desired_outcome": "A permanence planning meeting within 10 days.",
            },
            "feedback": {
                "source": "CP_CONFERENCE",
                "respondent": "PARENT",
                "conference_type": "INITIAL",
                "case_ref": "CASE-B3",
                "team": "ASH-CP1",
                "received_on": today.isoformat(),
                "answers": {"felt_listened_to": 4, "understood_plan": 2},
                "comment": "the chair was kind",
            },
        }
        return bodies[self.baseline_kind]


WRITES = [
    Write("audit-service", "audit_service", "/v1/audits", "audits:write", "audit", "audit"),
    Write(
        "escalation-service",
        "escalation_service",
        "/v1/escalations",
        "escalations:write",
        "escalation",
        "escalation",
    ),
    Write(
        "feedback-service",
        "feedback_service",
        "/v1/feedback",
        "feedback:write",
        "feedback",
        "feedback",
    ),
]
