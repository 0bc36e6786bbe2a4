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
from typing import Any

import highspy
import numpy as np
import numpy.typing as npt

# Branch-and-bound nodes one program may take: a bound on work that gives the same answer
# on every machine, where a time limit would not. Reaching it without a solution proves
# nothing; the caller takes the cautious side.
NODE_LIMIT = 10_000
Vector = npt.NDArray[np.float64] | npt.NDArray[np.int32]
Terms = Sequence[float] | npt.NDArray[Any]


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
    rows = system.rows
    n, m = len(system.true), len(rows)
    movers = np.array(sorted(moving), dtype=np.int64)
    k = len(movers)
    width = n + k  # x, then one deviation |x_c - true_c| per moving column
    lower = np.concatenate([np.array(system.floors, dtype=float), np.zeros(k)])
    upper = np.full(width, np.inf)
    for column, (low, high) in bounds.items():
        lower[column], upper[column] = low, high
    cost = np.zeros(width)
    for column, coefficient in objective.items():
        cost[column] = coefficient
    cost[n:] = [moving[c] for c in movers.tolist()]
    # The equations as (row, column, coefficient) triples, in whole numbers: `_whole` checks
    # a solution with them exactly.
    equations = _Equations(rows, np.array(system.true, dtype=np.int64))
    true = equations.true
    # deviation - x >= -true and deviation + x >= true, two rows per moving column
    first = m + 2 * np.arange(k)
    deviation = n + np.arange(k)
    ones = np.ones(k)
    at_row = np.concatenate([equations.row, first, first, first + 1, first + 1])
    at_column = np.concatenate([equations.column, deviation, movers, deviation, movers])
    entries = np.concatenate([equations.coefficient.astype(float), ones, -ones, ones, ones])
    low_side = np.empty(m + 2 * k)
    low_side[:m] = equations.total
    low_side[m::2] = -true[movers]
    low_side[m + 1 :: 2] = true[movers]
    high_side = np.full(m + 2 * k, np.inf)
    high_side[:m] = equations.total
    matrix = _by_column(entries, at_row, at_column, width)
    sides = (low_side, high_side)
    # The relaxation (real numbers) first: a linear program is solved in a fraction of the
    # time, and over these equations (coefficients nearly all 1 and -1) its solution is
    # nearly always whole, so it is one of the integer program's best solutions too (none
    # is cheaper than the relaxation's best). With no real solution there is no whole one.
    relaxed = _solve(cost, lower, upper, matrix, sides, 0)
    if relaxed is _NONE:
        return None
    if relaxed is not None:
        values = np.array(relaxed[:n])
        if np.all(np.abs(values - np.rint(values)) <= 1e-6):
            x = equations.whole(values, lower[:n], upper[:n])
            if x is not None:
                return x
    found = _solve(cost, lower, upper, matrix, sides, n)
    if found is None or found is _NONE:
        return None
    return equations.whole(np.array(found[:n]), lower[:n], upper[:n])


class _Equations:
    """A system's equations as arrays of whole numbers: each term's row, column and
    coefficient, and each row's total at the true values."""

    def __init__(self, rows: Sequence[Mapping[int, int]], true: npt.NDArray[np.int64]) -> None:
        size = sum(len(row) for row in rows)
        self.true, self.count = true, len(rows)
        self.row = np.repeat(np.arange(len(rows)), [len(row) for row in rows])
        self.column = np.fromiter((c for row in rows for c in row), np.int64, size)
        self.coefficient = np.fromiter((v for row in rows for v in row.values()), np.int64, size)
        self.total = self._sums(true)

    def _sums(self, x: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        out = np.zeros(self.count, dtype=np.int64)
        np.add.at(out, self.row, self.coefficient * x[self.column])
        return out

    def whole(
        self, values: npt.NDArray[np.float64], lower: Vector, upper: Vector
    ) -> list[int] | None:
        """`values` rounded to whole numbers if, so taken, they keep every bound and
        equation exactly (in whole numbers); else None."""
        x = np.rint(values).astype(np.int64)
        if not (np.all(lower <= x) and np.all(x <= upper)):
            return None
        if not np.array_equal(self._sums(x), self.total):
            return None
        result: list[int] = x.tolist()
        return result


def above_floor(system: System) -> list[bool]:
    """Which columns some solution in real numbers (not only whole ones) puts above their
    floor. One linear program over the system made homogeneous (y = x - floor, scaled by
    s >= 1): the most columns of y at 1 or more, each counted at most once. A solution
    with column c above its floor, scaled up, takes c as high as asked, and a sum of such
    scaled solutions is one too, so the best takes every such column to 1 and no other."""
    rows, true, floors = system.rows, system.true, system.floors
    n = len(true)
    width = 2 * n + 1  # y, then one indicator t_c <= y_c, then the scale s
    entries: list[float] = []
    at_row: list[int] = []
    at_column: list[int] = []
    low_side: list[float] = []
    high_side: list[float] = []
    for r, row in enumerate(rows):
        # row . y == (row . (true - floor)) * s
        for c, v in row.items():
            entries.append(float(v))
            at_row.append(r)
            at_column.append(c)
        entries.append(-float(sum(v * (true[c] - floors[c]) for c, v in row.items())))
        at_row.append(r)
        at_column.append(2 * n)
        low_side.append(0.0)
        high_side.append(0.0)
    for c in range(n):  # y_c - t_c >= 0
        r = len(low_side)
        entries += [1.0, -1.0]
        at_row += [r, r]
        at_column += [c, n + c]
        low_side.append(0.0)
        high_side.append(np.inf)
    cost = np.zeros(width)
    cost[n : 2 * n] = -1.0
    lower = np.zeros(width)
    lower[2 * n] = 1.0
    upper = np.full(width, np.inf)
    upper[n : 2 * n] = 1.0
    matrix = _by_column(entries, at_row, at_column, width)
    x = _solve(cost, lower, upper, matrix, (low_side, high_side), 0)
    if x is None or x is _NONE:  # cannot happen (the truth is a solution): all count as free
        return [True] * n
    return [t > 0.5 for t in x[n : 2 * n]]


def _by_column(
    entries: Terms, at_row: Terms, at_column: Terms, width: int
) -> tuple[Vector, Vector, Vector]:
    """A sparse matrix's entries by column, each column's rows in order (what HiGHS takes):
    starts, rows, values."""
    rows, columns = np.asarray(at_row, dtype=np.int32), np.asarray(at_column, dtype=np.int64)
    order = np.lexsort((rows, columns))
    starts = np.zeros(width + 1, dtype=np.int32)
    np.cumsum(np.bincount(columns, minlength=width), out=starts[1:])
    return starts, rows[order], np.asarray(entries, dtype=float)[order]


def _solve(
    cost: Vector,
    lower: Vector,
    upper: Vector,
    matrix: tuple[Vector, Vector, Vector],
    sides: tuple[Terms, Terms],
    whole: int,
) -> list[float] | None:
    """HiGHS's solution of min cost . x, lower <= x <= upper, sides[0] <= matrix . x <=
    sides[1] (`matrix` by column: starts, rows, values), its first `whole` columns whole
    numbers and the rest continuous (a linear program when `whole` is 0); `_NONE` when it
    proves there is none, None when it finds none otherwise (a limit reached). Through
    HiGHS's own bindings: scipy's `milp` wraps the same HiGHS (1.12.0, the same answer to
    each of the 1,413 programs of Kent's quarter) at about a millisecond more a program, in
    checks and results not read here."""
    model = highspy.HighsLp()
    model.num_col_, model.num_row_ = len(cost), len(sides[0])
    model.col_cost_, model.col_lower_, model.col_upper_ = cost, lower, upper
    model.row_lower_ = np.array(sides[0], dtype=float)
    model.row_upper_ = np.array(sides[1], dtype=float)
    model.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    model.a_matrix_.num_col_, model.a_matrix_.num_row_ = model.num_col_, model.num_row_
    model.a_matrix_.start_, model.a_matrix_.index_, model.a_matrix_.value_ = matrix
    if whole:
        integer, continuous = highspy.HighsVarType.kInteger, highspy.HighsVarType.kContinuous
        model.integrality_ = [integer] * whole + [continuous] * (len(cost) - whole)
    solver = highspy.Highs()
    solver.setOptionValue("output_flag", False)
    solver.setOptionValue("mip_max_nodes", NODE_LIMIT)
    solver.passModel(model)
    solver.run()
    status = solver.getModelStatus()
    if status == highspy.HighsModelStatus.kInfeasible:
        return _NONE
    # Stopped by a limit (NODE_LIMIT), a program may still have found a solution.
    if status != highspy.HighsModelStatus.kOptimal and (
        status not in _LIMITS or solver.getInfo().objective_function_value == highspy.kHighsInf
    ):
        return None
    return list(solver.getSolution().col_value)


_NONE: list[float] = []  # the program has no solution (a proof, unlike None)
_LIMITS = (
    highspy.HighsModelStatus.kTimeLimit,
    highspy.HighsModelStatus.kIterationLimit,
    highspy.HighsModelStatus.kSolutionLimit,
)
