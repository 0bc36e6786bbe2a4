"""The solver hides exactly the cells the reference (disclosure_reference.py, the solver as
it was before it worked on cell numbers) hides, whatever the input: its speed-ups must not
change a single decision."""

from __future__ import annotations

import random
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench import decision as bench_decision
from qaf_shared.org_units import OrgUnitDirectory, TenantUnits
from reporting_service.domain import disclosure, publication
from reporting_service.domain.measures import Raw

from . import attacker, disclosure_reference

THRESHOLDS = (1, 5, 10)


def _both(
    raw: dict[tuple[str, str, str], Raw], quarter: str, units: TenantUnits, threshold: int
) -> tuple[set[Any], set[Any]]:
    """The cells the solver and the reference hide over a quarter's published cells."""
    values, equations, unpublished = publication._published(
        publication.decide(raw, quarter, units.tenant, units, None).raw,
        quarter,
        units.tenant,
        units,
    )
    new = disclosure.protect(values, equations, threshold, unpublished=unpublished)
    old = disclosure_reference.protect(values, equations, threshold, unpublished=unpublished)
    return new, old


@pytest.fixture(scope="module")
def kent_year() -> tuple[Any, TenantUnits]:
    """A year of Kent's realistic events with its case activity, folded as bench.decision
    folds them (its input: 14,532 cells and 8,062 equations for FY2023Q3)."""
    units = OrgUnitDirectory().tenant(bench_decision.TENANT)
    assert units is not None
    total, _, _ = bench_decision._fold(80_000)
    return total, units


@pytest.mark.parametrize("threshold", THRESHOLDS)
def test_kents_quarter_of_a_real_year_hides_what_the_reference_hides(
    kent_year: tuple[Any, TenantUnits], threshold: int
) -> None:
    total, units = kent_year
    raw = bench_decision._raw(total, bench_decision.QUARTER)
    new, old = _both(raw, bench_decision.QUARTER, units, threshold)
    assert len(old) > 5_000  # the quarter has plenty to hide (not a vacuous comparison)
    assert new == old


def _with_records_without_a_unit(
    rng: random.Random, raw: dict[tuple[str, str, str], Raw], share: float
) -> None:
    """Counts of the tenant and areas that their units do not add up to (records without a
    unit, moved teams): the equations' differences become unpublished cells."""
    for (_, kind, _), cells in raw.items():
        if kind not in ("tenant", "area"):
            continue
        for cell in list(cells):
            if rng.random() < share:
                cells[cell] += rng.randint(1, 3)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32),
    areas=st.integers(1, 2),
    districts=st.integers(1, 2),
    teams=st.integers(1, 3),
    high=st.integers(1, 12),
    sparse=st.floats(0.0, 0.9),
    without_a_unit=st.sampled_from([0.0, 0.02, 0.2]),
)
def test_generated_quarters_hide_what_the_reference_hides(
    seed: int,
    areas: int,
    districts: int,
    teams: int,
    high: int,
    sparse: float,
    without_a_unit: float,
) -> None:
    # Small tenants with random unit trees and counts, at each threshold: 300 decisions.
    rng = random.Random(seed)
    units = attacker.small_tenant(rng, areas=areas, districts=districts, teams=teams)
    raw = attacker.figures(rng, units, high=high, sparse=sparse)[attacker.QUARTER]
    _with_records_without_a_unit(rng, raw, without_a_unit)
    for threshold in THRESHOLDS:
        new, old = _both(raw, attacker.QUARTER, units, threshold)
        assert new == old


@st.composite
def _systems(draw: st.DrawFn) -> tuple[dict[str, int], list[Any], set[str]]:
    """Random equations over a few cells, with coefficients other than 1 and -1 (so that
    elimination meets fractions), a cell twice in one equation, cells that are in equations
    but have no value, and unpublished cells; the values need not satisfy them."""
    names = [f"k{i}" for i in range(draw(st.integers(2, 14)))]
    values = {k: draw(st.integers(0, 12)) for k in names if draw(st.booleans()) or k == "k0"}
    coefficient = st.sampled_from([1, -1, 1, -1, 2, -2, 3])
    equations = draw(
        st.lists(
            st.lists(st.tuples(st.sampled_from(names), coefficient), min_size=1, max_size=6),
            max_size=12,
        )
    )
    unpublished = set(draw(st.lists(st.sampled_from(names), max_size=4)))
    return values, [tuple(e) for e in equations], unpublished


@settings(max_examples=300, deadline=None)
@given(system=_systems(), threshold=st.sampled_from(THRESHOLDS))
def test_any_system_of_equations_hides_what_the_reference_hides(
    system: tuple[dict[str, int], list[Any], set[str]], threshold: int
) -> None:
    values, equations, unpublished = system
    try:
        old: set[str] | str = disclosure_reference.protect(
            values, equations, threshold, unpublished=unpublished
        )
    except RuntimeError as error:
        old = str(error)
    try:
        new: set[str] | str = disclosure.protect(
            values, equations, threshold, unpublished=unpublished
        )
    except RuntimeError as error:
        new = str(error)
    assert new == old


def test_the_reduced_form_is_the_references_whatever_the_order_of_the_rows() -> None:
    # The solver sorts rows to eliminate less; the reduced row echelon form is unique, so
    # its pivots and their rows are the reference's, fractions included.
    rng = random.Random(7)
    for _ in range(200):
        width = rng.randint(1, 12)
        rows: list[dict[int, int | Fraction]] = []
        for _ in range(rng.randint(1, 10)):
            row: dict[int, int | Fraction] = {
                c: rng.choice([1, -1, 2, -3])
                for c in rng.sample(range(width), rng.randint(1, width))
            }
            rows.append(row)
        assert disclosure._reduce(rows) == disclosure_reference._reduce(rows, width)
