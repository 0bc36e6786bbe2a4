"""Benchmarks from the reference data: bands either side of each quartile boundary and on it,
ties, the neighbours' mean and median over those with a figure, and the peers threshold."""

from __future__ import annotations

import pytest

from reporting_service.domain.benchmarks import (
    DIRECTIONS,
    Direction,
    MeasureReference,
    Reference,
    band,
    block,
    flatten,
    peer_tenants,
    peers_summary,
    quartiles,
)
from reporting_service.settings import ReportingSettings

NINE = [float(v) for v in (9, 1, 8, 2, 7, 3, 6, 4, 5)]  # QUARTILE.INC: 3, 5 and 7


def test_quartiles_are_excels_inclusive_ones() -> None:
    assert quartiles(NINE) == (3.0, 5.0, 7.0)
    # Between order statistics: (n - 1) * p = 0.75, 1.5, 2.25 of 10, 20, 30, 40.
    assert quartiles([40.0, 10.0, 30.0, 20.0]) == (17.5, 25.0, 32.5)


@pytest.mark.parametrize(
    ("own", "expected"),
    [(7.0, "A"), (6.99, "B"), (5.0, "B"), (4.99, "C"), (3.0, "C"), (2.99, "D"), (9.5, "A")],
)
def test_higher_is_better_bands_either_side_of_each_quartile(own: float, expected: str) -> None:
    assert band(own, NINE, Direction.HIGHER) == expected


@pytest.mark.parametrize(
    ("own", "expected"),
    [(3.0, "A"), (3.01, "B"), (5.0, "B"), (5.01, "C"), (7.0, "C"), (7.01, "D"), (0.0, "A")],
)
def test_lower_is_better_bands_either_side_of_each_quartile(own: float, expected: str) -> None:
    assert band(own, NINE, Direction.LOWER) == expected


@pytest.mark.parametrize(
    ("own", "higher", "lower"),
    [(17.5, "C", "A"), (17.6, "C", "B"), (17.4, "D", "A"), (32.5, "A", "C"), (32.6, "A", "D")],
)
def test_interpolated_boundaries_band_like_any_other(own: float, higher: str, lower: str) -> None:
    figures = [10.0, 20.0, 30.0, 40.0]
    assert band(own, figures, Direction.HIGHER) == higher
    assert band(own, figures, Direction.LOWER) == lower


def test_authorities_with_equal_figures_share_the_better_band() -> None:
    figures = [5.0, 5.0, 5.0, 5.0, 5.0, 8.0]
    # Every cut but none is 5: an authority at 5 is in the best quarter either way.
    assert band(5.0, figures, Direction.LOWER) == "A"
    assert band(5.0, figures, Direction.HIGHER) == "A"
    assert band(8.0, figures, Direction.LOWER) == "D"
    # Quartiles 2, 5.5 and 9 (positions 1.75, 3.5, 5.25): the three authorities at 2 are all
    # on the lower quartile, and the three at 9 on the upper one.
    tied = [1.0, 2.0, 2.0, 2.0, 9.0, 9.0, 9.0, 10.0]
    assert quartiles(tied) == (2.0, 5.5, 9.0)
    assert [band(v, tied, Direction.HIGHER) for v in tied] == ["D", *"CCC", *"AAA", "A"]
    assert [band(v, tied, Direction.LOWER) for v in tied] == ["A", *"AAA", *"CCC", "D"]


def test_no_band_without_a_figure_or_enough_authorities() -> None:
    assert band("c", NINE, Direction.LOWER) == "c"
    assert band("z", NINE, Direction.HIGHER) == "z"
    assert band(None, NINE, Direction.HIGHER) == "x"
    assert band(5.0, [1.0, 2.0, 3.0], Direction.HIGHER) == "z"


def test_every_benchmarked_measure_has_a_direction_and_only_those_that_have_one() -> None:
    lower = {m for m, d in DIRECTIONS.items() if d is Direction.LOWER}
    assert lower == {
        "re_referrals_12m_pct",
        "cp_second_or_subsequent_pct",
        "cp_open_2y_plus_at_end",
        "cla_3plus_placements_12m_pct",
    }
    for measure in ("referrals", "referrals_nfa_pct", "s47_to_icpc_pct", "cla_routes.CIN"):
        assert measure not in DIRECTIONS


def test_a_nested_activity_figure_is_named_by_its_dimension() -> None:
    assert flatten({"referrals": 4, "visits_on_time_pct": {"CLA": 95.0, "CP": "c"}}) == {
        "referrals": 4,
        "visits_on_time_pct.CLA": 95.0,
        "visits_on_time_pct.CP": "c",
    }


def _reference(**las: float | str) -> Reference:
    return Reference(
        measures={
            "re_referrals_12m_pct": MeasureReference(
                year=2025,
                england=22.0,
                regions={"E12000008": 20.0, "E12000007": 30.0},
                las={k.removeprefix("la"): v for k, v in las.items()},
            )
        },
        neighbours=["881", "845", "878", "303"],
        region="E12000008",
    )


def test_neighbours_mean_and_median_are_over_the_neighbours_with_a_figure() -> None:
    # 878 has "c" and 303 no row: the mean and median are of 881 and 845 only; 999 is no
    # neighbour and counts only in the band.
    ref = _reference(la881=10.0, la845=13.0, la878="c", la999=50.0, la886=12.0)
    out = block({"re_referrals_12m_pct": 12.0}, ref)["re_referrals_12m_pct"]
    assert out["neighbours_mean"] == 11.5
    assert out["neighbours_median"] == 11.5
    assert (out["year"], out["england"], out["region"]) == (2025, 22.0, 20.0)
    odd = block({}, _reference(la881=10.0, la845=13.0, la878=20.0))["re_referrals_12m_pct"]
    assert (odd["neighbours_mean"], odd["neighbours_median"]) == (14.3, 13.0)


def test_without_neighbour_figures_the_mean_is_z_and_missing_figures_are_x() -> None:
    ref = Reference(
        measures={"cla_reviews_on_time_pct": MeasureReference(year=2024)}, neighbours=["881"]
    )
    out = block({}, ref)["cla_reviews_on_time_pct"]
    assert out == {
        "year": 2024,
        "england": "x",
        "region": "x",
        "neighbours_mean": "z",
        "neighbours_median": "z",
        "band": "x",
    }


def test_the_band_uses_every_authority_and_the_measures_direction() -> None:
    ref = _reference(la881=10.0, la845=20.0, la878=30.0, la303=40.0, la999="x")
    assert block({"re_referrals_12m_pct": 11.0}, ref)["re_referrals_12m_pct"]["band"] == "A"
    assert block({"re_referrals_12m_pct": 39.0}, ref)["re_referrals_12m_pct"]["band"] == "D"


def test_peers_are_shown_from_three_and_never_below() -> None:
    assert peers_summary([10.0, 20.0]) == {}
    assert peers_summary([10.0, 20.0, 40.0]) == {"peers_mean": 23.3, "peers": 3}


def test_a_suppressed_or_inapplicable_peer_figure_is_no_peer() -> None:
    assert peers_summary([10.0, 20.0, "c", "z", "k", None]) == {}
    assert peers_summary([10.0, 20.0, "c", 30.0]) == {"peers_mean": 20.0, "peers": 3}


def test_the_block_shows_peers_only_from_three() -> None:
    ref = _reference(la881=10.0)
    two = block({}, ref, {"re_referrals_12m_pct": [1.0, 2.0]})["re_referrals_12m_pct"]
    assert "peers" not in two and "peers_mean" not in two
    three = block({}, ref, {"re_referrals_12m_pct": [1.0, 2.0, 6.0]})["re_referrals_12m_pct"]
    assert (three["peers_mean"], three["peers"]) == (3.0, 3)


def test_no_tenant_is_a_peer_unless_it_consents() -> None:
    assert ReportingSettings().benchmark_peers == []


def test_a_tenant_has_peers_only_when_it_consents_and_is_never_its_own() -> None:
    assert peer_tenants("886", []) == []
    assert peer_tenants("886", ["887", "881", "845"]) == []
    assert peer_tenants("886", ["887", "886", "881", "887"]) == ["887", "881"]
