"""What a route reads from its app's state (qaf_shared.http.app.app_state)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from qaf_shared.http.app import app_state


def request_holding(**state: Any) -> Any:
    return SimpleNamespace(app=SimpleNamespace(state=SimpleNamespace(**state)))


def test_a_route_reads_what_the_app_holds_under_the_name() -> None:
    held = {"886": "question set"}
    question_sets = app_state("question_sets", dict)
    assert question_sets(request_holding(question_sets=held, settings="other")) is held


def test_a_name_the_app_does_not_hold_is_a_programming_error_not_none() -> None:
    with pytest.raises(AttributeError):
        app_state("child_keys", bytes)(request_holding(settings="only"))
