"""Moderation sampling: the share chosen matches the rate, and each choice is reproducible
from its recorded seed."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from audit_service.domain.moderation import draw, new_seed, select


@pytest.mark.parametrize("rate", [0.05, 0.10, 0.25, 0.5])
def test_the_share_selected_over_many_audits_is_the_rate_within_tolerance(rate: float) -> None:
    n = 20_000
    chosen = sum(select(rate, f"audit-{i}").selected for i in range(n))
    # Four standard deviations of a binomial share (the seeds here are fixed, so this
    # checks the draw behaves like a uniform one; the next test uses fresh seeds).
    tolerance = 4 * (rate * (1 - rate) / n) ** 0.5
    assert abs(chosen / n - rate) < tolerance


def test_fresh_seeds_in_service_give_the_rate_too() -> None:
    n = 10_000
    chosen = sum(select(0.10).selected for _ in range(n))
    # Random by design: four standard deviations fail by chance about once in 15,000 runs.
    assert abs(chosen / n - 0.10) < 4 * (0.09 / n) ** 0.5


@given(seed=st.text(min_size=1, max_size=64), rate=st.floats(min_value=0, max_value=1))
def test_a_choice_is_reproduced_from_its_recorded_seed_and_rate(seed: str, rate: float) -> None:
    first = select(rate, seed)
    again = select(first.rate, first.seed)
    assert again == first
    assert first.selected == (first.draw < rate)


def test_the_draw_is_the_documented_sha256_fraction() -> None:
    seed = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
    expected = int(hashlib.sha256(seed.encode()).hexdigest()[:16], 16) / 2**64
    assert draw(seed) == expected
    assert 0 <= expected < 1


def test_rates_of_zero_and_one_choose_none_and_all() -> None:
    seeds = [f"s{i}" for i in range(500)]
    assert not any(select(0.0, s).selected for s in seeds)
    assert all(select(1.0, s).selected for s in seeds)


def test_seeds_are_fresh_and_unguessable() -> None:
    seeds = {new_seed() for _ in range(1000)}
    assert len(seeds) == 1000 and all(len(s) == 32 for s in seeds)


@pytest.mark.parametrize("rate", [-0.1, 1.5])
def test_a_rate_outside_zero_to_one_is_refused(rate: float) -> None:
    with pytest.raises(ValueError):
        select(rate, "seed")
