import random

from hypothesis import given, settings
from hypothesis import strategies as st

from reporting_service.domain import publication
from reporting_service.domain.disclosure import (
    SUPPRESSED,
    _numbered,
    _Solver,
    percentage,
    protect,
    round_half_up,
    sums_to,
)

from . import attacker
from .suppression import primary, suppress, suppress_group


def test_counts_from_one_to_the_threshold_are_suppressed() -> None:
    assert [primary(v, 5) for v in (0, 1, 5, 6)] == [0, SUPPRESSED, SUPPRESSED, 6]


def test_a_lone_suppressed_cell_takes_the_smallest_other_with_it() -> None:
    total, cells = suppress_group(31, {"A": 3, "B": 8, "C": 20}, 5)
    assert total == 31
    assert cells == {"A": SUPPRESSED, "B": SUPPRESSED, "C": 20}


def test_suppressed_cells_that_would_all_be_ones_are_protected() -> None:
    _, cells = suppress_group(12, {"A": 1, "B": 1, "C": 10}, 5)
    assert cells == {"A": SUPPRESSED, "B": SUPPRESSED, "C": SUPPRESSED}


def test_a_count_only_a_combination_of_basis_vectors_moves_leaves_its_total_shown() -> None:
    # 6 = 1 + 4 + 1: no single null-space basis vector moves the last 1 (each takes the
    # other 1 below its floor), yet 6 = 1 + 3 + 2 is another whole solution, so no count is
    # recovered and the 6 needs no hiding (the basis-vector test alone hid it too).
    values = {"total": 6, "a": 1, "b": 4, "c": 1}
    equations = [sums_to("total", ["a", "b", "c"])]
    assert protect(values, equations, 5) == {"a", "b", "c"}
    reading, truth = attacker.reading_of(values, equations, {"a", "b", "c"})
    assert attacker.recovered(reading, truth, 5) == []


def test_counts_no_whole_solution_moves_are_protected() -> None:
    # Threshold 1: 2 = 1 + 1 and 7 = 1 + 1 + 5. The two 1s are pinned by their floor (each
    # "c" is at least 1) and no equation has a lone hidden cell, so step 1 hides nothing
    # more; step 2 finds them recovered and hides beside them until they move.
    values = {"pair": 2, "a": 1, "b": 1, "total": 7, "c": 5}
    equations = [sums_to("pair", ["a", "b"]), sums_to("total", ["a", "b", "c"])]
    reading, truth = attacker.reading_of(values, equations, {"a", "b"})
    assert sorted(attacker.recovered(reading, truth, 1)) == [("a", 1), ("b", 1)]
    hidden = protect(values, equations, 1)
    assert {"a", "b"} < hidden
    reading, truth = attacker.reading_of(values, equations, hidden)
    assert attacker.recovered(reading, truth, 1) == []


def test_a_small_total_suppresses_everything_non_zero() -> None:
    total, cells = suppress_group(4, {"A": 4, "B": 0}, 5)
    assert total == SUPPRESSED
    assert cells == {"A": SUPPRESSED, "B": 0}


def test_percentages_round_half_up_and_follow_suppression() -> None:
    assert percentage(1, 8) == 12.5
    assert percentage(23, 42) == 54.8
    assert percentage(SUPPRESSED, 40) == SUPPRESSED
    assert percentage(3, 0) == "z"
    assert round_half_up(0.05) == 0.1
    assert round_half_up(2.25) == 2.3


@given(
    cells=st.dictionaries(st.sampled_from("ABCDEF"), st.integers(0, 40), min_size=1),
    threshold=st.integers(1, 10),
)
def test_no_suppressed_value_can_be_derived_from_what_is_published(
    cells: dict[str, int], threshold: int
) -> None:
    total = sum(cells.values())
    shown_total, shown = suppress_group(total, cells, threshold)
    # Primary: every count from 1 to the threshold is hidden, zeros are shown.
    for key, value in cells.items():
        if 1 <= value <= threshold:
            assert shown[key] == SUPPRESSED
        if value == 0:
            assert shown[key] == 0
        if shown[key] != SUPPRESSED:
            assert shown[key] == value
    hidden = [k for k, v in shown.items() if v == SUPPRESSED]
    if shown_total == SUPPRESSED:
        return
    # With the total published, the hidden cells' sum is known, and each is at least 1: a
    # small one is safe when it can be 1 more or 1 less with another taking up the change.
    left = total - sum(v for v in shown.values() if isinstance(v, int))
    for key in hidden:
        if 1 <= cells[key] <= threshold:
            others = [cells[k] for k in hidden if k != key]
            assert others and left - cells[key] == sum(others)
            assert cells[key] > 1 or any(v > 1 for v in others)


def _derivable(table: list[list[int]], shown: dict[str, object]) -> set[str]:
    """Hidden cells of a table with margins that an attacker who knows the shown cells (and
    that every hidden cell is at least 1) could pin to one value, by brute force: every
    assignment of the hidden cells within the table, from 1 to beyond the largest true
    value (an attacker told that bound knows more than a real one)."""
    import itertools

    rows, cols = len(table), len(table[0])
    leaves = [(i, j) for i in range(rows) for j in range(cols)]
    hidden_leaves = [(i, j) for i, j in leaves if shown[f"L{i}{j}"] == SUPPRESSED]
    bound = max(map(max, table)) + 3
    seen: dict[str, set[int]] = {}
    for values in itertools.product(range(1, bound), repeat=len(hidden_leaves)):
        guess = [row[:] for row in table]
        for (i, j), v in zip(hidden_leaves, values, strict=True):
            guess[i][j] = v
        cells = _margins(guess)
        if all(shown[k] == SUPPRESSED or shown[k] == cells[k] for k in cells):
            for key, value in cells.items():
                if shown[key] == SUPPRESSED:
                    seen.setdefault(key, set()).add(value)
    return {k for k, values in seen.items() if len(values) == 1}


def _margins(table: list[list[int]]) -> dict[str, int]:
    cells = {f"L{i}{j}": v for i, row in enumerate(table) for j, v in enumerate(row)}
    cells |= {f"R{i}": sum(row) for i, row in enumerate(table)}
    cells |= {f"C{j}": sum(row[j] for row in table) for j in range(len(table[0]))}
    cells["T"] = sum(map(sum, table))
    return cells


def _groups(rows: int, cols: int) -> list[tuple[str, list[str]]]:
    groups = [(f"R{i}", [f"L{i}{j}" for j in range(cols)]) for i in range(rows)]
    groups += [(f"C{j}", [f"L{i}{j}" for i in range(rows)]) for j in range(cols)]
    groups += [("T", [f"R{i}" for i in range(rows)]), ("T", [f"C{j}" for j in range(cols)])]
    return groups


@settings(deadline=None, max_examples=150)
@given(
    table=st.one_of(
        st.lists(st.lists(st.integers(0, 6), min_size=2, max_size=2), min_size=2, max_size=2),
        st.lists(st.lists(st.integers(0, 3), min_size=3, max_size=3), min_size=2, max_size=2),
    ),
    threshold=st.integers(1, 3),
)
def test_no_hidden_cell_of_a_table_with_margins_can_be_worked_out(
    table: list[list[int]], threshold: int
) -> None:
    # The shape of a Deep Dive: units (rows) by grade (columns), each unit's total, each
    # grade's total over the units, and the parent's total.
    cells = _margins(table)
    shown = suppress(cells, _groups(len(table), len(table[0])), threshold)
    assert all(shown[k] == SUPPRESSED for k, v in cells.items() if 1 <= v <= threshold)
    assert all(shown[k] in (SUPPRESSED, v) for k, v in cells.items())
    small = {k for k, v in cells.items() if 1 <= v <= threshold}
    assert _derivable(table, shown) & small == set()


def test_hidden_cells_that_close_every_equation_can_still_be_solved_for_so_more_are_hidden() -> (
    None
):
    # Two hidden squares of small counts and a small cell joining them (row 0 of the first,
    # column 2 of the second): every row and column holds two hidden cells or none, so no
    # equation has exactly one, yet rows 0 and 1 minus columns 0 and 1 give L02 away.
    table = [
        [2, 2, 3, 9, 9],
        [2, 2, 9, 9, 9],
        [9, 9, 2, 2, 9],
        [9, 9, 2, 2, 9],
        [9, 9, 9, 9, 9],
    ]
    cells = _margins(table)
    closed = {"L00", "L01", "L10", "L11", "L02", "L22", "L23", "L32", "L33"}
    shown = {k: (SUPPRESSED if k in closed else v) for k, v in cells.items()}
    assert "L02" in _derivable_by_elimination(cells, closed)
    hidden = protect(cells, [sums_to(t, p) for t, p in _groups(5, 5)], 3)
    assert closed < hidden
    assert all(k not in _derivable_by_elimination(cells, hidden) for k in closed)
    assert shown["L02"] == SUPPRESSED


def _derivable_by_elimination(cells: dict[str, int], hidden: set[str]) -> set[str]:
    """The attacker's sums: every combination of the table's equations (rows and columns
    over the square's first two rows and columns) that leaves one hidden cell."""
    rows_ = {i: [f"L{i}{j}" for j in range(5)] for i in range(5)}
    cols_ = {j: [f"L{i}{j}" for i in range(5)] for j in range(5)}
    found = set()
    for pick_rows in ([0, 1], [2, 3], [0], [1]):
        for pick_cols in ([0, 1], [2, 3], [2], [3], []):
            count: dict[str, int] = {}
            for i in pick_rows:
                for k in rows_[i]:
                    count[k] = count.get(k, 0) + 1
            for j in pick_cols:
                for k in cols_[j]:
                    count[k] = count.get(k, 0) - 1
            left = [k for k, c in count.items() if c and k in hidden]
            if len(left) == 1:
                found.add(left[0])
    return found


def _components_by_search(solver: _Solver, hidden: set[int]) -> list[list[int]]:
    """The hidden cells' components as a search from each hidden small count finds them, in
    the order of each one's first small count, each in order (cells are numbered in repr
    order)."""
    out, done = [], set()
    for start in sorted(c for c in hidden if solver.sensitive[c]):
        if start in done:
            continue
        seen, stack = {start}, [start]
        while stack:
            for index in solver.of[stack.pop()]:
                for key in solver.equations[index]:
                    if key in hidden and key not in seen:
                        seen.add(key)
                        stack.append(key)
        done |= seen
        out.append(sorted(seen))
    return out


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10**6), threshold=st.integers(1, 5))
def test_components_kept_between_rounds_are_those_a_fresh_search_finds(
    seed: int, threshold: int
) -> None:
    # The solver keeps the hidden cells' components from round to round as hidden grows;
    # each round they must be exactly the components a search over the hidden cells finds,
    # in the same order, since the cells chosen to hide depend on that order.
    rng = random.Random(seed)
    units = attacker.small_tenant(rng, areas=2, districts=2, teams=2)
    quarter = attacker.QUARTER
    raw = attacker.figures(rng, units)[quarter]
    values, equations, unpublished = publication._published(
        publication.decide(raw, quarter, units.tenant, units, None).raw,
        quarter,
        units.tenant,
        units,
    )
    _, solver = _numbered(values, equations, threshold, unpublished, {})
    # Unknown from the start, as solve hides them: the small counts and unpublished cells.
    hidden = {c for c, small in enumerate(solver.sensitive) if small or c in solver.unpublished}
    for cell in sorted(hidden):
        solver._hide(cell)
    pinned: list[list[int]] = []
    solver._pinned = lambda component: pinned.append(component) or []  # type: ignore[method-assign]
    # Only non-zero cells are ever hidden.
    others = [c for c, v in enumerate(solver.values) if v and c not in hidden]
    rng.shuffle(others)
    for extra in range(0, len(others) + 1, max(1, len(others) // 4)):
        for cell in others[:extra]:
            if cell not in hidden:
                hidden.add(cell)
                solver._hide(cell)
        pinned.clear()
        solver.recovered()
        expected = _components_by_search(solver, hidden)
        # Components that did not grow keep their verdict and are not solved again.
        assert all(component in expected for component in pinned)
        assert [c for c in expected if c in pinned] == pinned
        assert {tuple(c) for c in expected} == {
            tuple(sorted(solver._members[solver._root(c[0])])) for c in expected
        }


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10**6), threshold=st.integers(1, 5))
def test_cells_are_hidden_for_a_count_only_when_no_solution_over_the_hidden_cells_moves_it(
    seed: int, threshold: int
) -> None:
    # Hiding cells for a count that a whole solution over the cells already hidden moves
    # hides them for nothing: each count's safety is settled over its whole component
    # first. Checked when the solver hides cells for a count: the exact attacker, given
    # what is hidden at that moment, recovers that count.
    rng = random.Random(seed)
    units = attacker.small_tenant(rng, areas=rng.randint(1, 3), districts=2, teams=3)
    quarter = attacker.QUARTER
    raw = attacker.figures(rng, units, high=rng.randint(1, 12), sparse=rng.uniform(0, 0.9))
    values, equations, unpublished = publication._published(
        publication.decide(raw[quarter], quarter, units.tenant, units, None).raw,
        quarter,
        units.tenant,
        units,
    )
    cells, solver = _numbered(values, equations, threshold, unpublished, {})
    protect_one = solver._protect
    hid_for: list[int] = []

    def checked(cell: int) -> list[int] | None:
        hidden = {cells[c] for c, h in enumerate(solver.hidden) if h}
        extra = protect_one(cell)
        if extra != []:  # cells to hide, or None: the cell beside it is hidden
            reading, truth = attacker.reading_of(values, equations, hidden, unpublished)
            assert attacker.recovered(reading, truth, threshold, [cells[cell]]) != []
            hid_for.append(cell)
        return extra

    solver._protect = checked  # type: ignore[method-assign]
    hidden = {cells[c] for c in solver.solve()}
    assert hidden == protect(values, equations, threshold, unpublished=unpublished)
