"""Statistical disclosure control (DfE conventions), as pure functions.

A count from 1 to the threshold is published as "c" (primary suppression). Where cells are
published with a total they add up to (grades and audits completed, districts and their
area), the hidden cells must not be recoverable by subtraction (secondary suppression):

- a group whose total is shown must hide none of its cells, or at least two whose sum
  does not pin each of them down (all ones, or all at the threshold);
- a group whose total is hidden must hide at least one of its cells, or the total is the
  sum of what is shown.

Where a group breaks a rule, its smallest other non-zero shown cell is hidden too, and the
groups are checked again until none breaks one (cells are shared between groups: a
district's count is a cell of its area's group and the total of its teams' group). Zeros
are shown. A rate or mean built on a hidden count is "c"; one with nothing to compute it
from is "z"; one that rounds to 0 but is not 0 is "k"."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Generic, TypeVar

Cell = int | float | str
SUPPRESSED = "c"
NOT_APPLICABLE = "z"
ROUNDS_TO_ZERO = "k"

K = TypeVar("K", bound=Hashable)
Group = tuple[K, Sequence[K]]  # (total, the cells that add up to it)


def primary(value: int, threshold: int) -> Cell:
    return SUPPRESSED if 1 <= value <= threshold else value


def suppress(cells: Mapping[K, int], groups: Iterable[Group[K]], threshold: int) -> dict[K, Cell]:
    """Primary and secondary suppression over cells linked by additive groups.

    The groups are checked in order and the first that breaks a rule hides one more cell,
    until none does. After a cell is hidden only the groups it can affect are checked again
    (those holding it or a total above it, whose least value it feeds): the rest would give
    the same verdict, so the outcome is that of checking every group every time, without
    its cost on a Deep Dive's thousands of cells."""
    hidden = {k for k, v in cells.items() if 1 <= v <= threshold}
    linked = [(total, list(parts)) for total, parts in groups]
    totals_of: dict[K, list[list[K]]] = {}
    above: dict[K, set[K]] = {}  # cell -> the totals it is a part of
    member: dict[K, list[int]] = {}  # cell -> the groups it is the total or a part of
    for index, (total, parts) in enumerate(linked):
        totals_of.setdefault(total, []).append(parts)
        member.setdefault(total, []).append(index)
        for part in parts:
            member.setdefault(part, []).append(index)
            above.setdefault(part, set()).add(total)
    unchecked = set(range(len(linked)))
    while unchecked:
        floor = _Floor(cells, hidden, totals_of)
        extra = None
        for index in sorted(unchecked):
            total, parts = linked[index]
            extra = _to_hide(total, parts, cells, hidden, threshold, floor)
            if extra is not None:
                break
            unchecked.discard(index)
        if extra is None:
            break
        hidden.add(extra)
        stack, seen = [extra], set()
        while stack:
            cell = stack.pop()
            if cell not in seen:
                seen.add(cell)
                unchecked.update(member.get(cell, ()))
                stack.extend(above.get(cell, ()))
    return {k: (SUPPRESSED if k in hidden else v) for k, v in cells.items()}


class _Floor(Generic[K]):
    """The least value a hidden cell could have, as seen by someone who knows what is shown:
    a hidden non-zero leaf is at least 1; a hidden total at least what its parts add up to
    at their least."""

    def __init__(
        self, cells: Mapping[K, int], hidden: set[K], totals_of: Mapping[K, list[list[K]]]
    ) -> None:
        self._cells, self._hidden, self._totals_of = cells, hidden, totals_of
        self._memo: dict[K, int] = {}

    def __call__(self, key: K) -> int:
        if key not in self._hidden:
            return self._cells.get(key, 0)
        if key not in self._memo:
            self._memo[key] = max(
                [1, *(sum(self(p) for p in parts) for parts in self._totals_of.get(key, []))]
            )
        return self._memo[key]


def _to_hide(
    total: K,
    parts: list[K],
    cells: Mapping[K, int],
    hidden: set[K],
    threshold: int,
    floor: _Floor[K],
) -> K | None:
    """The next cell this group needs hidden, or None when it is safe."""
    hidden_parts = [p for p in parts if p in hidden]
    shown_nonzero = [p for p in parts if p not in hidden and cells.get(p, 0) > 0]
    if total in hidden:
        if hidden_parts or not shown_nonzero:
            return None
    elif _safe([cells[p] for p in hidden_parts], [floor(p) for p in hidden_parts], threshold):
        return None
    if not shown_nonzero:
        # Nothing left to hide among the parts: hide the total instead.
        return None if total in hidden else total
    return min(shown_nonzero, key=lambda p: (cells[p], str(p)))


def _safe(values: list[int], floors: list[int], threshold: int) -> bool:
    """Can nobody recover a hidden cell from the sum of the hidden cells (which the shown
    total gives away)? Not if there is one, or if each must be at its least for the sum to
    come out (nor, for primary cells, at the threshold, the most they can be)."""
    if not values:
        return True
    count, total = len(values), sum(values)
    return count >= 2 and total != sum(floors) and total != count * threshold


def suppress_group(
    total: int, cells: Mapping[str, int], threshold: int
) -> tuple[Cell, dict[str, Cell]]:
    """One total and the cells that add up to it."""
    keyed: dict[str, int] = {f"cell:{k}": v for k, v in cells.items()}
    keyed["total"] = total
    out = suppress(keyed, [("total", [f"cell:{k}" for k in cells])], threshold)
    return out["total"], {k: out[f"cell:{k}"] for k in cells}


def round_half_up(value: float | Decimal, places: int = 1) -> float:
    quantum = Decimal(1).scaleb(-places)
    return float(Decimal(str(value)).quantize(quantum, rounding=ROUND_HALF_UP))


def ratio(numerator: Cell, denominator: Cell, *, scale: int = 100) -> Cell:
    """numerator / denominator × scale, one decimal, half up; "c" if either is hidden, "z" with
    nothing to divide by, "k" when it rounds to 0 but is not 0."""
    if SUPPRESSED in (numerator, denominator):
        return SUPPRESSED
    if not denominator:
        return NOT_APPLICABLE
    assert isinstance(numerator, int | float) and isinstance(denominator, int | float)
    value = round_half_up(Decimal(str(numerator)) * scale / Decimal(str(denominator)))
    if value == 0 and numerator:
        return ROUNDS_TO_ZERO
    return value


def percentage(numerator: Cell, denominator: Cell) -> Cell:
    return ratio(numerator, denominator)


def mean(total: int, count: int, threshold: int | None) -> Cell:
    """A mean over `count` values: hidden when the count itself would be."""
    if threshold is not None and 1 <= count <= threshold:
        return SUPPRESSED
    return ratio(total, count, scale=1)


def median(histogram: Mapping[int, int]) -> Cell:
    """The median of values given as value -> how many; an even count takes the mean of the
    two middle values."""
    count = sum(histogram.values())
    if count == 0:
        return NOT_APPLICABLE
    ordered = sorted((v, n) for v, n in histogram.items() if n > 0)

    def nth(index: int) -> int:
        seen = 0
        for value, n in ordered:
            seen += n
            if index < seen:
                return value
        raise IndexError(index)

    if count % 2:
        return nth(count // 2)
    low, high = nth(count // 2 - 1), nth(count // 2)
    middle = Decimal(low + high) / 2
    return int(middle) if middle == int(middle) else round_half_up(middle)
