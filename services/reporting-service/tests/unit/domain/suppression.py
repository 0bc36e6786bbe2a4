"""Suppression of plain tables, for the unit tests: a table's cells and the groups that add
up to a total, put to `protect` (the decision's one way to choose what to hide) and printed
as it decides. The service itself builds its equations in domain/publication.py."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import TypeVar

from reporting_service.domain.disclosure import SUPPRESSED, Cell, protect, sums_to

K = TypeVar("K", bound=Hashable)
Group = tuple[K, Sequence[K]]  # (total, the cells that add up to it)


def primary(value: int, threshold: int) -> Cell:
    """One count on its own, with no equation to protect it by."""
    return suppress({"cell": value}, [], threshold)["cell"]


def suppress(cells: Mapping[K, int], groups: Iterable[Group[K]], threshold: int) -> dict[K, Cell]:
    """Primary and secondary suppression over cells linked by additive groups."""
    hidden = protect(cells, [sums_to(total, parts) for total, parts in groups], threshold)
    return {k: (SUPPRESSED if k in hidden else v) for k, v in cells.items()}


def suppress_group(
    total: int, cells: Mapping[str, int], threshold: int
) -> tuple[Cell, dict[str, Cell]]:
    """One total and the cells that add up to it."""
    keyed: dict[str, int] = {f"cell:{k}": v for k, v in cells.items()}
    keyed["total"] = total
    out = suppress(keyed, [("total", [f"cell:{k}" for k in cells])], threshold)
    return out["total"], {k: out[f"cell:{k}"] for k in cells}
