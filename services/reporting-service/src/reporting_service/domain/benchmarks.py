"""Benchmarks: the tenant's own activity figures beside published comparators (England, its
region, its statistical neighbours, the quartile band of every authority) and live ones (the
consenting tenants of this deployment). Pure: the reference data and the figures come in,
the Deep Dive's `benchmarks` block goes out (docs/measures.md, "Benchmarks")."""

from __future__ import annotations

import statistics
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

from reporting_service.domain.disclosure import NOT_APPLICABLE, Cell, round_half_up

NOT_AVAILABLE = "x"  # DfE's symbol: no figure was published (or none was loaded)
# DfE's symbols a reference file may give instead of a number: suppressed, not applicable,
# not available, rounds to 0 but is not 0, low reliability.
SYMBOLS = frozenset({"c", "z", "x", "k", "u"})
# A band needs a spread to cut in four; fewer authorities with a figure give none.
MIN_FOR_BAND = 4
# Peers are shown only as the mean of at least this many other authorities' figures.
MIN_PEERS = 3


class Direction(StrEnum):
    LOWER = "lower"  # a lower figure is better
    HIGHER = "higher"


class AreaLevel(StrEnum):
    ENGLAND = "ENGLAND"
    REGION = "REGION"
    LA = "LA"


# The activity measures that can be benchmarked, with their direction (docs/measures.md):
# the others (counts of work, the share of referrals with no further action, S47s leading to
# a conference) say how much happened, not how well, and have no better side. A nested
# measure is named by its dimension (`visits_on_time_pct.CLA`), as in the CSV.
DIRECTIONS: dict[str, Direction] = {
    "re_referrals_12m_pct": Direction.LOWER,
    "cp_second_or_subsequent_pct": Direction.LOWER,
    "cp_open_2y_plus_at_end": Direction.LOWER,
    "cla_3plus_placements_12m_pct": Direction.LOWER,
    "assessments_within_45wd_pct": Direction.HIGHER,
    "icpc_within_15wd_pct": Direction.HIGHER,
    "cp_reviews_on_time_pct": Direction.HIGHER,
    "cla_reviews_on_time_pct": Direction.HIGHER,
    "visits_on_time_pct.CIN": Direction.HIGHER,
    "visits_on_time_pct.CP": Direction.HIGHER,
    "visits_on_time_pct.CLA": Direction.HIGHER,
}


def is_percentage(measure: str) -> bool:
    """A share from 0 to 100 (every benchmarked measure but the count of long plans)."""
    return measure.split(".")[0].endswith("_pct")


Figure = float | str  # a published figure, or one of SYMBOLS


@dataclass(frozen=True)
class MeasureReference:
    """One measure's published figures for its latest year: England's, by region and by LA."""

    year: int
    england: Figure | None = None
    regions: Mapping[str, Figure] = field(default_factory=dict)
    las: Mapping[str, Figure] = field(default_factory=dict)


@dataclass(frozen=True)
class Reference:
    """What the Deep Dive of one tenant in one financial year compares with: each measure's
    latest year up to it, the tenant's neighbours (by rank) and its region's code."""

    measures: Mapping[str, MeasureReference]
    neighbours: Sequence[str] = ()
    region: str | None = None


def flatten(activity: Mapping[str, Any]) -> dict[str, Cell]:
    """An `activity` section's figures by benchmark measure name: a figure with dimensions
    (`visits_on_time_pct`) gives one per dimension, named `measure.DIMENSION`."""
    out: dict[str, Cell] = {}
    for name, value in activity.items():
        if isinstance(value, Mapping):
            out.update({f"{name}.{dim}": v for dim, v in value.items()})
        else:
            out[name] = value
    return out


def _round(value: float) -> float:
    return round_half_up(Decimal(str(value)))


def quartiles(figures: Collection[float]) -> tuple[float, float, float] | None:
    """The lower quartile, median and upper quartile of the authorities' figures, by Excel's
    QUARTILE.INC (linear between the ordered figures, at (n - 1) * p: what DfE's LAIT
    spreadsheets use); None below MIN_FOR_BAND figures."""
    if len(figures) < MIN_FOR_BAND:
        return None
    q1, q2, q3 = statistics.quantiles(sorted(figures), n=4, method="inclusive")
    return q1, q2, q3


def band(own: Cell | None, figures: Collection[float], direction: Direction) -> str:
    """The tenant's quartile band among the authorities' figures, "A" the best quarter by the
    direction to "D" the worst. A figure exactly on a quartile boundary takes the better band,
    so authorities with equal figures always share a band. The own figure's symbol ("c", "z",
    "k") when it is not a number; "x" when there is none; "z" when too few authorities have a
    figure to cut in four."""
    if own is None:
        return NOT_AVAILABLE
    if isinstance(own, str):
        return own
    cuts = quartiles(figures)
    if cuts is None:
        return NOT_APPLICABLE
    q1, q2, q3 = cuts
    if direction is Direction.HIGHER:
        return "A" if own >= q3 else "B" if own >= q2 else "C" if own >= q1 else "D"
    return "A" if own <= q1 else "B" if own <= q2 else "C" if own <= q3 else "D"


def _centre(figures: Sequence[float]) -> tuple[Cell, Cell]:
    if not figures:
        return NOT_APPLICABLE, NOT_APPLICABLE
    return _round(statistics.fmean(figures)), _round(statistics.median(figures))


def numbers(figures: Iterable[Figure | Cell | None]) -> list[float]:
    """The figures that are numbers (a symbol, or no figure, is left out)."""
    return [float(f) for f in figures if isinstance(f, int | float) and not isinstance(f, bool)]


def peer_tenants(tenant: str, consenting: Sequence[str]) -> list[str]:
    """The tenants whose figures are `tenant`'s peers: the other consenting ones, and none
    unless `tenant` consents too (peers compare each other, and a tenant is not its own)."""
    if tenant not in consenting:
        return []
    return [t for t in dict.fromkeys(consenting) if t != tenant]


def peers_summary(peers: Iterable[Cell | None]) -> dict[str, Cell]:
    """`peers_mean` and `peers` over the other consenting tenants' published figures: only
    numbers count (a figure suppressed or "z" for that tenant is no peer), and nothing is
    shown below MIN_PEERS, so no figure is ever one authority's."""
    figures = numbers(peers)
    if len(figures) < MIN_PEERS:
        return {}
    return {"peers_mean": _round(statistics.fmean(figures)), "peers": len(figures)}


def _shown(figure: Figure | None) -> Cell:
    return NOT_AVAILABLE if figure is None else figure


def block(
    own: Mapping[str, Cell],
    reference: Reference,
    peers: Mapping[str, Sequence[Cell | None]] | None = None,
) -> dict[str, dict[str, Cell]]:
    """The Deep Dive's `benchmarks` block: for each measure in the reference data, its year,
    England's and the region's figures, the neighbours' mean and median (over those with a
    figure), the tenant's band among every authority, and the peers' mean when at least
    MIN_PEERS consenting tenants have a figure. `own` is the tenant's `activity` section
    flattened (`flatten`); `peers` the other consenting tenants' figures by measure."""
    out: dict[str, dict[str, Cell]] = {}
    for measure in sorted(reference.measures):
        direction = DIRECTIONS.get(measure)
        if direction is None:
            continue
        ref = reference.measures[measure]
        mean, median = _centre(numbers(ref.las.get(la) for la in reference.neighbours))
        region = ref.regions.get(reference.region) if reference.region is not None else None
        out[measure] = {
            "year": ref.year,
            "england": _shown(ref.england),
            "region": _shown(region),
            "neighbours_mean": mean,
            "neighbours_median": median,
            "band": band(own.get(measure), numbers(ref.las.values()), direction),
            **peers_summary((peers or {}).get(measure, ())),
        }
    return out
