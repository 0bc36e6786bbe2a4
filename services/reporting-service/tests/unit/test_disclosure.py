from hypothesis import given
from hypothesis import strategies as st

from reporting_service.disclosure import (
    SUPPRESSED,
    percentage,
    primary,
    round_half_up,
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
