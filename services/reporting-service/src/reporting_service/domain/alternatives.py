"""Other whole-number solutions of the equations between a quarter's cells, by integer
programming (HiGHS, through its own bindings): what the disclosure decision asks when the
cheap test on the null space's basis vectors finds none (domain/disclosure.py).

A system is a set of cells (columns) with their true values and floors, and equations
`row . x == row . true` over them (cells outside the system keep their true values, so
only the system's part of each equation is written). A solution found is checked in whole
numbers before it is returned: the solver works in floating point, and a solution is a
proof (that a count can take another value, or that hiding some cells gives it one)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import highspy
import numpy as np
import numpy.typing as npt

# Branch-and-bound nodes one program may take: a bound on work that gives the same answer
# on every machine, where a time limit would not. Reaching it without a solution proves
# nothing; the caller takes the cautious side.
NODE_LIMIT = 10_000
Vector = npt.NDArray[np.float64] | npt.NDArray[np.int32]


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
    # Column by column, each column's rows in order (what HiGHS takes).
    order = np.lexsort((at_row, at_column))
    starts = np.zeros(width + 1, dtype=np.int32)
    np.cumsum(np.bincount(at_column, minlength=width), out=starts[1:])
    matrix = (starts, np.array(at_row, dtype=np.int32)[order], np.array(entries)[order])
    x = _solve(cost, lower, upper, matrix, (low_side, high_side), n)
    if x is None:
        return None
    if any(not lower[c] <= a <= upper[c] for c, a in enumerate(x)):
        return None
    for row in rows:
        if sum(v * x[c] for c, v in row.items()) != sum(v * true[c] for c, v in row.items()):
            return None
    return x


def _solve(
    cost: Vector,
    lower: Vector,
    upper: Vector,
    matrix: tuple[Vector, Vector, Vector],
    sides: tuple[list[float], list[float]],
    whole: int,
) -> list[int] | None:
    """The first `whole` columns (whole numbers; the rest continuous) of HiGHS's solution of
    min cost . x, lower <= x <= upper, sides[0] <= matrix . x <= sides[1] (`matrix` by
    column: starts, rows, values), or None. Through HiGHS's own bindings: scipy's `milp`
    wraps the same HiGHS (1.12.0, the same answer to each of the 1,413 programs of Kent's
    quarter) at about a millisecond more a program, in checks and results not read here."""
    model = highspy.HighsLp()
    model.num_col_, model.num_row_ = len(cost), len(sides[0])
    model.col_cost_, model.col_lower_, model.col_upper_ = cost, lower, upper
    model.row_lower_ = np.array(sides[0], dtype=float)
    model.row_upper_ = np.array(sides[1], dtype=float)
    model.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    model.a_matrix_.num_col_, model.a_matrix_.num_row_ = model.num_col_, model.num_row_
    model.a_matrix_.start_, model.a_matrix_.index_, model.a_matrix_.value_ = matrix
    integer, continuous = highspy.HighsVarType.kInteger, highspy.HighsVarType.kContinuous
    model.integrality_ = [integer] * whole + [continuous] * (len(cost) - whole)
    solver = highspy.Highs()
    solver.setOptionValue("output_flag", False)
    solver.setOptionValue("mip_max_nodes", NODE_LIMIT)
    solver.passModel(model)
    solver.run()
    status = solver.getModelStatus()
    # Stopped by a limit (NODE_LIMIT), a program may still have found a solution.
    if status != highspy.HighsModelStatus.kOptimal and (
        status not in _LIMITS or solver.getInfo().objective_function_value == highspy.kHighsInf
    ):
        return None
    return [round(v) for v in solver.getSolution().col_value[:whole]]


_LIMITS = (
    highspy.HighsModelStatus.kTimeLimit,
    highspy.HighsModelStatus.kIterationLimit,
    highspy.HighsModelStatus.kSolutionLimit,
)
