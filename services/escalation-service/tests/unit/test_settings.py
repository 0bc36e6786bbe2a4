"""Timescales are configurable per tenant through the environment."""

from __future__ import annotations

import pytest

from escalation_service.settings import EscalationSettings
from qaf_shared.enums import EscalationStage


def test_a_tenant_without_its_own_timescales_gets_the_defaults(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(
        "QA_TENANT_TIMESCALES",
        '{"887": {"formal_stage_days": 7, "stage_days": {"DIRECTOR": 10}, "formal_limit_days": 25}}',
    )
    monkeypatch.setenv("QA_OVERDUE_SCAN_INTERVAL_S", "5")
    settings = EscalationSettings()
    medway, kent = settings.timescales_for("887"), settings.timescales_for("886")
    assert (medway.formal_stage_days, medway.formal_limit_days, medway.informal_days) == (7, 25, 5)
    assert medway.days_for(EscalationStage.DIRECTOR) == 10
    assert medway.days_for(EscalationStage.TEAM_MANAGER) == 7
    assert (kent.formal_stage_days, kent.formal_limit_days) == (5, 20)
    assert settings.overdue_scan_interval_s == 5


def test_a_timescale_of_zero_days_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QA_TENANT_TIMESCALES", '{"886": {"formal_stage_days": 0}}')
    with pytest.raises(ValueError, match="formal_stage_days"):
        EscalationSettings()
