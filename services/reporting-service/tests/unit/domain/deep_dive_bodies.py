"""Deep Dive bodies built by hand in the shapes of the API contract (activity and
benchmarks included), for the pack's unit tests."""

from __future__ import annotations

import copy
from typing import Any

from qaf_shared.quarters import previous_quarter

QUARTER = "FY2026Q1"


def sections(scale: int = 1, hidden: bool = False) -> dict[str, Any]:
    """One unit's sections; `hidden` puts the symbols where a suppressed Deep Dive has them."""
    c: Any = "c" if hidden else 3
    return {
        "audits": {
            "completed": 42 * scale,
            "grades": {
                "OUTSTANDING": c,
                "GOOD": 20 * scale,
                "REQUIRES_IMPROVEMENT": 15 * scale,
                "INADEQUATE": c,
            },
            "good_or_better_pct": "c" if hidden else 54.8,
            "moderated": 6,
            "moderation_agreement_pct": 83.3,
            "themes": {"DRIFT_DELAY": 9, "CHILD_VOICE": c, "PLANNING": 0},
            "actions_raised": 30,
            "actions_completed": 22,
            "actions_overdue_at_end": 4 if not hidden else "c",
            "safeguarding_concerns": c,
        },
        "escalations": {
            "raised": 17,
            "resolved": 12,
            "open_at_end": 9,
            "by_category": {"DRIFT_DELAY": 8, "PLAN_QUALITY": 9},
            "by_stage_reached": {"INFORMAL": 10, "TEAM_MANAGER": 7},
            "median_working_days_to_resolve": 6,
            "resolved_early_pct": 58.3,
            "breached_timescale": 2 if not hidden else "c",
        },
        "feedback": {
            "by_source": {"CHILD": 12, "PARENT": 7, "COMPLIMENT": 8},
            "conference_question_means": {
                "felt_listened_to": 4.2,
                "<b>odd</b>": "c" if hidden else 3.9,
            },
            "cic_reviews": 40,
            "cic_participation_pct": 87.5,
            "complaints_received": 0,
            "complaints_by_stage": {"STAGE_1": 0, "STAGE_2": 0},
            "complaints_upheld": 0,
            "compliments": 8,
        },
        "activity": {
            "referrals": 410,
            "re_referrals_12m_pct": 21.0,
            "referrals_nfa_pct": 9.5,
            "assessments_completed": 380,
            "assessments_within_45wd_pct": 88.2,
            "median_assessment_wd": 31,
            "s47_started": 96,
            "s47_to_icpc_pct": 41.7,
            "icpc_held": 38,
            "icpc_within_15wd_pct": 78.9,
            "cp_plans_started": 35,
            "cp_second_or_subsequent_pct": 22.9,
            "cp_plans_ended": 30,
            "cp_open_at_end": 260,
            "cp_open_2y_plus_at_end": 6,
            "cp_reviews_on_time_pct": 93.0,
            "cla_started": 40,
            "cla_routes": {"CP_PLAN": 18, "CIN": 15, "NONE": 7},
            "cla_open_at_end": 1900,
            "cla_3plus_placements_12m_pct": 9.8,
            "cla_reviews_on_time_pct": "z" if hidden else 91.5,
            "visits_on_time_pct": {"CIN": 80.1, "CP": 90.2, "CLA": "k" if hidden else 95.0},
            "funnel": {"referrals": 410, "assessed": 380, "s47": 96, "icpc": 40, "cp_plan": 35},
        },
    }


def body(*, hidden: bool = False, activity: bool = True, benchmarks: bool = True) -> dict[str, Any]:
    """A tenant's Deep Dive with two areas in its breakdown."""
    out: dict[str, Any] = {
        "tenant": "886",
        "quarter": QUARTER,
        "unit": {"code": "886", "kind": "tenant"},
        "suppression": {"applied": hidden, "threshold": 5},
        **sections(2, hidden),
        "previous": {"quarter": previous_quarter(QUARTER), **sections(1)},
        "breakdown": [
            {"unit": {"code": "NORTH", "kind": "area"}, **sections(1, hidden)},
            {"unit": {"code": "WEST", "kind": "area"}, **sections(1)},
        ],
    }
    out["breakdown"][1]["audits"]["good_or_better_pct"] = 80.0
    if benchmarks:
        out["benchmarks"] = {
            "cla_3plus_placements_12m_pct": {
                "year": 2025,
                "england": 10.0,
                "region": 9.0,
                "neighbours_mean": 10.2,
                "neighbours_median": 10.0,
                "band": "B",
                "peers_mean": 9.9,
                "peers": 4,
            },
            "re_referrals_12m_pct": {
                "year": 2025,
                "england": 22.4,
                "region": 21.0,
                "neighbours_mean": 23.1,
                "neighbours_median": 22.0,
                "band": "C",
            },
        }
    if not activity:
        for part in (out, out["previous"], *out["breakdown"]):
            part.pop("activity")
    return out


def trend(now: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Eight quarters of the unit's sections, the body's own last."""
    quarters = [QUARTER]
    while len(quarters) < 8:
        quarters.insert(0, previous_quarter(quarters[0]))
    out = []
    for i, q in enumerate(quarters[:-2]):
        s = sections(1)
        s["audits"]["completed"] = 30 + i
        if "activity" not in now:
            s.pop("activity")
        out.append((q, s))
    keep = ("audits", "escalations", "feedback", "activity")
    out.append((quarters[-2], {k: copy.deepcopy(now["previous"][k]) for k in keep if k in now}))
    out.append((QUARTER, {k: copy.deepcopy(now[k]) for k in keep if k in now}))
    return out


def months(hidden: bool = False) -> list[tuple[str, dict[str, Any]]]:
    """Escalations by month over the eight quarters (July 2024 to June 2026)."""
    return [
        (
            f"{2024 + (i + 6) // 12}-{(i + 6) % 12 + 1:02d}",
            {"raised": i, "resolved": "c" if hidden else i // 2, "open_at_end": 2 * i},
        )
        for i in range(24)
    ]
