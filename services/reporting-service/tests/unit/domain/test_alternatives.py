"""Whole-number solutions by integer programming (domain/alternatives.py)."""

from __future__ import annotations

from math import inf

from reporting_service.domain.alternatives import System, above_floor, solution

# total = a + b and total = c + d: 6 = 1 + 5 = 3 + 3.
PAIRS = System(
    rows=[{0: 1, 1: -1, 2: -1}, {0: 1, 3: -1, 4: -1}], true=[6, 1, 5, 3, 3], floors=[1] * 5
)


def test_a_count_pinned_by_its_floor_has_no_solution_below_it() -> None:
    assert solution(PAIRS, bounds={1: (1, 0)}) is None
    # With the total held and b at its floor of 5, a cannot go up either.
    held = System(PAIRS.rows, PAIRS.true, [1, 1, 5, 1, 1])
    assert solution(held, bounds={0: (6, 6), 1: (2, inf)}) is None
    assert solution(held, bounds={1: (2, inf)}) is not None


def test_a_solution_keeps_every_equation_and_the_bounds_asked() -> None:
    x = solution(PAIRS, bounds={1: (2, inf)})
    assert x is not None
    assert x[1] >= 2
    assert x[0] == x[1] + x[2] == x[3] + x[4]
    assert min(x) >= 1


def test_moving_costs_choose_the_cheaper_cells_to_move() -> None:
    # Moving `a` up needs `b` down (total fixed) or the total up with c or d: with the
    # total dear, b moves; with b dear, the total and one of c, d move.
    cheap_b = solution(PAIRS, bounds={1: (2, inf)}, moving={0: 100.0, 2: 1.0, 3: 5.0, 4: 5.0})
    assert cheap_b == [6, 2, 4, 3, 3]
    dear_b = solution(PAIRS, bounds={1: (2, inf)}, moving={0: 1.0, 2: 100.0, 3: 5.0, 4: 6.0})
    assert dear_b == [7, 2, 5, 4, 3]


def test_an_objective_pushes_the_columns_it_names() -> None:
    low = solution(PAIRS, objective={1: 1.0, 3: 1.0})
    assert low is not None and low[1] == 1 and low[3] == 1
    high = solution(PAIRS, bounds={1: (1, 4)}, objective={1: -1.0})
    assert high is not None and high[1] == 4


def test_columns_above_their_floor_are_those_some_real_solution_lifts() -> None:
    # a + b = 2 holds both at their floor of 1; c + d = 6 lets each go from 1 to 5; e, with
    # a floor of 0 and e = a - 1 (so e - a = -1), stays at 0.
    system = System(
        rows=[{0: 1, 1: 1}, {2: 1, 3: 1}, {4: 1, 0: -1}],
        true=[1, 1, 3, 3, 0],
        floors=[1, 1, 1, 1, 0],
    )
    assert above_floor(system) == [False, False, True, True, False]
    # f = g - h, all 0 with a floor of 0: g up lifts f, g and h up together lift h. With no
    # equation every column is free.
    chained = System(rows=[{0: 1, 1: -1, 2: 1}], true=[0, 0, 0], floors=[0, 0, 0])
    assert above_floor(chained) == [True, True, True]
    assert above_floor(System(rows=[], true=[4, 0], floors=[1, 0])) == [True, True]
