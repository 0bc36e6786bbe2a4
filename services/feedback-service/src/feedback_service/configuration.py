"""This service's configuration beyond its settings: the tenants' question sets, read once at
start-up from YAML (`config/question_sets.yaml` unless QA_QUESTION_SETS_FILE names another)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from feedback_service.domain.feedback import QuestionSet
from qaf_shared.enums import FeedbackSource

QUESTION_ID_PATTERN = r"^[a-z][a-z0-9_]{0,63}$"


def _question_set(raw: dict[str, Any], where: str) -> QuestionSet:
    by_source: dict[FeedbackSource, tuple[str, ...]] = {}
    for source, questions in (raw or {}).items():
        try:
            key = FeedbackSource(source)
        except ValueError:
            raise ValueError(f"{where}: unknown feedback source {source!r}") from None
        ids = tuple(str(q) for q in questions)
        for question in ids:
            if not re.match(QUESTION_ID_PATTERN, question):
                raise ValueError(
                    f"{where}: {question!r} is not a question id ({QUESTION_ID_PATTERN})"
                )
        if len(set(ids)) != len(ids):
            raise ValueError(f"{where}: {source} lists a question twice")
        by_source[key] = ids
    return QuestionSet(by_source)


class QuestionSets:
    """Each tenant's question set; a tenant without its own uses the default (Kent's)."""

    def __init__(self, path: Path) -> None:
        doc = yaml.safe_load(path.read_text()) or {}
        self._default = _question_set(doc.get("default", {}), f"{path}: default")
        self._tenants = {
            str(tenant): _question_set(raw, f"{path}: tenant {tenant}")
            for tenant, raw in (doc.get("tenants") or {}).items()
        }

    def for_tenant(self, tenant: str) -> QuestionSet:
        return self._tenants.get(tenant, self._default)
