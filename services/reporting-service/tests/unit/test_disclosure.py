from hypothesis import given, settings
from hypothesis import strategies as st

from reporting_service.disclosure import (
    SUPPRESSED,
    percentage,
    primary,
    round_half_up,
    suppress,
    suppress_group,
)


def test_counts_from_one_to_the_threshold_are_suppressed() -> None:
    assert [primary(v, 5) for v in (0, 1, 5, 6)] == [0, SUPPRESSED, SUPPRESSED, 6]


def test_a_lone_suppressed_cell_takes_the_smallest_other_with_it() -> None:
    total, cells = suppress_group(31, {"A": 3, "B": 8, "C": 20}, 5)
    assert total == 31
    assert cells == {"A": SUPPRESSED, "B": SUPPRESSED, "C": 20}


def test_suppressed_cells_that_would_all_be_ones_are_protected() -> None:
    _, cells = suppress_group(12, {"A": 1, "B": 1, "C": 10}, 5)
    assert cells == {"A": SUPPRESSED, "B": SUPPRESSED, "C": SUPPRESSED}


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
    hidden = [cells[k] for k, v in shown.items() if v == SUPPRESSED]
    if shown_total == SUPPRESSED:
        return
    # With the total published, the hidden cells' sum is known: it must not pin any of them.
    assert len(hidden) != 1
    if hidden:
        assert sum(hidden) not in (len(hidden), len(hidden) * threshold)


def _derivable(table: list[list[int]], shown: dict[str, object], threshold: int) -> set[str]:
    """Hidden cells of a table with margins that an attacker who knows the shown cells (and
    that every hidden cell is at least 1) could pin to one value, by brute force."""
    import itertools

    rows, cols = len(table), len(table[0])
    leaves = [(i, j) for i in range(rows) for j in range(cols)]
    hidden_leaves = [(i, j) for i, j in leaves if shown[f"L{i}{j}"] == SUPPRESSED]
    bound = sum(map(sum, table)) + 3  # beyond the true total: what is hidden could be more
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


@settings(deadline=None, max_examples=150)
@given(
    table=st.lists(st.lists(st.integers(0, 6), min_size=2, max_size=2), min_size=2, max_size=2),
    threshold=st.integers(1, 3),
)
def test_no_hidden_cell_of_a_table_with_margins_can_be_worked_out(
    table: list[list[int]], threshold: int
) -> None:
    # The shape of a Deep Dive: units (rows) by grade (columns), each unit's total, each
    # grade's total over the units, and the parent's total.
    cells = _margins(table)
    groups = [(f"R{i}", [f"L{i}{j}" for j in range(2)]) for i in range(2)]
    groups += [(f"C{j}", [f"L{i}{j}" for i in range(2)]) for j in range(2)]
    groups += [("T", ["R0", "R1"]), ("T", ["C0", "C1"])]
    shown = suppress(cells, groups, threshold)
    assert all(shown[k] == SUPPRESSED for k, v in cells.items() if 1 <= v <= threshold)
    assert _derivable(table, shown, threshold) == set()


def _suppress_checking_every_group_every_time(
    cells: dict[str, int], groups: list[tuple[str, list[str]]], threshold: int
) -> dict[str, object]:
    """The rule as DOMAIN.md states it, without shortcuts: the reference for `suppress`."""
    from reporting_service.disclosure import _Floor, _to_hide

    hidden = {k for k, v in cells.items() if 1 <= v <= threshold}
    totals_of: dict[str, list[list[str]]] = {}
    for total, parts in groups:
        totals_of.setdefault(total, []).append(parts)
    changed = True
    while changed:
        changed = False
        floor = _Floor(cells, hidden, totals_of)
        for total, parts in groups:
            extra = _to_hide(total, parts, cells, hidden, threshold, floor)
            if extra is not None:
                hidden.add(extra)
                changed = True
                break
    return {k: (SUPPRESSED if k in hidden else v) for k, v in cells.items()}


@settings(max_examples=150)
@given(
    quarters=st.integers(1, 2),
    areas=st.lists(st.lists(st.integers(0, 12), min_size=1, max_size=4), min_size=1, max_size=4),
    threshold=st.integers(1, 6),
)
def test_suppression_hides_what_checking_every_group_every_time_hides(
    quarters: int, areas: list[list[int]], threshold: int
) -> None:
    # A tenant, its areas and their districts, per quarter, with an "all quarters" total
    # over the quarters: cells shared between groups as in a Deep Dive.
    cells: dict[str, int] = {}
    groups: list[tuple[str, list[str]]] = []
    for q in range(quarters):
        area_keys = []
        for a, districts in enumerate(areas):
            keys = [f"q{q}a{a}d{d}" for d in range(len(districts))]
            cells.update({k: v + q for k, v in zip(keys, districts, strict=True)})
            cells[f"q{q}a{a}"] = sum(cells[k] for k in keys)
            groups.append((f"q{q}a{a}", keys))
            area_keys.append(f"q{q}a{a}")
        cells[f"q{q}"] = sum(cells[k] for k in area_keys)
        groups.append((f"q{q}", area_keys))
    cells["all"] = sum(cells[f"q{q}"] for q in range(quarters))
    groups.append(("all", [f"q{q}" for q in range(quarters)]))
    assert suppress(cells, groups, threshold) == _suppress_checking_every_group_every_time(
        cells, groups, threshold
    )
