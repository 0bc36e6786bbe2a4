"""Statistical disclosure control (DfE conventions), as pure functions.

A count from 1 to the threshold is published as "c". Where a group of cells is published
with its total, the suppressed cells must not be recoverable by subtraction: one
suppressed cell alone, or suppressed cells whose sum pins each of them down (all ones, or
all at the threshold), take the smallest other non-zero cell with them (secondary
suppression); if nothing is left to take, the total goes too. A rate or mean built on a
suppressed count is "c"; one with nothing to compute it from is "z"."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal

Cell = int | float | str
SUPPRESSED = "c"
NOT_APPLICABLE = "z"


def primary(value: int, threshold: int) -> Cell:
    return SUPPRESSED if 1 <= value <= threshold else value


def suppress_group(
    total: int, cells: Mapping[str, int], threshold: int
) -> tuple[Cell, dict[str, Cell]]:
    """Suppress a total and the cells that add up to it."""
    out: dict[str, Cell] = {k: primary(v, threshold) for k, v in cells.items()}
    published_total = primary(total, threshold)
    if published_total == SUPPRESSED:
        # Every non-zero cell is at most the total, so each is already suppressed.
        return published_total, out
    while not _safe([cells[k] for k, v in out.items() if v == SUPPRESSED], threshold):
        candidates = [k for k, v in out.items() if v != SUPPRESSED and cells[k] > 0]
        if not candidates:
            return SUPPRESSED, {k: (SUPPRESSED if cells[k] else 0) for k in cells}
        out[min(candidates, key=lambda k: (cells[k], k))] = SUPPRESSED
    return published_total, out


def _safe(hidden: list[int], threshold: int) -> bool:
    """Can nobody recover a hidden cell from the sum of the hidden cells? Each hidden cell
    is known to be at least 1 (zeros are shown), and at most the threshold unless it was
    hidden to protect another."""
    if not hidden:
        return True
    count, total = len(hidden), sum(hidden)
    return count >= 2 and total not in (count, count * threshold)


def round_half_up(value: float | Decimal, places: int = 1) -> float:
    quantum = Decimal(1).scaleb(-places)
    return float(Decimal(str(value)).quantize(quantum, rounding=ROUND_HALF_UP))


def percentage(numerator: Cell, denominator: Cell) -> Cell:
    """numerator / denominator × 100, one decimal, half up; "c" if either is suppressed."""
    if SUPPRESSED in (numerator, denominator):
        return SUPPRESSED
    if not denominator:
        return NOT_APPLICABLE
    assert isinstance(numerator, int) and isinstance(denominator, int)
    return round_half_up(Decimal(numerator) * 100 / Decimal(denominator))
