"""Other whole-number solutions of the equations between a quarter's cells, by integer
programming (HiGHS through scipy's `milp`): what the disclosure decision asks when the
cheap test on the null space's basis vectors finds none (domain/disclosure.py).

A system is a set of cells (columns) with their true values and floors, and equations
`row . x == row . true` over them (cells outside the system keep their true values, so
only the system's part of each equation is written). A solution found is checked in whole
numbers before it is returned: the solver works in floating point, and a solution is a
proof (that a count can take another value, or that hiding some cells gives it one)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_array

# Branch-and-bound nodes one program may take: a bound on work that gives the same answer
# on every machine, where a time limit would not. Reaching it without a solution proves
# nothing; the caller takes the cautious side.
NODE_LIMIT = 10_000


@dataclass(frozen=True)
class System:
    """Equations over columns 0..n-1: each row's coefficients by column."""

    rows: Sequence[Mapping[int, int]]
    true: Sequence[int]
    floors: Sequence[int]


def solution(
    system: System,
    *,
    bounds: Mapping[int, tuple[float, float]] | None = None,
    objective: Mapping[int, float] | None = None,
    moving: Mapping[int, float] | None = None,
) -> list[int] | None:
    """A whole solution of the system with every column at its floor or above (`bounds`
    replaces (floor, no ceiling) for the columns it names), minimising `objective` (a
    coefficient per column) plus `moving` (a cost per unit a column moves from its true
    value); None if there is none, or none was found within NODE_LIMIT nodes."""
    bounds, objective, moving = bounds or {}, objective or {}, moving or {}
    rows, true = system.rows, system.true
    n = len(true)
    movers = sorted(moving)
    width = n + len(movers)  # x, then one deviation |x_c - true_c| per moving column
    lower = np.array([*system.floors, *([0.0] * len(movers))], dtype=float)
    upper = np.full(width, np.inf)
    for column, (low, high) in bounds.items():
        lower[column], upper[column] = low, high
    cost = np.zeros(width)
    for column, coefficient in objective.items():
        cost[column] = coefficient
    entries: list[float] = []
    at_row: list[int] = []
    at_column: list[int] = []
    low_side: list[float] = []
    high_side: list[float] = []
    for r, row in enumerate(rows):
        total = sum(v * true[c] for c, v in row.items())
        for c, v in row.items():
            entries.append(float(v))
            at_row.append(r)
            at_column.append(c)
        low_side.append(total)
        high_side.append(total)
    r = len(rows)
    for k, column in enumerate(movers):
        cost[n + k] = moving[column]
        # deviation >= x - true and deviation >= true - x
        for sign in (1.0, -1.0):
            entries += [1.0, -sign]
            at_row += [r, r]
            at_column += [n + k, column]
            low_side.append(-sign * true[column])
            high_side.append(np.inf)
            r += 1
    matrix = coo_array((entries, (at_row, at_column)), shape=(r, width)).tocsr()
    integral = np.array([1] * n + [0] * len(movers), dtype=np.int_)
    result = milp(
        cost,
        integrality=integral,
        bounds=Bounds(lower, upper),
        constraints=LinearConstraint(matrix, low_side, high_side) if r else (),
        options={"node_limit": NODE_LIMIT},
    )
    if result.x is None:
        return None
    x = [round(v) for v in result.x[:n]]
    if any(not lower[c] <= a <= upper[c] for c, a in enumerate(x)):
        return None
    for row in rows:
        if sum(v * x[c] for c, v in row.items()) != sum(v * true[c] for c, v in row.items()):
            return None
    return x
