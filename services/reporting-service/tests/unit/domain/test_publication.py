"""One disclosure decision per tenant and quarter: every view prints each figure alike, and
an attacker who reads them all and solves every equation between them recovers no count
from 1 to the threshold (attacker.py)."""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qaf_shared.org_units import TenantUnits
from reporting_service.domain import disclosure, publication, trends

from . import attacker


def _decide(
    seed: int, threshold: int, *, areas: int, districts: int, teams: int, high: int
) -> tuple[attacker.Reading, dict[attacker.Id, int]]:
    rng = random.Random(seed)
    units = attacker.small_tenant(rng, areas=areas, districts=districts, teams=teams)
    raw = attacker.figures(rng, units, high=high)
    decisions = {
        q: publication.decide(raw[q], q, units.tenant, units, threshold)
        for q in (attacker.PREVIOUS, attacker.QUARTER)
    }
    reading = attacker.read(units, attacker.views(units, decisions))
    return reading, attacker.truth_of(units, raw)


@pytest.mark.parametrize("seed", range(12))
def test_no_view_prints_a_figure_another_hides_and_none_can_be_solved_for(seed: int) -> None:
    # Every hidden count from 1 to the threshold has another value that satisfies every
    # equation between every printed figure.
    threshold = 1 + seed % 3
    reading, truth = _decide(seed, threshold, areas=1, districts=2, teams=2, high=3)
    assert reading.disagreements == []
    small = [i for i, v in truth.items() if 1 <= v <= threshold]
    assert small and all(reading.values[i] is None for i in small)
    assert all(reading.values[i] in (None, v) for i, v in truth.items())
    assert attacker.recovered(reading, truth, threshold) == []


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10**6),
    threshold=st.integers(1, 5),
    areas=st.integers(1, 3),
    high=st.integers(2, 12),
)
def test_no_count_can_be_solved_for_in_larger_tenants(
    seed: int, threshold: int, areas: int, high: int
) -> None:
    reading, truth = _decide(seed, threshold, areas=areas, districts=3, teams=3, high=high)
    assert reading.disagreements == []
    assert all(reading.values[i] is None for i, v in truth.items() if 1 <= v <= threshold)
    assert attacker.recovered(reading, truth, threshold) == []


@pytest.mark.parametrize("threshold", [1, 5])
@pytest.mark.parametrize("seed", range(4))
def test_no_count_can_be_solved_for_at_thresholds_one_and_five(seed: int, threshold: int) -> None:
    # The step 2 verdicts now exact (integer programming) leave shown what the basis-vector
    # test alone hid: none of it may give a count away, at the smallest and the default
    # threshold alike.
    reading, truth = _decide(seed, threshold, areas=2, districts=2, teams=2, high=6)
    assert reading.disagreements == []
    assert all(reading.values[i] is None for i, v in truth.items() if 1 <= v <= threshold)
    assert attacker.recovered(reading, truth, threshold) == []


def _leaks(seed: int) -> list[tuple[attacker.Id, int]]:
    threshold = 1 + seed % 3
    reading, truth = _decide(seed, threshold, areas=1, districts=2, teams=2, high=3)
    return attacker.recovered(reading, truth, threshold)


def test_the_attacker_recovers_what_primary_suppression_alone_leaves(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The attacker is strong enough to catch a decision that hides only the small counts.
    monkeypatch.setattr(
        publication,
        "protect",
        lambda values, equations, threshold, **_: {
            k for k, v in values.items() if 1 <= v <= threshold
        },
    )
    assert _leaks(0)


def test_the_attacker_recovers_what_closing_one_equation_at_a_time_leaves(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # ... and one that only makes sure no equation has exactly one hidden cell (step 1
    # without step 2): hidden cells that chain through several equations are solved for.
    monkeypatch.setattr(disclosure._Solver, "recovered", lambda self: [])
    assert any(_leaks(seed) for seed in range(4))


def test_the_attacker_recovers_what_deciding_months_apart_from_their_quarter_leaves(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # ... and one that decides the months' cells without the equations tying them to their
    # quarter (a quarter's count = the sum of its months', a stock = its last month's): a
    # month figure then gives a hidden quarterly one away, or the reverse.
    monkeypatch.setattr(publication, "_across_periods", lambda *_: None)
    assert any(_leaks(seed) for seed in range(6))


def test_reports_read_unsuppressed_sees_every_figure() -> None:
    rng = random.Random(3)
    units = attacker.small_tenant(rng, areas=2, districts=2, teams=2)
    raw = attacker.figures(rng, units)
    decisions = {
        q: publication.decide(raw[q], q, units.tenant, units, None)
        for q in (attacker.PREVIOUS, attacker.QUARTER)
    }
    reading = attacker.read(units, attacker.views(units, decisions))
    assert None not in reading.values.values()
    assert (
        reading.values[(attacker.QUARTER, "T", "audits.completed", "")]
        == raw[attacker.QUARTER][(attacker.QUARTER, "tenant", "T")][("audits.completed", "")]
    )


def _one_team_tenant() -> TenantUnits:
    return TenantUnits(tenant="T", name="T", areas={"A0": {"A0D0": ("A0D0T0",)}}, services=())


def _escalations_raised_by_month(
    units: TenantUnits, by_month: list[int]
) -> dict[tuple[str, str, str], dict[tuple[str, str], int]]:
    """The quarter's figures (the previous quarter has none) where the one team raised `by_month` escalations in its three
    months (all at the informal stage, all about drift), and nothing else happened."""
    raw: dict[tuple[str, str, str], dict[tuple[str, str], int]] = {}
    chain = [("tenant", "T"), ("area", "A0"), ("district", "A0D0"), ("team", "A0D0T0")]
    cells = [
        ("escalations.raised", ""),
        ("escalations.raised", "stage:INFORMAL"),
        ("escalations.raised", "category:DRIFT_DELAY"),
        ("escalations.by_stage_reached", "INFORMAL"),
    ]
    for month, value in zip(trends.months_of(attacker.QUARTER), by_month, strict=True):
        for kind, code in chain:
            for period in ([month] if kind != "team" else []) + [attacker.QUARTER]:
                unit = raw.setdefault((period, kind, code), {})
                for cell in cells:
                    unit[cell] = unit.get(cell, 0) + value
    return raw


def _read_all(
    units: TenantUnits, raw: dict[tuple[str, str, str], dict[tuple[str, str], int]], threshold: int
) -> tuple[attacker.Reading, dict[attacker.Id, int]]:
    by_quarter = {attacker.PREVIOUS: {}, attacker.QUARTER: raw}
    decisions = {
        q: publication.decide(by_quarter[q], q, units.tenant, units, threshold)
        for q in (attacker.PREVIOUS, attacker.QUARTER)
    }
    reading = attacker.read(units, attacker.views(units, decisions))
    return reading, attacker.truth_of(units, by_quarter)


def test_a_month_hidden_that_its_quarter_shows_is_hidden_with_a_sibling_month() -> None:
    # 1 + 6 + 0 = 7 raised, threshold 5: the quarter's 7 is shown; the month of 1 is hidden,
    # and so is the month of 6 (else 7 - 6 - 0 gives it away); the month of 0 is shown.
    units = _one_team_tenant()
    reading, truth = _read_all(units, _escalations_raised_by_month(units, [1, 6, 0]), 5)
    first, second, third = trends.months_of(attacker.QUARTER)
    raised = "escalations.raised"
    assert reading.values[(attacker.QUARTER, "T", raised, "")] == 7
    assert reading.values[(first, "T", raised, "")] is None
    assert reading.values[(second, "T", raised, "")] is None
    assert reading.values[(third, "T", raised, "")] == 0
    assert reading.disagreements == []
    assert attacker.recovered(reading, truth, 5) == []


def test_a_quarter_its_small_months_pin_is_hidden_although_it_is_not_small() -> None:
    # 1 + 1 + 1 = 3 raised, threshold 1: 3 alone would be shown, but with each month "c"
    # (so at least 1) a shown 3 makes every month 1. The months are decided with their
    # quarter, so the quarter's 3 is hidden too: why the quarter's cells cannot be decided
    # first and fixed (docs/measures.md, "One decision per tenant and quarter").
    units = _one_team_tenant()
    raw = _escalations_raised_by_month(units, [1, 1, 1])
    alone = publication.decide(
        {k: v for k, v in raw.items() if k[0] == attacker.QUARTER},
        attacker.QUARTER,
        "T",
        units,
        1,
    )
    assert alone.cell(attacker.QUARTER, "tenant", "T", "escalations.raised") == 3
    reading, truth = _read_all(units, raw, 1)
    assert reading.values[(attacker.QUARTER, "T", "escalations.raised", "")] is None
    assert all(
        reading.values[(m, "T", "escalations.raised", "")] is None
        for m in trends.months_of(attacker.QUARTER)
    )
    assert attacker.recovered(reading, truth, 1) == []
