"""What the pack shows of a Deep Dive: every figure as the JSON has it, the change of two
published numbers only, a section for activity and the benchmarks only where the Deep Dive
has them, and breakdown rates that stand out marked."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from reporting_service.domain import pack

from .deep_dive_bodies import body, months, trend

NOW = datetime(2026, 7, 1, 9, 30, tzinfo=UTC)


def _assemble(b: dict[str, Any]) -> pack.Pack:
    hidden = b["suppression"]["applied"]
    return pack.assemble(
        b, trend(b), months=months(hidden), made_at=NOW, newest_event_time=NOW, consumer_lag=None
    )


def _flat(node: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for k, v in node.items():
            out |= _flat(v, f"{prefix}.{k}" if prefix else k)
        return out
    return {prefix: node}


def test_every_figure_of_the_unit_is_in_a_table_as_the_json_prints_it() -> None:
    b = body(hidden=True)
    made = _assemble(b)
    rows = {r.key: r for s in made.sections for block in s.blocks for r in block.rows}
    sections = ("audits", "escalations", "feedback", "activity")
    want_now = {k: v for k, v in _flat({s: b[s] for s in sections}).items()}
    want_before = _flat({s: b["previous"][s] for s in sections})
    for key, value in want_now.items():
        assert rows[key].now == str(value), key
        assert rows[key].previous == str(want_before[key]), key
    assert rows["audits.grades.OUTSTANDING"].now == "c"
    assert rows["activity.cla_reviews_on_time_pct"].now == "z"
    assert rows["activity.visits_on_time_pct.CLA"].now == "k"


def test_a_change_is_shown_only_between_two_published_numbers() -> None:
    assert pack.change(84, 42) == "+42"
    assert pack.change(3, 5) == "−2"
    assert pack.change(54.8, 50.1) == "+4.7"
    assert pack.change(50.05, 50.1) == "−0.1"
    assert pack.change(7, 7) == "0"
    for hidden in ("c", "z", "k", None):
        assert pack.change(hidden, 3) == ""
        assert pack.change(3, hidden) == ""


def test_the_symbols_printed_are_those_footnoted() -> None:
    assert _assemble(body(hidden=True)).symbols == ("c", "z", "k")
    assert _assemble(body()).symbols == ()


def test_activity_and_benchmarks_appear_only_where_the_deep_dive_has_them() -> None:
    full = _assemble(body())
    assert [s.id for s in full.sections] == ["audits", "escalations", "feedback", "activity"]
    assert {c.id for c in full.charts} >= {
        "activity-funnel",
        "activity-timeliness",
        "activity-routes",
        "benchmarks-dots",
    }
    assert [m for m, _, _ in full.benchmarks] == [
        "cla_3plus_placements_12m_pct",
        "re_referrals_12m_pct",
    ]
    headline = {h.key: h for h in full.headlines}["activity.cla_3plus_placements_12m_pct"]
    assert headline.benchmark is not None and headline.benchmark.band == "B"

    bare = _assemble(body(activity=False, benchmarks=False))
    assert [s.id for s in bare.sections] == ["audits", "escalations", "feedback"]
    assert not bare.benchmarks and bare.benchmark_chart is None
    assert not any(h.key.startswith("activity.") for h in bare.headlines)
    assert not any(c.id.startswith(("activity-", "benchmarks-")) for c in bare.charts)


def test_the_funnel_runs_from_referral_to_plan_in_order() -> None:
    made = _assemble(body())
    (funnel,) = [c for c in made.charts if c.id == "activity-funnel"]
    assert [name for name, _ in funnel.points] == [
        "Referral",
        "Assessment",
        "S47 enquiry",
        "ICPC",
        "CP plan",
    ]
    assert [values[0] for _, values in funnel.points] == [410, 380, 96, 40, 35]


def test_each_headline_has_eight_quarters_of_trend_ending_with_the_quarter() -> None:
    b = body()
    made = _assemble(b)
    assert len(made.headlines) == 17
    for h in made.headlines:
        assert len(h.trend.points) == 8
        assert h.trend.points[-1][0] == b["quarter"]
        assert h.trend.points[-2][0] == b["previous"]["quarter"]
        assert str(h.trend.points[-1][1][0]) == h.now
    completed = {h.key: h for h in made.headlines}["audits.completed"]
    assert [v for _, (v,) in completed.trend.points] == [30, 31, 32, 33, 34, 35, 42, 84]


def test_a_breakdown_rate_ten_points_from_its_parent_stands_out() -> None:
    b = body()  # the tenant's good or better is 54.8; WEST's 80.0, NORTH's 54.8
    made = _assemble(b)
    marks = {r.code: {k: m for k, _, m in r.cells} for r in made.breakdown}
    assert marks["WEST"]["audits.good_or_better_pct"] == "higher"
    assert marks["NORTH"]["audits.good_or_better_pct"] == ""
    b["breakdown"][1]["audits"]["good_or_better_pct"] = 44.8
    assert {r.code: dict((k, m) for k, _, m in r.cells) for r in _assemble(b).breakdown}["WEST"][
        "audits.good_or_better_pct"
    ] == "lower"
    b["breakdown"][1]["audits"]["good_or_better_pct"] = "c"
    made = _assemble(b)
    assert {r.code: dict((k, m) for k, _, m in r.cells) for r in made.breakdown}["WEST"][
        "audits.good_or_better_pct"
    ] == ""


def test_top_themes_are_ordered_by_count_with_hidden_ones_as_zero() -> None:
    made = _assemble(body(hidden=True))
    (themes,) = [b for s in made.sections for b in s.blocks if b.title == "Top themes"]
    assert [r.key.rsplit(".", 1)[1] for r in themes.rows] == [
        "DRIFT_DELAY",
        "CHILD_VOICE",
        "PLANNING",
    ]
